package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
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
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.iter.NdIndexIterator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * DL4J's GradientCheckUtil (central differences, double precision) for every loss on every layer
 * kind it is used in: OutputLayer, LossLayer, CnnLossLayer (NCHW), RnnOutputLayer and a two-output
 * ComputationGraph (each loss with its logit activation: sigmoid, or softmax for the categorical
 * loss), plus each loss's probability path; minibatch 1 and 3; no mask, per-example mask,
 * per-output mask (row-constant for the categorical loss, which refuses per-class masks).
 */
@ExtendWith(DoublePrecision.class)
class GradientCheckTest {

    private static final double EPS = 1e-6;
    private static final double MAX_REL_ERROR = 1e-5;
    private static final double MIN_ABS_ERROR = 1e-9;

    enum MaskKind { NONE, PER_EXAMPLE, PER_OUTPUT }

    /** A loss, the activation its logit path is written for, and one that takes its probability path. */
    static final class Setup {
        final String name;
        final AbstractFocalLoss loss;
        final Activation logitActivation;
        final AbstractFocalLoss unclippedLoss;
        final Activation probabilityActivation;

        Setup(String name, AbstractFocalLoss loss, AbstractFocalLoss unclippedLoss, boolean categorical) {
            this.name = name;
            this.loss = loss;
            this.unclippedLoss = unclippedLoss;
            this.logitActivation = categorical ? Activation.SOFTMAX : Activation.SIGMOID;
            this.probabilityActivation = categorical ? Activation.SIGMOID : Activation.SOFTMAX;
        }

        boolean categorical() {
            return logitActivation == Activation.SOFTMAX;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The loss configurations every layer is checked with (nOut = 3 everywhere). */
    static final List<Setup> SETUPS = setups();

    private static List<Setup> setups() {
        INDArray w = Nd4j.create(new double[] {0.5, 1.25, 2.0});
        LossFocal focal = LossFocal.builder().alpha(0.75).gamma(5).labelSmoothing(0.1).weights(w).build();
        LossCategoricalFocal categorical = LossCategoricalFocal.builder().alpha(0.25, 1.0, 2.0).gamma(0.5)
                .labelSmoothing(0.1).weights(w).build();
        LossFocalStar star = LossFocalStar.builder().alpha(-1).gamma(4).beta(0).labelSmoothing(0.1).weights(w).build();
        return List.of(
                new Setup("LossFocal()", new LossFocal(), LossFocal.builder().clipEpsilon(0).build(), false),
                new Setup("LossFocal(-1,0.5)", new LossFocal(-1, 0.5),
                        LossFocal.builder().alpha(-1).gamma(0.5).clipEpsilon(0).build(), false),
                new Setup("LossFocal(all settings)", focal, focal.toBuilder().clipEpsilon(0).build(), false),
                new Setup("LossCategoricalFocal()", new LossCategoricalFocal(),
                        LossCategoricalFocal.builder().clipEpsilon(0).build(), true),
                new Setup("LossCategoricalFocal(all settings)", categorical,
                        categorical.toBuilder().clipEpsilon(0).build(), true),
                new Setup("LossFocalStar()", new LossFocalStar(), LossFocalStar.builder().clipEpsilon(0).build(), false),
                new Setup("LossFocalStar(all settings)", star, star.toBuilder().clipEpsilon(0).build(), false));
    }

    static Stream<Arguments> grid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (Setup setup : SETUPS) {
            for (int mb : new int[] {1, 3}) {
                for (MaskKind mask : MaskKind.values()) {
                    b.add(Arguments.of(setup, mb, mask));
                }
            }
        }
        return b.build();
    }

    private static NeuralNetConfiguration.Builder base(long seed) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
                .updater(new NoOp()).dist(new UniformDistribution(-2, 2));
    }

    /**
     * Random labels of {@code shape} (class dimension 1). Binary: 0/1 with some soft values, at least
     * one positive. Categorical: per position a one-hot row or a soft two-class mix (rows sum to 1).
     */
    private static INDArray labels(Random r, boolean categorical, long... shape) {
        INDArray y = Nd4j.create(DataType.DOUBLE, shape);
        if (!categorical) {
            INDArray flat = y.reshape(y.length());
            for (long i = 0; i < y.length(); i++) {
                double u = r.nextDouble();
                flat.putScalar(i, u < 0.3 ? 1.0 : u < 0.45 ? r.nextDouble() : 0.0);
            }
            flat.putScalar(0, 1.0);
            return y;
        }
        int classes = (int) shape[1];
        for (long[] pos : positions(shape)) {
            int c = r.nextInt(classes);
            boolean soft = r.nextDouble() < 0.3;
            pos[1] = c;
            y.putScalar(pos, soft ? 0.6 : 1.0);
            if (soft) {
                pos[1] = (c + 1) % classes;
                y.putScalar(pos, 0.4);
            }
        }
        return y;
    }

    /** Every index of {@code shape} with the class dimension (1) fixed at 0. */
    private static List<long[]> positions(long... shape) {
        long[] oneClass = shape.clone();
        oneClass[1] = 1;
        List<long[]> out = new ArrayList<>();
        NdIndexIterator it = new NdIndexIterator(oneClass);
        while (it.hasNext()) {
            out.add(it.next().clone());
        }
        return out;
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

    /** A per-output mask constant across the class dimension: the only per-output mask a softmax loss accepts. */
    private static INDArray rowConstantMask(Random r, long... labelShape) {
        INDArray m = Nd4j.create(DataType.DOUBLE, labelShape);
        boolean first = true;
        for (long[] pos : positions(labelShape)) {
            double v = first || r.nextDouble() < 0.7 ? 1.0 : 0.0;
            first = false;
            for (int c = 0; c < labelShape[1]; c++) {
                pos[1] = c;
                m.putScalar(pos, v);
            }
        }
        return m;
    }

    /** A mask for the given kind: null, per example (e.g. [N,1], [N,1,H,W], [N,T]) or per output (labels' shape). */
    private static INDArray maskFor(MaskKind kind, Random r, boolean categorical, long[] perExampleShape,
                                    long[] labelShape) {
        switch (kind) {
            case NONE:
                return null;
            case PER_EXAMPLE:
                return mask(r, perExampleShape);
            default:
                return categorical ? rowConstantMask(r, labelShape) : mask(r, labelShape);
        }
    }

    /** Builds the network, draws input in [-2, 2), labels and mask, and runs GradientCheckUtil. */
    private static void assertGradientsMatch(MultiLayerConfiguration conf, Setup setup, Random r, MaskKind maskKind,
                                             long[] inShape, long[] labelShape, long[] perExampleMaskShape) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        INDArray in = Nd4j.rand(DataType.DOUBLE, inShape).subi(0.5).muli(4);
        INDArray y = labels(r, setup.categorical(), labelShape);
        INDArray m = maskFor(maskKind, r, setup.categorical(), perExampleMaskShape, labelShape);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(in)
                .labels(y).labelMask(m).epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)));
    }

    private static Random random(int test, Setup setup, int mb) {
        return new Random(test * 1000L + SETUPS.indexOf(setup) * 31L + mb);
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void outputLayer(Setup setup, int mb, MaskKind maskKind) {
        int nIn = 4, nOut = 3;
        MultiLayerConfiguration conf = base(12345).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(nOut).activation(setup.logitActivation)
                        .lossFunction(setup.loss).build())
                .build();
        assertGradientsMatch(conf, setup, random(1, setup, mb), maskKind,
                new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void lossLayer(Setup setup, int mb, MaskKind maskKind) {
        int nIn = 4, nOut = 3;
        MultiLayerConfiguration conf = base(23456).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(nOut).activation(Activation.IDENTITY).build())
                .layer(new LossLayer.Builder().activation(setup.logitActivation).lossFunction(setup.loss).build())
                .build();
        assertGradientsMatch(conf, setup, random(2, setup, mb), maskKind,
                new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void cnnLossLayerNchw(Setup setup, int mb, MaskKind maskKind) {
        int c = 2, nOut = 3, h = 3, w = 4;
        MultiLayerConfiguration conf = base(34567).list()
                .layer(new ConvolutionLayer.Builder().nIn(c).nOut(nOut).kernelSize(2, 2).stride(1, 1)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build())
                .layer(new CnnLossLayer.Builder().activation(setup.logitActivation).lossFunction(setup.loss).build())
                .build();
        // CnnLossLayer masks: [N,1,H,W] per position (per example of the N·H·W rows) or [N,C,H,W] per output.
        assertGradientsMatch(conf, setup, random(3, setup, mb), maskKind,
                new long[] {mb, c, h, w}, new long[] {mb, nOut, h, w}, new long[] {mb, 1, h, w});
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void rnnOutputLayer(Setup setup, int mb, MaskKind maskKind) {
        int nIn = 3, nOut = 3, t = 4;
        MultiLayerConfiguration conf = base(45678).list()
                .layer(new SimpleRnn.Builder().nIn(nIn).nOut(4).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder().nIn(4).nOut(nOut).activation(setup.logitActivation)
                        .lossFunction(setup.loss).build())
                .build();
        // RNN masks: [N,T] per time step (per example of the N·T rows) or [N,C,T] per output.
        assertGradientsMatch(conf, setup, random(4, setup, mb), maskKind,
                new long[] {mb, nIn, t}, new long[] {mb, nOut, t}, new long[] {mb, t});
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void computationGraphWithTwoOutputs(Setup setup, int mb, MaskKind maskKind) {
        Random r = random(5, setup, mb);
        int nIn = 4, nOut = 3;
        ComputationGraphConfiguration conf = base(56789).graphBuilder()
                .addInputs("in")
                .addLayer("dense", new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("outA", new OutputLayer.Builder().nIn(5).nOut(nOut).activation(setup.logitActivation)
                        .lossFunction(setup.loss).build(), "dense")
                .addLayer("outB", new OutputLayer.Builder().nIn(5).nOut(2).activation(Activation.SIGMOID)
                        .lossFunction(new LossFocal(0.5, 1.0)).build(), "dense")
                .setOutputs("outA", "outB")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray in = Nd4j.rand(DataType.DOUBLE, mb, nIn).subi(0.5).muli(4);
        INDArray[] ys = {labels(r, setup.categorical(), mb, nOut), labels(r, false, mb, 2)};
        INDArray[] masks = maskKind == MaskKind.NONE ? null : new INDArray[] {
                maskFor(maskKind, r, setup.categorical(), new long[] {mb, 1}, new long[] {mb, nOut}),
                maskFor(maskKind, r, false, new long[] {mb, 1}, new long[] {mb, 2})};
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {in}).labels(ys).labelMask(masks).epsilon(EPS)
                .maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)));
    }

    @ParameterizedTest(name = "{0} mb={1} mask={2}")
    @MethodSource("grid")
    void probabilityPathBackpropsThroughTheActivation(Setup setup, int mb, MaskKind maskKind) {
        // Softmax outputs for the binary losses, sigmoid outputs for the categorical one: read as
        // probabilities (clipping off), so the gradient goes through the activation's backprop.
        int nIn = 4, nOut = 3;
        MultiLayerConfiguration conf = base(67890).list()
                .layer(new DenseLayer.Builder().nIn(nIn).nOut(5).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().nIn(5).nOut(nOut).activation(setup.probabilityActivation)
                        .lossFunction(setup.unclippedLoss).build())
                .build();
        assertGradientsMatch(conf, setup, random(6, setup, mb), maskKind,
                new long[] {mb, nIn}, new long[] {mb, nOut}, new long[] {mb, 1});
    }
}
