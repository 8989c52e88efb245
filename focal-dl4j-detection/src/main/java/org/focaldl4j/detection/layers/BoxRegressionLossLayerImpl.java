package org.focaldl4j.detection.layers;

import java.util.Arrays;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Runtime side of {@link BoxRegressionLossLayer}: smooth-L1 on the 2-D rows [rows, 4·A] of predictions and
 * targets, weighted by the positive-anchor mask [rows, A] repeated on each anchor's 4 channels; or {@link GiouLoss}
 * per anchor, weighted by the mask.
 */
class BoxRegressionLossLayerImpl extends AnchorOutputLayerImpl<BoxRegressionLossLayer> {

    private static final long serialVersionUID = 1L;

    BoxRegressionLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    Loss2d loss(boolean wantScore, boolean wantGradient) {
        requireInputAndLabels();
        CNN2DFormat format = format();
        if (!Arrays.equals(input.shape(), labels.shape())) {
            throw new IllegalArgumentException("BoxRegressionLossLayer needs predicted and target deltas of the same "
                    + "shape; got input " + Arrays.toString(input.shape()) + " and labels "
                    + Arrays.toString(labels.shape()) + " " + layerId());
        }
        int channelAxis = AnchorLayout.channelAxis(input.rank(), format);
        long channels = input.size(channelAxis);
        if (channels % 4 != 0) {
            throw new IllegalArgumentException("BoxRegressionLossLayer needs 4·A channels; got " + channels + " "
                    + layerId());
        }
        long[] maskShape = input.shape().clone();
        maskShape[channelAxis] = channels / 4;
        if (maskArray == null || !Arrays.equals(maskArray.shape(), maskShape)) {
            throw new IllegalArgumentException("BoxRegressionLossLayer needs a mask of the positive anchors, shape "
                    + Arrays.toString(maskShape) + "; got " + (maskArray == null ? "none"
                    : Arrays.toString(maskArray.shape())) + " " + layerId());
        }
        INDArray labelsC = labels.castTo(input.dataType());           // checked as computed: 1e39 is ∞ in FLOAT
        long[] bad = Finite.firstNonFinite(labelsC);
        if (bad != null) {
            throw new IllegalArgumentException("BoxRegressionLossLayer target deltas must be finite in the network's "
                    + input.dataType() + " (every anchor, masked or not); labels" + Arrays.toString(bad) + " is "
                    + labels.getDouble(bad) + " " + layerId());
        }
        INDArray maskC = maskArray.castTo(input.dataType());
        Finite.checkMask(maskC, "BoxRegressionLossLayer", layerId());
        INDArray pred = AnchorLayout.to2d(input, format);
        INDArray target = AnchorLayout.to2d(labelsC, format);
        INDArray perAnchor = AnchorLayout.to2d(maskC, format);                                  // [rows, A]
        INDArray positives = perAnchor.neq(0.0).castTo(perAnchor.dataType()).sum(true, 1);
        double[] giou = layerConf().getGiouWeights();
        if (giou != null) {
            INDArray[] lg = GiouLoss.compute(pred, target, giou, wantScore, wantGradient);
            INDArray rowLoss = wantScore ? lg[0].muli(perAnchor).sum(true, 1) : null;
            INDArray gradient = wantGradient ? lg[1].muli(OneHotLabels.perClass(perAnchor, 4)) : null;
            return new Loss2d(rowLoss, rowLoss == null ? Double.NaN : rowLoss.sumNumber().doubleValue(), gradient,
                    positives);
        }
        double beta = layerConf().getBeta();
        if (beta > 0 && Nd4j.scalar(input.dataType(), beta).getDouble(0) == 0) {
            throw new IllegalArgumentException("BoxRegressionLossLayer beta " + beta + " is 0 in the network's "
                    + input.dataType() + "; use a larger beta, or beta 0 for L1 " + layerId());
        }
        INDArray weight = OneHotLabels.perClass(perAnchor, 4);                                 // [rows, 4·A]
        // With c = min(|d|, β): smoothL1 = ½·c·(c/β) + (|d| − c) and its derivative clamp(d/β, −1, 1) — both
        // branches in one expression; c/β ≤ 1, so neither c² nor 1/β can overflow for huge |d|, huge β or tiny β.
        // β = 0 is L1 (|d| and sign(d)).
        INDArray d = pred.sub(target);
        INDArray absD = Transforms.abs(d, true);
        INDArray rowLoss = null;
        if (wantScore) {
            INDArray l;
            if (beta == 0) {
                l = absD.dup();
            } else {
                INDArray c = Transforms.min(absD, beta, true);
                l = c.mul(c.div(beta)).muli(0.5).addi(absD.sub(c));
            }
            rowLoss = l.muli(weight).sum(true, 1);
        }
        INDArray gradient = null;
        if (wantGradient) {
            gradient = beta == 0 ? Transforms.sign(d, true)
                    : Transforms.min(Transforms.max(d.div(beta), -1.0, false), 1.0, false);
            gradient.muli(weight);
        }
        return new Loss2d(rowLoss, rowLoss == null ? Double.NaN : rowLoss.sumNumber().doubleValue(), gradient,
                positives);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, input);
    }
}
