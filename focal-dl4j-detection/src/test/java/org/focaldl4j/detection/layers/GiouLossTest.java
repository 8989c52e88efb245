package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The GIoU option of {@link BoxRegressionLossLayer}: {@link GiouLoss} against torchvision's
 * {@code generalized_box_iou_loss} on {@code BoxCoder.decode_single} ({@code src-test-data/giou_vectors.json}),
 * losses and autograd gradients, including a clamped dw and boxes that do not overlap; the layer's score
 * (Σ over positives ÷ P) and a gradient check in double precision; JSON and refusals.
 */
@ExtendWith(DoublePrecision.class)
class GiouLossTest {

    private static INDArray matrix(JsonNode m) {
        double[][] out = new double[m.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new double[m.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = m.get(i).get(j).asDouble();
            }
        }
        return Nd4j.create(out);
    }

    @Test
    void equalsTorchvisionsGiouLossAndItsAutogradGradient() throws IOException {
        JsonNode root;
        try (InputStream in = GiouLossTest.class.getResourceAsStream("/giou_vectors.json")) {
            root = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : root.get("cases")) {
            double[] w = new double[4];
            for (int k = 0; k < 4; k++) {
                w[k] = c.get("weights").get(k).asDouble();
            }
            INDArray[] got = GiouLoss.compute(matrix(c.get("pred")), matrix(c.get("target")), w, true, true);
            INDArray expectedLoss = matrix(c.get("loss"));
            INDArray expectedGradient = matrix(c.get("gradient"));
            assertTrue(expectedLoss.equalsWithEps(got[0], 1e-12), "loss " + expectedLoss.toStringFull() + " vs "
                    + got[0].toStringFull());
            assertTrue(expectedGradient.equalsWithEps(got[1], 1e-12), "gradient " + expectedGradient + " vs " + got[1]);
            // The clamped dw (anchor 1) has no gradient; the separated boxes (anchor 0) lose more than 1.
            assertEquals(0.0, got[1].getDouble(0, 4 + 2), 0.0);
            assertTrue(got[0].getDouble(0, 0) > 1.0);
            checked++;
        }
        assertEquals(2, checked);
        assertNull(GiouLoss.compute(matrix(root.get("cases").get(0).get("pred")),
                matrix(root.get("cases").get(0).get("target")), new double[] {1, 1, 1, 1}, true, false)[1]);
    }

    static final int N = 2;
    static final int A = 2;

    private static MultiLayerNetwork net(BoxRegressionLossLayer layer) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).dataType(DataType.DOUBLE)
                .updater(new NoOp()).dist(new UniformDistribution(-0.5, 0.5)).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nIn(2).nOut(4 * A).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build())
                .layer(layer).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Input [N, 2, 3, 2], target deltas [N, 4A, 3, 2], positives [N, A, 3, 2] (3 positive anchors). */
    private static DataSet data() {
        Nd4j.getRandom().setSeed(11);
        INDArray x = Nd4j.rand(DataType.DOUBLE, N, 2, 3, 2).subi(0.5);
        INDArray y = Nd4j.rand(DataType.DOUBLE, N, 4 * A, 3, 2).subi(0.5).muli(0.6);
        INDArray m = Nd4j.zeros(DataType.DOUBLE, N, A, 3, 2);
        m.putScalar(new long[] {0, 1, 0, 1}, 1).putScalar(new long[] {1, 0, 2, 0}, 1).putScalar(new long[] {1, 1, 1, 1}, 1);
        return new DataSet(x, y, null, m);
    }

    @Test
    void theLayerSumsOverPositivesDividesByTheirCountAndPassesAGradientCheck() {
        MultiLayerNetwork net = net(new BoxRegressionLossLayer.Builder().giou(1, 1, 1, 1).build());
        DataSet ds = data();
        INDArray pred = net.feedForward(ds.getFeatures()).get(1);
        INDArray[] perAnchor = GiouLoss.compute(
                pred.permute(0, 2, 3, 1).reshape('c', N * 6, 4 * A),
                ds.getLabels().permute(0, 2, 3, 1).reshape('c', N * 6, 4 * A), new double[] {1, 1, 1, 1}, true, false);
        INDArray mask = ds.getLabelsMaskArray().permute(0, 2, 3, 1).reshape('c', N * 6, A);
        double expected = perAnchor[0].mul(mask).sumNumber().doubleValue() / 3;     // ÷ P (the layer's whole score)
        net.setInput(ds.getFeatures());
        net.setLabels(ds.getLabels());
        net.setLayerMaskArrays(null, ds.getLabelsMaskArray());
        assertEquals(expected, net.score(ds), 1e-12);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                .input(ds.getFeatures()).labels(ds.getLabels()).labelMask(ds.getLabelsMaskArray())
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8));
        assertTrue(ok);
    }

    @Test
    void jsonKeepsTheWeightsAndBadWeightsAreRefused() {
        BoxRegressionLossLayer l = new BoxRegressionLossLayer.Builder().giou(10, 10, 5, 5).build();
        MultiLayerConfiguration conf = net(l).getLayerWiseConfigurations();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertArrayEquals(new double[] {10, 10, 5, 5},
                ((BoxRegressionLossLayer) back.getConf(1).getLayer()).getGiouWeights(), 0.0);
        assertEquals(conf, back);
        assertNull(new BoxRegressionLossLayer.Builder().build().getGiouWeights());
        assertThrows(IllegalArgumentException.class, () -> new BoxRegressionLossLayer.Builder().giou(1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BoxRegressionLossLayer.Builder().giou(1, Double.NaN, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> l.setGiouWeights(new double[] {1, 1, 1}));
        String bad = conf.toJson().replace("\"giouWeights\" : [ 10.0, 10.0, 5.0, 5.0 ]",
                "\"giouWeights\" : [ 10.0, -1.0, 5.0, 5.0 ]");
        RuntimeException e = assertThrows(RuntimeException.class, () -> MultiLayerConfiguration.fromJson(bad));
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
            cause = cause.getCause();
        }
        assertTrue(cause instanceof IllegalArgumentException && cause.getMessage().contains("[10.0, -1.0, 5.0, 5.0]"),
                String.valueOf(cause));
    }
}
