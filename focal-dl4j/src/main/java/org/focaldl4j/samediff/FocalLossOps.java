package org.focaldl4j.samediff;

import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.focaldl4j.loss.FocalParameters;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The focal losses as SameDiff graph ops, differentiable by SameDiff's autodiff, from logits:
 * <pre>
 *   sigmoidFocal:      ℓ = α_t · (1 − p_t)^γ · BCE(x, y),               p = σ(x)       (per element)
 *   categoricalFocal:  ℓ_row = −Σ_c α_c · y_c · (1 − p_c)^γ · log p_c,  p = softmax(x) (per row)
 *   focalStar:         ℓ = α_t · softplus(−(γ·x·(2y−1) + β)) / γ                        (per element)
 * </pre>
 * with α_t = α·y + (1−α)(1−y) (α = −1: off), the same maths as {@code LossFocal},
 * {@code LossCategoricalFocal} and {@code LossFocalStar}, and the same parameter rules
 * ({@link FocalParameters}).
 *
 * <p>Built only from elementary ops whose SameDiff gradients are exact and finite:
 * <ul>
 *   <li>softplus(z) = ½(z + |z|) + log1p(e^−|z|): stable for any finite z, and — since SameDiff takes
 *       sign(0) = 0 — its autodiff gives σ(0) = ½ at z = 0, where the usual max(z, 0) split gives 0
 *       or 1. (SameDiff's own sigmoidCrossEntropy op cannot be used inside a larger expression: its
 *       backward ignores the incoming gradient.)</li>
 *   <li>(1 − p_t)^γ = exp(γ·log(max(1 − p_t, tiny))), tiny the smallest normal number of the dtype:
 *       where 1 − p_t underflows the factor is 0 (or tiny^γ) and its gradient 0, so 0 &lt; γ &lt; 1
 *       never meets 0^(γ−1) (autograd of a plain pow returns NaN there). 1 − p_t =
 *       y·σ(−x) + (1−y)·σ(x) is a sum of non-negative terms; for the categorical loss
 *       log p = (x − max x) − log Σ exp(x − max x), composed here because SameDiff's logSoftmax op
 *       returns −inf where a probability underflows.</li>
 * </ul>
 *
 * <p>{@code weights}, when given, multiply the per-element terms (any shape broadcastable to the
 * labels: a [1, nOut] row of per-class weights, or a [rows, nOut] array of weights or mask). Reductions:
 * {@link LossReduce#NONE} keeps element losses (row losses [rows, 1] for the categorical loss);
 * {@code SUM}; {@code MEAN_BY_WEIGHT} = sum / Σ weights; {@code MEAN_BY_NONZERO_WEIGHT_COUNT} =
 * sum / number of non-zero weights (without weights: the number of elements). For the categorical
 * loss the weights act per class inside each row's sum, and both means divide by the number of rows.
 */
public final class FocalLossOps {

    private FocalLossOps() {
    }

    // ------------------------------------------------------------------------------------------
    // Sigmoid focal loss
    // ------------------------------------------------------------------------------------------

    /** {@link #sigmoidFocal(SameDiff, String, SDVariable, SDVariable, SDVariable, double, double, LossReduce)} without weights. */
    public static SDVariable sigmoidFocal(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                          double alpha, double gamma, LossReduce reduce) {
        return sigmoidFocal(sd, name, labels, logits, null, alpha, gamma, reduce);
    }

    /**
     * Sigmoid focal loss of {@code logits} against {@code labels} (same shape, values in [0, 1]).
     *
     * @param alpha α ∈ [0, 1], or −1 for no α-balancing
     * @param gamma γ ≥ 0
     */
    public static SDVariable sigmoidFocal(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                          SDVariable weights, double alpha, double gamma, LossReduce reduce) {
        FocalParameters.checkAlpha(alpha);
        FocalParameters.checkGamma(gamma);
        SDVariable oneMinusY = labels.rsub(1.0);
        // softplus(z) = log(1 + e^z) = ½z + ½|z| + log1p(e^−|z|): stable, with the exact gradient σ(z) everywhere (the
        // halves taken before the sum, which would overflow near the largest finite z). softplus(x) and softplus(−x)
        // share ½|x| and log1p(e^−|x|), each formed once: 12 ops where separate softplus graphs took 25
        SDVariable abs = sd.math.abs(logits);
        SDVariable halfAbs = abs.mul(0.5);
        SDVariable tail = sd.math.log1p(sd.math.exp(abs.neg()));
        SDVariable softplusX = logits.mul(0.5).add(halfAbs).add(tail);
        SDVariable bce = softplusX.sub(logits.mul(labels));                        // −y log p − (1−y) log(1−p)
        SDVariable loss = bce;
        if (gamma != 0.0) {
            // p = e^(−softplus(−x)) and 1 − p = e^(−softplus(x)): no cancellation, and gradients finite for every
            // finite x (the sigmoid op's own gradient is NaN at |x| near the largest finite value)
            SDVariable softplusMinusX = logits.neg().mul(0.5).add(halfAbs).add(tail);
            SDVariable p = sd.math.exp(softplusMinusX.neg());
            SDVariable pm = sd.math.exp(softplusX.neg());
            SDVariable q = labels.mul(pm).add(oneMinusY.mul(p));                     // 1 − p_t
            loss = modulator(sd, q, gamma, logits.dataType()).mul(bce);
        }
        if (alpha >= 0) {
            loss = labels.mul(2 * alpha - 1).add(1 - alpha).mul(loss);               // α_t
        }
        return reduce(sd, name, loss, weights, reduce, labels);
    }

    // ------------------------------------------------------------------------------------------
    // Categorical (softmax) focal loss
    // ------------------------------------------------------------------------------------------

    /** {@link #categoricalFocal(SameDiff, String, SDVariable, SDVariable, SDVariable, double[], double, LossReduce)} without weights. */
    public static SDVariable categoricalFocal(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                              double[] alpha, double gamma, LossReduce reduce) {
        return categoricalFocal(sd, name, labels, logits, null, alpha, gamma, reduce);
    }

    /**
     * Categorical focal loss over a softmax of rank-2 {@code logits} [rows, K] (classes on dimension 1)
     * against one-hot or soft {@code labels} of the same shape.
     *
     * @param alpha one weight α_c ≥ 0 per class, or null for all ones
     * @param gamma γ ≥ 0
     */
    public static SDVariable categoricalFocal(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                              SDVariable weights, double[] alpha, double gamma, LossReduce reduce) {
        FocalParameters.checkGamma(gamma);
        double[] classAlpha = FocalParameters.checkClassAlpha(alpha);
        // log p = (x − max) − log Σ exp(x − max). SameDiff's logSoftmax op is not used: in M2.1 it returns
        // −inf (then NaN) for probabilities that underflow, e.g. at |x| = 1e4, and logSoftmax(x, 1) fails to build.
        // x − max, floored at −MAX: a row spread beyond the largest finite value would give −∞ and then 0·∞ = NaN.
        // The floor drops NaN; x − x (0 for finite x, NaN otherwise) puts a NaN logit's NaN back, gradient 0.
        SDVariable shifted = sd.scalarMax(logits.sub(logits.max(true, 1)),
                logits.dataType() == DataType.DOUBLE ? -Double.MAX_VALUE : -Float.MAX_VALUE).add(logits.sub(logits));
        SDVariable logp = shifted.sub(sd.math.log(sd.math.exp(shifted).sum(true, 1)));
        SDVariable terms = labels.mul(logp).neg();                                  // −y_c log p_c
        if (gamma != 0.0) {
            SDVariable q = sd.math.exp(logp).rsub(1.0);                              // 1 − p_c
            terms = modulator(sd, q, gamma, logits.dataType()).mul(terms);
        }
        if (classAlpha != null) {
            terms = terms.mul(alphaRow(sd, classAlpha, logits.dataType()));
        }
        if (weights != null) {
            terms = terms.mul(weights);
        }
        // Per-class weights are inside the row sums; the mean reductions divide by the number of rows.
        return reduce(sd, name, terms.sum(true, 1), null, reduce);                 // rows: [rows, 1]
    }

    /**
     * The categorical loss's per-class terms from probabilities p ∈ [0, 1] (for an activation other than softmax), as
     * {@code LossCategoricalFocal}'s probability path: α_c·y_c·(1 − p_c)^γ·(−log p_c), shape [rows, K]. Where
     * α_c·y_c = 0 the term is 0 for every p (the limit 0·log 0 = 0 at p = 0): p is read as 1 there, with zero
     * gradient, so that neither the term nor its gradient is 0·∞.
     */
    static SDVariable categoricalTermsFromProbabilities(SameDiff sd, String name, SDVariable labels,
                                                        SDVariable probabilities, double[] classAlpha, double gamma) {
        FocalParameters.checkGamma(gamma);
        double[] alpha = FocalParameters.checkClassAlpha(classAlpha);
        SDVariable a = alpha == null ? labels : labels.mul(alphaRow(sd, alpha, probabilities.dataType()));
        SDVariable absent = a.eq(0.0).castTo(probabilities.dataType());            // 1 where α_c·y_c = 0
        SDVariable p = probabilities.add(absent.mul(probabilities.rsub(1.0)));      // p, or 1 where the term is absent
        SDVariable terms = a.mul(sd.math.log(p)).neg();
        if (gamma != 0.0) {
            // q^γ, exactly 0 where q = 0 (p = 1 exactly, clipEpsilon 0): the floor's tiny^γ would leave a gradient there
            SDVariable q = p.rsub(1.0);
            SDVariable modulator = modulator(sd, q, gamma, probabilities.dataType())
                    .mul(q.gt(0.0).castTo(probabilities.dataType()));
            terms = modulator.mul(terms);
        }
        return sd.updateVariableNameAndReference(terms, name);
    }

    private static SDVariable alphaRow(SameDiff sd, double[] classAlpha, DataType type) {
        return sd.constant(Nd4j.create(classAlpha, new long[] {1, classAlpha.length}, DataType.DOUBLE).castTo(type));
    }

    // ------------------------------------------------------------------------------------------
    // FL*
    // ------------------------------------------------------------------------------------------

    /** {@link #focalStar(SameDiff, String, SDVariable, SDVariable, SDVariable, double, double, double, LossReduce)} without weights. */
    public static SDVariable focalStar(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                       double alpha, double gamma, double beta, LossReduce reduce) {
        return focalStar(sd, name, labels, logits, null, alpha, gamma, beta, reduce);
    }

    /**
     * FL* (the paper's Appendix A) of {@code logits} against {@code labels} in [0, 1].
     *
     * @param alpha α ∈ [0, 1], or −1 for none
     * @param gamma γ &gt; 0
     * @param beta  β, finite
     */
    public static SDVariable focalStar(SameDiff sd, String name, SDVariable labels, SDVariable logits,
                                       SDVariable weights, double alpha, double gamma, double beta, LossReduce reduce) {
        FocalParameters.checkAlpha(alpha);
        FocalParameters.checkStarGamma(gamma);
        FocalParameters.checkBeta(beta);
        SDVariable sign = labels.mul(2.0).sub(1.0);                                  // 2y − 1
        // −log σ(u)/γ, u = γ·x_t + β, as ½(w + |w|) + log1p(e^−|u|)/γ with w = −u/γ = −x_t − β/γ formed without u,
        // which overflows for huge |x| (softplus(z) = ½(z + |z|) + log1p(e^−|z|), divided by γ)
        SDVariable u = logits.mul(sign).mul(gamma).add(beta);
        SDVariable w = logits.mul(sign).neg().sub(beta / gamma);
        SDVariable loss = w.mul(0.5).add(sd.math.abs(w).mul(0.5)).add(sd.math.log1p(sd.math.exp(sd.math.abs(u).neg())).div(gamma));
        if (alpha >= 0) {
            loss = labels.mul(2 * alpha - 1).add(1 - alpha).mul(loss);
        }
        return reduce(sd, name, loss, weights, reduce, labels);
    }

    // ------------------------------------------------------------------------------------------
    // Building blocks
    // ------------------------------------------------------------------------------------------


    /** q^γ as exp(γ·log(max(q, tiny))): 0 (or tiny^γ) with zero gradient where q underflows. */
    static SDVariable modulator(SameDiff sd, SDVariable q, double gamma, DataType type) {
        double tiny = type == DataType.DOUBLE ? Double.MIN_NORMAL : Float.MIN_NORMAL;
        return sd.math.exp(sd.math.log(sd.scalarMax(q, tiny)).mul(gamma));
    }

    /** Weights the element losses, then reduces them; {@code like} gives the losses' shape for broadcasting weights. */
    private static SDVariable reduce(SameDiff sd, String name, SDVariable loss, SDVariable weights, LossReduce reduce,
                                     SDVariable like) {
        if (weights == null) {
            return reduce(sd, name, loss, null, reduce);
        }
        return reduce(sd, name, loss.mul(weights), weights.mul(ones(like)), reduce);
    }

    /** {@code weighted}: the weighted losses; {@code fullWeights}: weights of the same shape, or null (all ones). */
    private static SDVariable reduce(SameDiff sd, String name, SDVariable weighted, SDVariable fullWeights,
                                     LossReduce reduce) {
        SDVariable out;
        switch (reduce == null ? LossReduce.SUM : reduce) {
            case NONE:
                out = weighted;
                break;
            case SUM:
                out = weighted.sum();
                break;
            case MEAN_BY_WEIGHT:
                out = weighted.sum().div(fullWeights == null ? ones(weighted).sum() : fullWeights.sum());
                break;
            case MEAN_BY_NONZERO_WEIGHT_COUNT:
                out = weighted.sum().div(fullWeights == null ? ones(weighted).sum()
                        : fullWeights.neq(0.0).castTo(weighted.dataType()).sum());
                break;
            default:
                throw new IllegalArgumentException("unsupported LossReduce " + reduce);
        }
        return name == null ? out : sd.updateVariableNameAndReference(out, name);
    }

    private static SDVariable ones(SDVariable like) {
        return like.mul(0.0).add(1.0);
    }
}
