package org.focaldl4j.detection;

import java.util.List;

import org.deeplearning4j.nn.api.MaskState;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime side of {@link AnchorLossLayer}. Rows of the 2-D view handed to the loss are (n, h, w) in
 * that order for both data formats; the updater divides gradients by the minibatch size N, so the
 * returned epsilon is N/max(1, P) · ∂Σℓ/∂z and the effective gradient is that of Σℓ / max(1, P).
 */
class AnchorLossLayerImpl extends BaseLayer<AnchorLossLayer> implements IOutputLayer {

    private static final long serialVersionUID = 1L;

    private INDArray labels;

    AnchorLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** [N, C, H, W] (NCHW) or [N, H, W, C] (NHWC) → [N·H·W, C], rows (n, h, w), a new 'c' array. */
    static INDArray to2d(INDArray x, CNN2DFormat format) {
        INDArray nhwc = format == CNN2DFormat.NCHW ? x.permute(0, 2, 3, 1) : x;
        return nhwc.dup('c').reshape('c', nhwc.size(0) * nhwc.size(1) * nhwc.size(2), nhwc.size(3));
    }

    /** Inverse of {@link #to2d} for a 4-D array of {@code shape} in {@code format}. */
    static INDArray to4d(INDArray x2d, long[] shape, CNN2DFormat format) {
        long n = shape[0];
        long c = format == CNN2DFormat.NCHW ? shape[1] : shape[3];
        long h = format == CNN2DFormat.NCHW ? shape[2] : shape[1];
        long w = format == CNN2DFormat.NCHW ? shape[3] : shape[2];
        INDArray nhwc = x2d.dup('c').reshape('c', n, h, w, c);
        return format == CNN2DFormat.NCHW ? nhwc.permute(0, 3, 1, 2).dup('c') : nhwc;
    }

    /** The mask as the loss's 2-D mask: per output [rows, C] or per row [rows, 1]; null for none. */
    private INDArray mask2d(long[] shape, CNN2DFormat format) {
        if (maskArray == null) {
            return null;
        }
        long n = shape[0];
        long h = format == CNN2DFormat.NCHW ? shape[2] : shape[1];
        long w = format == CNN2DFormat.NCHW ? shape[3] : shape[2];
        INDArray m = maskArray.castTo(input.dataType());
        if (m.rank() == 4) {
            return to2d(m, format);                                   // labels' shape, or a single channel
        }
        if (m.rank() == 3 && m.size(0) == n && m.size(1) == h && m.size(2) == w) {
            return m.dup('c').reshape('c', n * h * w, 1);             // [N, H, W]: per location
        }
        if (m.rank() == 2 && m.size(0) == n && m.size(1) == 1) {
            return Nd4j.ones(m.dataType(), n, h * w).muliColumnVector(m).reshape('c', n * h * w, 1);   // per image
        }
        throw new IllegalArgumentException("AnchorLossLayer mask shape " + java.util.Arrays.toString(m.shape())
                + " must be the labels' shape, [N, 1, H, W] / [N, H, W, 1], [N, H, W] or [N, 1]; input shape "
                + java.util.Arrays.toString(shape) + " (" + format + ")");
    }

    /** Number of positive (≥ 0.5) unmasked label entries. */
    private static double positives(INDArray labels2d, INDArray mask2d) {
        return positiveEntries(labels2d, mask2d).sumNumber().doubleValue();
    }

    /**
     * The entries P counts: 1 where the label is ≥ 0.5 and the mask (per row [rows, 1] or per entry, as
     * DL4J's {@link LossUtil#applyMask}; null for none) is not 0, else 0. A new array in the labels' dtype.
     */
    static INDArray positiveEntries(INDArray labels2d, INDArray mask2d) {
        INDArray positive = labels2d.gte(0.5).castTo(labels2d.dataType());
        if (mask2d != null) {
            LossUtil.applyMask(positive, mask2d.neq(0.0));
        }
        return positive;
    }

    /** Logits, labels and mask as the loss function's 2-D arrays: [N·H·W, A·K], rows in (n, h, w) order. */
    private static final class Rows {
        final INDArray input2d;
        final INDArray labels2d;
        final INDArray mask2d;

        Rows(INDArray input2d, INDArray labels2d, INDArray mask2d) {
            this.input2d = input2d;
            this.labels2d = labels2d;
            this.mask2d = mask2d;
        }
    }

    private Rows rows() {
        if (input == null || labels == null) {
            throw new IllegalStateException("AnchorLossLayer needs input and labels " + layerId());
        }
        CNN2DFormat format = layerConf().getFormat();
        int k = layerConf().getIntegerLabelClasses();
        int channelAxis = format == CNN2DFormat.NCHW ? 1 : 3;
        long[] expected = input.shape().clone();
        if (k > 0 && input.rank() == 4) {
            if (input.size(channelAxis) % k != 0) {
                throw new IllegalArgumentException("AnchorLossLayer with integer labels over K=" + k + " classes needs "
                        + "A·K logit channels, a multiple of " + k + "; got " + input.size(channelAxis) + " "
                        + layerId());
            }
            expected[channelAxis] = input.size(channelAxis) / k;
        }
        if (input.rank() != 4 || !java.util.Arrays.equals(expected, labels.shape())) {
            throw new IllegalArgumentException("AnchorLossLayer needs rank-4 logits and labels of "
                    + (k > 0 ? "shape " + java.util.Arrays.toString(expected) + " (one class index per anchor, "
                    + format + ")" : "the same shape (" + format + ")") + "; got input "
                    + java.util.Arrays.toString(input.shape()) + " and labels " + java.util.Arrays.toString(labels.shape())
                    + " " + layerId());
        }
        INDArray input2d = to2d(input, format);
        INDArray mask2d = mask2d(input.shape(), format);
        INDArray labels2d = to2d(labels.castTo(input.dataType()), format);
        if (k > 0) {
            checkClassIndices(labels2d, k);
            INDArray[] expanded = AnchorTargets.oneHotAndMask(labels2d, k);
            labels2d = expanded[0];
            // the branches below read labels2d.size(1) = A·K
            if (mask2d == null) {
                mask2d = expanded[1];
            } else if (mask2d.size(1) == 1) {                                  // per location or per image
                mask2d = expanded[1].muliColumnVector(mask2d);
            } else if (mask2d.size(1) == labels2d.size(1) / k) {               // per anchor, the labels' shape
                mask2d = expanded[1].muli(AnchorTargets.perClass(mask2d, k));
            } else if (mask2d.size(1) == labels2d.size(1)) {                   // per anchor and class, the logits' shape
                mask2d = expanded[1].muli(mask2d);
            } else {
                throw new IllegalArgumentException("AnchorLossLayer with integer labels: a 4-D mask needs 1, A = "
                        + labels2d.size(1) / k + " or A·K = " + labels2d.size(1) + " channels; got "
                        + java.util.Arrays.toString(maskArray.shape()) + " " + layerId());
            }
        }
        return new Rows(input2d, labels2d, mask2d);
    }

    /** Every entry of the [M, A] class indices must be −1, 0..K−1 or K; the first that is not is named. */
    private static void checkClassIndices(INDArray indices2d, int k) {
        double lo = indices2d.minNumber().doubleValue();
        double hi = indices2d.maxNumber().doubleValue();
        boolean integral = indices2d.eq(Transforms.round(indices2d, true)).all();
        if (lo >= -1 && hi <= k && integral) {
            return;
        }
        for (long i = 0; i < indices2d.size(0); i++) {
            for (long j = 0; j < indices2d.size(1); j++) {
                double v = indices2d.getDouble(i, j);
                if (!(v >= -1 && v <= k && v == Math.rint(v))) {
                    throw new IllegalArgumentException("AnchorLossLayer integer labels must be −1 (ignore), 0.."
                            + (k - 1) + " (class) or " + k + " (background); found " + v + " at row " + i
                            + " (image·H·W order), anchor " + j);
                }
            }
        }
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        Rows r = rows();
        CNN2DFormat format = layerConf().getFormat();
        INDArray delta2d = layerConf().getLossFn().computeGradient(r.labels2d, r.input2d, layerConf().getActivationFn(),
                r.mask2d);
        delta2d.muli(input.size(0) / Math.max(1.0, positives(r.labels2d, r.mask2d)));
        INDArray eps = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, to4d(delta2d, input.shape(), format));
        return new Pair<>(new DefaultGradient(), eps);
    }

    @Override
    public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr workspaceMgr) {
        Rows r = rows();
        double sum = layerConf().getLossFn().computeScore(r.labels2d, r.input2d, layerConf().getActivationFn(), r.mask2d,
                false);
        this.score = sum / Math.max(1.0, positives(r.labels2d, r.mask2d)) + fullNetRegTerm;
        return score;
    }

    /** Per image n: Σℓ_n / max(1, P_n) (+ the regularisation term), [N, 1]. */
    @Override
    public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr workspaceMgr) {
        Rows r = rows();
        long n = input.size(0);
        INDArray rows = layerConf().getLossFn().computeScoreArray(r.labels2d, r.input2d, layerConf().getActivationFn(),
                r.mask2d);
        INDArray perImage = rows.reshape('c', n, rows.length() / n).sum(true, 1);
        INDArray pos = positiveEntries(r.labels2d, r.mask2d).castTo(rows.dataType());
        INDArray posPerImage = pos.sum(true, 1).reshape('c', n, rows.length() / n).sum(true, 1);
        INDArray out = perImage.divi(Transforms.max(posPerImage, 1.0, false)).addi(fullNetRegTerm);
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        if (input.rank() != 4) {
            throw new IllegalArgumentException("AnchorLossLayer needs rank-4 input; got "
                    + java.util.Arrays.toString(input.shape()) + " " + layerId());
        }
        CNN2DFormat format = layerConf().getFormat();
        INDArray out2d = layerConf().getActivationFn().getActivation(to2d(input, format), training);
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, to4d(out2d, input.shape(), format));
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0;
    }

    @Override
    public boolean needsLabels() {
        return true;
    }

    @Override
    public void setLabels(INDArray labels) {
        this.labels = labels;
    }

    @Override
    public INDArray getLabels() {
        return labels;
    }

    @Override
    public void setMaskArray(INDArray maskArray) {
        this.maskArray = maskArray;
    }

    @Override
    public Pair<INDArray, MaskState> feedForwardMaskArray(INDArray maskArray, MaskState currentMaskState, int minibatchSize) {
        this.maskArray = maskArray;
        return null;                                                  // last layer
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public Type type() {
        return Type.CONVOLUTIONAL;
    }

    @Override
    public double f1Score(DataSet data) {
        throw new UnsupportedOperationException("f1Score is not defined for an anchor loss layer");
    }

    @Override
    public double f1Score(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("f1Score is not defined for an anchor loss layer");
    }

    @Override
    public int numLabels() {
        return labels == null ? 0 : (int) labels.size(layerConf().getFormat() == CNN2DFormat.NCHW ? 1 : 3);
    }

    @Override
    public void fit(DataSetIterator iter) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public int[] predict(INDArray examples) {
        throw new UnsupportedOperationException("not a classifier over examples");
    }

    @Override
    public List<String> predict(DataSet dataSet) {
        throw new UnsupportedOperationException("not a classifier over examples");
    }

    @Override
    public void fit(INDArray examples, INDArray labels) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public void fit(DataSet data) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }

    @Override
    public void fit(INDArray examples, int[] labels) {
        throw new UnsupportedOperationException("fit the network, not the layer");
    }
}
