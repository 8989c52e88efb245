package org.focaldl4j.detection.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.layers.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.model.Backbone.FeatureMap;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Backbones for {@link RetinaNet}: {@link #tiny} for small images, {@link #resnet} (ResNet-18, 34, 50 with taps
 * C3–C5) for photographs; {@link #copyWeights} carries a pretrained backbone's parameters (layers named
 * "backbone_*") into a detector, and {@link #loadZooResNet50} a DL4J zoo ResNet-50's ImageNet weights.
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
     * ResNet-{@code depth} (18, 34 or 50) with feature maps C3, C4, C5 at strides 8, 16, 32 (64·2^(s−2) channels, ×4
     * for depth 50), as the paper's RetinaNet uses it ({@link ResNetBackbone} has the layout). {@code frozenNorm}:
     * norm layers are fixed per-channel affines (for loaded ImageNet weights, as detectron2 freezes them);
     * otherwise DL4J batch normalisation, trained with the network on each minibatch's statistics.
     */
    public static Backbone resnet(int depth, boolean frozenNorm) {
        ResNetBackbone.blocks(depth);                                       // validates the depth
        return (g, input, inputChannels) -> ResNetBackbone.addTo(g, input, inputChannels, depth, frozenNorm);
    }

    /**
     * Loads the ImageNet weights of a DL4J zoo ResNet-50 ({@code org.deeplearning4j.zoo.model.ResNet50}, e.g. restored
     * from its model file with {@code ModelSerializer.restoreComputationGraph}) into the {@link #resnet}(50, …)
     * backbone of {@code detector}, by layer name: every conv's weights and biases as they are; every batch
     * normalisation's γ, β, mean and variance as they are into a trainable norm, or folded into a frozen one
     * (a = γ/√(var + ε), b = β − a·mean). The zoo's classifier is left out. Returns the layers loaded; a backbone
     * layer without a zoo counterpart, or a shape that differs, is refused. The zoo's weights expect its own input
     * convention (Caffe's: B, G, R pixel values 0–255 less the ImageNet channel means), which the caller provides.
     */
    public static int loadZooResNet50(ComputationGraph zoo, ComputationGraph detector) {
        if (zoo == null || detector == null) {
            throw new IllegalArgumentException("loadZooResNet50 needs the zoo network and the detector");
        }
        int loaded = 0;
        for (Layer target : detector.getLayers()) {
            String name = target.conf().getLayer().getLayerName();
            if (name == null || !name.startsWith(ResNetBackbone.PREFIX) || target.numParams() == 0) {
                continue;
            }
            String zooName = name.substring(ResNetBackbone.PREFIX.length());
            Layer source = zoo.getLayer(zooName);
            if (source == null) {
                throw new IllegalArgumentException("backbone layer " + name + " has no zoo layer " + zooName
                        + "; is the detector's backbone Backbones.resnet(50, …)?");
            }
            if (source.conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BatchNormalization bn
                    && target instanceof FrozenLayerWithBackprop) {
                INDArray gamma = source.getParam("gamma").castTo(DataType.DOUBLE).reshape(-1);
                INDArray beta = source.getParam("beta").castTo(DataType.DOUBLE).reshape(-1);
                INDArray mean = source.getParam("mean").castTo(DataType.DOUBLE).reshape(-1);
                INDArray var = source.getParam(bn.isUseLogStd() ? "log10stdev" : "var").castTo(DataType.DOUBLE)
                        .reshape(-1);
                if (bn.isUseLogStd()) {                                     // var = (10^log10(std))²
                    var = Transforms.pow(Nd4j.valueArrayOf(var.shape(), 10.0, DataType.DOUBLE), var);
                    var.muli(var);
                }
                INDArray scale = gamma.div(Transforms.sqrt(var.add(bn.getEps()), false));
                INDArray bias = beta.sub(scale.mul(mean));
                set(target, "W", scale, name);
                set(target, "b", bias, name);
            } else {
                if (!target.paramTable().keySet().equals(source.paramTable().keySet())) {
                    throw new IllegalArgumentException("backbone layer " + name + " has parameters "
                            + target.paramTable().keySet() + " but zoo layer " + zooName + " has "
                            + source.paramTable().keySet());
                }
                for (Map.Entry<String, INDArray> p : source.paramTable().entrySet()) {
                    set(target, p.getKey(), p.getValue(), name);
                }
            }
            loaded++;
        }
        return loaded;
    }

    /** Assigns {@code value} (any shape with the same length) to {@code layer}'s parameter {@code key}. */
    private static void set(Layer layer, String key, INDArray value, String name) {
        INDArray param = layer.getParam(key);
        if (param == null || param.length() != value.length()
                || value.rank() > 1 && !Arrays.equals(param.shape(), value.shape())) {
            throw new IllegalArgumentException("backbone layer " + name + " parameter " + key + " has shape "
                    + (param == null ? "none" : Arrays.toString(param.shape())) + "; the zoo gives "
                    + Arrays.toString(value.shape()));
        }
        param.assign(value.reshape(param.shape()).castTo(param.dataType()));
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
