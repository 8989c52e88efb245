package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The experiments' bookkeeping: records survive a JSON round trip, and the table's statistics are right. */
class DenseDetectionExperimentsTest {

    private static Map<String, Object> record(String config, long seed, double map, double square) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", config);
        m.put("seed", seed);
        Map<String, Object> ap = new LinkedHashMap<>();
        ap.put("square", square);
        ap.put("h_bar", 0.5);
        ap.put("v_bar", 0.25);
        m.put("ap50", ap);
        m.put("map50", map);
        m.put("train_seconds", 100.0 + seed);
        m.put("first_epoch_loss", 2.0);
        m.put("last_epoch_loss", 0.5);
        return m;
    }

    @Test
    void summaryIsMeanSampleDeviationAndRange() {
        double[] s = DenseDetectionExperiments.summary(new double[] {0.2, 0.4, 0.9});
        assertEquals(0.5, s[0], 1e-12);
        assertEquals(Math.sqrt((0.09 + 0.01 + 0.16) / 2), s[1], 1e-12);      // n − 1 in the denominator
        assertEquals(0.2, s[2], 0);
        assertEquals(0.9, s[3], 0);
        assertEquals(0.0, DenseDetectionExperiments.summary(new double[] {0.7})[1], 0);
    }

    @Test
    void recordsRoundTripAndTheTableSummarisesEveryConfigurationOverSeeds(@TempDir Path dir) throws Exception {
        List<Map<String, Object>> records = new ArrayList<>();
        records.add(record("CE α=0.75", 1, 0.5, 0.6));
        records.add(record("CE α=0.75", 2, 0.3, 0.4));
        records.add(record("FL γ=2 α=0.25", 1, 0.25, 0.3));
        Path json = dir.resolve("runs.json");
        DenseDetectionExperiments.write(json, records);
        List<Map<String, Object>> back = DenseDetectionExperiments.read(json);
        assertEquals(3, back.size());
        assertTrue(DenseDetectionExperiments.find(back, "CE α=0.75", 2) != null);
        assertEquals(null, DenseDetectionExperiments.find(back, "CE α=0.75", 3));
        assertArrayEquals(new double[] {0.5, 0.3}, DenseDetectionExperiments.values(back, "CE α=0.75", "map50", null));
        assertArrayEquals(new double[] {0.6, 0.4}, DenseDetectionExperiments.values(back, "CE α=0.75", "ap50", "square"));

        Path table = dir.resolve("table.md");
        DenseDetectionExperiments.writeTable(table, back, new DenseDetectionDemo.Settings());
        String md = Files.readString(table, StandardCharsets.UTF_8);
        // two seeds: mean 0.4, s.d. √0.02 = 0.141, range 0.3–0.5; square AP mean 0.5
        assertTrue(md.contains("| CE α=0.75 | 2 | 1e-02 | 0.400 ± 0.141 [0.300–0.500] | 0.500 | 0.500 | 0.250 | 2.000 → 0.500 | 102 |"), md);
        assertTrue(md.contains("| FL γ=2 α=0.25 | 1 | 1e-02 | 0.250 ± 0.000 [0.250–0.250] | 0.300 |"), md);
        assertTrue(!md.contains("FL* γ=2"), "a configuration without runs must not appear");
    }
}
