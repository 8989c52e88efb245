package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a loss kernel hands back to {@link AbstractFocalLoss}: the per-element loss (weights and mask
 * already applied) and, when asked for, dL/dpreOutput. Both are new arrays the caller may overwrite.
 */
public final class LossTerms {
    /** Per-element loss, shape [rows, cols]; null if not requested. */
    public final INDArray loss;
    /** dL/dpreOutput, shape [rows, cols]; null if not requested. */
    public final INDArray gradient;

    public LossTerms(INDArray loss, INDArray gradient) {
        this.loss = loss;
        this.gradient = gradient;
    }
}
