package org.focaldl4j.loss;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Base for losses that are a sum of independent per-element terms ℓ(x[i,j], y[i,j]), such as
 * the sigmoid focal loss and FL*.
 *
 * <ul>
 *   <li>With a sigmoid activation, {@link #fromLogits} computes ℓ and dℓ/dx straight from the
 *       pre-activation x (stable for any finite x, no clipping); the weighted, masked gradient is
 *       then w·m·dℓ/dx.</li>
 *   <li>With any other activation, its output a is read as the probability p, clipped to
 *       [ε, 1−ε] ({@link #getClipEpsilon()}); {@link #fromProbabilities} gives ℓ(p) and dℓ/dp,
 *       and w·m·dℓ/dp is backpropagated through the activation, then masked again (DL4J's layers
 *       zero masked pre-activations in their forward pass; see {@link Multipliers}). As in DL4J's LossBinaryXENT,
 *       the gradient is evaluated at the clipped p (it is not zeroed where clipping is active).</li>
 * </ul>
 */
public abstract class AbstractElementwiseFocalLoss extends AbstractFocalLoss {

    private static final long serialVersionUID = 1L;

    protected AbstractElementwiseFocalLoss(INDArray weights, double labelSmoothing, Normalization normalization,
                                           double clipEpsilon) {
        super(weights, labelSmoothing, normalization, clipEpsilon);
    }

    /** ℓ and (if asked) dℓ/dx from logits x and labels y; new arrays. x and y are read-only. */
    protected abstract LossTerms fromLogits(INDArray x, INDArray y, boolean wantGradient);

    /** ℓ and (if asked) dℓ/dp from probabilities p ∈ [ε, 1−ε] (owned, may be reused) and labels y (read-only). */
    protected abstract LossTerms fromProbabilities(INDArray p, INDArray y, boolean wantGradient);

    @Override
    protected int smoothingClasses(long nOut) {
        return 2;
    }

    @Override
    protected final LossTerms terms(INDArray y, INDArray x, IActivation activationFn, Multipliers multipliers,
                                    boolean wantGradient) {
        if (activationFn instanceof ActivationSigmoid) {
            LossTerms t = fromLogits(x, y, wantGradient);
            multipliers.applyInPlace(t.loss);
            if (wantGradient) {
                multipliers.applyInPlace(t.gradient);
            }
            return t;
        }

        // Activations work in place: always hand them a copy of the caller's preOutput.
        INDArray p = activationFn.getActivation(x.dup(), true);
        requireInUnitInterval(p, "the output of activation " + activationFn + " (read as a probability)");
        double eps = getClipEpsilon();
        if (eps > 0) {
            Transforms.max(p, eps, false);
            Transforms.min(p, 1.0 - eps, false);
        }
        LossTerms t = fromProbabilities(p, y, wantGradient);
        multipliers.applyInPlace(t.loss);
        if (!wantGradient) {
            return t;
        }
        INDArray dLda = multipliers.applyInPlace(t.gradient);
        INDArray dLdz = activationFn.backprop(x.dup(), dLda).getFirst();
        return new LossTerms(t.loss, multipliers.applyMaskInPlace(dLdz));
    }
}
