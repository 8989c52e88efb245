package org.focaldl4j.loss;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.serde.jackson.shaded.NDArrayTextDeSerializer;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.nd4j.shade.jackson.databind.annotation.JsonDeserialize;

/**
 * Sigmoid focal loss (Lin et al. 2017, eq. 5), the RetinaNet classification loss; a drop-in for
 * {@code LossBinaryXENT}. Per element, with logit x and label y ∈ [0, 1] (soft labels allowed):
 * <pre>
 *   p   = σ(x)
 *   p_t = p·y + (1−p)(1−y)
 *   α_t = α·y + (1−α)(1−y)            (α_t = 1 when α = −1)
 *   ℓ   = α_t · (1−p_t)^γ · BCE(x, y),  BCE(x, y) = −y·log p − (1−y)·log(1−p)
 * </pre>
 * This is torchvision's {@code sigmoid_focal_loss(reduction="none")}. γ = 0 and α = −1 is plain
 * binary cross-entropy.
 *
 * <p>With a sigmoid activation everything is computed from the logit (see {@link #fromLogits}):
 * finite for any finite x and any γ ≥ 0, with no clipping. Defaults: α = 0.25, γ = 2 (the paper's
 * best setting). Weights, masks, label smoothing and {@link Normalization} are described in
 * {@link AbstractFocalLoss}; build those with {@link #builder()}.
 */
public class LossFocal extends AbstractFocalLoss {

    private static final long serialVersionUID = 1L;

    public static final double DEFAULT_ALPHA = 0.25;
    public static final double DEFAULT_GAMMA = 2.0;

    private final double alpha;
    private final double gamma;

    /** α = 0.25, γ = 2. */
    public LossFocal() {
        this(DEFAULT_ALPHA, DEFAULT_GAMMA);
    }

    /**
     * @param alpha weight of the positive class in [0, 1], or −1 for no α-balancing
     * @param gamma focusing parameter γ ≥ 0
     */
    public LossFocal(double alpha, double gamma) {
        this(alpha, gamma, null, 0.0, Normalization.SUM, DEFAULT_CLIP_EPSILON);
    }

    @JsonCreator
    public LossFocal(@JsonProperty("alpha") double alpha,
                     @JsonProperty("gamma") double gamma,
                     @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class) INDArray weights,
                     @JsonProperty("labelSmoothing") double labelSmoothing,
                     @JsonProperty("normalization") Normalization normalization,
                     @JsonProperty("clipEpsilon") double clipEpsilon) {
        super(weights, labelSmoothing, normalization, clipEpsilon);
        this.alpha = checkAlpha(alpha);
        this.gamma = checkGamma(gamma);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this loss's settings. */
    public Builder toBuilder() {
        return withSharedSettings(builder().alpha(alpha).gamma(gamma));
    }

    @Override
    protected boolean isLogitActivation(IActivation activationFn) {
        return activationFn instanceof ActivationSigmoid;
    }

    @Override
    protected int smoothingClasses(long nOut) {
        return 2;
    }

    /**
     * Stable evaluation from logits with backend-neutral ND4J ops (the path CUDA runs; on the CPU the
     * fused pass of {@link FusedSigmoidFocal} computes the same). With σ(−x) computed directly (never
     * as 1 − σ(x)):
     * <pre>
     *   a = p(1−y),  b = y(1−p),  q = 1 − p_t = a + b          (a sum of non-negative terms)
     *   BCE   = max(x, 0) − x·y + log1p(exp(−|x|))
     *   ℓ     = α_t · q^γ · BCE
     *   dℓ/dx = α_t · q^γ · [ (a − b) + γ · BCE · (1 − 2y) · r ],   r = p(1−p)/q ∈ [0, 1]
     * </pre>
     * a − b = p − y, exact for hard labels even where p rounds to 1. The last line is eq. 10 of the
     * paper for hard labels, rearranged so that no negative power of q appears: it stays finite for
     * 0 &lt; γ &lt; 1 where q underflows to 0 (then p(1−p) = 0 too, and r is taken as 0 — harmless
     * because q^γ = 0 there).
     */
    @Override
    protected LossTerms fromLogits(INDArray x, INDArray y, Multipliers multipliers, boolean wantScore,
                                   boolean wantGradient) {
        INDArray p = Transforms.sigmoid(x, true);
        INDArray pm = Transforms.sigmoid(x.neg(), false);            // 1 − p, without cancellation
        INDArray oneMinusY = y.rsub(1.0);
        INDArray a = p.mul(oneMinusY);
        INDArray b = pm.mul(y);
        INDArray q = a.add(b);

        INDArray bce = Transforms.abs(x, true).negi();
        Transforms.exp(bce, false);
        Transforms.log1p(bce, false);
        bce.addi(Transforms.relu(x, true)).subi(x.mul(y));

        INDArray scale = gamma == 0.0 ? null : Transforms.pow(q, gamma, true);   // q^γ; 0^0 never evaluated
        INDArray alphaT = alphaT(y, alpha);
        if (alphaT != null) {
            scale = scale == null ? alphaT : scale.muli(alphaT);                 // α_t·q^γ
        }

        INDArray loss = !wantScore ? null : scale == null ? bce.dup() : bce.mul(scale);
        INDArray grad = null;
        if (wantGradient) {
            grad = a.subi(b);                                                    // p − y
            if (gamma != 0.0) {
                double tiny = x.dataType() == DataType.DOUBLE ? Double.MIN_NORMAL : Float.MIN_NORMAL;
                INDArray r = p.muli(pm).divi(Transforms.max(q, tiny, false));     // p(1−p)/q
                grad.addi(r.muli(bce).muli(oneMinusY.subi(y)).muli(gamma));      // (1−y) − y = 1 − 2y
            }
            if (scale != null) {
                grad.muli(scale);
            }
        }
        return multipliers.applyTo(new LossTerms(loss, grad));
    }

    @Override
    FusedSigmoidFocal.Output fusedLogitPass(INDArray x, INDArray rawY, INDArray mask, INDArray weights,
                                            boolean wantGradient) {
        return FusedSigmoidFocal.run(x, rawY, mask, weights, alpha, gamma, getLabelSmoothing(),
                getNormalization() == Normalization.POSITIVES, wantGradient);
    }

    /**
     * From probabilities p ∈ [ε, 1−ε] (any activation other than sigmoid):
     * <pre>
     *   ℓ     = α_t · q^γ · BCE,   q = y(1−p) + (1−y)p,   BCE = −y·log p − (1−y)·log(1−p)
     *   dℓ/dp = α_t · q^γ · [ (p − y)/(p(1−p)) + γ · BCE · (1 − 2y)/q ]
     * </pre>
     */
    @Override
    protected LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient) {
        INDArray pm = p.rsub(1.0);
        INDArray oneMinusY = y.rsub(1.0);
        INDArray bce = Transforms.log(p, true).muli(y)
                .addi(Transforms.log(pm, true).muli(oneMinusY)).negi();
        INDArray q = y.mul(pm).addi(oneMinusY.mul(p));
        INDArray modulator = gamma == 0.0 ? null : Transforms.pow(q, gamma, true);
        INDArray alphaT = alphaT(y, alpha);

        INDArray loss = scaleBy(bce.dup(), modulator, alphaT);
        if (!wantGradient) {
            return new LossTerms(loss, null);
        }
        INDArray grad = p.sub(y).divi(p.mul(pm));
        if (gamma != 0.0) {
            INDArray oneMinus2y = y.mul(-2.0).addi(1.0);
            grad.addi(bce.muli(oneMinus2y).divi(q).muli(gamma));
        }
        return new LossTerms(loss, scaleBy(grad, modulator, alphaT));
    }

    private static INDArray scaleBy(INDArray arr, INDArray modulator, INDArray alphaT) {
        if (modulator != null) {
            arr.muli(modulator);
        }
        if (alphaT != null) {
            arr.muli(alphaT);
        }
        return arr;
    }

    @JsonProperty("alpha")
    public double getAlpha() {
        return alpha;
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public String toString() {
        return "LossFocal(alpha=" + alpha + ", gamma=" + gamma + commonToString() + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        LossFocal that = (LossFocal) o;
        return Double.compare(alpha, that.alpha) == 0 && Double.compare(gamma, that.gamma) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * super.hashCode() + Double.hashCode(alpha)) + Double.hashCode(gamma);
    }

    /** Builder for {@link LossFocal}; every setting starts at its default. */
    public static final class Builder extends BaseBuilder<LossFocal, Builder> {
        private double alpha = DEFAULT_ALPHA;
        private double gamma = DEFAULT_GAMMA;

        private Builder() {
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Positive-class weight α ∈ [0, 1], or −1 for none. Default 0.25. */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** Focusing parameter γ ≥ 0. Default 2. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        @Override
        public LossFocal build() {
            return new LossFocal(alpha, gamma, weights, labelSmoothing, normalization, clipEpsilon);
        }
    }
}
