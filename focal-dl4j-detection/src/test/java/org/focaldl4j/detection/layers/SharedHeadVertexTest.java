package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.DoublePrecision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One head over two pyramid levels: one parameter set, each level's output equal to the same convs applied to
 * that level alone, the flat [N, A·O, M] layout, gradients of both levels summed (gradient check), JSON.
 */
@ExtendWith(DoublePrecision.class)
class SharedHeadVertexTest {

    static final int C = 3;
    static final int A = 2;
    static final int K = 2;

    /** Two levels (4×4 and 2×2, C channels) → shared classification head → AnchorLossLayer (integer labels). */
    private static ComputationGraphConfiguration graph() {
        return new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).updater(new NoOp()).graphBuilder()
                .addInputs("p0", "p1")
                .setInputTypes(InputType.convolutional(4, 4, C), InputType.convolutional(2, 2, C))
                .addVertex("head", SharedHeadVertex.classification(2, C, 1, 4, A, K, 0.2), "p0", "p1")
                .addLayer("cls", new AnchorLossLayer.Builder(new LossFocal(0.25, 2)).integerLabels(K).build(), "head")
                .setOutputs("cls").build();
    }

    private static ComputationGraph net() {
        ComputationGraph net = new ComputationGraph(graph());
        net.init();
        return net;
    }

    @Test
    void oneParameterSetAndTheBiasPrior() {
        ComputationGraph net = net();
        // W0 [3,3,C,4] + b0 [4] + W1 [3,3,4,A·K] + b1 [A·K]: counted once, whatever the number of levels.
        assertEquals(9 * C * 4 + 4 + 9 * 4 * A * K + A * K, net.params().length());
        Map<String, INDArray> p = net.getVertex("head").paramTable(false);
        assertEquals(4, p.size());
        assertEquals(FocalInit.priorBias(0.2), p.get("b1").getDouble(0), 1e-12);
    }

    /** conv2d 'same' with weights [kH, kW, iC, oC] and bias, NCHW, as a reference outside SameDiff. */
    private static INDArray conv(INDArray x, INDArray w, INDArray b) {
        long n = x.size(0);
        long h = x.size(2);
        long wd = x.size(3);
        long out = w.size(3);
        INDArray y = Nd4j.zeros(DataType.DOUBLE, n, out, h, wd);
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                for (int r = 0; r < h; r++) {
                    for (int c = 0; c < wd; c++) {
                        double s = b.getDouble(o);
                        for (int ic = 0; ic < x.size(1); ic++) {
                            for (int dr = -1; dr <= 1; dr++) {
                                for (int dc = -1; dc <= 1; dc++) {
                                    int rr = r + dr;
                                    int cc = c + dc;
                                    if (rr >= 0 && rr < h && cc >= 0 && cc < wd) {
                                        s += x.getDouble(i, ic, rr, cc) * w.getDouble(dr + 1, dc + 1, ic, o);
                                    }
                                }
                            }
                        }
                        y.putScalar(new long[] {i, o, r, c}, s);
                    }
                }
            }
        }
        return y;
    }

    @Test
    void eachLevelGoesThroughTheSameConvs() {
        ComputationGraph net = net();
        Nd4j.getRandom().setSeed(4);
        INDArray p0 = Nd4j.rand(DataType.DOUBLE, 2, C, 4, 4);
        INDArray p1 = Nd4j.rand(DataType.DOUBLE, 2, C, 2, 2);
        INDArray out = net.feedForward(new INDArray[] {p0, p1}, false).get("head");
        assertArrayEquals(new long[] {2, A * K, 16 + 4}, out.shape());
        Map<String, INDArray> p = net.getVertex("head").paramTable(false);
        for (int l = 0; l < 2; l++) {
            INDArray x = l == 0 ? p0 : p1;
            INDArray hidden = Transforms.relu(conv(x, p.get("W0"), p.get("b0")), false);
            INDArray y = conv(hidden, p.get("W1"), p.get("b1"));
            long locations = x.size(2) * x.size(3);
            INDArray flat = y.reshape('c', 2, A * K, locations);
            long from = l == 0 ? 0 : 16;
            INDArray part = out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, from + locations));
            assertTrue(flat.equalsWithEps(part, 1e-10), "level " + l);
        }
    }

    @Test
    void gradientsOfBothLevelsAddUp() {
        ComputationGraph net = net();
        Nd4j.getRandom().setSeed(5);
        INDArray p0 = Nd4j.rand(DataType.DOUBLE, 2, C, 4, 4).subi(0.5);
        INDArray p1 = Nd4j.rand(DataType.DOUBLE, 2, C, 2, 2).subi(0.5);
        // Class indices per anchor over the 20 locations: a positive on each level.
        INDArray labels = Nd4j.valueArrayOf(new long[] {2, A, 20}, (double) K, DataType.DOUBLE);
        labels.putScalar(new long[] {0, 1, 5}, 0).putScalar(new long[] {1, 0, 18}, 1).putScalar(new long[] {1, 1, 3}, -1);
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {p0, p1}).labels(new INDArray[] {labels})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8));
        assertTrue(ok);
    }

    @Test
    void jsonRoundTrip() {
        ComputationGraphConfiguration conf = graph();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
        assertEquals(SharedHeadVertex.boxRegression(2, C, 1, 4, A), SharedHeadVertex.boxRegression(2, C, 1, 4, A).clone());
        // Training settings count: a vertex with another updater is another configuration.
        SharedHeadVertex other = SharedHeadVertex.boxRegression(2, C, 1, 4, A);
        other.setUpdater(new org.nd4j.linalg.learning.config.Adam(0.1));
        assertNotEquals(SharedHeadVertex.boxRegression(2, C, 1, 4, A), other);
    }

    @Test
    void gradientsStayExactOnLaterCalls() {
        // The correction of DL4J's doubled backpropagation must hold after the gradient function is cached.
        ComputationGraph net = net();
        Nd4j.getRandom().setSeed(6);
        INDArray p0 = Nd4j.rand(DataType.DOUBLE, 2, C, 4, 4).subi(0.5);
        INDArray p1 = Nd4j.rand(DataType.DOUBLE, 2, C, 2, 2).subi(0.5);
        INDArray labels = Nd4j.valueArrayOf(new long[] {2, A, 20}, (double) K, DataType.DOUBLE);
        labels.putScalar(new long[] {0, 0, 7}, 1).putScalar(new long[] {1, 1, 17}, 0);
        org.nd4j.linalg.dataset.MultiDataSet mds = new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {p0, p1},
                new INDArray[] {labels});
        for (int i = 0; i < 3; i++) {
            net.fit(mds);                                                  // NoOp updater: parameters unchanged
        }
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {p0, p1}).labels(new INDArray[] {labels})
                .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-8)));
    }

    @Test
    void anotherInputSizeIsRefusedNotReshaped() {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
                .graphBuilder().addInputs("p0", "p1")
                .addVertex("head", SharedHeadVertex.classification(2, C, 1, 4, A, K, 0.2), "p0", "p1")
                .setOutputs("head").build());
        net.init();
        net.output(Nd4j.rand(DataType.DOUBLE, 1, C, 4, 4), Nd4j.rand(DataType.DOUBLE, 1, C, 2, 2));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> net.output(Nd4j.rand(DataType.DOUBLE, 1, C, 8, 8), Nd4j.rand(DataType.DOUBLE, 1, C, 4, 4)));
        assertTrue(e.getMessage().contains("first called with inputs of shape"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SharedHeadVertex.classification(2, C, 1, 4, A, K, 0.2).setLastBias(Double.NaN));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SharedHeadVertex.boxRegression(2, C, 1, 4, A).setLevels(0));
    }
}
