package org.focaldl4j.examples;

import java.util.Arrays;

import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The paper's Figure 4: take a trained model's logits x on positive (y = 1) and negative (y = 0)
 * anchor-class entries, compute FL(p_t) = −(1 − p_t)^γ·log p_t for several γ (no α), normalise each set
 * so that its losses sum to one, sort ascending and plot the cumulative sum against the fraction of
 * entries. A curve that stays near 0 until the far right means a few hard entries carry nearly all of
 * the loss.
 */
public final class LossCdf {

    /** The γ of the paper's figure. */
    public static final double[] GAMMAS = {0, 0.5, 1, 2};

    private LossCdf() {
    }

    /**
     * Splits the logits into positive and negative entries, leaving out those whose mask is 0.
     *
     * @return {positives, negatives} as flat logits
     */
    public static double[][] split(INDArray logits, INDArray labels, INDArray mask) {
        if (!Arrays.equals(logits.shape(), labels.shape()) || !Arrays.equals(logits.shape(), mask.shape())) {
            throw new IllegalArgumentException("logits, labels and mask need one shape; got " + Arrays.toString(logits.shape())
                    + ", " + Arrays.toString(labels.shape()) + ", " + Arrays.toString(mask.shape()));
        }
        double[] x = logits.dup('c').data().asDouble();
        double[] y = labels.dup('c').data().asDouble();
        double[] m = mask.dup('c').data().asDouble();
        int positives = 0;
        int negatives = 0;
        for (int i = 0; i < x.length; i++) {
            if (m[i] != 0) {
                if (y[i] == 1) {
                    positives++;
                } else if (y[i] == 0) {
                    negatives++;
                } else {
                    throw new IllegalArgumentException("label " + y[i] + " at flat index " + i + " is not 0 or 1");
                }
            }
        }
        double[] pos = new double[positives];
        double[] neg = new double[negatives];
        for (int i = 0, p = 0, n = 0; i < x.length; i++) {
            if (m[i] != 0) {
                if (y[i] == 1) {
                    pos[p++] = x[i];
                } else {
                    neg[n++] = x[i];
                }
            }
        }
        return new double[][] {pos, neg};
    }

    /** Per-entry focal loss (α off) of logits that all have label {@code label}, computed by {@link LossFocal}. */
    public static double[] focalLoss(double[] logits, int label, double gamma) {
        INDArray x = Nd4j.createFromArray(logits).reshape(logits.length, 1).castTo(DataType.DOUBLE);
        INDArray y = Nd4j.valueArrayOf(new long[] {logits.length, 1}, (double) label, DataType.DOUBLE);
        return new LossFocal(-1, gamma).computeScoreArray(y, x, Activation.SIGMOID.getActivationFunction(), null).data().asDouble();
    }

    /**
     * Figure 4's columns: for each γ of {@link #GAMMAS}, the CDF of the positives' losses, then for each γ that of
     * the negatives' — named "positive γ = …" and "negative γ = …" in {@code names} (filled here, length 2·|GAMMAS|).
     */
    public static double[][] figure4(double[] positives, double[] negatives, double[] fractions, String[] names) {
        int g = GAMMAS.length;
        double[][] ys = new double[2 * g][];
        for (int i = 0; i < g; i++) {
            names[i] = "positive γ = " + GAMMAS[i];
            ys[i] = cdf(focalLoss(positives, 1, GAMMAS[i]), fractions);
            names[g + i] = "negative γ = " + GAMMAS[i];
            ys[g + i] = cdf(focalLoss(negatives, 0, GAMMAS[i]), fractions);
        }
        return ys;
    }

    /**
     * The normalised cumulative loss at each fraction f ∈ [0, 1]: the share of the total carried by
     * the ⌈f·n⌉ smallest losses.
     */
    public static double[] cdf(double[] losses, double[] fractions) {
        if (losses.length == 0) {
            throw new IllegalArgumentException("no losses to take a CDF of");
        }
        double[] sorted = losses.clone();
        Arrays.sort(sorted);
        double[] cumulative = new double[sorted.length];
        double sum = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (!(sorted[i] >= 0) || Double.isInfinite(sorted[i])) {
                throw new IllegalArgumentException("loss " + sorted[i] + " at rank " + i + " is not finite and ≥ 0");
            }
            sum += sorted[i];
            cumulative[i] = sum;
        }
        double[] out = new double[fractions.length];
        for (int j = 0; j < fractions.length; j++) {
            double f = fractions[j];
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("fraction " + f + " at index " + j + " is outside [0, 1]");
            }
            int count = (int) Math.ceil(f * sorted.length - 1e-9);
            out[j] = count == 0 ? 0 : (sum == 0 ? f : cumulative[count - 1] / sum);
        }
        return out;
    }
}
