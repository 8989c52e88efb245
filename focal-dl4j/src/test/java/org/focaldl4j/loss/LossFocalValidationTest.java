package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Bad hyper-parameters and inputs: an IllegalArgumentException that names the value and what was expected. */
class LossFocalValidationTest {

    private static final IActivation SIGMOID = new ActivationSigmoid();

    private static void rejects(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    private static INDArray x() {
        return Nd4j.linspace(-2, 2, 6, DataType.DOUBLE).reshape(2, 3);
    }

    private static INDArray y() {
        return Nd4j.create(new double[][] {{1, 0, 0}, {0, 0, 1}});
    }

    @Test
    void hyperParameters() {
        rejects(() -> new LossFocal(1.5, 2), "alpha", "1.5", "[0, 1]", "-1");
        rejects(() -> new LossFocal(-0.5, 2), "alpha", "-0.5");
        rejects(() -> new LossFocal(Double.NaN, 2), "alpha", "NaN");
        rejects(() -> new LossFocal(0.25, -1), "gamma", "-1.0", "[0, 1000.0]");
        rejects(() -> new LossFocal(0.25, Double.NaN), "gamma", "NaN");
        rejects(() -> new LossFocal(0.25, Double.POSITIVE_INFINITY), "gamma", "Infinity");
        rejects(() -> LossFocal.builder().labelSmoothing(1.0).build(), "labelSmoothing", "1.0", "[0, 1)");
        rejects(() -> LossFocal.builder().labelSmoothing(-0.1).build(), "labelSmoothing", "-0.1");
        rejects(() -> LossFocal.builder().clipEpsilon(0.5).build(), "clipEpsilon", "0.5", "[0, 0.5)");
        rejects(() -> LossFocal.builder().weights(Nd4j.ones(2, 3)).build(), "weights", "[2, 3]", "vector");
        rejects(() -> LossFocal.builder().weights(Nd4j.create(new double[] {1, -2, 1})).build(), "weights[1]", "-2.0");
        rejects(() -> LossFocal.builder().weights(Nd4j.create(new double[] {1, Double.NaN})).build(), "weights[1]", "NaN");
    }

    @Test
    void shapes() {
        LossFocal loss = new LossFocal();
        rejects(() -> loss.computeScore(Nd4j.zeros(2, 4), x(), SIGMOID, null, false), "equal shapes", "[2, 4]", "[2, 3]");
        rejects(() -> loss.computeGradient(Nd4j.zeros(2, 3, 1), Nd4j.zeros(2, 3, 1), SIGMOID, null), "rank 2", "[2, 3, 1]");
        rejects(() -> LossFocal.builder().weights(Nd4j.ones(4)).build().computeScoreArray(y(), x(), SIGMOID, null),
                "weights has length 4", "nOut = 3");
        rejects(() -> loss.computeScoreArray(y(), x(), SIGMOID, Nd4j.ones(2, 2)), "mask shape [2, 2]", "[2, 1]", "[2, 3]");
        rejects(() -> loss.computeScoreArray(y(), x(), SIGMOID, Nd4j.ones(1, 2)), "mask shape [1, 2]");
        rejects(() -> loss.computeScore(y(), x().castTo(DataType.INT), SIGMOID, null, false), "floating-point", "INT");
        rejects(() -> loss.computeScore(null, x(), SIGMOID, null, false), "labels");
    }

    @Test
    void labelValues() {
        LossFocal loss = new LossFocal();
        rejects(() -> loss.computeScore(y().putScalar(1, 2, 1.5), x(), SIGMOID, null, false),
                "labels must lie in [0, 1]", "1.5 at [1, 2]");
        rejects(() -> loss.computeGradient(y().putScalar(0, 1, -0.1), x(), SIGMOID, null), "-0.1 at [0, 1]");
        rejects(() -> loss.computeGradientAndScore(y().putScalar(1, 0, Double.NaN), x(), SIGMOID, null, false),
                "NaN at [1, 0]");
    }

    @Test
    void activationsWhoseOutputIsNotAProbability() {
        // Identity outputs the raw logits, which are not probabilities: refused, not clipped.
        rejects(() -> new LossFocal().computeScore(y(), x(), new ActivationIdentity(), null, false),
                "activation", "[0, 1]", "-2.0 at [0, 0]");
    }
}
