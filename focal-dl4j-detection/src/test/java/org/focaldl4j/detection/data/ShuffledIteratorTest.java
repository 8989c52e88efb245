package org.focaldl4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link DetectionImages#shuffledIterator}: each epoch is the permutation the JDK's own {@code Collections.shuffle}
 * draws from the same {@code Random} (an independent implementation of Fisher–Yates), batches carry the images' own
 * targets, and the in-order iterator is unchanged.
 */
class ShuffledIteratorTest {

    private static final int N = 11;
    private static final int BATCH = 4;

    /** The order of one epoch's images, read back from the batches by matching each image to the dataset's. */
    private static List<Integer> epoch(MultiDataSetIterator it, DetectionImages data, AnchorTargets targets) {
        List<Integer> order = new ArrayList<>();
        while (it.hasNext()) {
            MultiDataSet b = it.next();
            INDArray images = b.getFeatures(0);
            for (int r = 0; r < images.size(0); r++) {
                INDArray image = images.get(NDArrayIndex.point(r));
                int found = -1;
                for (int i = 0; i < data.size(); i++) {
                    if (data.images(i, i + 1).get(NDArrayIndex.point(0)).equals(image)) {
                        found = i;
                    }
                }
                order.add(found);
                // the image's own targets travel with it
                INDArray[] t = targets.batch(new double[][][] {data.boxes(found)}, new int[][] {data.classes(found)});
                assertEquals(t[0].get(NDArrayIndex.point(0)), b.getLabels(0).get(NDArrayIndex.point(r)));
                assertEquals(t[1].get(NDArrayIndex.point(0)), b.getLabels(1).get(NDArrayIndex.point(r)));
                assertEquals(t[2].get(NDArrayIndex.point(0)), b.getLabelsMaskArray(1).get(NDArrayIndex.point(r)));
            }
        }
        return order;
    }

    private static List<Integer> jdkShuffle(Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        return order;
    }

    @Test
    void everyEpochIsTheNextPermutationOfTheSeedsRandom() {
        DetectionImages data = TinyDetection.canvases(N, 7);
        AnchorTargets targets = TinyDetection.detector().targets();
        MultiDataSetIterator it = data.shuffledIterator(targets, BATCH, 42);
        Random reference = new Random(42);
        List<List<Integer>> epochs = new ArrayList<>();
        for (int e = 0; e < 3; e++) {
            List<Integer> order = epoch(it, data, targets);
            assertEquals(jdkShuffle(reference), order, "epoch " + e);
            epochs.add(order);
            it.reset();
        }
        assertNotEquals(epochs.get(0), epochs.get(1));
        assertEquals(epochs, replay(data, targets, 42, 3), "the same seed gives the same epochs");
        assertNotEquals(epochs.get(0), epoch(data.shuffledIterator(targets, BATCH, 43), data, targets));
    }

    private static List<List<Integer>> replay(DetectionImages data, AnchorTargets targets, long seed, int epochs) {
        MultiDataSetIterator it = data.shuffledIterator(targets, BATCH, seed);
        List<List<Integer>> out = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
            out.add(epoch(it, data, targets));
            it.reset();
        }
        return out;
    }

    @Test
    void theInOrderIteratorStaysInOrder() {
        DetectionImages data = TinyDetection.canvases(N, 7);
        AnchorTargets targets = TinyDetection.detector().targets();
        MultiDataSetIterator it = data.iterator(targets, BATCH);
        List<Integer> expected = jdkShuffle(new Random(0));
        Collections.sort(expected);
        for (int e = 0; e < 2; e++) {
            assertEquals(expected, epoch(it, data, targets));
            it.reset();
        }
    }

    @Test
    void badArgumentsAreRefused() {
        DetectionImages data = TinyDetection.canvases(3, 7);
        AnchorTargets targets = TinyDetection.detector().targets();
        assertThrows(IllegalArgumentException.class, () -> data.shuffledIterator(null, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> data.shuffledIterator(targets, 0, 1));
        int[] p = TargetIterator.permutation(5, new Random(3));
        int[] sorted = p.clone();
        java.util.Arrays.sort(sorted);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, sorted);
    }
}
