package org.focaldl4j.detection.anchor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.focaldl4j.detection.box.BoxCoder;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Multi-level anchors: sizes, the flat index, matching over all levels, the dense targets' layout. */
class AnchorPyramidTest {

    @Test
    void levelsConcatenateInFlatOrder() {
        AnchorPyramid p = AnchorPyramid.of(2, 8, 16);
        assertEquals(9, p.anchorsPerLocation());
        assertArrayEquals(new int[] {8, 8}, p.mapSize(0, 64, 64));
        assertArrayEquals(new int[] {4, 4}, p.mapSize(1, 64, 64));
        assertArrayEquals(new int[] {3, 4}, p.mapSize(1, 40, 64));           // ⌈40/16⌉ = 3
        assertArrayEquals(new int[] {0, 64, 80}, p.locationOffsets(64, 64));
        double[][] all = p.anchors(64, 64);
        assertEquals(9 * 80, all.length);
        // Level 0, location (h=1, w=2), anchor 4 is flat index 9·(1·8 + 2) + 4; level 1, location (0, 3), anchor 0 is 9·(64 + 3).
        assertArrayEquals(p.level(0).anchors(8, 8)[(1 * 8 + 2) * 9 + 4], all[9 * (1 * 8 + 2) + 4], 0.0);
        assertArrayEquals(p.level(1).anchors(4, 4)[3 * 9], all[9 * (64 + 3)], 0.0);
        // The centre of level 1's location (0, 3) is ((3 + ½)·16, ½·16) = (56, 8); anchor 0 there is ratio ½, scale 1, base 32.
        double[] a = all[9 * (64 + 3)];
        assertEquals(56, (a[0] + a[2]) / 2, 1e-12);
        assertEquals(8, (a[1] + a[3]) / 2, 1e-12);
        assertEquals(32 * 32, (a[2] - a[0]) * (a[3] - a[1]), 1e-9);
    }

    @Test
    void refusesLevelsThatCannotShareAHead() {
        AnchorGenerator nine = AnchorGenerator.paper(8);
        AnchorGenerator one = new AnchorGenerator(32, new double[] {1}, new double[] {1}, 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AnchorPyramid(List.of(nine, one)));
        assertTrue(e.getMessage().contains("same number of anchors"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AnchorPyramid.paper(16, 8));   // coarse before fine
        assertThrows(IllegalArgumentException.class, () -> new AnchorPyramid(List.of()));
    }

    @Test
    void denseTargetsFollowTheFlatLayout() {
        AnchorPyramid p = AnchorPyramid.of(2, 8, 16);
        double[][] anchors = p.anchors(64, 64);
        // One box equal to an anchor of level 1 (flat index i): that anchor is positive with deltas 0.
        int i = 9 * (64 + 5) + 7;
        double[] box = anchors[i].clone();
        box[0] = Math.max(box[0], 0);
        box[1] = Math.max(box[1], 0);
        AnchorTargets.DenseTargets t = new AnchorTargets(p, 64, 64, 10, new AnchorMatcher(), new BoxCoder())
                .assign(new double[][] {box}, new int[] {3});
        int m = 80;
        INDArray cls = t.classIndices();
        assertArrayEquals(new long[] {9, m}, cls.shape());
        assertArrayEquals(new long[] {36, m}, t.boxDeltas().shape());
        assertEquals(3.0, cls.getDouble(7, 64 + 5), 0.0);
        assertEquals(1.0, t.positives().getDouble(7, 64 + 5), 0.0);
        double[] expected = new BoxCoder().encode(anchors[i], box);
        for (int j = 0; j < 4; j++) {
            assertEquals(expected[j], t.boxDeltas().getDouble(4 * 7 + j, 64 + 5), 1e-6);
        }
        // Every anchor is accounted for: positives carry the class, the rest background (10) or ignored (−1).
        double positives = t.positives().sumNumber().doubleValue();
        assertEquals(positives, cls.lt(10).castTo(cls.dataType()).muli(cls.gte(0)).sumNumber().doubleValue(), 0.0);
        assertTrue(positives >= 1);
        // Anchors that are not positive have zero box targets.
        for (int loc = 0; loc < m; loc++) {
            for (int a = 0; a < 9; a++) {
                if (t.positives().getDouble(a, loc) == 0) {
                    for (int j = 0; j < 4; j++) {
                        assertEquals(0.0, t.boxDeltas().getDouble(4 * a + j, loc), 0.0);
                    }
                }
            }
        }
    }
}
