package org.focaldl4j.loss;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exponential and logarithms of the Vector API kernels, array to array over FLOAT lanes ({@code SPECIES_PREFERRED}
 * at a time), written here rather than taken from the Vector API: its {@code EXP}/{@code LOG}/{@code LOG1P} use
 * Intel's SVML once C2 compiles the loop but {@code Math} lane by lane before, and the two differ in the last bit (found
 * by the reliability suite: the same call gave different gradients before and after JIT compilation). These use only
 * lane-wise operations Java specifies exactly (+, −, ×, ÷, fused multiply-add, min/max, compare, blend, bit
 * reinterpretation), so they give the same bits interpreted or compiled: Cephes' single-precision range reductions
 * and polynomial coefficients (about 1 ulp), evaluated with FMA. Only loaded when {@link KernelChoice} found the
 * module in the boot layer.
 */
final class VectorMath {

    /** The lanes every Vector API stage of this library uses. */
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {
    }

    static String speciesName() {
        return S.length() + " × float";
    }

    /** Lanes per vector: callers pad arrays for the stages to a multiple of it. */
    static int lanes() {
        return S.length();
    }

    /** Evaluates the functions on known values and checks them against {@code Math}. */
    static boolean selfTest() {
        float[] a = new float[S.length()];
        java.util.Arrays.fill(a, -2f);
        exp(a, a, a.length);
        float[] b = new float[S.length()];
        java.util.Arrays.fill(b, 0.25f);
        log(b, b, b.length);
        return Math.abs(a[0] - Math.exp(-2)) < 1e-6 && Math.abs(b[b.length - 1] - Math.log(0.25)) < 1e-6;
    }

    /**
     * {@code out[c] = e^(x[c] − shift)} for c in [0, n), n a multiple of {@link #lanes()}: the exponentials of
     * {@link FusedSoftmaxFocal}'s rows (its padding holds −∞, whose exponential is 0).
     */
    static void shiftedExp(float[] x, float shift, float[] out, int n) {
        for (int c = 0; c < n; c += S.length()) {
            FloatVector.fromArray(S, x, c).sub(shift).intoArray(out, c);
        }
        exp(out, out, n);
    }

    // ------------------------------------------------------------------------------------------
    // exp, log and log1p from exactly specified lane operations (see the class comment), each over
    // [0, n) of arrays, n a multiple of lanes(); in and out may be the same array
    // ------------------------------------------------------------------------------------------

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;           // ln 2 = LN2_HI + LN2_LO, LN2_HI exact in 9 bits
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDER = 12582912f;              // 1.5·2^23: t + ROUNDER − ROUNDER rounds t to an integer
    private static final float SQRT_HALF = 0.707106781186547524f;
    private static final float SQRT_TWO_MINUS_ONE = 0.414213562373095049f;

    /**
     * out = e^in, for in ≤ 64 (every caller passes values ≤ 0 up to rounding; larger ones give e^64): below
     * −104 the result rounds to 0, −∞ gives 0 and NaN stays NaN. With n = round(x / ln 2), r = x − n·ln 2
     * (two exact steps) and e^r from the polynomial, e^x = e^r·2^(n+24)·2^−24: the first product is exact
     * and the second rounds once, so results down to the subnormals are exact roundings of e^r·2^n.
     */
    static void exp(float[] in, float[] out, int n) {
        final FloatVector log2e = FloatVector.broadcast(S, LOG2E);
        final FloatVector rounder = FloatVector.broadcast(S, ROUNDER);
        final FloatVector ln2Hi = FloatVector.broadcast(S, -LN2_HI);
        final FloatVector ln2Lo = FloatVector.broadcast(S, -LN2_LO);
        final FloatVector c5 = FloatVector.broadcast(S, 1.9875691500e-4f);
        final FloatVector c4 = FloatVector.broadcast(S, 1.3981999507e-3f);
        final FloatVector c3 = FloatVector.broadcast(S, 8.3334519073e-3f);
        final FloatVector c2 = FloatVector.broadcast(S, 4.1665795894e-2f);
        final FloatVector c1 = FloatVector.broadcast(S, 1.6666665459e-1f);
        final FloatVector c0 = FloatVector.broadcast(S, 5.0000001201e-1f);
        for (int c = 0; c < n; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, c).max(-104f).min(64f);
            FloatVector shifted = x.fma(log2e, rounder);                          // n in the low mantissa bits
            FloatVector k = shifted.sub(ROUNDER);                                  // n = round(x / ln 2)
            FloatVector r = k.fma(ln2Hi, x);
            r = k.fma(ln2Lo, r);
            FloatVector p = c5.fma(r, c4).fma(r, c3).fma(r, c2).fma(r, c1).fma(r, c0);
            FloatVector er = p.fma(r.mul(r), r).add(1f);                             // e^r, |r| ≤ ln2 / 2
            FloatVector scale = shifted.reinterpretAsInts().add(127 + 24 - 0x4B400000)
                    .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();      // 2^(n+24)
            er.mul(scale).mul(0x1p-24f).intoArray(out, c);
        }
    }

    /** out = log(in): 0 gives −∞, a negative value or NaN gives NaN, +∞ gives +∞, subnormals are exact. */
    static void log(float[] in, float[] out, int n) {
        final FloatVector zero = FloatVector.zero(S);
        for (int c = 0; c < n; c += S.length()) {
            FloatVector x = FloatVector.fromArray(S, in, c);
            VectorMask<Float> subnormal = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
            FloatVector xs = x.blend(x.mul(8388608f), subnormal);                 // × 2^23 lifts subnormals
            IntVector bits = xs.reinterpretAsInts();
            // x = m·2^e with m ∈ [0.5, 1); the exponent field E becomes the float 2^23 + E exactly
            FloatVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xff).or(0x4B000000).reinterpretAsFloats()
                    .sub(8388608f + 126f);
            e = e.sub(zero.blend(23f, subnormal));
            FloatVector m = bits.and(0x007fffff).or(0x3f000000).reinterpretAsFloats();
            // m < √½: use 2m − 1 and e − 1, so that the polynomial's argument lies in [√½ − 1, √2 − 1)
            VectorMask<Float> small = m.compare(VectorOperators.LT, SQRT_HALF);
            e = e.sub(zero.blend(1f, small));
            FloatVector f = m.add(m.blend(0f, small.not())).sub(1f);
            // log(1 + f) + e·ln 2 as in log1p below
            FloatVector z = f.mul(f);
            FloatVector p = FloatVector.broadcast(S, 7.0376836292e-2f)
                    .fma(f, FloatVector.broadcast(S, -1.1514610310e-1f))
                    .fma(f, FloatVector.broadcast(S, 1.1676998740e-1f))
                    .fma(f, FloatVector.broadcast(S, -1.2420140846e-1f))
                    .fma(f, FloatVector.broadcast(S, 1.4249322787e-1f))
                    .fma(f, FloatVector.broadcast(S, -1.6668057665e-1f))
                    .fma(f, FloatVector.broadcast(S, 2.0000714765e-1f))
                    .fma(f, FloatVector.broadcast(S, -2.4999993993e-1f))
                    .fma(f, FloatVector.broadcast(S, 3.3333331174e-1f));
            FloatVector y = p.mul(f).mul(z);
            y = e.fma(FloatVector.broadcast(S, LN2_LO), y);
            y = z.fma(FloatVector.broadcast(S, -0.5f), y);
            FloatVector result = e.fma(FloatVector.broadcast(S, LN2_HI), f.add(y));
            result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
            result = result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
            result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.compare(VectorOperators.NE, x)))
                    .intoArray(out, c);
        }
    }

    /**
     * out = log(1 + in) for in ∈ [0, 1] (here e^−|x|), NaN stays NaN. Up to √2 − 1 the polynomial takes u
     * itself (exact for tiny u); above, 1 + u = 2·(1 + (u − 1)/2). log(1 + f) + e·ln 2 for
     * f ∈ [√½ − 1, √2 − 1] is f − f²/2 + f³·P(f), Cephes' logf coefficients.
     */
    static void log1p(float[] in, float[] out, int n) {
        final FloatVector k8 = FloatVector.broadcast(S, 7.0376836292e-2f);
        final FloatVector k7 = FloatVector.broadcast(S, -1.1514610310e-1f);
        final FloatVector k6 = FloatVector.broadcast(S, 1.1676998740e-1f);
        final FloatVector k5 = FloatVector.broadcast(S, -1.2420140846e-1f);
        final FloatVector k4 = FloatVector.broadcast(S, 1.4249322787e-1f);
        final FloatVector k3 = FloatVector.broadcast(S, -1.6668057665e-1f);
        final FloatVector k2 = FloatVector.broadcast(S, 2.0000714765e-1f);
        final FloatVector k1 = FloatVector.broadcast(S, -2.4999993993e-1f);
        final FloatVector k0 = FloatVector.broadcast(S, 3.3333331174e-1f);
        final FloatVector ln2Lo = FloatVector.broadcast(S, LN2_LO);
        final FloatVector ln2Hi = FloatVector.broadcast(S, LN2_HI);
        final FloatVector minusHalf = FloatVector.broadcast(S, -0.5f);
        for (int c = 0; c < n; c += S.length()) {
            FloatVector u = FloatVector.fromArray(S, in, c);
            // e = 1 where u > √2 − 1, else 0, by arithmetic: u − (√2 − 1) is 0 only at equality and otherwise
            // at least 2^−26 in size, which × 2^100 clamps to exactly 0 or 1
            FloatVector e = u.sub(SQRT_TWO_MINUS_ONE).mul(0x1p100f).max(0f).min(1f);
            FloatVector half = e.mul(minusHalf);                                   // −e/2
            FloatVector f = u.fma(half.add(1f), half);                              // u, or (u − 1)/2 exactly
            FloatVector z = f.mul(f);
            FloatVector p = k8.fma(f, k7).fma(f, k6).fma(f, k5).fma(f, k4).fma(f, k3).fma(f, k2).fma(f, k1)
                    .fma(f, k0);
            FloatVector y = p.mul(f).mul(z);
            y = e.fma(ln2Lo, y);
            y = z.fma(minusHalf, y);
            e.fma(ln2Hi, f.add(y)).intoArray(out, c);
        }
    }
}
