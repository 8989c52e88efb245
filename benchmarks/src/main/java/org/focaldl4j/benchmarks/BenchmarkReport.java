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
    static final String JDK25_SUFFIX = " [JDK 25]";
    static final String PIPELINE = "pipeline, ";
    private String jdk25Version;

    public static void main(String[] args) throws Exception {
        Path docs = Paths.get(args.length > 0 ? args[0] : "docs").toAbsolutePath().normalize();
        new BenchmarkReport().run(docs);
    }

    void run(Path docs) throws Exception {
        long start = System.nanoTime();
        Path jdk25 = jdk25();                                   // a bad -Djdk25.home fails here, not after an hour
        String[] sizes = quick ? new String[] {"100000", "8000000"}
                : java.util.Arrays.stream(SIZES).mapToObj(Long::toString).toArray(String[]::new);
        // FLOAT inside a workspace (as fit() runs the loss), every size.
        jmh(sizes, "FLOAT", "true", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT, ASSIGN}, VECTOR, null, null);
        // Outside a workspace, and DOUBLE.
        jmh(new String[] {"1000000", "8000000"}, "FLOAT", "false", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT}, VECTOR, null, null);
        jmh(new String[] {"8000000"}, "DOUBLE", "true", new String[] {FOCAL_FUSED, FOCAL_OPS, XENT}, VECTOR, null, null);
        // The variants against their DL4J counterparts.
        jmh(new String[] {"8000000"}, "FLOAT", "true", new String[] {STAR, STAR_OPS, CATEGORICAL, CATEGORICAL_OPS, MCXENT},
                VECTOR, null, null);
        // The SameDiff drop-in next to LossFocal.
        jmh(new String[] {"1000000", "8000000"}, "FLOAT", "true", new String[] {SAMEDIFF}, VECTOR, null, null);
        // The fused path without the Vector API module: the scalar fallback.
        jmh(new String[] {"8000000"}, "FLOAT", "true", new String[] {FOCAL_FUSED}, null, " (scalar fallback)", null);
        fitStep();
        lossLayers(null);
        // The headline kernels and the loss layers again on JDK 25 (both JDKs in the same run).
        if (jdk25 == null) {
            notes.add("JDK 25 was not measured: no JDK 25 found (set -Djdk25.home or install one under /usr/lib/jvm).");
        } else {
            jdk25Version = javaVersion(jdk25);
            jmh(new String[] {"8000000"}, "FLOAT", "true", new String[] {FOCAL_FUSED, XENT, STAR, CATEGORICAL, MCXENT},
                    VECTOR, JDK25_SUFFIX, jdk25);
            lossLayers(jdk25);
        }
        torch(sizes);
        pipeline();
        torchPipeline();
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

    /** LossBenchmark over the given points; rows named impl + suffix; forked on {@code java} (JDK home) if not null. */
    private void jmh(String[] sizes, String dtype, String workspace, String[] impls, String extraJvmArg,
                     String suffix, Path java) throws RunnerException {
        ChainedOptionsBuilder o = options().include(LossBenchmark.class.getName() + ".gradientAndScore")
                .param("elements", sizes).param("dtype", dtype).param("workspace", workspace).param("impl", impls);
        if (java != null) {
            o.jvm(java.resolve("bin/java").toString());
        }
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
        runNetworkBenchmark(o, "fit step, ", "loss", true, "");
    }

    /** {@link PipelineBenchmark}: the detection toolkit's own steps, rows "pipeline, " + step. */
    private void pipeline() throws RunnerException {
        ChainedOptionsBuilder o = options().include(PipelineBenchmark.class.getName() + ".run");
        o.jvmArgs(MEMORY_FLAGS.split(" "));
        for (RunResult r : new Runner(o.build()).run()) {
            rows.add(new Row(PIPELINE + r.getParams().getParam("step"), "FLOAT", 0, false,
                    r.getPrimaryResult().getStatistics().getPercentile(50.0), r.getPrimaryResult().getStatistics().getN()));
        }
    }

    /** torch_pipeline_bench.py: torchvision's counterparts of {@link PipelineBenchmark}'s steps. */
    private void torchPipeline() throws IOException, InterruptedException {
        for (JsonNode n : python("torch_pipeline_bench.py", quick ? "10" : "50")) {
            rows.add(new Row(PIPELINE + n.get("impl").asText(), "FLOAT", 0, false, n.get("median_ms").asDouble(),
                    n.get("samples").asLong()));
        }
    }

    /** {@link LossLayerBenchmark}: each loss layer alone on the same head output, on JDK {@code java} if not null. */
    private void lossLayers(Path java) throws RunnerException {
        ChainedOptionsBuilder o = options().include(LossLayerBenchmark.class.getName() + ".gradientAndScore");
        if (java != null) {
            o.jvm(java.resolve("bin/java").toString());
        }
        runNetworkBenchmark(o, "loss layer, ", "layer", false, java == null ? "" : JDK25_SUFFIX);
    }

    /** A JDK 25 home: -Djdk25.home, else the first /usr/lib/jvm/*25* with bin/java; null if none. */
    static Path jdk25() throws IOException {
        String given = System.getProperty("jdk25.home");
        if (given != null) {
            Path home = Paths.get(given);
            if (!Files.isExecutable(home.resolve("bin/java"))) {
                throw new IllegalArgumentException("-Djdk25.home=" + given + " has no bin/java");
            }
            return home;
        }
        Path jvms = Paths.get("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return null;
        }
        try (java.util.stream.Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(h -> h.getFileName().toString().matches(".*-25([.-].*)?")
                    && Files.isExecutable(h.resolve("bin/java"))).sorted().findFirst().orElse(null);
        }
    }

    /** The version line of {@code home}'s java, e.g. "25.0.3". */
    private static String javaVersion(Path home) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(home.resolve("bin/java").toString(), "-XshowSettings:properties", "-version")
                .redirectErrorStream(true).start();
        String version = "25";
        String vm = "";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                line = line.trim();
                if (line.startsWith("java.version =")) {
                    version = line.substring(line.indexOf('=') + 1).trim();
                } else if (line.startsWith("java.vm.name =")) {
                    vm = line.substring(line.indexOf('=') + 1).trim();
                }
            }
        }
        p.waitFor();
        return (vm + " " + version).trim() + " (" + home + ")";
    }

    /**
     * Runs a benchmark of the 921,600-logit anchor head (Vector API on) and records one row per value of its
     * parameter {@code param}, named {@code prefix} + that value.
     */
    private void runNetworkBenchmark(ChainedOptionsBuilder o, String prefix, String param, boolean workspace,
                                     String suffix) throws RunnerException {
        List<String> jvm = new ArrayList<>(List.of(MEMORY_FLAGS.split(" ")));
        jvm.add(VECTOR);
        o.jvmArgs(jvm.toArray(new String[0]));
        for (RunResult r : new Runner(o.build()).run()) {
            rows.add(new Row(prefix + r.getParams().getParam(param) + suffix, "FLOAT", 921_600, workspace,
                    r.getPrimaryResult().getStatistics().getPercentile(50.0), r.getPrimaryResult().getStatistics().getN()));
        }
    }

    private void torch(String[] sizes) throws IOException, InterruptedException {
        for (JsonNode n : python("torch_focal_bench.py", String.join(",", sizes), quick ? "5" : "15")) {
            String dtype = n.get("dtype").asText().equals("float32") ? "FLOAT" : "DOUBLE";
            rows.add(new Row(n.get("impl").asText(), dtype, n.get("elements").asLong(), false,
                    n.get("median_ms").asDouble(), n.get("samples").asLong()));
        }
    }

    /** Runs src/main/python/{@code script} with /usr/bin/python3; its JSON lines, or none (with a note) if it cannot. */
    private List<JsonNode> python(String script, String... args) throws IOException, InterruptedException {
        Path file = Paths.get("src/main/python", script).toAbsolutePath();
        List<JsonNode> out = new ArrayList<>();
        if (!Files.isExecutable(Paths.get("/usr/bin/python3")) || !Files.exists(file)) {
            notes.add("torchvision was not measured by " + script + ": /usr/bin/python3 or " + file + " is missing.");
            return out;
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", file.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "33554432");
        pb.environment().put("MALLOC_TRIM_THRESHOLD_", "17179869184");
        Process p = pb.start();
        ObjectMapper json = new ObjectMapper();
        List<String> other = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("{")) {
                    out.add(json.readTree(line));
                    System.out.println(line);
                } else {
                    other.add(line);
                }
            }
        }
        if (p.waitFor() != 0) {
            notes.add(script + " failed (exit " + p.exitValue() + "): " + String.join(" / ", other));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // Report
    // ------------------------------------------------------------------------------------------

    private Double median(String impl, String dtype, long elements, boolean workspace) {
        return rows.stream().filter(r -> r.impl.equals(impl) && r.dtype.equals(dtype) && r.elements == elements
                && r.workspace == workspace).map(Row::medianMs).findFirst().orElse(null);
    }

    /** One headline row: a ÷ b on the default JDK and on JDK 25 (b's JDK 25 median if b25, else b's). */
    private void headline(StringBuilder md, String what, String goal, String a, String b, boolean on25, boolean b25) {
        long n = HEADLINE;
        boolean bTorch = b.startsWith("torch");
        md.append("| ").append(what).append(" | ").append(goal).append(" | ")
                .append(ratio(median(a, "FLOAT", n, true), median(b, "FLOAT", n, !bTorch))).append(" | ")
                .append(on25 ? ratio(median(a + JDK25_SUFFIX, "FLOAT", n, true),
                        b25 ? median(b + JDK25_SUFFIX, "FLOAT", n, true) : median(b, "FLOAT", n, !bTorch)) : "–")
                .append(" |\n");
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
        Double fitFocal = median("fit step, LossFocal", "FLOAT", 921_600, true);
        Double fitXent = median("fit step, LossBinaryXENT", "FLOAT", 921_600, true);
        Double layerXent = median("loss layer, " + LossLayerBenchmark.CNN_XENT, "FLOAT", 921_600, false);

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

        String v17 = "JDK " + Runtime.version().feature();
        md.append("## Headline ratios (FLOAT, 8M logits, medians measured in this run)\n\n| ratio | goal | ").append(v17)
                .append(" | JDK 25 |\n|---|---|---:|---:|\n");
        headline(md, "`LossFocal` (fused) ÷ `LossBinaryXENT`, both in a workspace", "≤ 0.15", FOCAL_FUSED, XENT, true, true);
        headline(md, "`LossFocal` (fused) ÷ torchvision `sigmoid_focal_loss` fwd+bwd", "≤ 0.2", FOCAL_FUSED, torchFocal, true,
                false);
        headline(md, "`LossFocal` (fused) ÷ one `assign` copy of the logits", "", FOCAL_FUSED, ASSIGN, false, true);
        headline(md, "`LossFocal` op path (what CUDA runs) ÷ `LossBinaryXENT`", "", FOCAL_OPS, XENT, false, true);
        headline(md, "`LossFocalStar` (fused) ÷ `LossBinaryXENT`", "≤ 0.5", STAR, XENT, true, true);
        headline(md, "`LossFocalStar` op path ÷ `LossBinaryXENT`", "", STAR_OPS, XENT, false, true);
        headline(md, "`LossCategoricalFocal` (fused) ÷ `LossMCXENT`", "≤ 0.5", CATEGORICAL, MCXENT, true, true);
        headline(md, "`LossCategoricalFocal` op path ÷ `LossMCXENT`", "", CATEGORICAL_OPS, MCXENT, false, true);
        headline(md, "`SameDiffFocalLoss` (graph) ÷ `LossFocal` (fused)", "", SAMEDIFF, FOCAL_FUSED, false, true);
        headline(md, "`SameDiffFocalLoss` (graph) ÷ `LossFocal` op path", "≤ 3", SAMEDIFF, FOCAL_OPS, false, true);
        headline(md, "`SameDiffFocalLoss` (graph) ÷ `LossBinaryXENT`", "", SAMEDIFF, XENT, false, true);
        md.append("| one `fit()` step of a small dense anchor head, focal ÷ BCE | | ").append(ratio(fitFocal, fitXent))
                .append(" | – |\n");
        String layer = "loss layer, ";
        for (String[] l : new String[][] {{LossLayerBenchmark.ANCHOR, "one-hot labels"},
                {LossLayerBenchmark.ANCHOR_INTEGER, "integer labels"}}) {
            md.append("| `AnchorLossLayer` (").append(l[1]).append(") ÷ `CnnLossLayer` + `LossBinaryXENT`, layer alone | < 1 | ")
                    .append(ratio(median(layer + l[0], "FLOAT", 921_600, false), layerXent)).append(" | ")
                    .append(ratio(median(layer + l[0] + JDK25_SUFFIX, "FLOAT", 921_600, false),
                            median(layer + LossLayerBenchmark.CNN_XENT + JDK25_SUFFIX, "FLOAT", 921_600, false)))
                    .append(" |\n");
        }
        md.append("\n").append(v17).append(": ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append(". JDK 25: ")
                .append(jdk25Version == null ? "not measured" : jdk25Version)
                .append(". Each JDK's ratios are of medians measured on that JDK, in this run; torchvision's is the same number ")
                .append("for both.\n\n");
        md.append("Memory: without weights and masks the fused pass allocates the gradient and the [rows, 1] score array ")
                .append("and nothing else off-heap (asserted in `FusedPathTest`); a per-example mask adds two [rows, 1] copies, ")
                .append("weights a [1, nOut] copy.\n\n");

        md.append("## The detection toolkit's own steps against torchvision (`PipelineBenchmark`, same inputs)\n\n")
                .append("| step | this library (ms) | torchvision counterpart | torchvision (ms) | ratio (goal ≤ 2) |\n")
                .append("|---|---:|---|---:|---:|\n");
        String[][] steps = {{PipelineBenchmark.MATCH, "torchvision box_iou + Matcher"},
            {PipelineBenchmark.ENCODE, "torchvision BoxCoder.encode_single"},
            {PipelineBenchmark.DECODE, "torchvision BoxCoder.decode_single"},
            {PipelineBenchmark.NMS, "torchvision batched_nms"}, {PipelineBenchmark.COCO, null}};
        for (String[] st : steps) {
            Double ours = median(PIPELINE + st[0], "FLOAT", 0, false);
            Double theirs = st[1] == null ? null : median(PIPELINE + st[1], "FLOAT", 0, false);
            md.append("| `").append(st[0]).append("` | ").append(ms(ours)).append(" | ")
                    .append(st[1] == null ? "none here (pycocotools is not packaged for this machine)" : st[1].substring(12))
                    .append(" | ").append(ms(theirs)).append(" | ").append(ratio(ours, theirs)).append(" |\n");
        }
        md.append("\nInputs (`PipelineBenchmark`, `torch_pipeline_bench.py`): the 12,096 anchors of a 256×256 image (strides 8, 16, ")
                .append("32; 9 per location) and 8 boxes; box coding of every anchor ([12,096, 4], FLOAT here, float32 there); ")
                .append("1,000 scored boxes of 10 classes, NMS at IoU 0.5 keeping 100; COCO evaluation of 200 images × 5 boxes ")
                .append("and 50 detections each. Matching here is in double, one image per call, as the iterator runs it.\n\n");
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
            md.append("| ").append(r.impl).append(" | ").append(r.dtype).append(" | ")
                    .append(r.elements == 0 ? "–" : String.format(Locale.ROOT, "%,d", r.elements))
                    .append(" | ").append(r.impl.startsWith("torch") || r.impl.startsWith(PIPELINE) ? "n/a" : r.workspace ? "yes" : "no")
                    .append(" | ")
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
