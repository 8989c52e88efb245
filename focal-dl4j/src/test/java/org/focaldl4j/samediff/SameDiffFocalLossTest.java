package org.focaldl4j.samediff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.serde.JsonMappers;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.loss.AbstractFocalLoss;
import org.focaldl4j.loss.FocalVariant;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.testing.DoublePrecision;
import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.validation.GradCheckUtil;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * SameDiffFocalLoss and FocalLossOps: parity with the committed reference vectors and with the
 * ILossFunction implementations, gradient checks (DL4J's on networks, SameDiff's on a pure graph),
 * and the DL4J SameDiffLoss defects it must not have.
 */
@ExtendWith(DoublePrecision.class)
class SameDiffFocalLossTest {

    // ------------------------------------------------------------------------------------------
    // Parity with the reference vectors
    // ------------------------------------------------------------------------------------------

    private static List<JsonNode> cases(String file) {
        try (InputStream in = SameDiffFocalLossTest.class.getResourceAsStream("/" + file)) {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode c : new ObjectMapper().readTree(in).get("cases")) {
                if (c.get("weights").isNull() && c.get("labelSmoothing").asDouble() == 0.0) {
                    out.add(c);        // the drop-in has no column weights or smoothing: those cases are LossFocal's
                }
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static INDArray matrix(JsonNode v, long rows, long cols) {
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = v.get(i).asDouble();
        }
        return Nd4j.create(d, new long[] {rows, cols}, DataType.DOUBLE);
    }

    private static double[] doubles(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        double[] d = new double[v.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = v.get(i).asDouble();
        }
        return d;
    }

    static Stream<Arguments> referenceCases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (JsonNode c : cases("sigmoid_focal_vectors.json")) {
            b.add(Arguments.of(c.get("name").asText(), c, new SameDiffFocalLoss(c.get("alpha").asDouble(), c.get("gamma").asDouble()),
                    new ActivationSigmoid()));
        }
        for (JsonNode c : cases("categorical_focal_vectors.json")) {
            b.add(Arguments.of(c.get("name").asText(), c, SameDiffFocalLoss.categorical(doubles(c.get("alpha")),
                    c.get("gamma").asDouble()), new ActivationSoftmax()));
        }
        for (JsonNode c : cases("focal_star_vectors.json")) {
            b.add(Arguments.of(c.get("name").asText(), c, SameDiffFocalLoss.star(c.get("alpha").asDouble(),
                    c.get("gamma").asDouble(), c.get("beta").asDouble()), new ActivationSigmoid()));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("referenceCases")
    void matchesTheReferenceVectors(String name, JsonNode c, SameDiffFocalLoss loss, IActivation act) {
        long rows = c.get("rows").asLong();
        long cols = c.get("cols").asLong();
        INDArray x = matrix(c.get("logits"), rows, cols);
        INDArray y = matrix(c.get("labels"), rows, cols);
        INDArray mask = c.get("mask").isNull() ? null
                : matrix(c.get("mask"), c.get("maskShape").get(0).asLong(), c.get("maskShape").get(1).asLong());
        INDArray expectedRows = matrix(c.get("scoreRows"), rows, 1);
        INDArray expectedGrad = matrix(c.get("gradient"), rows, cols);

        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, x, act, mask, false);
        assertClose(expectedRows, loss.computeScoreArray(y, x, act, mask), name + " scoreRows");
        assertClose(expectedGrad, both.getSecond(), name + " gradient");
        assertClose(expectedGrad, loss.computeGradient(y, x, act, mask), name + " gradient alone");
        double total = expectedRows.sumNumber().doubleValue();
        assertEquals(total, both.getFirst(), 1e-6 * Math.abs(total) + 1e-12, name + " score");
    }

    /** The brief's parity bound: ≤ 1e-6 relative (1e-12 absolute floor), element by element. */
    private static void assertClose(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.dup().reshape(expected.length()).toDoubleVector();
        double[] a = actual.dup().reshape(actual.length()).toDoubleVector();
        for (int i = 0; i < e.length; i++) {
            double tol = 1e-6 * Math.max(Math.abs(e[i]), Math.abs(a[i])) + 1e-12;
            if (!(Math.abs(e[i] - a[i]) <= tol)) {
                fail(what + " [" + i + "]: expected " + e[i] + " but got " + a[i]);
            }
        }
    }

    @Test
    void graphOpsReduceLikeTheirNames() {
        INDArray x = Nd4j.linspace(-4, 4, 12, DataType.DOUBLE).reshape(3, 4);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0, 1}, {0, 0, 1, 0}, {0.5, 0, 0, 1}});
        INDArray w = Nd4j.create(new double[][] {{1, 0, 2, 0.5}});
        INDArray elements = new LossFocal().computeScoreArray(y, x, new ActivationSigmoid(), null);   // row sums, no weights
        SameDiff sd = SameDiff.create();
        SDVariable labels = sd.constant("y", y);
        SDVariable logits = sd.constant("x", x);
        SDVariable weights = sd.constant("w", w);
        SDVariable none = FocalLossOps.sigmoidFocal(sd, "none", labels, logits, 0.25, 2, LossReduce.NONE);
        SDVariable sum = FocalLossOps.sigmoidFocal(sd, "sum", labels, logits, weights, 0.25, 2, LossReduce.SUM);
        SDVariable byWeight = FocalLossOps.sigmoidFocal(sd, "byWeight", labels, logits, weights, 0.25, 2, LossReduce.MEAN_BY_WEIGHT);
        SDVariable byCount = FocalLossOps.sigmoidFocal(sd, "byCount", labels, logits, weights, 0.25, 2,
                LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT);
        Map<String, INDArray> out = sd.output(new HashMap<>(), "none", "sum", "byWeight", "byCount");
        assertArrayEquals(new long[] {3, 4}, out.get("none").shape());
        assertEquals(elements.sumNumber().doubleValue(), out.get("none").sumNumber().doubleValue(), 1e-12);
        double weighted = LossFocal.builder().weights(w).build().computeScore(y, x, new ActivationSigmoid(), null, false);
        assertEquals(weighted, out.get("sum").getDouble(), 1e-12);
        assertEquals(weighted / (3 * 3.5), out.get("byWeight").getDouble(), 1e-12);     // Σ of broadcast weights = 3·3.5
        assertEquals(weighted / (3 * 3), out.get("byCount").getDouble(), 1e-12);        // 3 non-zero weights per row
    }

    // ------------------------------------------------------------------------------------------
    // Gradient checks
    // ------------------------------------------------------------------------------------------

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of(new SameDiffFocalLoss(), Activation.SIGMOID),
                Arguments.of(new SameDiffFocalLoss(-1, 0.5), Activation.SIGMOID),
                Arguments.of(SameDiffFocalLoss.categorical(new double[] {0.25, 1, 2}, 2), Activation.SOFTMAX),
                // the categorical form's probability path (its second graph), as DL4J's own output-layer checks use it
                Arguments.of(SameDiffFocalLoss.categorical(new double[] {0.25, 1, 2}, 2), Activation.SIGMOID),
                Arguments.of(SameDiffFocalLoss.star(0.25, 2, 1), Activation.SIGMOID));
    }

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).updater(new NoOp())
                .dist(new UniformDistribution(-2, 2));
    }

    private static INDArray labels(SameDiffFocalLoss loss, long... shape) {
        INDArray r = Nd4j.rand(DataType.DOUBLE, shape);
        if (loss.getVariant() == FocalVariant.CATEGORICAL) {
            return r.divi(r.sum(true, 1));           // rows (along dimension 1) summing to 1
        }
        return r.gt(0.6).castTo(DataType.DOUBLE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void gradientCheckOnEveryLossLayer(SameDiffFocalLoss loss, Activation act) {
        Nd4j.getRandom().setSeed(12);
        int mb = 3, nIn = 4, nOut = 3;
        MultiLayerConfiguration out = base().list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(nOut).activation(act).lossFunction(loss).build()).build();
        MultiLayerConfiguration lossLayer = base().list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(nOut).activation(Activation.IDENTITY).build())
                .layer(new LossLayer.Builder().activation(act).lossFunction(loss).build()).build();
        INDArray in = Nd4j.rand(DataType.DOUBLE, mb, nIn).subi(0.5).muli(4);
        INDArray perExample = Nd4j.create(new double[][] {{1}, {0}, {1}});
        INDArray perOutput = loss.getVariant() == FocalVariant.CATEGORICAL
                ? Nd4j.ones(DataType.DOUBLE, mb, nOut).mulColumnVector(perExample)
                : Nd4j.create(new double[][] {{1, 0, 1}, {1, 1, 0}, {0, 1, 1}});
        for (MultiLayerConfiguration conf : new MultiLayerConfiguration[] {out, lossLayer}) {
            for (INDArray mask : new INDArray[] {null, perExample, perOutput}) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
                net.init();
                assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in)
                        .labels(labels(loss, mb, nOut)).labelMask(mask).epsilon(1e-6).maxRelError(1e-5)
                        .minAbsoluteError(1e-9)), conf.getConf(1).getLayer().getClass().getSimpleName() + " mask=" + mask);
            }
        }

        // CnnLossLayer (NCHW): DL4J's SameDiffLoss fails here (rank-1 score array).
        int c = 2, h = 3, w = 3;
        MultiLayerConfiguration cnn = base().list()
                .layer(new ConvolutionLayer.Builder().nIn(c).nOut(nOut).kernelSize(2, 2).stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new CnnLossLayer.Builder().activation(act).lossFunction(loss).build()).build();
        MultiLayerNetwork cnnNet = new MultiLayerNetwork(cnn);
        cnnNet.init();
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(cnnNet)
                .input(Nd4j.rand(DataType.DOUBLE, 2, c, h, w)).labels(labels(loss, 2, nOut, h, w))
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "CnnLossLayer");

        ComputationGraphConfiguration graph = base().graphBuilder().addInputs("in")
                .addLayer("d", new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder().nIn(5).nOut(nOut).activation(act).lossFunction(loss).build(), "d")
                .setOutputs("out").build();
        ComputationGraph cg = new ComputationGraph(graph);
        cg.init();
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(cg)
                .inputs(new INDArray[] {in}).labels(new INDArray[] {labels(loss, mb, nOut)})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), "ComputationGraph");
    }

    @Test
    void sameDiffsOwnGradCheckOnAPureGraph() {
        Nd4j.getRandom().setSeed(3);
        for (String kind : new String[] {"sigmoid", "categorical", "star"}) {
            // Inputs and labels as constants: M2.1's GradCheckUtil reads arrays of placeholders it wants
            // gradients for, and fails on them (NullPointerException); the check covers the variables w, b.
            INDArray y = kind.equals("categorical")
                    ? Nd4j.create(new double[][] {{1, 0, 0}, {0, 0.3, 0.7}, {0, 1, 0}, {0, 0, 1}, {0.5, 0.5, 0}})
                    : Nd4j.rand(DataType.DOUBLE, 5, 3).gt(0.5).castTo(DataType.DOUBLE);
            SameDiff sd = SameDiff.create();
            SDVariable in = sd.constant("in", Nd4j.rand(DataType.DOUBLE, 5, 4).subi(0.5).muli(4));
            SDVariable labels = sd.constant("labels", y);
            SDVariable w = sd.var("w", Nd4j.rand(DataType.DOUBLE, 4, 3).subi(0.5));
            SDVariable b = sd.var("b", Nd4j.rand(DataType.DOUBLE, 1, 3).subi(0.5));
            SDVariable logits = in.mmul(w).add(b);
            SDVariable loss = kind.equals("sigmoid")
                    ? FocalLossOps.sigmoidFocal(sd, "loss", labels, logits, 0.25, 0.5, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT)
                    : kind.equals("categorical")
                    ? FocalLossOps.categoricalFocal(sd, "loss", labels, logits, new double[] {1, 2, 0.5}, 2, LossReduce.SUM)
                    : FocalLossOps.focalStar(sd, "loss", labels, logits, 0.25, 2, 1, LossReduce.SUM);
            sd.setLossVariables(loss);
            assertTrue(GradCheckUtil.checkGradients(sd, new HashMap<>(), 1e-6, 1e-5, 1e-9, false, false), kind);
        }
    }

    // ------------------------------------------------------------------------------------------
    // DL4J SameDiffLoss defects that must not be here
    // ------------------------------------------------------------------------------------------

    @Test
    void dtypeFollowsEachCall() {
        SameDiffFocalLoss loss = new SameDiffFocalLoss();
        INDArray x = Nd4j.linspace(-3, 3, 12, DataType.DOUBLE).reshape(4, 3);
        INDArray y = x.gt(0.5).castTo(DataType.DOUBLE);
        double d = loss.computeScore(y, x, new ActivationSigmoid(), null, false);
        for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.FLOAT}) {
            Pair<Double, INDArray> r = loss.computeGradientAndScore(y.castTo(t), x.castTo(t), new ActivationSigmoid(), null, false);
            assertEquals(t, r.getSecond().dataType());
            assertEquals(d, r.getFirst(), t == DataType.HALF ? 2e-2 : 1e-5, t.toString());
        }
    }

    @Test
    void isQuietAndLeavesItsInputsAlone() {
        SameDiffFocalLoss loss = SameDiffFocalLoss.star(0.25, 2, 1);
        INDArray x = Nd4j.linspace(-3, 3, 12, DataType.DOUBLE).reshape(4, 3);
        INDArray y = x.gt(0.5).castTo(DataType.DOUBLE);
        INDArray xCopy = x.dup();
        INDArray yCopy = y.dup();
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured));
        try {
            loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, true);
            loss.computeScoreArray(y, x, new ActivationSigmoid(), null);
        } finally {
            System.setOut(original);
        }
        assertEquals("", captured.toString(), "printed to stdout");
        assertEquals(xCopy, x);
        assertEquals(yCopy, y);
    }

    @Test
    void reusedMemoryChangesNoResult() {
        // Each thread's graph reuses the previous call's arrays: a sequence of calls of changing sizes, with and
        // without gradients and masks, gives on one instance the bits a fresh instance gives for each call, and
        // results already returned stay as they were.
        SameDiffFocalLoss reused = new SameDiffFocalLoss(0.25, 2);
        long[][] shapes = {{32, 10}, {32, 10}, {7, 10}, {32, 10}, {5, 3}, {32, 10}};
        List<Pair<Double, INDArray>> kept = new ArrayList<>();
        List<Pair<Double, INDArray>> fresh = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            Nd4j.getRandom().setSeed(40 + i);
            INDArray x = Nd4j.rand(DataType.FLOAT, shapes[i]).subi(0.5).muli(12);
            INDArray y = Nd4j.rand(DataType.FLOAT, shapes[i]).gt(0.7).castTo(DataType.FLOAT);
            INDArray mask = i % 2 == 0 ? null : Nd4j.rand(DataType.FLOAT, shapes[i][0], 1).gt(0.3).castTo(DataType.FLOAT);
            if (i == 3) {
                INDArray scores = reused.computeScoreArray(y, x, new ActivationSigmoid(), mask);
                assertArrayEquals(Bits.of(new SameDiffFocalLoss(0.25, 2).computeScoreArray(y, x, new ActivationSigmoid(), mask)),
                        Bits.of(scores));
                continue;
            }
            kept.add(reused.computeGradientAndScore(y, x, new ActivationSigmoid(), mask, false));
            fresh.add(new SameDiffFocalLoss(0.25, 2).computeGradientAndScore(y, x, new ActivationSigmoid(), mask, false));
        }
        for (int i = 0; i < kept.size(); i++) {
            assertEquals(fresh.get(i).getFirst(), kept.get(i).getFirst(), 0.0, "score of call " + i);
            assertArrayEquals(Bits.of(fresh.get(i).getSecond()), Bits.of(kept.get(i).getSecond()), "gradient of call " + i);
        }
    }

    @Test
    void aSteadyLoopAllocatesNothingNewAfterItsFirstCalls() {
        // DL4J's output layers ask for the gradient and then for the score of the same arrays, every step.
        SameDiffFocalLoss loss = new SameDiffFocalLoss(0.25, 2);
        INDArray x = Nd4j.rand(DataType.FLOAT, 40, 8).subi(0.5).muli(8);
        INDArray y = Nd4j.rand(DataType.FLOAT, 40, 8).gt(0.8).castTo(DataType.FLOAT);
        loss.computeGradient(y, x, new ActivationSigmoid(), null);
        loss.computeScore(y, x, new ActivationSigmoid(), null, false);
        long afterFirstStep = loss.freshArrays(DataType.FLOAT);
        assertTrue(afterFirstStep > 0);
        for (int step = 0; step < 4; step++) {
            loss.computeGradient(y, x, new ActivationSigmoid(), null);
            loss.computeScore(y, x, new ActivationSigmoid(), null, false);
        }
        assertEquals(afterFirstStep, loss.freshArrays(DataType.FLOAT), "arrays made after the first step");
    }

    @Test
    void concurrentCallsGiveBitIdenticalResults() throws Exception {
        SameDiffFocalLoss loss = new SameDiffFocalLoss(0.25, 0.5);
        INDArray x = Nd4j.rand(DataType.FLOAT, 64, 10).subi(0.5).muli(20);
        INDArray y = Nd4j.rand(DataType.FLOAT, 64, 10).gt(0.8).castTo(DataType.FLOAT);
        Pair<Double, INDArray> expected = loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, false);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Pair<Double, INDArray>>> futures = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                futures.add(pool.submit(() -> loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, false)));
            }
            for (Future<Pair<Double, INDArray>> f : futures) {
                Pair<Double, INDArray> r = f.get();
                assertEquals(expected.getFirst(), r.getFirst(), 0.0);
                assertEquals(expected.getSecond(), r.getSecond());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void refusesWhatItCannotComputeByName() {
        INDArray x = Nd4j.zeros(DataType.DOUBLE, 2, 3);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, 2, 3);
        // tanh's outputs are not probabilities: refused, as by the losses (the probability path checks them).
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SameDiffFocalLoss().computeScore(y, x.sub(1), new ActivationTanH(), null, false));
        assertTrue(e.getMessage().contains("activation tanh") && e.getMessage().contains("[0, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SameDiffFocalLoss.builder(FocalVariant.SIGMOID)
                .classAlpha(1, 2, 3).build());
        assertThrows(IllegalArgumentException.class, () -> SameDiffFocalLoss.builder(FocalVariant.SIGMOID)
                .beta(1).build());
        assertThrows(IllegalArgumentException.class, () -> new SameDiffFocalLoss(2.0, 2));
        assertThrows(IllegalArgumentException.class, () -> SameDiffFocalLoss.star(0.25, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new SameDiffFocalLoss().computeScore(y.add(2), x, new ActivationSigmoid(), null, false));
    }

    // ------------------------------------------------------------------------------------------
    // Serialisation
    // ------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void jsonAndModelSerializerRoundTrips(SameDiffFocalLoss loss, Activation act, @TempDir Path dir) throws Exception {
        ObjectMapper mapper = JsonMappers.getMapper();
        assertEquals(loss, mapper.readValue(mapper.writeValueAsString(loss), ILossFunction.class));
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(3).activation(act).lossFunction(loss).build()).build();
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 4),
                Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}}).castTo(DataType.FLOAT));
        net.fit(ds);
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(loss, ((BaseOutputLayer) restored.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertEquals(net.score(ds), restored.score(ds), 1e-6);
    }

    @Test
    void aConfigurationWrittenWithKindReadsAsItsVariant() throws Exception {
        ObjectMapper mapper = JsonMappers.getMapper();
        String star = mapper.writeValueAsString(SameDiffFocalLoss.star(0.25, 2, 1));
        assertTrue(star.contains("\"variant\" : \"STAR\"") || star.contains("\"variant\":\"STAR\""), star);
        String legacy = star.replace("\"variant\"", "\"kind\"");
        assertEquals(SameDiffFocalLoss.star(0.25, 2, 1), mapper.readValue(legacy, ILossFunction.class));
        String both = star.replace("\"variant\"", "\"kind\" : \"SIGMOID\", \"variant\"");
        Exception e = assertThrows(Exception.class, () -> mapper.readValue(both, ILossFunction.class));
        Throwable t = e;
        while (t.getCause() != null && !(t instanceof IllegalArgumentException)) {
            t = t.getCause();
        }
        assertTrue(t.getMessage().contains("disagree"), t.getMessage());
    }

    @Test
    void agreesWithTheILossFunctionsOnRandomInput() {
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, 20, 6).muli(6);
        INDArray y = Nd4j.rand(DataType.DOUBLE, 20, 6).gt(0.7).castTo(DataType.DOUBLE);
        INDArray yc = Nd4j.rand(DataType.DOUBLE, 20, 6);
        yc.diviColumnVector(yc.sum(true, 1));
        Object[][] pairs = {
                {new SameDiffFocalLoss(0.25, 2), new LossFocal(0.25, 2), new ActivationSigmoid(), y},
                {SameDiffFocalLoss.star(-1, 4, 0), new LossFocalStar(-1, 4, 0), new ActivationSigmoid(), y},
                {SameDiffFocalLoss.categorical(null, 0.5), new LossCategoricalFocal(0.5), new ActivationSoftmax(), yc},
                {SameDiffFocalLoss.categorical(new double[] {1, 2, 0.5, 1, 1, 3}, 2),
                        new LossCategoricalFocal(new double[] {1, 2, 0.5, 1, 1, 3}, 2), new ActivationSigmoid(), yc}};
        for (Object[] p : pairs) {
            SameDiffFocalLoss sd = (SameDiffFocalLoss) p[0];
            AbstractFocalLoss direct = (AbstractFocalLoss) p[1];
            IActivation act = (IActivation) p[2];
            INDArray labels = (INDArray) p[3];
            assertClose(direct.computeScoreArray(labels, x, act, null), sd.computeScoreArray(labels, x, act, null), sd + " scores");
            assertClose(direct.computeGradient(labels, x, act, null), sd.computeGradient(labels, x, act, null), sd + " gradient");
        }
    }
}
