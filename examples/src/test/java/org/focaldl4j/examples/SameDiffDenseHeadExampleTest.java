package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pure-SameDiff focal-loss head learns its rare objects: the loss falls and they are ranked first. */
class SameDiffDenseHeadExampleTest {

    @Test
    void lossFallsAndTheRareClassIsFound() {
        SameDiffDenseHeadExample.Result r = SameDiffDenseHeadExample.train(60, 7, false);
        assertTrue(r.positiveRate < 0.005, "positives should be rare: " + r.positiveRate);
        assertTrue(r.finalLoss < 0.5 * r.initialLoss, "loss " + r.initialLoss + " -> " + r.finalLoss);
        assertTrue(r.testAveragePrecision > 0.5, "test AP " + r.testAveragePrecision + " (random: " + r.positiveRate + ")");
    }
}
