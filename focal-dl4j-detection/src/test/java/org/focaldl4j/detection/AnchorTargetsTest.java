package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Anchor generation and the paper's IoU matching, on cases worked out by hand. */
class AnchorTargetsTest {

    @Test
    void iouOfHandWorkedPairs() {
        assertEquals(1.0 / 7.0, AnchorTargets.iou(new double[] {0, 0, 2, 2}, new double[] {1, 1, 3, 3}), 1e-15);
        assertEquals(1.0, AnchorTargets.iou(new double[] {1, 2, 5, 4}, new double[] {1, 2, 5, 4}), 0.0);
        assertEquals(0.5, AnchorTargets.iou(new double[] {0, 0, 4, 2}, new double[] {0, 0, 2, 2}), 0.0);
        assertEquals(0.0, AnchorTargets.iou(new double[] {0, 0, 1, 1}, new double[] {1, 0, 2, 1}), 0.0);  // touching edges
        assertEquals(0.0, AnchorTargets.iou(new double[] {0, 0, 1, 1}, new double[] {3, 3, 4, 4}), 0.0);
    }

    @Test
    void generatorPlacesCentresAndShapes() {
        // base 8, scales {1, 2}, ratios {1, 4}, stride 4: A = 4 per location, ratio-major order.
        AnchorGenerator g = new AnchorGenerator(8, new double[] {1, 2}, new double[] {1, 4}, 4);
        assertEquals(4, g.anchorsPerLocation());
        double[][] anchors = g.anchors(2, 3);
        assertEquals(2 * 3 * 4, anchors.length);
        // location (h=1, w=2) → centre (10, 6); anchor a=0: ratio 1, scale 1 → 8×8
        assertArrayEquals(new double[] {6, 2, 14, 10}, anchors[(1 * 3 + 2) * 4], 1e-12);
        // a=1: ratio 1, scale 2 → 16×16
        assertArrayEquals(new double[] {2, -2, 18, 14}, anchors[(1 * 3 + 2) * 4 + 1], 1e-12);
        // a=2: ratio 4 (tall), scale 1 → width 8/2 = 4, height 8·2 = 16
        assertArrayEquals(new double[] {8, -2, 12, 14}, anchors[(1 * 3 + 2) * 4 + 2], 1e-12);
        // location (0, 0), a=3: ratio 4, scale 2 → 8 × 32 around (2, 2)
        assertArrayEquals(new double[] {-2, -14, 6, 18}, anchors[3], 1e-12);
        assertEquals(9, AnchorGenerator.paper(8).anchorsPerLocation());
        assertThrows(IllegalArgumentException.class, () -> new AnchorGenerator(8, new double[] {0}, new double[] {1}, 4));
    }

    @Test
    void thresholdsSplitForegroundIgnoredAndBackground() {
        double[][] box = {{0, 0, 2, 2}};
        double[][] anchors = {
                {0, 0, 2, 2},        // IoU 1        → foreground
                {0, 0, 4, 2},        // IoU 0.5      → foreground (≥ 0.5)
                {0, 0, 2, 4.5},      // IoU 4/9≈0.444 → ignored
                {0, 0, 5, 2},        // IoU 0.4      → ignored (not < 0.4)
                {0, 0, 2, 5.5},      // IoU 4/11≈0.364 → background
                {10, 10, 12, 12}};   // IoU 0        → background
        AnchorTargets t = new AnchorTargets();
        assertArrayEquals(new int[] {0, 0, AnchorTargets.IGNORED_MATCH, AnchorTargets.IGNORED_MATCH,
                AnchorTargets.BACKGROUND_MATCH, AnchorTargets.BACKGROUND_MATCH}, t.match(anchors, box));
        assertArrayEquals(new int[] {3, 3, -1, -1, 5, 5}, t.classLabels(anchors, box, new int[] {3}, 5));
    }

    @Test
    void everyBoxKeepsItsBestAnchor() {
        // The small box's best IoU is 1/16 (< 0.4): without the rule it would have no anchor at all.
        double[][] boxes = {{0, 0, 1, 1}, {10, 10, 14, 14}};
        double[][] anchors = {{0, 0, 4, 4}, {0, 0, 8, 8}, {10, 10, 14, 14}, {10, 10, 12, 12}};
        assertArrayEquals(new int[] {0, AnchorTargets.BACKGROUND_MATCH, 1, AnchorTargets.BACKGROUND_MATCH},
                new AnchorTargets().match(anchors, boxes));
        assertArrayEquals(new int[] {AnchorTargets.BACKGROUND_MATCH, AnchorTargets.BACKGROUND_MATCH, 1,
                AnchorTargets.BACKGROUND_MATCH}, new AnchorTargets(0.5, 0.4, false).match(anchors, boxes));
        // Ties: both anchors at the box's highest IoU are kept.
        double[][] tied = {{0, 0, 2, 4}, {0, 0, 4, 2}};
        assertArrayEquals(new int[] {0, 0}, new AnchorTargets(0.9, 0.8, true).match(tied, new double[][] {{0, 0, 2, 2}}));
    }

    @Test
    void labelsAndMaskFollowTheHeadsChannelLayout() {
        // A = 2 anchors per location, K = 3 classes, 1×2 map: anchor index (h·W + w)·A + a.
        int[] anchorLabels = {
                1, 3,        // (0,0): a0 → class 1, a1 → background
                -1, 0};      // (0,1): a0 → ignored, a1 → class 0
        INDArray[] lm = AnchorTargets.labelsAndMask(anchorLabels, 3, 2, 1, 2);
        INDArray labels = lm[0];
        INDArray mask = lm[1];
        assertArrayEquals(new long[] {6, 1, 2}, labels.shape());
        assertEquals(1.0, labels.getDouble(0 * 3 + 1, 0, 0), 0.0);    // a0 class 1 at (0,0)
        assertEquals(1.0, labels.getDouble(1 * 3 + 0, 0, 1), 0.0);    // a1 class 0 at (0,1)
        assertEquals(2.0, labels.sumNumber().doubleValue(), 0.0);       // nothing else
        for (int c = 0; c < 3; c++) {
            assertEquals(0.0, mask.getDouble(c, 0, 1), 0.0);           // a0 at (0,1) is ignored: all its K channels
        }
        assertEquals(6 * 2 - 3, mask.sumNumber().doubleValue(), 0.0);
    }

    @Test
    void badInputIsRefusedByName() {
        AnchorTargets t = new AnchorTargets();
        assertThrows(IllegalArgumentException.class, () -> new AnchorTargets(0.4, 0.5, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.match(new double[][] {{0, 0, 1, 1}}, new double[][] {{2, 0, 1, 1}}));
        assertEquals("box 0 must be a finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; got [2.0, 0.0, 1.0, 1.0]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> t.classLabels(new double[][] {{0, 0, 1, 1}}, new double[][] {{0, 0, 1, 1}}, new int[] {5}, 5));
        assertThrows(IllegalArgumentException.class, () -> AnchorTargets.labelsAndMask(new int[] {0, 1, 2}, 3, 2, 1, 2));
    }
}
