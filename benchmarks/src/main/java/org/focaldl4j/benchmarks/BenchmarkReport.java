package org.focaldl4j.benchmarks;

import static org.focaldl4j.benchmarks.LossBenchmark.ASSIGN;
import static org.focaldl4j.benchmarks.LossBenchmark.CATEGORICAL;
import static org.focaldl4j.benchmarks.LossBenchmark.CATEGORICAL_OPS;
import static org.focaldl4j.benchmarks.LossBenchmark.FOCAL_FUSED;
import static org.focaldl4j.benchmarks.LossBenchmark.FOCAL_OPS;
import static org.focaldl4j.benchmarks.LossBenchmark.MCXENT;
import static org.focaldl4j.benchmarks.LossBenchmark.SAMEDIFF;
import static org.focaldl4j.benchmarks.LossBenchmark.STAR;
import static org.focaldl4j.benchmarks.LossBenchmark.STAR_OPS;
import static org.focaldl4j.benchmarks.LossBenchmark.XENT;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the side-by-side benchmarks and writes {@code docs/benchmarks.md} and
 * {@code docs/figures/benchmark_time_vs_size.png}: JMH (SampleTime, medians) for the Java losses,
 * {@code torch_focal_bench.py} through {@code /usr/bin/python3} for torchvision, in the same run.
 *
 * <p>From the repository root:
 * {@code mvn -B -q -pl benchmarks -am install -DskipTests && mvn -B -q -pl benchmarks exec:exec}
 * ({@code -Dquick=true} for a short smoke run).
 */
public final class BenchmarkReport {

    static final long[] SIZES = {10_000, 100_000, 1_000_000, 8_000_000, 32_000_000};
    static final long HEADLINE = 8_000_000;
    static final String MEMORY_FLAGS = "-Xmx2g -Dorg.bytedeco.javacpp.maxbytes=8G -Dorg.bytedeco.javacpp.maxphysicalbytes=14G";
    static final String VECTOR = "--add-modules=jdk.incubator.vector";

    /** One measured median. */
    record Row(String impl, String dtype, long elements, boolean workspace, double medianMs, long samples) {
    }

    private final boolean quick = Boolean.getBoolean("quick");
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path docs = Paths.get(args.length > 0 ? args[0] : "docs").toAbsolutePath().normalize();
        new BenchmarkReport().run(docs);
    }

    void run(Path docs) throws Exception {
        long start = System.nanoTime();
        String[] sizes = quick ? new String[] {"100000", "8000000"}
                : java.util.Arrays.stream(SIZES).mapToObj(Long::toString).toArray(String[]::new);
        // FLOAT inside a workspace (as fit() runs the loss), every size.
        jmh(sizes, "FLOAT", "true", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT, ASSIGN}, VECTOR, null);
        // Outside a workspace, and DOUBLE.
        jmh(new String[] {"1000000", "8000000"}, "FLOAT", "false", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT}, VECTOR, null);
        jmh(new String[] {"8000000"}, "DOUBLE", "true", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT}, VECTOR, null);
        // The variants against their DL4J counterparts.
        jmh(new String[] {"8000000"}, "FLOAT", "true", new String[] {STAR, STAR_OPS, CATEGORICAL, CATEGORICAL_OPS, MCXENT},
                VECTOR, null);
        // The SameDiff drop-in (issue 5) next to LossFocal.
        jmh(new String[] {"1000000", "8000000"}, "FLOAT", "true", new String[] {SAMEDIFF}, VECTOR, null);
        // The fused path without the Vector API module: the scalar fallback.
        jmh(new String[] {"8000000"}, "FLOAT", "true", new String[] {FOCAL_FUSED}, null, " (scalar fallback)");
        fitStep();
        lossLayers();
        torch(sizes);
        double minutes = (System.nanoTime() - start) / 6e10;
        write(docs, minutes);
    }

    private ChainedOptionsBuilder options() {
        return new OptionsBuilder()
                .warmupIterations(quick ? 1 : 3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 5).measurementTime(TimeValue.seconds(1))
                .forks(1).shouldFailOnError(true)
                .output(new File("target/jmh-" + System.nanoTime() + ".log").getAbsolutePath());
    }

    private void jmh(String[] sizes, String dtype, String workspace, String[] impls, String extraJvmArg,
                     String suffix) throws RunnerException {
        ChainedOptionsBuilder o = options().include(LossBenchmark.class.getName() + ".gradientAndScore")
                .param("elements", sizes).param("dtype", dtype).param("workspace", workspace).param("impl", impls);
        List<String> jvm = new ArrayList<>(List.of(MEMORY_FLAGS.split(" ")));
        if (extraJvmArg != null) {
            jvm.add(extraJvmArg);
        }
        o.jvmArgs(jvm.toArray(new String[0]));
        for (RunResult r : new Runner(o.build()).run()) {
            String impl = r.getParams().getParam("impl") + (suffix == null ? "" : suffix);
            rows.add(new Row(impl, r.getParams().getParam("dtype"), Long.parseLong(r.getParams().getParam("elements")),
                    Boolean.parseBoolean(r.getParams().getParam("workspace")),
                    r.getPrimaryResult().getStatistics().getPercentile(50.0), r.getPrimaryResult().getStatistics().getN()));
            System.out.printf(Locale.ROOT, "%s %s %s ws=%s: median %.2f ms%n", impl, r.getParams().getParam("dtype"),
                    r.getParams().getParam("elements"), r.getParams().getParam("workspace"),
                    r.getPrimaryResult().getStatistics().getPercentile(50.0));
        }
    }

    private void fitStep() throws RunnerException {
        // A fit step is ~0.4 s: give the JIT (which must compile the Vector API kernel) more warm-up calls.
        ChainedOptionsBuilder o = options().include(FitStepBenchmark.class.getName() + ".fitStep")
                .warmupIterations(quick ? 1 : 8).warmupTime(TimeValue.seconds(2))
                .measurementIterations(quick ? 2 : 8).measurementTime(TimeValue.seconds(2));
        runNetworkBenchmark(o, "fit step, ", "loss", true);
    }

    /** {@link LossLayerBenchmark}: each loss layer alone on the same head output. */
    private void lossLayers() throws RunnerException {
        runNetworkBenchmark(options().include(LossLayerBenchmark.class.getName() + ".gradientAndScore"), "loss layer, ",
                "layer", false);
    }

    /**
     * Runs a benchmark of the 921,600-logit anchor head (Vector API on) and records one row per value of its
     * parameter {@code param}, named {@code prefix} + that value.
     */
    private void runNetworkBenchmark(ChainedOptionsBuilder o, String prefix, String param, boolean workspace)
            throws RunnerException {
        List<String> jvm = new ArrayList<>(List.of(MEMORY_FLAGS.split(" ")));
        jvm.add(VECTOR);
        o.jvmArgs(jvm.toArray(new String[0]));
        for (RunResult r : new Runner(o.build()).run()) {
            rows.add(new Row(prefix + r.getParams().getParam(param), "FLOAT", 921_600, workspace,
                    r.getPrimaryResult().getStatistics().getPercentile(50.0), r.getPrimaryResult().getStatistics().getN()));
        }
    }

    private void torch(String[] sizes) throws IOException, InterruptedException {
        Path script = Paths.get("src/main/python/torch_focal_bench.py").toAbsolutePath();
        if (!Files.isExecutable(Paths.get("/usr/bin/python3")) || !Files.exists(script)) {
            notes.add("torchvision was not measured: /usr/bin/python3 or " + script + " is missing.");
            return;
        }
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.toString(), String.join(",", sizes),
                quick ? "5" : "15").redirectErrorStream(true);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "33554432");
        pb.environment().put("MALLOC_TRIM_THRESHOLD_", "17179869184");
        Process p = pb.start();
        ObjectMapper json = new ObjectMapper();
        List<String> other = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("{")) {
                    JsonNode n = json.readTree(line);
                    String dtype = n.get("dtype").asText().equals("float32") ? "FLOAT" : "DOUBLE";
                    rows.add(new Row(n.get("impl").asText(), dtype, n.get("elements").asLong(), false,
                            n.get("median_ms").asDouble(), n.get("samples").asLong()));
                    System.out.println(line);
                } else {
                    other.add(line);
                }
            }
        }
        if (p.waitFor() != 0) {
            notes.add("torchvision run failed (exit " + p.exitValue() + "): " + String.join(" / ", other));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Report
    // ------------------------------------------------------------------------------------------

    private Double median(String impl, String dtype, long elements, boolean workspace) {
        return rows.stream().filter(r -> r.impl.equals(impl) && r.dtype.equals(dtype) && r.elements == elements
                && r.workspace == workspace).map(Row::medianMs).findFirst().orElse(null);
    }

    private static String ms(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, v < 0.1 ? "%.4f" : v < 10 ? "%.2f" : "%.1f", v);
    }

    private static String ratio(Double a, Double b) {
        return a == null || b == null ? "–" : String.format(Locale.ROOT, "%.3f", a / b);
    }

    void write(Path docs, double minutes) throws IOException {
        Files.createDirectories(docs.resolve("figures"));
        String torchFocal = "torchvision sigmoid_focal_loss";
        Double fused = median(FOCAL_FUSED, "FLOAT", HEADLINE, true);
        Double ops = median(FOCAL_OPS, "FLOAT", HEADLINE, true);
        Double xent = median(XENT, "FLOAT", HEADLINE, true);
        Double assign = median(ASSIGN, "FLOAT", HEADLINE, true);
        Double tv = median(torchFocal, "FLOAT", HEADLINE, false);
        Double fitFocal = median("fit step, LossFocal", "FLOAT", 921_600, true);
        Double fitXent = median("fit step, LossBinaryXENT", "FLOAT", 921_600, true);
        Double layerXent = median("loss layer, " + LossLayerBenchmark.CNN_XENT, "FLOAT", 921_600, false);
        Double layerAnchor = median("loss layer, " + LossLayerBenchmark.ANCHOR, "FLOAT", 921_600, false);
        Double layerInteger = median("loss layer, " + LossLayerBenchmark.ANCHOR_INTEGER, "FLOAT", 921_600, false);
        Double star = median(STAR, "FLOAT", HEADLINE, true);
        Double cat = median(CATEGORICAL, "FLOAT", HEADLINE, true);
        Double starOps = median(STAR_OPS, "FLOAT", HEADLINE, true);
        Double catOps = median(CATEGORICAL_OPS, "FLOAT", HEADLINE, true);
        Double mcxent = median(MCXENT, "FLOAT", HEADLINE, true);
        Double sameDiff = median(SAMEDIFF, "FLOAT", HEADLINE, true);

        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Generated by `BenchmarkReport` on ").append(LocalDate.now()).append(" in ")
                .append(String.format(Locale.ROOT, "%.0f", minutes)).append(" minutes").append(quick ? " (quick mode: few iterations)" : "")
                .append(". Regenerate from the repository root with\n\n```bash\n")
                .append("mvn -B -q -pl benchmarks -am install -DskipTests && mvn -B -q -pl benchmarks exec:exec\n```\n\n");
        md.append("Machine: ").append(machine()).append(". Java: ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append(", DL4J/ND4J 1.0.0-M2.1 (nd4j-native, CPU). ")
                .append("JMH 1.37, SampleTime, one fork per point, ").append(quick ? "1 + 2" : "3 + 5")
                .append(" one-second warm-up + measurement iterations; figures are **medians** of the sampled calls. ")
                .append("torch: Debian's python3-torch via `/usr/bin/python3`, `torch.set_num_threads(2)`, glibc's ")
                .append("`MALLOC_MMAP_THRESHOLD_`/`MALLOC_TRIM_THRESHOLD_` set, median of repeated calls, measured in the same run. ")
                .append("This machine is shared: compare ratios within one run, not times across runs.\n\n");
        md.append("Work measured: one `computeGradientAndScore` (score and dL/dz, what a training step needs) on ")
                .append("[elements/80, 80] logits with 0.1 % positives, sigmoid activation (softmax for the categorical losses), ")
                .append("FLOAT, inside a workspace unless stated. torch: forward + backward of the summed loss.\n\n");

        md.append("## Headline ratios (FLOAT, 8M logits, medians measured in this run)\n\n| ratio | measured |\n|---|---:|\n");
        md.append("| `LossFocal` (fused) ÷ `LossBinaryXENT`, both in a workspace | ").append(ratio(fused, xent)).append(" |\n");
        md.append("| `LossFocal` (fused) ÷ torchvision `sigmoid_focal_loss` fwd+bwd | ").append(ratio(fused, tv)).append(" |\n");
        md.append("| `LossFocal` (fused) ÷ one `assign` copy of the logits | ").append(ratio(fused, assign)).append(" |\n");
        md.append("| `LossFocal` op path (what CUDA runs) ÷ `LossBinaryXENT` | ").append(ratio(ops, xent)).append(" |\n");
        md.append("| `LossFocalStar` (fused) ÷ `LossBinaryXENT` | ").append(ratio(star, xent)).append(" |\n");
        md.append("| `LossFocalStar` op path ÷ `LossBinaryXENT` | ").append(ratio(starOps, xent)).append(" |\n");
        md.append("| `LossCategoricalFocal` (fused) ÷ `LossMCXENT` | ").append(ratio(cat, mcxent)).append(" |\n");
        md.append("| `LossCategoricalFocal` op path ÷ `LossMCXENT` | ").append(ratio(catOps, mcxent)).append(" |\n");
        md.append("| `SameDiffFocalLoss` (graph) ÷ `LossFocal` (fused) | ").append(ratio(sameDiff, fused)).append(" |\n");
        md.append("| `SameDiffFocalLoss` (graph) ÷ `LossBinaryXENT` | ").append(ratio(sameDiff, xent)).append(" |\n");
        md.append("| one `fit()` step of a small dense anchor head, focal ÷ BCE | ").append(ratio(fitFocal, fitXent)).append(" |\n");
        md.append("| `AnchorLossLayer` (one-hot labels) ÷ `CnnLossLayer` + `LossBinaryXENT`, layer alone | ")
                .append(ratio(layerAnchor, layerXent)).append(" |\n");
        md.append("| `AnchorLossLayer` (integer labels) ÷ `CnnLossLayer` + `LossBinaryXENT`, layer alone | ")
                .append(ratio(layerInteger, layerXent)).append(" |\n\n");
        md.append("Memory: without weights and masks the fused pass allocates the gradient and the [rows, 1] score array ")
                .append("and nothing else off-heap (asserted in `FusedPathTest`); a per-example mask adds two [rows, 1] copies, ")
                .append("weights a [1, nOut] copy.\n\n");

        md.append("## Time against size (FLOAT, in a workspace; torch outside, as it has none)\n\n");
        List<String> impls = List.of(FOCAL_FUSED, FOCAL_OPS, XENT, ASSIGN, torchFocal, "torch BCE-with-logits");
        md.append("| elements |");
        impls.forEach(i -> md.append(' ').append(i).append(" (ms) |"));
        md.append(" fused ÷ XENT | fused ÷ torchvision |\n|---:|");
        impls.forEach(i -> md.append("---:|"));
        md.append("---:|---:|\n");
        for (long n : quick ? new long[] {100_000, 8_000_000} : SIZES) {
            md.append("| ").append(String.format(Locale.ROOT, "%,d", n)).append(" |");
            for (String i : impls) {
                md.append(' ').append(ms(median(i, "FLOAT", n, !i.startsWith("torch")))).append(" |");
            }
            md.append(' ').append(ratio(median(FOCAL_FUSED, "FLOAT", n, true), median(XENT, "FLOAT", n, true))).append(" |");
            md.append(' ').append(ratio(median(FOCAL_FUSED, "FLOAT", n, true), median(torchFocal, "FLOAT", n, false))).append(" |\n");
        }
        md.append("\n![time against size](figures/benchmark_time_vs_size.png)\n\n");

        md.append("## Every measured point\n\n| implementation | dtype | elements | workspace | median (ms) | samples |\n|---|---|---:|---|---:|---:|\n");
        for (Row r : rows) {
            md.append("| ").append(r.impl).append(" | ").append(r.dtype).append(" | ").append(String.format(Locale.ROOT, "%,d", r.elements))
                    .append(" | ").append(r.impl.startsWith("torch") ? "n/a" : r.workspace ? "yes" : "no").append(" | ")
                    .append(ms(r.medianMs)).append(" | ").append(r.samples).append(" |\n");
        }
        md.append("\nNotes:\n\n");
        md.append("- \"fused\" is `LossFocal` on the CPU with contiguous FLOAT/DOUBLE arrays: one pass, Vector API for FLOAT when the JVM ")
                .append("has `--add-modules jdk.incubator.vector` (all rows but the \"scalar fallback\" one), plain Java otherwise. ")
                .append("\"ops\" is the same loss forced onto backend-neutral ND4J ops (`LossFocal.builder().path(ExecutionPath.OPS)`), the path CUDA runs.\n");
        md.append("- `LossBinaryXENT`/`LossMCXENT` overwrite their input; the benchmark does not restore it between calls (the cost ")
                .append("per call does not depend on the values).\n");
        md.append("- The Vector API kernel runs at full speed once the JIT has compiled it: the first call in a JVM ")
                .append("takes about a second (measured: 0.93 s, then 40 ms, at 8M logits); every point here is after warm-up.\n");
        md.append("- The fit step (`FitStepBenchmark`, 8 + 8 two-second iterations): 8 images, 16×40×40 features, 3×3 conv to 32, 3×3 conv to A·K = 72 logit maps, ")
                .append("`CnnLossLayer` (12,800 rows × 72 = 921,600 logits), Adam.\n");
        md.append("- The loss layers (`LossLayerBenchmark`): a network whose only layer is the loss layer, one `computeGradientAndScore` ")
                .append("(forward, score, dL/d(head output)) on the same [8, 72, 40, 40] FLOAT head output with 0.1 % positives; ")
                .append("integer labels are [8, 9, 40, 40] class indices, expanded inside the layer. Outside a workspace of the caller's.\n");
        for (String note : notes) {
            md.append("- ").append(note).append('\n');
        }
        Files.writeString(docs.resolve("benchmarks.md"), md.toString());
        chart(docs.resolve("figures/benchmark_time_vs_size"), impls);
        System.out.println("wrote " + docs.resolve("benchmarks.md"));
    }

    private void chart(Path file, List<String> impls) throws IOException {
        XYChart chart = new XYChartBuilder().width(760).height(480)
                .title("computeGradientAndScore, FLOAT, 2 cores (median)").xAxisTitle("elements (logits)")
                .yAxisTitle("ms").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW).setChartBackgroundColor(java.awt.Color.WHITE);
        for (String impl : impls) {
            Map<Long, Double> points = new LinkedHashMap<>();
            for (Row r : rows) {
                if (r.impl.equals(impl) && r.dtype.equals("FLOAT") && (r.workspace || impl.startsWith("torch"))) {
                    points.putIfAbsent(r.elements, r.medianMs);
                }
            }
            if (points.size() < 2) {
                continue;
            }
            List<Long> xs = points.keySet().stream().sorted().collect(Collectors.toList());
            chart.addSeries(impl, xs.stream().mapToDouble(Long::doubleValue).toArray(),
                    xs.stream().mapToDouble(points::get).toArray());
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String machine() {
        String cpu = "unknown CPU";
        long memKb = 0;
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Paths.get("/proc/meminfo"))) {
                if (line.startsWith("MemTotal")) {
                    memKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave the defaults
        }
        return String.format(Locale.ROOT, "%d cores (%s), %.0f GiB RAM", Runtime.getRuntime().availableProcessors(), cpu,
                memKb / 1048576.0);
    }
}
