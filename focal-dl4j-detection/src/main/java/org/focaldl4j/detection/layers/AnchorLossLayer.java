package org.focaldl4j.detection.layers;

import java.util.Objects;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.focaldl4j.loss.FocalVariant;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossCosineProximity;
import org.nd4j.linalg.lossfunctions.impl.LossFMeasure;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMixtureDensity;
import org.nd4j.linalg.lossfunctions.impl.LossMultiLabel;

/**
 * The classification loss layer of a dense anchor head (paper §4.1). For logits of one feature map,
 * [N, A·K, H, W] (or [N, H, W, A·K] with {@link CNN2DFormat#NHWC}), or of a whole pyramid, [N, A·K, M]
 * (M the locations of every level, see {@code AnchorPyramid}; {@code InputType.recurrent(A·K, M)}), and labels
 * of the same shape, the network score is
 * <pre>
 *   score = Σ over every image, location, anchor and class of ℓ  ÷  n,    n = max(1, P)  or its moving average
 * </pre>
 * P the number of positive (label ≥ 0.5), unmasked entries in the minibatch — not ÷ N as DL4J's loss
 * layers do — and the gradient to match (see {@link PositiveNormaliser}). ℓ comes from the configured
 * element-wise {@link ILossFunction} (default {@link LossFocal}, sigmoid activation), which returns the
 * plain sum Σℓ, as every loss of focal-dl4j does. Masks: the labels' shape (ignored anchors as 0 on their
 * K channels), one channel or no channel axis (per location), or
 * [N, 1] per image. Both data formats of rank 4 are reshaped correctly (DL4J's CnnLossLayer reshapes NHWC
 * wrongly in its score and NHWC-mask paths).
 *
 * <p><b>Integer labels</b> ({@link Builder#integerLabels(int) integerLabels(K)}): labels are then
 * [N, A, H, W] (or [N, H, W, A], or [N, A, M]) class indices per anchor, as {@code AnchorTargets} gives
 * them — k ∈ [0, K) foreground of class k, K background, {@link #IGNORE} (−1) ignored — K times smaller than the one-hot
 * array. The layer expands them per minibatch: channel a·K + k is 1 where anchor a has class k, and an
 * ignored anchor is masked on its K channels (on top of any mask given). Any other value is refused.
 */
public class AnchorLossLayer extends AnchorOutputLayer {

    private static final long serialVersionUID = 2L;

    /** The integer label of an ignored anchor. */
    public static final int IGNORE = -1;

    private ILossFunction lossFn = new LossFocal();
    /** K when labels are integer class indices per anchor; 0 when they are one-hot per anchor and class. */
    private int integerLabelClasses;

    /** For JSON. */
    public AnchorLossLayer() {
    }

    private AnchorLossLayer(Builder builder) {
        super(builder, builder.format, builder.normaliser);
        checkActivation(getActivationFn());
        setLossFn(builder.loss());
        setIntegerLabelClasses(builder.integerLabelClasses);
    }

    @Override
    AnchorOutputLayerImpl<?> runtime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new AnchorLossLayerImpl(conf, networkDataType);
    }

    @Override
    String kind() {
        return "AnchorLossLayer";
    }

    @Override
    void checkFields() {
        setLossFn(lossFn);
        setIntegerLabelClasses(integerLabelClasses);
        if (getActivationFn() == null) {
            throw new IllegalArgumentException("AnchorLossLayer needs an activation; got null");
        }
        checkActivation(getActivationFn());
    }

    public ILossFunction getLossFn() {
        return lossFn;
    }

    public void setLossFn(ILossFunction lossFn) {
        if (lossFn == null) {
            throw new IllegalArgumentException("AnchorLossLayer needs a loss function; got null");
        }
        if (!isElementWise(lossFn)) {
            throw new IllegalArgumentException("AnchorLossLayer needs an element-wise loss (each anchor-class entry on "
                    + "its own, e.g. LossFocal, LossFocalStar, LossBinaryXENT); got " + lossFn + ", which couples the "
                    + "entries of a row (softmax, ranking or batch-wide)");
        }
        this.lossFn = lossFn;
    }

    /** Softmax would couple the A·K channels of a location: refused (also at run time, for a setter-made change). */
    static void checkActivation(org.nd4j.linalg.activations.IActivation activation) {
        if (activation instanceof org.nd4j.linalg.activations.impl.ActivationSoftmax) {
            throw new IllegalArgumentException("AnchorLossLayer needs an element-wise activation (sigmoid for the focal "
                    + "losses); got softmax, which would couple the A·K channels of a location");
        }
    }

    /**
     * False for the losses known to couple the entries of a row or a batch: DL4J's softmax, multi-label, cosine,
     * F-measure and mixture-density losses, {@link LossCategoricalFocal} and the CATEGORICAL {@link SameDiffFocalLoss}.
     */
    static boolean isElementWise(ILossFunction loss) {
        return !(loss instanceof LossMCXENT || loss instanceof LossMultiLabel || loss instanceof LossCosineProximity
                || loss instanceof LossFMeasure || loss instanceof LossMixtureDensity || loss instanceof LossCategoricalFocal
                || (loss instanceof SameDiffFocalLoss && ((SameDiffFocalLoss) loss).getVariant() == FocalVariant.CATEGORICAL));
    }

    /** K when labels are integer class indices per anchor ({@link Builder#integerLabels}); 0 for one-hot labels. */
    public int getIntegerLabelClasses() {
        return integerLabelClasses;
    }

    public void setIntegerLabelClasses(int integerLabelClasses) {
        if (integerLabelClasses < 0) {
            throw new IllegalArgumentException("integerLabelClasses must be K >= 1 (integer labels) or 0 (one-hot "
                    + "labels); got " + integerLabelClasses);
        }
        this.integerLabelClasses = integerLabelClasses;
    }

    @Override
    public boolean equals(Object o) {
        if (!super.equals(o)) {
            return false;
        }
        AnchorLossLayer that = (AnchorLossLayer) o;
        return Objects.equals(lossFn, that.lossFn) && integerLabelClasses == that.integerLabelClasses;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), lossFn, integerLabelClasses);
    }

    @Override
    public String toString() {
        return "AnchorLossLayer(" + lossFn + ", " + getFormat() + ", activation=" + getActivationFn()
                + (integerLabelClasses > 0 ? ", integer labels over K=" + integerLabelClasses + " classes" : "")
                + ", normaliser " + getNormaliser() + ")";
    }

    /** Builder: sigmoid activation and {@code new LossFocal()} unless set. */
    public static class Builder extends BaseOutputLayer.Builder<Builder> {
        private CNN2DFormat format;                 // null: the input type's
        private int integerLabelClasses;
        private PositiveNormaliser normaliser = PositiveNormaliser.perBatch();

        public Builder() {
            this.activationFn = Activation.SIGMOID.getActivationFunction();
            this.lossFn = new LossFocal();
        }

        public Builder(ILossFunction lossFunction) {
            this();
            this.lossFn = lossFunction;
        }

        ILossFunction loss() {
            return lossFn;
        }

        /**
         * NCHW or NHWC, for rank-4 input. Unset: the network's input type's format (NCHW without one); set, an input
         * type of the other format is refused when the graph is built.
         */
        public Builder format(CNN2DFormat format) {
            if (format == null) {
                throw new IllegalArgumentException("format must be NCHW or NHWC; got null");
            }
            this.format = format;
            return this;
        }

        /**
         * Labels are integer class indices per anchor, [N, A, H, W] (NCHW), [N, H, W, A] (NHWC) or [N, A, M]: k ∈ [0, K)
         * is class k, K background, −1 ignored. The logits keep A·K channels.
         */
        public Builder integerLabels(int classes) {
            if (classes < 1) {
                throw new IllegalArgumentException("integerLabels needs the number of classes K ≥ 1; got " + classes);
            }
            this.integerLabelClasses = classes;
            return this;
        }

        /** {@link PositiveNormaliser#perBatch()} (default) or {@link PositiveNormaliser#movingAverage()}. */
        public Builder normaliser(PositiveNormaliser normaliser) {
            if (normaliser == null) {
                throw new IllegalArgumentException("normaliser must not be null");
            }
            this.normaliser = normaliser;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public AnchorLossLayer build() {
            return new AnchorLossLayer(this);
        }
    }
}
