package org.focaldl4j.loss;

/**
 * The element-level definition of FL* ({@link LossFocalStar}) and its gradient, in double arithmetic:
 * the scalar transcription that the fused kernel's scalar routine calls for every element (and the
 * Vector API kernel for each row's tail); the lanes of {@link VectorKernels} and the op path
 * ({@link LossFocalStar#fromLogits}) are codings of the same lines, tested against this one. With logit
 * x, label y ∈ [0, 1] and s = 2y − 1:
 * <pre>
 *   x_t = s·x,   u = γ·x_t + β,   e = exp(−|u|)
 *   ℓ     = α_t · ( max(−x_t − β/γ, 0) + log1p(e)/γ )       (= α_t · softplus(−u)/γ)
 *   dℓ/dx = −α_t · s · σ(−u),    σ(−u) = e/(1+e) for u ≥ 0, 1/(1+e) otherwise
 * </pre>
 * α_t = α·y + (1−α)(1−y) (1 when α &lt; 0). The max term is formed from x_t, not u, so that a huge
 * |x| whose γ·x_t overflows still gives the finite loss (x = −1e308: ℓ = α_t·(1e308 − β/γ)).
 */
final class FocalStarElement {

    private FocalStarElement() {
    }

    /**
     * ℓ(x, y); when {@code gradient} is not null, {@code gradient[0]} receives dℓ/dx.
     *
     * @param alpha α ∈ [0, 1], or negative for no α-balancing
     * @param gamma γ &gt; 0
     * @param beta  β, finite
     */
    static double lossAndGradient(double x, double y, double alpha, double gamma, double beta, double[] gradient) {
        double s = 2 * y - 1;
        double xt = s * x;
        double u = gamma * xt + beta;
        double e = Math.exp(-Math.abs(u));
        double alphaT = alpha < 0 ? 1.0 : (1 - alpha) + y * (2 * alpha - 1);
        if (gradient != null) {
            double sigmoidNegU = u >= 0 ? e / (1 + e) : 1 / (1 + e);
            gradient[0] = -alphaT * s * sigmoidNegU;
        }
        return alphaT * (Math.max(-xt - beta / gamma, 0.0) + Math.log1p(e) / gamma);
    }
}
