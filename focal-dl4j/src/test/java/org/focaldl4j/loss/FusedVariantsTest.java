package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The fused CPU passes of {@link LossFocalStar} ({@link FusedSigmoid}) and {@link LossCategoricalFocal}
 * ({@link FusedSoftmaxFocal}) against their op paths (DOUBLE 1e-9 relative, FLOAT 1e-5) over every option,
 * and the reproducibility of all three fused kernels: the same bits for any split of the rows into chunks
 * and on the 1st and the 300th call (after the JIT has compiled the kernel). Runs again in a JVM without the
 * Vector API module (the scalar routines).
 */
class FusedVariantsTest {

    private static final IActivation SIGMOID = new ActivationSigmoid();
    private static final IActivation SOFTMAX = new ActivationSoftmax();

    static Stream<Arguments> starGrid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int cols : new int[] {80, 13, 1, 8}) {
                b.add(Arguments.of(type, cols, new LossFocalStar(), "none"));
                b.add(Arguments.of(type, cols, new LossFocalStar(-1, 1, 0), "none"));        // plain BCE
                b.add(Arguments.of(type, cols, new LossFocalStar(0.5, 4, 0), "none"));
                b.add(Arguments.of(type, cols, LossFocalStar.builder().alpha(0.75).gamma(2).beta(1).labelSmoothing(0.1)
                        .build(), "per-example"));
                b.add(Arguments.of(type, cols, LossFocalStar.builder().gamma(0.5).beta(-2)
                        .weights(Nd4j.linspace(0.5, 1.5, cols, DataType.DOUBLE)).build(), "per-output"));
            }
        }
        return b.build();
    }

    static Stream<Arguments> categoricalGrid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (int cols : new int[] {80, 13, 2, 8}) {
                double[] alpha = new double[cols];
                for (int c = 0; c < cols; c++) {
                    alpha[c] = 0.25 + c % 3;
                }
                b.add(Arguments.of(type, cols, new LossCategoricalFocal(), "none"));
                b.add(Arguments.of(type, cols, new LossCategoricalFocal(0), "none"));            // plain MCXENT
                b.add(Arguments.of(type, cols, new LossCategoricalFocal(alpha, 0.5), "none"));
                b.add(Arguments.of(type, cols, LossCategoricalFocal.builder().gamma(2).labelSmoothing(0.1).build(),
                        "per-example"));
                b.add(Arguments.of(type, cols, LossCategoricalFocal.builder().alpha(alpha).gamma(2.5)
                        .weights(Nd4j.linspace(0.5, 1.5, cols, DataType.DOUBLE)).build(), "row-constant per-output"));
            }
        }
        return b.build();
    }

    /** Multi-label 0/1 labels with some soft ones: {@link FusedPathTest}'s data. */
    private static INDArray[] binaryData(DataType type, int rows, int cols, long seed) {
        return FusedPathTest.data(type, rows, cols, seed);
    }

    /** Logits over ±40 with one +1000 and one −1000; label rows one-hot (every other row) or soft, each summing to 1. */
    private static INDArray[] categoricalData(DataType type, int rows, int cols, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.DOUBLE, rows, cols).muli(8);
        x.putScalar(0, 0, 1000).putScalar(1, cols - 1, -1000);
        INDArray y = Nd4j.rand(DataType.DOUBLE, rows, cols);
        for (int r = 0; r < rows; r += 2) {
            INDArray row = y.getRow(r);
            row.assign(0).putScalar(r % cols, 1.0);
        }
        y.diviColumnVector(y.sum(true, 1));
        return new INDArray[] {x.castTo(type), y.castTo(type)};
    }

    private static INDArray mask(String kind, DataType type, int rows, int cols) {
        switch (kind) {
            case "none":
                return null;
            case "per-example":
                return Nd4j.rand(DataType.DOUBLE, rows, 1).gt(0.2).castTo(type);
            case "row-constant per-output":
                return Nd4j.ones(DataType.DOUBLE, rows, cols).muliColumnVector(
                        Nd4j.rand(DataType.DOUBLE, rows, 1).gt(0.2).castTo(DataType.DOUBLE).muli(1.5)).castTo(type);
            default:
                return Nd4j.rand(DataType.DOUBLE, rows, cols).gt(0.2).castTo(type);
        }
    }

    private static void fusedEqualsOps(ILossFunction fused, ILossFunction ops, IActivation act, INDArray x, INDArray y,
                                       INDArray mask) {
        DataType type = x.dataType();
        Pair<Double, INDArray> f = fused.computeGradientAndScore(y, x, act, mask, false);
        Pair<Double, INDArray> o = ops.computeGradientAndScore(y, x, act, mask, false);
        INDArray fScores = fused.computeScoreArray(y, x, act, mask);
        INDArray oScores = ops.computeScoreArray(y, x, act, mask);
        double rel = type == DataType.DOUBLE ? 1e-9 : 1e-5;
        double abs = type == DataType.DOUBLE ? 1e-14 : 1e-6;
        assertClose(o.getFirst(), f.getFirst(), rel, abs * Math.abs(o.getFirst()), "score");
        assertClose(oScores, fScores, rel, abs, "score array");
        assertClose(o.getSecond(), f.getSecond(), rel, abs, "gradient");
        assertClose(o.getSecond(), fused.computeGradient(y, x, act, mask), rel, abs, "computeGradient");
        assertEquals(type, f.getSecond().dataType());
        assertEquals(type, fScores.dataType());
    }

    @ParameterizedTest(name = "{0} cols={1} {2} mask={3}")
    @MethodSource("starGrid")
    void starFusedEqualsOps(DataType type, int cols, LossFocalStar loss, String maskKind) {
        int rows = 257;
        INDArray[] xy = binaryData(type, rows, cols, 7 + cols);
        INDArray mask = mask(maskKind, type, rows, cols);
        assertNotNull(loss.fusedLogitPass(xy[0], xy[1], mask, null, true), "test setup: the fused path should apply");
        fusedEqualsOps(loss, loss.toBuilder().path(ExecutionPath.OPS).build(), SIGMOID, xy[0], xy[1], mask);
    }

    @ParameterizedTest(name = "{0} cols={1} {2} mask={3}")
    @MethodSource("categoricalGrid")
    void categoricalFusedEqualsOps(DataType type, int cols, LossCategoricalFocal loss, String maskKind) {
        int rows = 257;
        INDArray[] xy = categoricalData(type, rows, cols, 9 + cols);
        INDArray mask = mask(maskKind, type, rows, cols);
        assertNotNull(loss.fusedLogitPass(xy[0], xy[1], null, null, true), "test setup: the fused path should apply");
        fusedEqualsOps(loss, loss.toBuilder().path(ExecutionPath.OPS).build(), SOFTMAX, xy[0], xy[1], mask);
    }

    /** A row whose spread overflows FLOAT, a +∞ and a NaN logit: finite where the op path is, NaN where it is. */
    @Test
    void categoricalExtremesMatchTheOpPath() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            double big = type == DataType.FLOAT ? 3e38 : 1.7e308;
            INDArray x = Nd4j.create(new double[][] {{big, -big, 0}, {-big, big, 1}, {1, 2, 3}}).castTo(type);
            INDArray y = Nd4j.create(new double[][] {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}}).castTo(type);
            LossCategoricalFocal fused = new LossCategoricalFocal();
            LossCategoricalFocal ops = fused.toBuilder().path(ExecutionPath.OPS).build();
            INDArray fs = fused.computeScoreArray(y, x, SOFTMAX, null);
            INDArray os = ops.computeScoreArray(y, x, SOFTMAX, null);
            assertClose(os, fs, 1e-6, 0, type + " score array");
            assertTrue(Double.isFinite(fs.getDouble(0, 0)), type + ": " + fs);
            assertClose(ops.computeGradient(y, x, SOFTMAX, null), fused.computeGradient(y, x, SOFTMAX, null), 1e-6, 0,
                    type + " gradient");

            INDArray bad = Nd4j.create(new double[][] {{Double.POSITIVE_INFINITY, 0, 0}, {Double.NaN, 0, 1}}).castTo(type);
            INDArray y2 = y.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
            INDArray f2 = fused.computeScoreArray(y2, bad, SOFTMAX, null);
            INDArray o2 = ops.computeScoreArray(y2, bad, SOFTMAX, null);
            for (int r = 0; r < 2; r++) {
                assertTrue(Double.isNaN(o2.getDouble(r, 0)), "op path row " + r + ": " + o2);
                assertTrue(Double.isNaN(f2.getDouble(r, 0)), "fused row " + r + ": " + f2);
            }

            // weight × mask beyond the storage type: ∞ there, and 0·∞ = NaN for the unlabelled classes, on both paths
            double huge = type == DataType.FLOAT ? 1e20 : 1e160;
            LossCategoricalFocal heavy = LossCategoricalFocal.builder().weights(Nd4j.createFromArray(huge, huge, huge)).build();
            INDArray m = Nd4j.create(new double[][] {{huge}, {1}, {1}}).castTo(type);
            INDArray x3 = Nd4j.create(new double[][] {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}).castTo(type);
            INDArray hf = heavy.computeScoreArray(y, x3, SOFTMAX, m);
            INDArray ho = heavy.toBuilder().path(ExecutionPath.OPS).build().computeScoreArray(y, x3, SOFTMAX, m);
            assertTrue(Double.isNaN(ho.getDouble(0, 0)) && Double.isNaN(hf.getDouble(0, 0)), type + ": " + ho + " / " + hf);
            assertClose(ho.getDouble(1, 0), hf.getDouble(1, 0), 1e-6, 0, type + " row 1");
        }
    }

    @Test
    void badLabelsAndRowSumsAreRefusedAsOnTheOpPath() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            INDArray[] xy = binaryData(type, 100, 13, 3);
            INDArray y = xy[1];
            y.putScalar(37, 11, Double.NaN).putScalar(52, 3, 1.25);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LossFocalStar().computeGradient(y, xy[0], SIGMOID, null));
            assertEquals("labels must lie in [0, 1]; found NaN at [37, 11]", e.getMessage());

            INDArray[] c = categoricalData(type, 100, 13, 4);
            INDArray cy = c[1].dup();
            cy.putScalar(41, 5, -0.5);
            e = assertThrows(IllegalArgumentException.class,
                    () -> new LossCategoricalFocal().computeGradient(cy, c[0], SOFTMAX, null));
            assertEquals("labels must lie in [0, 1]; found -0.5 at [41, 5]", e.getMessage());

            INDArray sums = c[1].dup();
            sums.putScalar(60, 0, sums.getDouble(60, 0) + 0.01);
            for (LossCategoricalFocal loss : new LossCategoricalFocal[] {new LossCategoricalFocal(),
                    new LossCategoricalFocal().toBuilder().path(ExecutionPath.OPS).build()}) {
                e = assertThrows(IllegalArgumentException.class, () -> loss.computeScore(sums, c[0], SOFTMAX, null, false));
                assertTrue(e.getMessage().startsWith("labels of LossCategoricalFocal must sum to 1 in every unmasked row "
                        + "(±0.001); row 60 sums to 1.0"), e.getMessage());
            }
            // α of the wrong length is named (the fused pass leaves it to the op path's check)
            e = assertThrows(IllegalArgumentException.class, () -> new LossCategoricalFocal(new double[] {1, 2}, 2)
                    .computeScore(c[1], c[0], SOFTMAX, null, false));
            assertEquals("LossCategoricalFocal: alpha has 2 values but the output has nOut = 13 classes", e.getMessage());
        }
    }

    @Test
    void theOpPathIsChosenPerInstanceAndSurvivesJson() throws Exception {
        INDArray[] xy = binaryData(DataType.FLOAT, 4, 3, 1);
        assertNotNull(new LossFocalStar().fusedLogitPass(xy[0], xy[1], null, null, true));
        LossFocalStar starOps = LossFocalStar.builder().path(ExecutionPath.OPS).build();
        assertNull(starOps.fusedLogitPass(xy[0], xy[1], null, null, true));
        INDArray[] c = categoricalData(DataType.FLOAT, 4, 3, 1);
        assertNotNull(new LossCategoricalFocal().fusedLogitPass(c[0], c[1], null, null, true));
        LossCategoricalFocal catOps = LossCategoricalFocal.builder().path(ExecutionPath.OPS).build();
        assertNull(catOps.fusedLogitPass(c[0], c[1], null, null, true));
        assertEquals(ExecutionPath.AUTO, new LossFocalStar().getPath());
        assertEquals(ExecutionPath.AUTO, new LossCategoricalFocal().getPath());

        org.nd4j.shade.jackson.databind.ObjectMapper mapper = org.deeplearning4j.nn.conf.serde.JsonMappers.getMapper();
        for (ILossFunction loss : new ILossFunction[] {starOps, catOps}) {
            String json = mapper.writeValueAsString(loss);
            assertTrue(json.contains("\"path\" : \"OPS\""), json);
            ILossFunction back = mapper.readValue(json, ILossFunction.class);
            assertEquals(loss, back, json);
            assertEquals(loss.toString(), back.toString());
            assertTrue(loss.toString().endsWith(", path=OPS)"), loss.toString());
            assertTrue(!loss.equals(loss instanceof LossFocalStar ? new LossFocalStar() : new LossCategoricalFocal()));
            // an unknown path is refused, naming it
            String badJson = json.replace("\"OPS\"", "\"GPU\"");
            Exception e = assertThrows(Exception.class, () -> mapper.readValue(badJson, ILossFunction.class));
            assertTrue(String.valueOf(rootCause(e).getMessage()).contains("path must be \"AUTO\" or \"OPS\"; got \"GPU\""),
                    String.valueOf(rootCause(e)));
        }
        assertThrows(IllegalArgumentException.class, () -> LossFocalStar.builder().path(null));
        assertThrows(IllegalArgumentException.class, () -> LossCategoricalFocal.builder().path(null));
    }

    private static Throwable rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        return e;
    }

    // ------------------------------------------------------------------------------------------
    // Reproducibility of every fused kernel
    // ------------------------------------------------------------------------------------------

    /** One kernel call with an explicit number of row chunks: gradient bits followed by row-loss bits. */
    private interface Kernel {
        FusedOutput run(INDArray x, INDArray y, INDArray mask, int chunks);
    }

    static Stream<Arguments> kernels() {
        double[] alpha = {0.5, 1, 2, 0.25, 1, 1, 3, 1, 1, 0.5, 1, 1, 2};
        Kernel focal = (x, y, m, chunks) -> FusedSigmoid.run(x, y, m, null, FocalVariant.SIGMOID, 0.25, 2.5, 0, 0.05, true, chunks);
        Kernel focalSqrt = (x, y, m, chunks) -> FusedSigmoid.run(x, y, m, null, FocalVariant.SIGMOID, 0.5, 0.5, 0, 0, true, chunks);
        Kernel star = (x, y, m, chunks) -> FusedSigmoid.run(x, y, m, null, FocalVariant.STAR, 0.25, 2, 1, 0.05, true, chunks);
        Kernel categorical = (x, y, m, chunks) -> FusedSoftmaxFocal.run(x, y, m, null, alpha, 2.5, 0.05, true, chunks);
        Stream.Builder<Arguments> b = Stream.builder();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            b.add(Arguments.of("FusedSigmoid (LossFocal)", type, focal, false));
            b.add(Arguments.of("FusedSigmoid (LossFocal, γ = 0.5)", type, focalSqrt, false));
            b.add(Arguments.of("FusedSigmoid (LossFocalStar)", type, star, false));
            b.add(Arguments.of("FusedSoftmaxFocal", type, categorical, true));
        }
        return b.build();
    }

    private static long[] bits(FusedOutput o) {
        long[] g = Bits.of(o.gradient);
        long[] out = java.util.Arrays.copyOf(g, g.length + o.rowLoss.length);
        for (int r = 0; r < o.rowLoss.length; r++) {
            out[g.length + r] = Double.doubleToRawLongBits(o.rowLoss[r]);
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("kernels")
    void sameBitsForAnySplitAndBeforeAndAfterCompilation(String name, DataType type, Kernel kernel,
                                                         boolean categorical) {
        int rows = 61;
        int cols = 13;                 // not a whole number of vectors: the scalar tail runs too
        INDArray[] xy = categorical ? categoricalData(type, rows, cols, 21) : binaryData(type, rows, cols, 21);
        INDArray mask = Nd4j.rand(DataType.DOUBLE, rows, 1).gt(0.2).castTo(type);
        long[] first = bits(kernel.run(xy[0], xy[1], mask, 1));
        for (int chunks : new int[] {2, 3, 7, 61}) {
            assertArrayEquals(first, bits(kernel.run(xy[0], xy[1], mask, chunks)), name + ": " + chunks + " chunks");
        }
        for (int call = 0; call < 300; call++) {
            long[] again = bits(kernel.run(xy[0], xy[1], mask, 1 + call % 4));
            if (call % 50 == 49) {
                assertArrayEquals(first, again, name + ": call " + call);
            }
        }
    }

    @Test
    void fusedVariantsAllocateNothingBeyondTheReturnedArrays() {
        int rows = 2000;
        int cols = 80;
        long inputBytes = (long) rows * cols * 4;
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(40 * inputBytes)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        INDArray[] b = binaryData(DataType.FLOAT, rows, cols, 11);
        INDArray[] c = categoricalData(DataType.FLOAT, rows, cols, 12);
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "FUSED_VARIANTS_MEMORY")) {
            long before = ws.getPrimaryOffset();
            new LossFocalStar().computeGradientAndScore(b[1], b[0], SIGMOID, null, false);
            long used = ws.getPrimaryOffset() - before;
            assertTrue(used <= inputBytes + (long) rows * 8 * 2 + 4096, "FL*: allocated " + used + " bytes for "
                    + inputBytes);
            before = ws.getPrimaryOffset();
            new LossCategoricalFocal().computeGradientAndScore(c[1], c[0], SOFTMAX, null, false);
            used = ws.getPrimaryOffset() - before;
            assertTrue(used <= inputBytes + (long) rows * 8 * 2 + 4096, "categorical: allocated " + used + " bytes for "
                    + inputBytes);
        }
    }
}
