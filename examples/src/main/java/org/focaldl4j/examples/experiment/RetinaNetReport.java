package org.focaldl4j.examples.experiment;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.LossCdf;
import org.focaldl4j.examples.PaperCurves;
import org.focaldl4j.examples.PaperFigures;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Config;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * The report of {@link RetinaNetExperiment}, generated from its JSON records alone: {@code table.md} (learning-rate
 * grid on the validation canvases; every configuration's test statistics as mean ± sample s.d. [min–max] over
 * seeds; the paired per-seed differences FL − CE and FL* − CE), {@code ap.png}, {@code gamma_sweep.png},
 * {@code loss_curves.png} and the paper's Figure 4 ({@code figure4_positive.png}, {@code figure4_negative.png}) from
 * the CSV the FL γ = 2 run wrote. The learning rate of a family and the best CE are chosen again from the records,
 * by validation AP, with the rule the runner used.
 */
final class RetinaNetReport {

    static final String[] STATS = {"AP", "AP50", "AP75", "APsmall", "APmedium"};
    static final List<Config> GAMMA_SWEEP = List.of(RetinaNetExperiment.CE_075, RetinaNetExperiment.config("fl-g0.5-a0.5"),
            RetinaNetExperiment.config("fl-g1-a0.25"), RetinaNetExperiment.FL_2, RetinaNetExperiment.config("fl-g5-a0.25"));
    /** The entry counts in the comment line of a Figure 4 CSV. */
    private static final Pattern COUNTS = Pattern.compile("([\\d,]+) positive and ([\\d,]+) negative");

    private RetinaNetReport() {
    }

    /** Everything the records hold, grouped. */
    static final class Results {
        final List<Map<String, Object>> records;
        final Map<String, Double> lr = new LinkedHashMap<>();
        Config bestCe;
        long firstSeed = Long.MAX_VALUE;

        Results(List<Map<String, Object>> records) {
            this.records = records;
            for (Map<String, Object> r : records) {
                firstSeed = Math.min(firstSeed, seed(r));
            }
            for (String family : List.of("CE", "FL", "FL*")) {
                Config g = RetinaNetExperiment.GRID_CONFIG.get(family);
                records.stream().filter(r -> r.get("config").equals(g.id()) && "grid".equals(r.get("phase"))
                                && seed(r) == firstSeed)
                        .max(Comparator.comparingDouble((Map<String, Object> r) -> val(r, "AP"))
                                .thenComparing(r -> -number(r, "learning_rate")))
                        .ifPresent(r -> lr.put(family, number(r, "learning_rate")));
            }
            double best = Double.NEGATIVE_INFINITY;
            for (Config c : RetinaNetExperiment.CONFIGS) {
                if (c.family().equals("CE") && c.prior() == RetinaNetExperiment.PI) {
                    for (Map<String, Object> r : runs(c)) {
                        if (seed(r) == firstSeed && val(r, "AP") > best) {
                            best = val(r, "AP");
                            bestCe = c;
                        }
                    }
                }
            }
        }

        /** The runs of {@code c} at its family's chosen learning rate, in seed order. */
        List<Map<String, Object>> runs(Config c) {
            Double rate = lr.get(c.family());
            List<Map<String, Object>> out = new ArrayList<>();
            if (rate == null) {
                return out;
            }
            for (Map<String, Object> r : records) {
                if (r.get("config").equals(c.id()) && number(r, "learning_rate") == rate) {
                    out.add(r);
                }
            }
            out.sort(Comparator.comparingLong(Results::seed));
            return out;
        }

        Map<String, Object> run(Config c, long seed) {
            return runs(c).stream().filter(r -> seed(r) == seed).findFirst().orElse(null);
        }

        static long seed(Map<String, Object> r) {
            return ((Number) r.get("seed")).longValue();
        }
    }

    static double number(Map<String, Object> r, String key) {
        return ((Number) r.get(key)).doubleValue();
    }

    /** A validation statistic; a diverged run (no statistics) counts as 0. */
    static double val(Map<String, Object> r, String stat) {
        return stat(r, "val", stat);
    }

    static double test(Map<String, Object> r, String stat) {
        return stat(r, "test", stat);
    }

    private static double stat(Map<String, Object> r, String split, String stat) {
        Object s = r.get(split);
        return s == null ? 0 : ((Number) ((Map<?, ?>) s).get(stat)).doubleValue();
    }

    /** {mean, sample s.d. (0 for one value), min, max}. */
    static double[] summary(double[] v) {
        double mean = Arrays.stream(v).average().orElse(Double.NaN);
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        double sd = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
        return new double[] {mean, sd, Arrays.stream(v).min().orElse(Double.NaN), Arrays.stream(v).max().orElse(Double.NaN)};
    }

    static String cell(double[] v) {
        double[] s = summary(v);
        return v.length == 1 ? String.format(Locale.ROOT, "%.3f", s[0])
                : String.format(Locale.ROOT, "%.3f ± %.3f [%.3f–%.3f]", s[0], s[1], s[2], s[3]);
    }

    /** The loss per iteration; a non-finite loss (JSON "NaN", "Infinity") is NaN. */
    static double[] curve(Map<String, Object> r) {
        return ((List<?>) r.get("loss_curve")).stream().mapToDouble(x -> x instanceof Number ? ((Number) x).doubleValue()
                : Double.NaN).toArray();
    }

    static double meanOf(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / Math.max(1, to - from);
    }

    /** Writes the table and the plots into {@code dir} from {@code dir}/records. */
    static void write(Path dir, List<Config> configs) throws IOException {
        Results res = new Results(RetinaNetExperiment.readRecords(dir));
        if (res.records.isEmpty()) {
            System.out.println("no records under " + dir.resolve("records") + ": nothing to report");
            return;
        }
        writeTable(dir, res, configs);
        plots(dir, res, configs);
        System.out.println("wrote the table and plots of " + res.records.size() + " runs to " + dir.toAbsolutePath().normalize());
    }

    @SuppressWarnings("unchecked")
    static void writeTable(Path dir, Results res, List<Config> configs) throws IOException {
        Map<String, Object> protocol = (Map<String, Object>) res.records.get(0).get("protocol");
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(dir.resolve("table.md"), StandardCharsets.UTF_8))) {
            out.println("<!-- generated by RetinaNetExperiment from records/*.json; do not edit -->");
            out.printf(Locale.ROOT, "Protocol: %s.%n%n", protocol);
            out.println("Optimiser: " + res.records.get(0).get("optimizer") + ". Normaliser: "
                    + res.records.get(0).get("normaliser") + ".");
            out.println();
            out.println("**Learning-rate grid** (seed " + res.firstSeed + "; chosen by validation AP, marked ✓):");
            out.println();
            out.println("| family (configuration) | learning rate | validation AP | validation AP50 | diverged at |");
            out.println("|---|---:|---:|---:|---:|");
            for (Map<String, Object> r : res.records) {
                if ("grid".equals(r.get("phase"))) {
                    double rate = number(r, "learning_rate");
                    boolean chosen = res.lr.get((String) r.get("family")) == rate;
                    out.printf(Locale.ROOT, "| %s (%s) | %s%s | %.3f | %.3f | %s |%n", r.get("family"), r.get("name"),
                            RetinaNetExperiment.fmt(rate), chosen ? " ✓" : "", val(r, "AP"), val(r, "AP50"),
                            r.get("diverged_at") == null ? "—" : r.get("diverged_at"));
                }
            }
            out.println();
            out.println("**Test canvases** (COCO statistics; mean ± sample s.d. [min–max] over seeds where there are several;"
                    + " a diverged run counts as 0). Best CE by validation AP: "
                    + (res.bestCe == null ? "—" : res.bestCe.name()) + ".");
            out.println();
            out.println("| configuration | lr | seeds | AP | AP50 | AP75 | APsmall | APmedium | val AP | score (data + weight decay) "
                    + "first → last 20 | train s |");
            out.println("|---|---:|---:|---|---|---|---|---|---:|---|---:|");
            for (Config c : configs) {
                List<Map<String, Object>> runs = res.runs(c);
                if (runs.isEmpty()) {
                    continue;
                }
                StringBuilder row = new StringBuilder();
                row.append("| ").append(c.name()).append(" | ").append(RetinaNetExperiment.fmt(res.lr.get(c.family())))
                        .append(" | ").append(runs.size());
                for (String s : STATS) {
                    row.append(" | ").append(cell(runs.stream().mapToDouble(r -> test(r, s)).toArray()));
                }
                row.append(String.format(Locale.ROOT, " | %.3f", summary(runs.stream().mapToDouble(r -> val(r, "AP"))
                        .toArray())[0]));
                double first = runs.stream().mapToDouble(r -> meanOf(curve(r), 0, Math.min(20, curve(r).length))).average()
                        .orElse(Double.NaN);
                double last = runs.stream().mapToDouble(r -> {
                    double[] v = curve(r);
                    return meanOf(v, Math.max(0, v.length - 20), v.length);
                }).average().orElse(Double.NaN);
                long diverged = runs.stream().filter(r -> r.get("diverged_at") != null).count();
                row.append(String.format(Locale.ROOT, " | %.3f → %s | %.0f |", first,
                        diverged > 0 ? "diverged (" + diverged + " of " + runs.size() + ")" : String.format(Locale.ROOT, "%.3f", last),
                        summary(runs.stream().mapToDouble(r -> number(r, "train_seconds")).toArray())[0]));
                out.println(row);
            }
            out.println();
            out.println("The score column is DL4J's score, mean over the first and the last 20 iterations: the classification and"
                    + " box data losses plus the weight-decay term, which this protocol's records do not give apart (records of"
                    + " the imbalance study do: classification, box and regularisation curves).");
            out.println();
            paired(out, res);
            double total = res.records.stream().mapToDouble(r -> number(r, "train_seconds") + number(r, "eval_seconds")).sum();
            out.printf(Locale.ROOT, "%n%d runs, %.1f hours of training and evaluation (%s; %s).%n", res.records.size(),
                    total / 3600, res.records.get(0).get("java"), res.records.get(0).get("cpu"));
        }
    }

    /** Per seed, FL − CE and FL* − CE (best CE), in AP and AP50. */
    static void paired(PrintWriter out, Results res) {
        if (res.bestCe == null) {
            return;
        }
        List<double[]> dFl = new ArrayList<>();
        List<double[]> dStar = new ArrayList<>();
        for (Map<String, Object> ce : res.runs(res.bestCe)) {
            long seed = Results.seed(ce);
            Map<String, Object> fl = res.run(RetinaNetExperiment.FL_2, seed);
            Map<String, Object> star = res.run(RetinaNetExperiment.STAR_2, seed);
            if (fl == null || star == null) {
                continue;
            }
            double[] a = {test(fl, "AP") - test(ce, "AP"), test(fl, "AP50") - test(ce, "AP50")};
            double[] b = {test(star, "AP") - test(ce, "AP"), test(star, "AP50") - test(ce, "AP50")};
            if (dFl.isEmpty()) {
                out.println("**Paired differences** (same seed: same canvases, data order and head initialisation), "
                        + "test AP / AP50:");
                out.println();
                out.println("| seed | " + res.bestCe.name() + " | FL γ=2 α=0.25 | FL* γ=2 β=1 | FL − CE | FL* − CE |");
                out.println("|---:|---|---|---|---|---|");
            }
            dFl.add(a);
            dStar.add(b);
            out.printf(Locale.ROOT, "| %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %+.3f / %+.3f | %+.3f / %+.3f |%n", seed,
                    test(ce, "AP"), test(ce, "AP50"), test(fl, "AP"), test(fl, "AP50"), test(star, "AP"), test(star, "AP50"),
                    a[0], a[1], b[0], b[1]);
        }
        if (dFl.size() == 1) {
            out.println("| (one seed: no spread yet) | | | | | |");
        } else if (!dFl.isEmpty()) {
            double[] flAp = dFl.stream().mapToDouble(v -> v[0]).toArray();
            double[] flAp50 = dFl.stream().mapToDouble(v -> v[1]).toArray();
            double[] stAp = dStar.stream().mapToDouble(v -> v[0]).toArray();
            double[] stAp50 = dStar.stream().mapToDouble(v -> v[1]).toArray();
            out.printf(Locale.ROOT, "| mean ± s.d. | | | | %+.3f ± %.3f / %+.3f ± %.3f | %+.3f ± %.3f / %+.3f ± %.3f |%n",
                    summary(flAp)[0], summary(flAp)[1], summary(flAp50)[0], summary(flAp50)[1],
                    summary(stAp)[0], summary(stAp)[1], summary(stAp50)[0], summary(stAp50)[1]);
        }
    }

    static void plots(Path dir, Results res, List<Config> configs) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        List<Double> sds = new ArrayList<>();
        for (Config c : configs) {
            double[] ap = res.runs(c).stream().mapToDouble(r -> test(r, "AP")).toArray();
            if (ap.length > 0) {
                names.add(c.name() + " (" + ap.length + ")");
                means.add(summary(ap)[0]);
                sds.add(summary(ap)[1]);
            }
        }
        if (!names.isEmpty()) {
            CategoryChart bars = new CategoryChartBuilder().width(960).height(520)
                    .title("Test AP per configuration (mean ± s.d. over the seeds in brackets)").yAxisTitle("AP").build();
            bars.getStyler().setXAxisLabelRotation(35);
            bars.getStyler().setYAxisMin(0.0).setYAxisDecimalPattern("0.00");
            bars.getStyler().setChartBackgroundColor(Color.WHITE).setLegendVisible(false);
            bars.addSeries("AP", names, means, sds);
            BitmapEncoder.saveBitmap(bars, dir.resolve("ap").toString(), BitmapEncoder.BitmapFormat.PNG);
        }

        List<Double> gx = new ArrayList<>();
        List<Double> gy = new ArrayList<>();
        List<Double> gs = new ArrayList<>();
        List<Double> px = new ArrayList<>();
        List<Double> py = new ArrayList<>();
        for (Config c : GAMMA_SWEEP) {
            double[] ap = res.runs(c).stream().mapToDouble(r -> test(r, "AP")).toArray();
            if (ap.length == 0) {
                continue;
            }
            gx.add(c.gamma());
            gy.add(summary(ap)[0]);
            gs.add(summary(ap)[1]);
            for (double v : ap) {
                px.add(c.gamma());
                py.add(v);
            }
        }
        PaperFigures.writeGammaSweep(dir.resolve("gamma_sweep"), "γ sweep (α per γ as the paper's Table 1b; γ = 0 is CE "
                + "α=0.75)", "test AP", Double.NaN, gx, gy, gs, px, py);

        XYChart curves = new XYChartBuilder().width(960).height(600)
                .title("DL4J score (class + box data loss + weight decay, moving mean of 20 steps), seed " + res.firstSeed
                        + "; axis cut at 8")
                .xAxisTitle("iteration").yAxisTitle("score").build();
        // a linear axis cut at 8: the no-prior runs start near 100 and would flatten every other curve
        curves.getStyler().setXAxisMin(0.0).setYAxisMin(0.0).setYAxisMax(8.0).setXAxisTickMarkSpacingHint(90)
                .setXAxisDecimalPattern("0").setYAxisDecimalPattern("0.0")
                .setChartBackgroundColor(Color.WHITE).setLegendPosition(Styler.LegendPosition.OutsideE);
        for (Config c : configs) {
            Map<String, Object> r = res.run(c, res.firstSeed);
            if (r == null) {
                continue;
            }
            double[] v = curve(r);
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int i = 0; i < v.length; i++) {
                double m = meanOf(v, Math.max(0, i - 19), i + 1);
                if (Double.isFinite(m) && m > 0) {
                    x.add((double) i + 1);
                    y.add(m);
                }
            }
            if (!x.isEmpty()) {
                curves.addSeries(c.name(), x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        if (!curves.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(curves, dir.resolve("loss_curves").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
        figure4Plots(dir, res);
    }

    /** Figure 4's PNGs from the CSV of the FL γ = 2 run at its chosen learning rate, seed 1. */
    static void figure4Plots(Path dir, Results res) throws IOException {
        Double rate = res.lr.get("FL");
        if (rate == null) {
            return;
        }
        Path csv = dir.resolve("figure4").resolve("lr" + RetinaNetExperiment.fmt(rate) + ".csv");
        if (!Files.exists(csv)) {
            return;
        }
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        String[] header = lines.get(1).split(",");
        int columns = header.length - 1;
        double[] x = new double[lines.size() - 2];
        double[][] ys = new double[columns][x.length];
        for (int i = 2; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            x[i - 2] = Double.parseDouble(f[0]);
            for (int k = 0; k < columns; k++) {
                ys[k][i - 2] = Double.parseDouble(f[k + 1]);
            }
        }
        int g = columns / 2;
        String[] names = new String[g];
        double[][] pos = new double[g][];
        double[][] neg = new double[g][];
        for (int k = 0; k < g; k++) {
            names[k] = header[k + 1].replace("\"", "").replace("positive ", "");
            pos[k] = ys[k];
            neg[k] = ys[g + k];
        }
        // "FL γ=2 … lr 0.005; 7,385 positive and 3,456,095 negative entries …" (written below): the run in the
        // title, each count under its axis (one line of 720 px holds about 60 characters)
        String[] source = lines.get(0).substring(2).split("; ", 2);
        Matcher counts = COUNTS.matcher(source.length > 1 ? source[1] : "");
        boolean found = counts.find();
        String positives = found ? "the " + counts.group(1) + " " : "";
        String negatives = found ? "the " + counts.group(2) + " " : "";
        PaperFigures.writePng(dir.resolve("figure4_positive"), "Figure 4, positives: " + source[0],
                "fraction of " + positives + "foreground entries", "cumulative normalised loss", x, names, pos, 0, 1,
                Styler.LegendPosition.InsideNW);
        PaperFigures.writePng(dir.resolve("figure4_negative"), "Figure 4, negatives: " + source[0],
                "fraction of " + negatives + "background entries", "cumulative normalised loss", x, names, neg, 0, 1,
                Styler.LegendPosition.InsideNW);
    }

    /**
     * The data of Figure 4 ({@link LossCdf}): the trained network's logits on every non-ignored anchor-class entry of
     * the test canvases, split into positives and negatives; for each γ of {@link LossCdf#GAMMAS}, the cumulative
     * share of the loss carried by the smallest fraction f of the entries. First line: a "# " comment naming the source.
     */
    static void writeFigure4Data(Path csv, RetinaNet retinaNet, ComputationGraph net, DetectionImages test, long seed,
                                 double lr) throws IOException {
        int k = retinaNet.classes();
        java.util.stream.DoubleStream.Builder pos = java.util.stream.DoubleStream.builder();
        java.util.stream.DoubleStream.Builder neg = java.util.stream.DoubleStream.builder();
        forEachAnchor(retinaNet, net, test, (label, x, base, m) -> {
            for (int cls = 0; cls < k; cls++) {
                (label == cls ? pos : neg).add(x[(int) (base + cls * m)]);
            }
        });
        double[] positives = pos.build().toArray();
        double[] negatives = neg.build().toArray();
        double[] fractions = PaperCurves.grid(0, 1, 201);
        String[] columns = new String[2 * LossCdf.GAMMAS.length];
        double[][] ys = LossCdf.figure4(positives, negatives, fractions, columns);
        Files.createDirectories(csv.getParent());
        PaperFigures.writeCsv(csv, String.format(Locale.ROOT, "FL γ=2 α=0.25 detector, seed %d, lr %s; %,d positive and "
                + "%,d negative entries of the test canvases", seed, RetinaNetExperiment.fmt(lr), positives.length, negatives.length),
                "fraction", fractions, columns, ys);
    }

    /**
     * The trained network's top class score (the largest sigmoid over the K classes) on every background anchor of
     * the test canvases, and its score of the true class on every positive anchor: count, median, 90th, 99th and
     * 99.9th percentiles (nearest rank) and the maximum (background) or minimum (positives).
     */
    static Map<String, Object> anchorScores(RetinaNet retinaNet, ComputationGraph net, DetectionImages test) {
        int k = retinaNet.classes();
        java.util.stream.DoubleStream.Builder background = java.util.stream.DoubleStream.builder();
        java.util.stream.DoubleStream.Builder positive = java.util.stream.DoubleStream.builder();
        forEachAnchor(retinaNet, net, test, (label, x, base, m) -> {
            if (label == k) {
                double top = Double.NEGATIVE_INFINITY;
                for (int cls = 0; cls < k; cls++) {
                    top = Math.max(top, x[(int) (base + cls * m)]);
                }
                background.add(sigmoid(top));
            } else {
                positive.add(sigmoid(x[(int) (base + label * m)]));
            }
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("background_top_score", percentiles(background.build().toArray(), true));
        out.put("positive_true_class_score", percentiles(positive.build().toArray(), false));
        return out;
    }

    /** What {@link #forEachAnchor} hands over for one anchor. */
    interface AnchorVisitor {
        /**
         * @param label  its class index (K: background)
         * @param logits its batch's class logits, row-major [N, A·K, M]
         * @param base   the index of its class-0 logit there
         * @param m      the stride between its classes' logits (M)
         */
        void visit(int label, double[] logits, long base, long m);
    }

    /** Visits every anchor of {@code images} that is not ignored, with the network's class logits (batches of 50). */
    static void forEachAnchor(RetinaNet retinaNet, ComputationGraph net, DetectionImages images, AnchorVisitor visitor) {
        int k = retinaNet.classes();
        int a = retinaNet.pyramid().anchorsPerLocation();
        MultiDataSetIterator it = images.iterator(retinaNet.targets(), 50);
        while (it.hasNext()) {
            MultiDataSet batch = it.next();
            INDArray logits = net.feedForward(batch.getFeatures(0), false).get("cls_head").castTo(DataType.DOUBLE).dup('c');
            int[] y = batch.getLabels(0).castTo(DataType.INT32).dup('c').data().asInt();
            double[] x = logits.data().asDouble();
            long n = logits.size(0);
            long m = logits.size(2);
            for (int img = 0; img < n; img++) {
                for (int anchor = 0; anchor < a; anchor++) {
                    for (int loc = 0; loc < m; loc++) {
                        int label = y[(int) ((img * a + anchor) * m + loc)];
                        if (label >= 0) {                                        // not an ignored anchor
                            visitor.visit(label, x, (img * (long) a * k + (long) anchor * k) * m + loc, m);
                        }
                    }
                }
            }
        }
    }

    private static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    private static Map<String, Object> percentiles(double[] v, boolean withMax) {
        java.util.Arrays.sort(v);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("anchors", v.length);
        if (v.length == 0) {
            return m;
        }
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            int rank = (int) Math.ceil(q * v.length);                               // nearest rank, 1-based
            m.put("p" + RetinaNetExperiment.fmt(100 * q), v[Math.max(0, rank - 1)]);
        }
        m.put(withMax ? "max" : "min", withMax ? v[v.length - 1] : v[0]);
        return m;
    }
}
