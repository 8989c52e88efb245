package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Figure 4's pieces on hand-worked cases. */
class LossCdfTest {

    @Test
    void cdfOfHandWorkedLosses() {
        // losses 3, 1, 0, 4 → sorted 0, 1, 3, 4, total 8, cumulative 0, 1/8, 4/8, 8/8
        double[] cdf = LossCdf.cdf(new double[] {3, 1, 0, 4}, new double[] {0, 0.25, 0.5, 0.6, 0.75, 1});
        assertArrayEquals(new double[] {0, 0, 0.125, 0.5, 0.5, 1}, cdf, 1e-15);
    }

    @Test
    void focalLossIsTheFormulaWithoutAlpha() {
        double[] x = {-3, -0.5, 0, 2, 7};
        for (double gamma : LossCdf.GAMMAS) {
            double[] pos = LossCdf.focalLoss(x, 1, gamma);
            double[] neg = LossCdf.focalLoss(x, 0, gamma);
            for (int i = 0; i < x.length; i++) {
                double p = 1 / (1 + Math.exp(-x[i]));
                assertEquals(-Math.pow(1 - p, gamma) * Math.log(p), pos[i], 1e-12, "y=1 x=" + x[i] + " γ=" + gamma);
                assertEquals(-Math.pow(p, gamma) * Math.log(1 - p), neg[i], 1e-12, "y=0 x=" + x[i] + " γ=" + gamma);
            }
        }
    }

    @Test
    void splitKeepsUnmaskedPositivesAndNegatives() {
        double[] x = {1, 2, 3, 4, 5, 6};
        double[] y = {1, 0, 0, 1, 0, 0};
        double[] m = {1, 1, 0, 0, 1, 1};
        double[][] s = LossCdf.split(Nd4j.createFromArray(x).reshape(1, 2, 3), Nd4j.createFromArray(y).reshape(1, 2, 3),
                Nd4j.createFromArray(m).reshape(1, 2, 3));
        assertArrayEquals(new double[] {1}, s[0]);
        assertArrayEquals(new double[] {2, 5, 6}, s[1]);
    }

    @Test
    void focusingMovesTheLossOfNegativesOntoFewEntries() {
        // Many easy negatives (p = 0.01) and a few hard ones (p = 0.7): as γ grows, the easy 99 % carry less.
        double[] logits = new double[1000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = i < 990 ? Math.log(0.01 / 0.99) : Math.log(0.7 / 0.3);
        }
        double previous = Double.POSITIVE_INFINITY;
        for (double gamma : LossCdf.GAMMAS) {
            double share = LossCdf.cdf(LossCdf.focalLoss(logits, 0, gamma), new double[] {0.99})[0];
            assertTrue(share < previous, "γ=" + gamma + " share " + share);
            previous = share;
        }
        assertTrue(previous < 0.01, "at γ=2 the easy negatives carry " + previous);
    }

    @Test
    void rejectsBadInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossCdf.cdf(new double[] {1, -2}, new double[] {0.5}));
        assertTrue(e.getMessage().contains("-2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LossCdf.cdf(new double[] {1}, new double[] {1.5}));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    }
}
