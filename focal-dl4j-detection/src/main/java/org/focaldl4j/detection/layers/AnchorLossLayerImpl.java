package org.focaldl4j.detection.layers;

import java.util.Arrays;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;

/**
 * Runtime side of {@link AnchorLossLayer}: the configured loss on the 2-D rows of logits, labels and
 * mask ({@link AnchorLayout}), with integer labels expanded to one-hot labels and a mask first; P counts
 * the positive (≥ 0.5), unmasked label entries.
 */
class AnchorLossLayerImpl extends AnchorOutputLayerImpl<AnchorLossLayer> {

    private static final long serialVersionUID = 2L;

    AnchorLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
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

    /** Logits, labels and mask as the loss function's 2-D arrays [rows, A·K]. */
    private INDArray[] rows() {
        requireInputAndLabels();
        CNN2DFormat format = format();
        int k = layerConf().getIntegerLabelClasses();
        int channelAxis = AnchorLayout.channelAxis(input.rank(), format);
        long[] expected = input.shape().clone();
        if (k > 0) {
            if (input.size(channelAxis) % k != 0) {
                throw new IllegalArgumentException("AnchorLossLayer with integer labels over K=" + k + " classes needs "
                        + "A·K logit channels, a multiple of " + k + "; got " + input.size(channelAxis) + " "
                        + layerId());
            }
            expected[channelAxis] = input.size(channelAxis) / k;
        }
        if (!Arrays.equals(expected, labels.shape())) {
            throw new IllegalArgumentException("AnchorLossLayer needs logits and labels of "
                    + (k > 0 ? "shape " + Arrays.toString(expected) + " (one class index per anchor"
                    + (input.rank() == 4 ? ", " + format : "") + ")" : "the same shape" + (input.rank() == 4 ? " ("
                    + format + ")" : "")) + "; got input " + Arrays.toString(input.shape()) + " and labels "
                    + Arrays.toString(labels.shape()) + " " + layerId());
        }
        if (layerConf().getActivationFn() instanceof ActivationSoftmax) {
            throw new IllegalArgumentException("AnchorLossLayer needs an element-wise activation (sigmoid for the focal "
                    + "losses); softmax would couple the A·K channels of a location " + layerId());
        }
        INDArray maskC = maskArray == null ? null : maskArray.castTo(input.dataType());
        if (maskC != null) {
            Finite.checkMask(maskC, "AnchorLossLayer", layerId());           // as computed: 1e39 is ∞ in FLOAT
        }
        INDArray input2d = AnchorLayout.to2d(input, format);
        INDArray mask2d = AnchorLayout.mask2d(maskC, input.shape(), format, "AnchorLossLayer");
        // One-hot labels go to the loss as given: it checks them before its own cast to the compute type (1 + 1e-9 in
        // DOUBLE labels would round to 1 in a FLOAT network), at the entries the mask keeps.
        INDArray labels2d;
        if (k > 0) {
            INDArray given = AnchorLayout.to2d(labels, format);
            double[] indices = Nd4j.toFlattened('c', given).toDoubleVector();
            OneHotLabels.check(indices, given.size(1), k);                     // as given: 257 is 256 in BFLOAT16
            if (labels.dataType() != input.dataType() && !labels.castTo(input.dataType()).castTo(labels.dataType())
                    .equals(labels)) {
                throw new IllegalArgumentException("AnchorLossLayer integer labels over K=" + k + " classes are not exact "
                        + "in the network's " + input.dataType() + "; use a wider data type " + layerId());
            }
            INDArray[] expanded = OneHotLabels.expand(indices, given.size(0), given.size(1), k, input.dataType());
            labels2d = expanded[0];
            // the branches below read labels2d.size(1) = A·K
            if (mask2d == null) {
                mask2d = expanded[1];
            } else if (mask2d.size(1) == 1) {                                  // per location or per image
                mask2d = expanded[1].muliColumnVector(mask2d);
            } else if (mask2d.size(1) == labels2d.size(1) / k) {               // per anchor, the labels' shape
                mask2d = expanded[1].muli(OneHotLabels.perClass(mask2d, k));
            } else if (mask2d.size(1) == labels2d.size(1)) {                   // per anchor and class, the logits' shape
                mask2d = expanded[1].muli(mask2d);
            } else {
                throw new IllegalArgumentException("AnchorLossLayer with integer labels: a mask needs 1, A = "
                        + labels2d.size(1) / k + " or A·K = " + labels2d.size(1) + " channels; got "
                        + Arrays.toString(maskArray.shape()) + " " + layerId());
            }
        } else {
            labels2d = AnchorLayout.to2d(labels, format);
        }
        if (k == 0 && mask2d != null && mask2d.size(1) != 1 && mask2d.size(1) != labels2d.size(1)) {
            throw new IllegalArgumentException("AnchorLossLayer mask shape " + Arrays.toString(maskArray.shape())
                    + " must have 1 or " + labels2d.size(1) + " channels " + layerId());
        }
        return new INDArray[] {input2d, labels2d, mask2d};
    }

    @Override
    Loss2d loss(boolean wantScore, boolean wantGradient) {
        INDArray[] r = rows();
        ILossFunction loss = layerConf().getLossFn();
        IActivation activation = layerConf().getActivationFn();
        INDArray positives = positiveEntries(r[1], r[2]).sum(true, 1);
        if (wantScore && wantGradient) {                       // one pass of the loss (average = false: the plain sum)
            Pair<Double, INDArray> both = loss.computeGradientAndScore(r[1], r[0], activation, r[2], false);
            return new Loss2d(null, both.getFirst(), both.getSecond(), positives);
        }
        INDArray rowLoss = wantScore ? loss.computeScoreArray(r[1], r[0], activation, r[2]) : null;
        INDArray gradient = wantGradient ? loss.computeGradient(r[1], r[0], activation, r[2]) : null;
        return new Loss2d(rowLoss, rowLoss == null ? Double.NaN : rowLoss.sumNumber().doubleValue(), gradient, positives);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        if (input.rank() != 3 && input.rank() != 4) {
            throw new IllegalArgumentException("AnchorLossLayer needs rank-4 or rank-3 input; got "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
        INDArray out2d = layerConf().getActivationFn().getActivation(AnchorLayout.to2d(input, format()), training);
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, AnchorLayout.back(out2d, input.shape(), format()));
    }
}
