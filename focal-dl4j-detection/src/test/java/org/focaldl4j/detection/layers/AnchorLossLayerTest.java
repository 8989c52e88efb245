package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/** The anchor loss layer: Σℓ ÷ max(1, positives), both data formats, masks, gradient checks, persistence. */
@ExtendWith(DoublePrecision.class)
class AnchorLossLayerTest {

    static final int N = 2;
    static final int C_IN = 2;
    static final int AK = 6;     // A = 2 anchors × K = 3 classes
    static final int H = 3;
    static final int W = 4;

    private static MultiLayerConfiguration conf(CNN2DFormat format, ILossFunction loss) {
        return conf(format, new AnchorLossLayer.Builder(loss).format(format).build());
    }

    /** A 2×2 conv (C_IN → A·K = 6 channels) feeding the given anchor loss layer; also used by AnchorIntegerLabelsTest. */
    static MultiLayerConfiguration conf(CNN2DFormat format, AnchorLossLayer lossLayer) {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new NoOp())
                .dist(new UniformDistribution(-1.5, 1.5)).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nIn(C_IN).nOut(AK).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(format).activation(Activation.IDENTITY).build())
                .layer(lossLayer)
                .build();
    }

    /** NCHW array → the same values in NHWC layout. */
    static INDArray nhwc(INDArray nchw) {
        return nchw.permute(0, 2, 3, 1).dup('c');
    }

    private static INDArray labelsNchw(long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray y = Nd4j.rand(DataType.DOUBLE, N, AK, H, W).gt(0.85).castTo(DataType.DOUBLE);
        y.putScalar(new long[] {0, 1, 1, 2}, 1.0);
        return y;
    }

    @Test
    void scoreIsTheSumOverAnchorsDividedByThePositives() {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(CNN2DFormat.NCHW, new LossFocal()));
        net.init();
        Nd4j.getRandom().setSeed(1);
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        INDArray y = labelsNchw(2);
        INDArray logits = net.feedForwardToLayer(0, in).get(1);                    // conv output [N, A·K, H, W]
        INDArray x2 = logits.permute(0, 2, 3, 1).dup('c').reshape(N * H * W, AK);
        INDArray y2 = y.permute(0, 2, 3, 1).dup('c').reshape(N * H * W, AK);
        double sum = new LossFocal().computeScore(y2, x2, new ActivationSigmoid(), null, false);
        double positives = y.sumNumber().doubleValue();
        assertTrue(positives >= 1);
        assertEquals(sum / positives, net.score(new DataSet(in, y)), 1e-12);

        // No positives at all: ÷ max(1, 0) = 1.
        INDArray none = Nd4j.zeros(DataType.DOUBLE, N, AK, H, W);
        double sumNone = new LossFocal().computeScore(y2.mul(0), x2, new ActivationSigmoid(), null, false);
        assertEquals(sumNone, net.score(new DataSet(in, none)), 1e-12);
    }

    @Test
    void nhwcGivesTheSameScoreAsNchw() {
        MultiLayerNetwork nchw = new MultiLayerNetwork(conf(CNN2DFormat.NCHW, new LossFocal()));
        nchw.init();
        MultiLayerNetwork nhwcNet = new MultiLayerNetwork(conf(CNN2DFormat.NHWC, new LossFocal()));
        nhwcNet.init();
        nhwcNet.setParams(nchw.params());           // same kernel values; layouts differ only in activations
        Nd4j.getRandom().setSeed(4);
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        INDArray y = labelsNchw(5);
        INDArray mask = Nd4j.rand(DataType.DOUBLE, N, AK, H, W).gt(0.2).castTo(DataType.DOUBLE);
        DataSet a = new DataSet(in, y, null, mask);
        DataSet b = new DataSet(nhwc(in), nhwc(y), null, nhwc(mask));
        assertEquals(nchw.score(a), nhwcNet.score(b), 1e-12);
        INDArray scoresA = nchw.scoreExamples(a, false);
        INDArray scoresB = nhwcNet.scoreExamples(b, false);
        assertEquals(scoresA, scoresB);
    }

    static Stream<Arguments> gradientGrid() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (CNN2DFormat f : CNN2DFormat.values()) {
            for (String mask : new String[] {"none", "labels-shape", "per-location", "per-image"}) {
                b.add(Arguments.of(f, mask));
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} mask={1}")
    @MethodSource("gradientGrid")
    void gradientCheck(CNN2DFormat format, String maskKind) {
        for (ILossFunction loss : new ILossFunction[] {new LossFocal(), new LossFocalStar(-1, 2, 1)}) {
            MultiLayerNetwork net = new MultiLayerNetwork(conf(format, loss));
            net.init();
            Nd4j.getRandom().setSeed(6);
            INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
            INDArray y = labelsNchw(7);
            INDArray mask;
            switch (maskKind) {
                case "labels-shape":
                    mask = Nd4j.rand(DataType.DOUBLE, N, AK, H, W).gt(0.3).castTo(DataType.DOUBLE);
                    break;
                case "per-location":
                    mask = Nd4j.rand(DataType.DOUBLE, N, 1, H, W).gt(0.3).castTo(DataType.DOUBLE);
                    break;
                case "per-image":
                    mask = Nd4j.create(new double[][] {{1}, {0}});
                    break;
                default:
                    mask = null;
            }
            boolean nhwcFormat = format == CNN2DFormat.NHWC;
            INDArray maskIn = mask == null || mask.rank() == 2 || !nhwcFormat ? mask : nhwc(mask);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                    .input(nhwcFormat ? nhwc(in) : in).labels(nhwcFormat ? nhwc(y) : y).labelMask(maskIn)
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)), loss + " " + format + " " + maskKind);
        }
    }

    @Test
    void jsonAndModelSerializerRoundTrips(@TempDir Path dir) throws Exception {
        MultiLayerConfiguration conf = conf(CNN2DFormat.NHWC, LossFocal.builder().alpha(0.5).gamma(1).build());
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        AnchorLossLayer layer = (AnchorLossLayer) back.getConf(1).getLayer();
        assertEquals(CNN2DFormat.NHWC, layer.getFormat());
        assertEquals(LossFocal.builder().alpha(0.5).gamma(1).build(), layer.getLossFn());

        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        File file = dir.resolve("anchor.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        DataSet ds = new DataSet(nhwc(Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W)), nhwc(labelsNchw(8)));
        assertEquals(net.score(ds), restored.score(ds), 0.0);
    }
}
