package org.focaldl4j.examples.experiment;

import static org.focaldl4j.examples.experiment.RetinaNetReport.cell;
import static org.focaldl4j.examples.experiment.RetinaNetReport.summary;
import static org.focaldl4j.examples.experiment.RetinaNetReport.test;
import static org.focaldl4j.examples.experiment.RetinaNetReport.val;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.focaldl4j.examples.experiment.ImbalanceStudy.Level;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Config;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The report of {@link ImbalanceStudy}, from its records alone: {@code table.md} (the schedule decision; per level the
 * measured imbalance, the learning-rate grids, the best CE α, test AP of the best CE and of FL per seed with the paired
 * differences FL − CE, the anchor scores; the extras of the most imbalanced level) and {@code fl_minus_ce.png} (FL − CE
 * test AP against the measured background:positive anchor ratio, log axis, one line per knob). The choices (rates,
 * best CE) are made again from the records with the runner's rules: validation AP at seed 1, ties to the smaller
 * rate and the smaller α.
 */
final class ImbalanceReport {

    private ImbalanceReport() {
    }

    /** The records of one level at one schedule. */
    record LevelRuns(Level level, int iterations, double[] grid, int maxHalvings, List<Map<String, Object>> records) {

        List<Map<String, Object>> runs(Config c) {
            return records.stream().filter(r -> c.id().equals(r.get("config"))).toList();
        }

        /** The rate of {@code c} by the runner's rule over the seed-1 records ({@code chooseRate}), NaN before it is decided. */
        double rate(Config c) {
            return RetinaNetExperiment.chooseRate(grid, maxHalvings, rate -> {
                Map<String, Object> r = bySeed(c, rate).get(1L);
                return r == null ? Double.NaN : val(r, "AP");
            });
        }

        /** The best CE α at CE's rate, seed 1 (ties to the smaller α), or null. */
        Config bestCe() {
            double rate = rate(ImbalanceStudy.CE);
            Config best = null;
            double bestAp = Double.NEGATIVE_INFINITY;
            for (double alpha : new double[] {0.25, 0.5, 0.75}) {
                Config c = Config.ce(alpha, ImbalanceStudy.PI);
                for (Map<String, Object> r : runs(c)) {
                    if (seedOf(r) == 1 && rateOf(r) == rate && val(r, "AP") > bestAp) {
                        bestAp = val(r, "AP");
                        best = c;
                    }
                }
            }
            return best;
        }

        /** Runs of {@code c} at rate {@code rate} by seed. */
        Map<Long, Map<String, Object>> bySeed(Config c, double rate) {
            Map<Long, Map<String, Object>> out = new TreeMap<>();
            for (Map<String, Object> r : runs(c)) {
                if (rateOf(r) == rate) {
                    out.put(seedOf(r), r);
                }
            }
            return out;
        }

        /**
         * The largest rate that trains at seed 1: from the chosen rate up through the larger rates run (the grid's, then
         * its doublings), the last before the first that fails (diverged, or validation AP below half the chosen rate's);
         * "≥ r" when none of them failed; "—" before the rate is decided.
         */
        String largestTraining(Config c) {
            double chosen = rate(c);
            if (Double.isNaN(chosen)) {
                return "—";
            }
            double bestAp = val(bySeed(c, chosen).get(1L), "AP");
            double last = chosen;
            for (Map.Entry<Double, Map<String, Object>> e : seedOneByRate(c).tailMap(chosen, false).entrySet()) {
                if (!ImbalanceStudy.trains(e.getValue(), bestAp)) {
                    return RetinaNetExperiment.fmt(last);
                }
                last = e.getKey();
            }
            return "≥ " + RetinaNetExperiment.fmt(last);
        }

        private java.util.TreeMap<Double, Map<String, Object>> seedOneByRate(Config c) {
            java.util.TreeMap<Double, Map<String, Object>> out = new java.util.TreeMap<>();
            for (Map<String, Object> r : runs(c)) {
                if (seedOf(r) == 1) {
                    out.put(rateOf(r), r);
                }
            }
            return out;
        }

        /** The mean of a record value over the runs that trained to the end (a diverged run saw only its first batches). */
        double meanOf(String key) {
            return records.stream().filter(r -> r.get("diverged_at") == null).mapToDouble(r -> ((Number) r.get(key))
                    .doubleValue()).average().orElse(Double.NaN);
        }
    }

    static long seedOf(Map<String, Object> r) {
        return ((Number) r.get("seed")).longValue();
    }

    static double rateOf(Map<String, Object> r) {
        return ((Number) r.get("learning_rate")).doubleValue();
    }

    /**
     * The records of every level at {@code iterations}, knob by knob (in the study's order of knobs) and within a knob
     * by the measured neg:pos anchor ratio; a level with no run that trained (no ratio) last in its knob. Levels
     * without records are left out.
     */
    static List<LevelRuns> read(Path out, int iterations, double[] grid, int maxHalvings) throws IOException {
        List<LevelRuns> levels = new ArrayList<>();
        for (Level level : ImbalanceStudy.LEVELS) {
            Path dir = out.resolve("runs").resolve(level.id()).resolve("it" + iterations);
            List<Map<String, Object>> records = RetinaNetExperiment.readRecords(dir);
            if (!records.isEmpty()) {
                levels.add(new LevelRuns(level, iterations, grid, maxHalvings, records));
            }
        }
        List<String> knobs = ImbalanceStudy.LEVELS.stream().map(Level::knob).distinct().toList();
        levels.sort(Comparator.comparingInt((LevelRuns l) -> knobs.indexOf(l.level().knob()))
                .thenComparingDouble(l -> l.meanOf("neg_pos_anchors")));   // NaN (no run trained) sorts last
        return levels;
    }

    /** Writes table.md and fl_minus_ce.png into {@code out}; false when the schedule stage has not finished. */
    static boolean write(Path out) throws IOException {
        Path scheduleFile = out.resolve("schedule.json");
        if (!Files.exists(scheduleFile)) {
            return false;
        }
        Map<String, Object> schedule = new ObjectMapper().readValue(scheduleFile.toFile(),
                new TypeReference<Map<String, Object>>() { });
        int iterations = ((Number) schedule.get("schedule")).intValue();
        double[] grid = schedule.containsKey("grid") ? ((List<?>) schedule.get("grid")).stream()
                .mapToDouble(x -> ((Number) x).doubleValue()).toArray() : ImbalanceStudy.GRID;
        int maxHalvings = schedule.containsKey("max_halvings") ? ((Number) schedule.get("max_halvings")).intValue()
                : ImbalanceStudy.MAX_HALVINGS;
        List<LevelRuns> levels = read(out, iterations, grid, maxHalvings);
        Path convergenceFile = out.resolve("convergence.json");
        Map<String, String> convergence = Files.exists(convergenceFile) ? convergenceCells(out, new ObjectMapper()
                .readValue(convergenceFile.toFile(), new TypeReference<Map<String, Object>>() { }), schedule) : null;
        // written beside and moved over the old report: a failure, or a second study process, never leaves half a table
        Path tmp = out.resolve("table.md.tmp");
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))) {
            scheduleTable(w, schedule, convergence);
            levelsTable(w, levels);
            for (LevelRuns l : levels) {
                levelDetail(w, l);
            }
            crossCheck(w, out, levels);
        }
        Files.move(tmp, out.resolve("table.md"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        plot(out, levels);
        return true;
    }

    /**
     * The convergence check's cells by "level configuration": its validation AP, or "diverged at N" from the run's
     * record (convergence.json counts a diverged run as AP 0); the key "iterations" holds its schedule.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, String> convergenceCells(Path out, Map<String, Object> convergence,
                                                        Map<String, Object> schedule) throws IOException {
        Map<String, String> cells = new LinkedHashMap<>();
        Object iterations = convergence.get("iterations");
        cells.put("iterations", String.valueOf(iterations));
        Map<String, Number> rates = (Map<String, Number>) schedule.get("learning_rates");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) convergence.get("validation_ap")).entrySet()) {
            String[] key = e.getKey().split(" ");
            if (key.length != 2 || rates.get(e.getKey()) == null) {
                throw new IllegalStateException("convergence.json: \"" + e.getKey() + "\" is not a (level, configuration) "
                        + "pair of schedule.json's learning_rates " + rates.keySet());
            }
            Path record = out.resolve("runs").resolve(key[0]).resolve("it" + iterations).resolve("records").resolve(
                    RetinaNetExperiment.recordName(RetinaNetExperiment.config(key[1]), 1,
                            rates.get(e.getKey()).doubleValue()));
            Object diverged = Files.exists(record) ? new ObjectMapper().readValue(record.toFile(), Map.class)
                    .get("diverged_at") : null;
            cells.put(e.getKey(), diverged != null ? "diverged at " + diverged
                    : String.format(Locale.ROOT, "%.4f", ((Number) e.getValue()).doubleValue()));
        }
        return cells;
    }

    /** The schedule stage's table; with the convergence check's column when {@code convergence} is not null. */
    @SuppressWarnings("unchecked")
    private static void scheduleTable(PrintWriter w, Map<String, Object> schedule, Map<String, String> convergence) {
        List<Number> candidates = (List<Number>) schedule.get("candidates");
        w.println("# The imbalance study (protocol v2)");
        w.println();
        w.println("## Schedule, decided by doubling on validation (seed 1)");
        w.println();
        StringBuilder head = new StringBuilder("| level, configuration | rate |");
        StringBuilder rule = new StringBuilder("|---|---:|");
        for (Number c : candidates) {
            head.append(" val AP at ").append(c).append(" |");
            rule.append("---:|");
        }
        if (convergence != null) {
            head.append(" val AP at ").append(convergence.get("iterations")).append(" (check) |");
            rule.append("---:|");
        }
        w.println(head);
        w.println(rule);
        Map<String, Number> rates = (Map<String, Number>) schedule.get("learning_rates");
        for (Map.Entry<String, Object> e : ((Map<String, Object>) schedule.get("validation_ap")).entrySet()) {
            StringBuilder row = new StringBuilder("| " + e.getKey() + " | " + RetinaNetExperiment.fmt(
                    rates.get(e.getKey()).doubleValue()) + " |");
            for (Object v : (List<Object>) e.getValue()) {
                row.append(v == null ? " — |" : String.format(Locale.ROOT, " %.4f |", ((Number) v).doubleValue()));
            }
            if (convergence != null) {
                row.append(" ").append(convergence.getOrDefault(e.getKey(), "—")).append(" |");
            }
            w.println(row);
        }
        w.println();
        w.println("Schedule: **" + schedule.get("schedule") + " iterations** (" + schedule.get("rule") + ").");
        w.println();
        if (convergence != null) {
            w.println("Convergence check: the same four runs at " + convergence.get("iterations") + " iterations, "
                    + "twice the schedule, with the decay points at the same fractions; it chooses nothing.");
            w.println();
        }
    }

    private static void levelsTable(PrintWriter w, List<LevelRuns> levels) {
        w.println("## FL (γ 2, α 0.25) against the best α-CE, per level (test AP, seeds paired)");
        w.println();
        w.println("| level | knob | neg:pos anchors | neg:pos entries | CE rate | FL rate | largest rate that trains, CE / "
                + "FL | best CE | CE AP | FL AP | FL − CE (paired) | seeds |");
        w.println("|---|---|---:|---:|---:|---:|---|---|---|---|---|---:|");
        for (LevelRuns l : levels) {
            Config ce = l.bestCe();
            double ceRate = l.rate(ImbalanceStudy.CE);
            double flRate = l.rate(ImbalanceStudy.FL);
            double[][] paired = paired(l, "AP");
            w.printf(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %s | %s | %s / %s | %s | %s | %s | %s | %d |%n",
                    l.level().id(), l.level().knob(), l.meanOf("neg_pos_anchors"), l.meanOf("neg_pos_entries"),
                    rateCell(ceRate), rateCell(flRate),
                    l.largestTraining(ImbalanceStudy.CE), l.largestTraining(ImbalanceStudy.FL), ce == null ? "—" : ce.name(),
                    cellOf(paired[0]), cellOf(paired[1]), signedCell(paired[2]), paired[2].length);
        }
        w.println();
    }

    /** {CE, FL, FL − CE} test values of {@code stat} over the seeds both have, at their rates. */
    static double[][] paired(LevelRuns l, String stat) {
        Config ce = l.bestCe();
        if (ce == null) {
            return new double[][] {{}, {}, {}};
        }
        Map<Long, Map<String, Object>> ces = l.bySeed(ce, l.rate(ImbalanceStudy.CE));
        Map<Long, Map<String, Object>> fls = l.bySeed(ImbalanceStudy.FL, l.rate(ImbalanceStudy.FL));
        List<Long> seeds = ces.keySet().stream().filter(fls::containsKey).toList();
        double[][] out = new double[3][seeds.size()];
        for (int i = 0; i < seeds.size(); i++) {
            out[0][i] = test(ces.get(seeds.get(i)), stat);
            out[1][i] = test(fls.get(seeds.get(i)), stat);
            out[2][i] = out[1][i] - out[0][i];
        }
        return out;
    }

    private static String rateCell(double rate) {
        return Double.isNaN(rate) ? "—" : RetinaNetExperiment.fmt(rate);
    }

    private static String cellOf(double[] v) {
        return v.length == 0 ? "—" : cell(v);
    }

    private static String signedCell(double[] v) {
        if (v.length == 0) {
            return "—";
        }
        double[] s = summary(v);
        return v.length == 1 ? String.format(Locale.ROOT, "%+.3f", s[0])
                : String.format(Locale.ROOT, "%+.3f ± %.3f [%+.3f, %+.3f]", s[0], s[1], s[2], s[3]);
    }

    private static void levelDetail(PrintWriter w, LevelRuns l) {
        w.printf(Locale.ROOT, "## Level %s (%s, %d×%d canvases, %d empty canvases per batch, %d iterations)%n%n",
                l.level().id(), l.level().knob(), l.level().canvas(), l.level().canvas(), l.level().emptyPerBatch(),
                l.iterations());
        w.println("Learning-rate grids (seed 1, validation AP; a diverged run is shown with its iteration):");
        w.println();
        w.println("| rate | CE α=0.75 | FL γ=2 α=0.25 |");
        w.println("|---:|---|---|");
        Map<Double, String[]> grid = new TreeMap<>();
        for (int f = 0; f < 2; f++) {
            Config c = f == 0 ? ImbalanceStudy.CE : ImbalanceStudy.FL;
            double chosen = l.rate(c);
            for (Map<String, Object> r : l.runs(c)) {
                if (seedOf(r) == 1) {
                    grid.computeIfAbsent(rateOf(r), x -> new String[] {"—", "—"})[f] = valCell(r)
                            + (rateOf(r) == chosen ? " ✓" : "");
                }
            }
        }
        for (Map.Entry<Double, String[]> e : grid.entrySet()) {
            w.printf(Locale.ROOT, "| %s | %s | %s |%n", RetinaNetExperiment.fmt(e.getKey()), e.getValue()[0], e.getValue()[1]);
        }
        w.println();
        double ceRate = l.rate(ImbalanceStudy.CE);
        StringBuilder alphas = new StringBuilder();
        for (double alpha : new double[] {0.25, 0.5, 0.75}) {
            Map<String, Object> r = l.bySeed(Config.ce(alpha, ImbalanceStudy.PI), ceRate).get(1L);
            if (r != null) {
                alphas.append(String.format(Locale.ROOT, "%sα %s: %s", alphas.length() == 0 ? "" : ", ",
                        RetinaNetExperiment.fmt(alpha), valCell(r)));
            }
        }
        w.println("CE α at CE's rate, validation AP (seed 1): " + alphas + ".");
        w.println();
        double[][] ap = paired(l, "AP");
        double[][] ap50 = paired(l, "AP50");
        Config ce = l.bestCe();
        if (ce != null && ap[0].length > 0) {
            Map<Long, Map<String, Object>> ces = l.bySeed(ce, ceRate);
            Map<Long, Map<String, Object>> fls = l.bySeed(ImbalanceStudy.FL, l.rate(ImbalanceStudy.FL));
            List<Long> seeds = ces.keySet().stream().filter(fls::containsKey).toList();
            w.println("| seed | " + ce.name() + " AP / AP50 | FL AP / AP50 | FL − CE AP / AP50 | CE background top score "
                    + "p50 / p99 | FL background top score p50 / p99 | CE / FL positive score p50 | data loss, last "
                    + "tenth: CE cls+box / FL cls+box |");
            w.println("|---:|---|---|---|---|---|---|---|");
            for (int i = 0; i < seeds.size(); i++) {
                Map<String, Object> c = ces.get(seeds.get(i));
                Map<String, Object> f = fls.get(seeds.get(i));
                w.printf(Locale.ROOT, "| %d | %.3f / %.3f%s | %.3f / %.3f%s | %+.3f / %+.3f | %s | %s | %s / %s | %s / %s |%n",
                        seeds.get(i), ap[0][i], ap50[0][i], divergedNote(c), ap[1][i], ap50[1][i], divergedNote(f), ap[2][i],
                        ap50[2][i], scores(c, "background_top_score"),
                        scores(f, "background_top_score"), score(c, "positive_true_class_score", "p50"),
                        score(f, "positive_true_class_score", "p50"), lastLoss(c), lastLoss(f));
            }
            w.println();
        }
        List<Map<String, Object>> extras = l.records.stream().filter(r -> "extras".equals(r.get("phase"))).toList();
        if (!extras.isEmpty()) {
            w.println("Extras (seed 1; FL* and the FL γ variants at FL's rate, CE without the prior at CE's):");
            w.println();
            w.println("| configuration | rate | val AP | test AP / AP50 | background top score p50 / p99 |");
            w.println("|---|---:|---:|---|---|");
            for (Map<String, Object> r : extras) {
                w.printf(Locale.ROOT, "| %s | %s | %s | %.3f / %.3f | %s |%n", r.get("name"),
                        RetinaNetExperiment.fmt(rateOf(r)), valCell(r), test(r, "AP"), test(r, "AP50"),
                        scores(r, "background_top_score"));
            }
            w.println();
        }
    }

    /** A run's validation AP, or "diverged at N" (the protocol counts it as AP 0). */
    private static String valCell(Map<String, Object> r) {
        Object diverged = r.get("diverged_at");
        return diverged != null ? "diverged at " + diverged : String.format(Locale.ROOT, "%.4f", val(r, "AP"));
    }

    /** " (diverged at N)" after a diverged run's AP 0, else nothing. */
    private static String divergedNote(Map<String, Object> r) {
        Object diverged = r.get("diverged_at");
        return diverged != null ? " (diverged at " + diverged + ")" : "";
    }

    private static String score(Map<String, Object> r, String which, String key) {
        Object s = r.get("test_anchor_scores");
        if (!(s instanceof Map<?, ?> m) || !(m.get(which) instanceof Map<?, ?> q) || !(q.get(key) instanceof Number n)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.4f", n.doubleValue());
    }

    private static String scores(Map<String, Object> r, String which) {
        return score(r, which, "p50") + " / " + score(r, which, "p99");
    }

    /** The classification + box data loss, mean over the last tenth of the recorded curve. */
    @SuppressWarnings("unchecked")
    private static String lastLoss(Map<String, Object> r) {
        List<Object> cls = (List<Object>) r.get("class_loss_curve");
        List<Object> box = (List<Object>) r.get("box_loss_curve");
        if (cls == null || box == null || cls.isEmpty()) {
            return "—";
        }
        if (r.get("diverged_at") != null) {
            return "diverged";                                           // its curve is the first iterations' blow-up
        }
        int from = cls.size() - Math.max(1, cls.size() / 10);
        double c = 0;
        double b = 0;
        for (int i = from; i < cls.size(); i++) {
            c += cls.get(i) instanceof Number n ? n.doubleValue() : Double.NaN;
            b += box.get(i) instanceof Number n ? n.doubleValue() : Double.NaN;
        }
        int n = cls.size() - from;
        return String.format(Locale.ROOT, "%.3f+%.3f", c / n, b / n);
    }

    /** FL − CE test AP against the measured neg:pos anchor ratio: per-seed points and the mean, one line per knob. */
    static void plot(Path out, List<LevelRuns> levels) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(520).title("FL (γ 2, α 0.25) − best α-CE, test AP")
                .xAxisTitle("background : positive anchors in the training batches (measured, log)")
                .yAxisTitle("FL − CE, test AP").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisDecimalPattern("+0.000;-0.000");
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        Map<String, List<double[]>> means = new LinkedHashMap<>();
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (LevelRuns l : levels) {
            double[] d = paired(l, "AP")[2];
            if (d.length == 0) {
                continue;
            }
            double x = l.meanOf("neg_pos_anchors");
            means.computeIfAbsent(l.level().knob(), k -> new ArrayList<>()).add(new double[] {x, summary(d)[0]});
            for (double v : d) {
                points.computeIfAbsent(l.level().knob(), k -> new ArrayList<>()).add(new double[] {x, v});
            }
        }
        if (means.isEmpty()) {
            return;
        }
        for (String knob : means.keySet()) {
            List<double[]> m = means.get(knob).stream().sorted(Comparator.comparingDouble(p -> p[0])).toList();
            XYSeries line = chart.addSeries(knob + ": mean", m.stream().mapToDouble(p -> p[0]).toArray(),
                    m.stream().mapToDouble(p -> p[1]).toArray());
            line.setMarker(SeriesMarkers.DIAMOND);
            List<double[]> p = points.get(knob);
            XYSeries dots = chart.addSeries(knob + ": per seed", p.stream().mapToDouble(q -> q[0]).toArray(),
                    p.stream().mapToDouble(q -> q[1]).toArray());
            dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            dots.setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, out.resolve("fl_minus_ce.tmp").toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(out.resolve("fl_minus_ce.tmp.png"), out.resolve("fl_minus_ce.png"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * The PyTorch twin's runs ({@code crosscheck/*.json}, torch_crosscheck.py) beside DL4J's run of the same level,
     * configuration, seed and rate, and DL4J's spread over that configuration's seeds.
     */
    static void crossCheck(PrintWriter w, Path out, List<LevelRuns> levels) throws IOException {
        Path dir = out.resolve("crosscheck");
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> files;
        try (var s = Files.list(dir)) {
            files = s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
        if (files.isEmpty()) {
            return;
        }
        w.println("## Cross-check: an independent PyTorch implementation on the same canvases and anchor targets");
        w.println();
        w.println("| level | configuration | seed | rate | PyTorch test AP / AP50 | DL4J test AP / AP50, same seed | DL4J "
                + "test AP over seeds | PyTorch − DL4J (AP) | agrees: \\|PyTorch − DL4J mean\\| ≤ max(2 s.d., 0.01) |");
        w.println("|---|---|---:|---:|---|---|---|---:|---|");
        ObjectMapper json = new ObjectMapper();
        for (Path f : files) {
            Map<String, Object> t = json.readValue(f.toFile(), new TypeReference<Map<String, Object>>() { });
            LevelRuns l = levels.stream().filter(x -> x.level().id().equals(t.get("level"))).findFirst().orElse(null);
            Config c = RetinaNetExperiment.config((String) t.get("config"));
            double rate = rateOf(t);
            Map<Long, Map<String, Object>> dl4j = l == null ? Map.of() : l.bySeed(c, rate);
            Map<String, Object> same = dl4j.get(seedOf(t));
            double[] seeds = dl4j.values().stream().mapToDouble(r -> test(r, "AP")).toArray();
            String agrees = "— (needs the level's three seeds at the validated rate)";
            boolean validated = l != null && rate == l.rate(c) && l.iterations() == ((Number) t.get("iterations")).intValue();
            if (!validated) {
                agrees = "— (not the level's validated rate and schedule)";
            } else if (seeds.length >= 3) {
                double[] sum = summary(seeds);
                double gap = Math.abs(test(t, "AP") - sum[0]);
                double bound = Math.max(2 * sum[1], 0.01);
                agrees = String.format(Locale.ROOT, "%s (%.3f %s %.3f, %d seeds)", gap <= bound ? "yes" : "no", gap,
                        gap <= bound ? "≤" : ">", bound, seeds.length);
            }
            w.printf(Locale.ROOT, "| %s | %s | %d | %s | %.3f / %.3f | %s | %s | %s | %s |%n", t.get("level"), c.name(),
                    seedOf(t), RetinaNetExperiment.fmt(rate), test(t, "AP"), test(t, "AP50"), same == null ? "—"
                    : String.format(Locale.ROOT, "%.3f / %.3f", test(same, "AP"), test(same, "AP50")), cellOf(seeds),
                    same == null ? "—" : String.format(Locale.ROOT, "%+.3f", test(t, "AP") - test(same, "AP")), agrees);
        }
        w.println();
    }
}
