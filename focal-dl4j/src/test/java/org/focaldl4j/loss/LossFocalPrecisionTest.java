package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.stream.Stream;

/**
 * HALF, FLOAT and DOUBLE inputs at extreme logits (±1e4): score, score array and gradient are
 * finite, keep the input's dtype, and agree with the DOUBLE result to the dtype's precision.
 */
class LossFocalPrecisionTest {

    static Stream<Arguments> grid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DataType t : new DataType[] {DataType.HALF, DataType.FLOAT, DataType.DOUBLE}) {
            for (double gamma : new double[] {0.0, 0.5, 2.0}) {
                for (boolean sigmoid : new boolean[] {true, false}) {
                    b.add(Arguments.of(t, gamma, sigmoid));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} gamma={1} sigmoid={2}")
    @MethodSource("grid")
    void finiteAtExtremeLogits(DataType type, double gamma, boolean sigmoid) {
        // Each row: saturated on the right side, on the wrong side, soft labels, and the origin.
        double[][] logits = {
                {1e4, -1e4, 0.0},
                {-1e4, 1e4, 20.0},
                {1000.0, -1000.0, -20.0},
                {100.0, -100.0, 2.5}};
        double[][] labels = {
                {1.0, 0.0, 1.0},
                {1.0, 0.0, 0.3},
                {0.0, 1.0, 0.7},
                {1.0, 0.25, 0.0}};
        INDArray xd = Nd4j.create(logits);
        INDArray yd = Nd4j.create(labels);
        INDArray x = xd.castTo(type);
        INDArray y = yd.castTo(type);
        IActivation act = sigmoid ? new ActivationSigmoid() : new ActivationSoftmax();
        LossFocal loss = new LossFocal(0.25, gamma);

        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, x, act, null, false);
        INDArray scores = loss.computeScoreArray(y, x, act, null);
        INDArray grad = both.getSecond();
        assertTrue(Double.isFinite(both.getFirst()), "score " + both.getFirst());
        assertEquals(type, grad.dataType());
        assertEquals(type, scores.dataType());
        assertTrue(allFinite(grad), "gradient " + grad);
        assertTrue(allFinite(scores), "scores " + scores);

        // Agreement with the DOUBLE computation on the same (already representable) inputs.
        Pair<Double, INDArray> ref = loss.computeGradientAndScore(yd, xd, act, null, false);
        // FLOAT on the probability path: the clip bound 1−1e-5 itself rounds in float (≈ 6e-5 relative in log).
        double rel = type == DataType.HALF ? 2e-3 : type == DataType.FLOAT ? (sigmoid ? 1e-5 : 2e-4) : 1e-12;
        double abs = type == DataType.HALF ? 1e-3 : type == DataType.FLOAT ? 1e-6 : 1e-15;
        assertClose(ref.getFirst(), both.getFirst(), rel, abs * Math.abs(ref.getFirst()), "score");
        assertClose(ref.getSecond(), grad, rel, abs, "gradient");
        if (sigmoid) {
            // From logits the loss is exact: wrong-side hard labels at |x| = 1e4 cost α_t·1e4 each
            // (q = 1 there), so row 1 is 0.25·1e4 + 0.75·1e4 + ℓ(20, 0.3).
            double expectedRow1 = 0.25 * 1e4 + 0.75 * 1e4 + elementLoss(20.0, 0.3, 0.25, gamma);
            // (the scalar reference's log1p(−σ(20)) cancels to ~1e-12 relative, hence the floor)
            assertClose(expectedRow1, scores.getDouble(1, 0), Math.max(rel, 1e-10), abs, "row 1 score");
        }
    }

    /** Plain scalar sigmoid focal loss in double, for one element. */
    private static double elementLoss(double x, double y, double alpha, double gamma) {
        double p = 1 / (1 + Math.exp(-x));
        double bce = -(y * Math.log(p) + (1 - y) * Math.log1p(-p));
        double pt = p * y + (1 - p) * (1 - y);
        return (alpha * y + (1 - alpha) * (1 - y)) * Math.pow(1 - pt, gamma) * bce;
    }

    private static boolean allFinite(INDArray a) {
        for (double v : a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
