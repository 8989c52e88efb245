package org.focaldl4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.model.RetinaNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Training from a folder sees exactly what training from memory sees: {@link LabelledImages#iterator} over a COCO
 * and a VOC export of {@link TinyDetection}'s canvases gives the batches of {@link DetectionImages#shuffledIterator}
 * with the same seed (features, labels, masks; two epochs), and the same first training steps; flips are
 * reproducible and move the boxes with the pixels.
 */
class FolderIteratorTest {

    private static final List<String> NAMES = List.of("wide", "tall");

    private static void assertSameBatches(MultiDataSetIterator expected, MultiDataSetIterator got, int epochs) {
        for (int e = 0; e < epochs; e++) {
            int batches = 0;
            while (expected.hasNext()) {
                assertTrue(got.hasNext(), "epoch " + e + " batch " + batches);
                MultiDataSet a = expected.next();
                MultiDataSet b = got.next();
                assertEquals(a.getFeatures(0), b.getFeatures(0), "features, epoch " + e + " batch " + batches);
                assertEquals(a.getLabels(0), b.getLabels(0), "class targets, epoch " + e + " batch " + batches);
                assertEquals(a.getLabels(1), b.getLabels(1), "box targets, epoch " + e + " batch " + batches);
                assertEquals(a.getLabelsMaskArray(1), b.getLabelsMaskArray(1), "positives, epoch " + e);
                assertEquals(null, b.getLabelsMaskArray(0));
                batches++;
            }
            assertFalse(got.hasNext());
            assertEquals(3, batches);
            expected.reset();
            got.reset();
        }
    }

    @Test
    void aFolderStreamsTheBatchesThatMemoryGives(@TempDir Path tmp) throws IOException {
        DetectionImages canvases = TinyDetection.canvases(21, 4);
        assertEquals(canvases.images(0, 21), ImageFolders.quantised(canvases).images(0, 21), "0/1 pixels are exact");
        ImageFolders.writeCoco(canvases, NAMES, tmp.resolve("coco"));
        ImageFolders.writeVoc(canvases, List.of("tall", "wide"), "all", tmp.resolve("voc"));   // sorted names: same ids
        AnchorTargets targets = TinyDetection.detector().targets();
        LabelledImages coco = LabelledImages.readCoco(tmp.resolve("coco/images"), tmp.resolve("coco/annotations.json"));
        LabelledImages voc = LabelledImages.readVoc(tmp.resolve("voc"), "all");
        for (LabelledImages folder : List.of(coco, voc)) {
            assertSameBatches(canvases.shuffledIterator(targets, 8, 7),
                    folder.iterator(targets, Streaming.of(1, 8).shuffled(7).background(3, 2)), 2);
        }
        assertSameBatches(canvases.iterator(targets, 8), coco.iterator(targets, Streaming.of(1, 8)), 1);
    }

    @Test
    void theFirstTrainingStepsAreTheSame(@TempDir Path tmp) throws IOException {
        DetectionImages canvases = TinyDetection.canvases(16, 9);
        ImageFolders.writeCoco(canvases, NAMES, tmp.resolve("coco"));
        LabelledImages coco = LabelledImages.readCoco(tmp.resolve("coco/images"), tmp.resolve("coco/annotations.json"));
        RetinaNet detector = TinyDetection.detector();
        ComputationGraph fromMemory = detector.network();
        ComputationGraph fromFolder = detector.network();
        assertEquals(fromMemory.params(), fromFolder.params());
        MultiDataSetIterator a = canvases.shuffledIterator(detector.targets(), 8, 3);
        MultiDataSetIterator b = coco.iterator(detector.targets(), Streaming.of(1, 8).shuffled(3));
        for (int step = 0; step < 2; step++) {
            fromMemory.fit(a.next());
            fromFolder.fit(b.next());
        }
        assertEquals(fromMemory.score(), fromFolder.score(), 0.0);
        assertEquals(fromMemory.params(), fromFolder.params());
    }

    @Test
    void flipsAreReproducibleAndMoveTheBoxesWithThePixels(@TempDir Path tmp) throws IOException {
        DetectionImages canvases = TinyDetection.canvases(12, 2);
        ImageFolders.writeCoco(canvases, NAMES, tmp.resolve("coco"));
        LabelledImages coco = LabelledImages.readCoco(tmp.resolve("coco/images"), tmp.resolve("coco/annotations.json"));
        AnchorTargets targets = TinyDetection.detector().targets();
        Streaming how = Streaming.of(1, 12).shuffled(5).flipped();
        MultiDataSet first = coco.iterator(targets, how).next();
        MultiDataSet again = coco.iterator(targets, how).next();
        assertEquals(first.getFeatures(0), again.getFeatures(0));
        MultiDataSet plain = coco.iterator(targets, Streaming.of(1, 12).shuffled(5)).next();
        int flipped = 0;
        int s = TinyDetection.SIZE;
        for (int k = 0; k < 12; k++) {
            float[] p = plain.getFeatures(0).get(NDArrayIndex.point(k)).dup().data().asFloat();
            float[] f = first.getFeatures(0).get(NDArrayIndex.point(k)).dup().data().asFloat();
            float[] mirrored = new float[s * s];
            for (int y = 0; y < s; y++) {
                for (int x = 0; x < s; x++) {
                    mirrored[y * s + x] = p[y * s + s - 1 - x];
                }
            }
            if (java.util.Arrays.equals(f, p) && !java.util.Arrays.equals(p, mirrored)) {
                continue;
            }
            assertArrayEquals(mirrored, f, 0f, "image " + k + " is itself or its mirror");
            flipped++;
        }
        assertTrue(flipped > 0 && flipped < 12, "some but not all images flipped: " + flipped);
        // The targets are those of the flipped boxes, as the letterbox moves them.
        assertFalse(first.getLabels(0).equals(plain.getLabels(0)));
        int[] order = TargetIterator.permutation(12, new java.util.Random(5));
        java.util.Random flips = new java.util.Random(~5L);
        Letterbox l = new Letterbox(s);
        double[][][] boxes = new double[12][][];
        int[][] classes = new int[12][];
        for (int k = 0; k < 12; k++) {
            int i = order[k];
            boolean flip = flips.nextBoolean();
            boxes[k] = l.boxes(coco.boxes(i), l.place(s, s), flip);
            classes[k] = coco.classes(i);
        }
        INDArray[] t = targets.batch(boxes, classes);
        assertEquals(t[0], first.getLabels(0));
        assertEquals(t[1], first.getLabels(1));
    }

    @Test
    void anImageThatBreaksAfterReadingIsNamedWhenItsBatchIsMade(@TempDir Path tmp) throws IOException {
        DetectionImages canvases = TinyDetection.canvases(4, 2);
        ImageFolders.writeCoco(canvases, NAMES, tmp.resolve("coco"));
        LabelledImages coco = LabelledImages.readCoco(tmp.resolve("coco/images"), tmp.resolve("coco/annotations.json"));
        Files.writeString(tmp.resolve("coco/images/000003.png"), "gone");
        MultiDataSetIterator it = coco.iterator(TinyDetection.detector().targets(), Streaming.of(1, 2));
        it.next();
        UncheckedIOException e = assertThrows(UncheckedIOException.class, it::next);
        assertTrue(e.getMessage().contains("000003.png"), e.getMessage());
        IllegalStateException after = assertThrows(IllegalStateException.class, it::next);
        assertTrue(after.getMessage().contains("reset()"), after.getMessage());
        it.reset();
        it.next();                                  // the epoch starts again: its first batch is fine
        assertThrows(IllegalArgumentException.class, () -> it.next(3));
        assertThrows(IllegalArgumentException.class, () -> Streaming.of(1, 2).flipped());
        assertThrows(IllegalArgumentException.class, () -> coco.iterator(null, Streaming.of(1, 2)));
    }

    @Test
    void skippingResumesTheStreamWhereItWas(@TempDir Path tmp) throws IOException {
        DetectionImages canvases = TinyDetection.canvases(21, 6);
        ImageFolders.writeCoco(canvases, NAMES, tmp.resolve("coco"));
        LabelledImages coco = LabelledImages.readCoco(tmp.resolve("coco/images"), tmp.resolve("coco/annotations.json"));
        AnchorTargets targets = TinyDetection.detector().targets();
        Streaming how = Streaming.of(1, 8).shuffled(11).flipped();
        MultiDataSetIterator straight = coco.iterator(targets, how);
        java.util.List<MultiDataSet> batches = new java.util.ArrayList<>();
        for (int b = 0; b < 8; b++) {                       // 3 batches per epoch: 8 batches cross two epoch ends
            if (!straight.hasNext()) {
                straight.reset();
            }
            batches.add(straight.next());
        }
        for (int skip : new int[] {1, 3, 4, 7}) {
            MultiDataSetIterator resumed = coco.iterator(targets, how.skipping(skip));
            for (int b = skip; b < 8; b++) {
                if (!resumed.hasNext()) {
                    resumed.reset();
                }
                MultiDataSet got = resumed.next();
                assertEquals(batches.get(b).getFeatures(0), got.getFeatures(0), "skip " + skip + ", batch " + b);
                assertEquals(batches.get(b).getLabels(1), got.getLabels(1), "skip " + skip + ", batch " + b);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> how.skipping(-1));
    }
}
