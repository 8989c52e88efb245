package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.serde.JsonMappers;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** JSON (DL4J's own mapper), network configurations, Java serialisation and ModelSerializer. */
class LossFocalSerializationTest {

    static Stream<LossFocal> configurations() {
        return Stream.of(
                new LossFocal(),
                new LossFocal(-1, 0.5),
                new LossFocal(0, 0),
                LossFocal.builder().alpha(0.75).gamma(5).weights(Nd4j.create(new double[] {0.5, 1.0, 2.5}))
                        .labelSmoothing(0.1).clipEpsilon(1e-7).path(ExecutionPath.OPS).build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void jsonRoundTripWithDl4jsMapper(LossFocal loss) throws Exception {
        ObjectMapper mapper = JsonMappers.getMapper();
        String json = mapper.writeValueAsString(loss);
        assertTrue(json.contains("\"@class\" : \"org.focaldl4j.loss.LossFocal\""), json);
        ILossFunction back = mapper.readValue(json, ILossFunction.class);
        assertEquals(loss, back, json);
        assertEquals(loss.hashCode(), back.hashCode());
        assertEquals(loss.toString(), back.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void javaSerialisationRoundTrip(LossFocal loss) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(loss);
        }
        Object back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = in.readObject();
        }
        assertEquals(loss, back);
        INDArray x = Nd4j.linspace(-3, 3, 6, DataType.DOUBLE).reshape(2, 3);
        INDArray y = Nd4j.create(new double[][] {{1, 0, 0}, {0, 1, 0}});
        assertEquals(loss.computeScore(y, x, new ActivationSigmoid(), null, false),
                ((LossFocal) back).computeScore(y, x, new ActivationSigmoid(), null, false), 0.0);
    }

    @Test
    void equalityDependsOnEverySetting() {
        LossFocal base = new LossFocal();
        assertEquals(base, new LossFocal(0.25, 2.0));
        assertNotEquals(base, new LossFocal(0.5, 2.0));
        assertNotEquals(base, new LossFocal(0.25, 1.0));
        assertNotEquals(base, base.toBuilder().labelSmoothing(0.1).build());
        assertNotEquals(base, base.toBuilder().path(ExecutionPath.OPS).build());
        assertNotEquals(base, base.toBuilder().clipEpsilon(1e-6).build());
        assertNotEquals(base, base.toBuilder().weights(Nd4j.ones(3)).build());
        assertEquals(base.toBuilder().weights(Nd4j.ones(3)).build(), base.toBuilder().weights(Nd4j.ones(3)).build());
    }

    private static MultiLayerConfiguration mlnConf(ILossFunction loss) {
        return new NeuralNetConfiguration.Builder().seed(42).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nIn(6).nOut(3).activation(Activation.SIGMOID).lossFunction(loss).build())
                .build();
    }

    private static ComputationGraphConfiguration graphConf(ILossFunction a, ILossFunction b) {
        return new NeuralNetConfiguration.Builder().seed(42).updater(new Adam(1e-3)).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(4).nOut(6).activation(Activation.RELU).build(), "in")
                .addLayer("a", new OutputLayer.Builder().nIn(6).nOut(3).activation(Activation.SIGMOID).lossFunction(a).build(), "dense")
                .addLayer("b", new OutputLayer.Builder().nIn(6).nOut(3).activation(Activation.SIGMOID).lossFunction(b).build(), "dense")
                .setOutputs("a", "b")
                .build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void multiLayerConfigurationJsonRoundTrip(LossFocal loss) {
        MultiLayerConfiguration conf = mlnConf(loss);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(loss, ((BaseOutputLayer) back.getConf(1).getLayer()).getLossFn());
        MultiLayerConfiguration fromYaml = MultiLayerConfiguration.fromYaml(conf.toYaml());
        assertEquals(loss, ((BaseOutputLayer) fromYaml.getConf(1).getLayer()).getLossFn());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void computationGraphConfigurationJsonRoundTrip(LossFocal loss) {
        ComputationGraphConfiguration conf = graphConf(loss, new LossFocal(0.5, 1));
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        LayerVertex vertex = (LayerVertex) back.getVertices().get("a");
        assertEquals(loss, ((BaseOutputLayer) vertex.getLayerConf().getLayer()).getLossFn());
    }

    @Test
    void modelSerializerRestoresNetworksThatProduceTheSameScores(@TempDir Path dir) throws Exception {
        LossFocal loss = LossFocal.builder().alpha(0.75).gamma(1.5).weights(Nd4j.create(new double[] {1, 2, 3})).build();
        INDArray in = Nd4j.rand(DataType.FLOAT, 8, 4);
        INDArray labels = Nd4j.rand(DataType.FLOAT, 8, 3).gt(0.7).castTo(DataType.FLOAT);
        DataSet ds = new DataSet(in, labels);

        MultiLayerNetwork net = new MultiLayerNetwork(mlnConf(loss));
        net.init();
        net.fit(ds);                                  // non-trivial updater state
        File file = dir.resolve("mln.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(loss, ((BaseOutputLayer) restored.getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn());
        assertEquals(net.params(), restored.params());
        assertEquals(net.score(ds), restored.score(ds), 0.0);

        ComputationGraph graph = new ComputationGraph(graphConf(loss, new LossFocal()));
        graph.init();
        graph.fit(new MultiDataSet(new INDArray[] {in}, new INDArray[] {labels, labels}));
        File gFile = dir.resolve("cg.zip").toFile();
        ModelSerializer.writeModel(graph, gFile, true);
        ComputationGraph restoredGraph = ModelSerializer.restoreComputationGraph(gFile, true);
        assertEquals(graph.getConfiguration(), restoredGraph.getConfiguration());
        assertEquals(graph.params(), restoredGraph.params());
        MultiDataSet mds =
                new MultiDataSet(new INDArray[] {in}, new INDArray[] {labels, labels});
        assertEquals(graph.score(mds), restoredGraph.score(mds), 0.0);
    }
}
