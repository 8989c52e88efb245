package org.focaldl4j.detection;

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

    private final int convs;
    private final int width;
    private final int anchors;
    private final int classes;
    private final double prior;

    private ClassificationSubnet(Builder b) {
        if (b.classes < 1 || b.anchors < 1 || b.width < 1 || b.convs < 0) {
            throw new IllegalArgumentException("ClassificationSubnet needs classes >= 1, anchors >= 1, width >= 1, "
                    + "convs >= 0; got classes=" + b.classes + ", anchors=" + b.anchors + ", width=" + b.width
                    + ", convs=" + b.convs);
        }
        FocalInit.priorBias(b.prior);                                   // validates π ∈ (0, 1)
        this.convs = b.convs;
        this.width = b.width;
        this.anchors = b.anchors;
        this.classes = b.classes;
        this.prior = b.prior;
    }

    /** A builder with the paper's defaults (4 convs of width 256, A = 9, π = 0.01); {@code classes} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Adds the subnet to {@code graph} on top of {@code input} (an NCHW activation with {@code nIn}
     * channels); layer names start with {@code prefix}.
     *
     * @return the name of the last conv, whose output is the [N, A·K, H, W] logits
     */
    public String addTo(GraphBuilder graph, String prefix, String input, int nIn) {
        if (graph == null || prefix == null || input == null || nIn < 1) {
            throw new IllegalArgumentException("ClassificationSubnet.addTo needs a graph, a prefix, an input name and "
                    + "nIn >= 1; got graph=" + graph + ", prefix=" + prefix + ", input=" + input + ", nIn=" + nIn);
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

    public int getConvs() {
        return convs;
    }

    public int getWidth() {
        return width;
    }

    /** A, anchors per location. */
    public int getAnchors() {
        return anchors;
    }

    /** K, object classes. */
    public int getClasses() {
        return classes;
    }

    /** π, the initial foreground probability. */
    public double getPrior() {
        return prior;
    }

    @Override
    public String toString() {
        return "ClassificationSubnet(convs=" + convs + ", width=" + width + ", anchors=" + anchors + ", classes="
                + classes + ", prior=" + prior + ")";
    }

    /** Builder for {@link ClassificationSubnet}; {@link #build()} validates every setting. */
    public static final class Builder {
        private int convs = 4;
        private int width = 256;
        private int anchors = 9;
        private int classes = -1;
        private double prior = FocalInit.DEFAULT_PRIOR;

        private Builder() {
        }

        /** Number of hidden 3×3 convs (≥ 0; paper: 4). */
        public Builder convs(int convs) {
            this.convs = convs;
            return this;
        }

        /** Filters of each hidden conv (≥ 1; paper: 256). */
        public Builder width(int width) {
            this.width = width;
            return this;
        }

        /** A, anchors per location (≥ 1; paper: 9). */
        public Builder anchors(int anchors) {
            this.anchors = anchors;
            return this;
        }

        /** K, object classes (background is not a class). Required. */
        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        /** π, the initial foreground probability, in (0, 1) (paper: 0.01). */
        public Builder prior(double prior) {
            this.prior = prior;
            return this;
        }

        public ClassificationSubnet build() {
            return new ClassificationSubnet(this);
        }
    }
}
