package org.focaldl4j.detection.layers;

import java.util.Arrays;
import java.util.Objects;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The box-regression loss layer of a dense anchor head (RetinaNet's box subnet, class-agnostic): for
 * predicted deltas [N, 4·A, H, W] (NCHW, or [N, H, W, 4·A] NHWC) or [N, 4·A, M] over a pyramid
 * ({@code AnchorPyramid}), channel 4a + j the j-th of anchor a's (dx, dy, dw, dh) ({@code BoxCoder}), target
 * deltas of the same shape, and a mask marking the positive anchors, [N, A, H, W] / [N, H, W, A] /
 * [N, A, M] (1 for an anchor matched to a box, 0 otherwise; values other than 0/1 weight the anchor):
 * <pre>
 *   score = Σ over positive anchors a and coordinates j of m_a · smoothL1_β(pred − target)  ÷  n
 *   smoothL1_β(d) = ½ d² / β  if |d| &lt; β,  |d| − ½ β  otherwise    (β = 0: |d|, the L1 loss)
 * </pre>
 * with the normaliser n of {@link PositiveNormaliser} over P = Σ_a [m_a ≠ 0] (the number of positive
 * anchors, the classification layer's P), per minibatch or as a moving average. Identity activation; no learned
 * parameters. detectron2's RetinaNet uses β = 0.1, torchvision's L1. {@link Builder#giou} replaces the sum over
 * the four coordinates by the anchor's GIoU loss, 1 − GIoU of the predicted and target boxes ({@link GiouLoss}),
 * for a box coder with the given weights.
 */
public class BoxRegressionLossLayer extends AnchorOutputLayer {

    private static final long serialVersionUID = 1L;

    private double beta = 0.1;
    private double[] giouWeights;           // null: smooth-L1; else GIoU for a coder with these (wx, wy, ww, wh)

    /** For JSON. */
    public BoxRegressionLossLayer() {
        this.activationFn = Activation.IDENTITY.getActivationFunction();
    }

    private BoxRegressionLossLayer(Builder builder) {
        super(builder, builder.format, builder.normaliser);
        setActivationFn(builder.activation() != null ? builder.activation() : Activation.IDENTITY.getActivationFunction());
        setBeta(builder.beta);
        setGiouWeights(builder.giouWeights);
    }

    @Override
    AnchorOutputLayerImpl<?> runtime(NeuralNetConfiguration conf, DataType networkDataType) {
        return new BoxRegressionLossLayerImpl(conf, networkDataType);
    }

    @Override
    String kind() {
        return "BoxRegressionLossLayer";
    }

    @Override
    void checkFields() {
        setBeta(beta);
        setGiouWeights(giouWeights);
        setActivationFn(getActivationFn());
    }

    /** Only the identity: the layer regresses raw deltas (also what JSON may set). */
    @Override
    public void setActivationFn(IActivation activationFn) {
        if (!(activationFn instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("BoxRegressionLossLayer regresses raw deltas: its activation is identity; "
                    + "got " + activationFn);
        }
        super.setActivationFn(activationFn);
    }

    /** β of the smooth-L1 loss (0: L1). */
    public double getBeta() {
        return beta;
    }

    public void setBeta(double beta) {
        this.beta = checkBeta(beta);
    }

    /** The box coder's weights (wx, wy, ww, wh) when the loss is GIoU; null for smooth-L1 (a copy). */
    public double[] getGiouWeights() {
        return giouWeights == null ? null : giouWeights.clone();
    }

    public void setGiouWeights(double[] giouWeights) {
        this.giouWeights = checkWeights(giouWeights);
    }

    private static double[] checkWeights(double[] w) {
        if (w != null && (w.length != 4 || !Arrays.stream(w).allMatch(v -> v > 0 && Double.isFinite(v)))) {
            throw new IllegalArgumentException("GIoU needs the box coder's four weights (wx, wy, ww, wh), each finite and "
                    + "> 0; got " + Arrays.toString(w));
        }
        return w == null ? null : w.clone();
    }

    private static double checkBeta(double beta) {
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("the smooth-L1 beta must be finite and >= 0; got " + beta);
        }
        return beta;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Double.compare(beta, ((BoxRegressionLossLayer) o).beta) == 0
                && Arrays.equals(giouWeights, ((BoxRegressionLossLayer) o).giouWeights);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), beta, Arrays.hashCode(giouWeights));
    }

    @Override
    public String toString() {
        return "BoxRegressionLossLayer(" + (giouWeights == null ? "smoothL1 beta=" + beta
                : "GIoU, coder weights " + Arrays.toString(giouWeights)) + ", " + getFormat() + ", normaliser " + getNormaliser() + ")";
    }

    /** Builder: β = 0.1 (detectron2's RetinaNet), NCHW, per-batch normaliser unless set; identity activation. */
    public static class Builder extends FeedForwardLayer.Builder<Builder> {
        private double beta = 0.1;
        private double[] giouWeights;
        private CNN2DFormat format;                 // null: the input type's
        private PositiveNormaliser normaliser = PositiveNormaliser.perBatch();

        IActivation activation() {
            return activationFn;
        }

        /** β ≥ 0 of the smooth-L1 loss; 0 is L1. */
        public Builder beta(double beta) {
            this.beta = checkBeta(beta);
            return this;
        }

        /**
         * The GIoU loss instead of smooth-L1, for deltas of a box coder with weights (wx, wy, ww, wh) (RetinaNet's:
         * 1, 1, 1, 1).
         */
        public Builder giou(double wx, double wy, double ww, double wh) {
            this.giouWeights = checkWeights(new double[] {wx, wy, ww, wh});
            return this;
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
        public BoxRegressionLossLayer build() {
            return new BoxRegressionLossLayer(this);
        }
    }
}
