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
 * positive width and height. The one-pair and the M-row forms share one check and one computation per row, so
 * they refuse the same inputs with the same message (the M-row form adds " (row i)" to the names); a result
 * beyond the range of a double (an anchor near ±1e308 whose width overflows, deltas of a far box from a tiny
 * anchor) is refused, naming the anchor, never returned as ±∞ or NaN. Immutable.
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

    /**
     * The deltas {dx, dy, dw, dh} that take {@code anchor} to {@code box}; refused as
     * {@link #encode(INDArray, INDArray)} refuses a row.
     */
    public double[] encode(double[] anchor, double[] box) {
        double[] out = new double[4];
        encodeRow(four(anchor, "anchor"), four(box, "box"), 0, out, false);
        return out;
    }

    /**
     * The box {x1, y1, x2, y2} that finite {@code deltas} {dx, dy, dw, dh} make of {@code anchor}; refused as
     * {@link #decode(INDArray, INDArray)} refuses a row.
     */
    public double[] decode(double[] anchor, double[] deltas) {
        double[] out = new double[4];
        decodeRow(four(anchor, "anchor"), four(deltas, "deltas"), 0, out, false);
        return out;
    }

    /**
     * {@link #encode} for M anchor-box pairs: [M, 4] anchors and boxes to [M, 4] deltas in the anchors' data type,
     * computed per row in double as the scalar form (a Java pass: the same with ND4J ops took ~30× torchvision's
     * time on 12,096 rows, see docs/performance.md). A row is refused as the scalar form refuses a pair, the message
     * naming the row: a non-finite anchor or box, one without a finite positive width and height, or deltas that
     * overflow a double.
     */
    public INDArray encode(INDArray anchors, INDArray boxes) {
        checkRows(anchors, "anchors");
        checkRows(boxes, "boxes");
        if (anchors.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("encode needs as many boxes as anchors; got " + boxes.size(0) + " and "
                    + anchors.size(0));
        }
        double[] a = Nd4j.toFlattened('c', anchors).toDoubleVector();
        double[] b = Nd4j.toFlattened('c', boxes).toDoubleVector();
        double[] out = new double[a.length];
        for (int r = 0; r < a.length; r += 4) {
            encodeRow(a, b, r, out, true);
        }
        return Nd4j.create(out, new long[] {a.length / 4, 4}, 'c').castTo(anchors.dataType());
    }

    /**
     * {@link #decode} for M anchors: [M, 4] anchors and finite [M, 4] deltas to [M, 4] boxes in the anchors' data
     * type, computed per row in double as the scalar form. A row is refused as the scalar form refuses a pair, the
     * message naming the row: a non-finite anchor (or one with x2 &lt; x1 or y2 &lt; y1), non-finite deltas, or a
     * decoded box beyond the range of a double (an anchor near ±1e308, or weights so small that dx/wx overflows):
     * refused rather than left infinite or NaN.
     */
    public INDArray decode(INDArray anchors, INDArray deltas) {
        checkRows(anchors, "anchors");
        checkRows(deltas, "deltas");
        if (anchors.size(0) != deltas.size(0)) {
            throw new IllegalArgumentException("decode needs as many deltas as anchors; got " + deltas.size(0) + " and "
                    + anchors.size(0));
        }
        double[] a = Nd4j.toFlattened('c', anchors).toDoubleVector();
        double[] d = Nd4j.toFlattened('c', deltas).toDoubleVector();
        double[] out = new double[a.length];
        for (int r = 0; r < a.length; r += 4) {
            decodeRow(a, d, r, out, true);
        }
        return Nd4j.create(out, new long[] {a.length / 4, 4}, 'c').castTo(anchors.dataType());
    }

    /**
     * The one home of encoding (both forms): the deltas of anchor a[r … r+3] to box b[r … r+3] into out[r … r+3],
     * each input checked first; in messages, the M-row form ({@code rows}) names the row.
     */
    private void encodeRow(double[] a, double[] b, int r, double[] out, boolean rows) {
        checkBox(a, r, "anchor", rows, true);
        checkBox(b, r, "box", rows, true);
        double aw = a[r + 2] - a[r];
        double ah = a[r + 3] - a[r + 1];
        double bw = b[r + 2] - b[r];
        double bh = b[r + 3] - b[r + 1];
        out[r] = wx * ((b[r] + 0.5 * bw) - (a[r] + 0.5 * aw)) / aw;            // wx·(cx − cx_a)/w_a, torchvision's order
        out[r + 1] = wy * ((b[r + 1] + 0.5 * bh) - (a[r + 1] + 0.5 * ah)) / ah;
        out[r + 2] = ww * Math.log(bw / aw);
        out[r + 3] = wh * Math.log(bh / ah);
        if (!finite(out, r)) {
            throw new IllegalArgumentException(name("anchor", r, rows) + " " + slice(a, r) + " and box " + slice(b, r)
                    + " encode to deltas " + slice(out, r) + ", beyond the range of a double");
        }
    }

    /** The one home of decoding (both forms), as {@link #encodeRow}: anchor a[r …] and deltas d[r …] to out[r …]. */
    private void decodeRow(double[] a, double[] d, int r, double[] out, boolean rows) {
        checkBox(a, r, "anchor", rows, false);
        if (!finite(d, r)) {
            throw new IllegalArgumentException(name("deltas", r, rows) + " must be four finite values {dx, dy, dw, dh}; "
                    + "got " + slice(d, r));
        }
        double aw = a[r + 2] - a[r];
        double ah = a[r + 3] - a[r + 1];
        // The operation order of torchvision's BoxCoder.decode_single, so that results agree to the last bit.
        double cx = d[r] / wx * aw + (a[r] + 0.5 * aw);
        double cy = d[r + 1] / wy * ah + (a[r + 1] + 0.5 * ah);
        double w = Math.exp(Math.min(d[r + 2] / ww, SCALE_CLAMP)) * aw;
        double h = Math.exp(Math.min(d[r + 3] / wh, SCALE_CLAMP)) * ah;
        out[r] = cx - 0.5 * w;
        out[r + 1] = cy - 0.5 * h;
        out[r + 2] = cx + 0.5 * w;
        out[r + 3] = cy + 0.5 * h;
        if (!finite(out, r)) {                 // ±∞, or NaN from ∞ − ∞: refused rather than returned
            throw new IllegalArgumentException(name("anchor", r, rows) + " " + slice(a, r) + " with deltas " + slice(d, r)
                    + " decodes to " + slice(out, r) + ", beyond the range of a double");
        }
    }

    private static boolean finite(double[] v, int r) {
        return Double.isFinite(v[r]) && Double.isFinite(v[r + 1]) && Double.isFinite(v[r + 2]) && Double.isFinite(v[r + 3]);
    }

    /** {@code what}, and for the M-row form " (row i)": made only for a message. */
    private static String name(String what, int r, boolean rows) {
        return rows ? what + " (row " + r / 4 + ")" : what;
    }

    /**
     * Refuses v[r … r+3] unless it is a finite {x1, y1, x2, y2} with x2 ≥ x1 and y2 ≥ y1 (Boxes' rule) and, to be
     * encoded, a finite positive width and height (the logarithm of their ratio is taken).
     */
    private static void checkBox(double[] v, int r, String what, boolean rows, boolean encoded) {
        double x1 = v[r];
        double y1 = v[r + 1];
        double x2 = v[r + 2];
        double y2 = v[r + 3];
        if (!(Double.isFinite(x1) && Double.isFinite(y1) && Double.isFinite(x2) && Double.isFinite(y2)
                && x2 >= x1 && y2 >= y1)) {
            throw new IllegalArgumentException(name(what, r, rows) + " must be a finite {x1, y1, x2, y2} with x2 >= x1 "
                    + "and y2 >= y1; got " + slice(v, r));
        }
        if (encoded && !(x2 - x1 > 0 && y2 - y1 > 0 && Double.isFinite(x2 - x1) && Double.isFinite(y2 - y1))) {
            throw new IllegalArgumentException(name(what, r, rows) + " must have a finite, positive width and height to "
                    + "be encoded; got " + slice(v, r));
        }
    }

    /** {@code v} itself when it holds four values, else refused naming {@code what}. */
    private static double[] four(double[] v, String what) {
        if (v == null || v.length != 4) {
            throw new IllegalArgumentException(what + " must hold four values; got " + Arrays.toString(v));
        }
        return v;
    }

    private static String slice(double[] v, int r) {
        return Arrays.toString(Arrays.copyOfRange(v, r, r + 4));
    }

    private static void checkRows(INDArray a, String what) {
        if (a == null || a.rank() != 2 || a.size(1) != 4 || !a.dataType().isFPType()) {
            throw new IllegalArgumentException(what + " must be a floating-point [M, 4] array; got "
                    + (a == null ? "null" : Arrays.toString(a.shape()) + " " + a.dataType()));
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
