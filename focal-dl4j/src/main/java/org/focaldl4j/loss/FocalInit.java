package org.focaldl4j.loss;

/**
 * Initialisation helpers from the paper (§3.3): the final classification layer's bias is set to
 * b = −log((1 − π)/π), so that every anchor starts with foreground probability σ(b) = π
 * (π = 0.01 in all of the paper's experiments). Without it, training with plain cross-entropy
 * diverges on dense detection.
 */
public final class FocalInit {

    /** The paper's prior probability. */
    public static final double DEFAULT_PRIOR = 0.01;

    private FocalInit() {
    }

    /**
     * @param prior π ∈ (0, 1), the initial foreground probability
     * @return b = −log((1 − π)/π) = log π − log1p(−π), e.g. ≈ −4.595 for π = 0.01 and ≈ −744.44 for the smallest
     *         positive double; use with {@code .biasInit(b)}
     */
    public static double priorBias(double prior) {
        if (!(prior > 0.0 && prior < 1.0)) {
            throw new IllegalArgumentException("prior probability must be in (0, 1); got " + prior);
        }
        return Math.log(prior) - Math.log1p(-prior);
    }
}
