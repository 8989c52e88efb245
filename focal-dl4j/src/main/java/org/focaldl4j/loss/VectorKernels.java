package org.focaldl4j.loss;

import java.nio.FloatBuffer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API (jdk.incubator.vector) kernels for FLOAT data. Only loaded when {@link FusedPath}
 * found the module in the boot layer; the arithmetic is a lane-wise coding of
 * {@link SigmoidFocalElement#lossAndGradient} or {@link FocalStarElement#lossAndGradient} (tested against
 * them), {@code SPECIES_PREFERRED} lanes at a time, with the row tail done by the scalar routine.
 *
 * <p><b>Reproducible bits.</b> The kernel uses only lane-wise operations that Java specifies exactly
 * (+, −, ×, ÷, min/max, compare, blend, bit reinterpretation), so it gives the same bits whether
 * HotSpot interprets it or has compiled it. That is why {@link #exp} and {@link #log} are written here:
 * the Vector API's {@code EXP}/{@code LOG}/{@code LOG1P} use Intel's SVML once C2 compiles the loop but
 * {@code Math} lane by lane before, and the two differ in the last bit (found by the reliability suite:
 * the same call gave different gradients before and after JIT compilation). Row sums add the lanes in
 * order, for the same reason. {@link #exp} and {@link #log} are Cephes' single-precision range
 * reductions and polynomial coefficients (about 1 ulp).
 */
final class VectorKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Vectors accumulated in FLOAT lanes before their sums move to the row's DOUBLE sum. */
    private static final int FLUSH = 256;

    private VectorKernels() {
    }

    static String speciesName() {
        return S.length() + " × float";
    }

    /** Evaluates one lane-full of the kernel on known values and checks it against the scalar routine. */
    static boolean selfTest() {
        FloatVector v = exp(FloatVector.broadcast(S, -2f));
        FloatVector l = log(FloatVector.broadcast(S, 0.25f));
        return Math.abs(v.lane(0) - Math.exp(-2)) < 1e-6 && Math.abs(l.lane(S.length() - 1) - Math.log(0.25)) < 1e-6;
    }

    /** {@link FusedSigmoid} over rows [r0, r1): FL or FL* as the job says. */
    static void sigmoid(FusedSigmoid.Job j, int r0, int r1, int chunk) {
        final int cols = j.cols;
        final int bound = S.loopBound(cols);
        final boolean star = j.star;
        final float gamma = (float) j.gamma;
        final float beta = (float) j.beta;
        final float betaOverGamma = (float) (j.beta / j.gamma);
        final float inverseGamma = (float) (1 / j.gamma);
        final boolean alphaOn = j.alpha >= 0;
        final float alphaSlope = (float) (2 * j.alpha - 1);
        final float alphaBase = (float) (1 - j.alpha);
        final float keep = (float) (1 - j.smoothing);
        final float shift = (float) (j.smoothing / 2);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector tiny = FloatVector.broadcast(S, Float.MIN_NORMAL);
        final boolean multiplied = j.rowMask != null || j.outputMask != null || j.weightsF != null;
        // Rows are staged through small heap arrays: bulk FloatBuffer get/put are memcpy intrinsics, and
        // array loads vectorise better than JDK 17's ByteBuffer loads.
        final FloatBuffer xb = j.x.asFloatBuffer();
        final FloatBuffer yb = j.y.asFloatBuffer();
        final FloatBuffer mb = j.outputMask == null ? null : j.outputMask.asFloatBuffer();
        final FloatBuffer gb = j.grad == null ? null : j.grad.asFloatBuffer();
        final float[] xs = new float[cols];
        final float[] ys = new float[cols];
        final float[] ms = mb == null ? null : new float[cols];
        final float[] gs = gb == null ? null : new float[cols];
        final float[] lanes = new float[S.length()];
        final double[] gradient = new double[1];                                    // the scalar tail's scratch

        for (int r = r0; r < r1; r++) {
            float rowMask = j.rowMask == null ? 1f : (float) j.rowMask[r];
            xb.get(j.xOff + r * cols, xs);
            yb.get(j.yOff + r * cols, ys);
            if (ms != null) {
                mb.get(j.maskOff + r * cols, ms);
            }
            FloatVector rowMult = FloatVector.broadcast(S, rowMask);
            FloatVector acc = FloatVector.zero(S);
            FloatVector lowest = FloatVector.zero(S);
            FloatVector highest = FloatVector.zero(S);
            double sum = 0;                 // lane sums of each block of FLUSH vectors, added in order (deterministic)
            int c = 0;
            for (int block = 0; c < bound; c += S.length()) {
                FloatVector x = FloatVector.fromArray(S, xs, c);
                FloatVector yRaw = FloatVector.fromArray(S, ys, c);

                FloatVector mult = rowMult;
                if (ms != null) {
                    mult = mult.mul(FloatVector.fromArray(S, ms, c));
                }
                lowest = lowest.min(yRaw);                                          // NaN propagates
                highest = highest.max(yRaw);
                if (j.weightsF != null) {
                    mult = mult.mul(FloatVector.fromArray(S, j.weightsF, c));
                }
                FloatVector y = j.smoothing > 0 ? yRaw.mul(keep).add(shift) : yRaw;

                FloatVector alphaT = alphaOn ? y.fma(alphaSlope, alphaBase) : one;
                FloatVector loss;                                                   // w·m included
                FloatVector g = null;                                               // w·m included
                if (star) {                                                         // FocalStarElement's lines
                    FloatVector sign = y.add(y).sub(1f);                            // 2y − 1
                    FloatVector xt = x.mul(sign);
                    FloatVector u = xt.mul(gamma).add(beta);
                    FloatVector ex = exp(u.abs().neg());                            // e^−|u|
                    FloatVector scale = multiplied ? alphaT.mul(mult) : alphaT;     // w·m·α_t
                    loss = xt.neg().sub(betaOverGamma).max(0f).add(log1p(ex).mul(inverseGamma)).mul(scale);
                    if (j.grad != null) {
                        FloatVector s = one.div(one.add(ex));                       // σ(|u|)
                        FloatVector sigmoidNegU = s.blend(ex.mul(s), u.compare(VectorOperators.GE, 0f));
                        g = sigmoidNegU.mul(sign).mul(scale).neg();
                    }
                } else {                                                            // SigmoidFocalElement's lines
                    FloatVector ex = exp(x.abs().neg());                            // e^−|x|
                    FloatVector s = one.div(one.add(ex));                           // σ(|x|)
                    FloatVector es = ex.mul(s);                                     // σ(−|x|)
                    VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
                    FloatVector p = es.blend(s, nonNegative);                       // σ(x)
                    FloatVector pm = s.blend(es, nonNegative);                      // σ(−x)
                    FloatVector oneMinusY = one.sub(y);
                    FloatVector bce = x.max(0f).sub(x.mul(y)).add(log1p(ex));
                    FloatVector q = y.mul(pm).add(oneMinusY.mul(p));

                    FloatVector scale;                                              // w·m·α_t·q^γ
                    if (gamma == 0f) {
                        scale = alphaT;
                    } else if (gamma == 1f) {
                        scale = q.mul(alphaT);
                    } else if (gamma == 2f) {
                        scale = q.mul(q).mul(alphaT);
                    } else {
                        // q^γ = exp(γ·log q) (JDK 17's POW runs lane by lane, ~30× slower); 0^γ = 0
                        scale = exp(log(q).mul(gamma)).blend(0f, q.compare(VectorOperators.EQ, 0f)).mul(alphaT);
                    }
                    if (multiplied) {
                        scale = scale.mul(mult);
                    }
                    loss = scale.mul(bce);
                    if (j.grad != null) {
                        g = p.mul(oneMinusY).sub(y.mul(pm));
                        if (gamma != 0f) {
                            FloatVector ratio = p.mul(pm).div(q.max(tiny));          // p(1−p)/q
                            g = g.add(ratio.mul(bce).mul(one.sub(y.add(y))).mul(gamma));
                        }
                        g = g.mul(scale);
                    }
                }
                acc = acc.add(loss);
                if (++block == FLUSH) {                  // bound FLOAT accumulation: long rows stay within 2e-4
                    acc.intoArray(lanes, 0);
                    for (float lane : lanes) {
                        sum += lane;
                    }
                    acc = FloatVector.zero(S);
                    block = 0;
                }
                if (g != null) {
                    g.intoArray(gs, c);
                }
            }
            float lo = lowest.reduceLanes(VectorOperators.MIN);
            float hi = highest.reduceLanes(VectorOperators.MAX);
            if (!(lo >= 0f && hi <= 1f)) {                                          // rare: find the culprit
                for (int k = 0; k < bound; k++) {
                    if (!(ys[k] >= 0f && ys[k] <= 1f)) {
                        j.recordBad(chunk, (long) r * cols + k);
                        break;
                    }
                }
            }
            if (gs != null && bound > 0) {
                gb.put(r * cols, gs, 0, bound);
            }
            acc.intoArray(lanes, 0);
            for (float lane : lanes) {                                               // in lane order
                sum += lane;
            }
            for (; c < cols; c++) {
                sum += FusedSigmoid.scalarElement(j, r, c, chunk, gradient);     // writes its own gradient
            }
            j.rowLoss[r] = sum;
        }
    }

    /** Lanes per vector: {@link FusedSoftmaxFocal} pads its rows to a multiple of it. */
    static int lanes() {
        return S.length();
    }

    /**
     * {@code out[c] = e^(x[c] − shift)} for c in [0, n), n a multiple of {@link #lanes()}: the exponentials of
     * {@link FusedSoftmaxFocal}'s rows (its padding holds −∞, whose exponential is 0).
     */
    static void shiftedExp(float[] x, float shift, float[] out, int n) {
        for (int c = 0; c < n; c += S.length()) {
            exp(FloatVector.fromArray(S, x, c).sub(shift)).intoArray(out, c);
        }
    }

    // ------------------------------------------------------------------------------------------
    // exp and log from exactly specified lane operations (see the class comment)
    // ------------------------------------------------------------------------------------------

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;           // ln 2 = LN2_HI + LN2_LO, LN2_HI exact in 9 bits
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;              // 1.5·2^23: t + ROUNDER − ROUNDER rounds t to an integer
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float SQRT_TWO_MINUS_ONE = 0.414213562373095049f;

    /** e^x for every lane: x below −104 gives 0, NaN stays NaN; |x| ≤ 88 is the range used here. */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> underflow = x.compare(VectorOperators.LT, -104f);
        FloatVector xc = x.max(-104f).min(88.7f);
        FloatVector shifted = xc.mul(LOG2E).add(ROUNDER);                     // n in the low mantissa bits
        FloatVector n = shifted.sub(ROUNDER);                                  // n = round(x / ln 2)
        FloatVector r = n.mul(-LN2_HI).add(xc);                               // x − n·ln 2, in two exact steps
        r = n.mul(-LN2_LO).add(r);
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f);
        p = p.mul(r).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);                     // e^r, |r| ≤ ln2 / 2
        // 2^n as two factors 2^n1·2^n2 (n1 = ⌊n/2⌋), so that results down to the subnormals stay exact
        IntVector ni = shifted.reinterpretAsInts().sub(0x4B400000);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return er.mul(s1).mul(s2).blend(0f, underflow);
    }

    /** Natural log for every lane: 0 gives −∞, a negative value or NaN gives NaN, subnormals are exact. */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> subnormal = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), subnormal);                 // × 2^23 lifts subnormals
        IntVector bits = xs.reinterpretAsInts();
        // x = m·2^e with m ∈ [0.5, 1); the exponent field E becomes the float 2^23 + E exactly
        FloatVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).or(0x4B000000).reinterpretAsFloats()
                .sub(8388608f + 126f);
        e = e.sub(FloatVector.zero(S).blend(23f, subnormal));
        FloatVector m = bits.and(0x007fffff).or(0x3f000000).reinterpretAsFloats();
        // m < √½: use 2m − 1 and e − 1, so that the polynomial's argument lies in [√½ − 1, √2 − 1)
        VectorMask<Float> small = m.compare(VectorOperators.LT, SQRT_HALF);
        e = e.sub(FloatVector.zero(S).blend(1f, small));
        FloatVector f = m.add(m.blend(0f, small.not())).sub(1f);
        FloatVector result = logOnePlus(f, e);
        result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.compare(VectorOperators.NE, x)));
    }

    /**
     * log(1 + u) for u ∈ [0, 1] (here u = e^−|x|), NaN stays NaN. Up to √2 − 1 the polynomial takes u
     * itself (exact for tiny u); above, 1 + u = 2·(1 + (u − 1)/2).
     */
    static FloatVector log1p(FloatVector u) {
        VectorMask<Float> big = u.compare(VectorOperators.GT, SQRT_TWO_MINUS_ONE);
        FloatVector f = u.blend(u.sub(1f).mul(0.5f), big);
        FloatVector e = FloatVector.zero(S).blend(1f, big);
        return logOnePlus(f, e);
    }

    /** log(1 + f) + e·ln 2 for f ∈ [√½ − 1, √2 − 1]: f − f²/2 + f³·P(f), Cephes' logf coefficients. */
    private static FloatVector logOnePlus(FloatVector f, FloatVector e) {
        FloatVector z = f.mul(f);
        FloatVector p = FloatVector.broadcast(S, 7.0376836292e-2f);
        p = p.mul(f).add(-1.1514610310e-1f);
        p = p.mul(f).add(1.1676998740e-1f);
        p = p.mul(f).add(-1.2420140846e-1f);
        p = p.mul(f).add(1.4249322787e-1f);
        p = p.mul(f).add(-1.6668057665e-1f);
        p = p.mul(f).add(2.0000714765e-1f);
        p = p.mul(f).add(-2.4999993993e-1f);
        p = p.mul(f).add(3.3333331174e-1f);
        FloatVector y = p.mul(f).mul(z);
        y = e.mul(LN2_LO).add(y);
        y = z.mul(-0.5f).add(y);
        return e.mul(LN2_HI).add(f.add(y));
    }
}
