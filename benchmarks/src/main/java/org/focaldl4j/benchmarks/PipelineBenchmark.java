package org.focaldl4j.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.focaldl4j.detection.anchor.AnchorMatcher;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.eval.CocoEvaluator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The detection toolkit's own steps, on the inputs {@code torch_pipeline_bench.py} builds
 * with the same formulas, so that BenchmarkReport can set each beside its torchvision counterpart:
 * <ul>
 *   <li>{@value #MATCH}: {@link AnchorMatcher#match} of the 12,096 anchors of a 256×256 image (strides 8, 16,
 *       32; 9 per location) to 8 boxes (vs box_iou + Matcher);</li>
 *   <li>{@value #ENCODE}/{@value #DECODE}: {@link BoxCoder} on [12,096, 4] FLOAT arrays (vs encode_single /
 *       decode_single);</li>
 *   <li>{@value #NMS}: {@link Boxes#batchedNms} of 1,000 scored boxes of 10 classes at IoU 0.5, 100 kept
 *       (vs batched_nms);</li>
 *   <li>{@value #COCO}: {@link CocoEvaluator#evaluate} of 200 images × 5 ground-truth boxes and 50 detections
 *       each, 10 categories (no counterpart here: pycocotools is not packaged for this machine).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PipelineBenchmark {

    public static final String MATCH = "AnchorMatcher.match";
    public static final String ENCODE = "BoxCoder.encode";
    public static final String DECODE = "BoxCoder.decode";
    public static final String NMS = "Boxes.batchedNms";
    public static final String COCO = "CocoEvaluator.evaluate";

    @Param({MATCH, ENCODE, DECODE, NMS, COCO})
    public String step;

    private Boxes anchors;
    private Boxes boxes;
    private INDArray anchorArray;
    private INDArray matchedBoxes;
    private INDArray deltas;
    private final BoxCoder coder = new BoxCoder();
    private final AnchorMatcher matcher = new AnchorMatcher(0.5, 0.4, true);
    private Boxes candidateBoxes;
    private double[] candidateScores;
    private int[] candidateClasses;
    private CocoDataset groundTruth;
    private List<CocoDataset.Result> results;

    @Setup(Level.Trial)
    public void setUp() {
        double[][] anchors = anchors();
        double[][] boxes = boxes();
        this.anchors = Boxes.of(anchors, "anchor");
        this.boxes = Boxes.of(boxes, "box");
        int n = anchors.length;
        float[] a = new float[4 * n];
        float[] m = new float[4 * n];
        float[] d = new float[4 * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                a[4 * i + j] = (float) anchors[i][j];
                m[4 * i + j] = (float) boxes[i % boxes.length][j];
                d[4 * i + j] = (float) (0.1 * Math.sin(i + j));
            }
        }
        anchorArray = Nd4j.create(a, new long[] {n, 4}, 'c');
        matchedBoxes = Nd4j.create(m, new long[] {n, 4}, 'c');
        deltas = Nd4j.create(d, new long[] {n, 4}, 'c');
        List<Detection> candidates = candidates();
        double[][] corners = new double[candidates.size()][];
        candidateScores = new double[candidates.size()];
        candidateClasses = new int[candidates.size()];
        for (int i = 0; i < corners.length; i++) {
            corners[i] = candidates.get(i).box();
            candidateScores[i] = candidates.get(i).score();
            candidateClasses[i] = candidates.get(i).classIndex();
        }
        candidateBoxes = Boxes.of(corners, "candidate");
        coco();
    }

    /** 9 anchors per location on 256×256: strides 8, 16, 32; sizes 4s·2^(i/3); aspect ratios 0.5, 1, 2. */
    static double[][] anchors() {
        List<double[]> out = new ArrayList<>();
        for (int s : new int[] {8, 16, 32}) {
            int n = 256 / s;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    double cx = (x + 0.5) * s;
                    double cy = (y + 0.5) * s;
                    for (int i = 0; i < 3; i++) {
                        double size = 4 * s * Math.pow(2, i / 3.0);
                        for (double ratio : new double[] {0.5, 1.0, 2.0}) {
                            double w = size / Math.sqrt(ratio);
                            double h = size * Math.sqrt(ratio);
                            out.add(new double[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
                        }
                    }
                }
            }
        }
        return out.toArray(new double[0][]);
    }

    static double[][] boxes() {
        double[][] out = new double[8][];
        for (int i = 0; i < 8; i++) {
            double cx = 20 + (i * 67) % 216;
            double cy = 20 + (i * 101) % 216;
            double w = 16 + (i * 29) % 96;
            double h = 16 + (i * 41) % 96;
            out[i] = new double[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
        }
        return out;
    }

    static List<Detection> candidates() {
        List<Detection> out = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            double cx = 128 + 100 * Math.sin(i * 0.37);
            double cy = 128 + 100 * Math.cos(i * 0.23);
            double w = 20 + 10 * Math.sin(i);
            double h = 20 + 10 * Math.cos(i);
            out.add(new Detection(0, i % 10, (i * 0.6180339887498949) % 1.0,
                    new double[] {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}));
        }
        return out;
    }

    private void coco() {
        List<CocoDataset.Image> images = new ArrayList<>();
        List<CocoDataset.Annotation> annotations = new ArrayList<>();
        List<CocoDataset.Category> categories = new ArrayList<>();
        results = new ArrayList<>();
        for (int c = 1; c <= 10; c++) {
            categories.add(new CocoDataset.Category(c, "class " + c));
        }
        long id = 1;
        for (int img = 1; img <= 200; img++) {
            images.add(new CocoDataset.Image(img, 256, 256));
            for (int b = 0; b < 5; b++) {
                double x = (img * 31 + b * 47) % 200;
                double y = (img * 17 + b * 59) % 200;
                double w = 12 + (img + b * 13) % 48;
                double h = 12 + (img * 3 + b * 7) % 48;
                annotations.add(CocoDataset.Annotation.box(id++, img, 1 + (img + b) % 10, new double[] {x, y, w, h}));
                for (int k = 0; k < 10; k++) {                          // 10 detections near each box, 50 per image
                    double jitter = 3 * Math.sin(img * 7 + b * 11 + k);
                    results.add(new CocoDataset.Result(img, 1 + (img + b + (k % 3 == 0 ? 1 : 0)) % 10,
                            new double[] {x + jitter, y - jitter, w + jitter / 2, h}, ((img * 13 + b * 5 + k) * 0.37) % 1.0));
                }
            }
        }
        groundTruth = new CocoDataset(images, annotations, categories);
    }

    @Benchmark
    public Object run() {
        switch (step) {
            case MATCH:
                return matcher.match(anchors, boxes);
            case ENCODE:
                return coder.encode(anchorArray, matchedBoxes);
            case DECODE:
                return coder.decode(anchorArray, deltas);
            case NMS:
                return candidateBoxes.batchedNms(candidateScores, candidateClasses, 0.5, 100);
            case COCO:
                return CocoEvaluator.evaluate(groundTruth, results);
            default:
                throw new IllegalArgumentException("unknown step " + step);
        }
    }
}
