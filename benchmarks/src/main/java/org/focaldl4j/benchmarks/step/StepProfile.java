package org.focaldl4j.benchmarks.step;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import one.profiler.AsyncProfiler;
import one.profiler.Counter;

/**
 * Where the wall time of training steps goes, from async-profiler's wall-clock samples (1 ms) of the calling
 * thread — native frames included, so ND4J's kernels, OpenBLAS, oneDNN and the waits for their worker
 * threads show by name. Each sample is counted once by part of the network (the first row of {@link #PARTS}
 * whose frame is in its stack; the rows are ordered so that a sample inside the shared subnets or a loss
 * layer is not counted as the graph around it) and once by kind of work (its innermost frames,
 * {@link #KINDS}).
 */
final class StepProfile {

    /** Parts of the detector, by a frame of the sample's stack, tried in this order. */
    private static final String[][] PARTS = {
        {"SharedHeadGraphVertex.doBackward", "shared subnets, backward (from the forward's kept activations)"},
        {"SharedHeadGraphVertex.doForward", "shared subnets, forward"},
        {"SameDiffGraphVertex.doBackward", "shared subnets (SameDiff vertices), backward: their forward again + backprop"},
        {"SameDiffGraphVertex.doForward", "shared subnets, forward"},
        {"ConvolutionLayer.backpropGradient", "conv layers (backbone, pyramid), backward"},
        {"ConvolutionLayer.activate", "conv layers, forward"},
        {"LossLayerImpl", "this library's loss layers (class and box)"},
        {"AnchorOutputLayerImpl", "this library's loss layers (class and box)"},
        {"org/deeplearning4j/nn/updater/", "updater (Adam)"},
        {"TrainingSession", "SameDiff's training session (`sd.fit`: forward, backward, updater)"},
    };

    /** Kinds of work, by the sample's innermost frames, tried in this order. */
    private static final String[][] KINDS = {
        {"sched_yield|libgomp|futex|exec_blas_async_wait|pthread_cond|__lll_lock|epoll_wait",
            "waiting on or for worker threads (OpenMP, OpenBLAS)"},
        {"memset|memcpy|CopyPws|simdOps::Assign", "zero-filling and copying arrays"},
        {"im2col|col2im", "im2col / col2im"},
        {"gemm|dnnl|jit_", "matrix products (OpenBLAS GEMM) and oneDNN kernels"},
        {"Nd4jCpu\\.exec", "native code without symbols under ND4J's JNI call (oneDNN's JIT-compiled kernels)"},
    };

    private static final java.util.regex.Pattern[] KIND_PATTERNS = java.util.Arrays.stream(KINDS)
            .map(row -> java.util.regex.Pattern.compile(row[0])).toArray(java.util.regex.Pattern[]::new);

    private final Map<String, Long> parts = new LinkedHashMap<>();
    private final Map<String, Long> kinds = new LinkedHashMap<>();
    private final Map<String, Long> leaves = new LinkedHashMap<>();
    private long samples;
    private double stepMs;
    private int steps;

    private StepProfile() {
    }

    /** Runs {@code step} {@code reps} times under the profiler (this thread, wall clock) and classifies the samples. */
    static StepProfile profile(Runnable step, int reps) {
        if (reps < 1) {
            throw new IllegalArgumentException("reps must be at least 1; got " + reps);
        }
        AsyncProfiler profiler = AsyncProfiler.getInstance();
        String thread = Thread.currentThread().getName();
        long t0;
        long elapsed;
        try {
            profiler.execute("start,event=wall,interval=1ms,threads");
            try {
                t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    step.run();
                }
                elapsed = System.nanoTime() - t0;
            } finally {
                profiler.execute("stop");
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("async-profiler failed", e);
        }
        StepProfile p = new StepProfile();
        p.steps = reps;
        p.stepMs = elapsed / 1e6 / reps;
        for (String line : profiler.dumpCollapsed(Counter.SAMPLES).split("\n")) {
            int space = line.lastIndexOf(' ');
            if (space < 0 || !line.startsWith("[" + thread + " tid=")) {
                continue;
            }
            long n = Long.parseLong(line.substring(space + 1).trim());
            String stack = line.substring(0, space);
            if (!stack.contains("StepProfile.profile")) {
                continue;
            }
            p.samples += n;
            p.parts.merge(classify(stack, PARTS, "the rest (graph bookkeeping, upsampling, additions, workspaces)"), n,
                    Long::sum);
            String[] frames = stack.split(";");
            String inner = String.join(";", java.util.Arrays.copyOfRange(frames, Math.max(0, frames.length - 4),
                    frames.length));
            p.kinds.merge(classifyKind(frames[frames.length - 1], inner), n, Long::sum);
            p.leaves.merge(shortName(frames[frames.length - 1]), n, Long::sum);
        }
        if (p.samples == 0) {
            throw new IllegalStateException("async-profiler took no samples of thread " + thread);
        }
        return p;
    }

    private static String classify(String stack, String[][] table, String otherwise) {
        for (String[] row : table) {
            if (stack.contains(row[0])) {
                return row[1];
            }
        }
        return otherwise;
    }

    /**
     * Waits, copies and JIT code by the innermost frame; im2col and GEMM by the innermost four (their kernels
     * call helpers). A sample that ends in ND4J's JNI method ran native code without symbols: oneDNN's
     * kernels are generated at run time.
     */
    private static String classifyKind(String leaf, String inner) {
        for (int i = 0; i < KINDS.length; i++) {
            if (KIND_PATTERNS[i].matcher(i < 2 || i == KINDS.length - 1 ? leaf : inner).find()) {
                return KINDS[i][1];
            }
        }
        return "other (element-wise kernels, Java, JNI)";
    }

    /** A native frame without its template arguments and parameters; a library path by its file name. */
    private static String shortName(String frame) {
        String f = frame.replaceAll("\\[[^\\]]*\\]$", "").trim();
        if (f.startsWith("/")) {
            return f.substring(f.lastIndexOf('/') + 1);
        }
        StringBuilder out = new StringBuilder();
        int depth = 0;
        for (char ch : f.toCharArray()) {
            if (ch == '<' || ch == '(') {
                depth++;
            } else if (ch == '>' || ch == ')') {
                depth--;
            } else if (depth == 0) {
                out.append(ch);
            }
        }
        String name = out.toString().replaceAll("^(void|float|double|int|bool|long) ", "").trim();
        return name.length() > 90 ? name.substring(0, 90) + "…" : name;
    }

    /** Three Markdown tables: shares of the sampled step time by part, by kind of work, by innermost frame. */
    String table() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "| part of the step (async-profiler, wall clock, %d steps, %.0f ms each) "
                + "| share | ms per step |%n|---|---:|---:|%n", steps, stepMs));
        rows(out, parts);
        out.append(String.format(Locale.ROOT, "%n| kind of work (same samples) | share | ms per step |%n|---|---:|---:|%n"));
        rows(out, kinds);
        out.append(String.format(Locale.ROOT, "%n| innermost frame (the 10 largest) | share | ms per step |%n|---|---:|---:|%n"));
        Map<String, Long> top = new LinkedHashMap<>();
        leaves.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(10)
                .forEach(e -> top.put("`" + e.getKey() + "`", e.getValue()));
        rows(out, top);
        return out.toString();
    }

    private void rows(StringBuilder out, Map<String, Long> counts) {
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).forEach(e ->
                out.append(String.format(Locale.ROOT, "| %s | %.0f %% | %.0f |%n", e.getKey(),
                        100.0 * e.getValue() / samples, stepMs * e.getValue() / samples)));
    }
}
