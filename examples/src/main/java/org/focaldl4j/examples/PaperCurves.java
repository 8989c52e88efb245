package org.focaldl4j.examples;

import org.focaldl4j.loss.AbstractFocalLoss;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The curves of the paper's Figures 1, 5 and 6, computed through the library's own losses (not
 * re-derived): for a positive example (y = 1, α off) with logit x = x_t, the loss ℓ(x_t) is one
 * row of {@code computeScoreArray} and dℓ/dx_t one row of {@code computeGradient}.
 * <ul>
 *   <li>Figure 1: FL = −(1 − p_t)^γ log p_t against p_t, γ ∈ {0, 0.5, 1, 2, 5} (γ = 0 is CE).</li>
 *   <li>Figure 5: CE, FL (γ = 2), FL* (γ = 2, β = 1), FL* (γ = 4, β = 0) against x_t ∈ [−10, 10].</li>
 *   <li>Figure 6: their derivatives dℓ/dx_t (eqs. 9, 10, 11).</li>
 * </ul>
 */
public final class PaperCurves {

    /** The losses of Figures 5 and 6, in the paper's order, with α-balancing off. */
    public static final String[] XT_LOSS_NAMES = {"CE", "FL, γ=2", "FL*, γ=2, β=1", "FL*, γ=4, β=0"};
    /** γ values of Figure 1. */
    public static final double[] FIGURE1_GAMMAS = {0, 0.5, 1, 2, 5};

    private PaperCurves() {
    }

    static AbstractFocalLoss[] xtLosses() {
        return new AbstractFocalLoss[] {
                new LossFocal(-1, 0), new LossFocal(-1, 2), new LossFocalStar(-1, 2, 1), new LossFocalStar(-1, 4, 0)};
    }

    /** Evenly spaced points from {@code from} to {@code to} inclusive. */
    public static double[] grid(double from, double to, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = from + (to - from) * i / (n - 1);
        }
        return v;
    }

    /** ℓ and dℓ/dx for y = 1 at every logit of {@code x}, as {loss[], gradient[]}. */
    public static double[][] lossAndGradient(AbstractFocalLoss loss, double[] x) {
        INDArray logits = Nd4j.create(x, new long[] {x.length, 1}, DataType.DOUBLE);
        INDArray labels = Nd4j.ones(DataType.DOUBLE, x.length, 1);
        ActivationSigmoid sigmoid = new ActivationSigmoid();
        double[] l = loss.computeScoreArray(labels, logits, sigmoid, null).reshape(x.length).toDoubleVector();
        double[] g = loss.computeGradient(labels, logits, sigmoid, null).reshape(x.length).toDoubleVector();
        return new double[][] {l, g};
    }

    /** Figure 1: for each γ of {@link #FIGURE1_GAMMAS}, FL at the probabilities {@code pt}. */
    public static double[][] figure1(double[] pt) {
        double[] logits = new double[pt.length];
        for (int i = 0; i < pt.length; i++) {
            logits[i] = Math.log(pt[i]) - Math.log1p(-pt[i]);   // σ(x) = p_t for y = 1
        }
        double[][] curves = new double[FIGURE1_GAMMAS.length][];
        for (int k = 0; k < FIGURE1_GAMMAS.length; k++) {
            curves[k] = lossAndGradient(new LossFocal(-1, FIGURE1_GAMMAS[k]), logits)[0];
        }
        return curves;
    }

    /** Figures 5 (index 0: losses) and 6 (index 1: derivatives) at {@code xt}: [figure][loss][point]. */
    public static double[][][] figures5and6(double[] xt) {
        AbstractFocalLoss[] losses = xtLosses();
        double[][][] out = new double[2][losses.length][];
        for (int k = 0; k < losses.length; k++) {
            double[][] lg = lossAndGradient(losses[k], xt);
            out[0][k] = lg[0];
            out[1][k] = lg[1];
        }
        return out;
    }
}
