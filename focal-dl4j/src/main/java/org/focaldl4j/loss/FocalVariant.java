package org.focaldl4j.loss;

/**
 * Which focal loss (Lin et al. 2017), the one axis along which the losses of this library differ:
 * <ul>
 *   <li>{@link #SIGMOID}: the sigmoid focal loss of eq. 5 ({@link LossFocal}), element-wise;</li>
 *   <li>{@link #CATEGORICAL}: the focal loss over a softmax ({@link LossCategoricalFocal}), row-wise;</li>
 *   <li>{@link #STAR}: FL* of Appendix A ({@link LossFocalStar}), element-wise.</li>
 * </ul>
 * The variant fixes the loss's form. Element-wise (over a sigmoid): the logit activation is sigmoid, labels lie in
 * [0, 1], masks are per example or per output, smoothing targets 2 classes, and other activations are read as
 * probabilities p and computed as the logit path at x = log p − log(1 − p). Row-wise (over a softmax): the logit
 * activation is softmax, label rows sum to 1, a per-output mask must be constant across each row, smoothing targets
 * nOut classes, and other activations go to {@link AbstractFocalLoss#fromProbabilities}.
 */
public enum FocalVariant {
    SIGMOID,
    CATEGORICAL,
    STAR;

    /** Whether the loss is row-wise over a softmax ({@link #CATEGORICAL}) rather than element-wise over a sigmoid. */
    public boolean rowWise() {
        return this == CATEGORICAL;
    }
}
