package org.focaldl4j.examples;

import java.util.Arrays;
import java.util.Comparator;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Average precision (AP): the area under the precision-recall curve, computed the way
 * scikit-learn's {@code average_precision_score} does it (no interpolation):
 * <pre>
 *   AP = Σ_n (R_n − R_{n−1}) · P_n
 * </pre>
 * where P_n and R_n are precision and recall when everything scoring ≥ the n-th highest
 * <em>distinct</em> score is predicted positive (R_0 = 0). Tied scores form a single threshold, so
 * the result does not depend on the order of tied examples.
 *
 * <p>A random ranking has an AP close to the fraction of positives; a perfect ranking has AP = 1.
 * Unlike accuracy or ROC-AUC it is dominated by how the rare class is ranked, which makes it the
 * usual metric for heavily imbalanced problems.
 */
public final class AveragePrecision {

    private AveragePrecision() {
    }

    /**
     * @param scores    classifier scores, higher meaning "more likely positive" (no NaNs)
     * @param positives {@code true} for the positive examples; same length as {@code scores}
     * @return the average precision, or NaN when there are no positives
     * @throws IllegalArgumentException on a length mismatch or a NaN score
     */
    public static double averagePrecision(double[] scores, boolean[] positives) {
        if (scores.length != positives.length) {
            throw new IllegalArgumentException("scores and positives differ in length: "
                    + scores.length + " vs " + positives.length);
        }
        int totalPositives = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
            if (positives[i]) {
                totalPositives++;
            }
        }
        if (totalPositives == 0) {
            return Double.NaN;
        }

        // Indices in order of decreasing score.
        Integer[] order = new Integer[scores.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());

        double ap = 0.0;
        double previousRecall = 0.0;
        int truePositives = 0;
        int predicted = 0;
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            predicted++;
            if (positives[i]) {
                truePositives++;
            }
            boolean lastOfTieGroup = k + 1 == order.length || scores[order[k + 1]] != scores[i];
            if (lastOfTieGroup) {
                double recall = (double) truePositives / totalPositives;
                double precision = (double) truePositives / predicted;
                ap += (recall - previousRecall) * precision;
                previousRecall = recall;
            }
        }
        return ap;
    }

    /**
     * Convenience overload for network output: {@code scores} and {@code labels} are vectors (or
     * [n, 1] columns) of equal length; a label &gt; 0.5 counts as positive.
     */
    public static double averagePrecision(INDArray scores, INDArray labels) {
        double[] s = scores.toDoubleVector();
        double[] y = labels.toDoubleVector();
        if (s.length != y.length) {
            throw new IllegalArgumentException("scores and labels differ in length: " + s.length + " vs " + y.length);
        }
        boolean[] positives = new boolean[y.length];
        for (int i = 0; i < y.length; i++) {
            positives[i] = y[i] > 0.5;
        }
        return averagePrecision(s, positives);
    }
}
