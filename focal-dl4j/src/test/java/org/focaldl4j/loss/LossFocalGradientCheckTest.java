package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * DL4J's GradientCheckUtil (central differences, double precision) on every layer kind a focal loss
 * is used in: OutputLayer, LossLayer, CnnLossLayer (NCHW), RnnOutputLayer and a two-output
 * ComputationGraph; minibatch 1 and 3; no mask, per-example mask, per-output mask.
 */
class LossFocalGradientCheckTest {

    private static final double EPS = 1e-6;
    private static final double MAX_REL_ERROR = 1e-5;
    private static final double MIN_ABS_ERROR = 1e-9;

    enum MaskKind { NONE, PER_EXAMPLE, PER_OUTPUT }

    @BeforeAll
    static void doublePrecision() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    /** The loss configurations every layer is checked with. */
    static ILossFunction[] losses(long nOut) {
        return new ILossFunction[] {
                new LossFocal(),
                new LossFocal(-1, 0.5),
                LossFocal.builder().alpha(0.75).gamma(5).labelSmoothing(0.1)
                        .weights(Nd4j.linspace(0.5, 2.0, nOut, DataType.DOUBLE))
                        .normalization(Normalization.POSITIVES).build(),
        };
    }

    static Stream<Arguments> grid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int mb : new int[] {1, 3}) {
            for (MaskKind mask : MaskKind.values()) {
                for (int lossIndex = 0; lossIndex < 3; lossIndex++) {
                    b.add(Arguments.of(mb, mask, lossIndex));
                }
            }
        }
        return b.build();
    }

    private static NeuralNetConfiguration.Builder base(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
                .updater(new NoOp()).dist(new UniformDistribution(-2, 2));
    }

    /** Random labels in [0, 1]: hard 0/1 with a few soft values, at least one positive. */
    private static INDArray labels(Random r, long... shape) {
        INDArray y = Nd4j.create(DataType.DOUBLE, shape);
        long n = y.length();
        INDArray flat = y.reshape(n);
        for (long i = 0; i < n; i++) {
            double u = r.nextDouble();
            flat.putScalar(i, u < 0.3 ? 1.0 : u < 0.45 ? r.nextDouble() : 0.0);
        }
        flat.putScalar(0, 1.0);
        return y;
    }

    /** A 0/1 mask of the given shape, never all zero. */
    private static INDArray mask(Random r, long... shape) {
        INDArray m = Nd4j.create(DataType.DOUBLE, shape);
        INDArray flat = m.reshape(m.length());
        for (long i = 0; i < m.length(); i++) {
            flat.putScalar(i, r.nextDouble() < 0.7 ? 1.0 : 0.0);
        }
        flat.putScalar(0, 1.0);
        return m;
    }

    /** A mask for the given kind: null, per example (e.g. [N,1], [N,1,H,W], [N,T]) or per output (labels' shape). */
    private static INDArray maskFor(MaskKind kind, Random r, long[] perExampleShape, long[] labelShape) {
        return kind == MaskKind.NONE ? null : mask(r, kind == MaskKind.PER_EXAMPLE ? perExampleShape : labelShape);
    }

    /** Builds the network, draws input in [-2, 2), labels and mask, and runs GradientCheckUtil. */
    private static void assertGradientsMatch(MultiLayerConfiguration conf, Random r, MaskKind maskKind,
                                             long[] inShape, long[] labelShape, long[] perExampleMaskShape) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        INDArray in = Nd4j.rand(DataType.DOUBLE, inShape).subi(0.5).muli(4);
        INDArray y = labels(r, labelShape);
        INDArray m = maskFor(maskKind, r, perExampleMaskShape, labelShape);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in)
                .labels(y).labelMask(m).epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)));
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void outputLayer(int mb, MaskKind maskKind, int lossIndex) {
        int nIn = 4, nOut = 3;
        MultiLayerConfiguration conf = base(12345).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(nOut).activation(Activation.SIGMOID)
                        .lossFunction(losses(nOut)[lossIndex]).build())
                .build();
        assertGradientsMatch(conf, new Random(1 + mb * 31L + lossIndex), maskKind,
                new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void lossLayer(int mb, MaskKind maskKind, int lossIndex) {
        int nIn = 4, nOut = 3;
        MultiLayerConfiguration conf = base(23456).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(nOut).activation(Activation.IDENTITY).build())
                .layer(new LossLayer.Builder().activation(Activation.SIGMOID)
                        .lossFunction(losses(nOut)[lossIndex]).build())
                .build();
        assertGradientsMatch(conf, new Random(2 + mb * 31L + lossIndex), maskKind,
                new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void cnnLossLayerNchw(int mb, MaskKind maskKind, int lossIndex) {
        int c = 2, nOut = 3, h = 3, w = 4;
        MultiLayerConfiguration conf = base(34567).list()
                .layer(new ConvolutionLayer.Builder().nIn(c).nOut(nOut).kernelSize(2, 2).stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new CnnLossLayer.Builder().activation(Activation.SIGMOID)
                        .lossFunction(losses(nOut)[lossIndex]).build())
                .build();
        // CnnLossLayer masks: [N,1,H,W] per position (per example of the N·H·W rows) or [N,C,H,W] per output.
        assertGradientsMatch(conf, new Random(3 + mb * 31L + lossIndex), maskKind,
                new long[] {mb, c, h, w}, new long[] {mb, nOut, h, w}, new long[] {mb, 1, h, w});
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void rnnOutputLayer(int mb, MaskKind maskKind, int lossIndex) {
        int nIn = 3, nOut = 3, t = 4;
        MultiLayerConfiguration conf = base(45678).list()
                .layer(new SimpleRnn.Builder().nIn(nIn).nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder().nIn(4).nOut(nOut).activation(Activation.SIGMOID)
                        .lossFunction(losses(nOut)[lossIndex]).build())
                .build();
        // RNN masks: [N,T] per time step (per example of the N·T rows) or [N,C,T] per output.
        assertGradientsMatch(conf, new Random(4 + mb * 31L + lossIndex), maskKind,
                new long[] {mb, nIn, t}, new long[] {mb, nOut, t}, new long[] {mb, t});
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void computationGraphWithTwoOutputs(int mb, MaskKind maskKind, int lossIndex) {
        Random r = new Random(5 + mb * 31L + lossIndex);
        int nIn = 4, nOutA = 3, nOutB = 2;
        ComputationGraphConfiguration conf = base(56789).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("outA", new OutputLayer.Builder().nIn(5).nOut(nOutA).activation(Activation.SIGMOID)
                        .lossFunction(losses(nOutA)[lossIndex]).build(), "dense")
                .addLayer("outB", new OutputLayer.Builder().nIn(5).nOut(nOutB).activation(Activation.SIGMOID)
                        .lossFunction(new LossFocal(0.5, 1.0)).build(), "dense")
                .setOutputs("outA", "outB")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray in = Nd4j.rand(DataType.DOUBLE, mb, nIn).subi(0.5).muli(4);
        INDArray[] ys = {labels(r, mb, nOutA), labels(r, mb, nOutB)};
        INDArray[] masks = maskKind == MaskKind.NONE ? null
                : maskKind == MaskKind.PER_EXAMPLE ? new INDArray[] {mask(r, mb, 1), mask(r, mb, 1)}
                : new INDArray[] {mask(r, mb, nOutA), mask(r, mb, nOutB)};
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {in}).labels(ys).labelMask(masks).epsilon(EPS)
                .maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)));
    }

    @ParameterizedTest(name = "mb={0} mask={1} loss#{2}")
    @MethodSource("grid")
    void nonSigmoidActivationBackpropsThroughIt(int mb, MaskKind maskKind, int lossIndex) {
        // Softmax outputs read as probabilities: exercises the probability path and activation backprop.
        Random r = new Random(6 + mb * 31L + lossIndex);
        int nIn = 4, nOut = 3;
        LossFocal loss = ((LossFocal) losses(nOut)[lossIndex]).toBuilder().clipEpsilon(0).build();
        MultiLayerConfiguration conf = base(67890).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(nOut).activation(Activation.SOFTMAX)
                        .lossFunction(loss).build())
                .build();
        assertGradientsMatch(conf, r, maskKind, new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }
}
