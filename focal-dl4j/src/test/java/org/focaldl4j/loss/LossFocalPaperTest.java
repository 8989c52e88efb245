package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

/**
 * LossFocal against the paper itself: Appendix B's derivatives (eqs. 9 and 10), the down-weighting
 * factors quoted in §3.2, and γ = 0 / α = −1 being DL4J's binary cross-entropy.
 */
class LossFocalPaperTest {

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    /** A [1, n] row of x values on [-10, 10] and their hard labels, one row per label. */
    private static INDArray grid(int n) {
        return Nd4j.linspace(-10, 10, n, DataType.DOUBLE).reshape(1, n);
    }

    @ParameterizedTest(name = "gamma={0}")
    @ValueSource(doubles = {0.0, 0.5, 1.0, 2.0, 5.0})
    void gradientIsAppendixBEquation10(double gamma) {
        int n = 201;
        INDArray x = grid(n);
        for (double label : new double[] {0.0, 1.0}) {
            INDArray y = Nd4j.valueArrayOf(new long[] {1, n}, label, DataType.DOUBLE);
            for (double alpha : new double[] {-1.0, 0.25}) {
                INDArray grad = new LossFocal(alpha, gamma).computeGradient(y, x, new ActivationSigmoid(), null);
                double sign = 2 * label - 1;                              // the paper's y ∈ {−1, +1}
                double alphaT = alpha < 0 ? 1 : (label == 1 ? alpha : 1 - alpha);
                for (int j = 0; j < n; j++) {
                    double pt = sigmoid(sign * x.getDouble(0, j));        // p_t = σ(y·x)
                    // eq. 10: dFL/dx = y (1−p_t)^γ (γ p_t log p_t + p_t − 1)
                    double eq10 = sign * Math.pow(1 - pt, gamma) * (gamma * pt * Math.log(pt) + pt - 1);
                    assertClose(alphaT * eq10, grad.getDouble(0, j), 1e-10, 1e-15,
                            "eq. 10 at x=" + x.getDouble(0, j) + " y=" + sign + " alpha=" + alpha);
                }
            }
        }
    }

    @Test
    void gammaZeroGradientIsAppendixBEquation9() {
        int n = 101;
        INDArray x = grid(n);
        for (double label : new double[] {0.0, 1.0}) {
            INDArray y = Nd4j.valueArrayOf(new long[] {1, n}, label, DataType.DOUBLE);
            INDArray grad = new LossFocal(-1, 0).computeGradient(y, x, new ActivationSigmoid(), null);
            double sign = 2 * label - 1;
            for (int j = 0; j < n; j++) {
                double pt = sigmoid(sign * x.getDouble(0, j));
                assertClose(sign * (pt - 1), grad.getDouble(0, j), 1e-12, 1e-15, "eq. 9 at j=" + j);   // dCE/dx = y(p_t − 1)
            }
        }
    }

    @Test
    void eq10MinimumIsBelowMinusOneForGammaTwo() {
        // The reference notes: for γ = 2, eq. 10 reaches ≈ −1.129 near x_t ≈ −2.79, i.e. it is not bounded by −1.
        INDArray x = Nd4j.linspace(-6, 0, 60001, DataType.DOUBLE).reshape(1, 60001);
        INDArray y = Nd4j.ones(DataType.DOUBLE, 1, 60001);
        INDArray grad = new LossFocal(-1, 2).computeGradient(y, x, new ActivationSigmoid(), null);
        double min = grad.minNumber().doubleValue();
        long argMin = Nd4j.argMin(grad, 1).getLong(0);
        assertClose(-1.129, min, 5e-4, 0, "minimum of dFL/dx for gamma=2");
        assertClose(-2.79, x.getDouble(0, argMin), 5e-3, 0, "argmin x_t for gamma=2");
    }

    @Test
    void easyExamplesAreDownWeightedAsQuotedInTheText() {
        // §3.2: with γ = 2, p_t = 0.9 gives 100× lower loss than CE, and p_t ≈ 0.968 about 1000× lower.
        for (double pt : new double[] {0.9, 0.968}) {
            double logit = Math.log(pt / (1 - pt));
            INDArray x = Nd4j.create(new double[][] {{logit, -logit}});
            INDArray y = Nd4j.create(new double[][] {{1.0, 0.0}});   // both elements have p_t = pt
            double fl = new LossFocal(-1, 2).computeScore(y, x, new ActivationSigmoid(), null, false);
            double ce = new LossFocal(-1, 0).computeScore(y, x, new ActivationSigmoid(), null, false);
            assertClose(Math.pow(1 - pt, -2), ce / fl, 1e-9, 0, "CE/FL at p_t=" + pt);
        }
        // 1/(0.1)^2 = 100 and 1/(0.032)^2 ≈ 977: the paper's "100×" and "1000×".
    }

    @Test
    void gammaZeroAlphaOffIsLossBinaryXent() {
        // Soft labels, weights and masks; logits within ±9 so XENT's 1e-5 probability clipping is inactive.
        Random r = new Random(7);
        int rows = 6, cols = 5;
        INDArray x = Nd4j.rand(DataType.DOUBLE, rows, cols).subi(0.5).muli(18);
        INDArray y = Nd4j.rand(DataType.DOUBLE, rows, cols);
        INDArray w = Nd4j.create(new double[] {0.5, 1, 2, 0, 3}).reshape(1, cols);
        INDArray perOutput = Nd4j.rand(DataType.DOUBLE, rows, cols).gt(0.3).castTo(DataType.DOUBLE);
        INDArray perExample = Nd4j.create(new double[][] {{1}, {0}, {1}, {1}, {0}, {1}});
        for (INDArray mask : new INDArray[] {null, perOutput, perExample}) {
            for (INDArray weights : new INDArray[] {null, w}) {
                LossFocal focal = LossFocal.builder().alpha(-1).gamma(0).weights(weights).build();
                LossBinaryXENT xent = new LossBinaryXENT(weights);
                String what = "mask=" + (mask == null ? "none" : mask.columns()) + " weights=" + (weights != null);
                // LossBinaryXENT overwrites preOutput with its activation: hand it copies.
                assertClose(xent.computeScoreArray(y, x.dup(), new ActivationSigmoid(), mask),
                        focal.computeScoreArray(y, x, new ActivationSigmoid(), mask), 1e-10, 1e-14, what + " score array");
                assertClose(xent.computeScore(y, x.dup(), new ActivationSigmoid(), mask, true),
                        focal.computeScore(y, x, new ActivationSigmoid(), mask, true), 1e-10, 1e-14, what + " score");
                assertClose(xent.computeGradient(y, x.dup(), new ActivationSigmoid(), mask),
                        focal.computeGradient(y, x, new ActivationSigmoid(), mask), 1e-9, 1e-14, what + " gradient");
            }
        }
    }
}
