package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.data.DetectionImages;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The IDX reader on hand-made files, the committed subset, and the canvases built from it. */
class FashionDataTest {

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(raw);
        }
        return out.toByteArray();
    }

    private static byte[] idxImages(int n, int magic) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(raw);
        d.writeInt(magic);
        d.writeInt(n);
        d.writeInt(28);
        d.writeInt(28);
        for (int i = 0; i < n * 28 * 28; i++) {
            d.writeByte(i % 256);
        }
        return gzip(raw.toByteArray());
    }

    private static byte[] idxLabels(int... labels) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(raw);
        d.writeInt(2049);
        d.writeInt(labels.length);
        for (int l : labels) {
            d.writeByte(l);
        }
        return gzip(raw.toByteArray());
    }

    @Test
    void readsIdxAndRefusesOtherFiles() throws IOException {
        FashionMnist.Items items = FashionMnist.read(new ByteArrayInputStream(idxImages(2, 2051)),
                new ByteArrayInputStream(idxLabels(7, 3)));
        assertEquals(2, items.size());
        assertEquals(7, items.label(0));
        assertEquals(3, items.label(1));
        assertEquals(5 / 255.0, items.pixel(0, 0, 5), 0.0);                     // byte i of the pixel stream is i mod 256
        assertEquals(((28 * 28 + 28 + 2) % 256) / 255.0, items.pixel(1, 1, 2), 0.0);
        IOException e = assertThrows(IOException.class, () -> FashionMnist.read(new ByteArrayInputStream(
                idxImages(2, 2049)), new ByteArrayInputStream(idxLabels(1, 2))));
        assertTrue(e.getMessage().contains("2051"), e.getMessage());
        e = assertThrows(IOException.class, () -> FashionMnist.read(new ByteArrayInputStream(idxImages(2, 2051)),
                new ByteArrayInputStream(idxLabels(1, 2, 3))));
        assertTrue(e.getMessage().contains("3 labels for 2"), e.getMessage());
        e = assertThrows(IOException.class, () -> FashionMnist.read(new ByteArrayInputStream(idxImages(1, 2051)),
                new ByteArrayInputStream(idxLabels(12))));
        assertTrue(e.getMessage().contains("label 12"), e.getMessage());
    }

    @Test
    void theCommittedSubsetHasEveryClass() {
        FashionMnist.Items train = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        FashionMnist.Items test = FashionMnist.load(FashionMnist.Source.SUBSET, false);
        assertEquals(3000, train.size());
        assertEquals(1000, test.size());
        int[] counts = new int[10];
        for (int i = 0; i < train.size(); i++) {
            counts[train.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(counts[c] > 200, "class " + c + ": " + counts[c]);
        }
        // The first training item of Fashion-MNIST is an ankle boot (label 9).
        assertEquals(9, train.label(0));
    }

    @Test
    void canvasesAreDeterministicWithTightSeparatedBoxes() {
        FashionMnist.Items items = FashionMnist.load(FashionMnist.Source.SUBSET, false);
        DetectionImages a = FashionCanvases.generate(items, 30, 64, 16, 40, 0.3, 5);
        DetectionImages b = FashionCanvases.generate(items, 30, 64, 16, 40, 0.3, 5);
        assertEquals(a.images(0, 30), b.images(0, 30));
        int total = 0;
        for (int i = 0; i < 30; i++) {
            double[][] boxes = a.boxes(i);
            assertArrayEquals(b.classes(i), a.classes(i));
            assertTrue(boxes.length >= 1 && boxes.length <= 4, "image " + i + ": " + boxes.length + " items");
            total += boxes.length;
            for (int k = 0; k < boxes.length; k++) {
                double[] box = boxes[k];
                assertTrue(box[2] - box[0] >= 4 && box[2] - box[0] <= 40 && box[3] - box[1] <= 40, "box " + k);
                // Tight: the pixel rows just inside the box edges hold bright pixels.
                double edge = a.images(i, i + 1).get(NDArrayIndex.point(0), NDArrayIndex.point(0),
                        NDArrayIndex.point((long) box[1]), NDArrayIndex.interval((long) box[0], (long) box[2]))
                        .maxNumber().doubleValue();
                assertTrue(edge > FashionCanvases.THRESHOLD, "top row of box " + k + " of image " + i);
                for (int j = k + 1; j < boxes.length; j++) {
                    assertTrue(Boxes.iou(box, boxes[j]) <= 0.3);
                }
            }
        }
        assertTrue(total >= 50, "items placed: " + total);
    }
}
