package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Integer class labels for the anchor loss layer ({@code integerLabels(K)}): the same score, per-image
 * scores and gradients as the one-hot labels and ignore mask built here by plain loops
 * (independent code: Java loops there, ND4J ops in the layer), with and without an extra mask, both data
 * formats; {@code GradientCheckUtil}; bad indices refused by value and position; JSON keeps K.
 */
@ExtendWith(DoublePrecision.class)
class AnchorIntegerLabelsTest {

    static final int N = 2;
    static final int C_IN = AnchorLossLayerTest.C_IN;
    static final int A = 2;
    static final int K = 3;
    static final int H = 3;
    static final int W = 4;

    /** The conv + anchor loss layer of {@link AnchorLossLayerTest}, with one-hot or integer labels. */
    private static MultiLayerConfiguration conf(CNN2DFormat format, boolean integer) {
        AnchorLossLayer.Builder loss = new AnchorLossLayer.Builder(new LossFocal()).format(format);
        if (integer) {
            loss.integerLabels(K);
        }
        return AnchorLossLayerTest.conf(format, loss.build());
    }

    /** Per image: anchor labels in {−1, 0..K} (index (h·W + w)·A + a), at least one of each kind. */
    private static int[][] anchorLabels(long seed) {
        Random r = new Random(seed);
        int[][] out = new int[N][H * W * A];
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < out[n].length; i++) {
                int u = r.nextInt(10);
                out[n][i] = u == 0 ? AnchorLossLayer.IGNORE : u < 4 ? r.nextInt(K) : K;
            }
            out[n][0] = AnchorLossLayer.IGNORE;
            out[n][1] = 1;
        }
        return out;
    }

    /** {one-hot labels [N, A·K, H, W], ignore mask [N, A·K, H, W], class indices [N, A, H, W]}. */
    private static INDArray[] targets(int[][] labels) {
        INDArray[] oneHot = new INDArray[N];
        INDArray[] mask = new INDArray[N];
        INDArray[] indices = new INDArray[N];
        for (int n = 0; n < N; n++) {
            oneHot[n] = Nd4j.zeros(DataType.DOUBLE, 1, A * K, H, W);
            mask[n] = Nd4j.zeros(DataType.DOUBLE, 1, A * K, H, W);
            indices[n] = Nd4j.zeros(DataType.DOUBLE, 1, A, H, W);
            for (int h = 0; h < H; h++) {
                for (int w = 0; w < W; w++) {
                    for (int a = 0; a < A; a++) {
                        int label = labels[n][(h * W + w) * A + a];           // anchor index (h·W + w)·A + a
                        indices[n].putScalar(new long[] {0, a, h, w}, label);
                        for (int k = 0; k < K; k++) {
                            oneHot[n].putScalar(new long[] {0, a * K + k, h, w}, label == k ? 1 : 0);
                            mask[n].putScalar(new long[] {0, a * K + k, h, w}, label == AnchorLossLayer.IGNORE ? 0 : 1);
                        }
                    }
                }
            }
        }
        return new INDArray[] {Nd4j.concat(0, oneHot).castTo(DataType.DOUBLE), Nd4j.concat(0, mask).castTo(DataType.DOUBLE),
                Nd4j.concat(0, indices).castTo(DataType.DOUBLE)};
    }

    private static Gradient gradient(MultiLayerNetwork net, INDArray in, INDArray labels, INDArray mask) {
        net.setInput(in);
        net.setLabels(labels);
        net.setLayerMaskArrays(null, mask);
        net.computeGradientAndScore();
        return net.gradient();
    }

    @ParameterizedTest(name = "{0}, extra mask {1}")
    @org.junit.jupiter.params.provider.CsvSource({"NCHW, none", "NCHW, per-location", "NCHW, per-anchor",
            "NHWC, none", "NHWC, per-location", "NHWC, per-anchor"})
    void integerLabelsEqualOneHotLabelsWithTheIgnoreMask(CNN2DFormat format, String extra) {
        MultiLayerNetwork oneHotNet = new MultiLayerNetwork(conf(format, false));
        oneHotNet.init();
        MultiLayerNetwork integerNet = new MultiLayerNetwork(conf(format, true));
        integerNet.init(oneHotNet.params().dup(), true);
        Nd4j.getRandom().setSeed(4);
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        INDArray[] t = targets(anchorLabels(5));
        INDArray oneHotMask = t[1];
        INDArray integerMask = null;
        if (extra.equals("per-location")) {
            INDArray loc = Nd4j.rand(DataType.DOUBLE, N, 1, H, W).gt(0.3).castTo(DataType.DOUBLE);
            integerMask = loc;
            oneHotMask = t[1].mul(loc.repeat(1, A * K));
        } else if (extra.equals("per-anchor")) {
            INDArray perAnchor = Nd4j.rand(DataType.DOUBLE, N, A, H, W).gt(0.3).castTo(DataType.DOUBLE);
            integerMask = perAnchor;
            INDArray expanded = Nd4j.create(DataType.DOUBLE, N, A * K, H, W);
            for (int a = 0; a < A; a++) {
                for (int k = 0; k < K; k++) {
                    expanded.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.point(a * K + k)).assign(
                            perAnchor.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                                    org.nd4j.linalg.indexing.NDArrayIndex.point(a)));
                }
            }
            oneHotMask = t[1].mul(expanded);
        }
        boolean h = format == CNN2DFormat.NHWC;
        INDArray inF = h ? AnchorLossLayerTest.nhwc(in) : in;
        DataSet oneHot = new DataSet(inF, h ? AnchorLossLayerTest.nhwc(t[0]) : t[0], null,
                h ? AnchorLossLayerTest.nhwc(oneHotMask) : oneHotMask);
        DataSet integer = new DataSet(inF, h ? AnchorLossLayerTest.nhwc(t[2]) : t[2], null,
                integerMask == null ? null : h ? AnchorLossLayerTest.nhwc(integerMask) : integerMask);

        double expected = oneHotNet.score(oneHot);
        assertTrue(expected > 0);
        assertEquals(expected, integerNet.score(integer), 1e-12 * expected);
        assertArrayEquals(oneHotNet.scoreExamples(oneHot, false).toDoubleVector(),
                integerNet.scoreExamples(integer, false).toDoubleVector(), 1e-12);
        INDArray g1 = gradient(oneHotNet, inF, oneHot.getLabels(), oneHot.getLabelsMaskArray()).gradient().dup();
        INDArray g2 = gradient(integerNet, inF, integer.getLabels(), integer.getLabelsMaskArray()).gradient();
        assertArrayEquals(g1.toDoubleVector(), g2.toDoubleVector(), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(CNN2DFormat.class)
    void gradientCheck(CNN2DFormat format) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(format, true));
        net.init();
        Nd4j.getRandom().setSeed(6);
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        INDArray y = targets(anchorLabels(7))[2];
        boolean h = format == CNN2DFormat.NHWC;
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                .input(h ? AnchorLossLayerTest.nhwc(in) : in).labels(h ? AnchorLossLayerTest.nhwc(y) : y)
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)));
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.5, 4, -2, Double.NaN})
    void badIndicesAreRefusedByValueAndPosition(double bad) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(CNN2DFormat.NCHW, true));
        net.init();
        INDArray y = targets(anchorLabels(9))[2];
        y.putScalar(new long[] {1, 1, 2, 3}, bad);
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.score(new DataSet(in, y)));
        String msg = e.getMessage();
        assertTrue(msg.contains("found " + bad) && msg.contains("anchor 1") && msg.contains("row " + (H * W + 2 * W + 3)),
                msg);
        assertTrue(msg.contains("−1 (ignore)") && msg.contains(K + " (background)"), msg);
    }

    /** The CPU's direct-buffer expansion equals the ND4J-op expansion (other backends, huge heads), per dtype. */
    @Test
    void expansionInJavaEqualsTheOpForm() {
        Random random = new Random(5);
        int m = 37;
        int a = 3;
        int k = 4;
        double[] indices = new double[m * a];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = random.nextInt(k + 2) - 1;                        // −1 (ignored) … K (background)
        }
        for (DataType type : new DataType[] {
            DataType.FLOAT, DataType.DOUBLE,
            DataType.HALF}) {
            INDArray[] java = OneHotLabels.expand(indices, m, a, k, type);
            INDArray[] ops = OneHotLabels.withOps(indices, m, a, k, type);
            assertEquals(ops[0], java[0], "one-hot " + type);
            assertEquals(ops[1], java[1], "mask " + type);
            assertEquals(type, java[0].dataType());
        }
        // a hand-checked anchor: row 0, anchor 1 of class 2 → channels 4..7 = [0, 0, 1, 0], mask 1s
        indices[1] = 2;
        INDArray[] one = OneHotLabels.expand(indices, m, a, k, DataType.FLOAT);
        assertArrayEquals(new float[] {0, 0, 1, 0},
                one[0].get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)).toFloatVector());
        assertArrayEquals(new float[] {1, 1, 1, 1},
                one[1].get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(4, 8)).toFloatVector());
        indices[1] = 2.5;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OneHotLabels.check(indices, a, k));
        assertTrue(e.getMessage().contains("2.5") && e.getMessage().contains("row 0 ") && e.getMessage().contains("anchor 1"),
                e.getMessage());
    }

    @Test
    void wrongLabelShapeAndJsonRoundTrip() {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(CNN2DFormat.NCHW, true));
        net.init();
        INDArray in = Nd4j.rand(DataType.DOUBLE, N, C_IN, H, W);
        INDArray oneHot = targets(anchorLabels(10))[0];             // one-hot labels given to an integer-label layer
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.score(new DataSet(in, oneHot)));
        assertTrue(e.getMessage().contains("[2, 2, 3, 4]") && e.getMessage().contains("one class index per anchor"),
                e.getMessage());

        MultiLayerConfiguration conf = conf(CNN2DFormat.NHWC, true);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(K, ((AnchorLossLayer) back.getConf(1).getLayer()).getIntegerLabelClasses());
        assertThrows(IllegalArgumentException.class, () -> new AnchorLossLayer.Builder().integerLabels(0));
    }
}
