package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fused CPU pass against the backend-neutral op path (forced with {@code path(ExecutionPath.OPS)}):
 * same scores and gradients (DOUBLE 1e-9 relative — the brief asks for 1e-6 — FLOAT 1e-5), column
 * counts that do and do not fill whole vectors, every option, bad labels found in the pass, the
 * scalar fallback (this class runs again in a JVM without the Vector API module), and no memory
 * beyond the returned arrays.
 */
class FusedPathTest {

    /** The same loss, on the op path. */
    private static LossFocal ops(LossFocal loss) {
        return loss.toBuilder().path(ExecutionPath.OPS).build();
    }

    static Stream<Arguments> grid() {
        INDArray weights80 = Nd4j.linspace(0.0, 2.0, 80, DataType.DOUBLE);
        Stream.Builder<Arguments> b = Stream.builder();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int cols : new int[] {80, 13, 1, 8}) {
                for (double gamma : new double[] {0, 0.5, 1, 2, 2.5, 5}) {
                    b.add(Arguments.of(type, cols, new LossFocal(gamma == 1 ? -1 : 0.25, gamma), "none"));
                }
                b.add(Arguments.of(type, cols, LossFocal.builder().alpha(0.75).gamma(2).labelSmoothing(0.1).build(), "per-example"));
                b.add(Arguments.of(type, cols, LossFocal.builder().gamma(0.5)
                        .weights(cols == 80 ? weights80 : Nd4j.linspace(0.5, 1.5, cols, DataType.DOUBLE))
                        .build(), "per-output"));
            }
        }
        return b.build();
    }

    /** Logits over ±40 with some at ±1000, labels mostly hard with some soft (also used by {@link FusedVariantsTest}). */
    static INDArray[] data(DataType type, int rows, int cols, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, rows, cols).muli(8);
        x.putScalar(0, 0, 1000).putScalar(1, 0, -1000);
        INDArray u = Nd4j.rand(DataType.DOUBLE, rows, cols);
        INDArray y = u.lt(0.05).castTo(DataType.DOUBLE);
        INDArray soft = u.gt(0.9).castTo(DataType.DOUBLE).muli(Nd4j.rand(DataType.DOUBLE, rows, cols));
        y.addi(soft);
        y.putScalar(0, 0, 1.0).putScalar(1, 0, 0.0);
        return new INDArray[] {x.castTo(type), y.castTo(type)};
    }

    @ParameterizedTest(name = "{0} cols={1} {2} mask={3}")
    @MethodSource("grid")
    void fusedEqualsOps(DataType type, int cols, LossFocal loss, String maskKind) {
        int rows = 257;
        INDArray[] xy = data(type, rows, cols, 7 + cols);
        INDArray x = xy[0];
        INDArray y = xy[1];
        INDArray mask = maskKind.equals("none") ? null
                : maskKind.equals("per-example") ? Nd4j.rand(DataType.DOUBLE, rows, 1).gt(0.2).castTo(type)
                : Nd4j.rand(DataType.DOUBLE, rows, cols).gt(0.2).castTo(type);
        ActivationSigmoid act = new ActivationSigmoid();
        assertNull(FusedEligibility.whyNot(x, y, mask), "test setup: the fused path should apply");

        Pair<Double, INDArray> fused = loss.computeGradientAndScore(y, x, act, mask, false);
        INDArray fusedScores = loss.computeScoreArray(y, x, act, mask);
        Pair<Double, INDArray> ops = ops(loss).computeGradientAndScore(y, x, act, mask, false);
        INDArray opsScores = ops(loss).computeScoreArray(y, x, act, mask);

        double rel = type == DataType.DOUBLE ? 1e-9 : 1e-5;
        double abs = type == DataType.DOUBLE ? 1e-14 : 1e-6;
        assertClose(ops.getFirst(), fused.getFirst(), rel, abs * Math.abs(ops.getFirst()), "score");
        assertClose(opsScores, fusedScores, rel, abs, "score array");
        assertClose(ops.getSecond(), fused.getSecond(), rel, abs, "gradient");
        assertEquals(type, fused.getSecond().dataType());
        assertEquals(type, fusedScores.dataType());
    }

    /**
     * The Java pass that zeroes masked labels (so that values under a 0 mask are not checked) equals the op
     * path's putWhereWithMask, for per-entry and per-row masks, FLOAT and DOUBLE (mixed too), NaN and
     * out-of-range labels under the mask, a range-of-rows view, and returns the labels themselves when
     * nothing is masked.
     */
    @Test
    void zeroingMaskedLabelsInJavaEqualsTheOpPath() {
        for (DataType lt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (DataType mt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                for (boolean perRow : new boolean[] {false, true}) {
                    Nd4j.getRandom().setSeed(11);
                    INDArray big = Nd4j.rand(lt, 40, 7);
                    INDArray labels = big.get(NDArrayIndex.interval(3, 33), NDArrayIndex.all());     // rows 3..32, a view
                    INDArray mask = Nd4j.rand(mt, 30, perRow ? 1 : 7).gt(0.3).castTo(mt);
                    INDArray zeroAt = perRow ? Nd4j.ones(DataType.DOUBLE, 30, 7).muliColumnVector(mask.castTo(DataType.DOUBLE))
                            .eq(0.0) : mask.eq(0.0);
                    INDArray dirty = labels.dup();                        // garbage under the mask: NaN and 7
                    for (long r = 0; r < 30; r++) {
                        for (long c = 0; c < 7; c++) {
                            if (zeroAt.getDouble(r, c) != 0) {
                                dirty.putScalar(r, c, (r + c) % 2 == 0 ? Double.NaN : 7.0);
                            }
                        }
                    }
                    INDArray before = dirty.dup();
                    assertTrue(MaskedLabels.canZeroMasked(dirty, mask), lt + "/" + mt);
                    INDArray got = MaskedLabels.zeroMasked(dirty, mask);
                    INDArray expected = dirty.putWhereWithMask(zeroAt, Nd4j.scalar(lt, 0.0));
                    assertEquals(expected, got, lt + "/" + mt + (perRow ? " per row" : " per entry"));
                    assertTrue(java.util.Arrays.equals(Nd4j.toFlattened(before).toDoubleVector(),
                            Nd4j.toFlattened(dirty).toDoubleVector()), "labels untouched");
                    INDArray ones = Nd4j.ones(mt, 30, perRow ? 1 : 7);
                    assertTrue(MaskedLabels.zeroMasked(dirty, ones) == dirty, "nothing masked: the same array");
                }
            }
        }
    }

    @Test
    void badLabelsAreFoundInTheFusedPass() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int cols : new int[] {80, 13}) {
                INDArray[] xy = data(type, 100, cols, 3);
                INDArray y = xy[1];
                y.putScalar(37, cols - 2, Double.NaN).putScalar(52, 3, 1.25);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new LossFocal().computeGradient(y, xy[0], new ActivationSigmoid(), null));
                assertEquals("labels must lie in [0, 1]; found NaN at [37, " + (cols - 2) + "]", e.getMessage());
            }
        }
    }

    @Test
    void vectorKernelIsUsedExactlyWhenTheModuleIsPresent() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(module, KernelChoice.vectorized(), KernelChoice.describe());
        assertEquals(KernelChoice.describe(), ExecutionPath.describeFusedKernel());
        assertTrue(KernelChoice.describe().contains(module ? "Vector API" : "--add-modules jdk.incubator.vector"),
                KernelChoice.describe());
    }

    @Test
    void theOpPathIsChosenPerInstance() {
        INDArray[] xy = data(DataType.FLOAT, 4, 3, 1);
        assertNotNull(new LossFocal().fusedLogitPass(xy[0], xy[1], null, null, true));
        assertNull(ops(new LossFocal()).fusedLogitPass(xy[0], xy[1], null, null, true));
        assertEquals(ExecutionPath.OPS, ops(new LossFocal()).getPath());
        assertEquals(ExecutionPath.AUTO, new LossFocal().getPath());
        // The two instances differ, and their settings survive JSON.
        assertNotEquals(new LossFocal(), ops(new LossFocal()));
    }

    @Test
    void arraysTheKernelCannotReadTakeTheOpPathAndSayWhy() {
        INDArray[] xy = data(DataType.FLOAT, 4, 3, 1);
        assertNull(FusedEligibility.whyNot(xy[0], xy[1]));
        assertEquals("'f'-ordered or strided (view) arrays", FusedEligibility.whyNot(xy[0].dup('f'), xy[1]));
        assertEquals("HALF data (the fused kernel takes FLOAT and DOUBLE)",
                FusedEligibility.whyNot(xy[0].castTo(DataType.HALF), xy[1].castTo(DataType.HALF)));
        assertEquals("arrays of mixed data types", FusedEligibility.whyNot(xy[0], xy[1].castTo(DataType.DOUBLE)));
        assertEquals("'f'-ordered or strided (view) arrays", FusedEligibility.whyNot(
                xy[0].get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2)), xy[1].get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2))));
        assertNull(new LossFocal().fusedLogitPass(xy[0].castTo(DataType.HALF), xy[1].castTo(DataType.HALF), null, null,
                true));
    }

    /** A range of rows (contiguous, default strides, an offset into the buffer) takes the fused path, read from its offset. */
    @Test
    void aRangeOfRowsTakesTheFusedPathAtItsOffset() {
        INDArray[] xy = data(DataType.FLOAT, 40, 13, 5);
        INDArray xv = xy[0].get(NDArrayIndex.interval(17, 40), NDArrayIndex.all());
        INDArray yv = xy[1].get(NDArrayIndex.interval(17, 40), NDArrayIndex.all());
        assertTrue(xv.isView() && xv.offset() == 17 * 13, "test setup: a view with an offset");
        assertNull(FusedEligibility.whyNot(xv, yv));
        ActivationSigmoid act = new ActivationSigmoid();
        Pair<Double, INDArray> onView = new LossFocal().computeGradientAndScore(yv, xv, act, null, false);
        Pair<Double, INDArray> onCopy = ops(new LossFocal()).computeGradientAndScore(yv.dup(), xv.dup(), act, null, false);
        assertClose(onCopy.getFirst(), onView.getFirst(), 1e-5, 0, "score");
        assertClose(onCopy.getSecond(), onView.getSecond(), 1e-5, 1e-6, "gradient");
    }

    @Test
    void chunksRunOnTheLibrarysPoolNotTheCommonPool() {
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int chunks = FusedPool.chunks(1000, 1L << 20);
        FusedPool.forEachChunk(chunks, c -> threads.add(Thread.currentThread().getName()));
        for (String name : threads) {
            assertTrue(name.startsWith("focal-dl4j-fused-") || name.equals(Thread.currentThread().getName()), name);
        }
        assertEquals(1, FusedPool.chunks(1000, 1000), "small calls run on the caller's thread");
        // An exception in any chunk reaches the caller.
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FusedPool.forEachChunk(Math.max(2, chunks), c -> {
                    if (c == 1) {
                        throw new IllegalStateException("chunk 1 failed");
                    }
                }));
        assertEquals("chunk 1 failed", e.getMessage());
    }

    @Test
    void allocatesNothingBeyondTheReturnedArrays() {
        // Inside a workspace every allocation is counted; the fused pass should take the gradient
        // (rows × cols) and the [rows, 1] score array, and nothing of the input's size besides.
        int rows = 2000;
        int cols = 80;
        INDArray[] xy = data(DataType.FLOAT, rows, cols, 11);
        long inputBytes = (long) rows * cols * 4;
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(40 * inputBytes)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "FUSED_MEMORY")) {
            long before = ws.getPrimaryOffset();
            new LossFocal().computeGradientAndScore(xy[1], xy[0], new ActivationSigmoid(), null, false);
            long used = ws.getPrimaryOffset() - before;
            assertTrue(used <= inputBytes + (long) rows * 8 * 2 + 4096,
                    "allocated " + used + " bytes for an input of " + inputBytes + " bytes");

            // Control: the same measurement sees the op path's temporaries.
            long beforeOps = ws.getPrimaryOffset();
            ops(new LossFocal()).computeGradientAndScore(xy[1], xy[0], new ActivationSigmoid(), null, false);
            long usedOps = ws.getPrimaryOffset() - beforeOps;
            assertTrue(usedOps > 5 * inputBytes, "op path allocated only " + usedOps + " bytes");
        }
    }
}
