package org.focaldl4j.detection.anchor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A batch's targets are its images' targets, and every anchor's entry follows its match: the matched box's class,
 * K for background, −1 for ignored; positives 1 exactly where matched; deltas those of the box coder.
 */
class AnchorTargetsTest {

    private static final int K = 5;
    private static final AnchorPyramid PYRAMID = AnchorPyramid.of(2, 8, 16);
    private static final double[][][] BOXES = {{{10, 12, 30, 28}, {40, 5, 60, 21}}, {{2, 2, 20, 40}}};
    private static final int[][] CLASSES = {{3, 0}, {4}};

    @Test
    void aBatchIsItsImagesAndEveryAnchorCarriesItsMatch() {
        AnchorMatcher matcher = new AnchorMatcher();
        BoxCoder coder = new BoxCoder();
        AnchorTargets targets = new AnchorTargets(PYRAMID, 64, 64, K, matcher, coder);
        INDArray[] batch = targets.batch(BOXES, CLASSES);
        Boxes anchors = Boxes.of(PYRAMID.anchors(64, 64), "anchor");
        int a = targets.anchorsPerLocation();
        int seenPositive = 0;
        int seenBackground = 0;
        int seenIgnored = 0;
        for (int n = 0; n < BOXES.length; n++) {
            AnchorTargets.DenseTargets one = targets.assign(BOXES[n], CLASSES[n]);
            assertEquals(one.classIndices(), batch[0].get(NDArrayIndex.point(n)), "class indices of image " + n);
            assertEquals(one.boxDeltas(), batch[1].get(NDArrayIndex.point(n)), "deltas of image " + n);
            assertEquals(one.positives(), batch[2].get(NDArrayIndex.point(n)), "positives of image " + n);
            int[] match = matcher.match(anchors, Boxes.of(BOXES[n], "box"));
            for (int i = 0; i < match.length; i++) {
                int k = i % a;
                int loc = i / a;
                double expected = match[i] >= 0 ? CLASSES[n][match[i]]
                        : match[i] == AnchorMatcher.BACKGROUND ? K : AnchorLossLayer.IGNORE;
                assertEquals(expected, batch[0].getDouble(n, k, loc), "image " + n + ", anchor " + i);
                assertEquals(match[i] >= 0 ? 1.0 : 0.0, batch[2].getDouble(n, k, loc), "image " + n + ", anchor " + i);
                double[] d = match[i] >= 0 ? coder.encode(anchors.get(i), BOXES[n][match[i]]) : new double[4];
                for (int t = 0; t < 4; t++) {
                    assertEquals((float) d[t], batch[1].getFloat(n, 4 * k + t, loc), "image " + n + ", anchor " + i);
                }
                seenPositive += match[i] >= 0 ? 1 : 0;
                seenBackground += match[i] == AnchorMatcher.BACKGROUND ? 1 : 0;
                seenIgnored += match[i] == AnchorMatcher.IGNORED ? 1 : 0;
            }
        }
        assertTrue(seenPositive > 0 && seenBackground > 0 && seenIgnored > 0,
                "the boxes must give every kind of anchor: " + seenPositive + " positive, " + seenBackground
                        + " background, " + seenIgnored + " ignored");
    }

    @Test
    void badBoxesAndClassesAreRefusedNamingTheImage() {
        AnchorTargets targets = new AnchorTargets(PYRAMID, 64, 64, K, new AnchorMatcher(), new BoxCoder());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> targets.batch(
                new double[][][] {{{1, 1, 5, 5}}, {{3, 3, 3, 9}}}, new int[][] {{0}, {1}}));
        assertTrue(e.getMessage().contains("box 0 of image 1 has no area"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> targets.batch(new double[][][] {{{1, 1, 5, 5}}},
                new int[][] {{K}}));
        assertTrue(e.getMessage().contains("class of box 0 of image 0 is 5, outside [0, 5)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> targets.batch(new double[][][] {{{1, 1, 5, 5}}},
                new int[][] {{0, 1}}));
        assertTrue(e.getMessage().contains("image 0 has 2 classes for 1 boxes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> targets.batch(new double[][][] {{{1, Double.NaN, 5, 5}}},
                new int[][] {{0}}));
        assertTrue(e.getMessage().contains("image 0's box 0 must be a finite"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> targets.batch(new double[0][][], new int[0][]));
        assertThrows(IllegalArgumentException.class, () -> new AnchorTargets(PYRAMID, 64, 64, 0, new AnchorMatcher(),
                new BoxCoder()));
    }

    @Test
    void crowdRegionsTurnTheBackgroundInsideThemIntoIgnoredAnchors() {
        AnchorMatcher matcher = new AnchorMatcher();
        AnchorTargets targets = new AnchorTargets(PYRAMID, 64, 64, K, matcher, new BoxCoder());
        double[][] crowd = {{32, 32, 64, 64}};
        INDArray plain = targets.batch(BOXES, CLASSES)[0];
        INDArray withCrowd = targets.batch(BOXES, CLASSES, new double[][][] {crowd, {}})[0];
        Boxes anchors = targets.anchors();
        int[] expected = matcher.match(anchors, Boxes.of(BOXES[0], "box"), Boxes.of(crowd, "crowd"));
        int a = targets.anchorsPerLocation();
        int m = targets.locations();
        int changed = 0;
        for (int i = 0; i < expected.length; i++) {
            float got = withCrowd.getFloat(0, i % a, i / a);
            if (expected[i] == AnchorMatcher.IGNORED) {
                assertEquals(AnchorLossLayer.IGNORE, got, 0f);
                changed += plain.getFloat(0, i % a, i / a) == K ? 1 : 0;
            } else {
                assertEquals(plain.getFloat(0, i % a, i / a), got, 0f);
            }
        }
        assertTrue(changed > 0, "some background anchors became ignored");
        assertEquals(plain.get(NDArrayIndex.point(1)), withCrowd.get(NDArrayIndex.point(1)));
        assertEquals(m * a, expected.length);
    }
}
