package org.focaldl4j.samediff;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.focaldl4j.loss.AbstractFocalLoss;
import org.focaldl4j.loss.FocalParameters;
import org.focaldl4j.loss.LossTerms;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
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
 * gradient come from one graph execution, and nothing is printed. The categorical form needs the SOFTMAX
 * activation; the sigmoid and FL* forms read other activations as probabilities, as the losses do.
 */
public final class SameDiffFocalLoss extends AbstractFocalLoss {

    private static final long serialVersionUID = 2L;

    /** Which focal loss the graph computes. */
    public enum Kind { SIGMOID, CATEGORICAL, STAR }

    private static final String LABELS = "labels";
    private static final String LOGITS = "logits";
    private static final String MULTIPLIER = "multiplier";
    private static final String ELEMENTS = "elements";
    private static final String TOTAL = "total";

    private final Kind kind;
    private final double alpha;
    private final double[] classAlpha;
    private final double gamma;
    private final double beta;

    /** Graphs are per thread and per compute dtype; rebuilt lazily (e.g. after deserialisation). */
    private transient volatile ThreadLocal<Map<DataType, SameDiff>> graphs;

    /** Sigmoid focal loss, α = 0.25, γ = 2. */
    public SameDiffFocalLoss() {
        this(0.25, 2.0);
    }

    /** Sigmoid focal loss with α ∈ [0, 1] or −1 (off) and γ ≥ 0. */
    public SameDiffFocalLoss(double alpha, double gamma) {
        this(Kind.SIGMOID, alpha, null, gamma, 0.0, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /** Categorical (softmax) focal loss: per-class α (null = all ones), γ ≥ 0. */
    public static SameDiffFocalLoss categorical(double[] alpha, double gamma) {
        return new SameDiffFocalLoss(Kind.CATEGORICAL, -1, alpha, gamma, 0.0, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /** FL*: α ∈ [0, 1] or −1, γ &gt; 0, β finite. */
    public static SameDiffFocalLoss star(double alpha, double gamma, double beta) {
        return new SameDiffFocalLoss(Kind.STAR, alpha, null, gamma, beta, null, 0.0, DEFAULT_CLIP_EPSILON);
    }

    /**
     * Every setting; {@code alpha} is used by SIGMOID and STAR (must be −1 for CATEGORICAL), {@code classAlpha}
     * by CATEGORICAL only (must be null otherwise), {@code beta} by STAR only (must be 0 otherwise).
     */
    public SameDiffFocalLoss(Kind kind, double alpha, double[] classAlpha, double gamma, double beta, INDArray weights,
                             double labelSmoothing, double clipEpsilon) {
        super(weights, labelSmoothing, clipEpsilon);
        check(kind, alpha, classAlpha, gamma, beta);
        this.kind = kind;
        this.alpha = alpha;
        this.classAlpha = FocalParameters.checkClassAlpha(classAlpha);
        this.gamma = gamma;
        this.beta = beta;
    }

    /**
     * From JSON: an absent (or null) property takes its default — kind SIGMOID; α 0.25 (SIGMOID, STAR) or −1
     * (CATEGORICAL); γ 2; β 1 (STAR) or 0 — and an unknown kind is refused.
     */
    @JsonCreator
    static SameDiffFocalLoss fromJson(@JsonProperty("kind") String kind,
                                      @JsonProperty("alpha") Double alpha,
                                      @JsonProperty("classAlpha") double[] classAlpha,
                                      @JsonProperty("gamma") Double gamma,
                                      @JsonProperty("beta") Double beta,
                                      @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class)
                                      INDArray weights,
                                      @JsonProperty("labelSmoothing") Double labelSmoothing,
                                      @JsonProperty("clipEpsilon") Double clipEpsilon) {
        Kind k = Kind.SIGMOID;
        if (kind != null) {
            k = Arrays.stream(Kind.values()).filter(v -> v.name().equals(kind)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("kind must be one of " + Arrays.toString(Kind.values()) + "; got \""
                            + kind + "\""));
        }
        return new SameDiffFocalLoss(k, jsonOr(alpha, k == Kind.CATEGORICAL ? -1 : 0.25), classAlpha, jsonOr(gamma, 2.0),
                jsonOr(beta, k == Kind.STAR ? 1.0 : 0.0), weights, jsonOr(labelSmoothing, 0),
                jsonOr(clipEpsilon, DEFAULT_CLIP_EPSILON));
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            check(kind, alpha, classAlpha, gamma, beta);
            FocalParameters.checkClassAlpha(classAlpha);
        });
    }

    private static void check(Kind kind, double alpha, double[] classAlpha, double gamma, double beta) {
        if (kind == null) {
            throw new IllegalArgumentException("kind must be SIGMOID, CATEGORICAL or STAR; got null");
        }
        if (kind == Kind.CATEGORICAL) {
            unused(kind, "alpha", alpha, -1);
        } else {
            FocalParameters.checkAlpha(alpha);
        }
        if (kind != Kind.CATEGORICAL && classAlpha != null) {
            throw new IllegalArgumentException("classAlpha is for the CATEGORICAL kind only; got "
                    + Arrays.toString(classAlpha) + " for " + kind);
        }
        if (kind == Kind.STAR) {
            FocalParameters.checkStarGamma(gamma);
            FocalParameters.checkBeta(beta);
        } else {
            FocalParameters.checkGamma(gamma);
            unused(kind, "beta", beta, 0);
        }
    }

    private static void unused(Kind kind, String name, double value, double expected) {
        if (Double.compare(value, expected) != 0) {
            throw new IllegalArgumentException(name + " is not used by the " + kind + " kind and must be " + expected
                    + "; got " + value);
        }
    }

    @Override
    protected Form form() {
        return kind == Kind.CATEGORICAL ? Form.SOFTMAX : Form.SIGMOID;
    }

    @Override
    protected boolean acceptsActivation(IActivation activationFn) {
        return kind != Kind.CATEGORICAL || activationFn instanceof ActivationSoftmax;
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
        SameDiff sd = graph(x.dataType());
        Map<String, INDArray> placeholders = Map.of(LABELS, y, LOGITS, x, MULTIPLIER, m);
        // SameDiff may reuse its output arrays on the next execution: copy what is returned.
        if (wantGradient) {
            OutAndGrad r = sd.calculateGradientsAndOutputs(placeholders, List.of(ELEMENTS), List.of(LOGITS));
            INDArray loss = wantScore ? r.getOutputs().get(ELEMENTS).dup() : null;
            return new LossTerms(loss, r.getGradients().get(LOGITS).dup());
        }
        return new LossTerms(sd.output(placeholders, ELEMENTS).get(ELEMENTS).dup(), null);
    }

    private SDVariable define(SameDiff sd, SDVariable labels, SDVariable logits, SDVariable multiplier) {
        switch (kind) {
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

    private SameDiff graph(DataType type) {
        ThreadLocal<Map<DataType, SameDiff>> local = graphs;
        if (local == null) {
            synchronized (this) {
                if (graphs == null) {
                    graphs = ThreadLocal.withInitial(() -> new EnumMap<>(DataType.class));
                }
                local = graphs;
            }
        }
        return local.get().computeIfAbsent(type, this::build);
    }

    /** Builds the graph outside any workspace (its constants must outlive the caller's workspace). */
    private SameDiff build(DataType type) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            SameDiff sd = SameDiff.create();
            SDVariable labels = sd.placeHolder(LABELS, type, -1, -1);
            SDVariable logits = sd.placeHolder(LOGITS, type, -1, -1);
            SDVariable multiplier = sd.placeHolder(MULTIPLIER, type, -1, -1);
            SDVariable elements = define(sd, labels, logits, multiplier);
            sd.setLossVariables(elements.sum(TOTAL));
            QuietSameDiff.createGradFunction(sd, LOGITS);     // gradients with respect to a placeholder must be requested
            return sd;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Configuration
    // ------------------------------------------------------------------------------------------

    public static Builder builder(Kind kind) {
        return new Builder(kind);
    }

    /** A builder holding this loss's settings. */
    public Builder toBuilder() {
        return withSharedSettings(builder(kind).alpha(alpha).classAlpha(classAlpha).gamma(gamma).beta(beta));
    }

    @JsonProperty("kind")
    public Kind getKind() {
        return kind;
    }

    /** α of the SIGMOID and STAR kinds (−1 for CATEGORICAL). */
    @JsonProperty("alpha")
    public double getAlpha() {
        return alpha;
    }

    /** Per-class α of the CATEGORICAL kind (a copy), or null. */
    @JsonProperty("classAlpha")
    public double[] getClassAlpha() {
        return classAlpha == null ? null : classAlpha.clone();
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    /** β of the STAR kind (0 otherwise). */
    @JsonProperty("beta")
    public double getBeta() {
        return beta;
    }

    @Override
    public String toString() {
        switch (kind) {
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
        return kind == that.kind && Double.compare(alpha, that.alpha) == 0 && Arrays.equals(classAlpha, that.classAlpha)
                && Double.compare(gamma, that.gamma) == 0 && Double.compare(beta, that.beta) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kind, alpha, Arrays.hashCode(classAlpha), gamma, beta);
    }

    /** Builder for {@link SameDiffFocalLoss}: the kind's defaults are α = 0.25 (−1 for CATEGORICAL), γ = 2, β = 1 (STAR). */
    public static final class Builder extends BaseBuilder<SameDiffFocalLoss, Builder> {
        private final Kind kind;
        private double alpha;
        private double[] classAlpha;
        private double gamma = 2.0;
        private double beta;

        private Builder(Kind kind) {
            if (kind == null) {
                throw new IllegalArgumentException("kind must be SIGMOID, CATEGORICAL or STAR; got null");
            }
            this.kind = kind;
            this.alpha = kind == Kind.CATEGORICAL ? -1 : 0.25;
            this.beta = kind == Kind.STAR ? 1.0 : 0.0;
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
            return new SameDiffFocalLoss(kind, alpha, classAlpha, gamma, beta, weights, labelSmoothing, clipEpsilon);
        }
    }
}
