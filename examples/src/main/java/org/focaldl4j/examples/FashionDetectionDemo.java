package org.focaldl4j.examples;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.focaldl4j.detection.AnchorPyramid;
import org.focaldl4j.detection.CocoDataset;
import org.focaldl4j.detection.CocoEvaluator;
import org.focaldl4j.detection.Detection;
import org.focaldl4j.detection.DetectionImages;
import org.focaldl4j.detection.DetectionPicture;
import org.focaldl4j.detection.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A RetinaNet-style detector on real images: Fashion-MNIST items on 64×64 canvases ({@link FashionCanvases};
 * training canvases from the training split, test canvases from the test split), 10 classes. The detector
 * ({@link RetinaNet}): {@link RetinaNet#tinyBackbone} pretrained for one pass over the Fashion-MNIST items as a
 * plain classifier, a 2-level pyramid (strides 8 and 16, anchors of base 2·stride, A = 9), shared
 * classification and box subnets, {@code LossFocal} (γ = 2, α = 0.25) and smooth-L1. It trains with a progress
 * bar and DL4J's score listener, then prints the 12 COCO statistics on the test canvases — for the untrained
 * network too, as the baseline — and writes a picture of detections and ground truth.
 *
 * <p>{@code mvn -B -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.FashionDetectionDemo
 * [-Dexec.args="ITERATIONS SEED PICTURE LEARNING_RATE"]} (defaults 400, 1, docs/results/fashion_detection.png, Adam
 * 1e-3).
 */
public final class FashionDetectionDemo {

    static final int SIZE = 64;

    /** Settings of a run (the demo's defaults). */
    public static final class Settings {
        public int trainCanvases = 1600;
        public int testCanvases = 200;
        public int iterations = 400;
        public int batch = 16;
        public int width = 16;
        public double learningRate = 1e-3;
        public boolean pretrain = true;
        public boolean verbose = true;
    }

    /** What a run measured. */
    public static final class Result {
        public final CocoEvaluator.Stats untrained;
        public final CocoEvaluator.Stats trained;
        public final double firstLoss;
        public final double lastLoss;
        public final double trainSeconds;
        public final List<List<Detection>> detections;
        public final DetectionImages test;

        Result(CocoEvaluator.Stats untrained, CocoEvaluator.Stats trained, double firstLoss, double lastLoss,
               double trainSeconds, List<List<Detection>> detections, DetectionImages test) {
            this.untrained = untrained;
            this.trained = trained;
            this.firstLoss = firstLoss;
            this.lastLoss = lastLoss;
            this.trainSeconds = trainSeconds;
            this.detections = detections;
            this.test = test;
        }
    }

    private FashionDetectionDemo() {
    }

    public static void main(String[] args) throws Exception {
        oneNd4jThread();                                                    // the recommended set-up (issue 19)
        Settings s = new Settings();
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
        System.out.printf(Locale.ROOT, "training loss %.3f → %.3f in %.0f s; whole run %.0f s%n", r.firstLoss, r.lastLoss,
                r.trainSeconds, (System.nanoTime() - start) / 1e9);
        int shown = 12;
        List<List<Detection>> confident = new ArrayList<>();        // the picture shows detections scoring ≥ 0.3
        for (List<Detection> image : r.detections.subList(0, shown)) {
            confident.add(image.stream().filter(d -> d.score() >= 0.3).collect(java.util.stream.Collectors.toList()));
        }
        DetectionPicture.write(picture, DetectionPicture.draw(r.test.images(0, shown), confident,
                boxes(r.test, shown), classes(r.test, shown), FashionMnist.CLASS_NAMES, 4, 4));
        System.out.println("wrote " + picture.toAbsolutePath().normalize());
    }

    /**
     * Runs ND4J's kernels, OpenBLAS and OpenMP (which oneDNN uses) on one thread: ND4J's and OpenBLAS's
     * settings hold for the whole JVM, OpenMP's for the calling thread, so call it on the training thread.
     * On this project's 2-core machine the detector's training step is shorter than with the defaults of
     * one thread per core (their worker threads spin and yield more than they compute on these small arrays;
     * docs/performance.md), and the other core makes the next batch's targets. The demo and the experiment
     * call it from their {@code main}; the library never changes these settings. ({@code
     * Nd4j.getEnvironment().setMaxThreads} is not called: in 1.0.0-M2.1 it leaves the value unchanged.)
     */
    public static void oneNd4jThread() {
        Nd4j.getEnvironment().setMaxMasterThreads(1);                              // ND4J's own parallel loops
        Nd4j.factory().blas().setMaxThreads(1);                                    // OpenBLAS
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);    // OpenMP (oneDNN), this thread
    }

    /** ND4J's thread settings in one line (for records and tables). */
    static String nd4jThreads() {
        return "ND4J master threads " + Nd4j.getEnvironment().maxMasterThreads() + ", OpenBLAS threads "
                + Nd4j.factory().blas().getMaxThreads() + ", OpenMP threads "
                + NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** The detector of the demo. */
    public static RetinaNet detector(Settings s, long seed) {
        return builder(s, seed).build();
    }

    /** The demo detector's builder, for variants of it ({@link StepSpeed}). */
    static RetinaNet.Builder builder(Settings s, long seed) {
        return RetinaNet.builder().input(SIZE, SIZE, 1).classes(FashionMnist.CLASS_NAMES.size())
                .backbone(RetinaNet.tinyBackbone(s.width)).anchors(AnchorPyramid.of(2, 8, 16))
                .fpnChannels(2 * s.width).heads(2, 2 * s.width)
                .classLoss(new LossFocal(0.25, 2)).boxBeta(0.1).updater(new Adam(s.learningRate)).weightDecay(0)
                .seed(seed);
    }

    /** Builds the canvases, pretrains the backbone, trains the detector and evaluates it. */
    public static Result run(Settings s, long seed) {
        FashionMnist.Items trainItems = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        FashionMnist.Items testItems = FashionMnist.load(FashionMnist.Source.SUBSET, false);
        DetectionImages train = FashionCanvases.generate(trainItems, s.trainCanvases, SIZE, 16, 40, 0.3, seed);
        DetectionImages test = FashionCanvases.generate(testItems, s.testCanvases, SIZE, 16, 40, 0.3, seed + 1000);
        RetinaNet retinaNet = detector(s, seed);
        ComputationGraph net = retinaNet.network();
        if (s.pretrain) {
            ComputationGraph classifier = pretrainedBackbone(trainItems, s, seed);
            RetinaNet.copyBackbone(classifier, net);
        }
        CocoDataset truth = test.toCoco(FashionMnist.CLASS_NAMES);
        CocoEvaluator.Stats untrained = CocoEvaluator.evaluate(truth, DetectionImages.toCocoResults(detect(retinaNet, net, test)));

        double[] losses = new double[s.iterations];
        long t0 = System.nanoTime();
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName("RetinaNet").setInitialMax(s.iterations)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate();
        if (!s.verbose) {
            bar.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }));
        }
        try (ProgressBar pb = bar.build()) {
            net.setListeners(new BaseTrainingListener() {
                @Override
                public void iterationDone(Model model, int iteration, int epoch) {
                    pb.step();
                    pb.setExtraMessage(String.format(Locale.ROOT, "loss %.3f", model.score()));
                }
            });
            if (s.verbose) {
                net.addListeners(new ScoreIterationListener(50));
            }
            AsyncMultiDataSetIterator it = train.prefetching(retinaNet.pyramid(), retinaNet.matcher(),
                    retinaNet.coder(), s.batch, 4);
            try {
                for (int step = 0; step < s.iterations; step++) {
                    if (!it.hasNext()) {
                        it.reset();
                        it.hasNext();
                    }
                    MultiDataSet batch = it.next();
                    if (step == 0) {
                        fitQuietly(net, batch);    // SameDiff prints a line per op while it builds the heads' gradients
                    } else {
                        net.fit(batch);
                    }
                    losses[step] = net.score();
                }
            } finally {
                it.shutdown();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<List<Detection>> detections = detect(retinaNet, net, test);
        CocoEvaluator.Stats trained = CocoEvaluator.evaluate(truth, DetectionImages.toCocoResults(detections));
        return new Result(untrained, trained, mean(losses, 0, Math.min(20, losses.length)),
                mean(losses, Math.max(0, losses.length - 20), losses.length), seconds, detections, test);
    }

    /**
     * The first step, with standard output silenced: SameDiff 1.0.0-M2.1 prints "Added differentiated op …" for
     * every op of the shared heads while it builds their gradient function (this program is single-threaded).
     */
    static void fitQuietly(ComputationGraph net, MultiDataSet batch) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            net.fit(batch);
        } finally {
            System.setOut(out);
        }
    }

    /** Detections of every test canvas, in batches of 50; image indices are canvas indices. */
    static List<List<Detection>> detect(RetinaNet retinaNet, ComputationGraph net, DetectionImages images) {
        List<List<Detection>> out = new ArrayList<>();
        for (int from = 0; from < images.size(); from += 50) {
            int to = Math.min(images.size(), from + 50);
            for (List<Detection> one : retinaNet.detect(net, images.images(from, to))) {
                List<Detection> renumbered = new ArrayList<>();
                for (Detection d : one) {
                    renumbered.add(new Detection(d.image() + from, d.classIndex(), d.score(), d.box()));
                }
                out.add(renumbered);
            }
        }
        return out;
    }

    /**
     * The backbone, with a global average pool and a softmax output, trained for one pass over the 28×28
     * items (batch 64) as a 10-class classifier; its "backbone_*" layers then start the detector.
     */
    static ComputationGraph pretrainedBackbone(FashionMnist.Items items, Settings s, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("image").setInputTypes(InputType.convolutional(FashionMnist.SIDE, FashionMnist.SIDE, 1));
        List<RetinaNet.FeatureMap> maps = RetinaNet.tinyBackbone(s.width).addTo(g, "image", 1);
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), maps.get(maps.size() - 1).name());
        g.addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                .activation(Activation.SOFTMAX).build(), "pool");
        ComputationGraph net = new ComputationGraph(g.setOutputs("out").build());
        net.init();
        int n = items.size();
        for (int from = 0; from < n; from += 64) {
            int to = Math.min(n, from + 64);
            float[] x = new float[(to - from) * FashionMnist.SIDE * FashionMnist.SIDE];
            float[] y = new float[(to - from) * 10];
            for (int i = from; i < to; i++) {
                for (int p = 0; p < FashionMnist.SIDE * FashionMnist.SIDE; p++) {
                    x[(i - from) * FashionMnist.SIDE * FashionMnist.SIDE + p] =
                            (float) items.pixel(i, p / FashionMnist.SIDE, p % FashionMnist.SIDE);
                }
                y[(i - from) * 10 + items.label(i)] = 1f;
            }
            net.fit(new DataSet(Nd4j.create(x, new long[] {to - from, 1, FashionMnist.SIDE, FashionMnist.SIDE}, 'c'),
                    Nd4j.create(y, new long[] {to - from, 10}, 'c')));
        }
        return net;
    }

    /** Top-1 accuracy of a {@link #pretrainedBackbone} classifier on {@code items} (batches of 500). */
    static double accuracy(ComputationGraph classifier, FashionMnist.Items items) {
        int side = FashionMnist.SIDE;
        int correct = 0;
        for (int from = 0; from < items.size(); from += 500) {
            int to = Math.min(items.size(), from + 500);
            float[] x = new float[(to - from) * side * side];
            for (int i = from; i < to; i++) {
                for (int q = 0; q < side * side; q++) {
                    x[(i - from) * side * side + q] = (float) items.pixel(i, q / side, q % side);
                }
            }
            INDArray predicted = classifier.outputSingle(Nd4j.create(x, new long[] {to - from, 1, side, side}, 'c'))
                    .argMax(1);
            for (int i = from; i < to; i++) {
                correct += predicted.getInt(i - from) == items.label(i) ? 1 : 0;
            }
        }
        return (double) correct / items.size();
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
