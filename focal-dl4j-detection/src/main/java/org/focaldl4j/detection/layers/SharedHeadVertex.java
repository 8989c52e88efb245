package org.focaldl4j.detection.layers;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDVertexParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.loss.FocalInit;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * One RetinaNet subnet applied, with the same weights, to every level of a feature pyramid (paper §4:
 * "parameters of this subnet are shared across all pyramid levels"): for L inputs [N, C, H_l, W_l]
 * (NCHW, the levels from finest to coarsest), each level goes through {@code convs} × (3×3 conv of
 * {@code width} filters, ReLU) and a 3×3 conv to A·O outputs, and the L results [N, A·O, H_l, W_l] are
 * flattened and concatenated into one [N, A·O, M] output, M = Σ H_l·W_l, location m = M_l + h·W_l + w
 * (the flat anchor order of {@code AnchorPyramid}). One parameter set serves all levels, so the gradients
 * of all levels add up in it.
 *
 * <p>O = K class logits ({@link #classification}: N(0, 0.01) weights, bias 0, last bias the prior
 * −log((1 − π)/π)) or O = 4 box deltas ({@link #boxRegression}: last bias 0). Built on DL4J's
 * {@link SameDiffVertex} for its parameters and configuration (a {@code ComputationGraph} shares no parameters
 * between layers, a vertex may apply its own to several inputs); {@link #defineVertex} states the computation as a
 * SameDiff graph, and the run-time vertex runs the same ops directly ({@link SharedHeadGraphVertex}).
 */
public class SharedHeadVertex extends SameDiffVertex {

    private static final long serialVersionUID = 1L;

    private int levels;
    private int channels;
    private int convs;
    private int width;
    private int anchors;
    private int outputsPerAnchor;
    private double lastBias;

    /** For JSON. */
    public SharedHeadVertex() {
    }

    private SharedHeadVertex(int levels, int channels, int convs, int width, int anchors, int outputsPerAnchor,
                             double lastBias) {
        check(levels, channels, convs, width, anchors, outputsPerAnchor, lastBias);
        this.levels = levels;
        this.channels = channels;
        this.convs = convs;
        this.width = width;
        this.anchors = anchors;
        this.outputsPerAnchor = outputsPerAnchor;
        this.lastBias = lastBias;
    }

    private static void check(int levels, int channels, int convs, int width, int anchors, int outputsPerAnchor,
                              double lastBias) {
        if (levels < 1 || channels < 1 || convs < 0 || width < 1 || anchors < 1 || outputsPerAnchor < 1
                || !Double.isFinite(lastBias)) {
            throw new IllegalArgumentException("a shared head needs levels >= 1, channels >= 1, convs >= 0, width >= 1, "
                    + "anchors >= 1, outputs per anchor >= 1 and a finite last bias; got levels=" + levels + ", channels="
                    + channels + ", convs=" + convs + ", width=" + width + ", anchors=" + anchors + ", outputs="
                    + outputsPerAnchor + ", last bias=" + lastBias);
        }
    }

    /** The constructor's checks, before use: refuses sizes never set (JSON without them) or bad (Java serialisation). */
    private void checkComplete() {
        check(levels, channels, convs, width, anchors, outputsPerAnchor, lastBias);
    }

    /** Java deserialisation validates like the factories. */
    private Object readResolve() throws ObjectStreamException {
        try {
            checkComplete();
        } catch (IllegalArgumentException e) {
            throw (InvalidObjectException) new InvalidObjectException(e.getMessage()).initCause(e);
        }
        return this;
    }

    /**
     * The classification subnet: A·K logits per location, last bias −log((1 − π)/π).
     *
     * @param levels   pyramid levels it serves (its inputs, finest first)
     * @param channels channels of every pyramid level
     */
    public static SharedHeadVertex classification(int levels, int channels, int convs, int width, int anchors,
                                                  int classes, double prior) {
        return new SharedHeadVertex(levels, channels, convs, width, anchors, classes, FocalInit.priorBias(prior));
    }

    /** The class-agnostic box subnet: 4·A deltas (dx, dy, dw, dh of anchor a on channels 4a … 4a + 3) per location. */
    public static SharedHeadVertex boxRegression(int levels, int channels, int convs, int width, int anchors) {
        return new SharedHeadVertex(levels, channels, convs, width, anchors, 4, 0.0);
    }

    private static String input(int l) {
        return "level" + l;
    }

    static String weight(int i) {
        return "W" + i;
    }

    static String bias(int i) {
        return "b" + i;
    }

    /** Every conv of the head: 3×3, stride 1, SAME padding, NCHW, weights [3, 3, in, out]. */
    static Conv2DConfig same3x3() {
        return Conv2DConfig.builder().kH(3).kW(3).paddingMode(PaddingMode.SAME).build();
    }

    @Override
    public void defineParametersAndInputs(SDVertexParams params) {
        checkComplete();
        String[] inputs = new String[levels];
        for (int l = 0; l < levels; l++) {
            inputs[l] = input(l);
        }
        params.defineInputs(inputs);
        long in = channels;
        for (int i = 0; i <= convs; i++) {
            long out = i < convs ? width : (long) anchors * outputsPerAnchor;
            params.addWeightParam(weight(i), 3, 3, in, out);
            params.addBiasParam(bias(i), out);
            in = out;
        }
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        for (int i = 0; i <= convs; i++) {
            INDArray w = params.get(weight(i));
            w.assign(Nd4j.randn(w.dataType(), w.shape()).muli(0.01));
            params.get(bias(i)).assign(i < convs ? 0.0 : lastBias);
        }
    }

    @Override
    public SDVariable defineVertex(SameDiff sd, Map<String, SDVariable> layerInput, Map<String, SDVariable> paramTable,
                                   Map<String, SDVariable> maskVars) {
        Conv2DConfig same3x3 = same3x3();
        long outChannels = (long) anchors * outputsPerAnchor;
        List<SDVariable> flat = new ArrayList<>();
        for (int l = 0; l < levels; l++) {
            SDVariable h = layerInput.get(input(l));
            long[] shape = h.getShape();                                       // [-1, C, H_l, W_l]
            for (int i = 0; i < convs; i++) {
                h = sd.nn.relu(sd.cnn.conv2d(h, paramTable.get(weight(i)), paramTable.get(bias(i)), same3x3), 0);
            }
            SDVariable out = sd.cnn.conv2d(h, paramTable.get(weight(convs)), paramTable.get(bias(convs)), same3x3);
            flat.add(out.reshape(-1, outChannels, shape[2] * shape[3]));
        }
        return levels == 1 ? flat.get(0) : sd.concat(2, flat.toArray(new SDVariable[0]));
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType... vertexInputs) {
        checkComplete();
        if (vertexInputs.length != levels) {
            throw new IllegalArgumentException("SharedHeadVertex serves " + levels + " levels but has "
                    + vertexInputs.length + " inputs");
        }
        long locations = 0;
        for (int l = 0; l < levels; l++) {
            if (!(vertexInputs[l] instanceof InputType.InputTypeConvolutional)) {
                throw new IllegalArgumentException("SharedHeadVertex input " + l + " must be convolutional (NCHW); got "
                        + vertexInputs[l]);
            }
            InputType.InputTypeConvolutional c = (InputType.InputTypeConvolutional) vertexInputs[l];
            if (c.getFormat() != org.deeplearning4j.nn.conf.CNN2DFormat.NCHW) {
                throw new IllegalArgumentException("SharedHeadVertex input " + l + " must be NCHW; got " + c.getFormat());
            }
            if (c.getChannels() != channels) {
                throw new IllegalArgumentException("SharedHeadVertex input " + l + " has " + c.getChannels()
                        + " channels; every level must have " + channels);
            }
            locations += c.getHeight() * c.getWidth();
        }
        return InputType.recurrent((long) anchors * outputsPerAnchor, locations);
    }

    /**
     * The run-time vertex: the ops of {@link #defineVertex}, called directly, one forward per training step
     * ({@link SharedHeadGraphVertex}).
     */
    @Override
    public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(ComputationGraph graph, String name, int idx,
                                                                      INDArray paramsView, boolean initializeParams,
                                                                      DataType networkDatatype) {
        checkComplete();
        setName(name);
        return new SharedHeadGraphVertex(this, graph, name, idx, paramsView, initializeParams, networkDatatype);
    }

    /**
     * Every input [N, channels, H, W] (NCHW), the same N for every level; the run-time vertex also holds the sizes to
     * those of its first call.
     */
    @Override
    public void validateInput(INDArray[] input) {
        if (input.length != levels) {
            throw new IllegalArgumentException("SharedHeadVertex serves " + levels + " levels; got " + input.length
                    + " inputs");
        }
        for (int l = 0; l < levels; l++) {
            if (input[l].rank() != 4 || input[l].size(1) != channels) {
                throw new IllegalArgumentException("SharedHeadVertex input " + l + " must be [N, " + channels
                        + ", H, W] (NCHW); got " + java.util.Arrays.toString(input[l].shape()));
            }
            if (input[l].size(0) != input[0].size(0)) {
                throw new IllegalArgumentException("SharedHeadVertex input " + l + " has " + input[l].size(0)
                        + " images and input 0 has " + input[0].size(0) + "; every level must have the same minibatch");
            }
        }
    }

    @Override
    public int minVertexInputs() {
        return levels;
    }

    @Override
    public int maxVertexInputs() {
        return levels;
    }

    @Override
    public GraphVertex clone() {
        SharedHeadVertex v = new SharedHeadVertex(levels, channels, convs, width, anchors, outputsPerAnchor, lastBias);
        v.setUpdater(updater);
        v.setBiasUpdater(biasUpdater);
        v.setRegularization(regularization);
        v.setRegularizationBias(regularizationBias);
        v.setGradientNormalization(gradientNormalization);
        v.setGradientNormalizationThreshold(gradientNormalizationThreshold);
        v.setDataType(dataType);
        return v;
    }

    @JsonProperty("levels")
    public int getLevels() {
        return levels;
    }

    public void setLevels(int levels) {
        this.levels = atLeast("levels", levels, 1);
    }

    @JsonProperty("channels")
    public int getChannels() {
        return channels;
    }

    public void setChannels(int channels) {
        this.channels = atLeast("channels", channels, 1);
    }

    @JsonProperty("convs")
    public int getConvs() {
        return convs;
    }

    public void setConvs(int convs) {
        this.convs = atLeast("convs", convs, 0);
    }

    @JsonProperty("width")
    public int getWidth() {
        return width;
    }

    public void setWidth(int width) {
        this.width = atLeast("width", width, 1);
    }

    @JsonProperty("anchors")
    public int getAnchors() {
        return anchors;
    }

    public void setAnchors(int anchors) {
        this.anchors = atLeast("anchors", anchors, 1);
    }

    @JsonProperty("outputsPerAnchor")
    public int getOutputsPerAnchor() {
        return outputsPerAnchor;
    }

    public void setOutputsPerAnchor(int outputsPerAnchor) {
        this.outputsPerAnchor = atLeast("outputsPerAnchor", outputsPerAnchor, 1);
    }

    private static int atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException("SharedHeadVertex " + name + " must be >= " + min + "; got " + value);
        }
        return value;
    }

    @JsonProperty("lastBias")
    public double getLastBias() {
        return lastBias;
    }

    public void setLastBias(double lastBias) {
        if (!Double.isFinite(lastBias)) {
            throw new IllegalArgumentException("SharedHeadVertex lastBias must be finite; got " + lastBias);
        }
        this.lastBias = lastBias;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SharedHeadVertex)) {
            return false;
        }
        SharedHeadVertex v = (SharedHeadVertex) o;
        return levels == v.levels && channels == v.channels && convs == v.convs && width == v.width
                && anchors == v.anchors && outputsPerAnchor == v.outputsPerAnchor
                && Double.compare(lastBias, v.lastBias) == 0
                // the training settings DL4J's SameDiffVertex carries for it
                && Objects.equals(getUpdater(), v.getUpdater()) && Objects.equals(getBiasUpdater(), v.getBiasUpdater())
                && Objects.equals(getRegularization(), v.getRegularization())
                && Objects.equals(getRegularizationBias(), v.getRegularizationBias())
                && getGradientNormalization() == v.getGradientNormalization()
                && Double.compare(getGradientNormalizationThreshold(), v.getGradientNormalizationThreshold()) == 0
                && getDataType() == v.getDataType();
    }

    @Override
    public int hashCode() {
        return Objects.hash(levels, channels, convs, width, anchors, outputsPerAnchor, lastBias);
    }

    @Override
    public String toString() {
        return "SharedHeadVertex(levels=" + levels + ", channels=" + channels + ", convs=" + convs + ", width=" + width
                + ", anchors=" + anchors + ", outputs per anchor=" + outputsPerAnchor + ")";
    }
}
