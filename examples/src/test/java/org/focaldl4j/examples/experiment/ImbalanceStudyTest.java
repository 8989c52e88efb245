package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The imbalance study's command at a toy size (both stages, records, resumption, the budget, the report) and its
 * report's choices and pairing on hand-made records.
 */
@ExtendWith(RestoresSystemProperties.class)    // main lets DL4J create its oneDNN helpers (a system property)
class ImbalanceStudyTest {

    private static String[] args(Path dir, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("out=" + dir, "backbone=" + dir, "data=SUBSET", "train=32",
                "val=16", "test=16", "pretrain=128", "grid=0.01", "schedules=3,6,12", "levels=e48"));
        for (String m : more) {                                        // a key given here replaces the default's
            a.removeIf(x -> x.startsWith(m.substring(0, m.indexOf('=') + 1)));
            a.add(m);
        }
        return a.toArray(new String[0]);
    }

    @Test
    void aTinyStudyRunsBothStagesWritesTheReportAndResumes(@TempDir Path dir) throws Exception {
        ImbalanceStudy.main(args(dir));
        @SuppressWarnings("unchecked")
        Map<String, Object> schedule = new ObjectMapper().readValue(dir.resolve("schedule.json").toFile(), Map.class);
        int chosen = ((Number) schedule.get("schedule")).intValue();
        // the rule applied here to the validation APs the study recorded gives the study's choice
        @SuppressWarnings("unchecked")
        Map<String, List<Number>> ap = (Map<String, List<Number>>) schedule.get("validation_ap");
        int expected = 12;
        for (int c = 0; c < 2 && expected == 12; c++) {
            boolean flat = true;
            for (List<Number> v : ap.values()) {
                flat &= v.get(c + 1).doubleValue() - v.get(c).doubleValue() < Math.max(0.005, 0.05 * v.get(c).doubleValue());
            }
            expected = flat ? List.of(3, 6).get(c) : expected;
        }
        assertEquals(expected, chosen);
        for (String level : List.of("e0", "e4032")) {
            for (String c : List.of("ce-a0.75", "fl-g2-a0.25")) {
                assertTrue(Files.exists(dir.resolve("runs/" + level + "/it3/records/" + c + "_s1_lr0.01.json")));
                assertTrue(Files.exists(dir.resolve("runs/" + level + "/it6/records/" + c + "_s1_lr0.01.json")));
            }
        }
        Path level = dir.resolve("runs/e48/it" + chosen + "/records");
        for (String name : List.of("ce-a0.75_s1", "ce-a0.5_s1", "ce-a0.25_s1", "fl-g2-a0.25_s1", "fl-g2-a0.25_s2",
                "fl-g2-a0.25_s3")) {
            assertTrue(Files.exists(level.resolve(name + "_lr0.01.json")), name);
        }
        // above the grid while a run trains (every toy run's AP is 0, half the best): 0.02, then 0.04
        for (String name : List.of("ce-a0.75_s1_lr0.02", "ce-a0.75_s1_lr0.04", "fl-g2-a0.25_s1_lr0.04")) {
            assertTrue(Files.exists(level.resolve(name + ".json")), name);
        }
        assertFalse(Files.exists(level.resolve("ce-a0.75_s1_lr0.08.json")), "at most two doublings");
        @SuppressWarnings("unchecked")
        Map<String, Object> r = new ObjectMapper().readValue(level.resolve("fl-g2-a0.25_s2_lr0.01.json").toFile(), Map.class);
        Map<?, ?> protocol = (Map<?, ?>) r.get("protocol");
        assertEquals(48, protocol.get("empty_per_batch"));
        assertEquals(true, protocol.get("shuffle"));
        assertTrue(((Number) r.get("neg_pos_anchors")).doubleValue() > 48 * 720.0 / 16 / 4 / 10,
                "48 empty canvases of 720 anchors per 16 object canvases of at most ~4·10 positives: " + r.get("neg_pos_anchors"));
        assertEquals(chosen, ((List<?>) r.get("class_loss_curve")).size());
        assertTrue(((Map<?, ?>) r.get("test_anchor_scores")).containsKey("background_top_score"));
        String table = Files.readString(dir.resolve("table.md"), StandardCharsets.UTF_8);
        assertTrue(table.contains("## Level e48") && table.contains("Schedule: **" + chosen + " iterations**"), table);
        assertTrue(Files.size(dir.resolve("fl_minus_ce.png")) > 1000);

        Path fl = level.resolve("fl-g2-a0.25_s3_lr0.01.json");
        long modified = Files.getLastModifiedTime(fl).toMillis();
        ImbalanceStudy.main(args(dir));                                     // everything recorded: nothing runs again
        assertEquals(modified, Files.getLastModifiedTime(fl).toMillis());
    }

    /** Two processes, one per family, make a level together: disjoint runs, the choices once both are recorded. */
    @Test
    void theFamiliesShareALevelWithoutSharingARun(@TempDir Path dir) throws Exception {
        Path level = dir.resolve("runs/e48/it3/records");
        ImbalanceStudy.main(args(dir, "iterations=3", "stage=levels", "families=FL"));
        try (var files = Files.list(level)) {
            List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertEquals(List.of("fl-g2-a0.25_s1_lr0.01.json", "fl-g2-a0.25_s1_lr0.02.json", "fl-g2-a0.25_s1_lr0.04.json",
                    "fl-g2-a0.25_s2_lr0.01.json", "fl-g2-a0.25_s3_lr0.01.json"), names);
        }
        assertFalse(Files.exists(level.resolveSibling("choices.json")), "one family cannot choose the level's CE");
        ImbalanceStudy.main(args(dir, "iterations=3", "stage=levels", "families=CE"));
        try (var files = Files.list(level)) {
            assertEquals(5 + 7, files.count(), "CE's grid, two more α, two seeds, two rates above the grid");
        }
        assertFalse(Files.exists(level.resolveSibling("choices.json")));
        Path fl = level.resolve("fl-g2-a0.25_s3_lr0.01.json");
        long modified = Files.getLastModifiedTime(fl).toMillis();
        ImbalanceStudy.main(args(dir, "iterations=3", "stage=levels"));      // both families, all recorded: no run
        assertEquals(modified, Files.getLastModifiedTime(fl).toMillis());
        try (var files = Files.list(level)) {
            assertEquals(12, files.count());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> choices = new ObjectMapper().readValue(level.resolveSibling("choices.json").toFile(), Map.class);
        assertEquals(0.01, choices.get("fl_rate"));
        assertEquals(0.01, choices.get("ce_rate"));
        for (String bad : List.of("families=", "families=CE,CE", "families=FL*", "families=ce")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImbalanceStudy.main(args(dir, "iterations=3", "stage=levels", bad)), bad);
            assertTrue(e.getMessage().contains("families") && e.getMessage().contains("\"" + bad.substring(9) + "\""),
                    e.getMessage());
        }
        for (String stage : List.of("stage=all", "stage=schedule", "stage=convergence")) {  // these make both families
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImbalanceStudy.main(args(dir, stage, "families=CE")), stage);
            assertTrue(e.getMessage().contains("stage=levels") && e.getMessage().contains(stage), e.getMessage());
        }
    }

    @Test
    void aSpentBudgetStartsNoRun(@TempDir Path dir) throws Exception {
        ImbalanceStudy spent = new ImbalanceStudy(new RetinaNetExperiment.Protocol(), dir, dir, System.nanoTime() - 1,
                new int[] {3, 6});
        assertThrows(ImbalanceStudy.BudgetSpent.class, spent::schedule);
        assertFalse(Files.exists(dir.resolve("runs")), "no run, no record directory");
        assertFalse(Files.exists(dir.resolve("schedule.json")));
        assertFalse(Files.exists(dir.resolve("backbone.zip")), "nothing was loaded or pretrained either");
    }

    /**
     * The schedule stage's decision from hand-made records, with a spent budget so that any run it would need fails the
     * test: the rate rule's halvings (FL at e0 and both families at e4032 need them) and the doubling rule (e0's CE
     * gains 0.10 from 4 to 8 iterations, nothing gains 0.005 or 5 % from 8 to 16: the schedule is 8).
     */
    @Test
    void theScheduleStageDecidesFromRecordsWithTheProtocolsRules(@TempDir Path dir) throws Exception {
        RetinaNetExperiment.Protocol base = new RetinaNetExperiment.Protocol();
        base.grid = new double[] {0.01, 0.02};
        ImbalanceStudy study = new ImbalanceStudy(base, dir, dir, System.nanoTime() - 1, new int[] {4, 8, 16});
        ObjectMapper json = new ObjectMapper();
        Object[][] runs = {
            // level, config, iterations, rate, validation AP (NaN: diverged)
            {"e0", "ce-a0.75", 4, 0.01, 0.10}, {"e0", "ce-a0.75", 4, 0.02, 0.20},
            {"e0", "fl-g2-a0.25", 4, 0.01, 0.30}, {"e0", "fl-g2-a0.25", 4, 0.02, 0.10},
            {"e0", "fl-g2-a0.25", 4, 0.005, 0.20},
            {"e4032", "ce-a0.75", 4, 0.01, 0.05}, {"e4032", "ce-a0.75", 4, 0.02, Double.NaN},
            {"e4032", "ce-a0.75", 4, 0.005, 0.08}, {"e4032", "ce-a0.75", 4, 0.0025, 0.06},
            {"e4032", "fl-g2-a0.25", 4, 0.01, 0.10}, {"e4032", "fl-g2-a0.25", 4, 0.02, 0.05},
            {"e4032", "fl-g2-a0.25", 4, 0.005, 0.05},
            {"e0", "ce-a0.75", 8, 0.02, 0.30}, {"e0", "ce-a0.75", 16, 0.02, 0.305},
            {"e0", "fl-g2-a0.25", 8, 0.01, 0.31}, {"e0", "fl-g2-a0.25", 16, 0.01, 0.312},
            // 0.05 → 0.054: 5 % of 0.05 < 0.004 < 0.005, flat only by the rule's 0.005 floor
            {"e4032", "ce-a0.75", 8, 0.005, 0.05}, {"e4032", "ce-a0.75", 16, 0.005, 0.054},
            {"e4032", "fl-g2-a0.25", 8, 0.01, 0.12}, {"e4032", "fl-g2-a0.25", 16, 0.01, 0.121}};
        for (Object[] r : runs) {
            ImbalanceStudy.Level level = ImbalanceStudy.level((String) r[0]);
            Map<String, Object> m = record((String) r[1], 1, (Double) r[3], (Double) r[4], 0, 40);
            m.put("protocol", json.readValue(json.writeValueAsString(study.protocol(level, (Integer) r[2]).describe()),
                    Map.class));
            Path file = dir.resolve("runs/" + r[0] + "/it" + r[2] + "/records/"
                    + RetinaNetExperiment.recordName(RetinaNetExperiment.config((String) r[1]), 1, (Double) r[3]));
            Files.createDirectories(file.getParent());
            json.writeValue(file.toFile(), m);
        }
        assertEquals(8, study.schedule());
        @SuppressWarnings("unchecked")
        Map<String, Object> schedule = json.readValue(dir.resolve("schedule.json").toFile(), Map.class);
        assertEquals(Map.of("e0 ce-a0.75", 0.02, "e0 fl-g2-a0.25", 0.01, "e4032 ce-a0.75", 0.005,
                "e4032 fl-g2-a0.25", 0.01), schedule.get("learning_rates"));
        assertEquals(List.of(0.2, 0.3, 0.305), ((Map<?, ?>) schedule.get("validation_ap")).get("e0 ce-a0.75"));
        study.convergenceCheck();                                     // the schedule was flat at 8: nothing to run
        assertFalse(Files.exists(dir.resolve("convergence.json")));
        // had nothing been flat, the check would ask for the four runs at 32 iterations
        Map<String, Object> none = json.readValue(dir.resolve("schedule.json").toFile(), Map.class);
        none.put("schedule", 16);
        json.writeValue(dir.resolve("schedule.json").toFile(), none);
        assertThrows(ImbalanceStudy.BudgetSpent.class, study::convergenceCheck);
        // a record made under another protocol is refused, not reused
        Path e0 = dir.resolve("runs/e0/it4/records/ce-a0.75_s1_lr0.01.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = json.readValue(e0.toFile(), Map.class);
        ((Map<String, Object>) m.get("protocol")).put("train_canvases", 32);
        json.writeValue(e0.toFile(), m);
        IllegalStateException e = assertThrows(IllegalStateException.class, study::schedule);
        assertTrue(e.getMessage().contains("train_canvases = 32"), e.getMessage());
    }

    /**
     * Above the grid with no run allowed: CE's chosen 0.02 is followed by 0.04, which fails (AP 0.1 below half of 0.3),
     * so no 0.08 is asked for; FL's 0.01 is followed by 0.02 and 0.04, which train, then 0.08, which diverges: the cap.
     */
    @Test
    void aboveTheGridStopsAtTheFirstFailureOrTheSecondDoubling(@TempDir Path dir) throws Exception {
        RetinaNetExperiment.Protocol base = new RetinaNetExperiment.Protocol();
        base.grid = new double[] {0.01, 0.02};
        ImbalanceStudy study = new ImbalanceStudy(base, dir, dir, System.nanoTime() - 1, new int[] {4, 8});
        ImbalanceStudy.Level level = ImbalanceStudy.level("e48");
        ObjectMapper json = new ObjectMapper();
        Object[][] runs = {{"ce-a0.75", 0.01, 0.2}, {"ce-a0.75", 0.02, 0.3}, {"ce-a0.75", 0.04, 0.1},
            {"fl-g2-a0.25", 0.01, 0.3}, {"fl-g2-a0.25", 0.02, 0.2}, {"fl-g2-a0.25", 0.04, 0.16},
            {"fl-g2-a0.25", 0.08, Double.NaN}};
        for (Object[] r : runs) {
            Map<String, Object> m = record((String) r[0], 1, (Double) r[1], (Double) r[2], 0, 40);
            m.put("protocol", json.readValue(json.writeValueAsString(study.protocol(level, 4).describe()), Map.class));
            Path file = dir.resolve("runs/e48/it4/records/" + RetinaNetExperiment.recordName(
                    RetinaNetExperiment.config((String) r[0]), 1, (Double) r[1]));
            Files.createDirectories(file.getParent());
            json.writeValue(file.toFile(), m);
        }
        RetinaNetExperiment.Runner r = study.runner(level, 4);
        study.aboveTheGrid(r, ImbalanceStudy.CE, 0.02);               // a run at 0.08 would throw BudgetSpent
        study.aboveTheGrid(r, ImbalanceStudy.FL, 0.01);
        // had CE chosen 0.01 (AP 0.2), 0.04's AP 0.1 would be half of it, a run that trains: 0.08 would be asked for
        assertThrows(ImbalanceStudy.BudgetSpent.class, () -> study.aboveTheGrid(r, ImbalanceStudy.CE, 0.01));
    }

    @Test
    void argumentsAreCheckedBeforeAnythingRuns(@TempDir Path dir) {
        for (String bad : List.of("levels=e7", "stage=both", "schedules=3,5", "minutes=0", "grid=0.01,-1", "bogus=1",
                "iterations=0", "warmup=5", "report=yes")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ImbalanceStudy.main(args(dir, bad)), bad);
            String value = bad.substring(bad.indexOf('=') + 1);
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('='))) || e.getMessage().contains(value),
                    bad + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("given twice"), bad + ": " + e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("runs")), "no argument error may start a run");
        assertThrows(IllegalArgumentException.class, () -> ImbalanceStudy.main(args(dir, "iterations=5", "stage=schedule")));
        assertThrows(IllegalStateException.class, () -> ImbalanceStudy.main(args(dir, "stage=levels")),
                "the levels stage needs the schedule stage's decision");
    }

    private static Map<String, Object> record(String config, long seed, double lr, double valAp, double testAp,
                                              double negPos) {
        RetinaNetExperiment.Config c = RetinaNetExperiment.config(config);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", config);
        m.put("name", c.name());
        m.put("family", c.family());
        m.put("seed", seed);
        m.put("phase", "test");
        m.put("learning_rate", lr);
        m.put("diverged_at", Double.isNaN(valAp) ? 7 : null);
        m.put("val", Double.isNaN(valAp) ? null : Map.of("AP", valAp, "AP50", 2 * valAp));
        m.put("test", Double.isNaN(valAp) ? null : Map.of("AP", testAp, "AP50", 2 * testAp));
        m.put("neg_pos_anchors", negPos);
        m.put("neg_pos_entries", 10 * negPos + 9);
        m.put("class_loss_curve", List.of(1.0, 0.5));
        m.put("box_loss_curve", List.of(0.25, 0.125));
        return m;
    }

    @Test
    void theReportChoosesByValidationAndPairsTheSeeds(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        json.writeValue(dir.resolve("schedule.json").toFile(), Map.of("candidates", List.of(4, 8), "rule", "test",
                "learning_rates", Map.of("e0 ce-a0.75", 0.01, "e0 fl-g2-a0.25", 0.005), "validation_ap",
                Map.of("e0 ce-a0.75", List.of(0.1, 0.1), "e0 fl-g2-a0.25", List.of(0.2, 0.3)),
                "schedule", 4, "grid", List.of(0.005, 0.01, 0.02), "max_halvings", 4));
        Path records = Files.createDirectories(dir.resolve("runs/e0/it4/records"));
        List<Map<String, Object>> all = List.of(
                record("ce-a0.75", 1, 0.005, 0.05, 0.05, 40),
                record("ce-a0.75", 1, 0.01, 0.20, 0.90, 40),          // CE's rate: 0.01 by validation, not by test
                record("ce-a0.75", 1, 0.02, 0.10, 0.95, 40),
                record("ce-a0.75", 1, 0.00125, 0.90, 0.90, 40),       // off the rule's path (a schedule run): not chosen
                record("ce-a0.5", 1, 0.01, 0.30, 0.30, 40),           // the best CE
                record("ce-a0.25", 1, 0.01, 0.30, 0.99, 40),          // a tie with α 0.5: goes to the smaller α
                record("ce-a0.25", 2, 0.01, 0.10, 0.20, 44),
                record("ce-a0.25", 3, 0.01, Double.NaN, 0, 44),       // diverged: AP 0, named in the tables
                record("fl-g2-a0.25", 1, 0.0025, 0.10, 0.10, 40),     // the halving the rule asked for
                record("fl-g2-a0.25", 1, 0.005, 0.25, 0.40, 40),
                record("fl-g2-a0.25", 1, 0.01, 0.25, 0.10, 40),       // a tie with 0.005: goes to the smaller rate
                record("fl-g2-a0.25", 1, 0.02, 0.10, 0.10, 40),
                record("fl-g2-a0.25", 2, 0.005, 0.10, 0.10, 44),
                record("fl-g2-a0.25", 3, 0.005, 0.10, 0.10, 44),
                record("fl-g2-a0.25", 4, 0.005, 0.10, 0.10, 44));     // no CE at seed 4: not paired
        all = new java.util.ArrayList<>(all);
        for (Map<String, Object> r : List.of(record("ce-a0.75", 1, 0.04, Double.NaN, 0, 40),   // diverged
                record("ce-a0.75", 1, 0.08, 0.50, 0.50, 40))) {                           // trains, but chooses nothing
            Map<String, Object> above = new LinkedHashMap<>(r);
            above.put("phase", "above");
            all.add(above);
        }
        Map<String, Object> extra = new LinkedHashMap<>(record("fl-g5-a0.25", 1, 0.005, Double.NaN, 0, 40));
        extra.put("phase", "extras");                                   // a diverged extra is named, not shown as AP 0
        all.add(extra);
        for (Map<String, Object> r : all) {
            json.writeValue(records.resolve(r.get("config") + "_s" + r.get("seed") + "_lr" + r.get("learning_rate")
                    + ".json").toFile(), r);
        }
        Files.createDirectories(dir.resolve("crosscheck"));
        json.writeValue(dir.resolve("crosscheck/e0_fl.json").toFile(), Map.of("level", "e0", "config", "fl-g2-a0.25",
                "seed", 1, "learning_rate", 0.005, "iterations", 4, "test", Map.of("AP", 0.35, "AP50", 0.7)));
        json.writeValue(dir.resolve("convergence.json").toFile(), Map.of("iterations", 16, "validation_ap",
                Map.of("e0 ce-a0.75", 0.125, "e0 fl-g2-a0.25", 0.0)));
        Path e48 = Files.createDirectories(dir.resolve("runs/e48/it4/records"));  // fewer background anchors than e0's
        json.writeValue(e48.resolve("ce-a0.75_s1_lr0.01.json").toFile(), record("ce-a0.75", 1, 0.01, 0.2, 0.2, 30));
        Path check = Files.createDirectories(dir.resolve("runs/e0/it16/records"));       // the check's FL run diverged
        json.writeValue(check.resolve("fl-g2-a0.25_s1_lr0.005.json").toFile(), record("fl-g2-a0.25", 1, 0.005,
                Double.NaN, 0, 40));
        assertTrue(ImbalanceReport.write(dir));
        String md = Files.readString(dir.resolve("table.md"), StandardCharsets.UTF_8);
        assertTrue(md.contains("| level, configuration | rate | val AP at 4 | val AP at 8 | val AP at 16 (check) |"), md);
        assertTrue(md.contains("| e0 ce-a0.75 | 0.01 | 0.1000 | 0.1000 | 0.1250 |"), md);
        assertTrue(md.contains("| e0 fl-g2-a0.25 | 0.005 | 0.2000 | 0.3000 | diverged at 7 |"), md);
        // CE α=0.25 over seeds 1, 2, 3: 0.99, 0.20, 0 (diverged); FL at 0.005: 0.40, 0.10, 0.10;
        // FL − CE: −0.59, −0.10, +0.10 → −0.197 ± 0.355
        assertTrue(md.contains("| e0 | empty canvases | 41 | 420 | 0.01 | 0.005 | 0.02 / 0.01 | CE α=0.25 | 0.397 ± 0.523 [0.000–0.990] "
                + "| 0.200 ± 0.173 [0.100–0.400] | -0.197 ± 0.355 [-0.590, +0.100] | 3 |"), md);
        assertTrue(md.contains("| 3 | 0.000 / 0.000 (diverged at 7) | 0.100 / 0.200 | +0.100 / +0.200 | — / — | — / — "
                + "| — / — | diverged / 0.500+0.125 |"), md);
        int e48Row = md.indexOf("| e48 | empty canvases | 30 |");
        assertTrue(e48Row > 0 && e48Row < md.indexOf("| e0 | empty canvases | 41 |"), "levels by measured ratio: " + md);
        assertTrue(md.indexOf("## Level e48") < md.indexOf("## Level e0"), md);
        assertTrue(md.contains("| 2 | 0.200 / 0.400 | 0.100 / 0.200 | -0.100 / -0.200 |"), md);
        assertTrue(md.contains("| 0.04 | diverged at 7 | — |"), md);
        assertTrue(md.contains("| FL γ=5 α=0.25 | 0.005 | diverged at 7 | 0.000 / 0.000 | — / — |"), md);
        assertTrue(md.contains("| 0.01 | 0.2000 ✓ | 0.2500 |"), md);
        assertTrue(md.contains("| 0.005 | 0.0500 | 0.2500 ✓ |"), md);
        assertTrue(md.contains("| 1 | 0.990 / 1.980 | 0.400 / 0.800 | -0.590 / -1.180 |"), md);
        // the twin beside DL4J's same run and DL4J's seeds (0.40, 0.10, 0.10, 0.10: 0.175 ± 0.150)
        assertTrue(md.contains("| e0 | FL γ=2 α=0.25 | 1 | 0.005 | 0.350 / 0.700 | 0.400 / 0.800 | 0.175 ± 0.150 "
                + "[0.100–0.400] | -0.050 | yes (0.175 ≤ 0.300, 4 seeds) |"), md);
    }
}
