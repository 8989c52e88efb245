package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * LossFocal against torchvision's sigmoid_focal_loss (float64 reference vectors made by
 * src-test-data/make_sigmoid_focal_vectors.py): per-row scores, total score and gradient, in DOUBLE
 * (1e-9 relative) and FLOAT (1e-4 relative).
 */
class LossFocalReferenceTest {

    static final List<ReferenceVectors.Case> CASES = ReferenceVectors.load("sigmoid_focal_vectors.json");

    static Stream<Arguments> cases() {
        return CASES.stream().flatMap(c -> Stream.of(
                Arguments.of(c, DataType.DOUBLE), Arguments.of(c, DataType.FLOAT)));
    }

    static LossFocal lossFor(ReferenceVectors.Case c) {
        return LossFocal.builder().alpha(c.d("alpha")).gamma(c.d("gamma")).weights(c.weights)
                .labelSmoothing(c.d("labelSmoothing")).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesTorchvision(ReferenceVectors.Case c, DataType type) {
        double rel = type == DataType.DOUBLE ? 1e-9 : 1e-4;
        double abs = type == DataType.DOUBLE ? 1e-12 : 1e-6;
        LossFocal loss = lossFor(c);
        INDArray x = c.logits.castTo(type);
        INDArray y = c.labels.castTo(type);
        INDArray m = c.mask == null ? null : c.mask.castTo(type);
        ActivationSigmoid sigmoid = new ActivationSigmoid();

        INDArray scoreRows = loss.computeScoreArray(y, x, sigmoid, m);
        assertEquals(type, scoreRows.dataType());
        assertClose(c.scoreRows, scoreRows, rel, abs, c.name + " scoreRows");

        double total = c.scoreRows.sumNumber().doubleValue();
        double scale = Math.abs(total) + 1;   // absolute floor relative to the sum's magnitude
        assertClose(total, loss.computeScore(y, x, sigmoid, m, false), rel, abs * scale, c.name + " score");
        assertClose(total / c.logits.rows(), loss.computeScore(y, x, sigmoid, m, true), rel, abs * scale,
                c.name + " average score");

        INDArray grad = loss.computeGradient(y, x, sigmoid, m);
        assertEquals(type, grad.dataType());
        assertClose(c.gradient, grad, rel, abs, c.name + " gradient");

        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, x, sigmoid, m, false);
        assertClose(total, both.getFirst(), rel, abs * scale, c.name + " one-pass score");
        assertClose(c.gradient, both.getSecond(), rel, abs, c.name + " one-pass gradient");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.focaldl4j.loss.LossFocalReferenceTest#doubleCases")
    void extremeLogitsAreCovered(ReferenceVectors.Case c) {
        // Guards the data itself: every case carries logits of magnitude 1000 and saturated hard labels.
        assertTrue(c.logits.amaxNumber().doubleValue() >= 1000.0, c.name);
    }

    static Stream<ReferenceVectors.Case> doubleCases() {
        return CASES.stream();
    }
}
