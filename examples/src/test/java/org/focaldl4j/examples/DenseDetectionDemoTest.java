package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.focaldl4j.loss.LossFocal;
import org.junit.jupiter.api.Test;

/** The detector trains end to end: loss falls and objects are found (AP50 well above a random ranking's ≈ 0). */
class DenseDetectionDemoTest {

    @Test
    void trainsAndDetects() {
        DenseDetectionDemo.Settings s = new DenseDetectionDemo.Settings().epochs(2).verbose(false);
        s.testImages = 64;
        DenseDetectionDemo.Result r = DenseDetectionDemo.run("CE", new LossFocal(0.75, 0), s, 1);
        assertTrue(r.lastLoss() < 0.5 * r.firstLoss(), "loss " + r.firstLoss() + " -> " + r.lastLoss());
        assertTrue(r.meanAp50 > 0.1, "mean AP50 " + r.meanAp50);
        for (double ap : r.ap50) {
            assertTrue(ap >= 0 && ap <= 1, "AP in [0, 1]: " + ap);
        }
    }
}
