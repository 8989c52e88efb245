package org.focaldl4j.detection.model;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.model.Backbone.FeatureMap;
import org.nd4j.linalg.activations.Activation;

/**
 * The feature pyramid network on a backbone's feature maps (Lin et al. 2017, FPN as RetinaNet uses it), with the
 * levels the anchor pyramid names. A level whose stride is a backbone map's is an FPN level: a lateral 1×1 conv of
 * the map to F channels, added, from the coarsest FPN level down, to its coarser neighbour upsampled 2× (nearest),
 * then a 3×3 conv: P_l = conv3(lateral_l + up2(merged_{l+1})). Levels above the coarsest backbone map C are the
 * paper's extra levels (§4, "Feature Pyramid Network Backbone"): the first a 3×3 stride-2 conv on C (P6 on C5), each
 * further one a 3×3 stride-2 conv on the ReLU of the one before (P7 = conv(ReLU(P6))). Backbone maps finer than the
 * finest level are left unused (RetinaNet starts at P3, not P2).
 */
final class FeaturePyramid {

    private FeaturePyramid() {
    }

    /**
     * Adds the pyramid's layers to {@code g} on top of {@code maps} (finest first, strides doubling) and returns the
     * names of its outputs P_0 … P_{L−1}, one per level of {@code pyramid}.
     */
    static String[] addTo(GraphBuilder g, List<FeatureMap> maps, AnchorPyramid pyramid, int fpnChannels) {
        if (maps == null || maps.isEmpty()) {                // the backbone's answer: user code
            throw new IllegalArgumentException("the backbone must return at least one feature map; got " + maps);
        }
        for (int m = 0; m < maps.size(); m++) {
            if (maps.get(m) == null) {
                throw new IllegalArgumentException("the backbone's feature map " + m + " is null");
            }
        }
        for (int m = 1; m < maps.size(); m++) {
            if (maps.get(m).stride() != 2 * maps.get(m - 1).stride()) {
                throw new IllegalArgumentException("the backbone's feature-map strides must double from map to map; got "
                        + maps.get(m - 1).stride() + " then " + maps.get(m).stride());
            }
        }
        int levels = pyramid.levelCount();
        FeatureMap coarsest = maps.get(maps.size() - 1);
        FeatureMap[] source = new FeatureMap[levels];          // the backbone map of each FPN level, null for extras
        for (int l = 0; l < levels; l++) {
            double stride = pyramid.level(l).stride();
            if (l > 0 && stride != 2 * pyramid.level(l - 1).stride()) {
                throw new IllegalArgumentException("pyramid strides must double from level to level (2× upsampling); got "
                        + pyramid.level(l - 1).stride() + " then " + stride);
            }
            for (FeatureMap map : maps) {
                source[l] = map.stride() == stride ? map : source[l];
            }
            if (source[l] == null && stride < coarsest.stride()) {
                throw new IllegalArgumentException("pyramid level " + l + " has stride " + stride + ", which no feature "
                        + "map of the backbone has (" + strides(maps) + ")");
            }
            if (source[l] == null && l == 0) {
                throw new IllegalArgumentException("the finest pyramid level (stride " + stride + ") must be one of the "
                        + "backbone's feature maps (" + strides(maps) + "), for the extra levels grow from them");
            }
        }
        String[] p = new String[levels];
        String above = null;
        for (int l = levels - 1; l >= 0; l--) {
            if (source[l] == null) {
                continue;
            }
            String lateral = "fpn_lateral" + l;
            g.addLayer(lateral, new ConvolutionLayer.Builder(1, 1).nIn(source[l].channels()).nOut(fpnChannels)
                    .activation(Activation.IDENTITY).build(), source[l].name());
            String merged = lateral;
            if (above != null) {
                g.addLayer("fpn_up" + l, new Upsampling2D.Builder(2).build(), above);
                g.addVertex("fpn_sum" + l, new ElementWiseVertex(ElementWiseVertex.Op.Add), lateral, "fpn_up" + l);
                merged = "fpn_sum" + l;
            }
            above = merged;
            p[l] = "fpn_p" + l;
            g.addLayer(p[l], new ConvolutionLayer.Builder(3, 3).nIn(fpnChannels).nOut(fpnChannels)
                    .convolutionMode(ConvolutionMode.Same).activation(Activation.IDENTITY).build(), merged);
        }
        for (int l = 0; l < levels; l++) {
            if (source[l] != null) {
                continue;
            }
            boolean first = source[l - 1] != null;
            String in = first ? coarsest.name() : "fpn_relu" + l;
            if (!first) {
                g.addLayer(in, new ActivationLayer.Builder().activation(Activation.RELU).build(), p[l - 1]);
            }
            p[l] = "fpn_p" + l;
            g.addLayer(p[l], new ConvolutionLayer.Builder(3, 3).nIn(first ? coarsest.channels() : fpnChannels)
                    .nOut(fpnChannels).stride(2, 2).convolutionMode(ConvolutionMode.Same)
                    .activation(Activation.IDENTITY).build(), in);
        }
        return p;
    }

    private static String strides(List<FeatureMap> maps) {
        StringBuilder out = new StringBuilder("strides");
        for (FeatureMap m : maps) {
            out.append(' ').append(m.stride());
        }
        return out.toString();
    }
}
