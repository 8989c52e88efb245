package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Decoding, NMS and AP@IoU on cases worked out by hand. */
class DetectionEvalTest {

    private static final double[] A = {0, 0, 10, 10};
    private static final double[] B = {20, 20, 30, 30};
    private static final double[] C = {0, 0, 10, 10};

    @Test
    void averagePrecisionOfAHandWorkedRanking() {
        // Image 0 has boxes A and B of class 1, image 1 has box C of class 1 (and one of class 0).
        double[][][] gt = {{A, B}, {C, {50, 50, 60, 60}}};
        int[][] classes = {{1, 1}, {1, 0}};
        List<Detection> ranked = List.of(
                new Detection(0, 1, 0.9, A),                          // TP (A)
                new Detection(0, 1, 0.8, new double[] {40, 40, 45, 45}),   // FP
                new Detection(1, 1, 0.7, C),                          // TP (C)
                new Detection(0, 1, 0.6, new double[] {0, 0, 10, 9}), // FP: A already matched
                new Detection(0, 1, 0.5, B),                          // TP (B)
                new Detection(0, 0, 0.99, A));                        // another class: ignored
        // precision 1, 1/2, 2/3, 2/4, 3/5 at recall 1/3, 1/3, 2/3, 2/3, 1 → interpolated 1, 2/3, 2/3, 3/5, 3/5
        assertEquals((1 + 2.0 / 3 + 3.0 / 5) / 3, DetectionEval.averagePrecision(ranked, gt, classes, 1, 0.5), 1e-15);
        assertEquals(0.0, DetectionEval.averagePrecision(ranked, gt, classes, 0, 0.5), 0.0);   // its only detection misses
        assertTrue(Double.isNaN(DetectionEval.averagePrecision(ranked, gt, classes, 2, 0.5)));  // no box of class 2
        assertEquals(1.0, DetectionEval.averagePrecision(List.of(new Detection(0, 1, 0.3, A),
                new Detection(0, 1, 0.2, B), new Detection(1, 1, 0.1, C)), gt, classes, 1, 0.5), 0.0);
    }

    @Test
    void iouThresholdIsInclusive() {
        double[][][] gt = {{{0, 0, 2, 2}}};
        int[][] classes = {{0}};
        // IoU exactly 0.5 is a true positive at AP50; just below is not.
        assertEquals(1.0, DetectionEval.averagePrecision(List.of(new Detection(0, 0, 1, new double[] {0, 0, 4, 2})),
                gt, classes, 0, 0.5), 0.0);
        assertEquals(0.0, DetectionEval.averagePrecision(List.of(new Detection(0, 0, 1, new double[] {0, 0, 4.1, 2})),
                gt, classes, 0, 0.5), 0.0);
    }

    @Test
    void nmsSuppressesOverlapsOfTheSameClassOnly() {
        List<Detection> kept = DetectionEval.nms(List.of(
                new Detection(0, 0, 0.9, new double[] {0, 0, 10, 10}),
                new Detection(0, 0, 0.8, new double[] {1, 0, 11, 10}),     // IoU 9/11 with the first: suppressed
                new Detection(0, 1, 0.7, new double[] {1, 0, 11, 10}),     // other class: kept
                new Detection(0, 0, 0.6, new double[] {5, 0, 15, 10}),     // IoU 1/3: kept
                new Detection(1, 0, 0.5, new double[] {0, 0, 10, 10})),    // other image: kept
                0.5, 100);
        assertEquals(List.of(0.9, 0.7, 0.6, 0.5), kept.stream().map(Detection::score).collect(java.util.stream.Collectors.toList()));
        assertEquals(2, DetectionEval.nms(kept, 0.5, 2).size());
    }

    @Test
    void decodeReadsTheHeadsChannelLayout() {
        // A = 2 anchors, K = 2 classes, 1×2 map, stride 10: channel a·K + k at (h, w) ↔ anchor (h·W + w)·A + a.
        AnchorGenerator g = new AnchorGenerator(10, new double[] {1, 2}, new double[] {1}, 10);
        double[][] anchors = g.anchors(1, 2);
        INDArray p = Nd4j.zeros(DataType.DOUBLE, 4, 1, 2);
        p.putScalar(new long[] {1 * 2 + 0, 0, 1}, 0.8);     // anchor 1, class 0, at w = 1
        p.putScalar(new long[] {0 * 2 + 1, 0, 0}, 0.3);     // anchor 0, class 1, at w = 0
        p.putScalar(new long[] {0, 0, 0}, 0.01);            // below the score threshold
        List<Detection> d = DetectionEval.decode(7, p, anchors, 2, 0.05, 0.5, 100);
        assertEquals(2, d.size());
        assertEquals(0, d.get(0).classIndex());
        assertEquals(7, d.get(0).image());
        assertArrayEquals(anchors[(0 * 2 + 1) * 2 + 1], d.get(0).box(), 0.0);   // 20×20 anchor centred at (15, 5)
        assertArrayEquals(new double[] {5, -5, 25, 15}, d.get(0).box(), 1e-12);
        assertEquals(1, d.get(1).classIndex());
        assertArrayEquals(new double[] {0, 0, 10, 10}, d.get(1).box(), 1e-12);
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
