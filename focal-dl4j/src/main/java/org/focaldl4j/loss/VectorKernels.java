package org.focaldl4j.loss;

import java.nio.FloatBuffer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API (jdk.incubator.vector) kernels for FLOAT data. Only loaded when {@link KernelChoice}
 * found the module in the boot layer; the arithmetic is a lane-wise coding of
 * {@link SigmoidFocalElement#lossAndGradient} or {@link FocalStarElement#lossAndGradient} (tested against
 * them), {@code SPECIES_PREFERRED} lanes at a time (rows narrower than one vector go to the scalar routine).
 *
 * <p><b>Reproducible bits.</b> The kernel uses only lane-wise operations that Java specifies exactly
 * (+, −, ×, ÷, fused multiply-add, min/max, compare, blend, bit reinterpretation) and {@link VectorMath}'s
 * exponential and logarithms, so it gives the same bits whether HotSpot interprets it or has compiled it. Row
 * sums add the lanes in order, for the same reason.
 *
 * <p><b>Stages.</b> A row is staged into small heap arrays and goes through array-to-array stages — the
 * exponentials, their log1p, for a general γ the modulating factor, then loss and gradient — each one
 * loop over the row (which stays in L1) whose body calls nothing but Vector API methods. No vector is
 * ever passed to or returned from a method of this class: C2 inlines the Vector API's methods whatever
 * the size of the compilation, but not ours, and a vector that crosses a call that was not inlined is
 * boxed on the heap (the kernel written with helper methods allocated 18 bytes per element and ran
 * about 1.6× slower, depending on the order in which C2 happened to compile it).
 */
final class VectorKernels {

    private static final VectorSpecies<Float> S = VectorMath.S;
    /** Vectors accumulated in FLOAT lanes before their sums move to the row's DOUBLE sum. */
    private static final int FLUSH = 256;

    private VectorKernels() {
    }

    /** A {@link SigmoidJob}'s rows [r0, r1): FL or FL* as the job says. */
    static void sigmoid(SigmoidJob j, int r0, int r1, int chunk) {
        ChunkStaging k = new ChunkStaging(j);
        for (int r = r0; r < r1; r++) {
            k.load(r);
            checkLabels(j, k, r, chunk);
            if (k.smooth) {
                smoothLabels(k);                                            // yl = y·(1 − ε) + ε/2
            }
            double sum;
            if (j.variant == FocalVariant.STAR) {
                starArgument(k);                                            // ex = −|u|
                VectorMath.exp(k.ex, k.ex, k.bound);
                VectorMath.log1p(k.ex, k.lp, k.bound);
                sum = starLanes(k);
            } else {
                negativeAbs(k.xs, k.ex, k.bound);                           // ex = −|x|
                VectorMath.exp(k.ex, k.ex, k.bound);
                VectorMath.log1p(k.ex, k.lp, k.bound);
                if (k.power < 0) {                                          // mod = q^γ = exp(γ·log q)
                    focalQ(k);
                    VectorMath.log(k.mod, k.mod, k.bound);
                    scale(k.mod, k.gamma, k.bound);
                    VectorMath.exp(k.mod, k.mod, k.bound);
                }
                sum = focalLanes(k);
            }
            if (k.gs != null && k.lanesCols > 0) {
                k.gb.put(r * j.cols, k.gs, 0, k.lanesCols);
            }
            for (int c = k.lanesCols; c < j.cols; c++) {                     // rows narrower than a vector
                sum += j.element(r, c, chunk, k.gradient);    // writes its own gradient
            }
            j.rowLoss[r] = sum;
        }
    }

    /**
     * One chunk's constants (as floats) and its row staging: rows are copied into small heap arrays (bulk
     * FloatBuffer get/put are memcpy intrinsics, and array loads vectorise better than JDK 17's buffer
     * loads), with the row's multiplier (row mask · output mask) · weight precomputed. A row at least one
     * vector wide is padded to whole vectors (x = y = 0 in the padding, multiplier 0, so the padding adds
     * exactly 0 to the row's loss and its gradient is not written); a narrower row is left to the scalar
     * routine.
     */
    private static final class ChunkStaging {
        final SigmoidJob j;
        final int bound;                    // the staged width: the row padded to whole vectors, or 0
        final int lanesCols;                // the row's columns done in lanes: cols, or 0
        final int power;                    // γ when it is 0, 1 or 2 (FL), else −1
        final float gamma;
        final float beta;
        final float betaOverGamma;
        final float inverseGamma;
        final boolean alphaOn;
        final float alphaSlope;
        final float alphaBase;
        final boolean smooth;
        final float keep;
        final float shift;
        final boolean multiplied;
        final boolean rowVarying;           // a mask: the multiplier changes from row to row
        final FloatBuffer xb;
        final FloatBuffer yb;
        final FloatBuffer mb;
        final FloatBuffer gb;
        final float[] xs;
        final float[] ys;
        final float[] yl;                   // the labels the loss uses: ys, or ys smoothed
        final float[] ms;                   // the output mask's row
        final float[] mult;                 // the multiplier per column, when any factor is given
        final float[] gs;
        final float[] ex;                   // e^−|x| (FL) or e^−|u| (FL*)
        final float[] lp;                   // log1p(ex)
        final float[] mod;                  // q^γ, for a γ other than 0, 1, 2
        final float[] lanes = new float[S.length()];
        final double[] gradient = new double[1];                                    // the scalar tail's scratch

        ChunkStaging(SigmoidJob j) {
            this.j = j;
            this.lanesCols = j.cols >= S.length() ? j.cols : 0;
            this.bound = lanesCols == 0 ? 0 : (j.cols + S.length() - 1) / S.length() * S.length();
            this.gamma = (float) j.gamma;
            this.power = j.variant == FocalVariant.STAR ? 0 : gamma == 0f ? 0 : gamma == 1f ? 1 : gamma == 2f ? 2 : -1;
            this.beta = (float) j.beta;
            this.betaOverGamma = (float) (j.beta / j.gamma);
            this.inverseGamma = (float) (1 / j.gamma);
            this.alphaOn = j.alpha >= 0;
            this.alphaSlope = (float) (2 * j.alpha - 1);
            this.alphaBase = (float) (1 - j.alpha);
            this.smooth = j.smoothing > 0;
            this.keep = (float) (1 - j.smoothing);
            this.shift = (float) (j.smoothing / 2);
            this.multiplied = j.rowMask != null || j.outputMask != null || j.weightsF != null || bound > j.cols;
            this.xb = j.x.asFloatBuffer();
            this.yb = j.y.asFloatBuffer();
            this.mb = j.outputMask == null ? null : j.outputMask.asFloatBuffer();
            this.gb = j.grad == null ? null : j.grad.asFloatBuffer();
            int width = Math.max(bound, j.cols);
            this.xs = new float[width];                                     // the padding stays 0
            this.ys = new float[width];
            this.yl = smooth ? new float[width] : ys;
            this.ms = mb == null ? null : new float[j.cols];
            this.mult = multiplied ? new float[bound] : null;              // the padding stays 0
            this.gs = gb == null ? null : new float[width];
            this.ex = new float[bound];
            this.lp = new float[bound];
            this.mod = power < 0 ? new float[bound] : null;
            this.rowVarying = j.rowMask != null || j.outputMask != null;
            if (multiplied && !rowVarying) {                              // weights and/or padding: the same every row
                for (int c = 0; c < Math.min(bound, j.cols); c++) {
                    mult[c] = j.weightsF == null ? 1f : 1f * j.weightsF[c];
                }
            }
        }

        void load(int r) {
            int cols = j.cols;
            xb.get(j.xOff + r * cols, xs, 0, cols);
            yb.get(j.yOff + r * cols, ys, 0, cols);
            if (rowVarying) {
                float rowMask = j.rowMask == null ? 1f : (float) j.rowMask[r];
                if (ms != null) {
                    mb.get(j.maskOff + r * cols, ms);
                }
                for (int c = 0; c < Math.min(bound, cols); c++) {          // a scalar row forms its own
                    float m = ms == null ? rowMask : rowMask * ms[c];
                    mult[c] = j.weightsF == null ? m : m * j.weightsF[c];
                }
            }
        }

        /** Adds {@link #lanes} to sum in lane order (deterministic). */
        double addLanes(double sum) {
            for (float lane : lanes) {
                sum += lane;
            }
            return sum;
        }
    }

    /** Records the row's first label outside [0, 1] (NaN included) among the lane-coded columns. */
    private static void checkLabels(SigmoidJob j, ChunkStaging k, int r, int chunk) {
        FloatVector lowest = FloatVector.zero(S);
        FloatVector highest = FloatVector.zero(S);
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector y = FloatVector.fromArray(S, k.ys, c);
            lowest = lowest.min(y);                                                 // NaN propagates
            highest = highest.max(y);
        }
        float lo = lowest.reduceLanes(VectorOperators.MIN);
        float hi = highest.reduceLanes(VectorOperators.MAX);
        if (!(lo >= 0f && hi <= 1f)) {                                              // rare: find the culprit
            for (int c = 0; c < k.bound; c++) {
                if (!(k.ys[c] >= 0f && k.ys[c] <= 1f)) {
                    j.recordBad(chunk, (long) r * j.cols + c);             // never the padding: 0 there
                    break;
                }
            }
        }
    }

    /** yl = ys·(1 − ε) + ε/2 over the staged width (the labels checked as given, the loss on these). */
    private static void smoothLabels(ChunkStaging k) {
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector.fromArray(S, k.ys, c).fma(k.keep, k.shift).intoArray(k.yl, c);
        }
    }

    /** out = −|in| over [0, n). */
    private static void negativeAbs(float[] in, float[] out, int n) {
        for (int c = 0; c < n; c += S.length()) {
            FloatVector.fromArray(S, in, c).abs().neg().intoArray(out, c);
        }
    }

    /** a = a·factor over [0, n). */
    private static void scale(float[] a, float factor, int n) {
        for (int c = 0; c < n; c += S.length()) {
            FloatVector.fromArray(S, a, c).mul(factor).intoArray(a, c);
        }
    }

    /**
     * FL, general γ: mod = q = y·σ(−x) + (1 − y)·σ(x) (the modulating factor's base; the caller raises it
     * to γ), from x, the smoothed label and ex = e^−|x|.
     */
    private static void focalQ(ChunkStaging k) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, k.xs, c);
            FloatVector y = FloatVector.fromArray(S, k.yl, c);
            FloatVector e = FloatVector.fromArray(S, k.ex, c);
            FloatVector s = one.div(one.add(e));                                   // σ(|x|)
            FloatVector es = e.mul(s);                                              // σ(−|x|)
            VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
            FloatVector p = es.blend(s, nonNegative);                               // σ(x)
            FloatVector pm = s.blend(es, nonNegative);                              // σ(−x)
            y.fma(pm, one.sub(y).mul(p)).intoArray(k.mod, c);
        }
    }

    /**
     * FL's last stage ({@link SigmoidFocalElement}'s lines) from x, the label, ex = e^−|x|, lp = log1p(ex)
     * and, for a general γ, mod = q^γ: writes the gradient and returns the row's loss sum.
     */
    private static double focalLanes(ChunkStaging k) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector tiny = FloatVector.broadcast(S, Float.MIN_NORMAL);
        final FloatVector gamma = FloatVector.broadcast(S, k.gamma);
        final int power = k.power;
        FloatVector acc = FloatVector.zero(S);
        double sum = 0;                     // lane sums of each block of FLUSH vectors, added in order (deterministic)
        int block = 0;
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, k.xs, c);
            FloatVector y = FloatVector.fromArray(S, k.yl, c);
            FloatVector e = FloatVector.fromArray(S, k.ex, c);                     // e^−|x|
            FloatVector s = one.div(one.add(e));                                    // σ(|x|)
            FloatVector es = e.mul(s);                                              // σ(−|x|)
            VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
            FloatVector p = es.blend(s, nonNegative);                               // σ(x)
            FloatVector pm = s.blend(es, nonNegative);                              // σ(−x)
            FloatVector oneMinusY = one.sub(y);
            FloatVector bce = x.neg().fma(y, x.max(0f)).add(FloatVector.fromArray(S, k.lp, c));
            FloatVector q = y.fma(pm, oneMinusY.mul(p));

            FloatVector scale = k.alphaOn ? y.fma(k.alphaSlope, k.alphaBase) : one;  // α_t·q^γ (·w·m)
            if (power == 1) {
                scale = q.mul(scale);
            } else if (power == 2) {
                scale = q.mul(q).mul(scale);
            } else if (power < 0) {
                scale = FloatVector.fromArray(S, k.mod, c).mul(scale);
            }
            if (k.multiplied) {
                scale = scale.mul(FloatVector.fromArray(S, k.mult, c));
            }
            acc = acc.add(scale.mul(bce));
            if (++block == FLUSH) {                       // bound FLOAT accumulation: long rows stay within 2e-4
                acc.intoArray(k.lanes, 0);
                sum = k.addLanes(sum);
                acc = FloatVector.zero(S);
                block = 0;
            }
            if (k.gs != null) {
                FloatVector g = y.neg().fma(pm, p.mul(oneMinusY));                  // p(1−y) − y(1−p)
                if (power != 0) {
                    FloatVector ratio = p.mul(pm).div(q.max(tiny));                 // p(1−p)/q
                    g = ratio.mul(bce).mul(one.sub(y.add(y))).fma(gamma, g);
                }
                g.mul(scale).intoArray(k.gs, c);
            }
        }
        acc.intoArray(k.lanes, 0);
        return k.addLanes(sum);
    }

    /** FL*: ex = −|u|, u = γ·x_t + β, x_t = (2y − 1)·x (the argument of the exponential). */
    private static void starArgument(ChunkStaging k) {
        final FloatVector gamma = FloatVector.broadcast(S, k.gamma);
        final FloatVector beta = FloatVector.broadcast(S, k.beta);
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, k.xs, c);
            FloatVector y = FloatVector.fromArray(S, k.yl, c);
            x.mul(y.add(y).sub(1f)).fma(gamma, beta).abs().neg().intoArray(k.ex, c);
        }
    }

    /**
     * FL*'s last stage ({@link FocalStarElement}'s lines) from x, the label, ex = e^−|u| and lp = log1p(ex):
     * writes the gradient and returns the row's loss sum.
     */
    private static double starLanes(ChunkStaging k) {
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector gamma = FloatVector.broadcast(S, k.gamma);
        final FloatVector beta = FloatVector.broadcast(S, k.beta);
        FloatVector acc = FloatVector.zero(S);
        double sum = 0;
        int block = 0;
        for (int c = 0; c < k.bound; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, k.xs, c);
            FloatVector y = FloatVector.fromArray(S, k.yl, c);
            FloatVector sign = y.add(y).sub(1f);                                    // 2y − 1
            FloatVector xt = x.mul(sign);
            FloatVector scale = k.alphaOn ? y.fma(k.alphaSlope, k.alphaBase) : one; // α_t (·w·m)
            if (k.multiplied) {
                scale = scale.mul(FloatVector.fromArray(S, k.mult, c));
            }
            FloatVector loss = xt.neg().sub(k.betaOverGamma).max(0f)
                    .add(FloatVector.fromArray(S, k.lp, c).mul(k.inverseGamma));
            acc = acc.add(loss.mul(scale));
            if (++block == FLUSH) {
                acc.intoArray(k.lanes, 0);
                sum = k.addLanes(sum);
                acc = FloatVector.zero(S);
                block = 0;
            }
            if (k.gs != null) {
                FloatVector u = xt.fma(gamma, beta);
                FloatVector e = FloatVector.fromArray(S, k.ex, c);
                FloatVector s = one.div(one.add(e));                               // σ(|u|)
                FloatVector sigmoidNegU = s.blend(e.mul(s), u.compare(VectorOperators.GE, 0f));
                sigmoidNegU.mul(sign).mul(scale).neg().intoArray(k.gs, c);
            }
        }
        acc.intoArray(k.lanes, 0);
        return k.addLanes(sum);
    }
}
