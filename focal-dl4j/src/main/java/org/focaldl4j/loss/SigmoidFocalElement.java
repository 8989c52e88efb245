package org.focaldl4j.loss;

/**
 * The element-level definition of the sigmoid focal loss and its gradient, in double arithmetic: the
 * one scalar transcription of {@link LossFocal}'s formula. The fused kernel's scalar routine calls it
 * for every element (and the Vector API kernel for each row's tail); the Vector API kernel's lanes, the
 * ND4J op path ({@link LossFocal#fromLogits}) and the SameDiff graph are separate codings of the same
 * lines, tested against this one. With logit x, label y ∈ [0, 1], and σ(−x) computed directly:
 * <pre>
 *   e = exp(−|x|),  p = σ(x),  1−p = σ(−x)          (σ(|x|) = 1/(1+e), σ(−|x|) = e/(1+e))
 *   BCE = max(x, 0) − x·y + log1p(e)
 *   q   = 1 − p_t = y(1−p) + (1−y)p                 (a sum of non-negative terms)
 *   ℓ   = α_t · q^γ · BCE,                          α_t = α·y + (1−α)(1−y)  (1 when α &lt; 0)
 *   dℓ/dx = α_t · q^γ · [ p(1−y) − y(1−p) + γ · BCE · (1−2y) · p(1−p)/q ]
 * </pre>
 * The gradient is eq. 10 of the paper for hard labels, rearranged so that no negative power of q
 * appears: it stays finite for 0 &lt; γ &lt; 1 where q underflows (then p(1−p) = 0 too).
 */
final class SigmoidFocalElement {

    private SigmoidFocalElement() {
    }

    /**
     * ℓ(x, y); when {@code gradient} is not null, {@code gradient[0]} receives dℓ/dx.
     *
     * @param alpha α ∈ [0, 1], or negative for no α-balancing
     * @param gamma γ ≥ 0
     */
    static double lossAndGradient(double x, double y, double alpha, double gamma, double[] gradient) {
        double e = Math.exp(-Math.abs(x));
        double s = 1.0 / (1.0 + e);
        double p = x >= 0 ? s : e * s;
        double pm = x >= 0 ? e * s : s;
        double bce = Math.max(x, 0.0) - x * y + Math.log1p(e);
        double q = y * pm + (1 - y) * p;
        double scale = modulator(q, gamma) * (alpha < 0 ? 1.0 : (1 - alpha) + y * (2 * alpha - 1));
        if (gradient != null) {
            double g = p * (1 - y) - y * pm;
            if (gamma != 0) {
                g += gamma * bce * (1 - 2 * y) * (p * pm / Math.max(q, Double.MIN_NORMAL));
            }
            gradient[0] = scale * g;
        }
        return scale * bce;
    }

    /**
     * q^γ, with the common integer γ as products, γ = 0.5 as {@code Math.sqrt} (exactly rounded; HotSpot may
     * compile {@code pow(q, 0.5)} to a square root but interpret it otherwise) and q^0 = 1 (never 0^0).
     */
    static double modulator(double q, double gamma) {
        if (gamma == 0) {
            return 1.0;
        } else if (gamma == 1) {
            return q;
        } else if (gamma == 2) {
            return q * q;
        } else if (gamma == 0.5) {
            return Math.sqrt(q);
        }
        return Math.pow(q, gamma);
    }
}
