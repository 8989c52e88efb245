package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element multipliers of a loss call: per-column weights w ([1, cols]) and a mask m
 * (per example [rows, 1] or per output [rows, cols]), either possibly absent. Applying them to an
 * array a gives a[i,j] · w[j] · m[i,j] (with m[i,j] = m[i] for a per-example mask), DL4J's
 * {@code LossUtil} semantics.
 */
public final class Multipliers {
    private final INDArray weights;
    private final INDArray mask;

    Multipliers(INDArray weights, INDArray mask) {
        this.weights = weights;
        this.mask = mask;
    }

    /** Multiplies {@code arr} ([rows, cols], owned by the caller) in place; returns it. */
    public INDArray applyInPlace(INDArray arr) {
        if (weights != null) {
            arr.muliRowVector(weights);
        }
        if (mask != null) {
            if (mask.size(1) == 1 && arr.size(1) != 1) {
                arr.muliColumnVector(mask);
            } else {
                arr.muli(mask);
            }
        }
        return arr;
    }
}
