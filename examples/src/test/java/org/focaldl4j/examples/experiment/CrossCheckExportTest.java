package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * What CrossCheckExport writes is what the study trains on, in the layouts its manifest and the twin's docstring state;
 * with PyTorch installed, the twin passes its checks on it and trains.
 */
@ExtendWith(RestoresSystemProperties.class)
class CrossCheckExportTest {

    private static String[] args(Path out, Path backbone) {
        return new String[] {"out=" + out, "backbone=" + backbone, "level=e48", "config=fl-g2-a0.25", "seed=2", "lr=0.01",
            "iterations=30", "data=SUBSET", "train=40", "val=16", "test=16", "pretrain=128"};
    }

    private static float[] floats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theExportHoldsTheRunsCanvasesTargetsAnchorsAndNetwork(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("export");
        CrossCheckExport.main(args(out, dir));
        Map<String, Object> m = new ObjectMapper().readValue(out.resolve("manifest.json").toFile(), Map.class);
        assertEquals(48, m.get("empty_per_batch"));
        assertEquals(List.of(20, 26), m.get("decay_at"));                      // 2/3 and 8/9 of 30, after a warm-up of 3
        assertEquals(3, m.get("warmup"));

        // the same canvases and targets as the study's runner makes for this run
        ImbalanceStudy study = new ImbalanceStudy(new RetinaNetExperiment.Protocol(), dir, dir, Long.MAX_VALUE,
                ImbalanceStudy.SCHEDULES);
        RetinaNetExperiment.Protocol p = study.protocol(ImbalanceStudy.level("e48"), 30);
        for (String[] kv : new String[][] {{"data", "SUBSET"}, {"train", "40"}, {"val", "16"}, {"test", "16"},
            {"pretrain", "128"}}) {
            Arguments.protocol(p, kv[0], kv[1]);
        }
        RetinaNetExperiment.Runner runner = new RetinaNetExperiment.Runner(p, dir, dir);
        DetectionImages train = runner.canvases(2)[0];
        AnchorTargets targets = runner.detector(RetinaNetExperiment.FL_2, 2, 0.01, p.warmup, b -> b).targets();
        float[] images = floats(out.resolve("images_train.f32"));
        assertArrayEquals(train.images(0, 40).dup('c').data().asFloat(), images, 0f);
        INDArray[] t = targets.batch(new double[][][] {train.boxes(7)}, new int[][] {train.classes(7)});
        byte[] cls = Files.readAllBytes(out.resolve("targets_cls.i8"));
        int perCanvas = targets.anchorsPerLocation() * targets.locations();
        float[] expected = t[0].dup('c').data().asFloat();
        for (int i = 0; i < perCanvas; i++) {
            assertEquals(expected[i], cls[7 * perCanvas + i], 0f, "class index " + i + " of canvas 7");
        }
        float[] deltas = floats(out.resolve("targets_deltas.f32"));
        float[] expectedDeltas = t[1].dup('c').data().asFloat();
        for (int i = 0; i < 4 * perCanvas; i++) {
            assertEquals(expectedDeltas[i], deltas[7 * 4 * perCanvas + i], 0f, "delta " + i + " of canvas 7");
        }
        float[] anchors = floats(out.resolve("anchors.f32"));
        assertEquals(4 * targets.anchors().size(), anchors.length);
        for (int i = 0; i < targets.anchors().size(); i += 97) {
            for (int c = 0; c < 4; c++) {
                assertEquals((float) targets.anchors().get(i)[c], anchors[4 * i + c], 0f, "anchor " + i);
            }
        }
        long params = ((List<Map<String, Object>>) m.get("network_params")).stream().mapToLong(x ->
                ((List<Number>) x.get("shape")).stream().mapToLong(Number::longValue).reduce(1, (a, b) -> a * b)).sum();
        assertEquals(params, floats(out.resolve("network.f32")).length);
        // (the network's flat parameter vector: DL4J's numParams() leaves out the SameDiff heads, as it sums layers only)
        assertEquals(runner.network(runner.detector(RetinaNetExperiment.FL_2, 2, 0.01, p.warmup, b -> b)).params()
                .length(), params);
        assertEquals(16, CocoJson.read(out.resolve("gt_val.json")).images().size());
        assertEquals(16, CocoJson.read(out.resolve("gt_test.json")).images().size());
        assertThrows(IllegalArgumentException.class, () -> CrossCheckExport.main(new String[] {"out=" + out,
            "level=e48", "config=fl-g2-a0.25", "seed=1", "lr=0", "iterations=30"}));
        assertThrows(IllegalArgumentException.class, () -> CrossCheckExport.main(new String[] {"out=" + out}));
        assertEquals(DataType.FLOAT, train.images(0, 1).dataType());
    }

    /** The twin on a toy export: its architecture and loss checks pass and it trains and evaluates (needs PyTorch). */
    @Test
    void theTwinPassesItsChecksAndTrains(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(torchAvailable(), "PyTorch is not installed for /usr/bin/python3");
        Path out = dir.resolve("export");
        CrossCheckExport.main(args(out, dir));
        Path result = dir.resolve("twin.json");
        Process twin = new ProcessBuilder("/usr/bin/python3", "src/main/python/torch_crosscheck.py", out.toString(),
                result.toString()).redirectErrorStream(true).start();
        String log = new String(twin.getInputStream().readAllBytes());
        assertTrue(twin.waitFor(300, TimeUnit.SECONDS) && twin.exitValue() == 0, log);
        Map<?, ?> r = new ObjectMapper().readValue(result.toFile(), Map.class);
        assertEquals(12, ((Map<?, ?>) r.get("test")).size());
        assertTrue(log.contains("loss check on the first batch"), log);
        Process mutant = new ProcessBuilder("/usr/bin/python3", "src/main/python/crosscheck_mutation.py", out.toString())
                .redirectErrorStream(true).start();
        String mutantLog = new String(mutant.getInputStream().readAllBytes());
        assertTrue(mutant.waitFor(300, TimeUnit.SECONDS) && mutant.exitValue() == 0, "the mutation must be caught: "
                + mutantLog);
    }

    private static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, torchvision").start();
            return p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
