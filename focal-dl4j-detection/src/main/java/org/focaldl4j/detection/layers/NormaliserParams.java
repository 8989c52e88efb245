package org.focaldl4j.detection.layers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The parameter of an anchor loss layer whose {@link PositiveNormaliser} is a moving average: one value,
 * the running normaliser n, named {@value PositiveNormaliser#PARAMETER}, initialised to n₀; none for a per-batch normaliser. It is
 * not learned: the layer's "gradient" for it is n_old − n_new, applied with a {@code NoOp} updater, no
 * regularisation and no division by the minibatch size, so that a training step leaves n_new (the
 * mechanism DL4J's BatchNormalization uses for its running mean).
 */
final class NormaliserParams implements ParamInitializer {

    static final String KEY = PositiveNormaliser.PARAMETER;

    static final NormaliserParams INSTANCE = new NormaliserParams();

    private NormaliserParams() {
    }

    private static PositiveNormaliser normaliser(Layer layer) {
        if (!(layer instanceof AnchorOutputLayer)) {
            throw new IllegalArgumentException("not an anchor loss layer: " + layer);
        }
        return ((AnchorOutputLayer) layer).getNormaliser();
    }

    @Override
    public long numParams(NeuralNetConfiguration conf) {
        return numParams(conf.getLayer());
    }

    @Override
    public long numParams(Layer layer) {
        return normaliser(layer).isMovingAverage() ? 1 : 0;
    }

    @Override
    public List<String> paramKeys(Layer layer) {
        return numParams(layer) == 1 ? List.of(KEY) : List.of();
    }

    @Override
    public List<String> weightKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public List<String> biasKeys(Layer layer) {
        return Collections.emptyList();
    }

    @Override
    public boolean isWeightParam(Layer layer, String key) {
        return false;
    }

    @Override
    public boolean isBiasParam(Layer layer, String key) {
        return false;
    }

    @Override
    public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        if (numParams(conf) == 1) {
            INDArray n = paramsView.reshape(1, 1);
            if (initializeParams) {
                n.assign(normaliser(conf.getLayer()).getInitial());
            }
            out.put(KEY, n);
        }
        return out;
    }

    @Override
    public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        if (numParams(conf) == 1) {
            out.put(KEY, gradientView.reshape(1, 1));
        }
        return out;
    }
}
