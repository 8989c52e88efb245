package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The paper experiment's command end to end at a toy size (records written, resumed without re-running, table and
 * plots generated), its schedule, and the report's choices and statistics on hand-made records.
 */
@ExtendWith(RestoresSystemProperties.class)    // main lets DL4J create its oneDNN helpers (a system property)
class RetinaNetExperimentTest {

    @Test
    void aTinyExperimentWritesRecordsTableAndPlotsAndResumesFromTheRecords(@TempDir Path dir) throws Exception {
        String[] args = {"out=" + dir, "data=SUBSET", "train=32", "val=16", "test=16", "iterations=3", "warmup=1",
            "pretrain=128", "grid=0.01", "seeds=1", "configs=ce-a0.75,fl-g2-a0.25"};
        RetinaNetExperiment.main(args);
        Path ce = dir.resolve("records/ce-a0.75_s1_lr0.01.json");
        Path fl = dir.resolve("records/fl-g2-a0.25_s1_lr0.01.json");
        assertTrue(Files.exists(ce) && Files.exists(fl));
        @SuppressWarnings("unchecked")
        Map<String, Object> r = new ObjectMapper().readValue(fl.toFile(), Map.class);
        assertEquals("fl-g2-a0.25", r.get("config"));
        assertEquals(0.01, ((Number) r.get("learning_rate")).doubleValue(), 0);
        assertEquals("grid", r.get("phase"));
        assertEquals(3, ((List<?>) r.get("loss_curve")).size());
        assertEquals(12, ((Map<?, ?>) r.get("test")).size());
        assertEquals(12, ((Map<?, ?>) r.get("val")).size());
        assertEquals(10, ((Map<?, ?>) r.get("test_per_class_ap_ap50_ap75")).size());
        assertEquals(RetinaNetExperiment.sha256(dir.resolve("backbone.zip")), r.get("backbone_sha256"));
        String table = Files.readString(dir.resolve("table.md"), StandardCharsets.UTF_8);
        assertTrue(table.contains("| CE α=0.75 | 0.01 | 1 |") && table.contains("| FL γ=2 α=0.25 | 0.01 | 1 |"), table);
        for (String png : List.of("ap.png", "gamma_sweep.png", "loss_curves.png", "figure4_positive.png",
                "figure4_negative.png")) {
            assertTrue(Files.size(dir.resolve(png)) > 1000, png);
        }
        assertTrue(Files.readString(dir.resolve("figure4/lr0.01.csv")).startsWith("# FL γ=2 α=0.25 detector, seed 1"));

        String before = Files.readString(fl);
        long modified = Files.getLastModifiedTime(fl).toMillis();
        RetinaNetExperiment.main(args);                                   // everything recorded: nothing runs again
        assertEquals(before, Files.readString(fl));
        assertEquals(modified, Files.getLastModifiedTime(fl).toMillis());
    }

    /** A run whose last update leaves non-finite parameters is recorded as diverged there, not evaluated (no crash). */
    @Test
    void aRunMadeNonFiniteByItsLastUpdateIsRecordedAsDiverged(@TempDir Path dir) throws Exception {
        RetinaNetExperiment.Protocol p = new RetinaNetExperiment.Protocol();
        for (String[] kv : new String[][] {{"data", "SUBSET"}, {"train", "32"}, {"val", "16"}, {"test", "16"},
            {"pretrain", "128"}, {"iterations", "1"}, {"warmup", "0"}}) {
            Arguments.protocol(p, kv[0], kv[1]);
        }
        p.figure4 = false;
        RetinaNetExperiment.Runner runner = new RetinaNetExperiment.Runner(p, dir, dir);
        runner.ensure(RetinaNetExperiment.CE_075, 1, 1e30, "test");
        Map<String, Object> r = runner.ensure(RetinaNetExperiment.CE_075, 1, 1e30, "test");       // as written
        assertEquals(1, r.get("diverged_at"));
        assertEquals(null, r.get("val"));
        assertEquals(1, ((List<?>) r.get("class_loss_curve")).size());
        assertTrue(Double.isFinite(((Number) ((List<?>) r.get("class_loss_curve")).get(0)).doubleValue()));
    }

    @Test
    void argumentsAreCheckedBeforeAnythingRuns(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> RetinaNetExperiment.main(new String[] {"out=" + dir, "bogus=1"}));
        assertThrows(IllegalArgumentException.class, () -> RetinaNetExperiment.main(new String[] {"configs=ce-a0.3"}));
        assertThrows(IllegalArgumentException.class, () -> RetinaNetExperiment.main(new String[] {"iterations=5", "warmup=5"}));
        assertThrows(IllegalArgumentException.class, () -> RetinaNetExperiment.main(new String[] {"out=" + dir,
            "configs=ce-a0.25", "report=false"}), "a CE configuration without the CE grid configuration");
    }

    @Test
    void scheduleWarmsUpFromAThirdThenDividesByTenTwice() {
        ISchedule s = RetinaNetExperiment.schedule(0.03, 90, 9);
        assertEquals(0.01, s.valueAt(0, 0), 1e-15);
        assertEquals(0.03 * (1.0 / 3 + 2.0 / 3 * 4 / 9), s.valueAt(4, 0), 1e-15);
        assertEquals(0.03, s.valueAt(9, 0), 1e-15);
        assertEquals(0.03, s.valueAt(59, 0), 1e-15);
        assertEquals(0.003, s.valueAt(60, 0), 1e-15);
        assertEquals(0.003, s.valueAt(79, 0), 1e-15);
        assertEquals(0.0003, s.valueAt(80, 0), 1e-15);
        assertEquals(0.0003, s.valueAt(1000, 0), 1e-15);
    }

    private static Map<String, Object> record(String config, String phase, long seed, double lr, double valAp, double testAp,
                                              double testAp50) {
        RetinaNetExperiment.Config c = RetinaNetExperiment.config(config);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", config);
        m.put("name", c.name());
        m.put("family", c.family());
        m.put("seed", seed);
        m.put("phase", phase);
        m.put("learning_rate", lr);
        m.put("protocol", Map.of("iterations", 4));
        m.put("optimizer", "test");
        m.put("normaliser", "test");
        m.put("train_seconds", 100.0);
        m.put("eval_seconds", 8.0);
        m.put("java", "test JVM");
        m.put("cpu", "test CPU");
        m.put("diverged_at", Double.isNaN(valAp) ? 2 : null);
        m.put("val", Double.isNaN(valAp) ? null : Map.of("AP", valAp, "AP50", 2 * valAp));
        m.put("test", Double.isNaN(valAp) ? null : Map.of("AP", testAp, "AP50", testAp50, "AP75", testAp / 2,
                "APsmall", testAp, "APmedium", testAp));
        m.put("loss_curve", List.of(2.0, 1.0, 0.5, 0.5));
        return m;
    }

    @Test
    void theReportChoosesByValidationApAndPairsTheSeeds(@TempDir Path dir) throws Exception {
        Path records = Files.createDirectories(dir.resolve("records"));
        List<Map<String, Object>> all = List.of(
                // CE grid: 0.02 wins on validation even though 0.01 has the better test AP (test never chooses)
                record("ce-a0.75", "grid", 1, 0.01, 0.10, 0.90, 0.95),
                record("ce-a0.75", "grid", 1, 0.02, 0.20, 0.20, 0.40),
                record("ce-a0.75", "grid", 1, 0.04, Double.NaN, 0, 0),                 // diverged
                record("ce-a0.5", "sweep", 1, 0.02, 0.30, 0.25, 0.45),                  // best CE by validation
                record("ce-a0.5", "seeds", 2, 0.02, 0.10, 0.15, 0.35),
                record("fl-g2-a0.25", "grid", 1, 0.02, 0.25, 0.30, 0.50),
                record("fl-g2-a0.25", "seeds", 2, 0.02, 0.10, 0.25, 0.45),
                record("flstar-g2-b1", "grid", 1, 0.01, 0.25, 0.28, 0.48),
                record("flstar-g2-b1", "seeds", 2, 0.01, 0.10, 0.20, 0.40));
        ObjectMapper json = new ObjectMapper();
        for (Map<String, Object> r : all) {
            json.writeValue(records.resolve(r.get("config") + "_s" + r.get("seed") + "_lr"
                    + RetinaNetExperiment.fmt(((Number) r.get("learning_rate")).doubleValue()) + ".json").toFile(), r);
        }
        RetinaNetReport.write(dir, RetinaNetExperiment.CONFIGS);
        String md = Files.readString(dir.resolve("table.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("| CE (CE α=0.75) | 0.02 ✓ | 0.200 | 0.400 | — |"), md);
        assertTrue(md.contains("| CE (CE α=0.75) | 0.04 | 0.000 | 0.000 | 2 |"), md);
        assertTrue(md.contains("Best CE by validation AP: CE α=0.5."), md);
        // CE α=0.5 over seeds 1, 2: AP 0.25, 0.15 → mean 0.2, s.d. √0.005 = 0.0707
        assertTrue(md.contains("| CE α=0.5 | 0.02 | 2 | 0.200 ± 0.071 [0.150–0.250] |"), md);
        // FL − CE per seed: +0.05 and +0.10 (AP), +0.05 and +0.10 (AP50); FL* − CE: +0.03, +0.05 / +0.03, +0.05
        assertTrue(md.contains("| 1 | 0.250 / 0.450 | 0.300 / 0.500 | 0.280 / 0.480 | +0.050 / +0.050 | +0.030 / +0.030 |"), md);
        assertTrue(md.contains("| mean ± s.d. | | | | +0.075 ± 0.035 / +0.075 ± 0.035 | +0.040 ± 0.014 / +0.040 ± 0.014 |"), md);
        assertTrue(md.contains("9 runs, 0.3 hours"), md);
        assertTrue(!md.contains("| FL γ=5"), "a configuration without runs must not appear");
    }
}
