package org.focaldl4j.detection;

import java.util.Random;

import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The tests' tiny detection task and detector (public, in the test-jar, for the Spark module's tests too):
 * bright filled rectangles of 2 classes — wide 14×7 or tall 7×14, one per image — on a dark 32×32 canvas,
 * and a RetinaNet with a 4-channel backbone, strides 8 and 16, an 8-channel pyramid and heads of one conv of 8.
 */
public final class TinyDetection {

    /** The canvas side, pixels. */
    public static final int SIZE = 32;

    private TinyDetection() {
    }

    /** {@code n} canvases drawn with {@code new Random(seed)}. */
    public static DetectionImages canvases(int n, long seed) {
        Random r = new Random(seed);
        float[] px = new float[n * SIZE * SIZE];
        double[][][] boxes = new double[n][][];
        int[][] classes = new int[n][];
        for (int i = 0; i < n; i++) {
            int cls = r.nextInt(2);
            int w = cls == 0 ? 14 : 7;
            int h = cls == 0 ? 7 : 14;
            int x = r.nextInt(SIZE - w);
            int y = r.nextInt(SIZE - h);
            for (int yy = y; yy < y + h; yy++) {
                for (int xx = x; xx < x + w; xx++) {
                    px[i * SIZE * SIZE + yy * SIZE + xx] = 1f;
                }
            }
            boxes[i] = new double[][] {{x, y, x + w, y + h}};
            classes[i] = new int[] {cls};
        }
        return new DetectionImages(Nd4j.create(px, new long[] {n, 1, SIZE, SIZE}, 'c'), boxes, classes, 2);
    }

    /** The tiny detector's builder: Adam 3e-3, seed 3, the library's other defaults. */
    public static RetinaNet.Builder small() {
        return RetinaNet.builder().input(SIZE, SIZE, 1).classes(2).backbone(Backbones.tiny(4))
                .anchors(AnchorPyramid.of(2, 8, 16)).fpnChannels(8).heads(1, 8).updater(new Adam(3e-3)).seed(3);
    }

    /** The tiny detector without weight decay. */
    public static RetinaNet detector() {
        return small().weightDecay(0).build();
    }
}
