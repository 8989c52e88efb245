package org.focaldl4j.samediff;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.focaldl4j.loss.AbstractFocalLoss;
import org.focaldl4j.loss.FocalParameters;
import org.focaldl4j.loss.FocalVariant;
import org.focaldl4j.loss.LossTerms;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.serde.jackson.shaded.NDArrayTextDeSerializer;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;

/**
 * The SameDiff twin of the losses as a drop-in {@code ILossFunction}: its maths is a SameDiff graph
 * built by {@link FocalLossOps} — the sigmoid focal loss (default), the categorical focal loss or FL* —
 * and differentiated by SameDiff's autodiff; everything around the maths (validation, masks, weights,
 * label smoothing, dtypes, other activations) is {@link AbstractFocalLoss}'s, shared with
 * {@code LossFocal}, {@code LossCategoricalFocal} and {@code LossFocalStar}:
 * <pre>
 *   scoreArray[i] = Σ_j w[j]·m[i,j]·ℓ[i,j]   ([rows, 1]),   gradient = ∂(Σ_i scoreArray[i]) / ∂preOutput
 * </pre>
 * Unlike DL4J's {@code SameDiffLoss} the score array is [rows, 1] (so it works in {@code CnnLossLayer}),
 * per-output masks work, a graph is built per thread and per compute dtype (FLOAT, DOUBLE), score and
 * gradient come from one graph execution, and nothing is printed. Other activations than the logit one are read as
 * probabilities, as the losses do: the sigmoid and FL* forms through the same graph at the logit log p − log(1 − p),
 * the categorical form through a second graph of its per-class terms α_c·y_c·(1 − p_c)^γ·(−log p_c).
 */
public final class SameDiffFocalLoss extends AbstractFocalLoss {

    /** 3: the variant axis is named {@link FocalVariant} (its field and JSON property "variant"). */
    private static final long serialVersionUID = 3L;

    private static final String LABELS = "labels";
    private static final String LOGITS = "logits";
    private static final String PROBABILITIES = "probabilities";
    private static final String MULTIPLIER = "multiplier";
    private static final String ELEMENTS = "elements";
    private static final String TOTAL = "total";

    private final FocalVariant variant;
    private final double alpha;
    private final double[] classAlpha;
    private final double gamma;
    private final double beta;

    /** Graphs are per thread, compute dtype and input (logits or probabilities); rebuilt lazily (e.g. after deserialisation). */
    private transient volatile ThreadLocal<Map<GraphKey, Graph>> graphs;

    /** Which graph: the loss from logits, or the categorical form's terms from probabilities. */
    private record GraphKey(DataType type, boolean fromProbabilities) {
    }

    /** SameDiff's name of the gradient function (its {@code GRAD_FN_KEY}, protected in 1.0.0-M2.1). */
    private static final String GRADIENT_FUNCTION = "grad";

    /**
     * One thread's graph for one compute dtype, and the memory its two sessions (score only; score and gradient) each
     * reuse from call to call: DL4J's output layers alternate the two, which one pool would trade back and forth.
     */
    private static final class Graph {
        final SameDiff sd;
        final RecyclingMemoryMgr scoreMemory = new RecyclingMemoryMgr();
        final RecyclingMemoryMgr gradientMemory = new RecyclingMemoryMgr();

        Graph(SameDiff sd) {
            this.sd = sd;
        }

        /** The function's session on this thread, made here if needed, allocating from {@code memory}. */
        SameDiff withMemory(SameDiff function, RecyclingMemoryMgr memory) {
            long thread = Thread.currentThread().getId();
            InferenceSession session = function.getSessions().get(thread);
            if (session == null) {
                session = SameDiff.getInferenceFactory().create(function);
                function.getSessions().put(thread, session);
            }
            if (session.getMmgr() != memory) {
                session.setMmgr(memory);
            }
            return function;
        }
    }

    /** Sigmoid focal loss, α = 0.25, γ = 2. */
    public SameDiffFocalLoss() {
        this(0.25, 2.0);
    }

    /** Sigmoid focal loss with α ∈ [0, 1] or −1 (off) and γ ≥ 0. */
    public SameDiffFocalLoss(double alpha, double gamma) {
        this(FocalVariant.SIGMOID, alpha, null, gamma, 0.0, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /** Categorical (softmax) focal loss: per-class α (null = all ones), γ ≥ 0. */
    public static SameDiffFocalLoss categorical(double[] alpha, double gamma) {
        return new SameDiffFocalLoss(FocalVariant.CATEGORICAL, -1, alpha, gamma, 0.0, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /** FL*: α ∈ [0, 1] or −1, γ &gt; 0, β finite. */
    public static SameDiffFocalLoss star(double alpha, double gamma, double beta) {
        return new SameDiffFocalLoss(FocalVariant.STAR, alpha, null, gamma, beta, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /**
     * Every setting; {@code alpha} is used by SIGMOID and STAR (must be −1 for CATEGORICAL), {@code classAlpha}
     * by CATEGORICAL only (must be null otherwise), {@code beta} by STAR only (must be 0 otherwise).
     */
    public SameDiffFocalLoss(FocalVariant variant, double alpha, double[] classAlpha, double gamma, double beta, INDArray weights,
                             double labelSmoothing, double clipEpsilon) {
        super(weights, labelSmoothing, clipEpsilon);
        check(variant, alpha, classAlpha, gamma, beta);
        this.variant = variant;
        this.alpha = alpha;
        this.classAlpha = FocalParameters.checkClassAlpha(classAlpha);
        this.gamma = gamma;
        this.beta = beta;
    }

    /**
     * From JSON: an absent (or null) property takes its default — variant SIGMOID; α 0.25 (SIGMOID, STAR) or −1
     * (CATEGORICAL); γ 2; β 1 (STAR) or 0 — and an unknown variant is refused. A configuration written before the
     * variant had its name reads too: its {@code "kind"} is the variant.
     */
    @JsonCreator
    static SameDiffFocalLoss fromJson(@JsonProperty("variant") String variant,
                                      @JsonProperty("alpha") Double alpha,
                                      @JsonProperty("classAlpha") double[] classAlpha,
                                      @JsonProperty("gamma") Double gamma,
                                      @JsonProperty("beta") Double beta,
                                      @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class)
                                      INDArray weights,
                                      @JsonProperty("labelSmoothing") Double labelSmoothing,
                                      @JsonProperty("clipEpsilon") Double clipEpsilon,
                                      @JsonProperty("kind") String kind) {
        if (variant != null && kind != null && !variant.equals(kind)) {
            throw new IllegalArgumentException("\"kind\" (the earlier name of \"variant\") "
                    + "and \"variant\" disagree: \"" + kind + "\" and \"" + variant + "\"");
        }
        String name = variant != null ? variant : kind;
        FocalVariant k = FocalVariant.SIGMOID;
        if (name != null) {
            k = Arrays.stream(FocalVariant.values()).filter(v -> v.name().equals(name)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("variant must be one of " + Arrays.toString(FocalVariant.values()) + "; got \""
                            + name + "\""));
        }
        return new SameDiffFocalLoss(k, jsonOr(alpha, k == FocalVariant.CATEGORICAL ? -1 : 0.25), classAlpha, jsonOr(gamma, 2.0),
                jsonOr(beta, k == FocalVariant.STAR ? 1.0 : 0.0), weights, jsonOr(labelSmoothing, 0),
                jsonOr(clipEpsilon, DEFAULT_CLIP_EPSILON));
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            check(variant, alpha, classAlpha, gamma, beta);
            FocalParameters.checkClassAlpha(classAlpha);
        });
    }

    private static void check(FocalVariant variant, double alpha, double[] classAlpha, double gamma, double beta) {
        if (variant == null) {
            throw new IllegalArgumentException("variant must be SIGMOID, CATEGORICAL or STAR; got null");
        }
        if (variant == FocalVariant.CATEGORICAL) {
            unused(variant, "alpha", alpha, -1);
        } else {
            FocalParameters.checkAlpha(alpha);
        }
        if (variant != FocalVariant.CATEGORICAL && classAlpha != null) {
            throw new IllegalArgumentException("classAlpha is for the CATEGORICAL variant only; got "
                    + Arrays.toString(classAlpha) + " for " + variant);
        }
        if (variant == FocalVariant.STAR) {
            FocalParameters.checkStarGamma(gamma);
            FocalParameters.checkBeta(beta);
        } else {
            FocalParameters.checkGamma(gamma);
            unused(variant, "beta", beta, 0);
        }
    }

    private static void unused(FocalVariant variant, String name, double value, double expected) {
        if (Double.compare(value, expected) != 0) {
            throw new IllegalArgumentException(name + " is not used by the " + variant + " variant and must be " + expected
                    + "; got " + value);
        }
    }

    @Override
    protected FocalVariant variant() {
        return variant;
    }

    @Override
    protected double[] perClassWeights() {
        return classAlpha;
    }

    /** Runs the graph: the per-element (per-row for CATEGORICAL) losses and their gradient in one execution. */
    @Override
    protected LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                   boolean wantGradient) {
        INDArray m = multiplier != null ? multiplier : Nd4j.ones(x.dataType(), x.shape());
        return run(graph(x.dataType(), false), LOGITS, Map.of(LABELS, y, LOGITS, x, MULTIPLIER, m), wantScore,
                wantGradient);
    }

    /** The categorical form's per-class terms from probabilities and their gradient, by the second graph. */
    @Override
    protected LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient) {
        if (variant != FocalVariant.CATEGORICAL) {
            return super.fromProbabilities(p, y, wantGradient);
        }
        return run(graph(p.dataType(), true), PROBABILITIES, Map.of(LABELS, y, PROBABILITIES, p), true, wantGradient);
    }

    /**
     * For clipEpsilon 0: the limit of dℓ/dp where p equals its label 0 or 1, mirroring {@code LossFocal} (SIGMOID) and
     * {@code LossFocalStar} (STAR); the categorical terms are handled inside their graph.
     */
    @Override
    protected double slopeAtLabel(double label) {
        double alphaT = alpha < 0 ? 1.0 : label == 1 ? alpha : 1 - alpha;
        double sign = label == 1 ? -1.0 : 1.0;
        if (variant == FocalVariant.STAR) {
            return gamma > 1 ? 0.0 : gamma == 1 ? sign * alphaT * Math.exp(-beta) : Double.NaN;
        }
        return gamma == 0 ? sign * alphaT : 0.0;
    }

    /** One execution of {@code g}: ELEMENTS (if asked) and their gradient with respect to {@code input} (if asked). */
    private static LossTerms run(Graph g, String input, Map<String, INDArray> placeholders, boolean wantScore,
                                 boolean wantGradient) {
        SameDiff sd = g.sd;
        // The session's arrays are lent for this call and handed to the next: what is returned is copied out first.
        RecyclingMemoryMgr memory = wantGradient ? g.gradientMemory : g.scoreMemory;
        try {
            if (wantGradient) {
                g.withMemory(sd.getFunction(GRADIENT_FUNCTION), memory);
                OutAndGrad r = sd.calculateGradientsAndOutputs(placeholders, List.of(ELEMENTS), List.of(input));
                INDArray loss = wantScore ? r.getOutputs().get(ELEMENTS).dup() : null;
                return new LossTerms(loss, r.getGradients().get(input).dup());
            }
            return new LossTerms(g.withMemory(sd, memory).output(placeholders, ELEMENTS).get(ELEMENTS).dup(), null);
        } finally {
            memory.endCall();
        }
    }

    private SDVariable define(SameDiff sd, SDVariable labels, SDVariable logits, SDVariable multiplier) {
        switch (variant) {
            case CATEGORICAL:
                return FocalLossOps.categoricalFocal(sd, ELEMENTS, labels, logits, multiplier, classAlpha, gamma,
                        LossReduce.NONE);
            case STAR:
                return FocalLossOps.focalStar(sd, ELEMENTS, labels, logits, multiplier, alpha, gamma, beta,
                        LossReduce.NONE);
            default:
                return FocalLossOps.sigmoidFocal(sd, ELEMENTS, labels, logits, multiplier, alpha, gamma, LossReduce.NONE);
        }
    }

    /** Arrays this thread's sessions of the logit graph for {@code type} have allocated fresh so far (both sessions; for tests). */
    long freshArrays(DataType type) {
        Graph g = graph(type, false);
        return g.scoreMemory.freshArrays() + g.gradientMemory.freshArrays();
    }

    private Graph graph(DataType type, boolean fromProbabilities) {
        ThreadLocal<Map<GraphKey, Graph>> local = graphs;
        if (local == null) {
            synchronized (this) {
                if (graphs == null) {
                    graphs = ThreadLocal.withInitial(HashMap::new);
                }
                local = graphs;
            }
        }
        return local.get().computeIfAbsent(new GraphKey(type, fromProbabilities), k -> new Graph(build(k)));
    }

    /** Builds a graph outside any workspace (its constants must outlive the caller's workspace). */
    private SameDiff build(GraphKey key) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SameDiff sd = SameDiff.create();
            SDVariable labels = sd.placeHolder(LABELS, key.type(), -1, -1);
            String input = key.fromProbabilities() ? PROBABILITIES : LOGITS;
            SDVariable in = sd.placeHolder(input, key.type(), -1, -1);
            SDVariable elements = key.fromProbabilities()
                    ? FocalLossOps.categoricalTermsFromProbabilities(sd, ELEMENTS, labels, in, classAlpha, gamma)
                    : define(sd, labels, in, sd.placeHolder(MULTIPLIER, key.type(), -1, -1));
            sd.setLossVariables(elements.sum(TOTAL));
            QuietSameDiff.createGradFunction(sd, input);      // gradients with respect to a placeholder must be requested
            return sd;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Configuration
    // ------------------------------------------------------------------------------------------

    public static Builder builder(FocalVariant variant) {
        return new Builder(variant);
    }

    /** A builder holding this loss's settings. */
    public Builder toBuilder() {
        return withSharedSettings(builder(variant).alpha(alpha).classAlpha(classAlpha).gamma(gamma).beta(beta));
    }

    @JsonProperty("variant")
    public FocalVariant getVariant() {
        return variant;
    }

    /** α of the SIGMOID and STAR variants (−1 for CATEGORICAL). */
    @JsonProperty("alpha")
    public double getAlpha() {
        return alpha;
    }

    /** Per-class α of the CATEGORICAL variant (a copy), or null. */
    @JsonProperty("classAlpha")
    public double[] getClassAlpha() {
        return classAlpha == null ? null : classAlpha.clone();
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    /** β of the STAR variant (0 otherwise). */
    @JsonProperty("beta")
    public double getBeta() {
        return beta;
    }

    @Override
    public String toString() {
        switch (variant) {
            case CATEGORICAL:
                return "SameDiffFocalLoss(categorical, " + (classAlpha == null ? "" : "alpha=" + Arrays.toString(classAlpha)
                        + ", ") + "gamma=" + gamma + commonToString() + ")";
            case STAR:
                return "SameDiffFocalLoss(star, alpha=" + alpha + ", gamma=" + gamma + ", beta=" + beta
                        + commonToString() + ")";
            default:
                return "SameDiffFocalLoss(alpha=" + alpha + ", gamma=" + gamma + commonToString() + ")";
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        SameDiffFocalLoss that = (SameDiffFocalLoss) o;
        return variant == that.variant && Double.compare(alpha, that.alpha) == 0 && Arrays.equals(classAlpha, that.classAlpha)
                && Double.compare(gamma, that.gamma) == 0 && Double.compare(beta, that.beta) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), variant.name(), alpha, Arrays.hashCode(classAlpha), gamma, beta);
    }

    /** Builder for {@link SameDiffFocalLoss}: the variant's defaults are α = 0.25 (−1 for CATEGORICAL), γ = 2, β = 1 (STAR). */
    public static final class Builder extends BaseBuilder<SameDiffFocalLoss, Builder> {
        private final FocalVariant variant;
        private double alpha;
        private double[] classAlpha;
        private double gamma = 2.0;
        private double beta;

        private Builder(FocalVariant variant) {
            if (variant == null) {
                throw new IllegalArgumentException("variant must be SIGMOID, CATEGORICAL or STAR; got null");
            }
            this.variant = variant;
            this.alpha = variant == FocalVariant.CATEGORICAL ? -1 : 0.25;
            this.beta = variant == FocalVariant.STAR ? 1.0 : 0.0;
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** α ∈ [0, 1] or −1 (SIGMOID, STAR). */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** One α_c ≥ 0 per class, or null for all ones (CATEGORICAL). */
        public Builder classAlpha(double... classAlpha) {
            this.classAlpha = classAlpha;
            return this;
        }

        /** γ ≥ 0 (&gt; 0 for STAR). Default 2. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        /** β, finite (STAR). Default 1. */
        public Builder beta(double beta) {
            this.beta = beta;
            return this;
        }

        @Override
        public SameDiffFocalLoss build() {
            return new SameDiffFocalLoss(variant, alpha, classAlpha, gamma, beta, weights, labelSmoothing, clipEpsilon);
        }
    }
}
