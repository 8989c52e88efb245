package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The plateau probe at a toy size: every run recorded with its norms, dead channels and remedy; resumption. */
@ExtendWith(RestoresSystemProperties.class)    // main lets DL4J create its oneDNN helpers (a system property)
class PlateauProbeTest {

    @Test
    @SuppressWarnings("unchecked")
    void aTinyProbeRecordsNormsDeadChannelsAndTheRemedies(@TempDir Path dir) throws Exception {
        String[] args = {"out=" + dir, "backbone=" + dir, "data=SUBSET", "train=32", "val=16", "test=16", "pretrain=128",
            "iterations=8", "warmup=2"};
        PlateauProbe.main(args);
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> base = json.readValue(dir.resolve("fl-lr0.01.json").toFile(), Map.class);
        assertEquals(8, ((List<?>) base.get("grad_norm_trunk")).size());
        assertEquals(8, ((List<?>) base.get("class_loss_curve")).size());
        List<?> trunk = (List<?>) base.get("trunk_layers");
        assertEquals(8 * trunk.size(), ((List<?>) base.get("trunk_layer_norms_all")).size());
        Map<String, List<Integer>> dead = (Map<String, List<Integer>>) base.get("dead_channels_after");
        assertEquals(List.of("backbone_conv0", "backbone_conv1", "backbone_conv2", "backbone_conv3", "backbone_conv4",
                "cls_head_hidden0", "cls_head_hidden1", "box_head_hidden0", "box_head_hidden1"), List.copyOf(dead.keySet()));
        assertEquals(16, dead.get("backbone_conv0").get(1));
        assertEquals(32, dead.get("cls_head_hidden1").get(1));
        assertNull(base.get("clip_l2_per_layer"));
        Map<String, Object> clip = json.readValue(dir.resolve("fl-lr0.01-clip.json").toFile(), Map.class);
        assertEquals(PlateauProbe.clipThreshold(base), ((Number) clip.get("clip_l2_per_layer")).doubleValue(), 0);
        Map<String, Object> warm = json.readValue(dir.resolve("fl-lr0.01-warmup150.json").toFile(), Map.class);
        assertEquals(6, warm.get("warmup"));
        assertTrue(Files.exists(dir.resolve("ce-lr0.01.json")) && Files.exists(dir.resolve("fl-lr0.005.json")));
        String table = Files.readString(dir.resolve("table.md"));
        assertTrue(table.contains("| fl-lr0.01 | 0.01 | 2 | — |") && table.contains("| fl-lr0.01-warmup150 | 0.01 | 6 | — |")
                && table.contains("| fl-lr0.01-clip | 0.01 | 2 | " + String.format(java.util.Locale.ROOT, "%.4f",
                PlateauProbe.clipThreshold(base)) + " |"), table);
        long modified = Files.getLastModifiedTime(dir.resolve("fl-lr0.01.json")).toMillis();
        PlateauProbe.main(args);
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve("fl-lr0.01.json")).toMillis());
        assertThrows(IllegalArgumentException.class, () -> PlateauProbe.main(new String[] {"iterations=6", "warmup=2"}));

        // the probe's extra gradient computations change nothing: the experiment's own run of the same configuration
        // (no norms measured) records the same losses (5 digits) and validation statistics (6 digits)
        RetinaNetExperiment.Protocol p = new RetinaNetExperiment.Protocol();
        for (String[] kv : new String[][] {{"data", "SUBSET"}, {"train", "32"}, {"val", "16"}, {"test", "16"},
            {"pretrain", "128"}, {"iterations", "8"}, {"warmup", "2"}}) {
            Arguments.protocol(p, kv[0], kv[1]);
        }
        p.figure4 = false;
        RetinaNetExperiment.Runner runner = new RetinaNetExperiment.Runner(p, dir.resolve("plain"), dir);
        runner.ensure(RetinaNetExperiment.FL_2, 1, 0.01, "test");
        Map<String, Object> plain = runner.ensure(RetinaNetExperiment.FL_2, 1, 0.01, "test");   // as written
        assertEquals(base.get("class_loss_curve"), plain.get("class_loss_curve"));
        assertEquals(base.get("box_loss_curve"), plain.get("box_loss_curve"));
        assertEquals(base.get("val"), plain.get("val"));
    }

    @Test
    void theClipThresholdIsTheMedianOfTheUnclippedRunsLayerNorms() {
        assertEquals(2.0, PlateauProbe.clipThreshold(Map.of("trunk_layer_norms_all", List.of(5.0, 1.0, 2.0))), 0);
        assertEquals(2.5, PlateauProbe.clipThreshold(Map.of("trunk_layer_norms_all", List.of(5.0, 1.0, 2.0, 3.0))), 0);
    }
}
