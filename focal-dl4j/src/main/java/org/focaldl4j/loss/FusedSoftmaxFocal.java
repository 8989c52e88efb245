package org.focaldl4j.loss;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused CPU pass of {@link LossCategoricalFocal} from logits (see {@link FusedEligibility}): one read of each
 * row's logits and labels, in double arithmetic whatever the storage type, the same lines as the op path
 * ({@link LossCategoricalFocal#fromLogits}). Per row, with m = max_c x_c:
 * <pre>
 *   e_c = exp(x_c − m),  log p_c = (x_c − m) − log Σ_k e_k,  p_c = e_c / Σ_k e_k,  q_c = 1 − p_c
 *   a_c = (y_c·α_c)·(w_c·mask),  ℓ_c = a_c·q_c^γ·(−log p_c),  g_c = −a_c·q_c^γ·(1 + γ·min(p_c·(−log p_c)/q_c, 1))
 *   dL/dx_j = g_j − p_j·Σ_c g_c
 * </pre>
 * (one exp per element; the op path's exp(log p) differs only by rounding). With the Vector API, FLOAT rows
 * take e_c from {@link VectorMath#shiftedExp} (exactly specified lane operations, so the bits do not
 * depend on the JIT either); the rest is the same double arithmetic. Classes with a_c = 0 — all but one
 * of a one-hot row — add exactly 0 to the loss and to Σ g, and are skipped. As on the op path, log p is
 * floored at −(the storage type's largest value) where a row's spread overflows it, and a non-finite
 * logit makes its row NaN. Labels outside [0, 1] and unmasked label rows whose sum (in double) is more
 * than the tolerance from 1 are found in the pass; the caller names them. Rows are split into chunks on
 * {@link FusedPool}'s threads; each chunk writes only its own rows, so results do not depend on the split.
 */
final class FusedSoftmaxFocal {

    private FusedSoftmaxFocal() {
    }

    /**
     * The pass over contiguous 'c' arrays x, y (same dtype, FLOAT or DOUBLE), an optional per-example
     * mask [rows, 1], optional per-column weights and per-class α (length cols, checked by the caller).
     */
    static FusedOutput run(INDArray x, INDArray y, INDArray rowMask, INDArray weights, double[] alpha,
                                double gamma, double smoothing, boolean wantGradient) {
        return run(x, y, rowMask, weights, alpha, gamma, smoothing, wantGradient,
                FusedPool.chunks((int) x.size(0), x.length()));
    }

    /** The pass split into {@code chunks} chunks of rows (tests vary the split; the results must not change). */
    static FusedOutput run(INDArray x, INDArray y, INDArray rowMask, INDArray weights, double[] alpha,
                                double gamma, double smoothing, boolean wantGradient, int chunks) {
        int rows = (int) x.size(0);
        int cols = (int) x.size(1);
        boolean isFloat = x.dataType() == DataType.FLOAT;
        INDArray grad = wantGradient ? Nd4j.createUninitialized(x.dataType(), x.shape(), 'c') : null;
        double[] m = rowMask == null ? null : rowMask.toDoubleVector();
        double[] w = weights == null ? null : weights.toDoubleVector();
        boolean vector = isFloat && KernelChoice.vectorized();
        RowBuffers in = new RowBuffers(x, y, grad, isFloat, vector);
        double floor = -(isFloat ? Float.MAX_VALUE : Double.MAX_VALUE);
        double keep = 1 - smoothing;
        double shift = smoothing / cols;
        double[] rowLoss = new double[rows];
        boolean[] rowSumOff = new boolean[chunks];
        long[] firstBad = new long[chunks];
        java.util.Arrays.fill(firstBad, -1);

        FusedPool.forEachChunk(chunks, chunk -> {
            int r0 = (int) ((long) rows * chunk / chunks);
            int r1 = (int) ((long) rows * (chunk + 1) / chunks);
            double[] xs = new double[cols];
            double[] ys = new double[cols];
            double[] p = new double[cols];
            double[] g = new double[cols];                                     // −0 except at the visited classes
            java.util.Arrays.fill(g, -0.0);
            int[] visit = new int[cols];
            int[] all = new int[cols];
            for (int c = 0; c < cols; c++) {
                all[c] = c;
            }
            RowBuffers.Scratch scratch = in.scratch(cols);
            for (int r = r0; r < r1; r++) {
                in.read(r, cols, xs, ys, scratch);
                double max = Double.NEGATIVE_INFINITY;
                double labelSum = 0;
                double finite = 0;                                             // NaN when a logit is ±∞ or NaN
                double mult = m == null ? 1.0 : m[r];
                int visits = 0;
                for (int c = 0; c < cols; c++) {
                    if (!(ys[c] >= 0.0 && ys[c] <= 1.0) && firstBad[chunk] < 0) {
                        firstBad[chunk] = (long) r * cols + c;
                    }
                    labelSum += ys[c];
                    max = Math.max(max, xs[c]);                                // NaN propagates
                    finite += xs[c] - xs[c];
                    // a class with y_c = 0 has a_c = 0·(w_c·m) = 0 and adds nothing, unless w_c·m overflows
                    if (ys[c] != 0 || (w != null && !(Math.abs(isFloat ? (float) (w[c] * mult) : w[c] * mult)
                            <= Double.MAX_VALUE))) {
                        visit[visits++] = c;
                    }
                }
                if (mult != 0 && Math.abs(labelSum - 1) > FocalParameters.LABEL_SUM_TOLERANCE) {
                    rowSumOff[chunk] = true;
                }
                double sumExp = 0;
                if (vector) {
                    VectorMath.shiftedExp(scratch.a, (float) max, scratch.e, scratch.e.length);
                    for (int c = 0; c < cols; c++) {
                        p[c] = scratch.e[c];                                      // e_c, then p_c below
                        sumExp += p[c];
                    }
                } else {
                    for (int c = 0; c < cols; c++) {
                        p[c] = Math.exp(xs[c] - max);                             // e_c, then p_c below
                        sumExp += p[c];
                    }
                }
                double logSumExp = Math.log(sumExp);
                double inverse = 1 / sumExp;
                for (int c = 0; c < cols; c++) {
                    // x − x is 0 for a finite logit and NaN otherwise: a ±∞ logit makes its row NaN, as on the op path
                    p[c] = p[c] * inverse + (xs[c] - xs[c]);
                }
                // With smoothing every class has a label; with a non-finite logit every class is NaN
                int[] classes = smoothing > 0 || finite != 0 ? all : visit;
                int count = classes == all ? cols : visits;
                double loss = 0;
                double gSum = 0;
                for (int i = 0; i < count; i++) {
                    int c = classes[i];
                    double notFinite = xs[c] - xs[c];
                    double pc = p[c];
                    // a_c = (y_c·α_c)·(w_c·m) in the op path's order, each factor rounded to the storage type as there,
                    // so that an overflow (∞, and 0·∞ = NaN) happens where it happens on the op path
                    double yc = smoothing > 0 ? ys[c] * keep + shift : ys[c];
                    double ya = alpha == null ? yc : yc * alpha[c];
                    double wm = w == null ? mult : w[c] * mult;
                    if (isFloat) {
                        ya = (float) ya;
                        wm = (float) wm;
                    }
                    double a = ya * wm;
                    if (a == 0 && notFinite == 0) {                               // exactly 0 and −0 on the op path
                        continue;
                    }
                    double logp = Math.max(xs[c] - max - logSumExp, floor) + notFinite;
                    double q = 1 - pc;
                    double aq = gamma == 0 ? a : SigmoidFocalElement.modulator(q, gamma) * a;
                    loss += aq * -logp;
                    double gc = -aq;
                    if (gamma != 0) {
                        gc *= 1 + gamma * Math.min(pc * -logp / Math.max(q, Double.MIN_NORMAL), 1.0);
                    }
                    g[c] = gc;
                    gSum += gc;
                }
                rowLoss[r] = loss;
                if (grad != null) {
                    in.writeGradient(r, cols, g, p, gSum, scratch);
                }
                for (int i = 0; i < count; i++) {
                    g[classes[i]] = -0.0;
                }
            }
        });
        boolean anyRowSumOff = false;
        for (boolean off : rowSumOff) {
            anyRowSumOff |= off;
        }
        return new FusedOutput(grad, rowLoss, FusedPool.firstOf(firstBad), anyRowSumOff);
    }

    /** Row-wise bulk access to the off-heap buffers, as double. */
    private static final class RowBuffers {
        final boolean isFloat;
        final int xOff;
        final int yOff;
        final FloatBuffer xf;
        final FloatBuffer yf;
        final FloatBuffer gf;
        final DoubleBuffer xd;
        final DoubleBuffer yd;
        final DoubleBuffer gd;

        /**
         * A thread's staging arrays. FLOAT rows: {@code a} holds the logits, padded with −∞ to whole vectors
         * when the Vector API computes the exponentials into {@code e}; {@code b} the labels, then the
         * gradient. DOUBLE rows: {@code d} the gradient.
         */
        static final class Scratch {
            final float[] a;
            final float[] b;
            final float[] e;
            final double[] d;

            Scratch(int cols, boolean isFloat, boolean vector) {
                int lanes = vector ? VectorMath.lanes() : 1;
                int padded = (cols + lanes - 1) / lanes * lanes;
                a = isFloat ? new float[padded] : null;
                if (isFloat) {
                    java.util.Arrays.fill(a, cols, padded, Float.NEGATIVE_INFINITY);
                }
                b = isFloat ? new float[cols] : null;
                e = isFloat && vector ? new float[padded] : null;
                d = isFloat ? null : new double[cols];
            }
        }

        final boolean vector;

        RowBuffers(INDArray x, INDArray y, INDArray grad, boolean isFloat, boolean vector) {
            this.isFloat = isFloat;
            this.vector = vector;
            this.xOff = (int) x.offset();
            this.yOff = (int) y.offset();
            boolean hasGrad = grad != null;
            xf = isFloat ? RawBuffers.buffer(x).asFloatBuffer() : null;
            yf = isFloat ? RawBuffers.buffer(y).asFloatBuffer() : null;
            gf = isFloat && hasGrad ? RawBuffers.buffer(grad).asFloatBuffer() : null;
            xd = isFloat ? null : RawBuffers.buffer(x).asDoubleBuffer();
            yd = isFloat ? null : RawBuffers.buffer(y).asDoubleBuffer();
            gd = !isFloat && hasGrad ? RawBuffers.buffer(grad).asDoubleBuffer() : null;
        }

        Scratch scratch(int cols) {
            return new Scratch(cols, isFloat, vector);
        }

        /** Row r of x and y into xs, ys. Absolute bulk gets: the buffers are shared by the chunks' threads. */
        void read(int r, int cols, double[] xs, double[] ys, Scratch s) {
            if (isFloat) {
                xf.get(xOff + r * cols, s.a, 0, cols);
                yf.get(yOff + r * cols, s.b, 0, cols);
                for (int c = 0; c < cols; c++) {
                    xs[c] = s.a[c];
                    ys[c] = s.b[c];
                }
            } else {
                xd.get(xOff + r * cols, xs);
                yd.get(yOff + r * cols, ys);
            }
        }

        /** Row r of the gradient (a new array with offset 0): g_c − p_c·gSum. */
        void writeGradient(int r, int cols, double[] g, double[] p, double gSum, Scratch s) {
            if (isFloat) {
                for (int c = 0; c < cols; c++) {
                    s.b[c] = (float) (g[c] - p[c] * gSum);
                }
                gf.put(r * cols, s.b, 0, cols);
            } else {
                for (int c = 0; c < cols; c++) {
                    s.d[c] = g[c] - p[c] * gSum;
                }
                gd.put(r * cols, s.d);
            }
        }
    }
}
