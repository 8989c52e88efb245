package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Result of one fused pass: what the op path computes, plus the first label it refused. */
final class FusedOutput {

    final INDArray gradient;      // null when not asked for
    final double[] rowLoss;       // weighted, masked loss summed per row
    final long firstBadLabel;     // flat index of the first label outside [0, 1], or −1
    final boolean rowSumOff;      // softmax form: an unmasked label row does not sum to 1 (the caller names it)

    FusedOutput(INDArray gradient, double[] rowLoss, long firstBadLabel) {
        this(gradient, rowLoss, firstBadLabel, false);
    }

    FusedOutput(INDArray gradient, double[] rowLoss, long firstBadLabel, boolean rowSumOff) {
        this.gradient = gradient;
        this.rowLoss = rowLoss;
        this.firstBadLabel = firstBadLabel;
        this.rowSumOff = rowSumOff;
    }
}
