package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.focaldl4j.detection.data.DetectionImages;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A toy detection task for a one-level dense head (notebook 03): square-pixel canvases with Gaussian noise
 * (σ = 0.2) and 1 … maxObjects bright (+1) shapes of K = 3 classes — squares (class 0) of side 4 … 8 px,
 * horizontal bars (1) and vertical bars (2) of half that height or width — at least one pixel apart. A seed
 * gives the same canvases every time.
 */
public final class ShapeCanvases {

    /** K, the shape classes. */
    public static final int CLASSES = 3;
    /** The class names, by class index. */
    public static final List<String> CLASS_NAMES = List.of("square", "h_bar", "v_bar");

    private ShapeCanvases() {
    }

    /**
     * @param n          canvases, ≥ 1
     * @param size       canvas side in pixels, ≥ 16
     * @param maxObjects shapes per canvas are 1 … maxObjects (fewer when they do not fit apart in 50 tries)
     */
    public static DetectionImages generate(int n, int size, int maxObjects, long seed) {
        if (n < 1 || size < 16 || maxObjects < 1) {
            throw new IllegalArgumentException("need n >= 1, size >= 16, maxObjects >= 1; got n=" + n + ", size=" + size
                    + ", maxObjects=" + maxObjects);
        }
        Random r = new Random(seed);
        float[] pixels = new float[n * size * size];
        double[][][] boxes = new double[n][][];
        int[][] classes = new int[n][];
        for (int i = 0; i < n; i++) {
            int base = i * size * size;
            for (int p = 0; p < size * size; p++) {
                pixels[base + p] = (float) (0.2 * r.nextGaussian());
            }
            int count = 1 + r.nextInt(maxObjects);
            List<double[]> placed = new ArrayList<>();
            List<Integer> placedClasses = new ArrayList<>();
            for (int attempt = 0; attempt < 50 && placed.size() < count; attempt++) {
                int cls = r.nextInt(CLASSES);
                int side = 4 + r.nextInt(5);
                int w = cls == 2 ? side / 2 : side;
                int h = cls == 1 ? side / 2 : side;
                int x0 = r.nextInt(size - w + 1);
                int y0 = r.nextInt(size - h + 1);
                double[] box = {x0, y0, x0 + w, y0 + h};
                boolean tooClose = placed.stream().anyMatch(
                        b -> box[0] < b[2] + 1 && b[0] < box[2] + 1 && box[1] < b[3] + 1 && b[1] < box[3] + 1);
                if (tooClose) {
                    continue;
                }
                for (int y = y0; y < y0 + h; y++) {
                    for (int x = x0; x < x0 + w; x++) {
                        pixels[base + y * size + x] += 1f;
                    }
                }
                placed.add(box);
                placedClasses.add(cls);
            }
            boxes[i] = placed.toArray(new double[0][]);
            classes[i] = placedClasses.stream().mapToInt(Integer::intValue).toArray();
        }
        return new DetectionImages(Nd4j.create(pixels, new long[] {n, 1, size, size}, 'c'), boxes, classes, CLASSES);
    }
}
