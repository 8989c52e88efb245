package org.focaldl4j.benchmarks.step;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionCanvases;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.FashionMnist;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The training step of the demo's detector under each setting tried for its speed, against PyTorch's step of
 * the same network ({@code benchmarks/src/main/python/torch_detector_step.py}) measured in the same run.
 * Every configuration runs in a fresh JVM (thread settings and the ND4J build are fixed when ND4J loads its
 * natives), {@code ROUNDS} times, interleaved with the PyTorch step once per round, so that drifts of this
 * shared machine fall on all of them; each cell is the median over rounds of a run's median step
 * ({@code REPS} {@code fit} calls after 10 warm-up calls, batch 16 of the demo's canvases and targets).
 * Prints a Markdown table (docs/performance.md quotes it).
 *
 * <p>Run, after {@code mvn -B -q -pl benchmarks -am install -DskipTests}: {@code mvn -B -q -pl benchmarks -Ponednn
 * exec:java@step -Dexec.mainClass=org.focaldl4j.benchmarks.step.StepSpeed [-Dexec.args="REPS ROUNDS"]} (defaults 30 and 3: about
 * 40 s per configuration and round, 25 minutes in all). The oneDNN rows need the {@code linux-x86_64-onednn} build
 * of {@code nd4j-native} on the class path ({@code -Ponednn}); the other rows run without it, on ND4J's default
 * build.
 * {@code -Dexec.args="profile CONFIG [REPS]"} prints where the step time of one configuration goes
 * ({@link StepProfile}).
 */
public final class StepSpeed {

    /** A configuration: a name, what it changes, and how a child JVM applies it. */
    enum Config {
        DEFAULTS("DL4J's defaults (the demo before its speed-up): OpenBLAS build, 2 threads, no layer cache", Engine.DL4J,
                false, CacheMode.NONE, WorkspaceMode.ENABLED, false),
        WORKSPACES_NONE("`WorkspaceMode.NONE` for training and inference", Engine.DL4J, false, CacheMode.NONE,
                WorkspaceMode.NONE, false),
        CACHE("`CacheMode.DEVICE` (conv layers keep im2col and pre-activations for backprop)", Engine.DL4J, false,
                CacheMode.DEVICE, WorkspaceMode.ENABLED, false),
        PASSIVE("cache + `OMP_WAIT_POLICY=PASSIVE`, `OPENBLAS_NUM_THREADS=1` (no spinning worker threads)", Engine.DL4J,
                false, CacheMode.DEVICE, WorkspaceMode.ENABLED, false, "OMP_WAIT_POLICY=PASSIVE",
                "OPENBLAS_NUM_THREADS=1"),
        ONE_THREAD_ENV("cache + `OMP_NUM_THREADS=1` (ND4J and OpenBLAS on one thread)", Engine.DL4J, false,
                CacheMode.DEVICE, WorkspaceMode.ENABLED, false, "OMP_NUM_THREADS=1"),
        ONE_THREAD("cache + one thread set through ND4J's API (`FashionDetector.oneNd4jThread`)", Engine.DL4J,
                false, CacheMode.DEVICE, WorkspaceMode.ENABLED, true),
        ONEDNN("ND4J's `linux-x86_64-onednn` build + cache, 2 threads", Engine.DL4J, true, CacheMode.DEVICE,
                WorkspaceMode.ENABLED, false),
        ONEDNN_ONE_THREAD("oneDNN build + cache + one thread (the demo's set-up before DL4J's oneDNN helpers)",
                Engine.DL4J, true, CacheMode.DEVICE, WorkspaceMode.ENABLED, true),
        ONEDNN_HELPERS("**oneDNN build + DL4J's oneDNN layer helpers (`focal-dl4j-onednn`) + cache + one thread**",
                Engine.DL4J, true, CacheMode.DEVICE, WorkspaceMode.ENABLED, true),
        ONEDNN_HELPERS_NO_CACHE("oneDNN build + DL4J's oneDNN layer helpers + one thread, no layer cache", Engine.DL4J,
                true, CacheMode.NONE, WorkspaceMode.ENABLED, true),
        SAMEDIFF("the same model as one SameDiff graph, `sd.fit` (OpenBLAS build, 2 threads)", Engine.SAMEDIFF, false,
                null, null, false),
        SAMEDIFF_ONEDNN("the same SameDiff graph, oneDNN build, 2 threads", Engine.SAMEDIFF, true, null, null, false),
        SAMEDIFF_ONEDNN_ONE_THREAD("the same SameDiff graph, oneDNN build, one thread", Engine.SAMEDIFF, true, null, null,
                true);

        final String description;
        final Engine engine;
        final boolean onednn;
        final CacheMode cache;
        final WorkspaceMode workspaces;
        final boolean oneThread;
        final String[] environment;

        Config(String description, Engine engine, boolean onednn, CacheMode cache, WorkspaceMode workspaces,
               boolean oneThread, String... environment) {
            this.description = description;
            this.oneThread = oneThread;
            this.engine = engine;
            this.onednn = onednn;
            this.cache = cache;
            this.workspaces = workspaces;
            this.environment = environment;
        }
    }

    enum Engine { DL4J, SAMEDIFF }

    private static final String ONEDNN_LIBRARY =
            "org/nd4j/linalg/cpu/nativecpu/bindings/linux-x86_64-onednn/libnd4jcpu.so";

    /** A child JVM that has not finished after this long is killed (a configuration takes about 40 s). */
    private static final long CHILD_TIMEOUT_MINUTES = 10;

    /** PyTorch's median step and its version. */
    private record TorchStep(double ms, String version) {
    }

    private StepSpeed() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && (args[0].equals("--child") || args[0].equals("--profile"))) {
            child(config(args[1]), reps(args[2]), args[0].equals("--profile"));
            return;
        }
        if (args.length >= 1 && args[0].equals("profile")) {
            if (args.length < 2 || args.length > 3) {
                throw new IllegalArgumentException("arguments: profile CONFIG [REPS], CONFIG one of "
                        + Arrays.toString(Config.values()) + "; got " + String.join(" ", args));
            }
            for (String line : runChild(config(args[1]), args.length > 2 ? reps(args[2]) : 30, true)) {
                if (line.startsWith("|") || line.isEmpty()) {
                    System.out.println(line);
                }
            }
            return;
        }
        if (args.length > 3) {
            throw new IllegalArgumentException("arguments: [REPS [ROUNDS [CONFIG,CONFIG...]]] or profile CONFIG [REPS]; got "
                    + String.join(" ", args));
        }
        List<Config> configs = new ArrayList<>();
        if (args.length > 2) {
            for (String name : args[2].split(",")) {
                Config c = config(name.trim());
                if (configs.contains(c)) {
                    throw new IllegalArgumentException("configuration " + c + " is named twice in " + args[2]);
                }
                configs.add(c);
            }
        } else {
            configs.addAll(Arrays.asList(Config.values()));
        }
        int reps = args.length > 0 ? reps(args[0]) : 30;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        if (rounds < 1) {
            throw new IllegalArgumentException("ROUNDS must be >= 1; got " + rounds);
        }
        boolean onednn = StepSpeed.class.getClassLoader().getResource(ONEDNN_LIBRARY) != null;
        if (args.length > 2 && !onednn) {
            for (Config c : configs) {
                if (c.onednn) {
                    throw new IllegalArgumentException("configuration " + c + " needs ND4J's oneDNN build on the class "
                            + "path (-Ponednn)");
                }
            }
        }
        Path torchScript = Paths.get("benchmarks/src/main/python/torch_detector_step.py");
        if (!Files.exists(torchScript)) {
            torchScript = Paths.get("../benchmarks/src/main/python/torch_detector_step.py");
        }
        String torchMissing = !Files.isExecutable(Paths.get("/usr/bin/python3")) || !Files.exists(torchScript)
                ? "/usr/bin/python3 or " + torchScript + " is missing" : null;
        FashionDetector.Settings s = new FashionDetector.Settings();
        Map<Config, List<Double>> dl4j = new LinkedHashMap<>();
        List<Double> pytorch = new ArrayList<>();
        List<Double> pytorchOneThread = new ArrayList<>();
        String torchVersion = "";
        for (int r = 0; r < rounds; r++) {
            if (torchMissing == null) {
                try {
                    TorchStep two = torchStep(torchScript, s, reps, 2);
                    TorchStep one = torchStep(torchScript, s, reps, 1);
                    pytorch.add(two.ms());
                    pytorchOneThread.add(one.ms());
                    torchVersion = two.version();
                    System.err.printf(Locale.ROOT, "round %d PyTorch %.1f ms (1 thread %.1f)%n", r + 1, two.ms(),
                            one.ms());
                } catch (IllegalStateException e) {
                    torchMissing = e.getMessage();
                    pytorch.clear();
                    pytorchOneThread.clear();
                }
            }
            for (Config c : configs) {
                if (c.onednn && !onednn) {
                    continue;
                }
                double ms = childStep(c, reps);
                dl4j.computeIfAbsent(c, k -> new ArrayList<>()).add(ms);
                System.err.printf(Locale.ROOT, "round %d %s %.1f ms%n", r + 1, c, ms);
            }
        }
        boolean torch = torchMissing == null;
        double torchMs = torch ? median(pytorch) : Double.NaN;
        System.out.printf(Locale.ROOT, "| configuration (batch %d, %d×%d; median of %d rounds of %d steps) | step, ms "
                + "| ÷ PyTorch step |%n", s.batch, canvasSize(), canvasSize(), rounds, reps);
        System.out.println("|---|---:|---:|");
        for (Map.Entry<Config, List<Double>> e : dl4j.entrySet()) {
            double ms = median(e.getValue());
            System.out.printf(Locale.ROOT, "| %s | %.0f %s | %s |%n", e.getKey().description, ms, spread(e.getValue()),
                    torch ? String.format(Locale.ROOT, "%.1f", ms / torchMs) : "–");
        }
        if (torch) {
            System.out.printf(Locale.ROOT, "| PyTorch %s, 2 threads (`torch_detector_step.py`) | %.0f %s | 1 |%n",
                    torchVersion, torchMs, spread(pytorch));
            System.out.printf(Locale.ROOT, "| PyTorch, 1 thread | %.0f %s | %.1f |%n", median(pytorchOneThread),
                    spread(pytorchOneThread), median(pytorchOneThread) / torchMs);
        } else {
            System.out.println("\nPyTorch was not measured: " + torchMissing);
        }
        if (!onednn) {
            System.out.println("\nThe oneDNN rows were not measured: " + ONEDNN_LIBRARY + " is not on the class path.");
        }
        System.out.printf(Locale.ROOT, "%nJava %s, %d cores (%s).%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), FashionDetector.cpu());
    }

    /** System property: the canvas side (default the demo's 64; the imbalance study's larger canvases are 128). */
    static final String SIZE_PROPERTY = "step.size";

    static int canvasSize() {
        String value = System.getProperty(SIZE_PROPERTY, Integer.toString(FashionDetector.SIZE));
        int size;
        try {
            size = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + SIZE_PROPERTY + " must be an integer; got \"" + value + "\"", e);
        }
        if (size < 64 || size % 16 != 0) {
            throw new IllegalArgumentException("-D" + SIZE_PROPERTY + " must be a multiple of 16, at least 64; got " + size);
        }
        return size;
    }

    private static Config config(String name) {
        try {
            return Config.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("no configuration \"" + name + "\"; they are "
                    + Arrays.toString(Config.values()), e);
        }
    }

    private static int reps(String value) {
        int reps = Integer.parseInt(value);
        if (reps < 5) {
            throw new IllegalArgumentException("REPS must be >= 5; got " + reps);
        }
        return reps;
    }

    /** Runs one configuration in a child JVM; its median step in ms. */
    private static double childStep(Config c, int reps) throws IOException, InterruptedException {
        for (String line : runChild(c, reps, false)) {
            if (line.startsWith("STEP_MS ")) {
                return Double.parseDouble(line.substring("STEP_MS ".length()).trim());
            }
        }
        throw new IllegalStateException("configuration " + c + " printed no step time");
    }

    /** Runs one configuration in a child JVM (and profiles it); its output lines. */
    private static List<String> runChild(Config c, int reps, boolean profile) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx4g");
        command.add("--add-modules=jdk.incubator.vector");                          // the losses' Vector API kernel
        command.add("-D" + SIZE_PROPERTY + "=" + canvasSize());
        if (c == Config.ONEDNN_HELPERS || c == Config.ONEDNN_HELPERS_NO_CACHE) {
            command.add("-D" + FashionDetector.DL4J_HELPERS_DISABLED + "=false");
        }
        command.addAll(List.of("-cp", classPath(c.onednn), StepSpeed.class.getName(), profile ? "--profile" : "--child",
                c.name(), Integer.toString(reps)));
        ProcessBuilder pb = new ProcessBuilder(command);
        // Thread settings come from the configuration alone, not from the caller's environment.
        pb.environment().keySet().removeIf(k -> k.startsWith("OMP_") || k.startsWith("OPENBLAS_")
                || k.startsWith("MKL_") || k.startsWith("DNNL_"));
        for (String kv : c.environment) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return run(pb, "configuration " + c);
    }

    /**
     * Runs {@code pb} (output and errors merged) for at most {@link #CHILD_TIMEOUT_MINUTES}; its output lines.
     * The process is destroyed whatever happens; a timeout or a non-zero exit throws with the output's tail.
     */
    private static List<String> run(ProcessBuilder pb, String what) throws IOException, InterruptedException {
        List<String> output = new ArrayList<>();
        Process p = pb.redirectErrorStream(true).start();
        try {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.add(line);
                }
            }
            boolean done = p.waitFor(CHILD_TIMEOUT_MINUTES, java.util.concurrent.TimeUnit.MINUTES);
            if (!done || p.exitValue() != 0) {
                throw new IllegalStateException(what + (done ? " failed (exit " + p.exitValue() + ")" : " did not finish in "
                        + CHILD_TIMEOUT_MINUTES + " minutes") + ":\n"
                        + String.join("\n", output.subList(Math.max(0, output.size() - 30), output.size())));
            }
        } finally {
            p.destroyForcibly();
        }
        return output;
    }

    /** PyTorch's median step with {@code threads} threads, for the demo's width and batch. */
    private static TorchStep torchStep(Path script, FashionDetector.Settings s, int reps, int threads)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", script.getFileName().toString(),
                Integer.toString(s.width), Integer.toString(s.batch), Integer.toString(reps), Integer.toString(threads),
                Integer.toString(canvasSize()))
                .directory(script.toAbsolutePath().getParent().toFile());
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "33554432");
        pb.environment().put("MALLOC_TRIM_THRESHOLD_", "17179869184");
        for (String line : run(pb, script.getFileName().toString())) {
            if (line.contains("\"median_ms\"")) {
                return new TorchStep(Double.parseDouble(line.replaceAll(".*\"median_ms\": ([0-9.eE+-]+).*", "$1")),
                        line.replaceAll(".*\"torch\": \"([^\"]*)\".*", "$1"));
            }
        }
        throw new IllegalStateException(script.getFileName() + " printed no step time");
    }

    /**
     * The class path of this program, also when it runs inside Maven ({@code exec:java}'s class loader); without
     * ND4J's oneDNN jar unless {@code onednn} (JavaCPP loads that build whenever it is on the class path).
     */
    private static String classPath(boolean onednn) {
        List<String> entries = new ArrayList<>();
        for (ClassLoader l = StepSpeed.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader) {
                for (URL u : ((URLClassLoader) l).getURLs()) {
                    try {
                        entries.add(new File(u.toURI()).getPath());
                    } catch (java.net.URISyntaxException e) {
                        throw new IllegalStateException("class path entry " + u, e);
                    }
                }
            }
        }
        if (entries.isEmpty()) {
            entries.addAll(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        }
        entries.removeIf(path -> !onednn && isOnednnJar(path));
        return String.join(File.pathSeparator, entries);
    }

    /** ND4J's oneDNN builds: {@code nd4j-native-…-linux-x86_64-onednn.jar}, {@code …-onednn-avx512.jar}. */
    private static boolean isOnednnJar(String path) {
        String name = Paths.get(path).getFileName().toString();
        return name.startsWith("nd4j-native-") && name.contains("-onednn");
    }

    /**
     * In a child JVM: times {@code reps} training steps of configuration {@code c} and prints "STEP_MS median";
     * with {@code profile}, then profiles {@code reps} more ({@link StepProfile}) and prints its tables.
     */
    private static void child(Config c, int reps, boolean profile) {
        if (c.oneThread) {
            FashionDetector.oneNd4jThread();
        }
        FashionDetector.Settings s = new FashionDetector.Settings();
        FashionMnist.Items items = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        int size = canvasSize();
        DetectionImages train = FashionCanvases.generate(items, 320, size, 16, 40, 0.3, 1);
        RetinaNet retinaNet = FashionDetector.builder(s, 1).input(size, size, 1).cacheMode(c.cache == null ? CacheMode.NONE : c.cache)
                .workspaceMode(c.workspaces == null ? WorkspaceMode.ENABLED : c.workspaces).build();
        MultiDataSetIterator it = train.iterator(retinaNet.targets(), s.batch);
        List<MultiDataSet> batches = new ArrayList<>();
        while (it.hasNext()) {
            batches.add(it.next());
        }
        Runnable step;
        int[] next = {0};
        if (c.engine == Engine.DL4J) {
            ComputationGraph net = retinaNet.network();
            boolean helpers = c == Config.ONEDNN_HELPERS || c == Config.ONEDNN_HELPERS_NO_CACHE;
            if ((net.getLayer("backbone_conv1").getHelper() != null) != helpers) {
                throw new IllegalStateException(c + " expects DL4J's convolution layers " + (helpers ? "with" : "without")
                        + " their oneDNN helper; backbone_conv1 has " + net.getLayer("backbone_conv1").getHelper());
            }
            net.fit(batches.get(0));
            step = () -> net.fit(batches.get(next[0]++ % batches.size()));
        } else {
            SameDiffDetector sd = new SameDiffDetector(s.width, size, FashionMnist.CLASS_NAMES.size(),
                    0.25, 2, 0.1, new Adam(s.learningRate), 1);
            List<MultiDataSet> inputs = new ArrayList<>();
            for (MultiDataSet b : batches) {
                inputs.add(sd.inputs(b));
            }
            step = () -> sd.step(inputs.get(next[0]++ % inputs.size()));
        }
        for (int i = 0; i < 10; i++) {                                              // warm-up: JIT, workspaces
            step.run();
        }
        double[] times = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            step.run();
            times[r] = (System.nanoTime() - t0) / 1e6;
        }
        String build = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
        if (c.onednn != build.contains("HAVE_ONEDNN")) {
            throw new IllegalStateException(c + " expects " + (c.onednn ? "" : "no ") + "oneDNN; ND4J's build: " + build);
        }
        System.out.println("BUILD " + build.replace('\n', ' ') + "; " + FashionDetector.nd4jThreads());
        System.out.printf(Locale.ROOT, "STEP_MS %.3f%n", median(times));
        if (profile) {
            System.out.println();
            System.out.print(StepProfile.profile(step, reps).table());
        }
    }

    private static String spread(List<Double> values) {
        if (values.size() < 2) {
            return "";
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format(Locale.ROOT, "(%.0f–%.0f)", v[0], v[v.length - 1]);
    }

    private static double median(List<Double> values) {
        return median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
