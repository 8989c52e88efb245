package org.focaldl4j.detection.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.data.CocoDataset;

/**
 * The per-image matching and the accumulation of {@link CocoEvaluator}, as pycocotools' {@code COCOeval.evaluateImg}
 * and {@code COCOeval.accumulate} compute them (see {@link CocoEvaluator} for the rules).
 */
final class CocoMatching {

    /** The machine epsilon COCOeval adds to precision's denominator. */
    private static final double EPS = Math.ulp(1.0);

    private CocoMatching() {
    }

    record Prepared(List<CocoDataset.Annotation> gt, List<CocoDataset.Result> dt, double[][] iou) {
    }

    /** One image and category at one area range: per threshold, which detections matched or are ignored. */
    record ImageEval(double[] scores, boolean[][] matched, boolean[][] ignored, int countedGt) {
    }

    /** IoU of [x, y, w, h] boxes [detection][ground truth]; a crowd ground truth divides by the detection's area. */
    static double[][] iou(List<CocoDataset.Result> dt, List<CocoDataset.Annotation> gt) {
        double[][] out = new double[dt.size()][gt.size()];
        double[][] dbs = new double[dt.size()][];
        for (int d = 0; d < dt.size(); d++) {
            dbs[d] = dt.get(d).bbox();
        }
        for (int g = 0; g < gt.size(); g++) {
            double[] gb = gt.get(g).bbox();
            for (int d = 0; d < dt.size(); d++) {
                out[d][g] = overlap(dbs[d], gb, gt.get(g).crowd());
            }
        }
        return out;
    }

    /**
     * pycocotools' {@code bbIou} of one pair, in its operation order; where the intersection is not a normal double
     * or the denominator overflows (sides beyond ~1e154 or below ~1e-154), the same formula on the boxes scaled by a
     * power of two per axis, which changes neither the ratio nor its rounding (as {@link Boxes} does): never ∞/∞.
     */
    private static double overlap(double[] db, double[] gb, boolean crowd) {
        double v = bbIou(db, gb, crowd);
        if (v >= 0) {
            return v;
        }
        // scaled: at most 2 in magnitude per axis, so neither an area nor the intersection can overflow
        int kx = -Math.getExponent(Math.max(Math.max(Math.abs(db[0]), Math.abs(db[0] + db[2])),
                Math.max(Math.abs(gb[0]), Math.abs(gb[0] + gb[2]))));
        int ky = -Math.getExponent(Math.max(Math.max(Math.abs(db[1]), Math.abs(db[1] + db[3])),
                Math.max(Math.abs(gb[1]), Math.abs(gb[1] + gb[3]))));
        double[] sd = {Math.scalb(db[0], kx), Math.scalb(db[1], ky), Math.scalb(db[2], kx), Math.scalb(db[3], ky)};
        double[] sg = {Math.scalb(gb[0], kx), Math.scalb(gb[1], ky), Math.scalb(gb[2], kx), Math.scalb(gb[3], ky)};
        return Math.max(0.0, bbIou(sd, sg, crowd));
    }

    /** The direct formula (that of {@link Boxes#intersection} for the overlap); −1 when it left the normal doubles. */
    private static double bbIou(double[] db, double[] gb, boolean crowd) {
        double iw = Math.min(db[0] + db[2], gb[0] + gb[2]) - Math.max(db[0], gb[0]);
        double ih = Math.min(db[1] + db[3], gb[1] + gb[3]) - Math.max(db[1], gb[1]);
        if (iw <= 0 || ih <= 0) {
            return 0.0;
        }
        double inter = iw * ih;
        double dArea = db[2] * db[3];
        double union = crowd ? dArea : dArea + gb[2] * gb[3] - inter;
        return inter >= Double.MIN_NORMAL && union < Double.POSITIVE_INFINITY ? inter / union : -1;
    }

    static boolean outside(double area, double[] range) {
        return area < range[0] || area > range[1];
    }

    /** COCOeval.evaluateImg for an image with ground truth or detections of the category. */
    static ImageEval evaluateImage(Prepared p, double[] range, int maxDet) {
        int nGt = p.gt().size();
        boolean[] gtIgnoredOriginal = new boolean[nGt];
        for (int g = 0; g < nGt; g++) {
            CocoDataset.Annotation a = p.gt().get(g);
            gtIgnoredOriginal[g] = a.crowd() || outside(a.area(), range);
        }
        Integer[] order = new Integer[nGt];                                    // counted ground truth first (stable)
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> gtIgnoredOriginal[i] ? 1 : 0));
        boolean[] gtIgnored = new boolean[nGt];
        boolean[] gtCrowd = new boolean[nGt];
        int counted = 0;
        for (int g = 0; g < nGt; g++) {
            gtIgnored[g] = gtIgnoredOriginal[order[g]];
            gtCrowd[g] = p.gt().get(order[g]).crowd();
            counted += gtIgnored[g] ? 0 : 1;
        }
        int nDt = Math.min(maxDet, p.dt().size());
        int nT = CocoEvaluator.IOU_THRESHOLDS.length;
        boolean[][] matched = new boolean[nT][nDt];
        boolean[][] ignored = new boolean[nT][nDt];
        if (nGt > 0 && nDt > 0) {
            for (int ti = 0; ti < nT; ti++) {
                boolean[] taken = new boolean[nGt];
                for (int d = 0; d < nDt; d++) {
                    double bar = Math.min(CocoEvaluator.IOU_THRESHOLDS[ti], 1 - 1e-10);
                    int held = -1;
                    for (int g = 0; g < nGt; g++) {
                        if (taken[g] && !gtCrowd[g]) {
                            continue;
                        }
                        if (held >= 0 && !gtIgnored[held] && gtIgnored[g]) {
                            break;                                               // the rest are ignored ground truth
                        }
                        double v = p.iou()[d][order[g]];
                        if (v < bar) {
                            continue;
                        }
                        bar = v;
                        held = g;
                    }
                    if (held >= 0) {
                        taken[held] = true;
                        matched[ti][d] = true;
                        ignored[ti][d] = gtIgnored[held];
                    }
                }
            }
        }
        double[] scores = new double[nDt];
        for (int d = 0; d < nDt; d++) {
            double[] b = p.dt().get(d).bbox();
            scores[d] = p.dt().get(d).score();
            if (outside(b[2] * b[3], range)) {
                for (int ti = 0; ti < nT; ti++) {
                    ignored[ti][d] |= !matched[ti][d];
                }
            }
        }
        return new ImageEval(scores, matched, ignored, counted);
    }

    /** COCOeval.accumulate for one (category, area, maxDets). */
    static void accumulate(List<ImageEval> perImage, int maxDet, double[][][][][] precision,
                                   double[][][][] recall, int c, int a, int m) {
        if (perImage.isEmpty()) {
            return;
        }
        int counted = 0;
        List<double[]> scoreList = new ArrayList<>();                          // {score, image index, detection}
        for (int i = 0; i < perImage.size(); i++) {
            ImageEval e = perImage.get(i);
            counted += e.countedGt();
            for (int d = 0; d < Math.min(maxDet, e.scores().length); d++) {
                scoreList.add(new double[] {e.scores()[d], i, d});
            }
        }
        if (counted == 0) {
            return;
        }
        scoreList.sort((x, y) -> x[0] > y[0] ? -1 : x[0] < y[0] ? 1 : 0);      // stable; −0.0 ties with 0.0, as in numpy
        int n = scoreList.size();
        for (int ti = 0; ti < CocoEvaluator.IOU_THRESHOLDS.length; ti++) {
            double[] rc = new double[n];
            double[] pr = new double[n];
            double tp = 0;
            double fp = 0;
            for (int j = 0; j < n; j++) {
                ImageEval e = perImage.get((int) scoreList.get(j)[1]);
                int d = (int) scoreList.get(j)[2];
                if (!e.ignored()[ti][d]) {
                    if (e.matched()[ti][d]) {
                        tp++;
                    } else {
                        fp++;
                    }
                }
                rc[j] = tp / counted;
                pr[j] = tp / (fp + tp + EPS);
            }
            recall[ti][c][a][m] = n > 0 ? rc[n - 1] : 0;
            for (int j = n - 1; j > 0; j--) {
                if (pr[j] > pr[j - 1]) {
                    pr[j - 1] = pr[j];
                }
            }
            for (int r = 0; r < CocoEvaluator.RECALL_THRESHOLDS.length; r++) {
                int j = firstAtLeast(rc, CocoEvaluator.RECALL_THRESHOLDS[r]);
                precision[ti][r][c][a][m] = j < n ? pr[j] : 0;
            }
        }
    }

    /** The first index of the non-decreasing {@code values} with value ≥ {@code x}, or its length. */
    static int firstAtLeast(double[] values, double x) {
        int lo = 0;
        int hi = values.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (values[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
