package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused CPU pass of the two element-wise (sigmoid-form) losses from logits, {@link LossFocal} and
 * {@link LossFocalStar} (see {@link FusedEligibility}). One call reads labels and logits once and writes dL/dx,
 * the per-row sums of the weighted, masked loss and the first label outside [0, 1] — the same quantities
 * as the op path. Per element it is {@link SigmoidFocalElement#lossAndGradient} or
 * {@link FocalStarElement#lossAndGradient} (the scalar routine calls them; the Vector API kernel is a
 * lane-wise coding of both), times the column weight and the mask. Rows are split into chunks that run on
 * {@link FusedPool}'s threads; each chunk writes only its own rows and the row sums are added in row order,
 * so results do not depend on the split.
 */
final class FusedSigmoid {

    private FusedSigmoid() {
    }

    /** {@link LossFocal}'s pass over contiguous 'c' arrays x, y (same dtype) and optional mask/weights. */
    static FusedOutput focal(INDArray x, INDArray y, INDArray mask, INDArray weights, double alpha, double gamma,
                                  double smoothing, boolean wantGradient) {
        return run(x, y, mask, weights, FocalVariant.SIGMOID, alpha, gamma, 0.0, smoothing, wantGradient,
                FusedPool.chunks((int) x.size(0), x.length()));
    }

    /** {@link LossFocalStar}'s pass, likewise. */
    static FusedOutput star(INDArray x, INDArray y, INDArray mask, INDArray weights, double alpha, double gamma,
                                 double beta, double smoothing, boolean wantGradient) {
        return run(x, y, mask, weights, FocalVariant.STAR, alpha, gamma, beta, smoothing, wantGradient,
                FusedPool.chunks((int) x.size(0), x.length()));
    }

    /** The pass split into {@code chunks} chunks of rows (tests vary the split; the results must not change). */
    static FusedOutput run(INDArray x, INDArray y, INDArray mask, INDArray weights, FocalVariant variant, double alpha,
                                double gamma, double beta, double smoothing, boolean wantGradient, int chunks) {
        int rows = (int) x.size(0);
        INDArray grad = wantGradient ? Nd4j.createUninitialized(x.dataType(), x.shape(), 'c') : null;
        SigmoidJob job = new SigmoidJob(x, y, mask, weights, grad, variant, alpha, gamma, beta, smoothing, chunks);
        boolean vector = job.isFloat && KernelChoice.vectorized();
        FusedPool.forEachChunk(chunks, chunk -> {
            int r0 = (int) ((long) rows * chunk / chunks);
            int r1 = (int) ((long) rows * (chunk + 1) / chunks);
            if (vector) {
                VectorKernels.sigmoid(job, r0, r1, chunk);
            } else {
                scalarRows(job, r0, r1, chunk);
            }
        });
        return new FusedOutput(grad, job.rowLoss, FusedPool.firstOf(job.firstBad));
    }

    /** The plain-Java kernel: rows [r0, r1), double arithmetic whatever the storage type. */
    static void scalarRows(SigmoidJob j, int r0, int r1, int chunk) {
        double[] gradient = new double[1];
        for (int r = r0; r < r1; r++) {
            double sum = 0;
            for (int c = 0; c < j.cols; c++) {
                sum += j.element(r, c, chunk, gradient);
            }
            j.rowLoss[r] = sum;
        }
    }
}
