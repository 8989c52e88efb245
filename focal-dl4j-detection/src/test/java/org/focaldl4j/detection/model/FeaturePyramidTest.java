package org.focaldl4j.detection.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The levels the anchor pyramid names: FPN levels on the backbone's maps, the paper's extra levels above the
 * coarsest map (P6 a 3×3 stride-2 conv on C5, P7 the same on ReLU(P6)), unused finer maps, and refusals.
 */
class FeaturePyramidTest {

    /** The tiny backbone (maps at strides 8 and 16) on 64×64 images, with the given anchor strides. */
    private static RetinaNet detector(double... strides) {
        return RetinaNet.builder().input(64, 64, 1).classes(2).backbone(Backbones.tiny(4))
                .anchors(AnchorPyramid.of(2, strides)).fpnChannels(8).heads(1, 8).weightDecay(0).seed(1).build();
    }

    private static LayerVertex layer(ComputationGraphConfiguration conf, String name) {
        return (LayerVertex) conf.getVertices().get(name);
    }

    @Test
    void extraLevelsGrowFromTheCoarsestMapAndTheReluOfTheLevelBelow() {
        RetinaNet r = detector(8, 16, 32, 64);
        ComputationGraphConfiguration conf = r.configuration();
        Map<String, List<String>> inputs = conf.getVertexInputs();
        assertEquals(List.of("backbone_conv4"), inputs.get("fpn_p2"));
        assertEquals(List.of("fpn_p2"), inputs.get("fpn_relu3"));
        assertEquals(List.of("fpn_relu3"), inputs.get("fpn_p3"));
        assertEquals(List.of("fpn_p0", "fpn_p1", "fpn_p2", "fpn_p3"), inputs.get("cls_head"));
        for (String p : List.of("fpn_p2", "fpn_p3")) {
            ConvolutionLayer c = (ConvolutionLayer) layer(conf, p).getLayerConf().getLayer();
            assertArrayEquals(new int[] {3, 3}, c.getKernelSize());
            assertArrayEquals(new int[] {2, 2}, c.getStride());
        }
        assertTrue(layer(conf, "fpn_relu3").getLayerConf().getLayer() instanceof ActivationLayer);
        assertFalse(conf.getVertices().containsKey("fpn_lateral2"), "no lateral on an extra level");

        ComputationGraph net = r.network();
        INDArray image = Nd4j.rand(DataType.FLOAT, 1, 1, 64, 64);
        Map<String, INDArray> act = net.feedForward(new INDArray[] {image}, false, false);
        assertArrayEquals(new long[] {1, 8, 2, 2}, act.get("fpn_p2").shape());    // 64 / 32
        assertArrayEquals(new long[] {1, 8, 1, 1}, act.get("fpn_p3").shape());    // 64 / 64
        assertEquals(Transforms.relu(act.get("fpn_p2"), true), act.get("fpn_relu3"));
        // The heads score every anchor of all four levels.
        INDArray cls = net.output(image)[0];
        assertArrayEquals(new long[] {1, 9L * 2, r.targets().locations()}, cls.shape());
        assertEquals(64 + 16 + 4 + 1, r.targets().locations());
        // And it trains.
        INDArray[] t = r.targets().batch(new double[][][] {{{4, 4, 40, 30}}, {{10, 20, 60, 62}, {0, 0, 12, 12}}},
                new int[][] {{0}, {1, 0}});
        net.fit(new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {Nd4j.rand(DataType.FLOAT, 2, 1, 64, 64)},
                new INDArray[] {t[0], t[1]}, null, new INDArray[] {null, t[2]}));
        assertTrue(Double.isFinite(net.score()));
    }

    @Test
    void mapsFinerThanTheFinestLevelAreLeftUnused() {
        ComputationGraphConfiguration conf = detector(16, 32).configuration();
        assertEquals(List.of("backbone_conv4"), conf.getVertexInputs().get("fpn_lateral0"));
        assertEquals(List.of("backbone_conv4"), conf.getVertexInputs().get("fpn_p1"));
        assertFalse(conf.getVertices().containsKey("fpn_lateral1"));
    }

    @Test
    void withoutExtraLevelsTheConfigurationIsUnchanged() {
        // The tiny detector's levels are its maps' (8, 16): the same graph as before extra levels existed.
        ComputationGraphConfiguration conf = TinyDetection.detector().configuration();
        assertEquals(List.of("fpn_sum0"), conf.getVertexInputs().get("fpn_p0"));
        assertEquals(List.of("fpn_lateral1"), conf.getVertexInputs().get("fpn_p1"));
    }

    @Test
    void refusesLevelsTheBackboneCannotGive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> detector(4, 8).configuration());
        assertTrue(e.getMessage().contains("stride 4.0, which no feature map"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> detector(32, 64).configuration());
        assertTrue(e.getMessage().contains("finest pyramid level (stride 32.0) must be one of the backbone's"),
                e.getMessage());
    }
}
