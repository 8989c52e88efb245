package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;

import java.util.List;
import java.util.stream.Stream;

import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * {@link SigmoidFocalElement} is the one element-level definition of the sigmoid focal loss: it equals
 * torchvision's {@code sigmoid_focal_loss} (the committed vectors), and every other coding of the formula —
 * the ND4J op path, the fused Vector API kernel, the SameDiff graph — equals it.
 */
class SigmoidFocalElementTest {

    /** Σ over each row of w·m·ℓ and the element gradients, from the element definition, in double. */
    private static INDArray[] reference(INDArray x, INDArray y, INDArray weights, INDArray mask, double alpha,
                                        double gamma, double smoothing) {
        int rows = (int) x.size(0);
        int cols = (int) x.size(1);
        double[] rowLoss = new double[rows];
        double[][] grad = new double[rows][cols];
        double[] g = new double[1];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double yy = y.getDouble(i, j) * (1 - smoothing) + smoothing / 2;
                double w = weights == null ? 1 : weights.getDouble(j);
                double m = mask == null ? 1 : mask.size(1) == 1 ? mask.getDouble(i, 0) : mask.getDouble(i, j);
                double loss = SigmoidFocalElement.lossAndGradient(x.getDouble(i, j), yy, alpha, gamma, g);
                rowLoss[i] += w * m * loss;
                grad[i][j] = w * m * g[0];
            }
        }
        return new INDArray[] {Nd4j.create(rowLoss, new long[] {rows, 1}, DataType.DOUBLE), Nd4j.create(grad)};
    }

    static List<ReferenceVectors.Case> torchvision() {
        return ReferenceVectors.load("sigmoid_focal_vectors.json");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("torchvision")
    void equalsTorchvision(ReferenceVectors.Case c) {
        INDArray[] r = reference(c.logits, c.labels, c.weights, c.mask, c.d("alpha"), c.d("gamma"),
                c.d("labelSmoothing"));
        assertClose(c.scoreRows, r[0], 1e-12, 1e-14, c.name + " row losses");
        assertClose(c.gradient, r[1], 1e-9, 1e-12, c.name + " gradient");
    }

    static Stream<double[]> settings() {
        // {alpha, gamma}: α on and off, integer and fractional γ (the kernels special-case 0, 1, 2)
        return Stream.of(new double[] {0.25, 2}, new double[] {-1, 0}, new double[] {0.75, 1}, new double[] {0.5, 0.5},
                new double[] {0.25, 2.5}, new double[] {-1, 5});
    }

    /** Logits over ±30 plus ±1000, hard and soft labels; 37 columns leave a vector tail. */
    private static INDArray[] data(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 41, 37).muli(10);
        x.putScalar(0, 0, 1000).putScalar(1, 1, -1000).putScalar(2, 2, 0);
        INDArray u = Nd4j.rand(DataType.DOUBLE, 41, 37);
        INDArray y = u.lt(0.1).castTo(DataType.DOUBLE).addi(u.gt(0.9).castTo(DataType.DOUBLE).muli(u));
        return new INDArray[] {x, y.divi(Math.max(1.0, y.maxNumber().doubleValue()))};
    }

    private static void check(ILossFunction loss, DataType type, double alpha, double gamma, double rel, double abs) {
        INDArray[] xy = data(17);
        INDArray x = xy[0].castTo(type);
        INDArray y = xy[1].castTo(type);
        // The reference sees exactly the values the kernel sees.
        INDArray[] r = reference(x.castTo(DataType.DOUBLE), y.castTo(DataType.DOUBLE), null, null, alpha, gamma, 0);
        ActivationSigmoid act = new ActivationSigmoid();
        assertClose(r[0], loss.computeScoreArray(y, x, act, null).castTo(DataType.DOUBLE), rel, abs, loss + " rows");
        assertClose(r[1], loss.computeGradient(y, x, act, null).castTo(DataType.DOUBLE), rel, abs, loss + " gradient");
    }

    @ParameterizedTest(name = "alpha, gamma = {0}")
    @MethodSource("settings")
    void theOpPathEqualsIt(double[] s) {
        check(LossFocal.builder().alpha(s[0]).gamma(s[1]).path(ExecutionPath.OPS).build(), DataType.DOUBLE, s[0], s[1],
                1e-12, 1e-14);
    }

    @ParameterizedTest(name = "alpha, gamma = {0}")
    @MethodSource("settings")
    void theFusedKernelEqualsIt(double[] s) {
        LossFocal loss = LossFocal.builder().alpha(s[0]).gamma(s[1]).build();
        check(loss, DataType.DOUBLE, s[0], s[1], 1e-14, 1e-15);      // the scalar routine is the definition itself
        // FLOAT: the Vector API lanes (where the module is present) or the scalar routine, to float rounding
        check(loss, DataType.FLOAT, s[0], s[1], 2e-5, 2e-6);
    }

    @ParameterizedTest(name = "alpha, gamma = {0}")
    @MethodSource("settings")
    void theSameDiffGraphEqualsIt(double[] s) {
        check(new SameDiffFocalLoss(s[0], s[1]), DataType.DOUBLE, s[0], s[1], 1e-9, 1e-12);
    }

    @Test
    void hardLabelGradientIsThePapersEquation10() {
        // Appendix B, eq. 10 for y = 1 (x_t = x): dFL/dx = (1 − p)^γ (γ p log p + p − 1), α off.
        double[] g = new double[1];
        for (double gamma : new double[] {0, 0.5, 2, 5}) {
            for (double x = -8; x <= 8; x += 0.25) {
                double p = 1 / (1 + Math.exp(-x));
                double expected = Math.pow(1 - p, gamma) * (gamma * p * Math.log(p) + p - 1);
                SigmoidFocalElement.lossAndGradient(x, 1, -1, gamma, g);
                assertClose(expected, g[0], 1e-10, 1e-15, "x = " + x + ", gamma = " + gamma);
            }
        }
    }
}
