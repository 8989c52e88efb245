package org.focaldl4j.detection;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.params.EmptyParamInitializer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The loss layer of a dense anchor head (paper §4.1): for [N, A·K, H, W] logits (or [N, H, W, A·K]
 * with {@link CNN2DFormat#NHWC}) and labels of the same shape, the network score is
 * <pre>
 *   score = Σ over every image, location, anchor and class of ℓ  ÷  max(1, P),
 * </pre>
 * P the number of positive (label ≥ 0.5), unmasked entries in the minibatch — not ÷ N as DL4J's
 * loss layers do: the normalisation belongs to this layer, and the configured element-wise
 * {@link ILossFunction} (default {@link LossFocal}, sigmoid activation) returns the plain sum Σℓ, as
 * every loss of focal-dl4j does.
 * Masks: the labels' shape (per anchor-class; ignored anchors as 0 on their K channels, see
 * {@link AnchorTargets#labelsAndMask}), [N, 1, H, W] / [N, H, W, 1] or [N, H, W] per location,
 * or [N, 1] per image. No parameters. Both data formats are reshaped correctly (DL4J's CnnLossLayer
 * reshapes NHWC wrongly in its score and NHWC-mask paths).
 *
 * <p><b>Integer labels</b> ({@link Builder#integerLabels(int) integerLabels(K)}): labels are then
 * [N, A, H, W] (or [N, H, W, A]) class indices per anchor, as {@link AnchorTargets#classLabels} gives
 * them — k ∈ [0, K) foreground of class k, K background, −1 ignored — K times smaller than the one-hot
 * array. The layer expands them per minibatch: channel a·K + k is 1 where anchor a has class k, and an
 * ignored anchor is masked on its K channels (on top of any mask given). Any other value is refused.
 */
public class AnchorLossLayer extends FeedForwardLayer {

    private static final long serialVersionUID = 1L;

    private ILossFunction lossFn = new LossFocal();
    private CNN2DFormat format = CNN2DFormat.NCHW;
    /** K when labels are integer class indices per anchor; 0 when they are one-hot per anchor and class. */
    private int integerLabelClasses;

    /** For JSON. */
    public AnchorLossLayer() {
    }

    private AnchorLossLayer(Builder builder) {
        super(builder);
        this.lossFn = builder.loss();
        this.format = builder.format;
        this.integerLabelClasses = builder.integerLabelClasses;
        checkLoss(lossFn);
    }

    static void checkLoss(ILossFunction loss) {
        if (loss == null) {
            throw new IllegalArgumentException("AnchorLossLayer needs a loss function");
        }
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        AnchorLossLayerImpl layer = new AnchorLossLayerImpl(conf, networkDataType);
        layer.setListeners(listeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> params = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(params);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public ParamInitializer initializer() {
        return EmptyParamInitializer.getInstance();
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType == null || inputType.getType() != InputType.Type.CNN) {
            throw new IllegalStateException("AnchorLossLayer (layer " + layerIndex + ", \"" + getLayerName()
                    + "\") needs convolutional input [N, A·K, H, W]; got " + inputType);
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (inputType instanceof InputType.InputTypeConvolutional) {
            this.format = ((InputType.InputTypeConvolutional) inputType).getFormat();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return InputTypeUtil.getPreProcessorForInputTypeCnnLayers(inputType, getLayerName());
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, inputType).standardMemory(0, 0)
                .workingMemory(0, 0, 0, 0).cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    public ILossFunction getLossFn() {
        return lossFn;
    }

    public void setLossFn(ILossFunction lossFn) {
        this.lossFn = lossFn;
    }

    public CNN2DFormat getFormat() {
        return format;
    }

    public void setFormat(CNN2DFormat format) {
        this.format = format;
    }

    /** K when labels are integer class indices per anchor ({@link Builder#integerLabels}); 0 for one-hot labels. */
    public int getIntegerLabelClasses() {
        return integerLabelClasses;
    }

    public void setIntegerLabelClasses(int integerLabelClasses) {
        this.integerLabelClasses = integerLabelClasses;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AnchorLossLayer) || !super.equals(o)) {
            return false;
        }
        AnchorLossLayer that = (AnchorLossLayer) o;
        return Objects.equals(lossFn, that.lossFn) && format == that.format
                && integerLabelClasses == that.integerLabelClasses;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), lossFn, format, integerLabelClasses);
    }

    @Override
    public String toString() {
        return "AnchorLossLayer(" + lossFn + ", " + format + ", activation=" + getActivationFn()
                + (integerLabelClasses > 0 ? ", integer labels over K=" + integerLabelClasses + " classes" : "") + ")";
    }

    /** Builder: sigmoid activation and {@code new LossFocal()} unless set. */
    public static class Builder extends BaseOutputLayer.Builder<Builder> {
        private CNN2DFormat format = CNN2DFormat.NCHW;
        private int integerLabelClasses;

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

        /** NCHW (default) or NHWC. */
        public Builder format(CNN2DFormat format) {
            this.format = format;
            return this;
        }

        /**
         * Labels are integer class indices per anchor, [N, A, H, W] (NCHW) or [N, H, W, A] (NHWC): k ∈ [0, K)
         * is class k, K background, −1 ignored. The logits keep A·K channels.
         */
        public Builder integerLabels(int classes) {
            if (classes < 1) {
                throw new IllegalArgumentException("integerLabels needs the number of classes K ≥ 1; got " + classes);
            }
            this.integerLabelClasses = classes;
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public AnchorLossLayer build() {
            return new AnchorLossLayer(this);
        }
    }
}
