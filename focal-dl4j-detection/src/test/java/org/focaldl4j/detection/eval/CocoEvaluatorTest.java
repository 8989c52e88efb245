package org.focaldl4j.detection.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * {@link CocoEvaluator} against {@code src-test-data/coco_eval_vectors.json}: values of an independent
 * re-implementation of pycocotools' COCOeval ({@code src-test-data/cocoeval_reference.py}, cross-checked bit
 * for bit against cocoapi's own code) on a randomised set (64 images, 7 categories, crowd boxes, empty
 * images, ties, more than 100 detections on an image) and eleven small sets that each isolate one rule.
 */
class CocoEvaluatorTest {

    private static JsonNode vectors() throws IOException {
        try (InputStream in = CocoEvaluatorTest.class.getResourceAsStream("/coco_eval_vectors.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static Stream<JsonNode> sets() throws IOException {
        List<JsonNode> sets = new ArrayList<>();
        vectors().get("sets").forEach(sets::add);
        return sets.stream();
    }

    private static List<CocoDataset.Result> results(JsonNode set) {
        List<CocoDataset.Result> out = new ArrayList<>();
        for (JsonNode r : set.get("results")) {
            JsonNode b = r.get("bbox");
            out.add(new CocoDataset.Result(r.get("image_id").asLong(), r.get("category_id").asLong(),
                    new double[] {b.get(0).asDouble(), b.get(1).asDouble(), b.get(2).asDouble(), b.get(3).asDouble()},
                    r.get("score").asDouble()));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sets")
    void equalsTheReference(JsonNode set) {
        CocoEvaluator.Stats s = CocoEvaluator.evaluate(CocoJson.fromJson(set.get("gt"), set.get("name").asText()),
                results(set));
        double[] expected = new double[12];
        for (int i = 0; i < 12; i++) {
            expected[i] = set.get("stats").get(i).asDouble();
        }
        assertArrayEquals(expected, s.values(), 1e-12, set.get("name").asText());
        for (JsonNode c : set.get("perCategory")) {
            double[] ap = s.category(c.get("categoryId").asLong());
            assertArrayEquals(new double[] {c.get("ap").asDouble(), c.get("ap50").asDouble(), c.get("ap75").asDouble()},
                    ap, 1e-12, set.get("name").asText() + " category " + c.get("categoryId"));
        }
    }

    @Test
    void theRandomSetIsAsLargeAsClaimed() throws IOException {
        JsonNode random = sets().filter(s -> s.get("name").asText().equals("random")).findFirst().orElseThrow();
        CocoDataset gt = CocoJson.fromJson(random.get("gt"), "random");
        assertTrue(gt.images().size() >= 50, "images: " + gt.images().size());
        assertTrue(gt.categories().size() >= 5, "categories: " + gt.categories().size());
        assertTrue(gt.annotations().stream().anyMatch(CocoDataset.Annotation::crowd), "crowd boxes");
        assertTrue(gt.images().stream().anyMatch(i -> gt.annotations().stream().noneMatch(a -> a.imageId() == i.id())),
                "images without ground truth");
    }

    @Test
    void aTruePositiveRankedBelowAFalsePositiveGivesHalf() {
        // One box; detections: a miss at 0.9, the hit at 0.8. Recall reaches 1 at precision 1/2, so the
        // interpolated precision is 1/2 at all 101 recall thresholds: AP50 = 0.5 exactly.
        CocoDataset gt = new CocoDataset(List.of(new CocoDataset.Image(1, 100, 100)),
                List.of(CocoDataset.Annotation.box(1, 1, 1, new double[] {10, 10, 40, 40})),
                List.of(new CocoDataset.Category(1, "thing")));
        CocoEvaluator.Stats s = CocoEvaluator.evaluate(gt, List.of(
                new CocoDataset.Result(1, 1, new double[] {55, 55, 40, 40}, 0.9),
                new CocoDataset.Result(1, 1, new double[] {10, 10, 40, 40}, 0.8)));
        assertEquals(0.5, s.get("AP50"), 0.0);
        assertEquals(0.5, s.get("AP"), 0.0);
        assertEquals(-1.0, s.get("APsmall"), 0.0);          // a 40×40 box is "medium"; no small ground truth
        assertEquals(0.0, s.get("AR1"), 0.0);               // the one detection kept is the miss
        assertEquals(1.0, s.get("AR10"), 0.0);
    }

    @Test
    void noResultsGiveZeroWhereThereIsGroundTruth() {
        CocoDataset gt = new CocoDataset(List.of(new CocoDataset.Image(1, 100, 100)),
                List.of(CocoDataset.Annotation.box(1, 1, 1, new double[] {10, 10, 40, 40})),
                List.of(new CocoDataset.Category(1, "thing"), new CocoDataset.Category(2, "other")));
        CocoEvaluator.Stats s = CocoEvaluator.evaluate(gt, List.of());
        assertEquals(0.0, s.get("AP"), 0.0);
        assertEquals(-1.0, s.category(2)[0], 0.0);          // no ground truth of category 2: left out
    }

    @Test
    void refusesResultsOnUnknownImages() {
        CocoDataset gt = new CocoDataset(List.of(new CocoDataset.Image(1, 100, 100)), List.of(),
                List.of(new CocoDataset.Category(1, "thing")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CocoEvaluator.evaluate(gt,
                List.of(new CocoDataset.Result(7, 1, new double[] {0, 0, 1, 1}, 0.5))));
        assertTrue(e.getMessage().contains("[7]"), e.getMessage());
    }

    @Test
    void thresholdsAreNumpysLinspace() {
        assertEquals(0.8999999999999999, CocoEvaluator.IOU_THRESHOLDS[8], 0.0);
        assertEquals(0.75, CocoEvaluator.IOU_THRESHOLDS[5], 0.0);
        assertEquals(0.35000000000000003, CocoEvaluator.RECALL_THRESHOLDS[35], 0.0);
        assertEquals(1.0, CocoEvaluator.RECALL_THRESHOLDS[100], 0.0);
    }

    @Test
    void commandLineReadsCocoJsonAndEndsWithTheStatistics(@TempDir Path dir) throws Exception {
        JsonNode set = sets().filter(s -> s.get("name").asText().equals("random")).findFirst().orElseThrow();
        Path gt = dir.resolve("gt.json");
        Path res = dir.resolve("results.json");
        CocoDataset dataset = CocoJson.fromJson(set.get("gt"), "random");
        Files.writeString(gt, CocoJson.write(dataset), StandardCharsets.UTF_8);
        Files.writeString(res, CocoJson.resultsToJson(results(set)), StandardCharsets.UTF_8);
        assertEquals(dataset.annotations(), CocoJson.read(gt).annotations(), "ground truth JSON round trip");
        assertEquals(results(set), CocoJson.readResults(res), "results JSON round trip");

        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            CocoEvaluator.main(new String[] {gt.toString(), res.toString()});
        } finally {
            System.setOut(out);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(13, lines.length, captured.toString(StandardCharsets.UTF_8));
        assertTrue(lines[0].contains("Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]"));
        JsonNode last = new ObjectMapper().readTree(lines[12]);
        for (int i = 0; i < 12; i++) {
            assertEquals(set.get("stats").get(i).asDouble(), last.get(i).asDouble(), 1e-12, "statistic " + i);
        }
    }

    @Test
    void groundTruthIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CocoDataset(
                List.of(new CocoDataset.Image(1, 10, 10)),
                List.of(CocoDataset.Annotation.box(1, 2, 1, new double[] {0, 0, 1, 1})),
                List.of(new CocoDataset.Category(1, "a"))));
        assertTrue(e.getMessage().contains("image 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CocoDataset.Annotation.box(0, 1, 1, new double[] {0, 0, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> CocoDataset.Annotation.box(1, 1, 1, new double[] {0, 0, -1, 1}));
        assertThrows(IllegalArgumentException.class, () -> new CocoDataset.Result(1, 1, new double[] {0, 0, 1, 1},
                Double.NaN));
    }
}
