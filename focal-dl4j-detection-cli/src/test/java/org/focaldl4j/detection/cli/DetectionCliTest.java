package org.focaldl4j.detection.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.ImageFolders;
import org.focaldl4j.testing.BadInputRows;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line end to end on {@link TinyDetection}'s canvases exported as COCO and VOC folders: {@code train}
 * (a few iterations), {@code train --resume} continuing bit for bit, {@code detect}, {@code evaluate}; and bad
 * input ending with exit status 2, a one-line reason and no half-written output.
 */
class DetectionCliTest {

    @TempDir
    static Path tmp;

    static Path images;
    static Path annotations;

    @BeforeAll
    static void export() throws IOException {
        ImageFolders.writeCoco(TinyDetection.canvases(24, 8), List.of("wide", "tall"), tmp.resolve("coco"));
        images = tmp.resolve("coco/images");
        annotations = tmp.resolve("coco/annotations.json");
    }

    /** Runs the command line; returns {exit status, standard output, standard error}. */
    static Object[] cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = DetectionCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Object[] {status, out.toString(), err.toString()};
    }

    private static String[] train(Path out, int iterations, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--images", images.toString(), "--annotations",
                annotations.toString(), "--out", out.toString(), "--iterations", String.valueOf(iterations),
                "--batch", "8", "--image-size", "32", "--channels", "1"));
        args.addAll(List.of(more));
        return args.toArray(new String[0]);
    }

    @Test
    void trainsDetectsAndEvaluatesAndResumesBitForBit() throws IOException {
        Path straight = tmp.resolve("straight.zip");
        Object[] r = cli(train(straight, 6));
        assertEquals(0, r[0], String.valueOf(r[2]));
        assertTrue(((String) r[1]).contains("24 images, 2 categories"), (String) r[1]);

        Path half = tmp.resolve("half.zip");
        assertEquals(0, cli(train(half, 3))[0]);
        Path resumed = tmp.resolve("resumed.zip");
        r = cli("train", "--resume", half.toString(), "--images", images.toString(), "--annotations",
                annotations.toString(), "--out", resumed.toString(), "--iterations", "6");
        assertEquals(0, r[0], String.valueOf(r[2]));
        ComputationGraph a = DetectorFile.network(straight);
        ComputationGraph b = DetectorFile.network(resumed);
        assertEquals(a.params(), b.params(), "resumed training ends on the same parameters");
        assertEquals(a.getUpdater().getStateViewArray(), b.getUpdater().getStateViewArray());
        assertEquals(6, DetectorFile.spec(resumed).done());

        Path results = tmp.resolve("results.json");
        r = cli("detect", "--model", straight.toString(), "--images", images.toString(), "--annotations",
                annotations.toString(), "--out", results.toString(), "--min-score", "0.01",
                "--pictures", tmp.resolve("pictures").toString());
        assertEquals(0, r[0], String.valueOf(r[2]));
        List<CocoDataset.Result> found = CocoJson.readResults(results);
        assertFalse(found.isEmpty());
        for (CocoDataset.Result d : found) {
            assertTrue(d.categoryId() == 1 || d.categoryId() == 2);
            assertTrue(d.imageId() >= 1 && d.imageId() <= 24);
        }
        assertEquals(24, Files.list(tmp.resolve("pictures")).count());
        r = cli("evaluate", "--annotations", annotations.toString(), "--results", results.toString());
        assertEquals(0, r[0], String.valueOf(r[2]));
        String[] lines = ((String) r[1]).strip().split("\n");
        assertTrue(lines[lines.length - 1].startsWith("[") && lines[lines.length - 1].split(",").length == 12,
                lines[lines.length - 1]);
    }

    @Test
    void leavesBoxesWithoutAreaOutOfTrainingOnRequest() throws IOException {
        Path folder = tmp.resolve("empty-box");
        ImageFolders.writeCoco(TinyDetection.canvases(8, 2), List.of("wide", "tall"), folder);
        Path json = folder.resolve("annotations.json");
        String text = Files.readString(json);
        String changed = text.replaceFirst("(\"bbox\" : \\[ [^,]+, [^,]+, [^,]+, )[^ ]+ \\]", "$10.0 ]");
        assertFalse(changed.equals(text));
        Files.writeString(json, changed);
        String[] args = {"train", "--images", folder.resolve("images").toString(), "--annotations", json.toString(),
            "--out", tmp.resolve("empty-box.zip").toString(), "--iterations", "1", "--batch", "4", "--image-size", "32",
            "--channels", "1"};
        Object[] r = cli(args);
        assertEquals(2, r[0], "refused without the flag");
        r = cli(concat(args, "--drop-empty-boxes"));
        assertEquals(0, r[0], String.valueOf(r[2]));
        assertTrue(((String) r[1]).contains("left out of training 1 annotations without area: [1]"), (String) r[1]);
    }

    @Test
    void trainsFromAVocFolder() throws IOException {
        Path voc = tmp.resolve("voc");
        ImageFolders.writeVoc(TinyDetection.canvases(10, 3), List.of("tall", "wide"), "train", voc);
        Object[] r = cli("train", "--format", "voc", "--images", voc.toString(), "--annotations",
                voc.resolve("ImageSets/Main/train.txt").toString(), "--out", tmp.resolve("voc.zip").toString(),
                "--iterations", "2", "--batch", "4", "--image-size", "32", "--channels", "1");
        assertEquals(0, r[0], String.valueOf(r[2]));
    }

    /** Exit status 2, a reason on standard error mentioning each of {@code mustMention}, nothing on {@code never}. */
    private static void refused(String[] args, Path never, String... mustMention) {
        Object[] r = cli(args);
        assertEquals(2, r[0], String.join(" ", args) + " → " + r[2]);
        String err = ((String) r[2]).strip();
        assertFalse(err.isEmpty(), String.join(" ", args));
        for (String m : mustMention) {
            assertTrue(err.contains(m), "'" + err + "' should mention '" + m + "'");
        }
        assertFalse(never != null && Files.exists(never), never + " was written");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void c01NoCommandUnknownCommandOrMissingFlag() {
        Path never = tmp.resolve("c01.zip");
        refused(new String[] {}, null, "name a command");
        refused(new String[] {"frobnicate"}, null, "frobnicate");
        refused(new String[] {"train", "--images", images.toString(), "--out", never.toString()}, never,
                "--annotations");
    }

    @Test
    void c02FlagValuesOutsideTheirRange() throws IOException {
        Path never = tmp.resolve("c02.zip");
        refused(train(never, 2, "--format", "yolo"), never, "--format must be coco or voc; got yolo");
        refused(train(never, 2, "--lr", "-1"), never, "--lr must be finite and > 0; got -1.0");
        String[] base = {"train", "--images", images.toString(), "--annotations", annotations.toString(), "--out",
            never.toString(), "--iterations", "2"};
        refused(concat(base, "--image-size", "40"), never, "--image-size 40 must be a multiple of 16");
        refused(concat(base, "--image-size", "192", "--backbone", "resnet18"), never,
                "--image-size 192 must be a multiple of 128");
        refused(train(never, 2, "--backbone", "vgg"), never, "--backbone must be", "got vgg");
        refused(train(never, 2, "--checkpoint-every", "-5"), never, "--checkpoint-every must be in [0,");
        refused(train(never, 2, "--loss", "ce", "--gamma", "3"), never, "--gamma has no effect with --loss ce");
        refused(concat(base, "--batch", "5000"), never, "--batch must be in [1, 1024]; got 5000");
        refused(train(tmp, 2), null, "is a folder");
        Path aFile = Files.writeString(tmp.resolve("c02-file"), "x");
        refused(train(aFile.resolve("m.zip"), 2), null, "is not a writable folder");
        refused(concat(base, "--batch", "1024", "--image-size", "2048"), never, "more than a Java array holds");
        refused(new String[] {"train", "--resume", tmp.resolve("absent.zip").toString(), "--images",
            tmp.resolve("nowhere").toString(), "--annotations", tmp.resolve("nothing.json").toString(), "--out",
            never.toString()}, never, "absent.zip", "no such model file");
        refused(concat(base, "--channels", "2"), never, "channels must be 1 or 3; got 2");
        refused(train(never, 0), never, "--iterations must be in [1,");
        refused(new String[] {"train", "--images", images.toString(), "--annotations", annotations.toString(), "--out",
            never.toString(), "--batch", "many"}, never, "'many' is not an int", "(--help for usage)");
        refused(new String[] {"detect", "--model", "m.zip", "--images", images.toString(), "--out", "r.json",
            "--min-score", "1.5"}, null, "--min-score must be in [0, 1); got 1.5");
    }

    @Test
    void c03MissingFiles() {
        Path never = tmp.resolve("c03.zip");
        refused(new String[] {"train", "--images", images.toString(), "--annotations",
            tmp.resolve("absent.json").toString(), "--out", never.toString()}, never, "absent.json");
        refused(new String[] {"detect", "--model", tmp.resolve("absent.zip").toString(), "--images", images.toString(),
            "--out", tmp.resolve("c03.json").toString()}, tmp.resolve("c03.json"), "absent.zip", "no such model file");
        refused(new String[] {"evaluate", "--annotations", annotations.toString(), "--results",
            tmp.resolve("absent.json").toString()}, null, "absent.json", "no such JSON file");
        refused(new String[] {"detect", "--model", tmp.resolve("absent.zip").toString(), "--images",
            tmp.resolve("nowhere").toString(), "--out", "r.json"}, null, "absent.zip");
    }

    @Test
    void c04AFileThatIsNotADetector() throws IOException {
        Path text = Files.writeString(tmp.resolve("c04.zip"), "not a zip");
        refused(new String[] {"detect", "--model", text.toString(), "--images", images.toString(), "--out",
            tmp.resolve("c04.json").toString()}, tmp.resolve("c04.json"), "c04.zip");
        Path plain = tmp.resolve("c04-plain.zip");
        org.deeplearning4j.util.ModelSerializer.writeModel(TinyDetection.detector().network(), plain.toFile(), false);
        refused(new String[] {"detect", "--model", plain.toString(), "--images", images.toString(), "--out",
            tmp.resolve("c04.json").toString()}, tmp.resolve("c04.json"), "not a focal-dl4j detector");
    }

    @Test
    void c05ResumingWithOtherSettingsOrOtherData() throws IOException {
        Path m = tmp.resolve("c05.zip");
        assertEquals(0, cli(train(m, 1))[0]);
        Path never = tmp.resolve("c05-never.zip");
        refused(new String[] {"train", "--resume", m.toString(), "--images", images.toString(), "--annotations",
            annotations.toString(), "--out", never.toString(), "--iterations", "2", "--lr", "0.5"}, never,
                "--lr 0.5 differs from the resumed detector's 0.001");
        Path other = tmp.resolve("c05-other");
        ImageFolders.writeCoco(TinyDetection.canvases(24, 99), List.of("wide", "tall"), other);
        refused(new String[] {"train", "--resume", m.toString(), "--images", other.resolve("images").toString(),
            "--annotations", other.resolve("annotations.json").toString(), "--out", never.toString(), "--iterations",
            "2"}, never, "does not hold the annotations", "SHA-256");
        refused(new String[] {"train", "--resume", m.toString(), "--images", images.toString(), "--annotations",
            annotations.toString(), "--out", never.toString(), "--iterations", "0"}, never, "--iterations must be");
    }

    @Test
    void c06ABadDatasetIsRefusedBeforeTrainingWithItsRow() throws IOException {
        Path folder = tmp.resolve("c06");
        ImageFolders.writeCoco(TinyDetection.canvases(4, 1), List.of("wide", "tall"), folder);
        Files.delete(folder.resolve("images/000002.png"));
        Path never = tmp.resolve("c06.zip");
        refused(new String[] {"train", "--images", folder.resolve("images").toString(), "--annotations",
            folder.resolve("annotations.json").toString(), "--out", never.toString(), "--iterations", "1",
            "--image-size", "32", "--channels", "1"}, never, "image 2", "000002.png", "no such image file");
        // A file whose header reads but whose pixels do not: refused before training, naming the image.
        Path broken = tmp.resolve("c06-broken");
        ImageFolders.writeCoco(TinyDetection.canvases(4, 1), List.of("wide", "tall"), broken);
        byte[] png = Files.readAllBytes(broken.resolve("images/000003.png"));
        Files.write(broken.resolve("images/000003.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Object[] r = cli("train", "--images", broken.resolve("images").toString(), "--annotations",
                broken.resolve("annotations.json").toString(), "--out", never.toString(), "--iterations", "1",
                "--image-size", "32", "--channels", "1");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("image 3") && ((String) r[2]).contains("000003.png"), (String) r[2]);
        assertFalse(((String) r[1]).contains("loss"), "no training started: " + r[1]);
        assertFalse(Files.exists(never));
    }

    @Test
    void c07DetectPicturesInsideTheImagesOrOtherCategories() throws IOException {
        Path m = tmp.resolve("c07.zip");
        assertEquals(0, cli(train(m, 1))[0]);
        Path never = tmp.resolve("c07.json");
        refused(new String[] {"detect", "--model", m.toString(), "--images", images.toString(), "--out",
            never.toString(), "--pictures", images.resolve("drawn").toString()}, never, "must lie outside --images");
        Path link = Files.createSymbolicLink(tmp.resolve("c07-link"), images);
        refused(new String[] {"detect", "--model", m.toString(), "--images", images.toString(), "--out",
            never.toString(), "--pictures", link.toString()}, never, "must lie outside --images");
        refused(new String[] {"detect", "--model", m.toString(), "--images", images.toString(), "--out",
            never.toString(), "--pictures", annotations.toString()}, never, "is a file; give a folder");
        String before = Files.readString(annotations);
        refused(new String[] {"detect", "--model", m.toString(), "--images", images.toString(), "--annotations",
            annotations.toString(), "--out", annotations.toString()}, null, "must lie outside --annotations");
        assertEquals(before, Files.readString(annotations));
        Path other = tmp.resolve("c07-other");
        ImageFolders.writeCoco(TinyDetection.canvases(4, 5), List.of("tall", "wide"), other);
        refused(new String[] {"detect", "--model", m.toString(), "--images", other.resolve("images").toString(),
            "--annotations", other.resolve("annotations.json").toString(), "--out", never.toString()}, never,
                "are not the detector's");
        assertFalse(Files.exists(images.resolve("drawn")));
    }

    @Test
    void everyCRowHasATestAndEveryTestARow() throws IOException {
        assertEquals(BadInputRows.documented('C'), BadInputRows.tested(getClass(), 'C'));
    }
}
