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
    void trainsFromAVocFolder() throws IOException {
        Path voc = tmp.resolve("voc");
        ImageFolders.writeVoc(TinyDetection.canvases(10, 3), List.of("tall", "wide"), "train", voc);
        Object[] r = cli("train", "--format", "voc", "--images", voc.toString(), "--annotations",
                voc.resolve("ImageSets/Main/train.txt").toString(), "--out", tmp.resolve("voc.zip").toString(),
                "--iterations", "2", "--batch", "4", "--image-size", "32", "--channels", "1");
        assertEquals(0, r[0], String.valueOf(r[2]));
    }

    @Test
    void badInputExitsWithTwoAndOneLineAndWritesNothing() throws IOException {
        Path never = tmp.resolve("never.zip");
        String[][] cases = {
            {"train", "--images", images.toString(), "--out", never.toString()},                   // --annotations missing
            train(never, 2, "--format", "yolo"),
            train(never, 2, "--lr", "-1"),
            train(never, 2, "--image-size", "40"),                                                  // not a multiple of 16
            train(never, 2, "--backbone", "vgg"),
            {"train", "--images", images.toString(), "--annotations", tmp.resolve("absent.json").toString(), "--out",
                never.toString()},
            {"detect", "--model", tmp.resolve("absent.zip").toString(), "--images", images.toString(), "--out",
                tmp.resolve("never.json").toString()},
            {"evaluate", "--annotations", annotations.toString(), "--results", tmp.resolve("absent.json").toString()},
            {"frobnicate"},
            {},
        };
        for (String[] args : cases) {
            Object[] r = cli(args);
            assertEquals(2, r[0], String.join(" ", args) + " → " + r[2]);
            String err = ((String) r[2]).strip();
            assertFalse(err.isEmpty(), String.join(" ", args));
        }
        assertFalse(Files.exists(never));
        assertFalse(Files.exists(tmp.resolve("never.json")));
        // A resumed detector refuses other settings, and other data.
        Path m = tmp.resolve("m.zip");
        assertEquals(0, cli(train(m, 1))[0]);
        Object[] r = cli("train", "--resume", m.toString(), "--images", images.toString(), "--annotations",
                annotations.toString(), "--out", never.toString(), "--iterations", "2", "--lr", "0.5");
        assertEquals(2, r[0]);
        assertTrue(((String) r[2]).contains("--lr 0.5 differs from the resumed detector's 0.001"), (String) r[2]);
        assertFalse(Files.exists(never));
    }
}
