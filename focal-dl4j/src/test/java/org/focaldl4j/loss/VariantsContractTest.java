package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.serde.JsonMappers;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * LossCategoricalFocal and LossFocalStar under the same contract as LossFocal: finite in HALF/FLOAT/
 * DOUBLE at extreme logits, inputs never modified, JSON/Java/ModelSerializer round trips, and
 * IllegalArgumentExceptions that name the bad value.
 */
class VariantsContractTest {

    /** 4 rows × 3 classes; rows 0–1 saturated at ±1e4, row 2 at ±1000. */
    private static final double[][] LOGITS = {
            {1e4, -1e4, 0.0}, {-1e4, 1e4, 20.0}, {1000.0, -1000.0, -20.0}, {2.5, -1.0, 0.5}};
    /** Binary labels for FL*. */
    private static final double[][] BINARY = {{1, 0, 1}, {1, 0, 0.3}, {0, 1, 0.7}, {1, 0.25, 0}};
    /** Rows summing to 1 for the categorical loss: right and sure, wrong and sure, soft, one-hot. */
    private static final double[][] CATEGORICAL = {{1, 0, 0}, {1, 0, 0}, {0.5, 0, 0.5}, {0, 0, 1}};

    static Stream<Arguments> lossesAndActivations() {
        LossCategoricalFocal categorical = LossCategoricalFocal.builder().alpha(0.25, 1, 2).gamma(0.5)
                .weights(Nd4j.create(new double[] {1, 2, 0.5})).labelSmoothing(0.1).build();
        LossFocalStar star = LossFocalStar.builder().alpha(0.25).gamma(4).beta(0)
                .weights(Nd4j.create(new double[] {1, 2, 0.5})).labelSmoothing(0.1).build();
        return Stream.of(
                Arguments.of(new LossCategoricalFocal(), new ActivationSoftmax(), CATEGORICAL),
                Arguments.of(categorical, new ActivationSoftmax(), CATEGORICAL),
                Arguments.of(categorical, new ActivationSigmoid(), CATEGORICAL),
                Arguments.of(new LossFocalStar(), new ActivationSigmoid(), BINARY),
                Arguments.of(star, new ActivationSigmoid(), BINARY),
                Arguments.of(star, new ActivationSoftmax(), BINARY));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossesAndActivations")
    void finiteInEveryPrecisionAtExtremeLogits(AbstractFocalLoss loss, IActivation act, double[][] labels) {
        INDArray xd = Nd4j.create(LOGITS);
        INDArray yd = Nd4j.create(labels);
        Pair<Double, INDArray> ref = loss.computeGradientAndScore(yd, xd, act, null, false);
        for (DataType type : new DataType[] {DataType.HALF, DataType.FLOAT, DataType.DOUBLE}) {
            Pair<Double, INDArray> r = loss.computeGradientAndScore(yd.castTo(type), xd.castTo(type), act, null, false);
            INDArray scores = loss.computeScoreArray(yd.castTo(type), xd.castTo(type), act, null);
            assertEquals(type, r.getSecond().dataType());
            assertEquals(type, scores.dataType());
            assertTrue(Double.isFinite(r.getFirst()), type + " score " + r.getFirst());
            assertTrue(allFinite(r.getSecond()) && allFinite(scores), type + " gradient " + r.getSecond());
            boolean logitPath = act instanceof ActivationSigmoid || act instanceof ActivationSoftmax
                    ? (act instanceof ActivationSoftmax) == (loss instanceof LossCategoricalFocal) : false;
            double rel = type == DataType.HALF ? 2e-3 : type == DataType.FLOAT ? (logitPath ? 1e-5 : 2e-4) : 1e-12;
            double abs = type == DataType.HALF ? 1e-3 : type == DataType.FLOAT ? 1e-6 : 1e-15;
            assertClose(ref.getFirst(), r.getFirst(), rel, abs * Math.abs(ref.getFirst()), type + " score");
            assertClose(ref.getSecond(), r.getSecond(), rel, abs, type + " gradient");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossesAndActivations")
    void inputsAreNeverModified(AbstractFocalLoss loss, IActivation act, double[][] labels) {
        INDArray x = Nd4j.create(LOGITS).muli(0.001);
        INDArray y = Nd4j.create(labels);
        INDArray mask = Nd4j.create(new double[][] {{1}, {0}, {1}, {1}});
        INDArray xCopy = x.dup();
        INDArray yCopy = y.dup();
        INDArray mCopy = mask.dup();
        loss.computeScore(y, x, act, mask, true);
        loss.computeScoreArray(y, x, act, mask);
        loss.computeGradient(y, x, act, mask);
        loss.computeGradientAndScore(y, x, act, mask, false);
        assertEquals(xCopy, x, "preOutput modified");
        assertEquals(yCopy, y, "labels modified");
        assertEquals(mCopy, mask, "mask modified");
    }

    static Stream<AbstractFocalLoss> configurations() {
        return Stream.of(
                new LossCategoricalFocal(),
                new LossCategoricalFocal(new double[] {0.25, 1, 2}, 0.5),
                LossCategoricalFocal.builder().gamma(5).weights(Nd4j.create(new double[] {1, 2, 3})).labelSmoothing(0.1).clipEpsilon(1e-7).build(),
                new LossFocalStar(),
                new LossFocalStar(-1, 4, 0),
                LossFocalStar.builder().alpha(0.75).gamma(0.5).beta(-2).weights(Nd4j.create(new double[] {1, 2, 3}))
                        .labelSmoothing(0.2).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void serialisationRoundTrips(AbstractFocalLoss loss, @TempDir Path dir) throws Exception {
        ObjectMapper mapper = JsonMappers.getMapper();
        String json = mapper.writeValueAsString(loss);
        ILossFunction fromJson = mapper.readValue(json, ILossFunction.class);
        assertEquals(loss, fromJson, json);
        assertEquals(loss.hashCode(), fromJson.hashCode());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(loss);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(loss, in.readObject());
        }

        Activation act = loss instanceof LossCategoricalFocal ? Activation.SOFTMAX : Activation.SIGMOID;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(3).activation(act).lossFunction(loss).build())
                .build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(loss, ((BaseOutputLayer) back.getConf(1).getLayer()).getLossFn());

        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 4, 4), Nd4j.create(CATEGORICAL).castTo(DataType.FLOAT));
        net.fit(ds);
        File file = dir.resolve("net.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(loss, ((BaseOutputLayer) restored.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertEquals(net.params(), restored.params());
        assertEquals(net.score(ds), restored.score(ds), 0.0);
    }

    private static void rejects(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void badSettingsAndInputsAreRefusedByName() {
        IActivation softmax = new ActivationSoftmax();
        IActivation sigmoid = new ActivationSigmoid();
        INDArray x = Nd4j.create(LOGITS).muli(0.001);
        INDArray y = Nd4j.create(CATEGORICAL);

        rejects(() -> new LossCategoricalFocal(-0.5), "gamma", "-0.5");
        rejects(() -> new LossCategoricalFocal(new double[] {1, -2, 1}, 2), "alpha[1] = -2.0");
        rejects(() -> new LossCategoricalFocal(new double[] {1, Double.NaN}, 2), "alpha[1] = NaN");
        rejects(() -> new LossCategoricalFocal(new double[] {1, 2}, 2).computeScore(y, x, softmax, null, false),
                "alpha has 2 values", "nOut = 3");
        rejects(() -> new LossCategoricalFocal().computeScore(Nd4j.create(BINARY), x, softmax, null, false),
                "sum to 1", "row 0 sums to 2.0");
        rejects(() -> LossCategoricalFocal.builder().labelSmoothing(1).build(), "labelSmoothing", "1.0");
        INDArray perClassMask = Nd4j.ones(4, 3).putScalar(2, 1, 0.0);
        rejects(() -> new LossCategoricalFocal().computeGradient(y, x, softmax, perClassMask),
                "constant across each row", "row 2", "[1.0, 0.0, 1.0]");

        rejects(() -> new LossFocalStar(0.25, 0, 1), "gamma", "0.0", "> 0");
        rejects(() -> new LossFocalStar(0.25, -1, 1), "gamma", "-1.0");
        rejects(() -> new LossFocalStar(0.25, 2, Double.POSITIVE_INFINITY), "beta", "Infinity");
        rejects(() -> new LossFocalStar(0.25, 2, Double.NaN), "beta", "NaN");
        rejects(() -> new LossFocalStar(1.5, 2, 1), "alpha", "1.5");
        rejects(() -> new LossFocalStar().computeScore(Nd4j.create(BINARY).putScalar(0, 0, 2.0), x, sigmoid, null, false),
                "labels must lie in [0, 1]", "2.0 at [0, 0]");
    }

    @Test
    void masksThatAreMaskedOutNeedNotSumToOne() {
        // Padding rows (all-zero labels) are fine where the mask removes them, as in a masked RNN.
        INDArray x = Nd4j.create(LOGITS).muli(0.001);
        INDArray y = Nd4j.create(CATEGORICAL);
        y.putRow(1, Nd4j.zeros(3));
        INDArray mask = Nd4j.create(new double[][] {{1}, {0}, {1}, {1}});
        double masked = new LossCategoricalFocal().computeScore(y, x, new ActivationSoftmax(), mask, false);
        INDArray rowConstant = Nd4j.ones(4, 3);
        rowConstant.putRow(1, Nd4j.zeros(3));
        assertEquals(masked, new LossCategoricalFocal().computeScore(y, x, new ActivationSoftmax(), rowConstant, false), 1e-15);
        assertTrue(masked > 0);
    }

    private static boolean allFinite(INDArray a) {
        for (double v : a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
