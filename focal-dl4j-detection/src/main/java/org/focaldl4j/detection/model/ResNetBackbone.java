package org.focaldl4j.detection.model;

import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.detection.model.Backbone.FeatureMap;
import org.nd4j.linalg.activations.Activation;

/**
 * {@link Backbones#resnet}: ResNet v1 (He et al. 2016) as the paper's RetinaNet uses it, with taps C3, C4, C5 at
 * strides 8, 16, 32. Stem: 7×7 stride-2 conv (64, zero padding 3), norm, ReLU, 3×3 stride-2 max pool (padding 1);
 * then four stages of blocks — basic (two 3×3 convs; depths 18, 34) or bottleneck (1×1, 3×3, 1×1 ×4 channels;
 * depth 50) — the first block of stages 3–5 halving the resolution in its first conv (the 1×1 conv for a
 * bottleneck: the original MSRA/Caffe ResNet, whose ImageNet weights the DL4J zoo's ResNet-50 holds) with a
 * projection shortcut (1×1 conv, norm) wherever the shape changes. Convs carry biases, as the zoo's do.
 * <p>
 * Layers are named as in the DL4J zoo's ResNet-50 ({@code res3a_branch2a}, {@code bn3a_branch2a}, …), prefixed
 * "backbone_", so that {@link Backbones#loadZooResNet50} maps a zoo model file onto it by name. Norm layers are
 * {@link BatchNormalization} (trainable) or a frozen per-channel affine y = a·x + b (detectron2's
 * {@code FrozenBatchNorm2d}: a 1×1 depthwise conv with bias that never trains, identity until weights are loaded).
 */
final class ResNetBackbone {

    static final String PREFIX = "backbone_";

    private ResNetBackbone() {
    }

    /** Blocks per stage 2…5 of each depth. */
    static int[] blocks(int depth) {
        return switch (depth) {
            case 18 -> new int[] {2, 2, 2, 2};
            case 34, 50 -> new int[] {3, 4, 6, 3};
            default -> throw new IllegalArgumentException("ResNet depth must be 18, 34 or 50; got " + depth);
        };
    }

    static List<FeatureMap> addTo(GraphBuilder g, String input, int inputChannels, int depth, boolean frozenNorm) {
        int[] blocks = blocks(depth);
        boolean bottleneck = depth >= 50;
        String x = conv(g, "stem-cnn1", 7, 2, 3, inputChannels, 64, input);
        x = norm(g, "stem-batch1", 64, frozenNorm, x);
        x = layer(g, "stem-act1", relu(), x);
        x = layer(g, "stem-pad", new ZeroPaddingLayer.Builder(1, 1).build(), x);       // after ReLU: zeros pad as −∞
        x = layer(g, "stem-maxpool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX, new int[] {3, 3},
                new int[] {2, 2}).convolutionMode(ConvolutionMode.Truncate).build(), x);
        int channels = 64;
        List<FeatureMap> taps = new ArrayList<>();
        for (int stage = 2; stage <= 5; stage++) {
            int width = 64 << (stage - 2);
            int out = bottleneck ? 4 * width : width;
            for (int b = 0; b < blocks[stage - 2]; b++) {
                int stride = stage > 2 && b == 0 ? 2 : 1;
                String name = stage + String.valueOf((char) ('a' + b));
                x = bottleneck ? bottleneckBlock(g, name, x, channels, width, out, stride, frozenNorm)
                        : basicBlock(g, name, x, channels, out, stride, frozenNorm);
                channels = out;
            }
            if (stage >= 3) {
                taps.add(new FeatureMap(x, channels, 1 << stage));
            }
        }
        return taps;
    }

    private static String basicBlock(GraphBuilder g, String name, String in, int inChannels, int out, int stride,
                                     boolean frozen) {
        String y = conv(g, "res" + name + "_branch2a", 3, stride, 1, inChannels, out, in);
        y = layer(g, "act" + name + "_branch2a", relu(), norm(g, "bn" + name + "_branch2a", out, frozen, y));
        y = norm(g, "bn" + name + "_branch2b", out, frozen, conv(g, "res" + name + "_branch2b", 3, 1, 1, out, out, y));
        return merge(g, name, y, shortcut(g, name, in, inChannels, out, stride, frozen));
    }

    private static String bottleneckBlock(GraphBuilder g, String name, String in, int inChannels, int width, int out,
                                          int stride, boolean frozen) {
        String y = conv(g, "res" + name + "_branch2a", 1, stride, 0, inChannels, width, in);
        y = layer(g, "act" + name + "_branch2a", relu(), norm(g, "bn" + name + "_branch2a", width, frozen, y));
        y = conv(g, "res" + name + "_branch2b", 3, 1, 1, width, width, y);
        y = layer(g, "act" + name + "_branch2b", relu(), norm(g, "bn" + name + "_branch2b", width, frozen, y));
        y = norm(g, "bn" + name + "_branch2c", out, frozen, conv(g, "res" + name + "_branch2c", 1, 1, 0, width, out, y));
        return merge(g, name, y, shortcut(g, name, in, inChannels, out, stride, frozen));
    }

    /** The block's input, or its projection (1×1 conv of the block's stride, norm) when the shape changes. */
    private static String shortcut(GraphBuilder g, String name, String in, int inChannels, int out, int stride,
                                   boolean frozen) {
        if (stride == 1 && inChannels == out) {
            return in;
        }
        return norm(g, "bn" + name + "_branch1", out, frozen,
                conv(g, "res" + name + "_branch1", 1, stride, 0, inChannels, out, in));
    }

    private static String merge(GraphBuilder g, String name, String residual, String shortcut) {
        g.addVertex(PREFIX + "short" + name + "_branch", new ElementWiseVertex(ElementWiseVertex.Op.Add), residual,
                shortcut);
        return layer(g, "res" + name + "_branch", relu(), PREFIX + "short" + name + "_branch");
    }

    /** A k×k conv with explicit zero padding (Truncate mode: output ⌊(H + 2·pad − k)/stride⌋ + 1). */
    private static String conv(GraphBuilder g, String name, int k, int stride, int pad, int in, int out, String x) {
        return layer(g, name, new ConvolutionLayer.Builder(k, k).stride(stride, stride).padding(pad, pad)
                .convolutionMode(ConvolutionMode.Truncate).nIn(in).nOut(out).activation(Activation.IDENTITY).build(), x);
    }

    private static String norm(GraphBuilder g, String name, int channels, boolean frozen, String x) {
        Layer l = frozen
                ? new FrozenLayerWithBackprop(new DepthwiseConvolution2D.Builder(1, 1).nIn(channels).depthMultiplier(1)
                        .activation(Activation.IDENTITY).weightInit(WeightInit.ONES).biasInit(0).build())
                : new BatchNormalization.Builder().nIn(channels).nOut(channels).build();
        return layer(g, name, l, x);
    }

    private static ActivationLayer relu() {
        return new ActivationLayer.Builder().activation(Activation.RELU).build();
    }

    /** Adds {@code l} as {@link #PREFIX} + name (unless {@code name} has the prefix already); returns its name. */
    private static String layer(GraphBuilder g, String name, Layer l, String input) {
        String full = name.startsWith(PREFIX) ? name : PREFIX + name;
        g.addLayer(full, l, input);
        return full;
    }
}
