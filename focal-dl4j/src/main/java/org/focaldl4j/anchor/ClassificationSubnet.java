package org.focaldl4j.anchor;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.distribution.NormalDistribution;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.focaldl4j.loss.FocalInit;
import org.nd4j.linalg.activations.Activation;

/**
 * RetinaNet's classification subnet (paper §4, Fig. 3c) for a ComputationGraph: {@code convs} ×
 * (3×3 conv with {@code width} filters, ReLU), then a 3×3 conv with A·K filters whose outputs are the
 * per-anchor, per-class logits [N, A·K, H, W] (channel a·K + k: class k of anchor a, as
 * {@link AnchorTargets}). Every new conv is initialised N(0, 0.01) with bias 0, except the last, whose
 * bias is the prior b = −log((1 − π)/π) ({@link FocalInit#priorBias}), so every anchor starts at
 * foreground probability π (0.01 in the paper). Paper defaults: 4 convs of width 256, A = 9.
 */
public final class ClassificationSubnet {

    private int convs = 4;
    private int width = 256;
    private int anchors = 9;
    private int classes = -1;
    private double prior = FocalInit.DEFAULT_PRIOR;

    private ClassificationSubnet() {
    }

    public static ClassificationSubnet builder() {
        return new ClassificationSubnet();
    }

    /** Number of hidden 3×3 convs (≥ 0; paper: 4). */
    public ClassificationSubnet convs(int convs) {
        this.convs = convs;
        return this;
    }

    /** Filters of each hidden conv (paper: 256). */
    public ClassificationSubnet width(int width) {
        this.width = width;
        return this;
    }

    /** A, anchors per location (paper: 9). */
    public ClassificationSubnet anchors(int anchors) {
        this.anchors = anchors;
        return this;
    }

    /** K, object classes (background is not a class). Required. */
    public ClassificationSubnet classes(int classes) {
        this.classes = classes;
        return this;
    }

    /** π, the initial foreground probability, in (0, 1) (paper: 0.01). */
    public ClassificationSubnet prior(double prior) {
        this.prior = prior;
        return this;
    }

    /**
     * Adds the subnet to {@code graph} on top of {@code input} (an NCHW activation with {@code nIn}
     * channels); layer names start with {@code prefix}.
     *
     * @return the name of the last conv, whose output is the [N, A·K, H, W] logits
     */
    public String addTo(GraphBuilder graph, String prefix, String input, int nIn) {
        if (classes < 1 || anchors < 1 || width < 1 || convs < 0 || nIn < 1) {
            throw new IllegalArgumentException("ClassificationSubnet needs classes >= 1, anchors >= 1, width >= 1, "
                    + "convs >= 0, nIn >= 1; got classes=" + classes + ", anchors=" + anchors + ", width=" + width
                    + ", convs=" + convs + ", nIn=" + nIn);
        }
        double bias = FocalInit.priorBias(prior);
        String previous = input;
        int channels = nIn;
        for (int i = 0; i < convs; i++) {
            String name = prefix + "conv" + i;
            graph.addLayer(name, conv(channels, width, Activation.RELU, 0.0), previous);
            previous = name;
            channels = width;
        }
        String logits = prefix + "logits";
        graph.addLayer(logits, conv(channels, anchors * classes, Activation.IDENTITY, bias), previous);
        return logits;
    }

    private static ConvolutionLayer conv(int nIn, int nOut, Activation activation, double bias) {
        return new ConvolutionLayer.Builder(3, 3).nIn(nIn).nOut(nOut).stride(1, 1).convolutionMode(ConvolutionMode.Same)
                .activation(activation).weightInit(new NormalDistribution(0, 0.01)).biasInit(bias).build();
    }
}
