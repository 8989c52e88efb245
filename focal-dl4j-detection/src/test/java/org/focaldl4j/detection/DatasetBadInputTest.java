package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.data.ImageFolders;
import org.focaldl4j.detection.data.LabelledImages;
import org.focaldl4j.testing.BadInputRows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The D rows of {@code docs/bad-input.md}: what {@link LabelledImages} refuses when it reads a COCO or VOC folder,
 * each refusal naming the file and, where there is one, the annotation.
 */
class DatasetBadInputTest {

    @TempDir
    Path tmp;

    private int folders;

    /** Two 20×16 grey images: image 1 with boxes of classes 0 and 1, image 2 with one box of class 2. */
    private static DetectionImages small() {
        return new DetectionImages(Nd4j.rand(DataType.FLOAT, 2, 1, 16, 20),
                new double[][][] {{{1, 2, 9, 10}, {4, 4, 18, 15}}, {{0, 0, 20, 16}}}, new int[][] {{0, 1}, {2}}, 3);
    }

    private static final List<String> NAMES = List.of("a", "b", "c");

    private Path coco() throws IOException {
        Path folder = tmp.resolve("coco" + folders++);
        ImageFolders.writeCoco(small(), NAMES, folder);
        return folder;
    }

    private Path voc() throws IOException {
        Path folder = tmp.resolve("voc" + folders++);
        ImageFolders.writeVoc(small(), NAMES, "train", folder);
        return folder;
    }

    /** Reads the COCO folder after replacing {@code from} by {@code to} in its annotations (which must change). */
    private Executable cocoWith(String from, String to) throws IOException {
        Path folder = coco();
        Path json = folder.resolve("annotations.json");
        String text = Files.readString(json, StandardCharsets.UTF_8);
        String changed = text.replaceFirst(from, to);
        assertTrue(!changed.equals(text), "the fixture contains " + from);
        Files.writeString(json, changed, StandardCharsets.UTF_8);
        return () -> LabelledImages.readCoco(folder.resolve("images"), json);
    }

    /** Reads the VOC folder after replacing {@code from} by {@code to} in {@code Annotations/000001.xml}. */
    private Executable vocWith(String from, String to) throws IOException {
        Path folder = voc();
        Path xml = folder.resolve("Annotations/000001.xml");
        String text = Files.readString(xml, StandardCharsets.UTF_8);
        String changed = text.replaceFirst(from, to);
        assertTrue(!changed.equals(text), "the fixture contains " + from);
        Files.writeString(xml, changed, StandardCharsets.UTF_8);
        return () -> LabelledImages.readVoc(folder, "train");
    }

    private static <T extends Exception> void refuses(Class<T> type, Executable call, String... mustMention) {
        T e = assertThrows(type, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void theFixturesReadAsTheyAre() throws IOException {
        Path c = coco();
        assertEquals(2, LabelledImages.readCoco(c.resolve("images"), c.resolve("annotations.json")).size());
        assertEquals(3, LabelledImages.readVoc(voc(), "train").categories().size());
    }

    @Test
    void d01MissingFiles() throws IOException {
        Path c = coco();
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("images"), c.resolve("absent.json")),
                "absent.json", "no such annotations file");
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("pictures"), c.resolve("annotations.json")),
                "pictures", "no such image folder");
        Path v = voc();
        refuses(IOException.class, () -> LabelledImages.readVoc(v, "val"), "val.txt", "no such image-set list");
        Files.delete(v.resolve("Annotations/000002.xml"));
        refuses(IOException.class, () -> LabelledImages.readVoc(v, "train"), "000002.xml", "no such annotation file");
    }

    @Test
    void d02CorruptJson() throws IOException {
        refuses(IOException.class, cocoWith("\"categories\"", "\"categories"), "annotations.json", "not one JSON value");
    }

    @Test
    void d03ContentAfterTheJsonValue() throws IOException {
        Path c = coco();
        Path json = c.resolve("annotations.json");
        Files.writeString(json, Files.readString(json) + "\n{\"images\": []}\n");
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("images"), json), "annotations.json",
                "not one JSON value");
    }

    @Test
    void d04NestingDeeperThanCocoNeeds() throws IOException {
        refuses(IOException.class, cocoWith("\"categories\"", "\"deep\": " + "[".repeat(100_000) + "]".repeat(100_000)
                + ", \"categories\""), "annotations.json", "nested deeper than 64");
    }

    @Test
    void d05MissingOrUnreadableImage() throws IOException {
        Path c = coco();
        Files.delete(c.resolve("images/000002.png"));
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("images"), c.resolve("annotations.json")),
                "annotations.json", "image 2", "000002.png", "no such image file");
        Files.writeString(c.resolve("images/000002.png"), "not a PNG");
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("images"), c.resolve("annotations.json")),
                "image 2", "000002.png", "not an image format");
        // A header that reads with pixels that do not: found by checkPixels, before any training.
        Path d = tmp.resolve("d05b");
        ImageFolders.writeCoco(small(), NAMES, d);
        byte[] png = Files.readAllBytes(d.resolve("images/000001.png"));
        Files.write(d.resolve("images/000001.png"), java.util.Arrays.copyOf(png, png.length / 2));
        LabelledImages read = LabelledImages.readCoco(d.resolve("images"), d.resolve("annotations.json"));
        refuses(IOException.class, () -> read.checkPixels(1), "image 1", "000001.png");
        // More pixels than the reader decodes (4096²): refused from the header.
        java.awt.image.BufferedImage huge = new java.awt.image.BufferedImage(4100, 4100,
                java.awt.image.BufferedImage.TYPE_BYTE_BINARY);
        Path big = tmp.resolve("huge.png");
        javax.imageio.ImageIO.write(huge, "png", big.toFile());
        refuses(IOException.class, () -> org.focaldl4j.detection.data.ImageFiles.size(big), "huge.png",
                "4100×4100 pixels is more than the 16777216");
    }

    @Test
    void d06ImageOfAnotherSizeThanAnnotated() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"width\" : 20", "\"width\" : 21"), "image 1",
                "000001.png", "20×16 pixels", "21×16");
        refuses(IllegalArgumentException.class, vocWith("<height>16</height>", "<height>15</height>"), "20×16 pixels",
                "20×15");
    }

    @Test
    void d07FileNameMissingAbsoluteOrOutsideTheFolder() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"file_name\" : \"000001.png\"", "\"file\" : \"000001.png\""),
                "annotations.json", "image 1", "\"file_name\" must be a non-empty string");
        refuses(IllegalArgumentException.class, cocoWith("\"000001.png\"", "\"../annotations.json\""),
                "image 1", "../annotations.json", "relative path inside");
        refuses(IllegalArgumentException.class, cocoWith("\"000001.png\"", "\"/etc/hostname\""),
                "/etc/hostname", "relative path inside");
        refuses(IllegalArgumentException.class, vocWith("<filename>000001.png", "<filename>../Annotations/000001.xml"),
                "000001.xml", "relative path inside");
    }

    @Test
    void d08BoxWithoutAreaOrOutsideTheImage() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("8\\.0, 8\\.0 \\]", "0.0, 8.0 ]"), "annotations.json",
                "annotation 1", "positive width and height inside the 20×16 image", "refused, not clipped");
        refuses(IllegalArgumentException.class, cocoWith("8\\.0, 8\\.0 \\]", "8.0, 14.5 ]"), "annotation 1",
                "[1.0, 2.0, 8.0, 14.5]");
        refuses(IllegalArgumentException.class, cocoWith("8\\.0, 8\\.0 \\]", "8.0, -1.0 ]"), "annotation 1",
                "w, h >= 0");
        // On request, a box of zero height is left out of training and listed; one outside the image is still refused.
        Path c = coco();
        Path json = c.resolve("annotations.json");
        Files.writeString(json, Files.readString(json).replaceFirst("8\\.0, 8\\.0 \\]", "8.0, 0.0 ]"));
        LabelledImages dropped = LabelledImages.readCoco(c.resolve("images"), json, LabelledImages.EmptyBoxes.DROP);
        assertEquals(List.of(1L), dropped.droppedAnnotations());
        assertEquals(1, dropped.boxes(0).length);
        assertEquals(3, dropped.groundTruth().annotations().size());
        Files.writeString(json, Files.readString(json).replaceFirst("8\\.0, 0\\.0 \\]", "8.0, 14.5 ]"));
        refuses(IllegalArgumentException.class, () -> LabelledImages.readCoco(c.resolve("images"), json,
                LabelledImages.EmptyBoxes.DROP), "annotation 1", "[1.0, 2.0, 8.0, 14.5]");
        refuses(IllegalArgumentException.class, vocWith("<xmax>18.0</xmax>", "<xmax>21.0</xmax>"),
                "000001.xml (object 2)", "inside the 20×16 image");
        refuses(IllegalArgumentException.class, vocWith("<xmin>5.0</xmin>", "<xmin>19.0</xmin>"),
                "000001.xml (object 2)", "xmin <= xmax");
    }

    @Test
    void d09UnknownImageOrCategory() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"image_id\" : 2", "\"image_id\" : 7"), "annotations.json",
                "annotation 3", "image 7");
        refuses(IllegalArgumentException.class, cocoWith("\"category_id\" : 3", "\"category_id\" : 30"),
                "annotations.json", "annotation 3", "category 30");
    }

    @Test
    void d10DuplicateIds() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"id\" : 2,", "\"id\" : 1,"), "annotations.json",
                "image id 1 appears twice");
        refuses(IllegalArgumentException.class, cocoWith("\"id\" : 3,", "\"id\" : 2,"), "annotations.json",
                "annotation id 2 appears twice");
        Path v = voc();
        Files.writeString(v.resolve("ImageSets/Main/train.txt"), "000001\n000002\n000001\n");
        refuses(IllegalArgumentException.class, () -> LabelledImages.readVoc(v, "train"), "train.txt line 3",
                "listed twice");
    }

    @Test
    void d11MalformedVocXml() throws IOException {
        refuses(IOException.class, vocWith("</annotation>", ""), "000001.xml", "not a well-formed XML");
        refuses(IOException.class, vocWith("<annotation>", "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
                + "<annotation>"), "000001.xml", "DOCTYPE");
        refuses(IllegalArgumentException.class, vocWith("<name>a</name>", ""), "000001.xml (object 1)",
                "<object> needs a <name>");
        refuses(IllegalArgumentException.class, vocWith("<ymin>3.0</ymin>", "<ymin>three</ymin>"),
                "000001.xml (object 1)", "<ymin> must be a finite number", "three");
        refuses(IllegalArgumentException.class, vocWith("<difficult>0</difficult>", "<difficult>yes</difficult>"),
                "000001.xml (object 1)", "<difficult> must be 0 or 1");
        refuses(IllegalArgumentException.class, vocWith("<width>20</width>", "<width>0</width>"), "000001.xml",
                "<width> must be a positive integer");
        refuses(IllegalArgumentException.class, vocWith("<name>a</name>", "<name>a<b>c</b></name>"),
                "000001.xml (object 1)", "<name> must hold text only");
        refuses(IOException.class, vocWith("<name>a</name>", "<name>" + "<x>".repeat(10_000) + "a"
                + "</x>".repeat(10_000) + "</name>"), "000001.xml", "not a well-formed XML");
    }

    @Test
    void d13IscrowdOtherThanZeroOrOne() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"iscrowd\" : 0", "\"iscrowd\" : 2"), "annotations.json",
                "annotation 1", "\"iscrowd\" must be 0, 1, false or true; got 2");
        Path c = tmp.resolve("d13");
        ImageFolders.writeCoco(small(), NAMES, c);
        Path json = c.resolve("annotations.json");
        Files.writeString(json, Files.readString(json).replace("\"iscrowd\" : 0", "\"iscrowd\" : false"));
        assertEquals(2, LabelledImages.readCoco(c.resolve("images"), json).size());     // booleans, as pycocotools
    }

    @Test
    void d14FilesThatAreNotUtf8() throws IOException {
        Path c = coco();
        Path json = c.resolve("annotations.json");
        String text = Files.readString(json).replace("\"name\" : \"a\"", "\"name\" : \"café\"");
        Files.write(json, text.getBytes(StandardCharsets.ISO_8859_1));
        refuses(IOException.class, () -> LabelledImages.readCoco(c.resolve("images"), json), "annotations.json",
                "not UTF-8 text");
        Path v = voc();
        Files.write(v.resolve("ImageSets/Main/train.txt"), "000001\ncafé\n".getBytes(StandardCharsets.ISO_8859_1));
        refuses(IOException.class, () -> LabelledImages.readVoc(v, "train"), "train.txt", "not UTF-8 text");
    }

    @Test
    void d15TwoImagesOneFile() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"000002.png\"", "\"000001.png\""), "annotations.json",
                "images 1 and 2 are both", "000001.png");
    }

    @Test
    void d12EmptyDataset() throws IOException {
        refuses(IllegalArgumentException.class, cocoWith("\"categories\" : \\[ \\{[^]]*\\} \\]", "\"categories\" : [ ]"),
                "annotations.json");
        Path v = voc();
        Files.writeString(v.resolve("ImageSets/Main/train.txt"), "\n");
        refuses(IllegalArgumentException.class, () -> LabelledImages.readVoc(v, "train"),
                "at least one image and one category");
    }

    @Test
    void d16IntegralDecimalsWhereIntegersAreExpected() throws IOException {
        Path c = coco();
        Path json = c.resolve("annotations.json");
        String text = Files.readString(json);
        String decimals = text.replace("\"width\" : 20", "\"width\" : 20.0").replace("\"image_id\" : 2",
                "\"image_id\" : 2.0").replace("\"category_id\" : 3", "\"category_id\" : 3e0")
                .replace("\"iscrowd\" : 0", "\"iscrowd\" : 0.0");
        assertTrue(decimals.contains("\"width\" : 20.0") && decimals.contains("\"image_id\" : 2.0")
                && decimals.contains("\"category_id\" : 3e0") && decimals.contains("\"iscrowd\" : 0.0"), decimals);
        Files.writeString(json, decimals);
        LabelledImages read = LabelledImages.readCoco(c.resolve("images"), json);        // as pycocotools reads them
        assertEquals(2, read.size());
        assertEquals(20, read.groundTruth().images().get(0).width());
        CocoDataset.Annotation third = read.groundTruth().annotations().get(2);
        assertEquals(2, third.imageId());
        assertEquals(3, third.categoryId());
        refuses(IllegalArgumentException.class, cocoWith("\"width\" : 20", "\"width\" : 20.5"), "annotations.json",
                "\"width\" must be an integer", "got 20.5", "\"id\":1");
        refuses(IllegalArgumentException.class, cocoWith("\"image_id\" : 2", "\"image_id\" : 2.5"), "annotations.json",
                "\"image_id\" must be an integer", "got 2.5", "\"id\":3");
        // the results reader, by the same rule
        Path results = tmp.resolve("d16-results.json");
        Files.writeString(results, "[{\"image_id\": 1.0, \"category_id\": 3.0, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        assertEquals(List.of(new CocoDataset.Result(1, 3, new double[] {1, 2, 3, 4}, 0.5)), CocoJson.readResults(results));
        Files.writeString(results, "[{\"image_id\": 1.5, \"category_id\": 3, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        refuses(IllegalArgumentException.class, () -> CocoJson.readResults(results), "d16-results.json",
                "\"image_id\" must be an integer", "got 1.5");
        // from 2^53 on a decimal may have been rounded already: 9007199254740993.0 reads as 2^53, and is refused
        Files.writeString(results, "[{\"image_id\": 9007199254740993.0, \"category_id\": 3, \"bbox\": [1, 2, 3, 4], "
                + "\"score\": 0.5}]");
        refuses(IllegalArgumentException.class, () -> CocoJson.readResults(results), "\"image_id\" must be an integer");
    }

    @Test
    void everyDRowHasATestAndEveryTestARow() throws IOException {
        assertEquals(BadInputRows.documented('D'), BadInputRows.tested(getClass(), 'D'));
    }
}
