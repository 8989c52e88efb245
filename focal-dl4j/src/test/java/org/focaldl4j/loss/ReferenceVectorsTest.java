package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * Every loss against its committed float64 reference vectors (src-test-data/): torchvision's
 * sigmoid_focal_loss for LossFocal, torch autograd for LossCategoricalFocal and LossFocalStar.
 * Per-row scores, total and average score, gradient and the one-pass call, in DOUBLE (1e-9
 * relative) and FLOAT (1e-4 relative), from the logits (sigmoid / softmax activation).
 */
class ReferenceVectorsTest {

    /** One vector file: how to build the loss for a case, and the activation whose logits it takes. */
    private static final class Source {
        final String file;
        final Function<ReferenceVectors.Case, AbstractFocalLoss> loss;
        final IActivation activation;

        Source(String file, Function<ReferenceVectors.Case, AbstractFocalLoss> loss, IActivation activation) {
            this.file = file;
            this.loss = loss;
            this.activation = activation;
        }
    }

    private static final Source[] SOURCES = {
            new Source("sigmoid_focal_vectors.json", c -> LossFocal.builder().alpha(c.d("alpha")).gamma(c.d("gamma"))
                    .weights(c.weights).labelSmoothing(c.d("labelSmoothing")).build(), new ActivationSigmoid()),
            new Source("categorical_focal_vectors.json", c -> LossCategoricalFocal.builder()
                    .alpha(doubles(c.json.get("alpha"))).gamma(c.d("gamma"))
                    .weights(c.weights).labelSmoothing(c.d("labelSmoothing")).build(), new ActivationSoftmax()),
            new Source("focal_star_vectors.json", c -> LossFocalStar.builder().alpha(c.d("alpha")).gamma(c.d("gamma"))
                    .beta(c.d("beta")).weights(c.weights).labelSmoothing(c.d("labelSmoothing")).build(),
                    new ActivationSigmoid()),
    };

    private static double[] doubles(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        double[] v = new double[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = node.get(i).asDouble();
        }
        return v;
    }

    static Stream<Arguments> cases() {
        return Stream.of(SOURCES).flatMap(s -> ReferenceVectors.load(s.file).stream()
                .flatMap(c -> Stream.of(DataType.DOUBLE, DataType.FLOAT)
                        .map(t -> Arguments.of(s.file.replace("_vectors.json", ""), c, t, s))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesTheReference(String set, ReferenceVectors.Case c, DataType type, Source source) {
        double rel = type == DataType.DOUBLE ? 1e-9 : 1e-4;
        double abs = type == DataType.DOUBLE ? 1e-12 : 1e-6;
        AbstractFocalLoss loss = source.loss.apply(c);
        IActivation act = source.activation;
        INDArray x = c.logits.castTo(type);
        INDArray y = c.labels.castTo(type);
        INDArray m = c.mask == null ? null : c.mask.castTo(type);
        String what = set + "/" + c.name + " " + type;

        INDArray scoreRows = loss.computeScoreArray(y, x, act, m);
        assertEquals(type, scoreRows.dataType());
        assertClose(c.scoreRows, scoreRows, rel, abs, what + " scoreRows");

        double total = c.scoreRows.sumNumber().doubleValue();
        double floor = abs * (Math.abs(total) + 1);
        assertClose(total, loss.computeScore(y, x, act, m, false), rel, floor, what + " score");
        assertClose(total / c.logits.rows(), loss.computeScore(y, x, act, m, true), rel, floor, what + " average");

        INDArray grad = loss.computeGradient(y, x, act, m);
        assertEquals(type, grad.dataType());
        assertClose(c.gradient, grad, rel, abs, what + " gradient");

        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, x, act, m, false);
        assertClose(total, both.getFirst(), rel, floor, what + " one-pass score");
        assertClose(c.gradient, both.getSecond(), rel, abs, what + " one-pass gradient");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void everyCaseCarriesExtremeLogits(String set, ReferenceVectors.Case c, DataType type, Source source) {
        assertTrue(c.logits.amaxNumber().doubleValue() >= 1000.0, set + "/" + c.name);
    }
}
