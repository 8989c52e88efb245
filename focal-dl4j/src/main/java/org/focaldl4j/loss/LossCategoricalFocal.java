package org.focaldl4j.loss;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.serde.jackson.shaded.NDArrayTextDeSerializer;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;

/**
 * Categorical (softmax) focal loss, the multi-class form (Keras' CategoricalFocalCrossentropy,
 * kornia's focal_loss); a drop-in for {@code LossMCXENT}. Per row, with logits x, labels y
 * (one-hot or soft, each row summing to 1) and p = softmax(x):
 * <pre>
 *   ℓ_row = −Σ_c α_c · y_c · (1 − p_c)^γ · log p_c
 * </pre>
 * α_c is a per-class weight (all ones by default; there is no 1 − α for "negatives" in the
 * multi-class form). γ = 0 with all α_c = 1 is DL4J's multi-class cross-entropy.
 *
 * <p>With a softmax activation the loss is computed from log-softmax of the logits (stable at
 * |x| = 1e4, no clipping): on the CPU backend by a fused kernel ({@link ExecutionPath#AUTO}), elsewhere or
 * with {@link ExecutionPath#OPS} by ND4J ops; see {@link #fromLogits}. Other activations' outputs are read as
 * probabilities (clipped to [ε, 1−ε]).
 *
 * <p>Masks: per example ([rows, 1]) as usual. A per-output mask (the labels' shape) is accepted
 * only when it is constant across each row, and then means the same as the per-example mask: DL4J's
 * layers multiply the mask into the logits before the softmax, so masking single classes would
 * change the softmax of the others. To down-weight classes use {@code alpha} or {@code weights}.
 * Label rows must sum to 1 (±{@value FocalParameters#LABEL_SUM_TOLERANCE}) except where masked out.
 */
public final class LossCategoricalFocal extends FusedFocalLoss {

    /** 4: the execution path moved to {@link FusedFocalLoss}; older streams are refused rather than misread. */
    private static final long serialVersionUID = 4L;

    public static final double DEFAULT_GAMMA = 2.0;
    private final double[] alpha;
    private final double gamma;

    /** γ = 2, every α_c = 1. */
    public LossCategoricalFocal() {
        this(null, DEFAULT_GAMMA);
    }

    /** Every α_c = 1. */
    public LossCategoricalFocal(double gamma) {
        this(null, gamma);
    }

    /**
     * @param alpha one non-negative weight per class, or null for all ones
     * @param gamma focusing parameter γ ∈ [0, 1000]
     */
    public LossCategoricalFocal(double[] alpha, double gamma) {
        this(alpha, gamma, null, 0.0, DEFAULT_CLIP_EPSILON, ExecutionPath.AUTO);
    }

    /**
     * Every setting; see {@link #builder()}.
     *
     * @param path {@link ExecutionPath#AUTO} or {@link ExecutionPath#OPS} (not null)
     */
    public LossCategoricalFocal(double[] alpha, double gamma, INDArray weights, double labelSmoothing, double clipEpsilon,
                                ExecutionPath path) {
        super(weights, labelSmoothing, clipEpsilon, path);
        this.alpha = FocalParameters.checkClassAlpha(alpha);
        this.gamma = FocalParameters.checkGamma(gamma);
    }

    /** From JSON: an absent (or null) property takes its default (α: all ones). */
    @JsonCreator
    static LossCategoricalFocal fromJson(@JsonProperty("alpha") double[] alpha,
                                         @JsonProperty("gamma") Double gamma,
                                         @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class)
                                         INDArray weights,
                                         @JsonProperty("labelSmoothing") Double labelSmoothing,
                                         @JsonProperty("clipEpsilon") Double clipEpsilon,
                                         @JsonProperty("path") String path) {
        return new LossCategoricalFocal(alpha, jsonOr(gamma, DEFAULT_GAMMA), weights, jsonOr(labelSmoothing, 0),
                jsonOr(clipEpsilon, DEFAULT_CLIP_EPSILON), ExecutionPath.fromJson(path));
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            FocalParameters.checkClassAlpha(alpha);
            FocalParameters.checkGamma(gamma);
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this loss's settings. */
    public Builder toBuilder() {
        return withFusedSettings(builder().alpha(alpha).gamma(gamma));
    }

    @Override
    protected FocalVariant variant() {
        return FocalVariant.CATEGORICAL;
    }

    @Override
    protected double[] perClassWeights() {
        return alpha;
    }

    private INDArray alphaRow(INDArray like) {
        return Nd4j.create(alpha, new long[] {1, alpha.length}, DataType.DOUBLE).castTo(like.dataType());
    }

    /**
     * From logits. With log p = log_softmax(x) (row max subtracted first), p = exp(log p),
     * q = 1 − p and a_c = α_c·y_c·w_c·m (weights and mask folded in):
     * <pre>
     *   ℓ_c    = a_c · q_c^γ · (−log p_c)
     *   g_c    = p_c · ∂ℓ_c/∂p_c = −a_c · q_c^γ · (1 + γ·r_c),   r_c = p_c·(−log p_c)/q_c ∈ [0, 1]
     *   dL/dx_j = g_j − p_j · Σ_c g_c                     (the softmax Jacobian, applied once per row)
     * </pre>
     * r_c → 1 as p_c → 1, so no negative power of q appears (finite for 0 &lt; γ &lt; 1 too).
     */
    @Override
    protected LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                   boolean wantGradient) {
        INDArray logp = x.subColumnVector(x.max(true, 1));
        INDArray logSumExp = Transforms.log(Transforms.exp(logp, true).sum(true, 1), false);
        logp.subiColumnVector(logSumExp);
        // A row spread beyond the largest finite value gives x − max = −∞: log p is taken as −MAX there (p = 0), so
        // that a zero label times it is 0, not NaN; the loss of a labelled class is then MAX, where the true one overflows.
        // (max drops NaN: adding x − x, 0 for finite x and NaN otherwise, keeps a NaN logit's row NaN as documented)
        Transforms.max(logp, -maxValue(x.dataType()), false).addi(x.sub(x));
        INDArray p = Transforms.exp(logp, true);
        INDArray q = p.rsub(1.0);
        INDArray nlogp = logp.negi();

        INDArray a = alpha == null ? y.dup() : y.mulRowVector(alphaRow(y));
        if (multiplier != null) {
            a.muli(multiplier);
        }
        INDArray aq = gamma == 0.0 ? a : Transforms.pow(q, gamma, true).muli(a);   // a·q^γ

        INDArray loss = wantScore ? aq.mul(nlogp) : null;
        if (!wantGradient) {
            return new LossTerms(loss, null);
        }
        INDArray g = aq.negi();                                         // −a·q^γ
        if (gamma != 0.0) {
            INDArray r = nlogp.muli(p).divi(Transforms.max(q, tiny(x.dataType()), false));
            Transforms.min(r, 1.0, false);                              // r ∈ [0, 1]; guards q = 0
            g.muli(r.muli(gamma).addi(1.0));
        }
        INDArray grad = g.sub(p.muliColumnVector(g.sum(true, 1)));
        return new LossTerms(loss, grad);
    }

    /**
     * {@link FusedSoftmaxFocal}: the same lines, one pass per row. An α of the wrong length takes the op
     * path, whose label check names it.
     */
    @Override
    boolean kernelTakes(INDArray x, INDArray mask) {
        return (alpha == null || alpha.length == x.size(1)) && (mask == null || mask.size(1) == 1);
    }

    @Override
    FusedOutput kernel(INDArray x, INDArray rawY, INDArray mask, INDArray weights, boolean wantGradient) {
        return FusedSoftmaxFocal.run(x, rawY, mask, weights, alpha, gamma, getLabelSmoothing(), wantGradient);
    }

    /**
     * From probabilities p ∈ [ε, 1−ε] (activations other than softmax), element-wise:
     * <pre>
     *   ℓ_c     = α_c · y_c · q_c^γ · (−log p_c),   q_c = 1 − p_c
     *   dℓ_c/dp = α_c · y_c · q_c^γ · (γ·log p_c / q_c − 1/p_c)
     * </pre>
     * With ε = 0, p may be exactly 0 or 1. Where α_c·y_c = 0 the term is 0 for every p, so p is read as 1 there (the
     * limit 0·log 0 = 0, not 0·∞); where q = 0, log p / q is 0/0 and q is floored at the smallest normal number, which
     * gives the limit: dℓ_c/dp = −α_c·y_c for γ = 0, and 0 for γ &gt; 0 (q^γ = 0).
     */
    @Override
    protected LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient) {
        INDArray a = alpha == null ? y.dup() : y.mulRowVector(alphaRow(y));
        INDArray absent = a.eq(0.0).castTo(p.dataType());             // 1 where α_c·y_c = 0
        p.addi(absent.muli(p.rsub(1.0)));                               // p, or 1 where the term is absent
        INDArray q = p.rsub(1.0);
        INDArray logp = Transforms.log(p, true);
        INDArray aq = gamma == 0.0 ? a : Transforms.pow(q, gamma, true).muli(a);
        INDArray loss = logp.neg().muli(aq);
        if (!wantGradient) {
            return new LossTerms(loss, null);
        }
        INDArray grad = Transforms.pow(p, -1.0, true).negi();           // −1/p
        if (gamma != 0.0) {
            grad.addi(logp.divi(Transforms.max(q, tiny(p.dataType()), false)).muli(gamma));
        }
        return new LossTerms(loss, grad.muli(aq));
    }

    /** Per-class weights α_c (a copy), or null for all ones. */
    @JsonProperty("alpha")
    public double[] getAlpha() {
        return alpha == null ? null : alpha.clone();
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    @Override
    public String toString() {
        return "LossCategoricalFocal(" + (alpha == null ? "" : "alpha=" + Arrays.toString(alpha) + ", ")
                + "gamma=" + gamma + commonToString() + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        LossCategoricalFocal that = (LossCategoricalFocal) o;
        return Arrays.equals(alpha, that.alpha) && Double.compare(gamma, that.gamma) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * super.hashCode() + Arrays.hashCode(alpha)) + Double.hashCode(gamma));
    }

    /** Builder for {@link LossCategoricalFocal}; every setting starts at its default. */
    public static final class Builder extends FusedBuilder<LossCategoricalFocal, Builder> {
        private double[] alpha;
        private double gamma = DEFAULT_GAMMA;

        private Builder() {
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** One weight α_c ≥ 0 per class, or null (default) for all ones. */
        public Builder alpha(double... alpha) {
            this.alpha = alpha;
            return this;
        }

        /** Focusing parameter γ ∈ [0, 1000]. Default 2. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        @Override
        public LossCategoricalFocal build() {
            return new LossCategoricalFocal(alpha, gamma, weights, labelSmoothing, clipEpsilon, path);
        }
    }
}
