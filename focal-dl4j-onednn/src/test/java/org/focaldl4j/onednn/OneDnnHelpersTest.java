package org.focaldl4j.onednn;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.nativeblas.NativeOpsHolder;

import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With {@code org.nd4j.nativeblas.Nd4jCpu} on the class path and ND4J's oneDNN build loaded (this module's test
 * class path), DL4J's convolution, subsampling and batch-normalisation layers get their oneDNN helper, and a
 * network computes what the same network without helpers computes: outputs, score and every parameter's
 * gradient (which includes the gradient each layer passes back to the one below), FLOAT, to the tolerance
 * measured below. DOUBLE networks keep DL4J's own path (the helpers take FLOAT only) and pass
 * {@code GradientCheckUtil}.
 */
class OneDnnHelpersTest {

    /** DL4J's own switch for its layer helpers; off by default in 1.0.0-M2.1. */
    static final String HELPERS_DISABLED = "org.eclipse.deeplearning4j.helpers.disable";

    private String before;

    @BeforeEach
    void allowDl4jHelpers() {
        assumeTrue("CPU".equalsIgnoreCase(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend")),
                "DL4J's oneDNN helpers are for ND4J's CPU backend");
        before = System.getProperty(HELPERS_DISABLED);
        System.setProperty(HELPERS_DISABLED, "false");
    }

    @AfterEach
    void restoreTheProperty() {
        if (before == null) {
            System.clearProperty(HELPERS_DISABLED);
        } else {
            System.setProperty(HELPERS_DISABLED, before);
        }
    }

    /**
     * Largest |helper − plain| / max|plain| allowed per array. Measured over every case here: at most 2.2e-7 for
     * outputs and 9.8e-7 for gradients (FLOAT's epsilon is 1.2e-7: the two paths sum in different orders).
     */
    private static final double TOLERANCE = 1e-5;

    @Test
    void dl4jFindsTheSettingAndTheLayersGetTheirHelpers() {
        assertTrue(NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().contains("HAVE_ONEDNN"),
                "ND4J's oneDNN build is on this module's test class path");
        assertTrue(org.nd4j.nativeblas.Nd4jCpu.Environment.getInstance().isUseMKLDNN());
        assertTrue(BaseMKLDNNHelper.mklDnnEnabled());
        MultiLayerNetwork net = network(DataType.FLOAT, CNN2DFormat.NCHW, ConvolutionMode.Same, 2, true, true);
        assertInstanceOf(MKLDNNConvHelper.class, net.getLayer(0).getHelper());
        assertInstanceOf(MKLDNNBatchNormHelper.class, net.getLayer(1).getHelper());
        assertInstanceOf(MKLDNNSubsamplingHelper.class, net.getLayer(2).getHelper());
        MultiLayerNetwork plain = withoutHelpers(() -> network(DataType.FLOAT, CNN2DFormat.NCHW, ConvolutionMode.Same, 2, true, true));
        for (Layer layer : plain.getLayers()) {
            assertNull(layer.getHelper(), "built while helpers were disallowed");
        }
        assertTrue(Nd4j.getEnvironment().helpersAllowed(), "the test restored ND4J's setting");
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(CNN2DFormat.NCHW, ConvolutionMode.Same, 1, true, false),
                Arguments.of(CNN2DFormat.NCHW, ConvolutionMode.Same, 2, true, true),
                Arguments.of(CNN2DFormat.NCHW, ConvolutionMode.Truncate, 1, false, true),
                Arguments.of(CNN2DFormat.NCHW, ConvolutionMode.Truncate, 2, true, false),
                Arguments.of(CNN2DFormat.NHWC, ConvolutionMode.Same, 1, true, true),
                Arguments.of(CNN2DFormat.NHWC, ConvolutionMode.Same, 2, false, false),
                Arguments.of(CNN2DFormat.NHWC, ConvolutionMode.Truncate, 2, true, true));
    }

    @ParameterizedTest(name = "{0} {1} stride {2} bias {3} batch norm {4}")
    @MethodSource("cases")
    void helpersComputeWhatDl4jsOwnPathComputes(CNN2DFormat format, ConvolutionMode mode, int stride, boolean bias,
                                                boolean batchNorm) {
        MultiLayerNetwork fast = network(DataType.FLOAT, format, mode, stride, bias, batchNorm);
        MultiLayerNetwork plain = withoutHelpers(() -> network(DataType.FLOAT, format, mode, stride, bias, batchNorm));
        assertInstanceOf(MKLDNNConvHelper.class, fast.getLayer(0).getHelper());
        assertNull(plain.getLayer(0).getHelper());
        plain.setParams(fast.params().dup());

        INDArray x = input(DataType.FLOAT, format, 11);
        INDArray y = labels(fast, x, 12);
        assertClose("output", plain.output(x, false), fast.output(x, false));

        fast.setInput(x);
        fast.setLabels(y);
        fast.computeGradientAndScore();
        plain.setInput(x);
        plain.setLabels(y);
        plain.computeGradientAndScore();
        assertEquals(plain.score(), fast.score(), TOLERANCE * Math.abs(plain.score()), "score");
        for (String key : plain.gradient().gradientForVariable().keySet()) {
            assertClose("gradient of " + key, plain.gradient().getGradientFor(key),
                    fast.gradient().getGradientFor(key));
        }
    }

    @Test
    void doubleNetworksKeepDl4jsOwnPathAndPassTheGradientCheck() {
        MultiLayerNetwork net = network(DataType.DOUBLE, CNN2DFormat.NCHW, ConvolutionMode.Same, 2, true, true);
        assertInstanceOf(MKLDNNConvHelper.class, net.getLayer(0).getHelper(), "the helper exists but takes FLOAT only");
        MultiLayerNetwork plain = withoutHelpers(() -> network(DataType.DOUBLE, CNN2DFormat.NCHW, ConvolutionMode.Same, 2, true, true));
        plain.setParams(net.params().dup());
        INDArray x = input(DataType.DOUBLE, CNN2DFormat.NCHW, 21);
        assertArrayEquals(plain.output(x, false).data().asDouble(), net.output(x, false).data().asDouble(),
                "DOUBLE falls back to the same code: same bits");

        INDArray y = labels(net, x, 22);
        DataType defaultType = Nd4j.dataType();
        DataType defaultFloatingType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // GradientCheckUtil refuses to run otherwise
        try {
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
                    .epsilon(1e-6).maxRelError(1e-3).minAbsoluteError(1e-8)
                    // batch norm's running mean and deviation are updated by the layer, not by gradient descent
                    .excludeParams(Set.of("1_mean", "1_log10stdev"))));
        } finally {
            Nd4j.setDefaultDataTypes(defaultType, defaultFloatingType);
        }
    }

    /** conv 3×3 (stride s) → [batch norm] → max pool 2×2 → conv 3×3 → MSE over the map; 2 images of 3×9×9. */
    private static MultiLayerNetwork network(DataType type, CNN2DFormat format, ConvolutionMode mode, int stride,
                                             boolean bias, boolean batchNorm) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(7).dataType(type)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).convolutionMode(mode).list();
        int i = 0;
        list.layer(i++, new ConvolutionLayer.Builder(3, 3).stride(stride, stride).padding(1, 1).nOut(6).hasBias(bias)
                .activation(Activation.TANH).dataFormat(format).build());
        if (batchNorm) {
            list.layer(i++, new BatchNormalization.Builder().dataFormat(format).build());
        }
        list.layer(i++, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(1, 1)
                .dataFormat(format).build());
        list.layer(i++, new ConvolutionLayer.Builder(3, 3).stride(1, 1).padding(1, 1).nOut(4)
                .activation(Activation.IDENTITY).dataFormat(format).build());
        list.layer(i, new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
                .format(format).build());
        MultiLayerConfiguration conf = list.setInputType(InputType.convolutional(9, 9, 3, format)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Builds with ND4J's helpers disallowed (DL4J decides per layer when it creates it), then restores the setting. */
    private static MultiLayerNetwork withoutHelpers(Supplier<MultiLayerNetwork> build) {
        boolean before = Nd4j.getEnvironment().helpersAllowed();
        Nd4j.getEnvironment().allowHelpers(false);
        try {
            return build.get();
        } finally {
            Nd4j.getEnvironment().allowHelpers(before);
        }
    }

    private static INDArray input(DataType type, CNN2DFormat format, long seed) {
        long[] shape = format == CNN2DFormat.NCHW ? new long[]{2, 3, 9, 9} : new long[]{2, 9, 9, 3};
        return Nd4j.getRandomFactory().getNewRandomInstance(seed).nextGaussian(shape).castTo(type);
    }

    private static INDArray labels(MultiLayerNetwork net, INDArray x, long seed) {
        long[] shape = net.output(x, false).shape();
        return Nd4j.getRandomFactory().getNewRandomInstance(seed).nextGaussian(shape).castTo(x.dataType());
    }

    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-30);
        double error = expected.sub(actual).amaxNumber().doubleValue() / scale;
        System.out.printf("%s: relative max error %.2e%n", what, error);
        assertTrue(error <= TOLERANCE, what + ": relative max error " + error + " > " + TOLERANCE);
    }
}
