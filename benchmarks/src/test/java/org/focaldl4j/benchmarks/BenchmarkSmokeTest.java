package org.focaldl4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The benchmarks run (a CI smoke test): every benchmark and parameter value once, in-process, for
 * a few calls on small inputs, and the report renders. Nothing about speed is asserted: CI machines are
 * shared and timings there mean nothing; the figures come from {@link BenchmarkReport} runs.
 */
class BenchmarkSmokeTest {

    /** Options for {@code include} in this JVM: no fork, no warm-up, one 50 ms iteration. */
    private static ChainedOptionsBuilder options(String include) throws Exception {
        return new OptionsBuilder().include(include).forks(0).warmupIterations(0).measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(50)).shouldFailOnError(true)
                .output(Files.createTempFile("jmh-smoke", ".log").toString());
    }

    private static Set<String> check(Collection<RunResult> results, String param) {
        Set<String> seen = new HashSet<>();
        for (RunResult r : results) {
            double median = r.getPrimaryResult().getStatistics().getPercentile(50.0);
            assertTrue(r.getPrimaryResult().getStatistics().getN() >= 1, "no sample for " + r.getParams().getParam(param));
            assertTrue(median > 0 && Double.isFinite(median), r.getParams().getParam(param) + ": median " + median);
            seen.add(r.getParams().getParam(param));
        }
        return seen;
    }

    @Test
    void everyLossRuns() throws Exception {
        String[] impls = {LossBenchmark.FOCAL_FUSED, LossBenchmark.FOCAL_OPS, LossBenchmark.XENT, LossBenchmark.STAR,
            LossBenchmark.STAR_OPS, LossBenchmark.CATEGORICAL, LossBenchmark.CATEGORICAL_OPS, LossBenchmark.MCXENT,
            LossBenchmark.SAMEDIFF, LossBenchmark.ASSIGN};
        Collection<RunResult> results = new Runner(options(LossBenchmark.class.getName() + ".gradientAndScore")
                .param("elements", "16000").param("impl", impls).build()).run();
        assertEquals(Set.of(impls), check(results, "impl"));
    }

    @Test
    void everyLossLayerRuns() throws Exception {
        String[] layers = {LossLayerBenchmark.CNN_XENT, LossLayerBenchmark.CNN_FOCAL, LossLayerBenchmark.ANCHOR,
            LossLayerBenchmark.ANCHOR_INTEGER};
        Collection<RunResult> results = new Runner(options(LossLayerBenchmark.class.getName() + ".gradientAndScore")
                .param("layer", layers).build()).run();
        assertEquals(Set.of(layers), check(results, "layer"));
    }

    @Test
    void theFitStepRuns() throws Exception {
        Collection<RunResult> results = new Runner(options(FitStepBenchmark.class.getName() + ".fitStep").build()).run();
        assertEquals(Set.of("LossFocal", "LossBinaryXENT"), check(results, "loss"));
    }

    @Test
    void everyPipelineStepRuns() throws Exception {
        String[] steps = {PipelineBenchmark.MATCH, PipelineBenchmark.ENCODE, PipelineBenchmark.DECODE, PipelineBenchmark.NMS,
            PipelineBenchmark.COCO};
        Collection<RunResult> results = new Runner(options(PipelineBenchmark.class.getName() + ".run")
                .param("step", steps).build()).run();
        assertEquals(Set.of(steps), check(results, "step"));
    }

    @Test
    void theReportRendersWithMissingPoints(@TempDir Path docs) throws Exception {
        new BenchmarkReport().write(docs, 0);
        String md = Files.readString(docs.resolve("benchmarks.md"));
        assertTrue(md.contains("## Headline ratios"), md);
        assertTrue(md.contains("| – |"), "missing points show as –");
    }
}
