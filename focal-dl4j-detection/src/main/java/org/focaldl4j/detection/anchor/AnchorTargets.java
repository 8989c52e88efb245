package org.focaldl4j.detection.anchor;

import java.util.Arrays;

import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The training targets of a pyramid head for images of one size: the anchors of an {@link AnchorPyramid}
 * (made and validated once, here), matched to each image's boxes by an {@link AnchorMatcher} and encoded by a
 * {@link BoxCoder}. For anchor i = A·m + a of an image with boxes B and classes c, and its match j:
 * <ul>
 *   <li>class index [a, m]: c[j] when matched, K for background, {@link AnchorLossLayer#IGNORE} when ignored
 *       (the labels of {@link AnchorLossLayer.Builder#integerLabels});</li>
 *   <li>box deltas [4a + t, m]: the t-th delta of coder.encode(anchor i, B[j]) when matched, else 0 (for
 *       {@code BoxRegressionLossLayer});</li>
 *   <li>positive [a, m]: 1 when matched, else 0 (the box layer's mask).</li>
 * </ul>
 * {@link #batch} writes a minibatch's targets straight into the three FLOAT arrays; {@link #assign} gives one
 * image's. Immutable.
 */
public final class AnchorTargets {

    private final int height;
    private final int width;
    private final int anchorsPerLocation;
    private final int numClasses;
    private final AnchorMatcher matcher;
    private final BoxCoder coder;
    private final Boxes anchors;

    /**
     * @param imageHeight,imageWidth the images' size, pixels
     * @param numClasses             K ≥ 1
     */
    public AnchorTargets(AnchorPyramid pyramid, int imageHeight, int imageWidth, int numClasses, AnchorMatcher matcher,
                         BoxCoder coder) {
        if (pyramid == null || matcher == null || coder == null) {
            throw new IllegalArgumentException("AnchorTargets needs a pyramid, a matcher and a box coder; got " + pyramid
                    + ", " + matcher + ", " + coder);
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1; got " + numClasses);
        }
        this.anchors = Boxes.of(pyramid.anchors(imageHeight, imageWidth), "anchor");   // the pyramid checks the size
        int flat = anchors.firstWithoutArea();
        if (flat >= 0) {
            throw new IllegalArgumentException("anchor " + flat + " must have a positive width and height; got "
                    + Arrays.toString(anchors.get(flat)));
        }
        this.height = imageHeight;
        this.width = imageWidth;
        this.anchorsPerLocation = pyramid.anchorsPerLocation();
        this.numClasses = numClasses;
        this.matcher = matcher;
        this.coder = coder;
    }

    public int imageHeight() {
        return height;
    }

    public int imageWidth() {
        return width;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The pyramid's anchors for this image size, by flat index (immutable). */
    public Boxes anchors() {
        return anchors;
    }

    /** A, anchors per location. */
    public int anchorsPerLocation() {
        return anchorsPerLocation;
    }

    /** M, the locations of all levels. */
    public int locations() {
        return anchors.size() / anchorsPerLocation;
    }

    /**
     * The targets of a minibatch: {class indices [B, A, M], box deltas [B, 4·A, M], positives [B, A, M]}, FLOAT,
     * B = {@code boxes.length}; image n has the boxes {@code boxes[n]} (each of positive width and height) of
     * classes {@code classes[n]} in [0, K).
     */
    public INDArray[] batch(double[][][] boxes, int[][] classes) {
        return batch(boxes, classes, null);
    }

    /**
     * {@link #batch(double[][][], int[][])} for images with crowd regions: image n's anchors that the matcher finds
     * inside {@code crowd[n]} (boxes {x1, y1, x2, y2}) are ignored ({@link AnchorMatcher#match(Boxes, Boxes, Boxes)});
     * {@code crowd} null means none.
     */
    public INDArray[] batch(double[][][] boxes, int[][] classes, double[][][] crowd) {
        if (boxes == null || classes == null || boxes.length != classes.length || boxes.length == 0) {
            throw new IllegalArgumentException("a batch needs boxes and classes for each of at least one image; got "
                    + (boxes == null ? "null" : boxes.length) + " and " + (classes == null ? "null" : classes.length));
        }
        if (crowd != null && crowd.length != boxes.length) {
            throw new IllegalArgumentException("a batch of " + boxes.length + " images needs " + boxes.length
                    + " lists of crowd regions; got " + crowd.length);
        }
        int a = anchorsPerLocation;
        int m = locations();
        int n = boxes.length;
        if ((long) n * 4 * a * m > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a batch of " + n + " images has " + (long) n * 4 * a * m + " box targets, "
                    + "more than a Java array holds; use smaller batches");
        }
        float[] cls = new float[n * a * m];
        float[] deltas = new float[n * 4 * a * m];
        float[] positive = new float[n * a * m];
        for (int i = 0; i < n; i++) {
            write(i, boxes[i], classes[i], crowd == null ? null : crowd[i], cls, deltas, positive);
        }
        return new INDArray[] {Nd4j.create(cls, new long[] {n, a, m}, 'c'),
            Nd4j.create(deltas, new long[] {n, 4L * a, m}, 'c'), Nd4j.create(positive, new long[] {n, a, m}, 'c')};
    }

    /** The targets of one image: {@link #batch} of it alone, without the batch axis. */
    public DenseTargets assign(double[][] boxes, int[] classes) {
        INDArray[] t = batch(new double[][][] {boxes}, new int[][] {classes});
        return new DenseTargets(t[0].reshape(t[0].size(1), t[0].size(2)), t[1].reshape(t[1].size(1), t[1].size(2)),
                t[2].reshape(t[2].size(1), t[2].size(2)));
    }

    /** Image {@code n}'s targets into the batch's row-major arrays (all zero there before). */
    private void write(int n, double[][] boxes, int[] classes, double[][] crowd, float[] cls, float[] deltas,
                       float[] positive) {
        String image = "image " + n;
        Boxes valid = Boxes.of(boxes, image + "'s box");
        int flat = valid.firstWithoutArea();
        if (flat >= 0) {
            throw new IllegalArgumentException("box " + flat + " of " + image + " has no area and no anchor could match "
                    + "it; got " + Arrays.toString(boxes[flat]));
        }
        if (classes == null || classes.length != boxes.length) {
            throw new IllegalArgumentException(image + " has " + (classes == null ? "null" : classes.length)
                    + " classes for " + boxes.length + " boxes");
        }
        for (int b = 0; b < classes.length; b++) {
            if (classes[b] < 0 || classes[b] >= numClasses) {
                throw new IllegalArgumentException("class of box " + b + " of " + image + " is " + classes[b]
                        + ", outside [0, " + numClasses + ")");
            }
        }
        int[] match = crowd == null ? matcher.match(anchors, valid)
                : matcher.match(anchors, valid, Boxes.of(crowd, image + "'s crowd region"));
        int a = anchorsPerLocation;
        int m = locations();
        int classBase = n * a * m;
        int deltaBase = n * 4 * a * m;
        for (int i = 0; i < match.length; i++) {
            int loc = i / a;
            int k = i % a;
            int j = match[i];
            cls[classBase + k * m + loc] = j >= 0 ? classes[j] : j == AnchorMatcher.BACKGROUND ? numClasses
                    : AnchorLossLayer.IGNORE;
            if (j >= 0) {
                positive[classBase + k * m + loc] = 1f;
                double[] d = coder.encode(anchors.get(i), valid.get(j));
                for (int t = 0; t < 4; t++) {
                    deltas[deltaBase + (4 * k + t) * m + loc] = (float) d[t];
                }
            }
        }
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
