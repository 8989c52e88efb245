package org.focaldl4j.detection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * From a dense head's probabilities to detections, and detections to average precision:
 * <ul>
 *   <li>{@link #decode}: every (anchor, class) with probability ≥ {@code minScore} becomes a
 *       {@link Detection} with the anchor's box (this head has no box regression), then per class greedy
 *       non-maximum suppression at {@code nmsIou} and at most {@code maxDetections} per image.</li>
 *   <li>{@link #averagePrecision}: per class, detections of all images sorted by score; each is a true
 *       positive if it overlaps a not-yet-matched ground-truth box of its class and image with
 *       IoU ≥ {@code iouThreshold} (0.5: AP50), else a false positive; the ranking's AP is
 *       {@link AveragePrecision} (every-point interpolation).</li>
 * </ul>
 */
public final class DetectionEval {

    private DetectionEval() {
    }

    /**
     * Detections of one image from its [A·K, H, W] probabilities (channel a·K + k) and the matching
     * anchors (index (h·W + w)·A + a, as {@link AnchorGenerator#anchors}).
     */
    public static List<Detection> decode(int image, INDArray probabilities, double[][] anchors, int numClasses,
                                         double minScore, double nmsIou, int maxDetections) {
        if (probabilities == null || probabilities.rank() != 3 || numClasses < 1 || anchors == null) {
            throw new IllegalArgumentException("decode needs [A·K, H, W] probabilities, anchors and K >= 1; got "
                    + (probabilities == null ? "null" : Arrays.toString(probabilities.shape())) + ", K = " + numClasses);
        }
        long channels = probabilities.size(0);
        int height = (int) probabilities.size(1);
        int width = (int) probabilities.size(2);
        if (channels % numClasses != 0 || anchors.length != channels / numClasses * height * width) {
            throw new IllegalArgumentException("probabilities " + Arrays.toString(probabilities.shape()) + " with K = "
                    + numClasses + " need " + (channels / numClasses * height * width) + " anchors; got " + anchors.length);
        }
        int a = (int) (channels / numClasses);
        List<Detection> candidates = new ArrayList<>();
        for (int ch = 0; ch < channels; ch++) {
            int anchorOfChannel = ch / numClasses;
            int cls = ch % numClasses;
            for (int h = 0; h < height; h++) {
                for (int w = 0; w < width; w++) {
                    double p = probabilities.getDouble(ch, h, w);
                    if (p >= minScore) {
                        candidates.add(new Detection(image, cls, p, anchors[(h * width + w) * a + anchorOfChannel]));
                    }
                }
            }
        }
        return nms(candidates, nmsIou, maxDetections);
    }

    /** Greedy per-class, per-image non-maximum suppression, best first; keeps at most {@code max} detections. */
    public static List<Detection> nms(List<Detection> detections, double iou, int max) {
        List<Detection> sorted = new ArrayList<>(detections);
        sorted.sort(Comparator.comparingDouble(Detection::score).reversed());
        List<Detection> kept = new ArrayList<>();
        for (Detection d : sorted) {
            if (kept.size() >= max) {
                break;
            }
            boolean suppressed = false;
            for (Detection k : kept) {
                if (k.classIndex() == d.classIndex() && k.image() == d.image() && k.iou(d) > iou) {
                    suppressed = true;
                    break;
                }
            }
            if (!suppressed) {
                kept.add(d);
            }
        }
        return kept;
    }

    /**
     * AP of one class over all images.
     *
     * @param detections   detections of any classes and images (others are ignored)
     * @param groundTruth  per image, its boxes {x1, y1, x2, y2}
     * @param gtClasses    per image, the class of each box
     * @return AP in [0, 1], or NaN when the class has no ground-truth box
     */
    public static double averagePrecision(List<Detection> detections, double[][][] groundTruth, int[][] gtClasses,
                                          int cls, double iouThreshold) {
        int positives = 0;
        boolean[][] used = new boolean[groundTruth.length][];
        for (int i = 0; i < groundTruth.length; i++) {
            used[i] = new boolean[groundTruth[i].length];
            for (int c : gtClasses[i]) {
                positives += c == cls ? 1 : 0;
            }
        }
        if (positives == 0) {
            return Double.NaN;
        }
        List<Detection> ofClass = new ArrayList<>();
        for (Detection d : detections) {
            if (d.classIndex() == cls) {
                ofClass.add(d);
            }
        }
        ofClass.sort(Comparator.comparingDouble(Detection::score).reversed());
        double[] scores = new double[ofClass.size()];
        boolean[] hits = new boolean[ofClass.size()];
        for (int k = 0; k < ofClass.size(); k++) {
            Detection d = ofClass.get(k);
            int best = -1;
            double bestIou = iouThreshold;
            for (int g = 0; g < groundTruth[d.image()].length; g++) {
                if (gtClasses[d.image()][g] != cls || used[d.image()][g]) {
                    continue;
                }
                double v = d.iou(groundTruth[d.image()][g]);
                if (v >= bestIou) {
                    bestIou = v;
                    best = g;
                }
            }
            if (best >= 0) {
                used[d.image()][best] = true;
                hits[k] = true;
            }
            scores[k] = d.score();
        }
        return AveragePrecision.of(scores, hits, positives);
    }
}
