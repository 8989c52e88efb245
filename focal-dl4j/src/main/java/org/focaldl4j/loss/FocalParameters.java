package org.focaldl4j.loss;

/**
 * The valid range of every focal-loss hyper-parameter, checked in this one place by the losses'
 * constructors, by {@code FocalLossOps} and by the SameDiff drop-in:
 * <pre>
 *   α              ∈ [0, 1], or −1 for no α-balancing (torchvision's convention)
 *   γ              ∈ [0, 1000]            (FL*: (0, 1000])
 *   β              finite                 (FL*)
 *   per-class α_c  finite, ≥ 0, at least one value
 *   labelSmoothing ∈ [0, 1)
 *   clipEpsilon    ∈ [0, 0.5)
 * </pre>
 * Each method returns its argument when it is valid and otherwise throws an
 * {@link IllegalArgumentException} naming the parameter, the value (and its index) and the range.
 */
public final class FocalParameters {

    /**
     * The largest γ: every loss is tested to give finite, correct scores and gradients for every finite logit up to
     * it, in FLOAT and DOUBLE. (1 − p_t)^1000 is already below 1e-300 for p_t ≥ 0.5; larger γ only multiply
     * underflowing factors by huge ones.
     */
    public static final double MAX_GAMMA = 1000;

    /** Tolerance on |Σ_c y_c − 1| for the unmasked label rows of a row-wise (softmax) loss. */
    public static final double LABEL_SUM_TOLERANCE = 1e-3;

    private FocalParameters() {
    }

    /** α ∈ [0, 1], or −1 for "off". */
    public static double checkAlpha(double alpha) {
        if (!(alpha == -1.0 || (alpha >= 0.0 && alpha <= 1.0))) {
            throw new IllegalArgumentException("alpha must be in [0, 1], or -1 to disable alpha-balancing; got " + alpha);
        }
        return alpha;
    }

    /** γ ∈ [0, {@value #MAX_GAMMA}] (any real, including 0 &lt; γ &lt; 1). */
    public static double checkGamma(double gamma) {
        if (!(gamma >= 0.0 && gamma <= MAX_GAMMA)) {
            throw new IllegalArgumentException("gamma must be in [0, " + MAX_GAMMA + "]; got " + gamma);
        }
        return gamma;
    }

    /** FL*'s γ ∈ (0, {@value #MAX_GAMMA}] (it divides the loss). */
    public static double checkStarGamma(double gamma) {
        if (!(gamma > 0.0 && gamma <= MAX_GAMMA)) {
            throw new IllegalArgumentException("gamma must be in (0, " + MAX_GAMMA + "] for FL* (> 0); got " + gamma);
        }
        return gamma;
    }

    /** FL*'s β: finite. */
    public static double checkBeta(double beta) {
        if (!Double.isFinite(beta)) {
            throw new IllegalArgumentException("beta must be finite; got " + beta);
        }
        return beta;
    }

    /** Per-class α: null (all ones), or at least one finite value ≥ 0; returns a copy. */
    public static double[] checkClassAlpha(double[] alpha) {
        if (alpha == null) {
            return null;
        }
        if (alpha.length == 0) {
            throw new IllegalArgumentException("alpha must hold one value per class (or be null for all ones); got an "
                    + "empty array");
        }
        for (int c = 0; c < alpha.length; c++) {
            if (!(alpha[c] >= 0.0) || Double.isInfinite(alpha[c])) {
                throw new IllegalArgumentException("alpha must hold finite values >= 0, one per class; alpha[" + c
                        + "] = " + alpha[c]);
            }
        }
        return alpha.clone();
    }

    /** Label smoothing ε ∈ [0, 1). */
    public static double checkLabelSmoothing(double labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1); got " + labelSmoothing);
        }
        return labelSmoothing;
    }

    /** Probability clipping ε ∈ [0, 0.5). */
    public static double checkClipEpsilon(double clipEpsilon) {
        if (!(clipEpsilon >= 0 && clipEpsilon < 0.5)) {
            throw new IllegalArgumentException("clipEpsilon must be in [0, 0.5); got " + clipEpsilon);
        }
        return clipEpsilon;
    }
}
