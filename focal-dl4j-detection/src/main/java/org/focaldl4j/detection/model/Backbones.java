package org.focaldl4j.detection.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.model.Backbone.FeatureMap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Backbones for {@link RetinaNet}: {@link #tiny} for small images, and {@link #copyWeights} to carry a pretrained
 * backbone's parameters (layers named "backbone_*") into a detector.
 */
public final class Backbones {

    private Backbones() {
    }

    /**
     * A small backbone for small images: 3×3 convs with ReLU — {@code width} filters at stride 1, then
     * doubling strides — whose last two maps are at strides 8 and 16 ({@code width}·4 channels each). Its
     * layers are named "backbone_*", so that {@link #copyWeights} can carry pretrained weights over.
     */
    public static Backbone tiny(int width) {
        if (width < 1) {
            throw new IllegalArgumentException("width must be >= 1; got " + width);
        }
        return (g, input, inputChannels) -> {
            int[] out = {width, 2 * width, 2 * width, 4 * width, 4 * width};
            int[] stride = {1, 2, 2, 2, 2};
            String previous = input;
            int in = inputChannels;
            for (int i = 0; i < out.length; i++) {
                String name = "backbone_conv" + i;
                g.addLayer(name, new ConvolutionLayer.Builder(3, 3).nIn(in).nOut(out[i]).stride(stride[i], stride[i])
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), previous);
                previous = name;
                in = out[i];
            }
            return List.of(new FeatureMap("backbone_conv3", 4 * width, 8), new FeatureMap("backbone_conv4", 4 * width, 16));
        };
    }

    /**
     * Copies the parameters of every layer named "backbone_*" that has parameters from {@code from} into the
     * same layer of {@code to}; returns how many layers were copied (an absent or differently shaped layer is
     * refused).
     */
    public static int copyWeights(ComputationGraph from, ComputationGraph to) {
        if (from == null || to == null) {
            throw new IllegalArgumentException("copyWeights needs two networks");
        }
        int copied = 0;
        for (Layer layer : from.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (name == null || !name.startsWith("backbone_") || layer.numParams() == 0) {
                continue;
            }
            Layer target = to.getLayer(name);
            boolean same = target != null && target.paramTable().keySet().equals(layer.paramTable().keySet());
            if (same) {
                for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                    same &= Arrays.equals(p.getValue().shape(), target.paramTable().get(p.getKey()).shape());
                }
            }
            if (!same) {
                throw new IllegalArgumentException("layer " + name + " (parameters " + shapes(layer) + ") has no "
                        + "counterpart with the same parameter shapes in the target network (" + (target == null
                        ? "no such layer" : shapes(target)) + ")");
            }
            target.setParams(layer.params().dup());
            copied++;
        }
        return copied;
    }

    private static String shapes(Layer layer) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
            out.append(out.length() == 0 ? "" : ", ").append(p.getKey()).append(Arrays.toString(p.getValue().shape()));
        }
        return out.toString();
    }
}
