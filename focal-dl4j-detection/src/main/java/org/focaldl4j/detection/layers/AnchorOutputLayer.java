package org.focaldl4j.detection.layers;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.InputTypeUtil;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * The configuration the two anchor loss layers share: the data format of rank-4 input ([N, C, H, W] or
 * [N, H, W, C]; rank-3 [N, C, M] pyramid input needs none), the {@link PositiveNormaliser}, and the
 * parameter that holds a moving-average normaliser — assigned, never learned: no updater, no regularisation,
 * no gradient normalisation, no constraints. Input [N, C, H, W] ({@code InputType.convolutional}) or
 * [N, C, M] ({@code InputType.recurrent}); the output type is the input type.
 */
abstract class AnchorOutputLayer extends FeedForwardLayer {

    private static final long serialVersionUID = 1L;

    private CNN2DFormat format = CNN2DFormat.NCHW;
    private PositiveNormaliser normaliser = PositiveNormaliser.perBatch();
    /** Whether the builder set the format: a rank-4 input type of the other format is then refused, not taken. */
    @org.nd4j.shade.jackson.annotation.JsonIgnore
    private boolean explicitFormat;

    AnchorOutputLayer() {
    }

    /** @param format the builder's format, or null to take the input type's (NCHW without one) */
    AnchorOutputLayer(FeedForwardLayer.Builder<?> builder, CNN2DFormat format, PositiveNormaliser normaliser) {
        super(builder);
        setFormat(format == null ? CNN2DFormat.NCHW : format);
        explicitFormat = format != null;                  // setFormat marks it; an unset builder format does not
        setNormaliser(normaliser);
    }

    /** The run-time layer. */
    abstract AnchorOutputLayerImpl<?> runtime(NeuralNetConfiguration conf, DataType networkDataType);

    /** The layer's name in messages. */
    abstract String kind();

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> listeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        if (NormaliserParams.INSTANCE.numParams(this) > 0
                && conf.getOptimizationAlgo() != OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT) {
            // The running normaliser is stored through a plain gradient step; line searches would rescale it.
            throw new IllegalArgumentException(kind() + " " + getLayerName() + ": a moving-average normaliser needs the "
                    + "STOCHASTIC_GRADIENT_DESCENT optimisation algorithm; got " + conf.getOptimizationAlgo());
        }
        AnchorOutputLayerImpl<?> layer = runtime(conf, networkDataType);
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
        return NormaliserParams.INSTANCE;
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return new NoOp();
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return List.of();
    }

    @Override
    public GradientNormalization getGradientNormalization() {
        return GradientNormalization.None;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType == null || (inputType.getType() != InputType.Type.CNN && inputType.getType() != InputType.Type.RNN)) {
            throw new IllegalStateException(kind() + " (layer " + layerIndex + ", \"" + getLayerName()
                    + "\") needs [N, C, H, W] or [N, C, M] input; got " + inputType);
        }
        return inputType;
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (inputType instanceof InputType.InputTypeConvolutional) {
            CNN2DFormat given = ((InputType.InputTypeConvolutional) inputType).getFormat();
            if (explicitFormat && given != format) {
                throw new IllegalArgumentException(kind() + " \"" + getLayerName() + "\" was built with format " + format
                        + " but its input type is " + given + "; give both the same format, or leave the layer's "
                        + "format unset to take the input type's");
            }
            this.format = given;                          // taken from the input type: not an explicit setting
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return inputType != null && inputType.getType() == InputType.Type.RNN ? null
                : InputTypeUtil.getPreProcessorForInputTypeCnnLayers(inputType, getLayerName());
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        return new LayerMemoryReport.Builder(layerName, getClass(), inputType, inputType).standardMemory(0, 0)
                .workingMemory(0, 0, 0, 0).cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    /** NCHW (default) or NHWC, for rank-4 input. */
    public CNN2DFormat getFormat() {
        return format;
    }

    public void setFormat(CNN2DFormat format) {
        if (format == null) {
            throw new IllegalArgumentException(kind() + " format must be NCHW or NHWC; got null");
        }
        explicitFormat = true;
        this.format = format;
    }

    /** Per minibatch (default) or a moving average of the positive count. */
    public PositiveNormaliser getNormaliser() {
        return normaliser;
    }

    public void setNormaliser(PositiveNormaliser normaliser) {
        if (normaliser == null) {
            throw new IllegalArgumentException(kind() + " needs a normaliser (PositiveNormaliser.perBatch() or "
                    + ".movingAverage(…)); got null");
        }
        this.normaliser = normaliser;
    }

    /** Re-runs the subclass's setter checks on the fields as they are (after Java deserialisation). */
    abstract void checkFields();

    /** Java deserialisation validates like the builders and setters. */
    protected Object readResolve() throws ObjectStreamException {
        try {
            boolean explicit = explicitFormat;
            setFormat(format);
            explicitFormat = explicit;                   // validated, not re-marked
            setNormaliser(normaliser);
            checkFields();
        } catch (IllegalArgumentException e) {
            throw (InvalidObjectException) new InvalidObjectException(e.getMessage()).initCause(e);
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass() || !super.equals(o)) {
            return false;
        }
        AnchorOutputLayer that = (AnchorOutputLayer) o;
        return format == that.format && Objects.equals(normaliser, that.normaliser);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), format, normaliser);
    }
}
