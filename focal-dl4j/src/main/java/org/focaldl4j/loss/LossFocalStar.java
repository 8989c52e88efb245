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
 * FL*, the focal-loss variant of the paper's Appendix A (eqs. 6–8), α-balanced as in its
 * experiments. Per element, with logit x and label y ∈ [0, 1]:
 * <pre>
 *   x_t  = x·(2y − 1)                   (y = ±1 in the paper's notation)
 *   p*_t = σ(γ·x_t + β)
 *   ℓ    = α_t · (−log p*_t) / γ,       α_t = α·y + (1−α)(1−y)   (1 when α = −1)
 *   dℓ/dx = α_t · (2y − 1) · (p*_t − 1)  (eq. 11)
 * </pre>
 * Defaults α = 0.25, γ = 2, β = 1 (the paper's Table 3 row: 33.8 AP against FL's 34.0). γ = 1,
 * β = 0 and α = −1 is plain binary cross-entropy. Computed from logits with no clipping: on the CPU
 * backend by a fused kernel ({@link ExecutionPath#AUTO}, element by element as {@link FocalStarElement}),
 * elsewhere or with {@link ExecutionPath#OPS} by ND4J ops; other activations as in {@link AbstractFocalLoss}.
 */
public final class LossFocalStar extends FusedFocalLoss {

    /** 4: the execution path moved to {@link FusedFocalLoss}; older streams are refused rather than misread. */
    private static final long serialVersionUID = 4L;

    public static final double DEFAULT_ALPHA = 0.25;
    public static final double DEFAULT_GAMMA = 2.0;
    public static final double DEFAULT_BETA = 1.0;

    private final double alpha;
    private final double gamma;
    private final double beta;

    /** α = 0.25, γ = 2, β = 1. */
    public LossFocalStar() {
        this(DEFAULT_ALPHA, DEFAULT_GAMMA, DEFAULT_BETA);
    }

    /**
     * @param alpha weight of the positive class in [0, 1], or −1 for none
     * @param gamma γ &gt; 0 (sharpness)
     * @param beta  β, any finite shift
     */
    public LossFocalStar(double alpha, double gamma, double beta) {
        this(alpha, gamma, beta, null, 0.0, DEFAULT_CLIP_EPSILON, ExecutionPath.AUTO);
    }

    /**
     * Every setting; see {@link #builder()}.
     *
     * @param path {@link ExecutionPath#AUTO} or {@link ExecutionPath#OPS} (not null)
     */
    public LossFocalStar(double alpha, double gamma, double beta, INDArray weights, double labelSmoothing,
                         double clipEpsilon, ExecutionPath path) {
        super(weights, labelSmoothing, clipEpsilon, path);
        this.alpha = FocalParameters.checkAlpha(alpha);
        this.gamma = FocalParameters.checkStarGamma(gamma);
        this.beta = FocalParameters.checkBeta(beta);
    }

    /** From JSON: an absent (or null) property takes its default. */
    @JsonCreator
    static LossFocalStar fromJson(@JsonProperty("alpha") Double alpha,
                                  @JsonProperty("gamma") Double gamma,
                                  @JsonProperty("beta") Double beta,
                                  @JsonProperty("weights") @JsonDeserialize(using = NDArrayTextDeSerializer.class) INDArray weights,
                                  @JsonProperty("labelSmoothing") Double labelSmoothing,
                                  @JsonProperty("clipEpsilon") Double clipEpsilon,
                                  @JsonProperty("path") String path) {
        return new LossFocalStar(jsonOr(alpha, DEFAULT_ALPHA), jsonOr(gamma, DEFAULT_GAMMA), jsonOr(beta, DEFAULT_BETA),
                weights, jsonOr(labelSmoothing, 0), jsonOr(clipEpsilon, DEFAULT_CLIP_EPSILON), ExecutionPath.fromJson(path));
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> {
            FocalParameters.checkAlpha(alpha);
            FocalParameters.checkStarGamma(gamma);
            FocalParameters.checkBeta(beta);
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this loss's settings. */
    public Builder toBuilder() {
        return withFusedSettings(builder().alpha(alpha).gamma(gamma).beta(beta));
    }

    @Override
    protected FocalVariant variant() {
        return FocalVariant.STAR;
    }

    /**
     * dℓ/dp at p = y ∈ {0, 1} (clipEpsilon 0): near the label ℓ ≈ α_t·e^−β·((1 − p_t)/p_t)^γ/γ, so the slope is 0 for
     * γ &gt; 1, ∓α_t·e^−β for γ = 1 (− where y = 1), and unbounded for γ &lt; 1 (NaN: such an entry is refused).
     */
    @Override
    protected double slopeAtLabel(double label) {
        if (gamma != 1) {
            return gamma > 1 ? 0.0 : Double.NaN;
        }
        double alphaT = alpha < 0 ? 1.0 : label == 1 ? alpha : 1 - alpha;
        return (label == 1 ? -alphaT : alphaT) * Math.exp(-beta);
    }

    /**
     * From logits, with u = γ·x_t + β: ℓ = α_t·softplus(−u)/γ, softplus(v) = max(v, 0) + log1p(e^−|v|),
     * and dℓ/dx = −α_t·(2y−1)·σ(−u); finite for any finite x.
     */
    @Override
    protected LossTerms fromLogits(INDArray x, INDArray y, INDArray multiplier, boolean wantScore,
                                   boolean wantGradient) {
        INDArray sign = y.mul(2.0).subi(1.0);                           // 2y − 1
        INDArray negU = x.mul(sign).muli(-gamma).subi(beta);            // −u = −(γ·x_t + β)
        INDArray alphaT = alphaT(y, alpha);

        INDArray loss = null;
        if (wantScore) {
            // softplus(−u)/γ = −log p*_t / γ = relu(−u)/γ + log1p(e^−|u|)/γ, where relu(−u)/γ = relu(−x_t − β/γ) is
            // formed without u, which overflows for huge |x| (x = −1e308: the loss is 1e308 − β/γ, not ∞).
            loss = Transforms.abs(negU, true).negi();
            Transforms.exp(loss, false);
            Transforms.log1p(loss, false).divi(gamma);
            loss.addi(Transforms.relu(x.mul(sign).negi().subi(beta / gamma), false));
            if (alphaT != null) {
                loss.muli(alphaT);
            }
            if (multiplier != null) {
                loss.muli(multiplier);
            }
        }
        INDArray grad = null;
        if (wantGradient) {
            grad = Transforms.sigmoid(negU, false).muli(sign).negi();   // (2y−1)(p*_t − 1) = −(2y−1)σ(−u)
            if (alphaT != null) {
                grad.muli(alphaT);
            }
            if (multiplier != null) {
                grad.muli(multiplier);
            }
        }
        return new LossTerms(loss, grad);
    }

    @Override
    FusedOutput kernel(INDArray x, INDArray rawY, INDArray mask, INDArray weights, boolean wantGradient) {
        return FusedSigmoid.star(x, rawY, mask, weights, alpha, gamma, beta, getLabelSmoothing(), wantGradient);
    }

    @JsonProperty("alpha")
    public double getAlpha() {
        return alpha;
    }

    @JsonProperty("gamma")
    public double getGamma() {
        return gamma;
    }

    @JsonProperty("beta")
    public double getBeta() {
        return beta;
    }

    @Override
    public String toString() {
        return "LossFocalStar(alpha=" + alpha + ", gamma=" + gamma + ", beta=" + beta + commonToString() + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        LossFocalStar that = (LossFocalStar) o;
        return Double.compare(alpha, that.alpha) == 0 && Double.compare(gamma, that.gamma) == 0
                && Double.compare(beta, that.beta) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), alpha, gamma, beta);
    }

    /** Builder for {@link LossFocalStar}; every setting starts at its default. */
    public static final class Builder extends FusedBuilder<LossFocalStar, Builder> {
        private double alpha = DEFAULT_ALPHA;
        private double gamma = DEFAULT_GAMMA;
        private double beta = DEFAULT_BETA;

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

        /** γ &gt; 0. Default 2. */
        public Builder gamma(double gamma) {
            this.gamma = gamma;
            return this;
        }

        /** β, finite. Default 1. */
        public Builder beta(double beta) {
            this.beta = beta;
            return this;
        }

        @Override
        public LossFocalStar build() {
            return new LossFocalStar(alpha, gamma, beta, weights, labelSmoothing, clipEpsilon, path);
        }
    }
}
