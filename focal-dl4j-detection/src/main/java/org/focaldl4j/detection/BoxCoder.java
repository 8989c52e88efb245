package org.focaldl4j.detection;

import java.util.Arrays;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The box parameterisation of Faster R-CNN that RetinaNet regresses: for an anchor and a box, both
 * {x1, y1, x2, y2} with width w = x2 − x1, height h = y2 − y1 and centre (x1 + w/2, y1 + h/2),
 * <pre>
 *   dx = wx · (cx − cx_a) / w_a        dw = ww · log(w / w_a)
 *   dy = wy · (cy − cy_a) / h_a        dh = wh · log(h / h_a)
 * </pre>
 * with per-coordinate weights (wx, wy, ww, wh) (RetinaNet: all 1). {@link #decode} inverts it, with
 * dw/ww and dh/wh clamped from above at log(1000/16) before the exponential, as detectron2 and
 * torchvision do, so that a wild prediction cannot overflow. Encoding needs anchors and boxes of
 * positive width and height. Immutable.
 */
public final class BoxCoder {

    /** The clamp on dw/ww and dh/wh before exp: log(1000/16) (detectron2's and torchvision's). */
    public static final double SCALE_CLAMP = Math.log(1000.0 / 16);

    private final double wx;
    private final double wy;
    private final double ww;
    private final double wh;

    /** Weights (1, 1, 1, 1), RetinaNet's. */
    public BoxCoder() {
        this(1, 1, 1, 1);
    }

    /** @param wx,wy,ww,wh the per-coordinate weights, each finite and &gt; 0 (Faster R-CNN: 10, 10, 5, 5) */
    public BoxCoder(double wx, double wy, double ww, double wh) {
        double[] w = {wx, wy, ww, wh};
        for (int i = 0; i < 4; i++) {
            if (!(w[i] > 0) || !Double.isFinite(w[i])) {
                throw new IllegalArgumentException("box coder weights must be finite and > 0; weight " + i + " ("
                        + "wx, wy, ww, wh".split(", ")[i] + ") = " + w[i]);
            }
        }
        this.wx = wx;
        this.wy = wy;
        this.ww = ww;
        this.wh = wh;
    }

    /** The weights {wx, wy, ww, wh}. */
    public double[] weights() {
        return new double[] {wx, wy, ww, wh};
    }

    /** The deltas {dx, dy, dw, dh} that take {@code anchor} to {@code box}. */
    public double[] encode(double[] anchor, double[] box) {
        checkPositive(anchor, "anchor");
        checkPositive(box, "box");
        double aw = anchor[2] - anchor[0];
        double ah = anchor[3] - anchor[1];
        double bw = box[2] - box[0];
        double bh = box[3] - box[1];
        return new double[] {
            wx * ((box[0] + 0.5 * bw) - (anchor[0] + 0.5 * aw)) / aw,
            wy * ((box[1] + 0.5 * bh) - (anchor[1] + 0.5 * ah)) / ah,
            ww * Math.log(bw / aw),
            wh * Math.log(bh / ah)};
    }

    /** The box {x1, y1, x2, y2} that finite {@code deltas} {dx, dy, dw, dh} make of {@code anchor}. */
    public double[] decode(double[] anchor, double[] deltas) {
        Boxes.checked(anchor, "anchor");
        if (deltas == null || deltas.length != 4 || !Double.isFinite(deltas[0] + deltas[1] + deltas[2] + deltas[3])) {
            throw new IllegalArgumentException("deltas must be four finite values {dx, dy, dw, dh}; got "
                    + Arrays.toString(deltas));
        }
        double aw = anchor[2] - anchor[0];
        double ah = anchor[3] - anchor[1];
        // The operation order of torchvision's BoxCoder.decode_single, so that results agree to the last bit.
        double cx = deltas[0] / wx * aw + (anchor[0] + 0.5 * aw);
        double cy = deltas[1] / wy * ah + (anchor[1] + 0.5 * ah);
        double w = Math.exp(Math.min(deltas[2] / ww, SCALE_CLAMP)) * aw;
        double h = Math.exp(Math.min(deltas[3] / wh, SCALE_CLAMP)) * ah;
        return new double[] {cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h};
    }

    /** {@link #encode} for M anchor-box pairs: [M, 4] anchors and boxes to [M, 4] deltas, with ND4J ops. */
    public INDArray encode(INDArray anchors, INDArray boxes) {
        checkRows(anchors, "anchors");
        checkRows(boxes, "boxes");
        checkFinite(anchors, "anchors");
        checkFinite(boxes, "boxes");
        if (anchors.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("encode needs as many boxes as anchors; got " + boxes.size(0) + " and "
                    + anchors.size(0));
        }
        INDArray[] a = centreSize(anchors);
        INDArray[] b = centreSize(boxes);
        requirePositive(a, "anchors");
        requirePositive(b, "boxes");
        INDArray out = Nd4j.create(anchors.dataType(), anchors.size(0), 4);
        out.putColumn(0, b[0].sub(a[0]).muli(wx).divi(a[2]));                  // wx·(cx − cx_a)/w_a, torchvision's order
        out.putColumn(1, b[1].sub(a[1]).muli(wy).divi(a[3]));
        out.putColumn(2, Transforms.log(b[2].div(a[2]), false).muli(ww));
        out.putColumn(3, Transforms.log(b[3].div(a[3]), false).muli(wh));
        return out;
    }

    /** {@link #decode} for M anchors: [M, 4] anchors and finite [M, 4] deltas to [M, 4] boxes, with ND4J ops. */
    public INDArray decode(INDArray anchors, INDArray deltas) {
        checkRows(anchors, "anchors");
        checkRows(deltas, "deltas");
        checkFinite(deltas, "deltas");
        checkFinite(anchors, "anchors");
        INDArray[] sizes = centreSize(anchors);
        if (sizes[2].minNumber().doubleValue() < 0 || sizes[3].minNumber().doubleValue() < 0) {
            throw new IllegalArgumentException("anchors must be finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1");
        }
        if (anchors.size(0) != deltas.size(0)) {
            throw new IllegalArgumentException("decode needs as many deltas as anchors; got " + deltas.size(0) + " and "
                    + anchors.size(0));
        }
        INDArray d = deltas.castTo(anchors.dataType());
        INDArray[] a = sizes;
        INDArray cx = column(d, 0).div(wx).muli(a[2]).addi(a[0]);
        INDArray cy = column(d, 1).div(wy).muli(a[3]).addi(a[1]);
        INDArray w = Transforms.exp(Transforms.min(column(d, 2).div(ww), SCALE_CLAMP, false), false).muli(a[2]);
        INDArray h = Transforms.exp(Transforms.min(column(d, 3).div(wh), SCALE_CLAMP, false), false).muli(a[3]);
        INDArray out = Nd4j.create(anchors.dataType(), anchors.size(0), 4);
        out.putColumn(0, cx.sub(w.mul(0.5)));
        out.putColumn(1, cy.sub(h.mul(0.5)));
        out.putColumn(2, cx.add(w.mul(0.5)));
        out.putColumn(3, cy.add(h.mul(0.5)));
        return out;
    }

    /** {cx, cy, w, h} columns [M, 1] of [M, 4] boxes. */
    private static INDArray[] centreSize(INDArray boxes) {
        INDArray w = column(boxes, 2).sub(column(boxes, 0));
        INDArray h = column(boxes, 3).sub(column(boxes, 1));
        return new INDArray[] {column(boxes, 0).add(w.mul(0.5)), column(boxes, 1).add(h.mul(0.5)), w, h};
    }

    private static INDArray column(INDArray a, int c) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.point(c)).reshape(a.size(0), 1);
    }

    private static void checkRows(INDArray a, String what) {
        if (a == null || a.rank() != 2 || a.size(1) != 4 || !a.dataType().isFPType()) {
            throw new IllegalArgumentException(what + " must be a floating-point [M, 4] array; got "
                    + (a == null ? "null" : Arrays.toString(a.shape()) + " " + a.dataType()));
        }
    }

    private static void checkFinite(INDArray a, String what) {
        long[] bad = Finite.firstNonFinite(a);
        if (bad != null) {
            throw new IllegalArgumentException(what + " must be finite; " + what + Arrays.toString(bad) + " is "
                    + a.getDouble(bad));
        }
    }

    private static void requirePositive(INDArray[] cs, String what) {
        for (int k = 2; k < 4; k++) {
            INDArray side = cs[k];
            double min = side.minNumber().doubleValue();
            if (!(min > 0) || !Double.isFinite(side.sumNumber().doubleValue())) {
                for (long i = 0; i < side.length(); i++) {
                    double v = side.getDouble(i);
                    if (!(v > 0) || !Double.isFinite(v)) {
                        throw new IllegalArgumentException(what + " must have finite, positive " + (k == 2 ? "widths"
                                : "heights") + " to be encoded; row " + i + " has " + v);
                    }
                }
            }
        }
    }

    private static void checkPositive(double[] box, String what) {
        Boxes.checked(box, what);
        if (!(box[2] > box[0]) || !(box[3] > box[1])) {
            throw new IllegalArgumentException(what + " must have a positive width and height to be encoded; got "
                    + Arrays.toString(box));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BoxCoder && Arrays.equals(weights(), ((BoxCoder) o).weights());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(weights());
    }

    @Override
    public String toString() {
        return "BoxCoder(weights=" + Arrays.toString(weights()) + ")";
    }
}
