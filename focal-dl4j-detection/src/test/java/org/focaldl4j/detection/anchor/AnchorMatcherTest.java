package org.focaldl4j.detection.anchor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.focaldl4j.detection.box.Boxes;
import org.junit.jupiter.api.Test;

/** Anchor generation and the paper's IoU matching, on cases worked out by hand. */
class AnchorMatcherTest {

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
        AnchorMatcher t = new AnchorMatcher();
        assertArrayEquals(new int[] {0, 0, AnchorMatcher.IGNORED, AnchorMatcher.IGNORED,
                AnchorMatcher.BACKGROUND, AnchorMatcher.BACKGROUND}, t.match(Boxes.of(anchors, "anchor"), Boxes.of(box, "box")));
    }

    @Test
    void everyBoxKeepsItsBestAnchor() {
        // The small box's best IoU is 1/16 (< 0.4): without the rule it would have no anchor at all.
        double[][] boxes = {{0, 0, 1, 1}, {10, 10, 14, 14}};
        double[][] anchors = {{0, 0, 4, 4}, {0, 0, 8, 8}, {10, 10, 14, 14}, {10, 10, 12, 12}};
        assertArrayEquals(new int[] {0, AnchorMatcher.BACKGROUND, 1, AnchorMatcher.BACKGROUND},
                new AnchorMatcher().match(Boxes.of(anchors, "anchor"), Boxes.of(boxes, "box")));
        assertArrayEquals(new int[] {AnchorMatcher.BACKGROUND, AnchorMatcher.BACKGROUND, 1,
                AnchorMatcher.BACKGROUND}, new AnchorMatcher(0.5, 0.4, false).match(Boxes.of(anchors, "anchor"), Boxes.of(boxes, "box")));
        // Ties: both anchors at the box's highest IoU are kept.
        double[][] tied = {{0, 0, 2, 4}, {0, 0, 4, 2}};
        assertArrayEquals(new int[] {0, 0}, new AnchorMatcher(0.9, 0.8, true).match(Boxes.of(tied, "anchor"), Boxes.of(new double[][] {{0, 0, 2, 2}}, "box")));
    }

    @Test
    void badInputIsRefusedByName() {
        AnchorMatcher t = new AnchorMatcher();
        assertThrows(IllegalArgumentException.class, () -> new AnchorMatcher(0.4, 0.5, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.match(Boxes.of(new double[][] {{0, 0, 1, 1}}, "anchor"), Boxes.of(new double[][] {{2, 0, 1, 1}}, "box")));
        assertEquals("box 0 must be a finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; got [2.0, 0.0, 1.0, 1.0]",
                e.getMessage());
    }

    @Test
    void backgroundAnchorsInsideACrowdRegionAreIgnored() {
        Boxes box = Boxes.of(new double[][] {{0, 0, 4, 4}}, "box");
        Boxes crowd = Boxes.of(new double[][] {{10, 0, 20, 10}, {0, 0, 5, 5}}, "crowd");
        Boxes anchors = Boxes.of(new double[][] {
                {0, 0, 4, 4},        // IoU 1 with the box: matched, although wholly inside crowd region 1
                {12, 2, 16, 6},      // background, wholly inside region 0 (IoA 1)        → ignored
                {17, 0, 22, 2},      // background, IoA 3·2 / 5·2 = 0.6 with region 0      → background
                {16, 0, 26, 2},      // IoA 4·2 / 10·2 = 0.4                                → background
                {13, 3, 23, 5},      // IoA 7·2 / 10·2 = 0.7, exactly the threshold          → ignored
                {30, 30, 31, 31},    // far from everything                                  → background
        }, "anchor");
        AnchorMatcher m = new AnchorMatcher(0.5, 0.4, false);
        assertArrayEquals(new int[] {0, AnchorMatcher.IGNORED, AnchorMatcher.BACKGROUND, AnchorMatcher.BACKGROUND,
            AnchorMatcher.IGNORED, AnchorMatcher.BACKGROUND}, m.match(anchors, box, crowd));
        // Without crowd regions, the plain match; with a stricter threshold, only the wholly-inside anchor.
        assertArrayEquals(m.match(anchors, box), m.match(anchors, box, Boxes.of(new double[0][], "crowd")));
        assertArrayEquals(new int[] {0, AnchorMatcher.IGNORED, AnchorMatcher.BACKGROUND, AnchorMatcher.BACKGROUND,
            AnchorMatcher.BACKGROUND, AnchorMatcher.BACKGROUND},
                new AnchorMatcher(0.5, 0.4, false, 0.95).match(anchors, box, crowd));
        assertEquals(0.6, anchors.ioa(2, crowd, 0), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> new AnchorMatcher(0.5, 0.4, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new AnchorMatcher(0.5, 0.4, true, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> m.match(anchors, box, null));
    }
}
