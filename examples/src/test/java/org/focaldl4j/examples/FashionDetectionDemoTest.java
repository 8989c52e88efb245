package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The demo end to end on a short budget: it trains (loss falls), and beats the untrained detector in AP50. */
class FashionDetectionDemoTest {

    @Test
    void trainsAndBeatsTheUntrainedDetector() {
        FashionDetector.Settings s = new FashionDetector.Settings();
        s.trainCanvases = 160;
        s.testCanvases = 40;
        s.iterations = 60;
        s.width = 8;
        s.verbose = false;
        FashionDetectionDemo.Result r = FashionDetectionDemo.run(s, 2);
        assertTrue(r.lastLoss < 0.8 * r.firstLoss, "loss " + r.firstLoss + " -> " + r.lastLoss);
        assertTrue(r.trained.get("AP50") > r.untrained.get("AP50") + 0.02,
                "AP50 untrained " + r.untrained.get("AP50") + ", trained " + r.trained.get("AP50"));
        assertEquals(40, r.detections.size());
    }
}
