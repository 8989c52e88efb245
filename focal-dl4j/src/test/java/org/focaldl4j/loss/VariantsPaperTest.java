package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** FL* against Appendix A/B of the paper, and the special cases that reduce the variants to DL4J's cross-entropies. */
class VariantsPaperTest {

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    @ParameterizedTest(name = "gamma={0} beta={1}")
    @CsvSource({"2, 1", "4, 0", "1, 0", "0.5, -2", "5, 3"})
    void focalStarLossAndGradientAreEquations8And11(double gamma, double beta) {
        int n = 201;
        INDArray x = Nd4j.linspace(-10, 10, n, DataType.DOUBLE).reshape(1, n);
        for (double label : new double[] {0.0, 1.0}) {
            INDArray y = Nd4j.valueArrayOf(new long[] {1, n}, label, DataType.DOUBLE);
            LossFocalStar loss = new LossFocalStar(-1, gamma, beta);
            INDArray grad = loss.computeGradient(y, x, new ActivationSigmoid(), null);
            double sign = 2 * label - 1;
            for (int j = 0; j < n; j++) {
                double xt = sign * x.getDouble(0, j);                       // eq. 6
                double pStar = sigmoid(gamma * xt + beta);                   // eq. 7
                INDArray one = x.get(NDArrayIndex.all(), NDArrayIndex.interval(j, j + 1));
                INDArray oneY = y.get(NDArrayIndex.all(), NDArrayIndex.interval(j, j + 1));
                assertClose(-Math.log(pStar) / gamma,                        // eq. 8
                        loss.computeScore(oneY, one, new ActivationSigmoid(), null, false), 1e-12, 1e-15, "eq. 8 at j=" + j);
                assertClose(sign * (pStar - 1), grad.getDouble(0, j), 1e-12, 1e-15, "eq. 11 at j=" + j);
            }
        }
    }

    @Test
    void focalStarWithGammaOneBetaZeroIsBinaryCrossEntropy() {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 5, 4).subi(0.5).muli(16);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 5, 4).gt(0.6).castTo(DataType.DOUBLE);
        LossFocalStar star = new LossFocalStar(-1, 1, 0);
        LossBinaryXENT xent = new LossBinaryXENT();
        assertClose(xent.computeScoreArray(y, x.dup(), new ActivationSigmoid(), null),
                star.computeScoreArray(y, x, new ActivationSigmoid(), null), 1e-10, 1e-14, "scores");
        assertClose(xent.computeGradient(y, x.dup(), new ActivationSigmoid(), null),
                star.computeGradient(y, x, new ActivationSigmoid(), null), 1e-9, 1e-14, "gradient");
    }

    @Test
    void categoricalWithGammaZeroIsLossMcxent() {
        // Soft labels, per-column weights and a per-example mask; logits within ±8 so MCXENT's 1e-10 clip is inactive.
        INDArray x = Nd4j.rand(DataType.DOUBLE, 6, 5).subi(0.5).muli(16);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 6, 5);
        y.diviColumnVector(y.sum(true, 1));
        INDArray w = Nd4j.create(new double[] {0.5, 1, 2, 0, 3}).reshape(1, 5);
        INDArray mask = Nd4j.create(new double[][] {{1}, {0}, {1}, {1}, {0}, {1}});
        for (INDArray weights : new INDArray[] {null, w}) {
            for (INDArray m : new INDArray[] {null, mask}) {
                LossCategoricalFocal focal = LossCategoricalFocal.builder().gamma(0).weights(weights).build();
                LossMCXENT mcxent = new LossMCXENT(weights);
                String what = "weights=" + (weights != null) + " mask=" + (m != null);
                assertClose(mcxent.computeScoreArray(y, x.dup(), new ActivationSoftmax(), m),
                        focal.computeScoreArray(y, x, new ActivationSoftmax(), m), 1e-10, 1e-14, what + " scores");
                assertClose(mcxent.computeGradient(y, x.dup(), new ActivationSoftmax(), m),
                        focal.computeGradient(y, x, new ActivationSoftmax(), m), 1e-9, 1e-14, what + " gradient");
            }
        }
    }

    @Test
    void categoricalDownWeightsConfidentRowsByTheModulatingFactor() {
        // One-hot row with p_true = 0.9: FL/CE = (1 − 0.9)^γ, the multi-class analogue of §3.2's 100×.
        double[] logits = {Math.log(0.9), Math.log(0.05), Math.log(0.05)};   // softmax = [0.9, 0.05, 0.05]
        INDArray x = Nd4j.create(new double[][] {logits});
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}});
        double fl = new LossCategoricalFocal(2).computeScore(y, x, new ActivationSoftmax(), null, false);
        double ce = new LossCategoricalFocal(0).computeScore(y, x, new ActivationSoftmax(), null, false);
        assertClose(-Math.log(0.9), ce, 1e-14, 0, "CE");
        assertClose(100.0, ce / fl, 1e-12, 0, "CE/FL");
    }
}
