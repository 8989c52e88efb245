package org.focaldl4j.detection.model;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.model.Backbone.FeatureMap;
import org.nd4j.linalg.activations.Activation;

/**
 * The feature pyramid network on a backbone's L feature maps (Lin et al. 2017, FPN as RetinaNet uses it): a
 * lateral 1×1 conv of each map to F channels, from the coarsest down each lateral added to its coarser
 * neighbour upsampled 2× (nearest), then a 3×3 conv on every sum: P_l = conv3(lateral_l + up2(merged_{l+1})).
 */
final class FeaturePyramid {

    private FeaturePyramid() {
    }

    /**
     * Adds the pyramid's layers to {@code g} on top of {@code maps} (finest first, strides those of
     * {@code pyramid}'s levels, doubling) and returns the names of its outputs P_0 … P_{L−1}.
     */
    static String[] addTo(GraphBuilder g, List<FeatureMap> maps, AnchorPyramid pyramid, int fpnChannels) {
        if (maps.size() != pyramid.levelCount()) {
            throw new IllegalArgumentException("the backbone gives " + maps.size() + " feature maps but the anchor pyramid "
                    + "has " + pyramid.levelCount() + " levels");
        }
        for (int l = 0; l < maps.size(); l++) {
            if (maps.get(l).stride() != pyramid.level(l).stride()) {
                throw new IllegalArgumentException("feature map " + maps.get(l).name() + " has stride "
                        + maps.get(l).stride() + " but pyramid level " + l + " has stride " + pyramid.level(l).stride());
            }
            if (l > 0 && maps.get(l).stride() != 2 * maps.get(l - 1).stride()) {
                throw new IllegalArgumentException("pyramid strides must double from level to level (2× upsampling); got "
                        + maps.get(l - 1).stride() + " then " + maps.get(l).stride());
            }
        }
        String[] p = new String[maps.size()];
        String above = null;
        for (int l = maps.size() - 1; l >= 0; l--) {
            String lateral = "fpn_lateral" + l;
            g.addLayer(lateral, new ConvolutionLayer.Builder(1, 1).nIn(maps.get(l).channels()).nOut(fpnChannels)
                    .activation(Activation.IDENTITY).build(), maps.get(l).name());
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
        return p;
    }
}
