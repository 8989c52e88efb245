package org.focaldl4j.detection.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.zoo.model.ResNet50;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link Backbones#resnet}: the taps' strides and channels, a training step, frozen norms that stay frozen; and
 * {@link Backbones#loadZooResNet50} against a randomly initialised DL4J zoo ResNet-50 (no download): every conv
 * copied, every batch normalisation folded into the frozen affine so that both give the same outputs.
 */
class ResNetBackboneTest {

    private static RetinaNet detector(int depth, boolean frozen) {
        return RetinaNet.builder().input(128, 128, 3).classes(3).backbone(Backbones.resnet(depth, frozen))
                .anchors(AnchorPyramid.paper(8, 16, 32, 64, 128)).fpnChannels(16).heads(1, 16).weightDecay(1e-4)
                .seed(2).build();
    }

    @Test
    void resnet18GivesC3ToC5AndTrains() {
        RetinaNet r = detector(18, false);
        ComputationGraph net = r.network();
        INDArray image = Nd4j.rand(DataType.FLOAT, 2, 3, 128, 128);
        Map<String, INDArray> act = net.feedForward(new INDArray[] {image}, false, false);
        assertArrayEquals(new long[] {2, 128, 16, 16}, act.get("backbone_res3b_branch").shape());   // C3: stride 8
        assertArrayEquals(new long[] {2, 256, 8, 8}, act.get("backbone_res4b_branch").shape());     // C4: stride 16
        assertArrayEquals(new long[] {2, 512, 4, 4}, act.get("backbone_res5b_branch").shape());     // C5: stride 32
        assertArrayEquals(new long[] {2, 64, 32, 32}, act.get("backbone_stem-maxpool1").shape());   // stride 4
        assertEquals(16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1, r.targets().locations());
        INDArray[] t = r.targets().batch(new double[][][] {{{10, 10, 60, 90}}, {{70, 5, 120, 40}}},
                new int[][] {{0}, {2}});
        net.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {image}, new INDArray[] {t[0], t[1]}, null,
                new INDArray[] {null, t[2]}));
        assertTrue(Double.isFinite(net.score()));
    }

    @Test
    void resnet50HasTheZooLayoutAndItsWeightsLoad() {
        ComputationGraph zoo = ResNet50.builder().numClasses(10).build().init();
        // Random batch-normalisation statistics, so that folding them is not the identity.
        for (Layer l : zoo.getLayers()) {
            if (l.conf().getLayer() instanceof BatchNormalization) {
                for (String key : new String[] {"gamma", "beta", "mean", "log10stdev"}) {
                    INDArray p = l.getParam(key);
                    p.assign(Nd4j.rand(p.dataType(), p.shape()).subi(0.5));
                }
            }
        }
        ComputationGraph frozen = detector(50, true).network();
        ComputationGraph trainable = detector(50, false).network();
        int zooLayersWithParams = 0;
        for (Layer l : zoo.getLayers()) {
            zooLayersWithParams += l.numParams() > 0 && !"output".equals(l.conf().getLayer().getLayerName()) ? 1 : 0;
        }
        assertEquals(zooLayersWithParams, Backbones.loadZooResNet50(zoo, frozen));
        assertEquals(zooLayersWithParams, Backbones.loadZooResNet50(zoo, trainable));
        int convs = 0;
        int norms = 0;
        for (Layer z : zoo.getLayers()) {
            String name = z.conf().getLayer().getLayerName();
            if (z.conf().getLayer() instanceof ConvolutionLayer) {
                assertEquals(z.getParam("W"), frozen.getLayer("backbone_" + name).getParam("W"), name);
                assertEquals(z.getParam("b"), frozen.getLayer("backbone_" + name).getParam("b"), name);
                convs++;
            } else if (z.conf().getLayer() instanceof BatchNormalization) {
                assertEquals(z.params(), trainable.getLayer("backbone_" + name).params(), name);
                // The frozen affine gives the zoo's inference-mode batch normalisation.
                long c = z.getParam("gamma").length();
                INDArray x = Nd4j.rand(DataType.FLOAT, 2, c, 3, 3).subi(0.5).muli(4);
                INDArray expected = z.activate(x.dup(), false, LayerWorkspaceMgr.noWorkspaces()).dup();
                INDArray got = frozen.getLayer("backbone_" + name).activate(x.dup(), false,
                        LayerWorkspaceMgr.noWorkspaces()).dup();
                assertTrue(expected.equalsWithEps(got, 1e-4 * Math.max(1, expected.amaxNumber().doubleValue())),
                        name + ": largest difference " + expected.sub(got).amaxNumber());
                norms++;
            }
        }
        assertEquals(53, convs);        // stem, 16 blocks × 3, 4 projections
        assertEquals(53, norms);
        // Frozen norms do not train.
        INDArray before = frozen.getLayer("backbone_bn3a_branch2a").params().dup();
        RetinaNet r = detector(50, true);
        INDArray[] t = r.targets().batch(new double[][][] {{{10, 10, 60, 90}}}, new int[][] {{1}});
        frozen.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {Nd4j.rand(DataType.FLOAT, 1, 3, 128, 128)},
                new INDArray[] {t[0], t[1]}, null, new INDArray[] {null, t[2]}));
        assertEquals(before, frozen.getLayer("backbone_bn3a_branch2a").params());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backbones.loadZooResNet50(zoo, detector(18, true).network()));
        assertTrue(e.getMessage().contains("backbone_res2a_branch2a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Backbones.resnet(101, true));
        // Before any weights are loaded, a frozen norm is the identity.
        Layer fresh = detector(18, true).network().getLayer("backbone_bn2a_branch2a");
        assertEquals(Nd4j.ones(DataType.FLOAT, fresh.getParam("W").shape()), fresh.getParam("W"));
        assertEquals(0.0, fresh.getParam("b").amaxNumber().doubleValue());
    }
}
