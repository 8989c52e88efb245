package org.focaldl4j.detection.eval;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;

import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;

/**
 * COCO box evaluation with the semantics of pycocotools' {@code COCOeval} (iouType "bbox"), giving its 12
 * statistics: AP (mean over IoU thresholds .50:.05:.95), AP50, AP75, AP for small/medium/large objects
 * (maxDets 100), and AR with 1, 10, 100 detections per image and for small/medium/large objects.
 *
 * <p>Per image and category, detections are taken by descending score (ties: results order) up to
 * maxDets and matched greedily at each IoU threshold t to the unmatched ground truth of highest IoU ≥ t;
 * crowd boxes (IoU = intersection ÷ detection area) may absorb many detections, which are then ignored,
 * as are ground truths outside an area range (COCO's {@code area} field) and unmatched detections
 * outside it (their w·h). Over all images of a category (ascending image id, then a stable sort by
 * score):
 * <pre>
 *   recall_i = TP_i / G,   precision_i = TP_i / (TP_i + FP_i + 2^−52),   precision made non-increasing
 *   AP(t)    = mean over r ∈ {0, 0.01, …, 1} of the precision at the first detection with recall ≥ r (0 if none)
 * </pre>
 * with G the non-ignored ground truths. Statistics average the (category, threshold) values that exist
 * (−1 where nothing does). {@code src-test-data/coco_eval_vectors.json} holds values from an independent
 * implementation, checked against cocoapi's own code, that these agree with to 1e-12.
 *
 * <p>Command line: {@code java -cp … org.focaldl4j.detection.eval.CocoEvaluator GT.json RESULTS.json} prints the
 * 12 statistics, the last line a JSON array of them in pycocotools' order.
 */
public final class CocoEvaluator {

    /** The statistics' names, in pycocotools' order. */
    public static final List<String> STAT_NAMES = List.of("AP", "AP50", "AP75", "APsmall", "APmedium", "APlarge",
            "AR1", "AR10", "AR100", "ARsmall", "ARmedium", "ARlarge");

    /** IoU thresholds 0.50:0.05:0.95, as numpy's linspace computes them (t_8 = 0.8999999999999999). */
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** Recall thresholds 0:0.01:1, as numpy's linspace computes them. */
    static final double[] RECALL_THRESHOLDS = linspace(0.0, 1.0, 101);
    static final int[] MAX_DETS = {1, 10, 100};
    /** all, small, medium, large: closed ranges of area. */
    static final double[][] AREA_RANGES = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

    /** The 12 statistics and the per-category AP at IoU .50:.95, .50 and .75 (all areas, 100 detections). */
    public static final class Stats {
        private final double[] values;
        private final Map<Long, double[]> perCategory;

        Stats(double[] values, Map<Long, double[]> perCategory) {
            this.values = values;
            this.perCategory = perCategory;
        }

        /** The 12 statistics in {@link #STAT_NAMES} order (a copy). */
        public double[] values() {
            return values.clone();
        }

        /** One statistic by name, e.g. "AP50". */
        public double get(String name) {
            int i = STAT_NAMES.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no statistic \"" + name + "\"; the names are " + STAT_NAMES);
            }
            return values[i];
        }

        /** {AP, AP50, AP75} of one category (−1 where it has no ground truth). */
        public double[] category(long categoryId) {
            double[] v = perCategory.get(categoryId);
            if (v == null) {
                throw new IllegalArgumentException("category " + categoryId + " is not in the ground truth");
            }
            return v.clone();
        }

        /** The statistics as pycocotools' summary lines. */
        public String summary() {
            String[] labels = {
                "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
                "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
                "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]",
                "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
                "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
                "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
                "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]"};
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                sb.append(' ').append(labels[i]).append(String.format(Locale.ROOT, " = %.3f%n", values[i]));
            }
            return sb.toString();
        }

        /** The 12 statistics as a JSON array, full precision. */
        public String toJsonArray() {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < values.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(values[i]);
            }
            return sb.append(']').toString();
        }
    }

    private CocoEvaluator() {
    }

    /**
     * Evaluates {@code results} against {@code groundTruth}. Results must refer to images of the ground
     * truth; results of categories that the ground truth does not list are not counted (as in COCOeval).
     */
    public static Stats evaluate(CocoDataset groundTruth, List<CocoDataset.Result> results) {
        if (groundTruth == null || results == null) {
            throw new IllegalArgumentException("evaluate needs a ground truth and a list of results; got "
                    + (groundTruth == null ? "null" : "a ground truth") + " and " + (results == null ? "null" : "results"));
        }
        for (int i = 0; i < results.size(); i++) {
            if (results.get(i) == null) {
                throw new IllegalArgumentException("evaluate needs results without null; result " + i + " is null");
            }
        }
        long[] imageIds = groundTruth.images().stream().mapToLong(CocoDataset.Image::id).sorted().toArray();
        long[] categoryIds = groundTruth.categories().stream().mapToLong(CocoDataset.Category::id).sorted().toArray();
        Set<Long> images = new HashSet<>();
        for (long id : imageIds) {
            images.add(id);
        }
        Set<Long> categories = new HashSet<>();
        for (long id : categoryIds) {
            categories.add(id);
        }
        Map<Key, List<CocoDataset.Annotation>> gts = new HashMap<>();
        for (CocoDataset.Annotation a : groundTruth.annotations()) {
            gts.computeIfAbsent(new Key(a.imageId(), a.categoryId()), k -> new ArrayList<>()).add(a);
        }
        Map<Key, List<CocoDataset.Result>> dts = new HashMap<>();
        Set<Long> unknown = new TreeSet<>();
        for (CocoDataset.Result r : results) {
            if (!images.contains(r.imageId())) {
                unknown.add(r.imageId());
            } else if (categories.contains(r.categoryId())) {
                dts.computeIfAbsent(new Key(r.imageId(), r.categoryId()), k -> new ArrayList<>()).add(r);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("results refer to images that are not in the ground truth: " + unknown);
        }

        int t = IOU_THRESHOLDS.length;
        int k = categoryIds.length;
        // precision[ti][ri][category][area][maxDet], recall[ti][category][area][maxDet]; −1: no ground truth
        double[][][][][] precision = new double[t][RECALL_THRESHOLDS.length][k][AREA_RANGES.length][MAX_DETS.length];
        double[][][][] recall = new double[t][k][AREA_RANGES.length][MAX_DETS.length];
        for (double[][][][] p : precision) {
            for (double[][][] q : p) {
                for (double[][] u : q) {
                    for (double[] v : u) {
                        Arrays.fill(v, -1);
                    }
                }
            }
        }
        for (double[][][] p : recall) {
            for (double[][] q : p) {
                for (double[] v : q) {
                    Arrays.fill(v, -1);
                }
            }
        }
        int maxDet = MAX_DETS[MAX_DETS.length - 1];
        for (int c = 0; c < k; c++) {
            // Per image: ground truth, detections by descending score (stable) cut to 100, and their IoUs.
            List<CocoMatching.Prepared> prepared = new ArrayList<>();
            for (long img : imageIds) {
                Key key = new Key(img, categoryIds[c]);
                List<CocoDataset.Annotation> g = gts.getOrDefault(key, List.of());
                List<CocoDataset.Result> found = dts.getOrDefault(key, List.of());
                if (g.isEmpty() && found.isEmpty()) {
                    continue;                                          // COCOeval skips such an image (evaluateImg: None)
                }
                List<CocoDataset.Result> d = new ArrayList<>(found);
                d.sort(BY_SCORE_DESCENDING);
                if (d.size() > maxDet) {
                    d = new ArrayList<>(d.subList(0, maxDet));
                }
                prepared.add(new CocoMatching.Prepared(g, d, CocoMatching.iou(d, g)));
            }
            for (int a = 0; a < AREA_RANGES.length; a++) {
                List<CocoMatching.ImageEval> perImage = new ArrayList<>();
                for (CocoMatching.Prepared p : prepared) {                                  // ascending image id
                    perImage.add(CocoMatching.evaluateImage(p, AREA_RANGES[a], maxDet));
                }
                for (int m = 0; m < MAX_DETS.length; m++) {
                    CocoMatching.accumulate(perImage, MAX_DETS[m], precision, recall, c, a, m);
                }
            }
        }
        double[] stats = {
            meanAp(precision, -1, 0, 2), meanAp(precision, 0, 0, 2), meanAp(precision, 5, 0, 2),
            meanAp(precision, -1, 1, 2), meanAp(precision, -1, 2, 2), meanAp(precision, -1, 3, 2),
            meanAr(recall, 0, 0), meanAr(recall, 0, 1), meanAr(recall, 0, 2),
            meanAr(recall, 1, 2), meanAr(recall, 2, 2), meanAr(recall, 3, 2)};
        Map<Long, double[]> perCategory = new HashMap<>();
        for (int c = 0; c < k; c++) {
            perCategory.put(categoryIds[c], new double[] {
                categoryAp(precision, c, -1), categoryAp(precision, c, 0), categoryAp(precision, c, 5)});
        }
        return new Stats(stats, perCategory);
    }

    /** Descending score, stable; −0.0 and 0.0 tie (numpy's mergesort compares values, Double.compare would not). */
    private static final Comparator<CocoDataset.Result> BY_SCORE_DESCENDING =
            (x, y) -> x.score() > y.score() ? -1 : x.score() < y.score() ? 1 : 0;

    private record Key(long image, long category) {
    }

    /** Mean of the precision entries > −1 at one area and maxDets, over all thresholds or threshold {@code ti}. */
    private static double meanAp(double[][][][][] precision, int ti, int a, int m) {
        return meanOfDefined(thresholds(precision, ti).flatMap(Arrays::stream).flatMap(Arrays::stream)
                .mapToDouble(cat -> cat[a][m]));
    }

    /** Mean of the recall entries > −1 at one area and maxDets, over thresholds and categories. */
    private static double meanAr(double[][][][] recall, int a, int m) {
        return meanOfDefined(Arrays.stream(recall).flatMap(Arrays::stream).mapToDouble(cat -> cat[a][m]));
    }

    /** One category's AP (area all, 100 detections) over all thresholds or threshold {@code ti}. */
    private static double categoryAp(double[][][][][] precision, int c, int ti) {
        return meanOfDefined(thresholds(precision, ti).flatMap(Arrays::stream).mapToDouble(r -> r[c][0][2]));
    }

    private static Stream<double[][][][]> thresholds(double[][][][][] precision, int ti) {
        return ti < 0 ? Arrays.stream(precision) : Stream.<double[][][][]>of(precision[ti]);
    }

    /** COCOeval's mean of the entries > −1 (−1 marks "undefined"), summed in order; −1 when there are none. */
    private static double meanOfDefined(DoubleStream values) {
        double[] defined = values.filter(v -> v > -1).toArray();
        double sum = 0;
        for (double v : defined) {
            sum += v;
        }
        return defined.length == 0 ? -1 : sum / defined.length;
    }

    /** numpy.linspace(start, stop, num): start + i·step, the last value exactly {@code stop}. */
    static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] out = new double[num];
        for (int i = 0; i < num; i++) {
            out[i] = i * step + start;
        }
        out[num - 1] = stop;
        return out;
    }

    /** {@code CocoEvaluator GT.json RESULTS.json}: prints the 12 statistics, then them as a JSON array. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java -cp … org.focaldl4j.detection.eval.CocoEvaluator GT.json RESULTS.json");
            System.exit(2);
        }
        Stats s = evaluate(CocoJson.read(Paths.get(args[0])), CocoJson.readResults(Paths.get(args[1])));
        System.out.print(s.summary());
        System.out.println(s.toJsonArray());
    }
}
