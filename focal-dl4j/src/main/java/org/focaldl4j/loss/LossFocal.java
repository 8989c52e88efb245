package org.focaldl4j.loss;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Objects;

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
 * This is torchvision's {@code sigmoid_focal_loss(reduction="none")}, summed DL4J-style (see
 * {@link AbstractFocalLoss}). γ = 0 and α = −1 is plain binary cross-entropy. Defaults: α = 0.25, γ = 2
 * (the paper's best setting).
 *
 * <p>With a sigmoid activation everything is computed from the logit, finite for any finite x and any
 * γ ∈ [0, 1000], with no clipping: on the CPU backend by a fused kernel ({@link ExecutionPath#AUTO}), elsewhere
 * by ND4J ops ({@link #fromLogits}); both are codings of {@link SigmoidFocalElement}. Weights, masks,
 * label smoothing, the execution path and other activations: see {@link #builder()}.
 */
public final class LossFocal extends FusedFocalLoss {

    /** 3: the execution path moved to {@link FusedFocalLoss}; older streams are refused rather than misread. */
    private static final long serialVersionUID = 3L;

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
     * @param gamma focusing parameter γ ∈ [0, 1000]
     */
    public LossFocal(double alpha, double gamma) {
        this(alpha, gamma, null, 0.0, DEFAULT_CLIP_EPSILON, ExecutionPath.AUTO);
    }

    /**
     * Every setting; see {@link #builder()}.
     *
     * @param path {@link ExecutionPath#AUTO} or {@link ExecutionPath#OPS} (not null)
     */
    public LossFocal(double alpha, double gamma, INDArray weights, double labelSmoothing, double clipEpsilon,
                     ExecutionPath path) {
        super(weights, labelSmoothing, clipEpsilon, path);
        this.alpha = FocalParameters.checkAlpha(alpha);
        this.gamma = FocalParameters.checkGamma(gamma);
    }

    /** From JSON: an absent (or null) property takes its default; an unknown path is refused. */
    @JsonCreator
    static LossFocal fromJson(@JsonProperty("alpha") Double alpha,
                              @JsonProperty("gamma") Double gamma,
                              @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class) INDArray weights,
                              @JsonProperty("labelSmoothing") Double labelSmoothing,
                              @JsonProperty("clipEpsilon") Double clipEpsilon,
                              @JsonProperty("path") String path) {
        return new LossFocal(jsonOr(alpha, DEFAULT_ALPHA), jsonOr(gamma, DEFAULT_GAMMA), weights, jsonOr(labelSmoothing, 0),
                jsonOr(clipEpsilon, DEFAULT_CLIP_EPSILON), ExecutionPath.fromJson(path));
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            FocalParameters.checkAlpha(alpha);
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
        return FocalVariant.SIGMOID;
    }

    /**
     * dℓ/dp at p = y ∈ {0, 1} (clipEpsilon 0): ℓ = α_t·(1 − p_t)^γ·(−log p_t) has slope −α (y = 1) or 1 − α (y = 0)
     * there when γ = 0, and 0 when γ &gt; 0 (the factor (1 − p_t)^γ·(1 − p_t) vanishes faster than 1 − p_t).
     */
    @Override
    protected double slopeAtLabel(double label) {
        if (gamma != 0) {
            return 0.0;
        }
        return label == 1 ? -(alpha < 0 ? 1.0 : alpha) : (alpha < 0 ? 1.0 : 1 - alpha);
    }

    /**
     * The op path (what CUDA runs): {@link SigmoidFocalElement}'s lines as backend-neutral ND4J ops, with
     * a = p(1−y), b = y(1−p), q = a + b and r = p(1−p)/q ∈ [0, 1]:
     * <pre>
     *   ℓ     = α_t · q^γ · BCE,   BCE = max(x, 0) − x·y + log1p(exp(−|x|))
     *   dℓ/dx = α_t · q^γ · [ (a − b) + γ · BCE · (1 − 2y) · r ]
     * </pre>
     * a − b = p − y, exact for hard labels even where p rounds to 1; where q underflows to 0, r is taken
     * as 0 (harmless: q^γ = 0 there).
     */
    @Override
    protected LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
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
        if (multiplier != null) {
            scale = scale == null ? multiplier.dup() : scale.muli(multiplier);    // w·m·α_t·q^γ
        }

        INDArray loss = !wantScore ? null : scale == null ? bce.dup() : bce.mul(scale);
        INDArray grad = null;
        if (wantGradient) {
            grad = a.subi(b);                                                    // p − y
            if (gamma != 0.0) {
                INDArray r = p.muli(pm).divi(Transforms.max(q, tiny(x.dataType()), false));   // p(1−p)/q
                grad.addi(r.muli(bce).muli(oneMinusY.subi(y)).muli(gamma));      // (1−y) − y = 1 − 2y
            }
            if (scale != null) {
                grad.muli(scale);
            }
        }
        return new LossTerms(loss, grad);
    }

    @Override
    FusedOutput kernel(INDArray x, INDArray rawY, INDArray mask, INDArray weights, boolean wantGradient) {
        return FusedSigmoid.focal(x, rawY, mask, weights, alpha, gamma, getLabelSmoothing(), wantGradient);
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
        return Objects.hash(super.hashCode(), alpha, gamma);
    }

    /** Builder for {@link LossFocal}; every setting starts at its default. */
    public static final class Builder extends FusedBuilder<LossFocal, Builder> {
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

        /** Focusing parameter γ ∈ [0, 1000]. Default 2. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        @Override
        public LossFocal build() {
            return new LossFocal(alpha, gamma, weights, labelSmoothing, clipEpsilon, path);
        }
    }
}
