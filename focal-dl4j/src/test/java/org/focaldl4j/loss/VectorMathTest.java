package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernel's own exp, log and log1p ({@link VectorMath}): within 2 ulp of
 * {@code Math}'s double-precision functions rounded to float over their whole range, with the edge cases
 * (0, subnormals, underflow, NaN) exact, in place or not. Skipped in the JVM without the Vector API module.
 */
class VectorMathTest {

    @BeforeAll
    static void needsTheVectorModule() {
        assumeTrue(KernelChoice.vectorized(), "the jdk.incubator.vector module is not in this JVM");
    }

    private interface ArrayFn {
        void apply(float[] in, float[] out, int n);
    }

    /**
     * Applies {@code fn} to the values padded to whole vectors, once out of place and once in place (the
     * two must agree); the padding is 0.5, a valid argument of all three functions.
     */
    private static float[] apply(ArrayFn fn, float[] in) {
        int lanes = VectorMath.lanes();
        int n = (in.length + lanes - 1) / lanes * lanes;
        float[] padded = java.util.Arrays.copyOf(in, n);
        java.util.Arrays.fill(padded, in.length, n, 0.5f);
        float[] out = new float[n];
        fn.apply(padded, out, n);
        fn.apply(padded, padded, n);
        assertArrayEquals(out, padded, "in place = out of place");
        return java.util.Arrays.copyOf(out, in.length);
    }

    private static void withinUlps(String what, double exact, float got, int ulps) {
        float expected = (float) exact;
        if (expected == 0f || Float.isInfinite(expected)) {
            assertEquals(expected, got, 0f, what);
            return;
        }
        double error = Math.abs(got - exact) / Math.ulp(expected);
        assertTrue(error <= ulps, what + ": " + got + " vs " + exact + " is " + error + " ulp off");
    }

    @Test
    void expIsWithinTwoUlpAndUnderflowsToZero() {
        Random r = new Random(1);
        float[] x = new float[20000];
        for (int i = 0; i < x.length; i++) {
            x[i] = i < 10000 ? -104f * r.nextFloat() : 64f * (2 * r.nextFloat() - 1);   // the domain: x ≤ 64
        }
        float[] got = apply(VectorMath::exp, x);
        for (int i = 0; i < x.length; i++) {
            double exact = Math.exp(x[i]);
            if (exact < Float.MIN_NORMAL) {                 // subnormal results: absolute error ≤ 1 subnormal step
                assertTrue(Math.abs(got[i] - exact) <= Float.MIN_VALUE, "exp(" + x[i] + ") = " + got[i]);
            } else {
                withinUlps("exp(" + x[i] + ")", exact, got[i], 2);
            }
        }
        float[] edges = apply(VectorMath::exp, new float[] {0f, -0f, -104.5f, -1e4f, Float.NEGATIVE_INFINITY, Float.NaN});
        assertEquals(1f, edges[0]);
        assertEquals(1f, edges[1]);
        assertEquals(0f, edges[2]);
        assertEquals(0f, edges[3]);
        assertEquals(0f, edges[4]);
        assertTrue(Float.isNaN(edges[5]));
    }

    @Test
    void logIsWithinTwoUlpIncludingSubnormals() {
        Random r = new Random(2);
        float[] x = new float[20000];
        for (int i = 0; i < x.length; i++) {
            // log-uniform over [2^-149, 2^20]: subnormals, the small values of 1 − p_t, and beyond 1
            x[i] = (float) Math.pow(2, -149 + 169 * r.nextDouble());
        }
        float[] got = apply(VectorMath::log, x);
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0) {
                withinUlps("log(" + x[i] + ")", Math.log(x[i]), got[i], 2);
            }
        }
        float[] edges = apply(VectorMath::log, new float[] {1f, 0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE});
        assertEquals(0f, edges[0]);
        assertEquals(Float.NEGATIVE_INFINITY, edges[1]);
        assertTrue(Float.isNaN(edges[2]));
        assertTrue(Float.isNaN(edges[3]));
        assertEquals(Float.POSITIVE_INFINITY, edges[4]);
        withinUlps("log(MIN_VALUE)", Math.log(Float.MIN_VALUE), edges[5], 2);
    }

    @Test
    void log1pIsAccurateFromTinyToOne() {
        Random r = new Random(3);
        float[] u = new float[20000];
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) Math.pow(2, -60 * r.nextDouble());             // [2^-60, 1]: e^−|x| for |x| ≤ 41
        }
        float[] got = apply(VectorMath::log1p, u);
        for (int i = 0; i < u.length; i++) {
            withinUlps("log1p(" + u[i] + ")", Math.log1p(u[i]), got[i], 3);
        }
        float[] edges = apply(VectorMath::log1p, new float[] {0f, 1e-30f, Float.NaN});
        assertEquals(0f, edges[0]);
        assertEquals(1e-30f, edges[1]);
        assertTrue(Float.isNaN(edges[2]));
        // either side of the range switch at √2 − 1, and its end
        float t = 0.41421357f;
        float[] around = {Math.nextDown(Math.nextDown(t)), Math.nextDown(t), t, Math.nextUp(t), Math.nextUp(Math.nextUp(t)), 1f};
        float[] got2 = apply(VectorMath::log1p, around);
        for (int i = 0; i < around.length; i++) {
            withinUlps("log1p(" + around[i] + ")", Math.log1p(around[i]), got2[i], 2);
        }
    }
}
