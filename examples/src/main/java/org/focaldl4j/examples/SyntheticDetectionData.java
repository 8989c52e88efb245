package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.focaldl4j.detection.AnchorGenerator;
import org.focaldl4j.detection.AnchorTargets;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A deterministic synthetic dense-detection set: single-channel images of Gaussian noise holding a
 * few small objects of K = 3 classes that differ only in shape — a filled square (class 0), a
 * horizontal 2:1 bar (1) and a vertical 1:2 bar (2), 4–8 px long — of random size and position. (The
 * bars match the paper's aspect ratios ½ and 2: thinner ones could never overlap an anchor at IoU 0.5.) For a given
 * {@link AnchorGenerator} and feature-map size it also builds the head's targets with the paper's
 * matching ({@link AnchorTargets}): one-hot labels [N, A·K, H, W] and the mask of ignored anchors.
 * Images of one seed are always the same; use different seeds for train and test sets.
 */
public final class SyntheticDetectionData {

    /** Number of object classes. */
    public static final int CLASSES = 3;

    /** One set of images with their boxes and classes. */
    public static final class Set {
        /** [N, 1, size, size]. */
        public final INDArray images;
        /** Per image, its boxes {x1, y1, x2, y2} in pixels. */
        public final double[][][] boxes;
        /** Per image, the class of each box. */
        public final int[][] classes;

        Set(INDArray images, double[][][] boxes, int[][] classes) {
            this.images = images;
            this.boxes = boxes;
            this.classes = classes;
        }

        public int size() {
            return boxes.length;
        }
    }

    private SyntheticDetectionData() {
    }

    /**
     * @param n          number of images
     * @param size       image side in pixels (≥ 16)
     * @param maxObjects objects per image are 1 … maxObjects
     * @param seed       everything is drawn from this seed
     */
    public static Set generate(int n, int size, int maxObjects, long seed) {
        if (n < 1 || size < 16 || maxObjects < 1) {
            throw new IllegalArgumentException("need n >= 1, size >= 16, maxObjects >= 1; got n=" + n + ", size=" + size
                    + ", maxObjects=" + maxObjects);
        }
        Random r = new Random(seed);
        float[][][][] pixels = new float[n][1][size][size];
        double[][][] boxes = new double[n][][];
        int[][] classes = new int[n][];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    pixels[i][0][y][x] = (float) (0.2 * r.nextGaussian());
                }
            }
            int count = 1 + r.nextInt(maxObjects);
            List<double[]> placed = new ArrayList<>();
            List<Integer> placedClasses = new ArrayList<>();
            for (int attempt = 0; attempt < 50 && placed.size() < count; attempt++) {
                int cls = r.nextInt(CLASSES);
                int side = 4 + r.nextInt(5);                               // 4 … 8 px
                int w = cls == 2 ? side / 2 : side;                        // vertical bar: 1:2
                int h = cls == 1 ? side / 2 : side;                        // horizontal bar: 2:1
                int x0 = r.nextInt(size - w + 1);
                int y0 = r.nextInt(size - h + 1);
                double[] box = {x0, y0, x0 + w, y0 + h};
                // keep at least one pixel between objects
                boolean overlaps = placed.stream().anyMatch(
                        b -> box[0] < b[2] + 1 && b[0] < box[2] + 1 && box[1] < b[3] + 1 && b[1] < box[3] + 1);
                if (overlaps) {
                    continue;
                }
                for (int y = y0; y < y0 + h; y++) {
                    for (int x = x0; x < x0 + w; x++) {
                        pixels[i][0][y][x] += 1f;
                    }
                }
                placed.add(box);
                placedClasses.add(cls);
            }
            boxes[i] = placed.toArray(new double[0][]);
            classes[i] = placedClasses.stream().mapToInt(Integer::intValue).toArray();
        }
        return new Set(Nd4j.create(pixels).castTo(DataType.FLOAT), boxes, classes);
    }

    /**
     * The head's targets for {@code set} on an H×W feature map with {@code generator}'s anchors:
     * {labels, mask}, both [N, A·K, H, W] FLOAT (see {@link AnchorTargets#labelsAndMask}).
     */
    public static INDArray[] targets(Set set, AnchorGenerator generator, int height, int width, AnchorTargets matcher) {
        double[][] anchors = generator.anchors(height, width);
        int a = generator.anchorsPerLocation();
        INDArray labels = Nd4j.create(DataType.FLOAT, set.size(), (long) a * CLASSES, height, width);
        INDArray mask = Nd4j.create(DataType.FLOAT, set.size(), (long) a * CLASSES, height, width);
        for (int i = 0; i < set.size(); i++) {
            int[] anchorLabels = matcher.classLabels(anchors, set.boxes[i], set.classes[i], CLASSES);
            INDArray[] lm = AnchorTargets.labelsAndMask(anchorLabels, CLASSES, a, height, width);
            labels.get(NDArrayIndex.point(i)).assign(lm[0]);
            mask.get(NDArrayIndex.point(i)).assign(lm[1]);
        }
        return new INDArray[] {labels, mask};
    }
}
