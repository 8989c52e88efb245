package org.focaldl4j.examples;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.eval.CocoEvaluator;
import org.focaldl4j.detection.eval.DetectionPicture;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A RetinaNet-style detector on real images: Fashion-MNIST items on 64×64 canvases ({@link FashionCanvases};
 * training canvases from the training split, test canvases from the test split), 10 classes. The detector is
 * {@link FashionDetector}'s: a {@link RetinaNet} on {@link Backbones#tiny} pretrained for one pass over the
 * Fashion-MNIST items as a plain classifier, a 2-level pyramid, shared classification and box subnets,
 * {@code LossFocal} (γ = 2, α = 0.25) and smooth-L1. It trains with a progress
 * bar showing the data loss (classification + box; DL4J's score adds the weight-decay term, 0 here), then prints the 12 COCO statistics on the test canvases — for the untrained
 * network too, as the baseline — and writes a picture of detections and ground truth.
 *
 * <p>{@code mvn -B -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.FashionDetectionDemo
 * [-Dexec.args="ITERATIONS SEED PICTURE LEARNING_RATE"]} (defaults 400, 1, docs/results/fashion_detection.png, Adam
 * 1e-3).
 */
public final class FashionDetectionDemo {

    /** What a run measured. */
    public static final class Result {
        public final CocoEvaluator.Stats untrained;
        public final CocoEvaluator.Stats trained;
        /** The data loss (classification + box), mean over the first and the last 20 steps. */
        public final double firstLoss;
        public final double lastLoss;
        /** The regularisation (weight-decay) term DL4J's score adds, at the last step: 0 with the demo's settings. */
        public final double regularisation;
        public final double trainSeconds;
        public final List<List<Detection>> detections;
        public final DetectionImages test;

        Result(CocoEvaluator.Stats untrained, CocoEvaluator.Stats trained, double firstLoss, double lastLoss,
               double regularisation, double trainSeconds, List<List<Detection>> detections, DetectionImages test) {
            this.untrained = untrained;
            this.trained = trained;
            this.firstLoss = firstLoss;
            this.lastLoss = lastLoss;
            this.regularisation = regularisation;
            this.trainSeconds = trainSeconds;
            this.detections = detections;
            this.test = test;
        }
    }

    private FashionDetectionDemo() {
    }

    public static void main(String[] args) throws Exception {
        FashionDetector.oneNd4jThread();                                // the recommended set-up (docs/performance.md)
        FashionDetector.dl4jOneDnnHelpers();
        FashionDetector.Settings s = new FashionDetector.Settings();
        if (args.length > 0) {
            s.iterations = Integer.parseInt(args[0]);
        }
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        Path picture = Paths.get(args.length > 2 ? args[2] : "docs/results/fashion_detection.png");
        if (args.length > 3) {
            s.learningRate = Double.parseDouble(args[3]);
        }
        long start = System.nanoTime();
        Result r = run(s, seed);
        System.out.println();
        System.out.println("COCO statistics on " + s.testCanvases + " test canvases (untrained → trained):");
        for (int i = 0; i < CocoEvaluator.STAT_NAMES.size(); i++) {
            System.out.printf(Locale.ROOT, "  %-9s %6.3f → %6.3f%n", CocoEvaluator.STAT_NAMES.get(i),
                    r.untrained.values()[i], r.trained.values()[i]);
        }
        System.out.printf(Locale.ROOT, "training data loss (classification + box) %.3f → %.3f, regularisation %.3f, in %.0f s;"
                + " whole run %.0f s%n", r.firstLoss, r.lastLoss, r.regularisation, r.trainSeconds,
                (System.nanoTime() - start) / 1e9);
        int shown = 12;
        List<List<Detection>> confident = new ArrayList<>();        // the picture shows detections scoring ≥ 0.3
        for (List<Detection> image : r.detections.subList(0, shown)) {
            confident.add(image.stream().filter(d -> d.score() >= 0.3).collect(java.util.stream.Collectors.toList()));
        }
        DetectionPicture.write(picture, DetectionPicture.draw(r.test.images(0, shown), confident,
                boxes(r.test, shown), classes(r.test, shown), FashionMnist.CLASS_NAMES, 4, 4));
        System.out.println("wrote " + picture.toAbsolutePath().normalize());
    }

    /** Builds the canvases, pretrains the backbone, trains the detector and evaluates it. */
    public static Result run(FashionDetector.Settings s, long seed) {
        FashionMnist.Items trainItems = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        FashionMnist.Items testItems = FashionMnist.load(FashionMnist.Source.SUBSET, false);
        int size = FashionDetector.SIZE;
        DetectionImages train = FashionCanvases.generate(trainItems, s.trainCanvases, size, 16, 40, 0.3, seed);
        DetectionImages test = FashionCanvases.generate(testItems, s.testCanvases, size, 16, 40, 0.3, seed + 1000);
        RetinaNet retinaNet = FashionDetector.detector(s, seed);
        ComputationGraph net = retinaNet.network();
        if (s.pretrain) {
            ComputationGraph classifier = FashionDetector.pretrainedBackbone(trainItems, s, seed);
            Backbones.copyWeights(classifier, net);
        }
        CocoDataset truth = CocoDataset.of(test, FashionMnist.CLASS_NAMES);
        CocoEvaluator.Stats untrained = CocoEvaluator.evaluate(truth,
                CocoDataset.results(FashionDetector.detect(retinaNet, net, test)));

        // The loss logs the kernel this JVM runs once, at INFO, on its first fused call: a tiny call makes that line come
        // here rather than break into the progress bar's line ([2, 3]: ND4J does not count a [1, 1] array's strides as
        // the default ones, so the fused kernel would not take it).
        new LossFocal().computeScore(Nd4j.zeros(DataType.FLOAT, 2, 3), Nd4j.zeros(DataType.FLOAT, 2, 3),
                new ActivationSigmoid(), null, false);
        double[] losses = new double[s.iterations];                      // data loss: classification + box
        double regularisation = 0;
        long t0 = System.nanoTime();
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName("RetinaNet").setInitialMax(s.iterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate();
        if (!s.verbose) {
            bar.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }));
        }
        try (ProgressBar pb = bar.build()) {
            AsyncMultiDataSetIterator it = train.prefetching(retinaNet.targets(), s.batch, 4);
            try {
                for (int step = 0; step < s.iterations; step++) {
                    FashionDetector.StepLoss loss = FashionDetector.fit(net, FashionDetector.nextCycling(it));
                    losses[step] = loss.data();
                    regularisation = loss.regularisation();
                    pb.step();
                    pb.setExtraMessage(String.format(Locale.ROOT, "data loss %.3f", loss.data()));
                }
            } finally {
                it.shutdown();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<List<Detection>> detections = FashionDetector.detect(retinaNet, net, test);
        CocoEvaluator.Stats trained = CocoEvaluator.evaluate(truth, CocoDataset.results(detections));
        return new Result(untrained, trained, mean(losses, 0, Math.min(20, losses.length)),
                mean(losses, Math.max(0, losses.length - 20), losses.length), regularisation, seconds, detections, test);
    }

    private static double mean(double[] v, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += v[i];
        }
        return to > from ? sum / (to - from) : Double.NaN;
    }

    private static double[][][] boxes(DetectionImages d, int n) {
        double[][][] out = new double[n][][];
        for (int i = 0; i < n; i++) {
            out[i] = d.boxes(i);
        }
        return out;
    }

    private static int[][] classes(DetectionImages d, int n) {
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            out[i] = d.classes(i);
        }
        return out;
    }

}
