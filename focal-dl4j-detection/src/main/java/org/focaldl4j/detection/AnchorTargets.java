package org.focaldl4j.detection;

import java.util.ArrayList;
import java.util.List;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Assigns anchors to ground-truth boxes as the paper does (§4, "Anchors"): with IoU the
 * intersection-over-union of an anchor and its best-overlapping box,
 * <pre>
 *   IoU ≥ positiveIou (0.5)            → foreground: that box's class
 *   IoU &lt; negativeIou (0.4)            → background
 *   otherwise (in [0.4, 0.5))          → ignored during training
 * </pre>
 * and, when {@code keepBestAnchor} (default), the anchor(s) with a box's highest IoU (ties: all of
 * them; IoU &gt; 0) are foreground too, matched to their own best box, so no box is left without an
 * anchor — Detectron's "low-quality matches". Boxes are {x1, y1, x2, y2}.
 *
 * <p>Outputs, for K classes: per-anchor integer labels (class 0…K−1, {@code K} = background,
 * {@link #IGNORE} = −1), and the [A·K, H, W] one-hot labels and mask for a head whose channel a·K + k
 * at (h, w) scores class k of anchor a there (anchor index (h·W + w)·A + a, as {@link AnchorGenerator}).
 */
public final class AnchorTargets {

    /** Integer label of an ignored anchor. */
    public static final int IGNORE = -1;
    /** Match index of a background anchor. */
    public static final int BACKGROUND_MATCH = -1;
    /** Match index of an ignored anchor. */
    public static final int IGNORED_MATCH = -2;

    private final double positiveIou;
    private final double negativeIou;
    private final boolean keepBestAnchor;

    /** The paper's thresholds: positive ≥ 0.5, background &lt; 0.4, each box keeps its best anchor. */
    public AnchorTargets() {
        this(0.5, 0.4, true);
    }

    public AnchorTargets(double positiveIou, double negativeIou, boolean keepBestAnchor) {
        if (!(negativeIou >= 0 && negativeIou <= positiveIou && positiveIou <= 1)) {
            throw new IllegalArgumentException("need 0 <= negativeIou <= positiveIou <= 1; got negativeIou = "
                    + negativeIou + ", positiveIou = " + positiveIou);
        }
        this.positiveIou = positiveIou;
        this.negativeIou = negativeIou;
        this.keepBestAnchor = keepBestAnchor;
    }

    /** Intersection over union of two boxes {x1, y1, x2, y2}; 0 when either has no area. */
    public static double iou(double[] a, double[] b) {
        Boxes.checked(a, "the first box");
        Boxes.checked(b, "the second box");
        return overlap(a, b);
    }

    /** {@link #iou} of boxes already checked. */
    static double overlap(double[] a, double[] b) {
        double iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
        double ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
        if (iw <= 0 || ih <= 0) {
            return 0.0;
        }
        double inter = iw * ih;
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union <= 0 ? 0.0 : inter / union;
    }

    /**
     * For every anchor, the index of the box it is matched to, {@link #BACKGROUND_MATCH} or
     * {@link #IGNORED_MATCH}.
     */
    public int[] match(double[][] anchors, double[][] boxes) {
        if (anchors == null || boxes == null) {
            throw new IllegalArgumentException("match needs anchors and boxes; got " + (anchors == null ? "null" : "")
                    + " anchors and " + (boxes == null ? "null" : "") + " boxes");
        }
        for (int i = 0; i < anchors.length; i++) {
            Boxes.checked(anchors[i], "anchor " + i);
        }
        for (int b = 0; b < boxes.length; b++) {
            Boxes.checked(boxes[b], "box " + b);
        }
        return matchChecked(anchors, boxes);
    }

    /** {@link #match} of anchors and boxes already checked. */
    private int[] matchChecked(double[][] anchors, double[][] boxes) {
        int[] matched = new int[anchors.length];
        int[] bestBoxOfAnchor = new int[anchors.length];
        double[] bestIouOfBox = new double[boxes.length];
        List<List<Integer>> bestAnchorsOfBox = new ArrayList<>();      // the anchors reaching bestIouOfBox (ties)
        for (int b = 0; b < boxes.length; b++) {
            bestAnchorsOfBox.add(new ArrayList<>());
        }
        for (int i = 0; i < anchors.length; i++) {
            double best = 0;
            int bestBox = -1;
            for (int b = 0; b < boxes.length; b++) {
                double v = overlap(anchors[i], boxes[b]);
                if (v > best) {
                    best = v;
                    bestBox = b;
                }
                if (v > 0 && v >= bestIouOfBox[b]) {
                    if (v > bestIouOfBox[b]) {
                        bestIouOfBox[b] = v;
                        bestAnchorsOfBox.get(b).clear();
                    }
                    bestAnchorsOfBox.get(b).add(i);
                }
            }
            bestBoxOfAnchor[i] = bestBox;
            matched[i] = best >= positiveIou ? bestBox : best < negativeIou ? BACKGROUND_MATCH : IGNORED_MATCH;
        }
        if (keepBestAnchor) {
            // An anchor that is some box's best (ties included) becomes foreground, matched to its own best box.
            for (List<Integer> anchorsOfBox : bestAnchorsOfBox) {
                for (int i : anchorsOfBox) {
                    if (matched[i] < 0) {
                        matched[i] = bestBoxOfAnchor[i];
                    }
                }
            }
        }
        return matched;
    }

    /** Per-anchor class labels: the matched box's class, {@code numClasses} for background, {@link #IGNORE}. */
    public int[] classLabels(double[][] anchors, double[][] boxes, int[] boxClasses, int numClasses) {
        checkClasses(boxes, boxClasses, numClasses);
        return labelsOf(match(anchors, boxes), boxClasses, numClasses);
    }

    private static void checkClasses(double[][] boxes, int[] boxClasses, int numClasses) {
        if (boxClasses.length != boxes.length) {
            throw new IllegalArgumentException("boxClasses has " + boxClasses.length + " entries for " + boxes.length + " boxes");
        }
        for (int b = 0; b < boxClasses.length; b++) {
            if (boxClasses[b] < 0 || boxClasses[b] >= numClasses) {
                throw new IllegalArgumentException("boxClasses[" + b + "] = " + boxClasses[b] + " is outside [0, "
                        + numClasses + ")");
            }
        }
    }

    private static int[] labelsOf(int[] match, int[] boxClasses, int numClasses) {
        int[] labels = new int[match.length];
        for (int i = 0; i < match.length; i++) {
            labels[i] = match[i] >= 0 ? boxClasses[match[i]] : match[i] == BACKGROUND_MATCH ? numClasses : IGNORE;
        }
        return labels;
    }

    /**
     * The head's targets for one image: {labels, mask}, both [A·K, H, W] FLOAT. labels is one-hot over
     * the K classes of each anchor (all zero for background); mask is 0 on the K channels of ignored
     * anchors and 1 elsewhere.
     *
     * @param anchorLabels per-anchor labels from {@link #classLabels}, index (h·W + w)·A + a
     */
    public static INDArray[] labelsAndMask(int[] anchorLabels, int numClasses, int anchorsPerLocation, int height,
                                           int width) {
        int a = anchorsPerLocation;
        INDArray perLocation = classIndices(anchorLabels, numClasses, a, height, width)    // [A, H, W] → [H·W, A]
                .reshape('c', a, (long) height * width).transpose().dup('c');
        INDArray[] expanded = oneHotAndMask(perLocation, numClasses);                     // [H·W, A·K] each
        long[] shape = {(long) a * numClasses, height, width};
        return new INDArray[] {expanded[0].transpose().dup('c').reshape('c', shape),
                expanded[1].transpose().dup('c').reshape('c', shape)};
    }

    /**
     * The same targets as class indices for {@link AnchorLossLayer.Builder#integerLabels}: [A, H, W] FLOAT,
     * channel a at (h, w) holding anchor (h·W + w)·A + a's label (k class, K background, −1 ignored).
     */
    public static INDArray classIndices(int[] anchorLabels, int numClasses, int anchorsPerLocation, int height,
                                        int width) {
        int a = anchorsPerLocation;
        if (anchorLabels == null || numClasses < 1 || a < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("classIndices needs anchor labels, numClasses >= 1, A >= 1 and a map of at "
                    + "least 1×1; got " + (anchorLabels == null ? "null labels" : anchorLabels.length + " labels")
                    + ", numClasses " + numClasses + ", A " + a + ", " + height + "×" + width);
        }
        if (anchorLabels.length != (long) height * width * a) {
            throw new IllegalArgumentException("expected " + ((long) height * width * a) + " anchor labels for A = " + a + ", "
                    + height + "×" + width + "; got " + anchorLabels.length);
        }
        float[] out = new float[anchorLabels.length];
        for (int h = 0; h < height; h++) {
            for (int w = 0; w < width; w++) {
                for (int k = 0; k < a; k++) {
                    int label = anchorLabels[(h * width + w) * a + k];
                    if (label < IGNORE || label > numClasses) {
                        throw new IllegalArgumentException("anchor label " + label + " is outside [-1, " + numClasses + "]");
                    }
                    out[(k * height + h) * width + w] = label;
                }
            }
        }
        return Nd4j.create(out, new long[] {a, height, width}, 'c');
    }

    /**
     * [M, A] class indices (k ∈ [0, K) class, K background, −1 ignored; already validated) → {[M, A·K]
     * one-hot labels, [M, A·K] mask (0 on the K channels of an ignored anchor)}, channel a·K + k, in the
     * indices' data type. The one layout definition shared by {@link #labelsAndMask} and {@link AnchorLossLayer}.
     */
    static INDArray[] oneHotAndMask(INDArray indices, int k) {
        return oneHotAndMask(Nd4j.toFlattened('c', indices).toDoubleVector(), indices.size(0), indices.size(1), k,
                indices.dataType());
    }

    /**
     * The same from the indices row-major in an array. On the CPU: zeros, then the ones written by one Java pass
     * (ND4J's repeat/eq ops took about 10 ms per step on a 921,600-logit head); on other backends, and above
     * 2^28 entries, those ND4J ops. Each value must be an integer in [−1, K] (the layer checks
     * them first with a message that names the image and anchor; this check is the backstop).
     */
    static INDArray[] oneHotAndMask(double[] indices, long m, long a, int k, DataType type) {
        long total = m * a * k;
        if (indices.length != m * a) {
            throw new IllegalArgumentException("oneHotAndMask needs M·A = " + m * a + " indices; got " + indices.length);
        }
        boolean dbl = type == DataType.DOUBLE;
        for (int i = 0; i < indices.length; i++) {
            double v = indices[i];
            if (!(v >= IGNORE && v <= k && v == Math.rint(v))) {
                throw new IllegalArgumentException("class index " + v + " at position " + i + " (row " + i / a
                        + ", anchor " + i % a + ") must be -1 (ignore), 0.." + (k - 1) + " or " + k + " (background)");
            }
        }
        long[] shape = {m, a * k};
        DataType stored = dbl ? DataType.DOUBLE : DataType.FLOAT;
        if (!Nd4j.getEnvironment().isCPU() || total > Integer.MAX_VALUE / 8) {
            return withOps(indices, m, a, k, type);                   // other backends; beyond a ByteBuffer's reach
        }
        // CPU: the ones written straight into the off-heap buffers (Nd4j.create from a Java array costs ~5× more)
        INDArray hot = Nd4j.zeros(stored, shape);
        INDArray mask = Nd4j.zeros(stored, shape);
        java.nio.ByteBuffer h = hot.data().asNio().duplicate().order(java.nio.ByteOrder.nativeOrder());
        java.nio.ByteBuffer w = mask.data().asNio().duplicate().order(java.nio.ByteOrder.nativeOrder());
        int hOff = (int) hot.offset();
        int wOff = (int) mask.offset();
        for (int i = 0; i < indices.length; i++) {
            int v = (int) indices[i];
            if (v == IGNORE) {
                continue;                                                  // label 0, mask 0 on the anchor's K channels
            }
            int base = i * k;
            for (int c = 0; c < k; c++) {
                if (dbl) {
                    w.putDouble((wOff + base + c) * 8, 1.0);
                } else {
                    w.putFloat((wOff + base + c) * 4, 1f);
                }
            }
            if (v < k) {
                if (dbl) {
                    h.putDouble((hOff + base + v) * 8, 1.0);
                } else {
                    h.putFloat((hOff + base + v) * 4, 1f);
                }
            }
        }
        return new INDArray[] {hot.castTo(type), mask.castTo(type)};
    }

    /** {@link #oneHotAndMask(double[], long, long, int, DataType)} with ND4J ops (any backend, any size). */
    static INDArray[] withOps(double[] indices, long m, long a, int k, DataType type) {
        DataType stored = type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
        INDArray idx = Nd4j.create(indices, new long[] {m, a}, 'c').castTo(stored);
        INDArray repeated = perClass(idx, k);                                                   // [M, A·K]
        INDArray classes = Nd4j.arange(0, k).castTo(stored).reshape(1, 1, k)                    // 0..K−1 per anchor
                .repeat(1, a).reshape(1, a * k).repeat(0, m);
        return new INDArray[] {repeated.eq(classes).castTo(type), repeated.neq(IGNORE).castTo(type)};
    }

    /** [M, A] per anchor → [M, A·K], each anchor's value repeated on its K channels a·K … a·K + K − 1. */
    static INDArray perClass(INDArray perAnchor, int k) {
        long m = perAnchor.size(0);
        long a = perAnchor.size(1);
        return perAnchor.dup('c').reshape('c', m, a, 1).repeat(2, k).reshape('c', m, a * k);
    }

    /**
     * The targets of one image for a pyramid head ({@link AnchorPyramid}; anchor i = A·m + a), FLOAT:
     * <ul>
     *   <li>{@code classIndices} [A, M]: the matched box's class, {@code numClasses} for background,
     *       {@link #IGNORE} for ignored anchors (for {@link AnchorLossLayer.Builder#integerLabels});</li>
     *   <li>{@code boxDeltas} [4·A, M]: channel 4a + j the j-th delta of {@code coder}.encode(anchor, its box)
     *       for positive anchors, 0 elsewhere (for {@link BoxRegressionLossLayer});</li>
     *   <li>{@code positives} [A, M]: 1 for positive anchors, else 0 (the box layer's mask).</li>
     * </ul>
     */
    public DenseTargets assign(double[][] anchors, int anchorsPerLocation, double[][] boxes, int[] boxClasses,
                               int numClasses, BoxCoder coder) {
        int a = anchorsPerLocation;
        if (anchors == null || boxes == null || boxClasses == null || coder == null) {
            throw new IllegalArgumentException("assign needs anchors, boxes, their classes and a BoxCoder");
        }
        if (a < 1 || anchors.length == 0 || anchors.length % a != 0) {
            throw new IllegalArgumentException(anchors.length + " anchors are not a positive multiple of A = " + a);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1; got " + numClasses);
        }
        for (int i = 0; i < anchors.length; i++) {
            double[] anchor = Boxes.checked(anchors[i], "anchor " + i);
            if (!(anchor[2] > anchor[0]) || !(anchor[3] > anchor[1])) {
                throw new IllegalArgumentException("anchor " + i + " must have a positive width and height; got "
                        + java.util.Arrays.toString(anchor));
            }
        }
        for (int b = 0; b < boxes.length; b++) {
            double[] box = Boxes.checked(boxes[b], "box " + b);
            if (!(box[2] > box[0]) || !(box[3] > box[1])) {
                throw new IllegalArgumentException("box " + b + " has no area and no anchor could match it; got "
                        + java.util.Arrays.toString(box));
            }
        }
        checkClasses(boxes, boxClasses, numClasses);
        int[] match = matchChecked(anchors, boxes);
        int[] labels = labelsOf(match, boxClasses, numClasses);
        int m = anchors.length / a;
        float[] classes = new float[anchors.length];
        float[] deltas = new float[4 * anchors.length];
        float[] positive = new float[anchors.length];
        for (int i = 0; i < anchors.length; i++) {
            int loc = i / a;
            int k = i % a;
            classes[k * m + loc] = labels[i];
            if (match[i] >= 0) {
                positive[k * m + loc] = 1f;
                double[] d = coder.encode(anchors[i], boxes[match[i]]);
                for (int j = 0; j < 4; j++) {
                    deltas[(4 * k + j) * m + loc] = (float) d[j];
                }
            }
        }
        return new DenseTargets(Nd4j.create(classes, new long[] {a, m}, 'c'), Nd4j.create(deltas, new long[] {4L * a, m}, 'c'),
                Nd4j.create(positive, new long[] {a, m}, 'c'));
    }

    /** {@link #assign}'s result for one image: class indices [A, M], box deltas [4·A, M], positives [A, M] (copies). */
    public record DenseTargets(INDArray classIndices, INDArray boxDeltas, INDArray positives) {
        @Override
        public INDArray classIndices() {
            return classIndices.dup();
        }

        @Override
        public INDArray boxDeltas() {
            return boxDeltas.dup();
        }

        @Override
        public INDArray positives() {
            return positives.dup();
        }
    }
}
