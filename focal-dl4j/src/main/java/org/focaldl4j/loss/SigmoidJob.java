package org.focaldl4j.loss;

import java.nio.ByteBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Everything one call of {@link FusedSigmoid} needs, shared by its scalar routine and {@link VectorKernels}: the
 * arrays' buffers (absolute, offsets in elements), the masks and weights, the variant ({@link FocalVariant#SIGMOID}
 * or {@link FocalVariant#STAR}) and its parameters, and what the chunks write (row sums, first bad label per chunk).
 */
final class SigmoidJob {

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
    final FocalVariant variant;       // SIGMOID (LossFocal) or STAR (LossFocalStar)
    final double alpha;               // < 0: off
    final double gamma;
    final double beta;                // FL* only
    final double smoothing;
    final double[] rowLoss;
    final long[] firstBad;            // per chunk: first flat index of a label outside [0, 1], or −1

    SigmoidJob(INDArray x, INDArray y, INDArray mask, INDArray weights, INDArray grad, FocalVariant variant, double alpha,
        double gamma, double beta, double smoothing, int chunks) {
        this.rows = (int) x.size(0);
        this.cols = (int) x.size(1);
        this.isFloat = x.dataType() == DataType.FLOAT;
        this.x = RawBuffers.buffer(x);
        this.xOff = (int) x.offset();
        this.y = RawBuffers.buffer(y);
        this.yOff = (int) y.offset();
        boolean perExample = mask != null && mask.size(1) == 1 && cols != 1;
        this.outputMask = mask == null || perExample ? null : RawBuffers.buffer(mask);
        this.maskOff = outputMask == null ? 0 : (int) mask.offset();
        this.rowMask = perExample ? mask.toDoubleVector() : null;                  // a copy, as double
        this.weights = weights == null ? null : weights.toDoubleVector();
        this.weightsF = weights == null ? null : weights.toFloatVector();
        this.grad = grad == null ? null : RawBuffers.buffer(grad);
        this.variant = variant;
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

    /**
     * One element: validates its label, writes its weighted, masked gradient and returns its weighted,
     * masked loss. {@code gradient} is a one-element scratch array.
     */
    double element(int r, int c, int chunk, double[] gradient) {
        int e = r * cols + c;
        double logit = isFloat ? x.getFloat((xOff + e) * 4) : x.getDouble((xOff + e) * 8);
        double yRaw = isFloat ? y.getFloat((yOff + e) * 4) : y.getDouble((yOff + e) * 8);
        if (!(yRaw >= 0.0 && yRaw <= 1.0)) {
            recordBad(chunk, e);
        }
        double mult = maskAt(r, e) * (weights == null ? 1.0 : weights[c]);
        double label = smoothing > 0 ? yRaw * (1 - smoothing) + smoothing / 2 : yRaw;
        double[] g = grad == null ? null : gradient;
        double loss = variant == FocalVariant.STAR ? FocalStarElement.lossAndGradient(logit, label, alpha, gamma, beta, g)
                : SigmoidFocalElement.lossAndGradient(logit, label, alpha, gamma, g);
        if (grad != null) {
            double d = mult * gradient[0];
            if (isFloat) {
                grad.putFloat(e * 4, (float) d);
            } else {
                grad.putDouble(e * 8, d);
            }
        }
        return mult * loss;
    }
}
