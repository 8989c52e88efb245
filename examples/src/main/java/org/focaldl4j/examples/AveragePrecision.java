package org.focaldl4j.examples;

import java.util.Arrays;
import java.util.Comparator;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Average precision of a ranking, as the examples score a classifier's rare class. Items are ranked by decreasing score;
 * items of equal score form one threshold, so the order of tied items does not matter. At each
 * threshold n, with TP_n true positives among the P_n items scored at or above it and G relevant
 * items in all:
 * <pre>
 *   R_n = TP_n / G,   Prec_n = TP_n / P_n,   Prec*_n = max_{m ≥ n} Prec_m   (every-point interpolation)
 *   AP  = Σ_n (R_n − R_{n−1}) · Prec*_n,       R_0 = 0
 * </pre>
 * This is the every-point interpolated AP of PASCAL VOC 2010+ (and COCO's per-threshold precision
 * envelope before its 101-point sampling). It is 1 for a perfect ranking and close to the fraction of
 * relevant items for a random one; relevant items never retrieved (G larger than the hits) cap the recall.
 */
public final class AveragePrecision {

    private AveragePrecision() {
    }

    /**
     * @param scores   one score per ranked item, higher first (no NaN)
     * @param hits     per item, whether it is a true positive; same length as {@code scores}
     * @param relevant G, the number of relevant items (≥ the number of hits); 0 gives NaN
     * @return AP in [0, 1], or NaN when {@code relevant} is 0
     */
    public static double of(double[] scores, boolean[] hits, int relevant) {
        if (scores == null || hits == null || scores.length != hits.length) {
            throw new IllegalArgumentException("scores and hits must be arrays of equal length; got "
                    + (scores == null ? "null" : scores.length) + " and " + (hits == null ? "null" : hits.length));
        }
        int hitCount = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("scores[" + i + "] is NaN");
            }
            hitCount += hits[i] ? 1 : 0;
        }
        if (relevant < hitCount) {
            throw new IllegalArgumentException("relevant = " + relevant + " is less than the " + hitCount
                    + " hits; it must count every relevant item, found or not");
        }
        if (relevant == 0) {
            return Double.NaN;
        }
        Integer[] order = new Integer[scores.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());

        double[] recall = new double[scores.length];
        double[] precision = new double[scores.length];
        int thresholds = 0;
        int truePositives = 0;
        for (int k = 0; k < order.length; k++) {
            truePositives += hits[order[k]] ? 1 : 0;
            boolean lastOfTies = k + 1 == order.length || scores[order[k + 1]] != scores[order[k]];
            if (lastOfTies) {
                recall[thresholds] = truePositives / (double) relevant;
                precision[thresholds] = truePositives / (double) (k + 1);
                thresholds++;
            }
        }
        for (int n = thresholds - 2; n >= 0; n--) {
            precision[n] = Math.max(precision[n], precision[n + 1]);
        }
        double ap = 0;
        double previousRecall = 0;
        for (int n = 0; n < thresholds; n++) {
            ap += (recall[n] - previousRecall) * precision[n];
            previousRecall = recall[n];
        }
        return ap;
    }

    /** AP of scores against labels: every positive label is a relevant item. */
    public static double of(double[] scores, boolean[] positives) {
        if (positives == null) {
            throw new IllegalArgumentException("positives must not be null");
        }
        int relevant = 0;
        for (boolean p : positives) {
            relevant += p ? 1 : 0;
        }
        return of(scores, positives, relevant);
    }

    /**
     * AP of a network's scores against 0/1 labels, both vectors (or [n, 1] columns) of equal length: every
     * label 1 is a relevant item.
     *
     * @throws IllegalArgumentException on a length mismatch, a NaN score or a label other than 0 and 1
     */
    public static double of(INDArray scores, INDArray labels) {
        if (scores == null || labels == null || scores.length() != labels.length()) {
            throw new IllegalArgumentException("scores and labels must be arrays of equal length; got "
                    + (scores == null ? "null" : scores.length()) + " and " + (labels == null ? "null" : labels.length()));
        }
        double[] s = scores.toDoubleVector();
        double[] y = labels.toDoubleVector();
        boolean[] positives = new boolean[y.length];
        for (int i = 0; i < y.length; i++) {
            if (y[i] != 0.0 && y[i] != 1.0) {
                throw new IllegalArgumentException("labels must be 0 or 1; labels[" + i + "] = " + y[i]);
            }
            positives[i] = y[i] == 1.0;
        }
        return of(s, positives);
    }
}
