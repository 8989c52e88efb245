package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Set;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * The box-regression layer: smooth-L1 over positive anchors ÷ n against a hand computation, β = 0 (L1),
 * NCHW = NHWC, gradient checks, and the moving-average normaliser kept as network state.
 */
@ExtendWith(DoublePrecision.class)
class BoxRegressionLossLayerTest {

    static final int N = 2;
    static final int C_IN = 2;
    static final int A = 2;
    static final int H = 3;
    static final int W = 2;

    private static MultiLayerConfiguration conf(CNN2DFormat format, BoxRegressionLossLayer layer) {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE).updater(new NoOp())
                .dist(new UniformDistribution(-1, 1)).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nIn(C_IN).nOut(4 * A).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(format).activation(Activation.IDENTITY).build())
                .layer(layer)
                .build();
    }

    private static MultiLayerNetwork net(CNN2DFormat format, BoxRegressionLossLayer layer) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(format, layer));
        net.init();
        return net;
    }

    /** Input [N, C_IN, H, W], target deltas [N, 4A, H, W], positives [N, A, H, W] (3 positive anchors). */
    private static DataSet data() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W).subi(0.5);
        INDArray y = Nd4j.rand(DataType.DOUBLE, N, 4 * A, H, W).subi(0.5).muli(0.6);
        INDArray m = Nd4j.zeros(DataType.DOUBLE, N, A, H, W);
        m.putScalar(new long[] {0, 1, 0, 1}, 1).putScalar(new long[] {1, 0, 2, 0}, 1).putScalar(new long[] {1, 1, 1, 1}, 1);
        return new DataSet(x, y, null, m);
    }

    private static double smoothL1(double d, double beta) {
        double a = Math.abs(d);
        return beta == 0 ? a : a < beta ? 0.5 * d * d / beta : a - 0.5 * beta;
    }

    @Test
    void scoreIsSmoothL1OverPositivesDividedByTheirCount() {
        for (double beta : new double[] {0.1, 0.0, 1.0}) {
            MultiLayerNetwork net = net(CNN2DFormat.NCHW, new BoxRegressionLossLayer.Builder().beta(beta).build());
            DataSet ds = data();
            INDArray pred = net.output(ds.getFeatures());
            double expected = 0;
            for (int n = 0; n < N; n++) {
                for (int a = 0; a < A; a++) {
                    for (int h = 0; h < H; h++) {
                        for (int w = 0; w < W; w++) {
                            if (ds.getLabelsMaskArray().getDouble(n, a, h, w) == 1) {
                                for (int j = 0; j < 4; j++) {
                                    expected += smoothL1(pred.getDouble(n, 4 * a + j, h, w)
                                            - ds.getLabels().getDouble(n, 4 * a + j, h, w), beta);
                                }
                            }
                        }
                    }
                }
            }
            assertEquals(expected / 3, net.score(ds), 1e-12, "beta " + beta);
        }
    }

    @Test
    void nhwcEqualsNchw() {
        MultiLayerNetwork nchw = net(CNN2DFormat.NCHW, new BoxRegressionLossLayer.Builder().format(CNN2DFormat.NCHW).build());
        MultiLayerNetwork nhwc = net(CNN2DFormat.NHWC, new BoxRegressionLossLayer.Builder().format(CNN2DFormat.NHWC).build());
        nhwc.setParams(nchw.params());
        DataSet ds = data();
        assertEquals(nchw.score(ds), nhwc.score(nhwc(ds)), 1e-12);
    }

    @Test
    void gradientChecks() {
        for (CNN2DFormat format : CNN2DFormat.values()) {
            for (double beta : new double[] {0.5, 0.0}) {
                MultiLayerNetwork net = net(format, new BoxRegressionLossLayer.Builder().beta(beta).format(format).build());
                DataSet ds = data();
                if (format == CNN2DFormat.NHWC) {
                    ds = nhwc(ds);
                }
                boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                        .input(ds.getFeatures()).labels(ds.getLabels()).labelMask(ds.getLabelsMaskArray())
                        .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8));
                assertTrue(ok, format + " beta " + beta);
            }
        }
    }

    /** The same data in NHWC. */
    private static DataSet nhwc(DataSet ds) {
        return new DataSet(AnchorLossLayerTest.nhwc(ds.getFeatures()), AnchorLossLayerTest.nhwc(ds.getLabels()), null,
                AnchorLossLayerTest.nhwc(ds.getLabelsMaskArray()));
    }

    private static MultiDataSet multi(DataSet ds) {
        return new MultiDataSet(new INDArray[] {ds.getFeatures()}, new INDArray[] {ds.getLabels()}, null,
                new INDArray[] {ds.getLabelsMaskArray()});
    }

    private static NeuralNetConfiguration.Builder base(IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE).updater(updater)
                .dist(new UniformDistribution(-1, 1));
    }

    /** conv → box layer with a moving-average normaliser (μ = 0.9, n₀ = 100). */
    private static ComputationGraphConfiguration graph(NeuralNetConfiguration.Builder base) {
        return base.graphBuilder().addInputs("in")
                .addLayer("conv", new ConvolutionLayer.Builder(2, 2).nIn(C_IN).nOut(4 * A)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), "in")
                .addLayer("box", new BoxRegressionLossLayer.Builder()
                        .normaliser(PositiveNormaliser.movingAverage(0.9, 100)).build(), "conv")
                .setOutputs("box").build();
    }

    /** {@link #graph(NeuralNetConfiguration.Builder)} with SGD, so that the stored value moves. */
    private static ComputationGraphConfiguration graph() {
        return graph(base(new Sgd(0.1)));
    }

    @Test
    void movingAverageNormaliserIsNetworkState(@TempDir Path dir) throws Exception {
        ComputationGraph net = new ComputationGraph(graph());
        net.init();
        DataSet ds = data();
        MultiDataSet mds = multi(ds);
        assertEquals(100.0, net.getLayer("box").getParam(NormaliserParams.KEY).getDouble(0), 0.0);
        double expected = 100;
        for (int step = 0; step < 3; step++) {
            net.fit(mds);
            expected = 0.9 * expected + 0.1 * 3;                                   // P = 3 positives per step
            assertEquals(expected, net.getLayer("box").getParam(NormaliserParams.KEY).getDouble(0), 1e-12, "step " + step);
        }
        File file = dir.resolve("box.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
        assertEquals(expected, restored.getLayer("box").getParam(NormaliserParams.KEY).getDouble(0), 0.0);
        net.fit(mds);
        restored.fit(mds);
        assertEquals(net.params(), restored.params());
        assertEquals(graph(), ComputationGraphConfiguration.fromJson(graph().toJson()));
    }

    @Test
    void gradientCheckWithTheMovingAverage() {
        ComputationGraph net = new ComputationGraph(graph(base(new NoOp())));
        net.init();
        DataSet ds = data();
        // The stored normaliser is state, not a weight: it is excluded, as DL4J excludes batch norm's running mean.
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {ds.getFeatures()}).labels(new INDArray[] {ds.getLabels()})
                .labelMask(new INDArray[] {ds.getLabelsMaskArray()}).excludeParams(Set.of("box_" + NormaliserParams.KEY))
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8));
        assertTrue(ok);
    }

    @Test
    void refusesMissingOrBadMasks() {
        MultiLayerNetwork net = net(CNN2DFormat.NCHW, new BoxRegressionLossLayer.Builder().build());
        DataSet ds = data();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.score(new DataSet(ds.getFeatures(), ds.getLabels())));
        assertTrue(e.getMessage().contains("mask of the positive anchors"), e.getMessage());
        INDArray negative = ds.getLabelsMaskArray().dup().putScalar(0, -1.0);
        e = assertThrows(IllegalArgumentException.class,
                () -> net.score(new DataSet(ds.getFeatures(), ds.getLabels(), null, negative)));
        assertTrue(e.getMessage().contains(">= 0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BoxRegressionLossLayer.Builder().beta(-1));
        assertThrows(IllegalArgumentException.class, () -> PositiveNormaliser.movingAverage(1.0, 100));
        assertThrows(IllegalArgumentException.class, () -> PositiveNormaliser.movingAverage(0.9, 0.5));
    }

    @Test
    void anchorLossLayerKeepsTheSameNormaliserOverPyramidLayout() {
        // The classification layer on [N, A·K, M] (a pyramid's layout) with a moving average: its stored value
        // moves like the box layer's, from the same positive count.
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(new Sgd(0.1)).graphBuilder().addInputs("in")
                .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.recurrent(6, 5))
                .addLayer("cls", new AnchorLossLayer.Builder(new LossFocal()).integerLabels(3)
                        .normaliser(PositiveNormaliser.movingAverage(0.5, 10)).build(), "in")
                .setOutputs("cls").build());
        net.init();
        INDArray logits = Nd4j.rand(DataType.DOUBLE, 1, 6, 5);
        INDArray labels = Nd4j.createFromArray(new double[][][] {{{0, 3, 3, -1, 2}, {3, 3, 1, 3, 3}}});   // 3 positives
        net.fit(new MultiDataSet(new INDArray[] {logits}, new INDArray[] {labels}));
        assertEquals(0.5 * 10 + 0.5 * 3, net.getLayer("cls").getParam(NormaliserParams.KEY).getDouble(0), 1e-12);
    }

    @Test
    void hugeErrorsAndTinyBetaStayFinite() {
        MultiLayerNetwork net = net(CNN2DFormat.NCHW, new BoxRegressionLossLayer.Builder().beta(1e-30).build());
        DataSet ds = data();
        INDArray far = ds.getLabels().add(1e5);                                  // |d| ≈ 1e5 ≫ β
        double score = net.score(new DataSet(ds.getFeatures(), far, null, ds.getLabelsMaskArray()));
        assertTrue(Double.isFinite(score) && score > 1e5, "score " + score);
        net.setInput(ds.getFeatures());
        net.setLabels(far);
        net.setLayerMaskArrays(null, ds.getLabelsMaskArray());
        net.computeGradientAndScore();
        assertTrue(Double.isFinite(net.gradient().gradient().sumNumber().doubleValue()));
    }

    @Test
    void gradientCheckWithoutMinibatchDivision() {
        // With miniBatch(false) DL4J's updater does not divide by N: the layer must not multiply by it either.
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(new NoOp()).miniBatch(false).dist(new UniformDistribution(-1, 1)).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nIn(C_IN).nOut(4 * A).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build())
                .layer(new BoxRegressionLossLayer.Builder().beta(0.5).build()).build());
        net.init();
        DataSet ds = data();
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(ds.getFeatures())
                .labels(ds.getLabels()).labelMask(ds.getLabelsMaskArray()).epsilon(1e-6).maxRelError(1e-5)
                .minAbsoluteError(1e-8)));
    }

    @Test
    void constraintsDoNotTouchTheNormaliser() {
        ComputationGraph net = new ComputationGraph(graph(base(new Sgd(0.1))
                .constrainAllParameters(new org.deeplearning4j.nn.conf.constraint.MaxNormConstraint(1, 1)).weightDecay(0.1)));
        net.init();
        net.fit(multi(data()));
        assertEquals(0.9 * 100 + 0.1 * 3, net.getLayer("box").getParam(NormaliserParams.KEY).getDouble(0), 1e-12);
    }

    @Test
    void settersRefuseWhatTheBuilderRefuses() {
        BoxRegressionLossLayer layer = new BoxRegressionLossLayer();
        assertThrows(IllegalArgumentException.class, () -> layer.setFormat(null));
        assertThrows(IllegalArgumentException.class, () -> layer.setNormaliser(null));
        assertThrows(IllegalArgumentException.class, () -> layer.setBeta(Double.NaN));
        AnchorLossLayer cls = new AnchorLossLayer();
        assertThrows(IllegalArgumentException.class, () -> cls.setIntegerLabelClasses(-1));
        assertThrows(IllegalArgumentException.class, () -> cls.setLossFn(null));
        assertThrows(IllegalArgumentException.class, () -> new BoxRegressionLossLayer.Builder()
                .activation(Activation.SIGMOID).build());
    }
}
