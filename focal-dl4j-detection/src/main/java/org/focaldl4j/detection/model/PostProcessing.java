package org.focaldl4j.detection.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.box.Detection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The paper's inference on a pyramid head's outputs: per level the top {@code topK} anchor-class scores above
 * {@code minScore}, their boxes decoded by the {@link BoxCoder} and clipped to the image (a box left without
 * area is dropped), then class-wise non-maximum suppression at {@code nmsIou} over all levels and the best
 * {@code maxDetections} per image ({@link Boxes#batchedNms}).
 */
final class PostProcessing {

    private final AnchorPyramid pyramid;
    private final BoxCoder coder;
    private final int classes;
    private final int height;
    private final int width;
    private final Boxes anchors;

    PostProcessing(AnchorPyramid pyramid, Boxes anchors, BoxCoder coder, int classes, int height, int width) {
        this.pyramid = pyramid;
        this.anchors = anchors;
        this.coder = coder;
        this.classes = classes;
        this.height = height;
        this.width = width;
    }

    /** Refuses a setting out of its range (NaN included), naming it. */
    static void checkSettings(double minScore, int topK, double nmsIou, int maxDetections) {
        String bad = !(minScore >= 0 && minScore <= 1) ? "minScore must be in [0, 1]; got " + minScore
                : topK < 1 ? "topK must be >= 1; got " + topK
                : !(nmsIou >= 0 && nmsIou <= 1) ? "nmsIou must be in [0, 1]; got " + nmsIou
                : maxDetections < 1 ? "maxDetections must be >= 1; got " + maxDetections : null;
        if (bad != null) {
            throw new IllegalArgumentException("post-processing: " + bad);
        }
    }

    /** Detections of each image from class probabilities [N, A·K, M] (each in [0, 1]) and finite box deltas [N, 4·A, M]. */
    List<List<Detection>> decode(INDArray probabilities, INDArray deltas, double minScore, int topK, double nmsIou,
                                 int maxDetections) {
        if (probabilities == null || deltas == null) {
            throw new IllegalArgumentException("decode needs class probabilities and box deltas; got "
                    + (probabilities == null ? "null" : "an array") + " and " + (deltas == null ? "null" : "an array"));
        }
        checkSettings(minScore, topK, nmsIou, maxDetections);
        int a = pyramid.anchorsPerLocation();
        int[] offsets = pyramid.locationOffsets(height, width);
        int m = offsets[offsets.length - 1];
        if (probabilities.rank() != 3 || probabilities.size(1) != (long) a * classes || probabilities.size(2) != m
                || deltas.rank() != 3 || deltas.size(1) != 4L * a || deltas.size(2) != m
                || deltas.size(0) != probabilities.size(0)) {
            throw new IllegalArgumentException("decode needs probabilities [N, " + a * classes + ", " + m + "] and deltas [N, "
                    + 4 * a + ", " + m + "]; got " + Arrays.toString(probabilities.shape()) + " and "
                    + Arrays.toString(deltas.shape()));
        }
        List<List<Detection>> result = new ArrayList<>();
        for (int n = 0; n < probabilities.size(0); n++) {
            float[] p = probabilities.get(NDArrayIndex.point(n)).dup('c').castTo(DataType.FLOAT).data().asFloat();
            float[] d = deltas.get(NDArrayIndex.point(n)).dup('c').castTo(DataType.FLOAT).data().asFloat();
            checkOutputs(n, p, d, m);
            result.add(image(n, p, d, offsets, minScore, topK, nmsIou, maxDetections));
        }
        return result;
    }

    private static void checkOutputs(int n, float[] p, float[] d, int m) {
        for (int e = 0; e < p.length; e++) {
            if (!(p[e] >= 0 && p[e] <= 1)) {
                throw new IllegalArgumentException("class probabilities must lie in [0, 1]; image " + n + " has "
                        + p[e] + " at channel " + e / m + ", location " + e % m);
            }
        }
        for (int e = 0; e < d.length; e++) {
            if (!Float.isFinite(d[e])) {
                throw new IllegalArgumentException("box deltas must be finite; image " + n + " has " + d[e]
                        + " at channel " + e / m + ", location " + e % m);
            }
        }
    }

    /** The box that {@code delta} makes of anchor {@code i}; a refusal of the coder (a box that overflows) names both. */
    private double[] decoded(int n, int i, double[] delta) {
        try {
            return coder.decode(anchors.get(i), delta);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("image " + n + ", anchor " + i + ": " + e.getMessage(), e);
        }
    }

    /** One image's detections from its probabilities p [A·K, M] and deltas d [4·A, M], row-major. */
    private List<Detection> image(int n, float[] p, float[] d, int[] offsets, double minScore,
                                  int topK, double nmsIou, int maxDetections) {
        int a = pyramid.anchorsPerLocation();
        int m = offsets[offsets.length - 1];
        List<double[]> boxes = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        List<Integer> classOf = new ArrayList<>();
        for (int l = 0; l < offsets.length - 1; l++) {
            List<int[]> level = new ArrayList<>();                           // {channel, location}
            for (int ch = 0; ch < a * classes; ch++) {
                for (int loc = offsets[l]; loc < offsets[l + 1]; loc++) {
                    if (p[ch * m + loc] > minScore) {
                        level.add(new int[] {ch, loc});
                    }
                }
            }
            level.sort(Comparator.comparingDouble((int[] c) -> -p[c[0] * m + c[1]]));
            for (int[] c : level.subList(0, Math.min(topK, level.size()))) {
                int anchor = c[0] / classes;
                double[] delta = new double[4];
                for (int j = 0; j < 4; j++) {
                    delta[j] = d[(4 * anchor + j) * m + c[1]];
                }
                double[] box = Boxes.clip(decoded(n, a * c[1] + anchor, delta), width, height);
                if (box[2] > box[0] && box[3] > box[1]) {
                    boxes.add(box);
                    scores.add((double) p[c[0] * m + c[1]]);
                    classOf.add(c[0] % classes);
                }
            }
        }
        double[] score = scores.stream().mapToDouble(Double::doubleValue).toArray();
        int[] cls = classOf.stream().mapToInt(Integer::intValue).toArray();
        int[] kept = Boxes.of(boxes.toArray(new double[0][]), "decoded box").batchedNms(score, cls, nmsIou, maxDetections);
        List<Detection> out = new ArrayList<>(kept.length);
        for (int i : kept) {
            out.add(new Detection(n, cls[i], score[i], boxes.get(i)));
        }
        return out;
    }
}
