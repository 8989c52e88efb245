package org.focaldl4j.detection.box;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Boxes {x1, y1, x2, y2} (finite, x2 ≥ x1, y2 ≥ y1), immutable and validated once, when made; the one home of
 * the box operations the detector needs:
 * <pre>
 *   intersection(a, b) = max(0, min(x2a, x2b) − max(x1a, x1b)) · max(0, min(y2a, y2b) − max(y1a, y1b))
 *   IoU(a, b)          = intersection / (area(a) + area(b) − intersection),   0 when either has no area
 * </pre>
 * computed right for any finite boxes, however large or small (where an area would overflow or underflow, on the
 * boxes scaled by a power of two).
 * {@link #pairwiseIou} (detectron2's {@code pairwise_iou}), {@link #clip} to an image and
 * {@link #batchedNms}: greedy non-maximum suppression within each group (class), best score first,
 * returning the kept indices (torchvision's {@code batched_nms}).
 */
public final class Boxes {

    private final double[][] boxes;

    private Boxes(double[][] boxes) {
        this.boxes = boxes;
    }

    /** The boxes of {@code boxes} (copied), each checked as {@link #checked} does, naming {@code what} and its index. */
    public static Boxes of(double[][] boxes, String what) {
        if (boxes == null) {
            throw new IllegalArgumentException(what + " must be an array of boxes; got null");
        }
        double[][] copy = new double[boxes.length][];
        for (int i = 0; i < boxes.length; i++) {
            copy[i] = checked(boxes[i], what + " " + i).clone();
        }
        return new Boxes(copy);
    }

    /** Returns {@code box} itself when it is a finite {x1, y1, x2, y2} with x2 ≥ x1 and y2 ≥ y1; otherwise throws, naming {@code what}. */
    public static double[] checked(double[] box, String what) {
        if (box == null || box.length != 4 || !(Double.isFinite(box[0]) && Double.isFinite(box[1]) && Double.isFinite(box[2]) && Double.isFinite(box[3]))
                || !(box[2] >= box[0]) || !(box[3] >= box[1])) {
            throw new IllegalArgumentException(what + " must be a finite {x1, y1, x2, y2} with x2 >= x1 and y2 >= y1; got "
                    + Arrays.toString(box));
        }
        return box;
    }

    public int size() {
        return boxes.length;
    }

    /** A copy of box {@code i}. */
    public double[] get(int i) {
        if (i < 0 || i >= boxes.length) {
            throw new IllegalArgumentException("box " + i + " is outside [0, " + boxes.length + ")");
        }
        return boxes[i].clone();
    }

    /** The index of the first box with a zero width or height, or −1 when every box has a positive area. */
    public int firstWithoutArea() {
        for (int i = 0; i < boxes.length; i++) {
            if (!(boxes[i][2] > boxes[i][0]) || !(boxes[i][3] > boxes[i][1])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The area where two axis-aligned rectangles given by their corners overlap, 0 when they do not. COCO's
     * evaluation, which keeps boxes as [x, y, w, h], calls it with x + w and y + h as the far corners.
     */
    public static double intersection(double ax1, double ay1, double ax2, double ay2,
                                      double bx1, double by1, double bx2, double by2) {
        double iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
        double ih = Math.min(ay2, by2) - Math.max(ay1, by1);
        return iw <= 0 || ih <= 0 ? 0.0 : iw * ih;
    }

    /** IoU of two boxes {x1, y1, x2, y2}, both checked; 0 when either has no area. */
    public static double iou(double[] a, double[] b) {
        return overlap(checked(a, "the first box"), checked(b, "the second box"));
    }

    /** IoU of two valid boxes. */
    private static double overlap(double[] a, double[] b) {
        return ratio(a, b, false);
    }

    /**
     * The intersection of two valid boxes over their union (or, {@code overFirst}, over the first box's area), 0 when
     * they do not overlap. The direct formula wherever the intersection is a normal double and the denominator finite;
     * otherwise (sides beyond ~1e154, whose areas overflow, or below ~1e-154, whose areas underflow) the same formula
     * on the boxes scaled by a power of two per axis, which changes neither the ratio nor its rounding: right for any
     * finite boxes (identical boxes with coordinates near 1e200 have IoU exactly 1, not ∞/∞).
     */
    private static double ratio(double[] a, double[] b, boolean overFirst) {
        double iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        double ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        if (iw <= 0 || ih <= 0) {
            return 0.0;
        }
        double inter = iw * ih;
        double first = (a[2] - a[0]) * (a[3] - a[1]);
        double whole = overFirst ? first : first + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        if (inter >= Double.MIN_NORMAL && whole < Double.POSITIVE_INFINITY) {      // false for NaN (∞ − ∞) too
            return whole <= 0 ? 0.0 : inter / whole;
        }
        int kx = -Math.getExponent(Math.max(Math.max(Math.abs(a[0]), Math.abs(a[2])), Math.max(Math.abs(b[0]),
                Math.abs(b[2]))));
        int ky = -Math.getExponent(Math.max(Math.max(Math.abs(a[1]), Math.abs(a[3])), Math.max(Math.abs(b[1]),
                Math.abs(b[3]))));
        double[] sa = {Math.scalb(a[0], kx), Math.scalb(a[1], ky), Math.scalb(a[2], kx), Math.scalb(a[3], ky)};
        double[] sb = {Math.scalb(b[0], kx), Math.scalb(b[1], ky), Math.scalb(b[2], kx), Math.scalb(b[3], ky)};
        iw = Math.min(sa[2], sb[2]) - Math.max(sa[0], sb[0]);
        ih = Math.min(sa[3], sb[3]) - Math.max(sa[1], sb[1]);
        if (iw <= 0 || ih <= 0) {
            return 0.0;                     // an overlap below 2^-1074 of the largest coordinate: IoU 0 to rounding
        }
        inter = iw * ih;
        first = (sa[2] - sa[0]) * (sa[3] - sa[1]);
        whole = overFirst ? first : first + (sb[2] - sb[0]) * (sb[3] - sb[1]) - inter;
        return whole <= 0 ? 0.0 : inter / whole;
    }

    /** IoU of box {@code i} of these boxes with box {@code j} of {@code other} (both valid since they were made). */
    public double iou(int i, Boxes other, int j) {
        checkPair("iou", i, other, j);
        return overlap(boxes[i], other.boxes[j]);
    }

    private void checkPair(String what, int i, Boxes other, int j) {
        if (other == null) {
            throw new IllegalArgumentException(what + " needs other boxes; got null");
        }
        if (i < 0 || i >= boxes.length || j < 0 || j >= other.boxes.length) {
            throw new IllegalArgumentException(what + " needs box i in [0, " + boxes.length + ") and box j in [0, "
                    + other.boxes.length + "); got i = " + i + ", j = " + j);
        }
    }

    /**
     * Intersection over the area of box {@code i} of these boxes, with box {@code j} of {@code other}: how much of box
     * i lies inside box j (1 when wholly inside); 0 when box i has no area.
     */
    public double ioa(int i, Boxes other, int j) {
        checkPair("ioa", i, other, j);
        return ratio(boxes[i], other.boxes[j], true);
    }

    /** IoU of every box of {@code a} (rows) with every box of {@code b} (columns). */
    public static double[][] pairwiseIou(Boxes a, Boxes b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("pairwiseIou needs two sets of boxes; got " + (a == null ? "null" : "boxes")
                    + " and " + (b == null ? "null" : "boxes"));
        }
        double[][] out = new double[a.boxes.length][b.boxes.length];
        for (int i = 0; i < a.boxes.length; i++) {
            for (int j = 0; j < b.boxes.length; j++) {
                out[i][j] = overlap(a.boxes[i], b.boxes[j]);
            }
        }
        return out;
    }

    /**
     * {@code box} with its coordinates clamped to [0, width] × [0, height]; it may be left with no area. Coordinates
     * may be infinite (clamped like any other), not NaN, with x2 ≥ x1 and y2 ≥ y1.
     */
    public static double[] clip(double[] box, double width, double height) {
        if (box == null || box.length != 4 || Double.isNaN(box[0]) || Double.isNaN(box[1]) || Double.isNaN(box[2])
                || Double.isNaN(box[3]) || !(box[2] >= box[0]) || !(box[3] >= box[1])) {
            throw new IllegalArgumentException("the box to clip must be {x1, y1, x2, y2} without NaN, x2 >= x1 and "
                    + "y2 >= y1; got " + Arrays.toString(box));
        }
        if (!(width > 0) || !(height > 0) || Double.isInfinite(width) || Double.isInfinite(height)) {
            throw new IllegalArgumentException("clip needs a finite image size > 0; got " + width + "×" + height);
        }
        return new double[] {Math.min(Math.max(box[0], 0), width), Math.min(Math.max(box[1], 0), height),
            Math.min(Math.max(box[2], 0), width), Math.min(Math.max(box[3], 0), height)};
    }

    /**
     * Greedy non-maximum suppression within each group: boxes in order of decreasing score (equal scores keep
     * their order), each kept unless a kept box of its group overlaps it with IoU &gt; {@code iouThreshold};
     * at most {@code max} kept. Returns the kept indices, best first.
     *
     * @param scores one finite-or-infinite, non-NaN score per box
     * @param groups one group (e.g. class) per box; boxes of different groups never suppress each other
     */
    public int[] batchedNms(double[] scores, int[] groups, double iouThreshold, int max) {
        if (scores == null || groups == null || scores.length != boxes.length || groups.length != boxes.length) {
            throw new IllegalArgumentException("batchedNms needs one score and one group per box (" + boxes.length
                    + "); got " + (scores == null ? "null" : scores.length) + " scores and "
                    + (groups == null ? "null" : groups.length) + " groups");
        }
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
        }
        if (!(iouThreshold >= 0 && iouThreshold <= 1)) {
            throw new IllegalArgumentException("batchedNms needs iouThreshold in [0, 1]; got " + iouThreshold);
        }
        if (max < 1) {
            throw new IllegalArgumentException("batchedNms needs max >= 1; got " + max);
        }
        Integer[] order = new Integer[boxes.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());   // stable
        int[] kept = new int[Math.min(max, order.length)];
        int count = 0;
        for (int i : order) {
            if (count >= max) {
                break;
            }
            boolean suppressed = false;
            for (int k = 0; k < count && !suppressed; k++) {
                suppressed = groups[kept[k]] == groups[i] && overlap(boxes[kept[k]], boxes[i]) > iouThreshold;
            }
            if (!suppressed) {
                kept[count++] = i;
            }
        }
        return Arrays.copyOf(kept, count);
    }
}
