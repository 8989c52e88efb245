package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.samediff.SameDiffGraphVertex;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.Bits;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * The shared head's run-time vertex ({@link SharedHeadGraphVertex}: its ops called directly, one forward per step)
 * trains exactly as DL4J's SameDiff vertex with the corrected backward did ({@link CorrectedSameDiffGraphVertex},
 * kept here as the reference): the same parameters, bit for bit, after several Adam steps of a graph with a conv
 * layer below each level (so the head's input gradients count), minibatch sizes changing between steps and an
 * inference call in between, FLOAT and DOUBLE; its gradients pass {@code GradientCheckUtil} after training and
 * inference calls; levels with different minibatch sizes are refused.
 */
@ExtendWith(DoublePrecision.class)
class SharedHeadOneForwardTest {

    static final int C = 3;
    static final int A = 2;
    static final int K = 3;

    /** DL4J's SameDiff vertex for the same configuration (the run-time vertex before this one). */
    static final class ReferenceHeadVertex extends SharedHeadVertex {
        private static final long serialVersionUID = 1L;

        ReferenceHeadVertex(SharedHeadVertex v) {
            setLevels(v.getLevels());
            setChannels(v.getChannels());
            setConvs(v.getConvs());
            setWidth(v.getWidth());
            setAnchors(v.getAnchors());
            setOutputsPerAnchor(v.getOutputsPerAnchor());
            setLastBias(v.getLastBias());
        }

        @Override
        public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                INDArray paramsView, boolean initializeParams, DataType networkDatatype) {
            setName(name);
            return new CorrectedSameDiffGraphVertex(this, graph, name, idx, paramsView, initializeParams,
                    networkDatatype);
        }

        @Override
        public GraphVertex clone() {
            return new ReferenceHeadVertex(this);
        }
    }

    /** Two inputs (6×6 and 3×3) → a 3×3 conv each → shared classification head (2 convs) → anchor loss layer. */
    private static ComputationGraph net(DataType type, boolean reference, boolean adam) {
        SharedHeadVertex head = SharedHeadVertex.classification(2, C, 2, 4, A, K, 0.1);
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(type)
                .updater(adam ? new Adam(0.01) : new NoOp()).convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("x0", "x1")
                .setInputTypes(InputType.convolutional(6, 6, 2), InputType.convolutional(3, 3, 2))
                .addLayer("c0", new ConvolutionLayer.Builder(3, 3).nOut(C).activation(Activation.TANH).build(), "x0")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(C).activation(Activation.TANH).build(), "x1")
                .addVertex("head", reference ? new ReferenceHeadVertex(head) : head, "c0", "c1")
                .addLayer("cls", new AnchorLossLayer.Builder(new LossFocal(0.25, 2)).integerLabels(K).build(), "head")
                .setOutputs("cls").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** The graph of {@link #net} without the loss layer: the head's output is the network's, for external errors. */
    private static ComputationGraph headOnly(boolean reference) {
        SharedHeadVertex head = SharedHeadVertex.classification(2, C, 2, 4, A, K, 0.1);
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(11)
                .dataType(DataType.DOUBLE).updater(new NoOp()).convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("x0", "x1")
                .setInputTypes(InputType.convolutional(6, 6, 2), InputType.convolutional(3, 3, 2))
                .addLayer("c0", new ConvolutionLayer.Builder(3, 3).nOut(C).activation(Activation.TANH).build(), "x0")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(C).activation(Activation.TANH).build(), "x1")
                .addVertex("head", reference ? new ReferenceHeadVertex(head) : head, "c0", "c1")
                .setOutputs("head").build());
        net.init();
        return net;
    }

    private static MultiDataSet batch(DataType type, long seed) {
        return batch(type, seed, 4);
    }

    private static MultiDataSet batch(DataType type, long seed, int n) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x0 = Nd4j.rand(type, n, 2, 6, 6).subi(0.5).muli(2);
        INDArray x1 = Nd4j.rand(type, n, 2, 3, 3).subi(0.5).muli(2);
        INDArray labels = Nd4j.valueArrayOf(new long[] {n, A, 45}, (double) K, type);
        labels.putScalar(new long[] {0, 0, 7}, 1).putScalar(new long[] {1, 1, 40}, 2).putScalar(new long[] {2, 0, 3}, 0)
                .putScalar(new long[] {3, 1, 44}, -1).putScalar(new long[] {3, 0, 20}, 2);
        return new MultiDataSet(new INDArray[] {x0, x1}, new INDArray[] {labels});
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void trainsBitForBitLikeDl4jsSameDiffVertex(DataType type) throws Exception {
        ComputationGraph fast = net(type, false, true);
        ComputationGraph reference = net(type, true, true);
        assertInstanceOf(SharedHeadGraphVertex.class, fast.getVertex("head"));
        assertInstanceOf(CorrectedSameDiffGraphVertex.class, reference.getVertex("head"));
        reference.setParams(fast.params().dup());
        int[] sizes = {4, 4, 7, 4, 5, 4, 4, 7};                     // new minibatch sizes remake the work arrays
        for (int step = 0; step < sizes.length; step++) {
            MultiDataSet b = batch(type, 100 + step % 3, sizes[step]);
            fast.fit(b);
            reference.fit(b);
            if (step == 3) {                                         // inference between training steps
                MultiDataSet other = batch(type, 150, 6);
                assertArrayEquals(Bits.of(reference.output(other.getFeatures())[0]),
                        Bits.of(fast.output(other.getFeatures())[0]));
            }
        }
        assertArrayEquals(Bits.of(reference.params()), Bits.of(fast.params()), "parameters after 8 Adam steps");
        assertEquals(0, ((SharedHeadGraphVertex) fast.getVertex("head")).recomputedForwards(),
                "fit's backward used its own forward's activations");
        assertEquals(reference.score(), fast.score(), 0.0);
        MultiDataSet b = batch(type, 200);
        assertArrayEquals(Bits.of(reference.output(b.getFeatures())[0]), Bits.of(fast.output(b.getFeatures())[0]));

        java.lang.reflect.Field sameDiff = SameDiffGraphVertex.class.getDeclaredField("sameDiff");
        sameDiff.setAccessible(true);
        assertNull(sameDiff.get(fast.getVertex("head")), "no SameDiff graph behind the run-time vertex");
    }

    @Test
    void aBackwardAfterAnInferenceForwardRunsTheTrainingForwardFirst() {
        ComputationGraph fast = headOnly(false);
        ComputationGraph reference = headOnly(true);
        reference.setParams(fast.params().dup());
        MultiDataSet b = batch(DataType.DOUBLE, 500);
        INDArray[] gradients = new INDArray[2];
        ComputationGraph[] nets = {reference, fast};
        for (int k = 0; k < 2; k++) {
            ComputationGraph net = nets[k];
            net.feedForward(b.getFeatures(), false, false);            // inference forward: nothing kept for training
            INDArray eps = Nd4j.ones(DataType.DOUBLE, 4, (long) A * K, 45);
            gradients[k] = net.backpropGradient(eps).gradient().dup();
        }
        assertEquals(1, ((SharedHeadGraphVertex) fast.getVertex("head")).recomputedForwards());
        assertArrayEquals(Bits.of(gradients[0]), Bits.of(gradients[1]));
    }

    @Test
    void levelsWithDifferentMinibatchesAreRefused() {
        ComputationGraph net = net(DataType.DOUBLE, false, false);
        MultiDataSet b = batch(DataType.DOUBLE, 400);
        INDArray[] features = {b.getFeatures(0), batch(DataType.DOUBLE, 401, 5).getFeatures(1)};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.output(features));
        assertTrue(e.getMessage().contains("same minibatch"), e.getMessage());
    }

    @Test
    void gradientsPassTheCheckAfterTrainingAndInference() {
        ComputationGraph net = net(DataType.DOUBLE, false, false);
        MultiDataSet b = batch(DataType.DOUBLE, 300);
        net.fit(b);                                                   // NoOp: parameters unchanged
        net.output(batch(DataType.DOUBLE, 301).getFeatures());        // inference between two training steps
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(b.getFeatures()).labels(b.getLabels())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8)));
    }
}
