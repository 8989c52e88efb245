package org.focaldl4j.anchor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * From a dense head's probabilities to detections, and detections to average precision:
 * <ul>
 *   <li>{@link #decode}: every (anchor, class) with probability ≥ {@code minScore} becomes a
 *       detection with the anchor's box (this head has no box regression), then per class greedy
 *       non-maximum suppression at {@code nmsIou} and at most {@code maxDetections} per image.</li>
 *   <li>{@link #averagePrecision}: per class, detections of all images sorted by score; each is a true
 *       positive if it overlaps a not-yet-matched ground-truth box of its class and image with
 *       IoU ≥ {@code iouThreshold} (0.5: AP50), else a false positive; AP is the area under the
 *       precision-recall curve with precision made monotonically non-increasing (every-point
 *       interpolation, as PASCAL VOC 2010+ and COCO's per-threshold AP before its 101-point sampling).</li>
 * </ul>
 */
public final class DetectionEval {

    /** One detection: image, class, score and box {x1, y1, x2, y2}. */
    public static final class Detection {
        public final int image;
        public final int cls;
        public final double score;
        public final double[] box;

        public Detection(int image, int cls, double score, double[] box) {
            this.image = image;
            this.cls = cls;
            this.score = score;
            this.box = box;
        }

        @Override
        public String toString() {
            return "Detection(image=" + image + ", class=" + cls + ", score=" + score + ", box=" + Arrays.toString(box) + ")";
        }
    }

    private DetectionEval() {
    }

    /**
     * Detections of one image from its [A·K, H, W] probabilities (channel a·K + k) and the matching
     * anchors (index (h·W + w)·A + a, as {@link AnchorGenerator#anchors}).
     */
    public static List<Detection> decode(int image, INDArray probabilities, double[][] anchors, int numClasses,
                                         double minScore, double nmsIou, int maxDetections) {
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

    /** Greedy per-class non-maximum suppression, best first; keeps at most {@code max} detections. */
    public static List<Detection> nms(List<Detection> detections, double iou, int max) {
        List<Detection> sorted = new ArrayList<>(detections);
        sorted.sort(Comparator.comparingDouble((Detection d) -> d.score).reversed());
        List<Detection> kept = new ArrayList<>();
        for (Detection d : sorted) {
            if (kept.size() >= max) {
                break;
            }
            boolean suppressed = false;
            for (Detection k : kept) {
                if (k.cls == d.cls && k.image == d.image && AnchorTargets.iou(k.box, d.box) > iou) {
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
            if (d.cls == cls) {
                ofClass.add(d);
            }
        }
        ofClass.sort(Comparator.comparingDouble((Detection d) -> d.score).reversed());
        double[] precision = new double[ofClass.size()];
        double[] recall = new double[ofClass.size()];
        int tp = 0;
        for (int k = 0; k < ofClass.size(); k++) {
            Detection d = ofClass.get(k);
            int best = -1;
            double bestIou = iouThreshold;
            for (int g = 0; g < groundTruth[d.image].length; g++) {
                if (gtClasses[d.image][g] != cls || used[d.image][g]) {
                    continue;
                }
                double v = AnchorTargets.iou(d.box, groundTruth[d.image][g]);
                if (v >= bestIou) {
                    bestIou = v;
                    best = g;
                }
            }
            if (best >= 0) {
                used[d.image][best] = true;
                tp++;
            }
            precision[k] = tp / (double) (k + 1);
            recall[k] = tp / (double) positives;
        }
        // Every-point interpolation: precision at recall r is the best precision at any recall ≥ r.
        for (int k = precision.length - 2; k >= 0; k--) {
            precision[k] = Math.max(precision[k], precision[k + 1]);
        }
        double ap = 0;
        double previousRecall = 0;
        for (int k = 0; k < precision.length; k++) {
            ap += (recall[k] - previousRecall) * precision[k];
            previousRecall = recall[k];
        }
        return ap;
    }
}
