package org.focaldl4j.detection.box;

import java.util.Arrays;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * {@link #encode} for M anchor-box pairs: [M, 4] anchors and boxes to [M, 4] deltas in the anchors' data type,
     * computed per row in double as the scalar form (a Java pass: the same with ND4J ops took ~30× torchvision's
     * time on 12,096 rows, see docs/performance.md).
     */
    public INDArray encode(INDArray anchors, INDArray boxes) {
        checkRows(anchors, "anchors");
        checkRows(boxes, "boxes");
        double[] a = finiteValues(anchors, "anchors");
        double[] b = finiteValues(boxes, "boxes");
        if (anchors.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("encode needs as many boxes as anchors; got " + boxes.size(0) + " and "
                    + anchors.size(0));
        }
        requirePositive(a, "anchors");
        requirePositive(b, "boxes");
        int m = (int) anchors.size(0);
        double[] out = new double[4 * m];
        for (int i = 0; i < m; i++) {
            int r = 4 * i;
            double aw = a[r + 2] - a[r];
            double ah = a[r + 3] - a[r + 1];
            double bw = b[r + 2] - b[r];
            double bh = b[r + 3] - b[r + 1];
            out[r] = wx * ((b[r] + 0.5 * bw) - (a[r] + 0.5 * aw)) / aw;        // wx·(cx − cx_a)/w_a, torchvision's order
            out[r + 1] = wy * ((b[r + 1] + 0.5 * bh) - (a[r + 1] + 0.5 * ah)) / ah;
            out[r + 2] = ww * Math.log(bw / aw);
            out[r + 3] = wh * Math.log(bh / ah);
        }
        return Nd4j.create(out, new long[] {m, 4}, 'c').castTo(anchors.dataType());
    }

    /**
     * {@link #decode} for M anchors: [M, 4] anchors and finite [M, 4] deltas to [M, 4] boxes in the anchors' data
     * type, computed per row in double as the scalar form.
     */
    public INDArray decode(INDArray anchors, INDArray deltas) {
        checkRows(anchors, "anchors");
        checkRows(deltas, "deltas");
        double[] d = finiteValues(deltas, "deltas");
        double[] a = finiteValues(anchors, "anchors");
        int m = (int) anchors.size(0);
        for (int i = 0; i < m; i++) {
            if (a[4 * i + 2] - a[4 * i] < 0 || a[4 * i + 3] - a[4 * i + 1] < 0) {
                throw new IllegalArgumentException("anchors must be finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; "
                        + "row " + i + " is " + Arrays.toString(Arrays.copyOfRange(a, 4 * i, 4 * i + 4)));
            }
        }
        if (anchors.size(0) != deltas.size(0)) {
            throw new IllegalArgumentException("decode needs as many deltas as anchors; got " + deltas.size(0) + " and "
                    + anchors.size(0));
        }
        double[] out = new double[4 * m];
        for (int i = 0; i < m; i++) {
            int r = 4 * i;
            double aw = a[r + 2] - a[r];
            double ah = a[r + 3] - a[r + 1];
            // The operation order of torchvision's BoxCoder.decode_single, as the scalar form.
            double cx = d[r] / wx * aw + (a[r] + 0.5 * aw);
            double cy = d[r + 1] / wy * ah + (a[r + 1] + 0.5 * ah);
            double w = Math.exp(Math.min(d[r + 2] / ww, SCALE_CLAMP)) * aw;
            double h = Math.exp(Math.min(d[r + 3] / wh, SCALE_CLAMP)) * ah;
            out[r] = cx - 0.5 * w;
            out[r + 1] = cy - 0.5 * h;
            out[r + 2] = cx + 0.5 * w;
            out[r + 3] = cy + 0.5 * h;
        }
        return Nd4j.create(out, new long[] {m, 4}, 'c').castTo(anchors.dataType());
    }

    /** The values of an [M, 4] array row-major as double; refuses the first non-finite one by its position. */
    private static double[] finiteValues(INDArray a, String what) {
        double[] v = Nd4j.toFlattened('c', a).toDoubleVector();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(what + " must be finite; " + what + "[" + i / 4 + ", " + i % 4 + "] is "
                        + v[i]);
            }
        }
        return v;
    }

    /** Widths (all rows), then heights, finite and positive. */
    private static void requirePositive(double[] boxes, String what) {
        for (int k = 2; k < 4; k++) {
            for (int i = 0; i < boxes.length / 4; i++) {
                double side = boxes[4 * i + k] - boxes[4 * i + k - 2];
                if (!(side > 0) || !Double.isFinite(side)) {
                    throw new IllegalArgumentException(what + " must have finite, positive " + (k == 2 ? "widths"
                            : "heights") + " to be encoded; row " + i + " has " + side);
                }
            }
        }
    }

    private static void checkRows(INDArray a, String what) {
        if (a == null || a.rank() != 2 || a.size(1) != 4 || !a.dataType().isFPType()) {
            throw new IllegalArgumentException(what + " must be a floating-point [M, 4] array; got "
                    + (a == null ? "null" : Arrays.toString(a.shape()) + " " + a.dataType()));
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
