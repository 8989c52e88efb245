package org.focaldl4j.examples;

import static org.focaldl4j.examples.AveragePrecision.averagePrecision;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Hand-worked values; each comment lists (recall, precision) at every distinct threshold. */
class AveragePrecisionTest {

    private static final double TOL = 1e-12;

    @Test
    void scikitLearnDocumentedExample() {
        // sorted: 0.8(+) 0.4(-) 0.35(+) 0.1(-)
        // (1/2, 1) (1/2, 1/2) (1, 2/3) (1, 1/2)  ->  1/2·1 + 1/2·2/3 = 5/6
        double ap = averagePrecision(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true});
        assertEquals(5.0 / 6.0, ap, TOL);
        assertEquals(0.8333333333, ap, 1e-10);
    }

    @Test
    void perfectRankingIsOne() {
        double ap = averagePrecision(new double[] {0.9, 0.1, 0.8, 0.2, 0.7},
                new boolean[] {true, false, true, false, true});
        assertEquals(1.0, ap, TOL);
    }

    @Test
    void worstRanking() {
        // sorted: 0.9(-) 0.8(-) 0.3(+) 0.2(+)
        // (0, 0) (0, 0) (1/2, 1/3) (1, 1/2)  ->  1/2·1/3 + 1/2·1/2 = 5/12
        double ap = averagePrecision(new double[] {0.3, 0.9, 0.2, 0.8}, new boolean[] {true, false, true, false});
        assertEquals(5.0 / 12.0, ap, TOL);
    }

    @Test
    void allTiedScoresGiveThePositiveFraction() {
        // One threshold: recall 1 at precision 3/8.
        double[] scores = new double[8];
        java.util.Arrays.fill(scores, 0.42);
        boolean[] positives = {false, true, false, false, true, false, true, false};
        assertEquals(3.0 / 8.0, averagePrecision(scores, positives), TOL);
    }

    @Test
    void tiesAreOneThresholdWhateverTheirOrder() {
        // sorted groups: {0.9: -} {0.8: +,-} {0.7: +} {0.6: +,-} {0.2: +}   (4 positives)
        // (0, 0) (1/4, 1/3) (2/4, 2/4) (3/4, 3/6) (1, 4/7)
        //   -> 1/4·1/3 + 1/4·1/2 + 1/4·1/2 + 1/4·4/7 = 1/12 + 1/4 + 1/7 = 10/21
        double[] scores = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.2};
        boolean[] positives = {false, true, false, true, true, false, true};
        assertEquals(10.0 / 21.0, averagePrecision(scores, positives), TOL);

        // Same multiset, tied members swapped and the whole list permuted.
        double[] scores2 = {0.6, 0.2, 0.8, 0.9, 0.6, 0.7, 0.8};
        boolean[] positives2 = {false, true, false, false, true, true, true};
        assertEquals(10.0 / 21.0, averagePrecision(scores2, positives2), TOL);
    }

    @Test
    void noPositivesIsNaN() {
        assertTrue(Double.isNaN(averagePrecision(new double[] {0.3, 0.7}, new boolean[] {false, false})));
        assertTrue(Double.isNaN(averagePrecision(new double[0], new boolean[0])));
    }

    @Test
    void inputsAreNotModified() {
        double[] scores = {0.1, 0.4, 0.35, 0.8};
        boolean[] positives = {false, false, true, true};
        averagePrecision(scores, positives);
        assertArrayEquals(new double[] {0.1, 0.4, 0.35, 0.8}, scores);
        assertArrayEquals(new boolean[] {false, false, true, true}, positives);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class,
                () -> averagePrecision(new double[] {0.1, 0.2}, new boolean[] {true}));
        assertThrows(IllegalArgumentException.class,
                () -> averagePrecision(new double[] {0.1, Double.NaN}, new boolean[] {true, false}));
    }

    @Test
    void indArrayOverloadMatches() {
        // [n, 1] columns, as returned by a network with one sigmoid output.
        double ap = averagePrecision(Nd4j.createFromArray(0.1, 0.4, 0.35, 0.8).reshape(4, 1),
                Nd4j.createFromArray(0.0, 0.0, 1.0, 1.0).reshape(4, 1));
        assertEquals(5.0 / 6.0, ap, TOL);
    }
}
