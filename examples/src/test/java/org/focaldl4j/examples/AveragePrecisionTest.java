package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hand-worked values of the every-point interpolated AP; each comment lists (recall, precision) at every
 * distinct threshold, then the interpolated precision (the best precision at that recall or beyond).
 */
class AveragePrecisionTest {

    private static final double TOL = 1e-12;

    @Test
    void scikitLearnsDocumentedExample() {
        // sorted: 0.8(+) 0.4(-) 0.35(+) 0.1(-): (1/2, 1) (1/2, 1/2) (1, 2/3) (1, 1/2)
        // interpolated 1, 2/3, 2/3, 1/2  ->  1/2·1 + 1/2·2/3 = 5/6 (here equal to scikit-learn's uninterpolated AP)
        double ap = AveragePrecision.of(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        assertEquals(5.0 / 6.0, ap, TOL);
    }

    @Test
    void perfectRankingIsOne() {
        assertEquals(1.0, AveragePrecision.of(new double[] {0.9, 0.1, 0.8, 0.2, 0.7},
                new boolean[] {true, false, true, false, true}), TOL);
    }

    @Test
    void interpolationLiftsEarlyPrecision() {
        // sorted: 0.9(-) 0.8(-) 0.3(+) 0.2(+): (0, 0) (0, 0) (1/2, 1/3) (1, 1/2)
        // interpolated 1/2 everywhere  ->  1/2·1/2 + 1/2·1/2 = 1/2 (scikit-learn, uninterpolated: 5/12)
        assertEquals(0.5, AveragePrecision.of(new double[] {0.3, 0.9, 0.2, 0.8}, new boolean[] {true, false, true, false}),
                TOL);
    }

    @Test
    void allTiedScoresGiveThePositiveFraction() {
        double[] scores = new double[8];
        java.util.Arrays.fill(scores, 0.42);
        boolean[] positives = {false, true, false, false, true, false, true, false};
        assertEquals(3.0 / 8.0, AveragePrecision.of(scores, positives), TOL);
    }

    @Test
    void tiesAreOneThresholdWhateverTheirOrder() {
        // groups {0.9: -} {0.8: +,-} {0.7: +} {0.6: +,-} {0.2: +}, 4 positives:
        // (0, 0) (1/4, 1/3) (2/4, 2/4) (3/4, 3/6) (1, 4/7); interpolated 4/7 everywhere  ->  4/7
        double[] scores = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.2};
        boolean[] positives = {false, true, false, true, true, false, true};
        assertEquals(4.0 / 7.0, AveragePrecision.of(scores, positives), TOL);
        double[] scores2 = {0.6, 0.2, 0.8, 0.9, 0.6, 0.7, 0.8};
        boolean[] positives2 = {false, true, false, false, true, true, true};
        assertEquals(4.0 / 7.0, AveragePrecision.of(scores2, positives2), TOL);
        // A tie is one threshold, not the lucky order: {0.8: +, -} gives (1, 1/2) -> 1/2, while 0.81(+) 0.8(-)
        // gives (1, 1) (1, 1/2) -> 1.
        assertEquals(0.5, AveragePrecision.of(new double[] {0.8, 0.8}, new boolean[] {true, false}), TOL);
        assertEquals(1.0, AveragePrecision.of(new double[] {0.81, 0.8}, new boolean[] {true, false}), TOL);
    }

    @Test
    void relevantItemsNeverFoundCapTheRecall() {
        // 1 hit of 4 relevant items: (1/4, 1) (1/4, 1/2)  ->  1/4
        assertEquals(0.25, AveragePrecision.of(new double[] {0.9, 0.8}, new boolean[] {true, false}, 4), TOL);
        assertEquals(0.0, AveragePrecision.of(new double[0], new boolean[0], 3), 0.0);
    }

    @Test
    void noRelevantItemIsNaN() {
        assertTrue(Double.isNaN(AveragePrecision.of(new double[] {0.3, 0.7}, new boolean[] {false, false})));
        assertTrue(Double.isNaN(AveragePrecision.of(new double[0], new boolean[0])));
    }

    @Test
    void inputsAreNotModified() {
        double[] scores = {0.1, 0.4, 0.35, 0.8};
        boolean[] positives = {false, false, true, true};
        AveragePrecision.of(scores, positives);
        assertArrayEquals(new double[] {0.1, 0.4, 0.35, 0.8}, scores);
        assertArrayEquals(new boolean[] {false, false, true, true}, positives);
    }

    @Test
    void refusesBadInputByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AveragePrecision.of(new double[] {0.1, 0.2}, new boolean[] {true}));
        assertTrue(e.getMessage().contains("2 and 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AveragePrecision.of(new double[] {0.1, Double.NaN}, new boolean[] {true, false}));
        assertTrue(e.getMessage().contains("scores[1] is NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AveragePrecision.of(new double[] {0.1, 0.2}, new boolean[] {true, true}, 1));
        assertTrue(e.getMessage().contains("relevant = 1"), e.getMessage());
    }
}
