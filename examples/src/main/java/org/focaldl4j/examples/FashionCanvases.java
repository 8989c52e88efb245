package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.data.DetectionImages;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A detection dataset from real images: square grey canvases holding 1–4 Fashion-MNIST items each (or another
 * range), every
 * item resized (bilinear) to a random side in [minSide, maxSide] and placed at a random position so that
 * its box overlaps no earlier box by more than {@code maxIou} (IoU); the canvas takes the brighter pixel
 * where items meet. An item's box is the extent of its pixels brighter than {@value #THRESHOLD} after
 * resizing, in pixel edges {x1, y1, x2, y2}; its class is its Fashion-MNIST label (10 classes). The same
 * items and seed give the same canvases. Canvases for training should come from the training split and
 * canvases for testing from the test split only.
 */
public final class FashionCanvases {

    /** A pixel counts as part of an item when brighter than this (of 1). */
    public static final double THRESHOLD = 0.1;

    private FashionCanvases() {
    }

    /**
     * @param items   the Fashion-MNIST split to draw from
     * @param count   canvases
     * @param size    canvas side in pixels
     * @param minSide smallest item side, ≥ 8
     * @param maxSide largest item side, ≤ size
     * @param maxIou  largest IoU of two boxes of a canvas, in [0, 1)
     */
    public static DetectionImages generate(FashionMnist.Items items, int count, int size, int minSide, int maxSide,
                                           double maxIou, long seed) {
        return generate(items, count, size, 1, 4, minSide, maxSide, maxIou, seed);
    }

    /**
     * As {@link #generate(FashionMnist.Items, int, int, int, int, double, long)}, each canvas asking for a number of
     * items drawn uniformly from [minItems, maxItems] (a canvas holds fewer when 40 placements could not fit them).
     */
    public static DetectionImages generate(FashionMnist.Items items, int count, int size, int minItems, int maxItems,
                                           int minSide, int maxSide, double maxIou, long seed) {
        if (minItems < 1 || maxItems < minItems) {
            throw new IllegalArgumentException("need 1 <= minItems <= maxItems; got " + minItems + ", " + maxItems);
        }
        if (count < 1 || size < 8 || minSide < 8 || maxSide < minSide || maxSide > size || !(maxIou >= 0 && maxIou < 1)) {
            throw new IllegalArgumentException("need count >= 1, size >= 8, 8 <= minSide <= maxSide <= size, maxIou in "
                    + "[0, 1); got " + count + ", " + size + ", " + minSide + ", " + maxSide + ", " + maxIou);
        }
        Random r = new Random(seed);
        float[] pixels = new float[count * size * size];
        double[][][] boxes = new double[count][][];
        int[][] classes = new int[count][];
        for (int c = 0; c < count; c++) {
            int wanted = minItems + r.nextInt(maxItems - minItems + 1);
            List<double[]> placed = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int attempt = 0; attempt < 40 && placed.size() < wanted; attempt++) {
                int item = r.nextInt(items.size());
                int side = minSide + r.nextInt(maxSide - minSide + 1);
                double[][] patch = resize(items, item, side);
                int[] extent = extent(patch);
                if (extent == null) {
                    continue;                                                     // an empty item: draw another
                }
                int x0 = r.nextInt(size - side + 1);
                int y0 = r.nextInt(size - side + 1);
                double[] box = {x0 + extent[0], y0 + extent[1], x0 + extent[2], y0 + extent[3]};
                boolean clear = true;
                for (double[] other : placed) {
                    clear &= Boxes.iou(box, other) <= maxIou;
                }
                if (!clear) {
                    continue;
                }
                for (int y = 0; y < side; y++) {
                    for (int x = 0; x < side; x++) {
                        int at = c * size * size + (y0 + y) * size + (x0 + x);
                        pixels[at] = (float) Math.max(pixels[at], patch[y][x]);
                    }
                }
                placed.add(box);
                labels.add(items.label(item));
            }
            boxes[c] = placed.toArray(new double[0][]);
            classes[c] = labels.stream().mapToInt(Integer::intValue).toArray();
        }
        INDArray images = Nd4j.create(pixels, new long[] {count, 1, size, size}, 'c');
        return new DetectionImages(images, boxes, classes, FashionMnist.CLASS_NAMES.size());
    }

    /** Item i resized to side × side with bilinear interpolation (pixel centres aligned), values in [0, 1]. */
    static double[][] resize(FashionMnist.Items items, int i, int side) {
        int n = FashionMnist.SIDE;
        double[][] out = new double[side][side];
        double scale = (double) n / side;
        for (int y = 0; y < side; y++) {
            double sy = Math.min(n - 1.0, Math.max(0.0, (y + 0.5) * scale - 0.5));
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(n - 1, y0 + 1);
            double fy = sy - y0;
            for (int x = 0; x < side; x++) {
                double sx = Math.min(n - 1.0, Math.max(0.0, (x + 0.5) * scale - 0.5));
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(n - 1, x0 + 1);
                double fx = sx - x0;
                double top = items.pixel(i, y0, x0) * (1 - fx) + items.pixel(i, y0, x1) * fx;
                double bottom = items.pixel(i, y1, x0) * (1 - fx) + items.pixel(i, y1, x1) * fx;
                out[y][x] = top * (1 - fy) + bottom * fy;
            }
        }
        return out;
    }

    /** {x1, y1, x2, y2} (pixel edges) of the pixels above {@link #THRESHOLD}, or null if there are none. */
    static int[] extent(double[][] patch) {
        int x1 = Integer.MAX_VALUE;
        int y1 = Integer.MAX_VALUE;
        int x2 = -1;
        int y2 = -1;
        for (int y = 0; y < patch.length; y++) {
            for (int x = 0; x < patch[y].length; x++) {
                if (patch[y][x] > THRESHOLD) {
                    x1 = Math.min(x1, x);
                    y1 = Math.min(y1, y);
                    x2 = Math.max(x2, x + 1);
                    y2 = Math.max(y2, y + 1);
                }
            }
        }
        return x2 < 0 ? null : new int[] {x1, y1, x2, y2};
    }
}
