package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element multipliers of a loss call: per-column weights w ([1, cols]) and a mask m
 * (per example [rows, 1] or per output [rows, cols]), either possibly absent. Applying them to an
 * array a gives a[i,j] · w[j] · m[i,j] (with m[i,j] = m[i] for a per-example mask), DL4J's
 * {@code LossUtil} semantics.
 */
public final class Multipliers {
    /** No weights, no mask. */
    public static final Multipliers NONE = new Multipliers(null, null);

    private final INDArray weights;
    private final INDArray mask;

    Multipliers(INDArray weights, INDArray mask) {
        this.weights = weights;
        this.mask = mask;
    }

    /** Multiplies {@code arr} ([rows, cols], owned by the caller) by w and m in place; returns it. */
    public INDArray applyInPlace(INDArray arr) {
        if (weights != null) {
            arr.muliRowVector(weights);
        }
        return applyMaskInPlace(arr);
    }

    /** Applies w and m to the loss and the gradient (each if present) of an element-wise loss. */
    public LossTerms applyTo(LossTerms terms) {
        if (terms.loss != null) {
            applyInPlace(terms.loss);
        }
        if (terms.gradient != null) {
            applyInPlace(terms.gradient);
        }
        return terms;
    }

    /**
     * Multiplies {@code arr} by the mask only. DL4J's layers multiply a per-output mask into the
     * pre-activations z in their forward pass ({@code BaseLayer.preOutput}) but do not backprop
     * through that product, so a loss whose activation mixes columns (softmax) must mask dL/dz
     * as well as dL/da, as DL4J's own losses do.
     */
    public INDArray applyMaskInPlace(INDArray arr) {
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
