package org.focaldl4j.loss;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused CPU pass of {@link LossFocal} from logits (see {@link FusedPath}). One call reads
 * labels and logits once and writes dL/dx, per-row sums of the weighted, masked loss, the number of
 * positive labels (when asked for) and the first label outside [0, 1] — the same quantities as the op path, with the
 * same formulas as {@link LossFocal#fromLogits}:
 * <pre>
 *   e = exp(−|x|),  σ(|x|) = 1/(1+e),  p = σ(x),  1−p = σ(−x)     (selected by the sign of x)
 *   BCE = max(x,0) − x·y + log1p(e),  q = y(1−p) + (1−y)p
 *   ℓ = α_t q^γ BCE,  dℓ/dx = α_t q^γ [p(1−y) − y(1−p) + γ·BCE·(1−2y)·p(1−p)/q]
 * </pre>
 * Rows are split into chunks processed in parallel; each chunk writes only its own rows.
 */
final class FusedSigmoidFocal {

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
        final double alpha;               // < 0: off
        final double gamma;
        final double smoothing;
        final boolean countPositives;     // only POSITIVES normalisation needs the count
        final double[] rowLoss;
        final long[] positives;           // per chunk
        final long[] firstBad;            // per chunk: first flat index of a label outside [0, 1], or −1

        Job(INDArray x, INDArray y, INDArray mask, INDArray weights, INDArray grad, double alpha, double gamma,
            double smoothing, boolean countPositives, int chunks) {
            this.rows = (int) x.size(0);
            this.cols = (int) x.size(1);
            this.isFloat = x.dataType() == DataType.FLOAT;
            this.x = buffer(x);
            this.xOff = (int) x.offset();
            this.y = buffer(y);
            this.yOff = (int) y.offset();
            boolean perExample = mask != null && mask.size(1) == 1 && cols != 1;
            this.outputMask = mask == null || perExample ? null : buffer(mask);
            this.maskOff = outputMask == null ? 0 : (int) mask.offset();
            this.rowMask = perExample ? mask.castTo(DataType.DOUBLE).dup().reshape(rows).toDoubleVector() : null;
            this.weights = weights == null ? null : weights.castTo(DataType.DOUBLE).dup().reshape(cols).toDoubleVector();
            this.weightsF = weights == null ? null : weights.castTo(DataType.FLOAT).dup().reshape(cols).toFloatVector();
            this.grad = grad == null ? null : buffer(grad);
            this.alpha = alpha;
            this.gamma = gamma;
            this.smoothing = smoothing;
            this.countPositives = countPositives;
            this.rowLoss = new double[rows];
            this.positives = new long[chunks];
            this.firstBad = new long[chunks];
        }

        private static ByteBuffer buffer(INDArray a) {
            return a.data().asNio().duplicate().order(ByteOrder.nativeOrder());
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

    /** Result of one fused pass. */
    static final class Output {
        final INDArray gradient;
        final double[] rowLoss;
        final long positives;
        final long firstBadLabel;     // flat index, or −1

        Output(INDArray gradient, double[] rowLoss, long positives, long firstBadLabel) {
            this.gradient = gradient;
            this.rowLoss = rowLoss;
            this.positives = positives;
            this.firstBadLabel = firstBadLabel;
        }
    }

    private FusedSigmoidFocal() {
    }

    /** Runs the pass over contiguous 'c' arrays x, y (same dtype) and optional mask/weights. */
    static Output run(INDArray x, INDArray y, INDArray mask, INDArray weights, double alpha, double gamma,
                      double smoothing, boolean countPositives, boolean wantGradient) {
        int rows = (int) x.size(0);
        int chunks = Math.max(1, Math.min(rows, 4 * Runtime.getRuntime().availableProcessors()));
        INDArray grad = wantGradient ? Nd4j.createUninitialized(x.dataType(), x.shape(), 'c') : null;
        Job job = new Job(x, y, mask, weights, grad, alpha, gamma, smoothing, countPositives, chunks);
        boolean vector = job.isFloat && FusedPath.vectorized();
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            int r0 = (int) ((long) rows * chunk / chunks);
            int r1 = (int) ((long) rows * (chunk + 1) / chunks);
            job.firstBad[chunk] = -1;
            if (vector) {
                VectorKernels.sigmoidFocal(job, r0, r1, chunk);
            } else {
                scalarRows(job, r0, r1, chunk);
            }
        });
        long positives = 0;
        long firstBad = -1;
        for (int c = 0; c < chunks; c++) {
            positives += job.positives[c];
            if (firstBad < 0 && job.firstBad[c] >= 0) {
                firstBad = job.firstBad[c];
            }
        }
        return new Output(grad, job.rowLoss, positives, firstBad);
    }

    /** The plain-Java kernel: rows [r0, r1), double arithmetic whatever the storage type. */
    static void scalarRows(Job j, int r0, int r1, int chunk) {
        for (int r = r0; r < r1; r++) {
            double sum = 0;
            for (int c = 0; c < j.cols; c++) {
                sum += scalarElement(j, r, c, chunk);
            }
            j.rowLoss[r] = sum;
        }
    }

    /** One element: returns its weighted, masked loss, writes its gradient, counts and validates its label. */
    static double scalarElement(Job j, int r, int c, int chunk) {
        int e = r * j.cols + c;
        double x = j.isFloat ? j.x.getFloat((j.xOff + e) * 4) : j.x.getDouble((j.xOff + e) * 8);
        double yRaw = j.isFloat ? j.y.getFloat((j.yOff + e) * 4) : j.y.getDouble((j.yOff + e) * 8);
        double mask = j.maskAt(r, e);
        if (!(yRaw >= 0.0 && yRaw <= 1.0)) {
            j.recordBad(chunk, e);
        } else if (j.countPositives && yRaw >= 0.5 && mask != 0.0) {
            j.positives[chunk]++;
        }
        double mult = mask * (j.weights == null ? 1.0 : j.weights[c]);
        double y = j.smoothing > 0 ? yRaw * (1 - j.smoothing) + j.smoothing / 2 : yRaw;

        double ex = Math.exp(-Math.abs(x));
        double s = 1.0 / (1.0 + ex);
        double p = x >= 0 ? s : ex * s;
        double pm = x >= 0 ? ex * s : s;
        double bce = Math.max(x, 0.0) - x * y + Math.log1p(ex);
        double q = y * pm + (1 - y) * p;
        double w = modulator(q, j.gamma);
        double scale = mult * w * (j.alpha < 0 ? 1.0 : (1 - j.alpha) + y * (2 * j.alpha - 1));
        if (j.grad != null) {
            double grad = p * (1 - y) - y * pm;
            if (j.gamma != 0) {
                grad += j.gamma * bce * (1 - 2 * y) * (p * pm / Math.max(q, Double.MIN_NORMAL));
            }
            grad *= scale;
            if (j.isFloat) {
                j.grad.putFloat(e * 4, (float) grad);
            } else {
                j.grad.putDouble(e * 8, grad);
            }
        }
        return scale * bce;
    }

    /** q^γ with the common integer γ as products (and q^0 = 1, never 0^0). */
    static double modulator(double q, double gamma) {
        if (gamma == 0) {
            return 1.0;
        } else if (gamma == 1) {
            return q;
        } else if (gamma == 2) {
            return q * q;
        }
        return Math.pow(q, gamma);
    }
}
