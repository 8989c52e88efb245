package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInitDistribution;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ClassificationSubnetTest {

    private static ComputationGraphConfiguration graph() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(1)
                .dataType(DataType.FLOAT).graphBuilder().addInputs("features");
        String logits = ClassificationSubnet.builder().convs(2).width(8).anchors(3).classes(4).build().addTo(g, "cls_", "features", 16);
        g.addLayer("loss", new CnnLossLayer.Builder().activation(Activation.SIGMOID).lossFunction(new LossFocal()).build(), logits);
        return g.setOutputs("loss").build();
    }

    @Test
    void buildsThePapersHeadWithThePriorBias() {
        ComputationGraphConfiguration conf = graph();
        for (String name : new String[] {"cls_conv0", "cls_conv1", "cls_logits"}) {
            ConvolutionLayer c = (ConvolutionLayer) ((LayerVertex) conf.getVertices().get(name)).getLayerConf().getLayer();
            assertArrayEquals(new int[] {3, 3}, c.getKernelSize(), name);
            assertEquals(new WeightInitDistribution(new NormalDistribution(0, 0.01)), c.getWeightInitFn(), name);
            assertEquals(name.equals("cls_logits") ? FocalInit.priorBias(0.01) : 0.0, c.getBiasInit(), 1e-12, name);
        }
        ConvolutionLayer last = (ConvolutionLayer) ((LayerVertex) conf.getVertices().get("cls_logits")).getLayerConf().getLayer();
        assertEquals(12, last.getNOut());                    // A·K = 3·4
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void everyAnchorStartsNearThePrior() {
        ComputationGraph net = new ComputationGraph(graph());
        net.init();
        INDArray out = net.outputSingle(Nd4j.randn(DataType.FLOAT, 2, 16, 6, 5));
        assertArrayEquals(new long[] {2, 12, 6, 5}, out.shape());
        // σ(b) = 0.01, and the N(0, 0.01) weights barely move it.
        assertEquals(0.01, out.meanNumber().doubleValue(), 5e-4);
        assertEquals(0.01, out.maxNumber().doubleValue(), 2e-3);
    }

    @Test
    void refusesAHeadWithoutClasses() {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("f");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationSubnet.builder().build());
        assertTrue(e.getMessage().contains("classes=-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassificationSubnet.builder().classes(3).prior(1.0).build());
        assertThrows(IllegalArgumentException.class, () -> ClassificationSubnet.builder().classes(3).build()
                .addTo(g, "c", "f", 0));
    }
}
