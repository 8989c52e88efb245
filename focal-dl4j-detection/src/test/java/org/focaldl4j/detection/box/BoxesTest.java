package org.focaldl4j.detection.box;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** IoU, clipping and class-wise NMS on hand-worked boxes; detections immutable and validated. */
class BoxesTest {

    @Test
    void iouOfHandWorkedPairs() {
        assertEquals(1.0 / 7.0, Boxes.iou(new double[] {0, 0, 2, 2}, new double[] {1, 1, 3, 3}), 1e-15);
        assertEquals(1.0, Boxes.iou(new double[] {1, 2, 5, 4}, new double[] {1, 2, 5, 4}), 0.0);
        assertEquals(0.5, Boxes.iou(new double[] {0, 0, 4, 2}, new double[] {0, 0, 2, 2}), 0.0);
        assertEquals(0.0, Boxes.iou(new double[] {0, 0, 1, 1}, new double[] {1, 0, 2, 1}), 0.0);  // touching edges
        assertEquals(0.0, Boxes.iou(new double[] {0, 0, 1, 1}, new double[] {3, 3, 4, 4}), 0.0);
    }

    @Test
    void pairwiseIouAndClip() {
        Boxes a = Boxes.of(new double[][] {{0, 0, 2, 2}, {1, 2, 5, 4}}, "box");
        Boxes b = Boxes.of(new double[][] {{1, 1, 3, 3}, {0, 0, 4, 2}, {1, 2, 5, 4}}, "box");
        double[][] iou = Boxes.pairwiseIou(a, b);
        assertArrayEquals(new double[] {1.0 / 7.0, 0.5, 0.0}, iou[0], 1e-15);
        assertArrayEquals(new double[] {2.0 / 10.0, 0.0, 1.0}, iou[1], 1e-15);       // overlap 2×1 of 8 + 4 − 2
        assertArrayEquals(new double[] {0, 0, 10, 6}, Boxes.clip(new double[] {-3, -1, 12, 6}, 10, 8), 0.0);
        double inf = Double.POSITIVE_INFINITY;
        assertArrayEquals(new double[] {10, 0, 10, 8}, Boxes.clip(new double[] {inf, -inf, inf, inf}, 10, 8), 0.0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Boxes.clip(new double[] {0, Double.NaN, 1, 1}, 10, 8));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Boxes.clip(new double[] {2, 0, 1, 1}, 10, 8));
        assertEquals(iou[1][0], a.iou(1, b, 0), 0.0);
        assertEquals(1.0, a.iou(1, b, 2), 0.0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> a.iou(2, b, 0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> a.iou(0, null, 0));
        assertEquals(-1, a.firstWithoutArea());
        assertEquals(1, Boxes.of(new double[][] {{0, 0, 1, 1}, {2, 2, 2, 5}}, "box").firstWithoutArea());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Boxes.of(new double[][] {{0, 0, 1, 1}, {2, 0, 1, 1}}, "anchor"));
        assertEquals("anchor 1 must be a finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; got [2.0, 0.0, 1.0, 1.0]",
                e.getMessage());
    }

    @Test
    void nmsSuppressesOverlapsOfTheSameGroupOnly() {
        Boxes boxes = Boxes.of(new double[][] {
            {0, 0, 10, 10},
            {1, 0, 11, 10},      // IoU 9/11 with the first: suppressed
            {1, 0, 11, 10},      // other class: kept
            {5, 0, 15, 10},      // IoU 1/3: kept
            {0, 0, 10, 10}},     // other group: kept
            "box");
        double[] scores = {0.9, 0.8, 0.7, 0.6, 0.5};
        int[] groups = {0, 0, 1, 0, 2};
        assertArrayEquals(new int[] {0, 2, 3, 4}, boxes.batchedNms(scores, groups, 0.5, 100));
        assertArrayEquals(new int[] {0, 2}, boxes.batchedNms(scores, groups, 0.5, 2));
        // best first, whatever the input order (now box 1 survives box 3, IoU 60/140, and suppresses box 0); equal
        // scores keep their order
        assertArrayEquals(new int[] {4, 3, 2, 1}, boxes.batchedNms(new double[] {0.5, 0.6, 0.7, 0.8, 0.9}, groups, 0.5,
                100));
        assertArrayEquals(new int[] {0, 1}, Boxes.of(new double[][] {{0, 0, 1, 1}, {5, 5, 6, 6}}, "box")
                .batchedNms(new double[] {0.5, 0.5}, new int[] {0, 0}, 0.5, 10));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> boxes.batchedNms(new double[] {0.9, Double.NaN, 0.7, 0.6, 0.5}, groups, 0.5, 100));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> boxes.batchedNms(scores, new int[] {0}, 0.5, 100));
    }

    @Test
    void detectionsAreImmutableAndValidated() {
        double[] box = {1, 2, 3, 4};
        Detection d = new Detection(0, 2, 0.5, box);
        box[0] = 99;
        assertArrayEquals(new double[] {1, 2, 3, 4}, d.box(), 0.0);
        d.box()[1] = 99;
        assertArrayEquals(new double[] {1, 2, 3, 4}, d.box(), 0.0);
        assertEquals(new Detection(0, 2, 0.5, new double[] {1, 2, 3, 4}), d);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Detection(0, 0, 0.5, new double[] {3, 0, 1, 4}));
        assertTrue(e.getMessage().contains("[3.0, 0.0, 1.0, 4.0]"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Detection(-1, 0, 0.5, box));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Detection(0, 0, Double.NaN, box));
    }
}
