package org.focaldl4j.detection.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The GIoU loss of {@link BoxRegressionLossLayer} (Rezatofighi et al. 2019), 1 − GIoU(p, t) per anchor, from the
 * predicted and target deltas alone. Each delta (dx, dy, dw, dh) is decoded against one unit anchor at the origin:
 * <pre>
 *   cx = dx/wx,  cy = dy/wy,  w = exp(min(dw/ww, clip)),  h = exp(min(dh/wh, clip))     (clip = log(1000/16))
 *   GIoU = I/U − (C − U)/C,   loss = 2 − I/U − U/C
 * </pre>
 * (I intersection, U union, C the smallest enclosing box's area). Decoding against the true anchor (x·w_a + x_a,
 * y·h_a + y_a) multiplies every area by w_a·h_a and leaves the ratios, hence GIoU, unchanged, so the layer needs no
 * anchors. The gradient is analytic (at the kinks, where two edges coincide, the one-sided derivative of the
 * predicted edge's side); above the clip it is 0 in dw, dh, as the clamp makes it. All ND4J ops, backend-neutral.
 */
final class GiouLoss {

    static final double CLIP = Math.log(1000.0 / 16);

    private GiouLoss() {
    }

    /** The per-entry loss [rows, A] (when {@code wantScore}) and gradient [rows, 4·A] (when asked), unweighted. */
    static INDArray[] compute(INDArray pred2d, INDArray target2d, double[] weights, boolean wantScore,
                              boolean wantGradient) {
        long rows = pred2d.size(0);
        long a = pred2d.size(1) / 4;
        INDArray[] p = corners(pred2d.reshape('c', rows, a, 4), weights);          // x1, y1, x2, y2, w, h, clipped w, h
        INDArray[] t = corners(target2d.reshape('c', rows, a, 4), weights);
        INDArray iw = Transforms.max(Transforms.min(p[2], t[2], true).subi(Transforms.max(p[0], t[0], true)), 0.0, false);
        INDArray ih = Transforms.max(Transforms.min(p[3], t[3], true).subi(Transforms.max(p[1], t[1], true)), 0.0, false);
        INDArray inter = iw.mul(ih);
        INDArray areaP = p[4].mul(p[5]);
        INDArray union = areaP.add(t[4].mul(t[5])).subi(inter);
        INDArray cw = Transforms.max(p[2], t[2], true).subi(Transforms.min(p[0], t[0], true));
        INDArray ch = Transforms.max(p[3], t[3], true).subi(Transforms.min(p[1], t[1], true));
        INDArray enclosing = cw.mul(ch);
        INDArray loss = wantScore ? inter.div(union).rsubi(2.0).subi(union.div(enclosing)) : null;
        if (!wantGradient) {
            return new INDArray[] {loss, null};
        }
        // ∂I, ∂A_p, ∂C with respect to the predicted corners x1, x2 (y likewise).
        INDArray overlapX = iw.gt(0.0).castTo(iw.dataType());
        INDArray overlapY = ih.gt(0.0).castTo(ih.dataType());
        INDArray[] dI = {ih.mul(overlapX).muli(atLeast(p[0], t[0])).negi(),
            iw.mul(overlapY).muli(atLeast(p[1], t[1])).negi(),
            ih.mul(overlapX).muli(atMost(p[2], t[2])),
            iw.mul(overlapY).muli(atMost(p[3], t[3]))};
        INDArray[] dA = {p[5].neg(), p[4].neg(), p[5], p[4]};
        INDArray[] dC = {ch.mul(atMost(p[0], t[0])).negi(),
            cw.mul(atMost(p[1], t[1])).negi(),
            ch.mul(atLeast(p[2], t[2])), cw.mul(atLeast(p[3], t[3]))};
        INDArray[] dCorner = new INDArray[4];
        INDArray u2 = union.mul(union);
        INDArray c2 = enclosing.mul(enclosing);
        for (int k = 0; k < 4; k++) {
            INDArray dU = dA[k].sub(dI[k]);
            // loss = 2 − I/U − U/C:  ∂ = −(∂I·U − I·∂U)/U² − (∂U·C − U·∂C)/C²
            dCorner[k] = dI[k].mul(union).subi(inter.mul(dU)).divi(u2).negi()
                    .subi(dU.mul(enclosing).subi(union.mul(dC[k])).divi(c2));
        }
        // x1 = cx − w/2, x2 = cx + w/2; cx = dx/wx; w = exp(min(dw/ww, clip)).
        INDArray gdx = dCorner[0].add(dCorner[2]).divi(weights[0]);
        INDArray gdy = dCorner[1].add(dCorner[3]).divi(weights[1]);
        INDArray gdw = dCorner[2].sub(dCorner[0]).muli(0.5).muli(p[6]).divi(weights[2]);
        INDArray gdh = dCorner[3].sub(dCorner[1]).muli(0.5).muli(p[7]).divi(weights[3]);
        INDArray gradient = org.nd4j.linalg.factory.Nd4j.stack(2, gdx, gdy, gdw, gdh).reshape('c', rows, 4 * a);
        return new INDArray[] {loss, gradient};
    }

    /** 1 where a ≥ b, else 0, in a's data type. */
    private static INDArray atLeast(INDArray a, INDArray b) {
        return a.lt(b).castTo(a.dataType()).rsubi(1.0);
    }

    /** 1 where a ≤ b, else 0, in a's data type. */
    private static INDArray atMost(INDArray a, INDArray b) {
        return a.gt(b).castTo(a.dataType()).rsubi(1.0);
    }

    /**
     * {x1, y1, x2, y2, w, h, ∂w/∂(dw/ww) , ∂h/∂(dh/wh)} of deltas [rows, A, 4] decoded against the unit anchor; the
     * last two are w and h below the clip and 0 above it.
     */
    private static INDArray[] corners(INDArray d, double[] weights) {
        INDArray cx = d.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)).div(weights[0]);
        INDArray cy = d.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(1)).div(weights[1]);
        INDArray sw = d.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(2)).div(weights[2]);
        INDArray sh = d.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(3)).div(weights[3]);
        INDArray w = Transforms.exp(Transforms.min(sw, CLIP, true), false);
        INDArray h = Transforms.exp(Transforms.min(sh, CLIP, true), false);
        INDArray halfW = w.mul(0.5);
        INDArray halfH = h.mul(0.5);
        return new INDArray[] {cx.sub(halfW), cy.sub(halfH), cx.add(halfW), cy.add(halfH), w, h,
            w.mul(sw.lt(CLIP).castTo(w.dataType())), h.mul(sh.lt(CLIP).castTo(h.dataType()))};
    }
}
