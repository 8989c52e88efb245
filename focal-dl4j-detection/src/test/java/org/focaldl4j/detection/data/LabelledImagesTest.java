package org.focaldl4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dataset written by {@link ImageFolders} reads back through {@link LabelledImages} exactly as the in-memory
 * dataset it came from (after {@link ImageFolders#quantised}): the same pixels, boxes, classes and category names,
 * from a COCO folder and from a VOC folder, grey and RGB.
 */
class LabelledImagesTest {

    static final List<String> NAMES = List.of("circle", "square & co", "<tri>");

    /** N images of H×W with C channels, 0–3 integral boxes each, classes in [0, 3). */
    static DetectionImages dataset(int n, int channels, int h, int w, long seed) {
        Random r = new Random(seed);
        INDArray images = Nd4j.rand(DataType.FLOAT, n, channels, h, w);
        double[][][] boxes = new double[n][][];
        int[][] classes = new int[n][];
        for (int i = 0; i < n; i++) {
            int count = r.nextInt(4);
            boxes[i] = new double[count][];
            classes[i] = new int[count];
            for (int b = 0; b < count; b++) {
                int x1 = r.nextInt(w - 2);
                int y1 = r.nextInt(h - 2);
                boxes[i][b] = new double[] {x1, y1, x1 + 1 + r.nextInt(w - x1 - 1), y1 + 1 + r.nextInt(h - y1 - 1)};
                classes[i][b] = r.nextInt(NAMES.size());
            }
        }
        return new DetectionImages(images, boxes, classes, NAMES.size());
    }

    static void assertSame(DetectionImages expected, LabelledImages read) throws IOException {
        assertEquals(expected.size(), read.size());
        for (int k = 0; k < NAMES.size(); k++) {
            assertEquals(NAMES.get(k), read.categories().get(k).name());
        }
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.images(i, i + 1).data().asFloat(), read.pixels(i, expected.channels()), 0f);
            assertArrayEquals(expected.boxes(i), read.boxes(i));
            assertArrayEquals(expected.classes(i), read.classes(i));
            assertEquals(0, read.crowdRegions(i).length);
            assertEquals(expected.width(), read.image(i).width());
            assertEquals(expected.height(), read.image(i).height());
        }
    }

    @Test
    void aCocoFolderReadsBackAsTheDatasetItWasWrittenFrom(@TempDir Path tmp) throws IOException {
        for (int channels : new int[] {1, 3}) {
            DetectionImages data = dataset(7, channels, 20, 24, 3 + channels);
            Path folder = tmp.resolve("coco" + channels);
            ImageFolders.writeCoco(data, NAMES, folder);
            LabelledImages read = LabelledImages.readCoco(folder.resolve("images"), folder.resolve("annotations.json"));
            assertSame(ImageFolders.quantised(data), read);
            assertEquals(CocoDataset.of(data, NAMES).annotations(), read.groundTruth().annotations());
        }
    }

    @Test
    void aVocFolderReadsBackAsTheDatasetItWasWrittenFrom(@TempDir Path tmp) throws IOException {
        for (int channels : new int[] {1, 3}) {
            DetectionImages data = dataset(6, channels, 18, 15, 9 + channels);
            Path folder = tmp.resolve("voc" + channels);
            ImageFolders.writeVoc(data, NAMES, "train", folder);
            LabelledImages read = LabelledImages.readVoc(folder, "train");
            // VOC's categories are the names found, sorted: map the written classes through that order.
            List<String> sorted = read.categories().stream().map(CocoDataset.Category::name).toList();
            for (int i = 0; i < data.size(); i++) {
                assertArrayEquals(ImageFolders.quantised(data).images(i, i + 1).data().asFloat(),
                        read.pixels(i, channels), 0f);
                assertArrayEquals(data.boxes(i), read.boxes(i));
                int[] expected = data.classes(i);
                int[] got = read.classes(i);
                assertEquals(expected.length, got.length);
                for (int b = 0; b < expected.length; b++) {
                    assertEquals(NAMES.get(expected[b]), sorted.get(got[b]));
                }
            }
        }
    }

    @Test
    void crowdAnnotationsBecomeRegionsNotObjects(@TempDir Path tmp) throws IOException {
        long seed = 1;
        while (dataset(2, 1, 16, 16, seed).boxes(0).length == 0 || dataset(2, 1, 16, 16, seed).boxes(1).length == 0) {
            seed++;                                   // the first seed that gives both images boxes
        }
        DetectionImages data = dataset(2, 1, 16, 16, seed);
        Path folder = tmp.resolve("coco");
        ImageFolders.writeCoco(data, NAMES, folder);
        Path json = folder.resolve("annotations.json");
        // Mark every annotation of image 1 as crowd.
        CocoDataset truth = CocoJson.read(json);
        List<CocoDataset.Annotation> changed = truth.annotations().stream()
                .map(a -> a.imageId() == 1 ? new CocoDataset.Annotation(a.id(), 1, a.categoryId(), a.bbox(), a.area(),
                        true) : a).toList();
        String crowd = CocoJson.write(new CocoDataset(truth.images(), changed, truth.categories()),
                List.of("000001.png", "000002.png"));
        Files.writeString(json, crowd);
        LabelledImages read = LabelledImages.readCoco(folder.resolve("images"), json);
        assertEquals(0, read.boxes(0).length);
        assertArrayEquals(data.boxes(0), read.crowdRegions(0));
        assertArrayEquals(data.boxes(1), read.boxes(1));
    }

    @Test
    void theReadDatasetIsImmutable(@TempDir Path tmp) throws IOException {
        DetectionImages data = dataset(3, 1, 16, 16, 5);
        ImageFolders.writeCoco(data, NAMES, tmp.resolve("c"));
        LabelledImages read = LabelledImages.readCoco(tmp.resolve("c/images"), tmp.resolve("c/annotations.json"));
        int i = data.boxes(0).length > 0 ? 0 : data.boxes(1).length > 0 ? 1 : 2;
        double before = read.boxes(i)[0][0];
        read.boxes(i)[0][0] = -5;
        read.classes(i)[0] = 99;
        assertEquals(before, read.boxes(i)[0][0]);
        assertEquals(data.classes(i)[0], read.classes(i)[0]);
        assertThrows(IllegalArgumentException.class, () -> read.boxes(3));
    }
}
