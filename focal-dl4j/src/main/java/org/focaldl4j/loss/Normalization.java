package org.focaldl4j.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a focal loss scales its summed score and gradient.
 *
 * <ul>
 *   <li>{@link #SUM}: like every DL4J loss, the loss returns Σℓ (the layer then divides by the
 *       minibatch size N).</li>
 *   <li>{@link #POSITIVES}: the paper's §4.1 normalisation. The loss returns
 *       Σℓ · rows / max(1, P), where P is the number of positive label entries (raw label ≥ 0.5,
 *       before label smoothing, not masked out) in the minibatch. In an {@code OutputLayer} or
 *       {@code LossLayer}, where rows = N, the network score is therefore exactly
 *       Σℓ / max(1, P). In a {@code CnnLossLayer} (rows = N·H·W) it is Σℓ · H·W / max(1, P), and in
 *       an {@code RnnOutputLayer} (rows = N·T) it is Σℓ · T / max(1, P): still proportional to the
 *       paper's normaliser within a minibatch of fixed spatial size, but scaled by H·W (or T).</li>
 * </ul>
 */
public enum Normalization {
    /** Σℓ, DL4J's convention. */
    SUM,
    /** Σℓ · rows / max(1, number of positive labels): the paper's per-positive normalisation. */
    POSITIVES;

    /**
     * The positive entries P counts: 1 where the label is ≥ 0.5 and the mask (per example [rows, 1]
     * or per output, as in DL4J's LossUtil; null for none) is non-zero, else 0. A new [rows, cols]
     * array in the labels' dtype.
     */
    public static INDArray positiveEntries(INDArray labels, INDArray mask) {
        INDArray positive = labels.gte(0.5).castTo(labels.dataType());
        if (mask != null) {
            INDArray keep = mask.neq(0.0).castTo(labels.dataType());
            if (keep.size(1) == 1 && positive.size(1) != 1) {
                positive.muliColumnVector(keep);
            } else {
                positive.muli(keep);
            }
        }
        return positive;
    }
}
