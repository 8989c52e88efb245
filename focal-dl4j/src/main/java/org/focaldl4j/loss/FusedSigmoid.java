package org.focaldl4j.loss;

import java.nio.ByteBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused CPU pass of the two element-wise (sigmoid-form) losses from logits, {@link LossFocal} and
 * {@link LossFocalStar} (see {@link FusedPath}). One call reads labels and logits once and writes dL/dx,
 * the per-row sums of the weighted, masked loss and the first label outside [0, 1] — the same quantities
 * as the op path. Per element it is {@link SigmoidFocalElement#lossAndGradient} or
 * {@link FocalStarElement#lossAndGradient} (the scalar routine calls them; the Vector API kernel is a
 * lane-wise coding of both), times the column weight and the mask. Rows are split into chunks that run on
 * {@link FusedPath}'s pool; each chunk writes only its own rows and the row sums are added in row order,
 * so results do not depend on the split.
 */
final class FusedSigmoid {

    /** Everything one call needs; buffers are absolute, offsets in elements. */
    static final class Job {
        final int rows;
        final int cols;
        final boolean isFloat;
        final ByteBuffer x;
        final int xOff;
        final ByteBuffer y;
        final int yOff;
        final ByteBuffer outputMask;      // per-output mask, or null
        final int maskOff;
        final double[] rowMask;           // per-example mask, or null
        final double[] weights;           // per-column weights, or null
        final float[] weightsF;
        final ByteBuffer grad;            // null when no gradient is wanted
        final boolean star;               // FL* (LossFocalStar) rather than FL (LossFocal)
        final double alpha;               // < 0: off
        final double gamma;
        final double beta;                // FL* only
        final double smoothing;
        final double[] rowLoss;
        final long[] firstBad;            // per chunk: first flat index of a label outside [0, 1], or −1

        Job(INDArray x, INDArray y, INDArray mask, INDArray weights, INDArray grad, boolean star, double alpha,
            double gamma, double beta, double smoothing, int chunks) {
            this.rows = (int) x.size(0);
            this.cols = (int) x.size(1);
            this.isFloat = x.dataType() == DataType.FLOAT;
            this.x = FusedPath.buffer(x);
            this.xOff = (int) x.offset();
            this.y = FusedPath.buffer(y);
            this.yOff = (int) y.offset();
            boolean perExample = mask != null && mask.size(1) == 1 && cols != 1;
            this.outputMask = mask == null || perExample ? null : FusedPath.buffer(mask);
            this.maskOff = outputMask == null ? 0 : (int) mask.offset();
            this.rowMask = perExample ? mask.toDoubleVector() : null;                  // a copy, as double
            this.weights = weights == null ? null : weights.toDoubleVector();
            this.weightsF = weights == null ? null : weights.toFloatVector();
            this.grad = grad == null ? null : FusedPath.buffer(grad);
            this.star = star;
            this.alpha = alpha;
            this.gamma = gamma;
            this.beta = beta;
            this.smoothing = smoothing;
            this.rowLoss = new double[rows];
            this.firstBad = new long[chunks];
            java.util.Arrays.fill(firstBad, -1);
        }

        void recordBad(int chunk, long e) {
            if (firstBad[chunk] < 0 || e < firstBad[chunk]) {
                firstBad[chunk] = e;
            }
        }

        double maskAt(int r, int e) {
            double m = rowMask == null ? 1.0 : rowMask[r];
            if (outputMask != null) {
                m *= isFloat ? outputMask.getFloat((maskOff + e) * 4) : outputMask.getDouble((maskOff + e) * 8);
            }
            return m;
        }
    }

    private FusedSigmoid() {
    }

    /** {@link LossFocal}'s pass over contiguous 'c' arrays x, y (same dtype) and optional mask/weights. */
    static FusedPath.Output focal(INDArray x, INDArray y, INDArray mask, INDArray weights, double alpha, double gamma,
                                  double smoothing, boolean wantGradient) {
        return run(x, y, mask, weights, false, alpha, gamma, 0.0, smoothing, wantGradient,
                FusedPath.chunks((int) x.size(0), x.length()));
    }

    /** {@link LossFocalStar}'s pass, likewise. */
    static FusedPath.Output star(INDArray x, INDArray y, INDArray mask, INDArray weights, double alpha, double gamma,
                                 double beta, double smoothing, boolean wantGradient) {
        return run(x, y, mask, weights, true, alpha, gamma, beta, smoothing, wantGradient,
                FusedPath.chunks((int) x.size(0), x.length()));
    }

    /** The pass split into {@code chunks} chunks of rows (tests vary the split; the results must not change). */
    static FusedPath.Output run(INDArray x, INDArray y, INDArray mask, INDArray weights, boolean star, double alpha,
                                double gamma, double beta, double smoothing, boolean wantGradient, int chunks) {
        int rows = (int) x.size(0);
        INDArray grad = wantGradient ? Nd4j.createUninitialized(x.dataType(), x.shape(), 'c') : null;
        Job job = new Job(x, y, mask, weights, grad, star, alpha, gamma, beta, smoothing, chunks);
        boolean vector = job.isFloat && FusedPath.vectorized();
        FusedPath.forEachChunk(chunks, chunk -> {
            int r0 = (int) ((long) rows * chunk / chunks);
            int r1 = (int) ((long) rows * (chunk + 1) / chunks);
            if (vector) {
                VectorKernels.sigmoid(job, r0, r1, chunk);
            } else {
                scalarRows(job, r0, r1, chunk);
            }
        });
        return new FusedPath.Output(grad, job.rowLoss, FusedPath.firstOf(job.firstBad));
    }

    /** The plain-Java kernel: rows [r0, r1), double arithmetic whatever the storage type. */
    static void scalarRows(Job j, int r0, int r1, int chunk) {
        double[] gradient = new double[1];
        for (int r = r0; r < r1; r++) {
            double sum = 0;
            for (int c = 0; c < j.cols; c++) {
                sum += scalarElement(j, r, c, chunk, gradient);
            }
            j.rowLoss[r] = sum;
        }
    }

    /**
     * One element: validates its label, writes its weighted, masked gradient and returns its weighted,
     * masked loss. {@code gradient} is a one-element scratch array.
     */
    static double scalarElement(Job j, int r, int c, int chunk, double[] gradient) {
        int e = r * j.cols + c;
        double x = j.isFloat ? j.x.getFloat((j.xOff + e) * 4) : j.x.getDouble((j.xOff + e) * 8);
        double yRaw = j.isFloat ? j.y.getFloat((j.yOff + e) * 4) : j.y.getDouble((j.yOff + e) * 8);
        if (!(yRaw >= 0.0 && yRaw <= 1.0)) {
            j.recordBad(chunk, e);
        }
        double mult = j.maskAt(r, e) * (j.weights == null ? 1.0 : j.weights[c]);
        double y = j.smoothing > 0 ? yRaw * (1 - j.smoothing) + j.smoothing / 2 : yRaw;
        double[] g = j.grad == null ? null : gradient;
        double loss = j.star ? FocalStarElement.lossAndGradient(x, y, j.alpha, j.gamma, j.beta, g)
                : SigmoidFocalElement.lossAndGradient(x, y, j.alpha, j.gamma, g);
        if (j.grad != null) {
            double d = mult * gradient[0];
            if (j.isFloat) {
                j.grad.putFloat(e * 4, (float) d);
            } else {
                j.grad.putDouble(e * 8, d);
            }
        }
        return mult * loss;
    }
}
