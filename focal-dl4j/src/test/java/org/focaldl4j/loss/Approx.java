package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise comparison: |a − e| ≤ rel·max(|a|, |e|) + abs. */
final class Approx {

    static void assertClose(INDArray expected, INDArray actual, double rel, double abs, String what) {
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(actual.shape()), what + ": shape");
        double[] e = expected.dup('c').reshape(expected.length()).toDoubleVector();
        double[] a = actual.dup('c').reshape(actual.length()).toDoubleVector();
        for (int i = 0; i < e.length; i++) {
            assertClose(e[i], a[i], rel, abs, what + " [flat index " + i + "]");
        }
    }

    static void assertClose(double expected, double actual, double rel, double abs, String what) {
        double tol = rel * Math.max(Math.abs(expected), Math.abs(actual)) + abs;
        if (!(Math.abs(expected - actual) <= tol)) {
            fail(what + ": expected " + expected + " but got " + actual + " (tolerance " + tol + ")");
        }
    }

    private Approx() {
    }
}
