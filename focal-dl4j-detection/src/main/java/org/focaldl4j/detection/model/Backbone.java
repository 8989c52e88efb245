package org.focaldl4j.detection.model;

import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;

/**
 * A detector's backbone: adds its layers to the graph on top of {@code input} and returns its feature maps,
 * finest first, whose strides must be those of the anchor pyramid's levels, doubling from level to level.
 * {@link Backbones} has a small one.
 */
@FunctionalInterface
public interface Backbone {

    List<FeatureMap> addTo(GraphBuilder graph, String input, int inputChannels);

    /** A feature map of the backbone: its layer name, channels and stride (pixels per location). */
    record FeatureMap(String name, int channels, int stride) {
        /** @throws IllegalArgumentException without a name, or with channels or stride below 1 */
        public FeatureMap {
            if (name == null || name.isEmpty() || channels < 1 || stride < 1) {
                throw new IllegalArgumentException("a feature map needs a layer name, channels >= 1 and stride >= 1; got "
                        + name + ", " + channels + ", " + stride);
            }
        }
    }
}
