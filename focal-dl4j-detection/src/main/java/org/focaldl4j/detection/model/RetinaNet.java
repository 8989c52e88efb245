package org.focaldl4j.detection.model;

import java.util.Arrays;
import java.util.List;

import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration.GraphBuilder;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.detection.anchor.AnchorMatcher;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.detection.layers.BoxRegressionLossLayer;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.focaldl4j.detection.layers.SharedHeadVertex;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A RetinaNet-style detector (Lin et al. 2017, §4) as a DL4J {@code ComputationGraph}: a backbone you give,
 * a feature pyramid on its L feature maps (lateral 1×1 convs to F channels, top-down nearest 2× upsampling
 * added to the finer lateral, a 3×3 conv on each sum), one classification subnet and one box subnet each
 * shared by all levels ({@link SharedHeadVertex}), and the two loss layers — {@link AnchorLossLayer} with
 * integer labels and the focal loss, {@link BoxRegressionLossLayer} with smooth-L1 — both normalised by the
 * positive anchors ({@link PositiveNormaliser}). Outputs, in order: "cls" [N, A·K, M] (probabilities at
 * inference), "box" [N, 4·A, M] (deltas), M the locations of all levels ({@link AnchorPyramid}).
 *
 * <p>{@link #detect} is the paper's inference: per level the top {@code topK} (1000) anchor-class scores
 * above {@code minScore} (0.05), boxes decoded ({@link BoxCoder}) and clipped to the image, class-wise NMS
 * at IoU {@code nmsIou} (0.5) over all levels, the best {@code maxDetections} (100) per image. {@link #targets}
 * gives what it trains on. Immutable; {@link #builder()} validates every setting.
 */
public final class RetinaNet {

    private final int height;
    private final int width;
    private final int channels;
    private final int classes;
    private final Backbone backbone;
    private final AnchorPyramid pyramid;
    private final int fpnChannels;
    private final int headConvs;
    private final int headWidth;
    private final double prior;
    private final ILossFunction classLoss;
    private final double boxBeta;
    private final PositiveNormaliser normaliser;
    private final BoxCoder coder;
    private final AnchorMatcher matcher;
    private final IUpdater updater;
    private final double weightDecay;
    private final GradientNormalization clipping;
    private final double clipThreshold;
    private final long seed;
    private final CacheMode cacheMode;
    private final WorkspaceMode workspaceMode;
    private final AnchorTargets targets;
    private final PostProcessing postProcessing;

    private RetinaNet(Builder b) {
        if (b.height < 1 || b.width < 1 || b.channels < 1 || b.classes < 1) {
            throw new IllegalArgumentException("RetinaNet needs an input size and classes >= 1; got " + b.height + "×"
                    + b.width + "×" + b.channels + ", classes " + b.classes);
        }
        if (b.backbone == null || b.pyramid == null || b.classLoss == null || b.updater == null || b.normaliser == null
                || b.coder == null || b.matcher == null) {
            throw new IllegalArgumentException("RetinaNet needs a backbone, an anchor pyramid, a class loss, an updater, "
                    + "a normaliser, a box coder and a matcher");
        }
        if (b.fpnChannels < 1 || b.headConvs < 0 || b.headWidth < 1) {
            throw new IllegalArgumentException("RetinaNet needs fpnChannels >= 1, headConvs >= 0, headWidth >= 1; got "
                    + b.fpnChannels + ", " + b.headConvs + ", " + b.headWidth);
        }
        if (b.cacheMode == null || b.workspaceMode == null) {
            throw new IllegalArgumentException("RetinaNet needs a cache mode and a workspace mode; got " + b.cacheMode
                    + ", " + b.workspaceMode);
        }
        if (b.cacheMode != CacheMode.NONE && b.workspaceMode == WorkspaceMode.NONE) {
            throw new IllegalArgumentException("cacheMode " + b.cacheMode + " caches nothing with WorkspaceMode.NONE "
                    + "(DL4J keeps the cache in a workspace); use cacheMode(CacheMode.NONE) with it");
        }
        if (!(b.weightDecay >= 0) || Double.isInfinite(b.weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be finite and >= 0; got " + b.weightDecay);
        }
        if (b.clipping == null || !(b.clipThreshold > 0) || Double.isInfinite(b.clipThreshold)) {
            throw new IllegalArgumentException("gradientNormalization needs a kind and a finite threshold > 0; got "
                    + b.clipping + ", " + b.clipThreshold);
        }
        FocalInit.priorBias(b.prior);
        new BoxRegressionLossLayer.Builder().beta(b.boxBeta);                    // validates β
        double coarsest = b.pyramid.level(b.pyramid.levelCount() - 1).stride();
        if (b.height % coarsest != 0 || b.width % coarsest != 0) {
            throw new IllegalArgumentException("the input size " + b.height + "×" + b.width + " must be a multiple of the "
                    + "coarsest stride " + coarsest + " (so that 2× upsampling meets the finer level exactly)");
        }
        this.height = b.height;
        this.width = b.width;
        this.channels = b.channels;
        this.classes = b.classes;
        this.backbone = b.backbone;
        this.pyramid = b.pyramid;
        this.fpnChannels = b.fpnChannels;
        this.headConvs = b.headConvs;
        this.headWidth = b.headWidth;
        this.prior = b.prior;
        this.classLoss = b.classLoss;
        this.boxBeta = b.boxBeta;
        this.normaliser = b.normaliser;
        this.coder = b.coder;
        this.matcher = b.matcher;
        this.updater = b.updater.clone();                                    // the caller's updater may change later
        this.weightDecay = b.weightDecay;
        this.clipping = b.clipping;
        this.clipThreshold = b.clipThreshold;
        this.seed = b.seed;
        this.cacheMode = b.cacheMode;
        this.workspaceMode = b.workspaceMode;
        this.targets = new AnchorTargets(pyramid, height, width, classes, matcher, coder);   // the anchors, made once
        this.postProcessing = new PostProcessing(pyramid, targets.anchors(), coder, classes, height, width);
    }

    public static Builder builder() {
        return new Builder();
    }

    public AnchorPyramid pyramid() {
        return pyramid;
    }

    public BoxCoder coder() {
        return coder;
    }

    public AnchorMatcher matcher() {
        return matcher;
    }

    /** The training targets of this detector's input size, classes, anchors, matcher and box coder. */
    public AnchorTargets targets() {
        return targets;
    }

    public int classes() {
        return classes;
    }

    /** The network's configuration: backbone, pyramid, shared heads, loss layers; outputs "cls" and "box". */
    public ComputationGraphConfiguration configuration() {
        NeuralNetConfiguration.Builder nn = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
                .updater(updater).weightInit(WeightInit.RELU).gradientNormalization(clipping)
                .gradientNormalizationThreshold(clipThreshold).trainingWorkspaceMode(workspaceMode).inferenceWorkspaceMode(workspaceMode).cacheMode(cacheMode);
        if (weightDecay > 0) {
            nn.regularization(List.of(new WeightDecay(weightDecay, true)));
        }
        GraphBuilder g = nn.graphBuilder().addInputs("image")
                .setInputTypes(InputType.convolutional(height, width, channels));
        List<Backbone.FeatureMap> maps = backbone.addTo(g, "image", channels);
        String[] p = FeaturePyramid.addTo(g, maps, pyramid, fpnChannels);
        int a = pyramid.anchorsPerLocation();
        g.addVertex("cls_head", SharedHeadVertex.classification(p.length, fpnChannels, headConvs, headWidth, a, classes,
                prior), p);
        g.addVertex("box_head", SharedHeadVertex.boxRegression(p.length, fpnChannels, headConvs, headWidth, a), p);
        g.addLayer("cls", new AnchorLossLayer.Builder(classLoss).integerLabels(classes).normaliser(normaliser).build(),
                "cls_head");
        g.addLayer("box", new BoxRegressionLossLayer.Builder().beta(boxBeta).normaliser(normaliser).build(), "box_head");
        return g.setOutputs("cls", "box").build();
    }

    /** A new, initialised network of {@link #configuration()}. */
    public ComputationGraph network() {
        ComputationGraph net = new ComputationGraph(configuration());
        net.init();
        return net;
    }

    /** The paper's inference with its settings: score &gt; 0.05, top 1000 per level, NMS 0.5, 100 per image. */
    public List<List<Detection>> detect(ComputationGraph net, INDArray images) {
        return detect(net, images, 0.05, 1000, 0.5, 100);
    }

    /** Detections of each image of {@code images} [N, C, H, W]; {@link Detection#image()} is the index in this batch. */
    public List<List<Detection>> detect(ComputationGraph net, INDArray images, double minScore, int topK,
                                        double nmsIou, int maxDetections) {
        if (net == null || images == null || images.rank() != 4 || images.size(1) != channels
                || images.size(2) != height || images.size(3) != width) {
            throw new IllegalArgumentException("detect needs a network and [N, " + channels + ", " + height + ", " + width
                    + "] images; got " + (images == null ? "null" : Arrays.toString(images.shape())));
        }
        PostProcessing.checkSettings(minScore, topK, nmsIou, maxDetections);
        INDArray[] out = net.output(false, images);
        return decode(out[0], out[1], minScore, topK, nmsIou, maxDetections);
    }

    /**
     * Post-processing of class probabilities [N, A·K, M] (each in [0, 1]) and finite box deltas [N, 4·A, M]; boxes are
     * clipped to the image, and one left with no area (entirely outside) is not a detection.
     */
    public List<List<Detection>> decode(INDArray probabilities, INDArray deltas, double minScore, int topK, double nmsIou,
                                        int maxDetections) {
        return postProcessing.decode(probabilities, deltas, minScore, topK, nmsIou, maxDetections);
    }

    /** Builder; every setting is validated by {@link #build()}. */
    public static final class Builder {
        private int height;
        private int width;
        private int channels = 1;
        private int classes;
        private Backbone backbone;
        private AnchorPyramid pyramid;
        private int fpnChannels = 64;
        private int headConvs = 2;
        private int headWidth = 64;
        private double prior = FocalInit.DEFAULT_PRIOR;
        private ILossFunction classLoss = new LossFocal();
        private double boxBeta = 0.1;
        private PositiveNormaliser normaliser = PositiveNormaliser.perBatch();
        private BoxCoder coder = new BoxCoder();
        private AnchorMatcher matcher = new AnchorMatcher();
        private IUpdater updater = new Nesterovs(0.01, 0.9);
        private double weightDecay = 1e-4;
        private GradientNormalization clipping = GradientNormalization.None;
        private double clipThreshold = 1.0;                                  // DL4J's default
        private long seed = 1;
        private CacheMode cacheMode = CacheMode.DEVICE;
        private WorkspaceMode workspaceMode = WorkspaceMode.ENABLED;

        private Builder() {
        }

        /** Input images [N, channels, height, width]. */
        public Builder input(int height, int width, int channels) {
            this.height = height;
            this.width = width;
            this.channels = channels;
            return this;
        }

        /** K, object classes. */
        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        public Builder backbone(Backbone backbone) {
            this.backbone = backbone;
            return this;
        }

        /** Anchors per level; its strides must be the backbone's feature maps'. */
        public Builder anchors(AnchorPyramid pyramid) {
            this.pyramid = pyramid;
            return this;
        }

        /** F, channels of every pyramid level (paper: 256). Default 64. */
        public Builder fpnChannels(int fpnChannels) {
            this.fpnChannels = fpnChannels;
            return this;
        }

        /** Hidden 3×3 convs of each subnet and their width (paper: 4 and 256). Default 2 and 64. */
        public Builder heads(int convs, int width) {
            this.headConvs = convs;
            this.headWidth = width;
            return this;
        }

        /** π, the initial foreground probability of the classification subnet (paper: 0.01). */
        public Builder prior(double prior) {
            this.prior = prior;
            return this;
        }

        /** The element-wise classification loss (default {@code new LossFocal()}: α = 0.25, γ = 2). */
        public Builder classLoss(ILossFunction classLoss) {
            this.classLoss = classLoss;
            return this;
        }

        /** β of the smooth-L1 box loss (default 0.1; 0 is L1). */
        public Builder boxBeta(double boxBeta) {
            this.boxBeta = boxBeta;
            return this;
        }

        public Builder normaliser(PositiveNormaliser normaliser) {
            this.normaliser = normaliser;
            return this;
        }

        public Builder boxCoder(BoxCoder coder) {
            this.coder = coder;
            return this;
        }

        public Builder matcher(AnchorMatcher matcher) {
            this.matcher = matcher;
            return this;
        }

        /** Default Nesterov SGD, learning rate 0.01, momentum 0.9. */
        public Builder updater(IUpdater updater) {
            this.updater = updater;
            return this;
        }

        /** Decoupled weight decay (default 1e-4, the paper's; 0 for none). */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** DL4J's gradient normalisation of every layer and head (default None, 1.0), e.g. ClipL2PerLayer and a norm. */
        public Builder gradientNormalization(GradientNormalization kind, double threshold) {
            this.clipping = kind;
            this.clipThreshold = threshold;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * DL4J's layer cache (default {@link CacheMode#DEVICE}): conv layers keep im2col and pre-activations for backprop
         * (same bits, less backward work; docs/performance.md). NONE is DL4J's default; the cache lives in a workspace,
         * so with {@link WorkspaceMode#NONE} only {@link CacheMode#NONE} is accepted.
         */
        public Builder cacheMode(CacheMode cacheMode) {
            this.cacheMode = cacheMode;
            return this;
        }

        /** DL4J's workspace mode for training and inference (default {@link WorkspaceMode#ENABLED}). */
        public Builder workspaceMode(WorkspaceMode workspaceMode) {
            this.workspaceMode = workspaceMode;
            return this;
        }

        public RetinaNet build() {
            return new RetinaNet(this);
        }
    }
}
