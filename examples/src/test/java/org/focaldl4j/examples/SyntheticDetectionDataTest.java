package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.focaldl4j.detection.AnchorGenerator;
import org.focaldl4j.detection.AnchorTargets;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SyntheticDetectionDataTest {

    @Test
    void sameSeedSameImages() {
        SyntheticDetectionData.Set a = SyntheticDetectionData.generate(6, 48, 3, 11);
        SyntheticDetectionData.Set b = SyntheticDetectionData.generate(6, 48, 3, 11);
        assertEquals(a.images, b.images);
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(a.classes[i], b.classes[i]);
            for (int k = 0; k < a.boxes[i].length; k++) {
                assertArrayEquals(a.boxes[i][k], b.boxes[i][k], 0.0);
            }
        }
        SyntheticDetectionData.Set c = SyntheticDetectionData.generate(6, 48, 3, 12);
        assertTrue(!a.images.equals(c.images), "another seed gives other images");
    }

    @Test
    void objectsAreInsideApartAndVisible() {
        SyntheticDetectionData.Set s = SyntheticDetectionData.generate(40, 48, 3, 5);
        int[] perClass = new int[SyntheticDetectionData.CLASSES];
        for (int i = 0; i < s.size(); i++) {
            assertTrue(s.boxes[i].length >= 1 && s.boxes[i].length <= 3);
            for (int k = 0; k < s.boxes[i].length; k++) {
                double[] b = s.boxes[i][k];
                assertTrue(b[0] >= 0 && b[1] >= 0 && b[2] <= 48 && b[3] <= 48 && b[2] > b[0] && b[3] > b[1]);
                int cls = s.classes[i][k];
                perClass[cls]++;
                double w = b[2] - b[0];
                double h = b[3] - b[1];
                assertTrue(cls == 0 ? w == h : cls == 1 ? w > h : h > w, "shape of class " + cls + ": " + w + "×" + h);
                INDArray region = s.images.get(NDArrayIndex.point(i), NDArrayIndex.point(0),
                        NDArrayIndex.interval((long) b[1], (long) b[3]), NDArrayIndex.interval((long) b[0], (long) b[2]));
                assertEquals(1.0, region.meanNumber().doubleValue(), 0.25, "object brightness");
                for (int j = k + 1; j < s.boxes[i].length; j++) {
                    assertEquals(0.0, AnchorTargets.iou(b, s.boxes[i][j]), 0.0);
                }
            }
        }
        for (int count : perClass) {
            assertTrue(count >= 10, "every class appears: " + java.util.Arrays.toString(perClass));
        }
    }

    @Test
    void targetsAreAsRareAsThePapersAndEveryBoxHasAnAnchor() {
        // 48×48 images, one pyramid level of stride 2 (24×24 map), the paper's 9 anchors of base 4·stride.
        SyntheticDetectionData.Set s = SyntheticDetectionData.generate(32, 48, 3, 9);
        AnchorGenerator anchors = new AnchorGenerator(6, AnchorGenerator.paperScales(), AnchorGenerator.paperRatios(), 2);
        INDArray[] lm = SyntheticDetectionData.targets(s, anchors, 24, 24, new AnchorTargets());
        INDArray labels = lm[0];
        assertArrayEquals(new long[] {32, 27, 24, 24}, labels.shape());
        double positives = labels.sumNumber().doubleValue();
        double entries = labels.length();
        assertTrue(positives / entries <= 1e-3, "positive:entries = " + positives + ":" + entries);
        for (int i = 0; i < s.size(); i++) {
            double perImage = labels.get(NDArrayIndex.point(i)).sumNumber().doubleValue();
            assertTrue(perImage >= s.boxes[i].length, "image " + i + ": " + perImage + " positives for "
                    + s.boxes[i].length + " boxes");
        }
        assertTrue(lm[1].minNumber().doubleValue() == 0.0, "some anchors are ignored");
    }
}
