package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.focaldl4j.detection.AnchorGenerator;
import org.focaldl4j.detection.AnchorLossLayer;
import org.focaldl4j.detection.AnchorTargets;
import org.focaldl4j.detection.ClassificationSubnet;
import org.focaldl4j.detection.DetectionEval;
import org.focaldl4j.detection.Detection;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A tiny one-stage detector trained with α-balanced cross-entropy, focal loss and FL* on
 * {@link SyntheticDetectionData} (48×48 images, K = 3 shape classes, about one positive per 1,400
 * anchor-class entries), scored by AP at IoU 0.5 per class.
 *
 * <p>Backbone: 3×3 conv (16, ReLU), 3×3 conv stride 2 (32, ReLU) → a 24×24 map (stride 2); head:
 * {@link ClassificationSubnet} (2 convs of width 32, A = 9 anchors, K = 3, prior π = 0.01);
 * loss: {@link AnchorLossLayer} (Σℓ ÷ max(1, positives)). There is no box regression: detections are
 * the anchors themselves, decoded with per-class NMS ({@link DetectionEval}). Training shows a
 * progress bar driven by a DL4J {@code TrainingListener} and, with {@link Settings#verbose}, DL4J's
 * {@link ScoreIterationListener} log lines.
 *
 * <p>{@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.DenseDetectionDemo
 * [-Dexec.args="EPOCHS SEED [LEARNING_RATE]"]} (defaults 6, 1, 1e-2).
 */
public final class DenseDetectionDemo {

    static final int SIZE = 48;
    public static final int MAP = 24;
    static final int STRIDE = 2;
    public static final int K = SyntheticDetectionData.CLASSES;
    /** Name of the layer whose output is the [N, A·K, H, W] logits. */
    public static final String LOGITS = "cls_logits";
    public static final AnchorGenerator ANCHORS = new AnchorGenerator(3 * STRIDE, AnchorGenerator.paperScales(),
            AnchorGenerator.paperRatios(), STRIDE);

    /** Training settings; the defaults are the ones every documented result uses. */
    public static final class Settings {
        public int epochs = 6;
        public double learningRate = 1e-2;
        /** π of the classification subnet's last bias; 0.5 gives bias 0 ("no prior"). */
        public double prior = FocalInit.DEFAULT_PRIOR;
        public int trainImages = 512;
        public int testImages = 256;
        public int batch = 16;
        /** Progress bar on stderr and a DL4J score line every 32 iterations. */
        public boolean verbose = true;

        public Settings epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Settings learningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Settings prior(double prior) {
            this.prior = prior;
            return this;
        }

        public Settings verbose(boolean verbose) {
            this.verbose = verbose;
            return this;
        }
    }

    /** One configuration's outcome. */
    public static final class Result {
        public final String name;
        public final double[] ap50;
        public final double meanAp50;
        public final double trainSeconds;
        /** Mean training loss of each epoch. */
        public final double[] epochLoss;
        /** The trained network (for further analysis, e.g. {@link LossCdf}). */
        public final ComputationGraph net;

        Result(String name, double[] ap50, double trainSeconds, double[] epochLoss, ComputationGraph net) {
            this.name = name;
            this.ap50 = ap50;
            double mean = 0;
            for (double ap : ap50) {
                mean += ap / ap50.length;
            }
            this.meanAp50 = mean;
            this.trainSeconds = trainSeconds;
            this.epochLoss = epochLoss;
            this.net = net;
        }

        public double firstLoss() {
            return epochLoss[0];
        }

        public double lastLoss() {
            return epochLoss[epochLoss.length - 1];
        }
    }

    private DenseDetectionDemo() {
    }

    public static void main(String[] args) {
        Settings settings = new Settings();
        if (args.length > 0) {
            settings.epochs(Integer.parseInt(args[0]));
        }
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        if (args.length > 2) {
            settings.learningRate(Double.parseDouble(args[2]));
        }
        List<Result> results = new ArrayList<>();
        results.add(run("α-balanced CE (γ=0, α=0.75)", new LossFocal(0.75, 0), settings, seed));
        results.add(run("FL (γ=2, α=0.25)", new LossFocal(0.25, 2), settings, seed));
        results.add(run("FL* (γ=2, β=1, α=0.25)", new LossFocalStar(0.25, 2, 1), settings, seed));
        System.out.println();
        System.out.println("| loss | AP50 square | AP50 h-bar | AP50 v-bar | mean AP50 | train s |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.0f |%n", r.name, r.ap50[0], r.ap50[1],
                    r.ap50[2], r.meanAp50, r.trainSeconds);
        }
    }

    /** The detector: backbone, classification subnet with prior π, anchor loss layer. */
    public static ComputationGraphConfiguration network(ILossFunction loss, double learningRate, double prior,
                                                        long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(learningRate)).weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("image")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(16).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "image")
                .addLayer("c2", new ConvolutionLayer.Builder(3, 3).stride(STRIDE, STRIDE).nIn(16).nOut(32)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), "c1");
        String logits = ClassificationSubnet.builder().convs(2).width(32).anchors(ANCHORS.anchorsPerLocation())
                .classes(K).prior(prior).build().addTo(g, "cls_", "c2", 32);
        if (!logits.equals(LOGITS)) {
            throw new IllegalStateException("logits layer is " + logits);
        }
        g.addLayer("loss", new AnchorLossLayer.Builder(loss).build(), logits);
        return g.setOutputs("loss").build();
    }

    /** Training images for a seed (the test set of a seed is drawn from seed + 1000). */
    public static SyntheticDetectionData.Set trainSet(Settings s, long seed) {
        return SyntheticDetectionData.generate(s.trainImages, SIZE, 3, seed);
    }

    public static SyntheticDetectionData.Set testSet(Settings s, long seed) {
        return SyntheticDetectionData.generate(s.testImages, SIZE, 3, seed + 1000);
    }

    /** Trains on {@link #trainSet}, evaluates AP50 on {@link #testSet}. */
    public static Result run(String name, ILossFunction loss, Settings s, long seed) {
        SyntheticDetectionData.Set train = trainSet(s, seed);
        INDArray[] targets = SyntheticDetectionData.targets(train, ANCHORS, MAP, MAP, new AnchorTargets());
        ComputationGraph net = new ComputationGraph(network(loss, s.learningRate, s.prior, seed));
        net.init();

        int batches = train.size() / s.batch;
        double[] epochLoss = new double[s.epochs];
        long start = System.nanoTime();
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName(name).setInitialMax((long) s.epochs * batches)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate();
        if (!s.verbose) {
            bar.setConsumer(new DelegatingProgressBarConsumer(line -> { }));
        }
        try (ProgressBar pb = bar.build()) {
            net.setListeners(new BaseTrainingListener() {
                @Override
                public void iterationDone(Model model, int iteration, int epoch) {
                    pb.step();
                    pb.setExtraMessage(String.format(Locale.ROOT, "epoch %d loss %.4f", epoch + 1, model.score()));
                }
            });
            if (s.verbose) {
                net.addListeners(new ScoreIterationListener(32));
            }
            for (int epoch = 0; epoch < s.epochs; epoch++) {
                double sum = 0;
                for (int b = 0; b < batches; b++) {
                    INDArray x = train.images.get(NDArrayIndex.interval((long) b * s.batch, (long) (b + 1) * s.batch));
                    INDArray y = targets[0].get(NDArrayIndex.interval((long) b * s.batch, (long) (b + 1) * s.batch));
                    INDArray m = targets[1].get(NDArrayIndex.interval((long) b * s.batch, (long) (b + 1) * s.batch));
                    net.fit(new MultiDataSet(new INDArray[] {x}, new INDArray[] {y}, null, new INDArray[] {m}));
                    sum += net.score();
                }
                epochLoss[epoch] = sum / batches;
                net.incrementEpochCount();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] ap = evaluate(net, testSet(s, seed));
        Result r = new Result(name, ap, seconds, epochLoss, net);
        if (s.verbose) {
            System.out.printf(Locale.ROOT, "%s: mean train loss %.4f -> %.4f, AP50 %.3f / %.3f / %.3f, mean %.3f (%.0f s)%n",
                    name, r.firstLoss(), r.lastLoss(), ap[0], ap[1], ap[2], r.meanAp50, seconds);
        }
        return r;
    }

    /** Per-class AP at IoU 0.5 of the network's detections (score ≥ 0.05, NMS 0.5, ≤ 100 per image). */
    public static double[] evaluate(ComputationGraph net, SyntheticDetectionData.Set test) {
        List<Detection> detections = new ArrayList<>();
        double[][] anchors = ANCHORS.anchors(MAP, MAP);
        for (int from = 0; from < test.size(); from += 64) {
            int to = Math.min(test.size(), from + 64);
            INDArray probabilities = net.outputSingle(test.images.get(NDArrayIndex.interval(from, to)));
            for (int i = from; i < to; i++) {
                INDArray p = probabilities.get(NDArrayIndex.point(i - from));
                detections.addAll(DetectionEval.decode(i, p, anchors, K, 0.05, 0.5, 100));
            }
        }
        double[] ap = new double[K];
        for (int c = 0; c < K; c++) {
            ap[c] = DetectionEval.averagePrecision(detections, test.boxes, test.classes, c, 0.5);
        }
        return ap;
    }
}
