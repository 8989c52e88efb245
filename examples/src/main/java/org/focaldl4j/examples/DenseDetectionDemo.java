package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.anchor.AnchorGenerator;
import org.focaldl4j.anchor.AnchorLossLayer;
import org.focaldl4j.anchor.AnchorTargets;
import org.focaldl4j.anchor.ClassificationSubnet;
import org.focaldl4j.anchor.DetectionEval;
import org.focaldl4j.anchor.DetectionEval.Detection;
import org.focaldl4j.anchor.SyntheticDetectionData;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

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
 * the anchors themselves, decoded with per-class NMS ({@link DetectionEval}).
 *
 * <p>{@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.DenseDetectionDemo
 * [-Dexec.args="EPOCHS SEED"]}
 */
public final class DenseDetectionDemo {

    static final int SIZE = 48;
    static final int MAP = 24;
    static final int STRIDE = 2;
    static final int K = SyntheticDetectionData.CLASSES;
    static final AnchorGenerator ANCHORS = new AnchorGenerator(3 * STRIDE, AnchorGenerator.PAPER_SCALES,
            AnchorGenerator.PAPER_RATIOS, STRIDE);

    /** One configuration's outcome. */
    public static final class Result {
        public final String name;
        public final double[] ap50;
        public final double meanAp50;
        public final double trainSeconds;
        public final double firstLoss;
        public final double lastLoss;

        Result(String name, double[] ap50, double meanAp50, double trainSeconds, double firstLoss, double lastLoss) {
            this.name = name;
            this.ap50 = ap50;
            this.meanAp50 = meanAp50;
            this.trainSeconds = trainSeconds;
            this.firstLoss = firstLoss;
            this.lastLoss = lastLoss;
        }
    }

    private DenseDetectionDemo() {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        List<Result> results = new ArrayList<>();
        results.add(run("α-balanced CE (γ=0, α=0.75)", new LossFocal(0.75, 0), seed, epochs, true));
        results.add(run("FL (γ=2, α=0.25)", new LossFocal(0.25, 2), seed, epochs, true));
        results.add(run("FL* (γ=2, β=1, α=0.25)", new LossFocalStar(0.25, 2, 1), seed, epochs, true));
        System.out.println();
        System.out.println("| loss | AP50 square | AP50 h-bar | AP50 v-bar | mean AP50 | train s |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.0f |%n", r.name, r.ap50[0], r.ap50[1],
                    r.ap50[2], r.meanAp50, r.trainSeconds);
        }
    }

    static ComputationGraphConfiguration network(ILossFunction loss, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(2e-3)).weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("image")
                .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(16).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.RELU).build(), "image")
                .addLayer("c2", new ConvolutionLayer.Builder(3, 3).stride(STRIDE, STRIDE).nIn(16).nOut(32)
                        .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), "c1");
        String logits = ClassificationSubnet.builder().convs(2).width(32).anchors(ANCHORS.anchorsPerLocation())
                .classes(K).addTo(g, "cls_", "c2", 32);
        g.addLayer("loss", new AnchorLossLayer.Builder(loss).build(), logits);
        return g.setOutputs("loss").build();
    }

    /** Trains on 512 images (seed), evaluates AP50 on 128 others (seed + 1000). */
    public static Result run(String name, ILossFunction loss, long seed, int epochs, boolean verbose) {
        SyntheticDetectionData.Set train = SyntheticDetectionData.generate(512, SIZE, 3, seed);
        SyntheticDetectionData.Set test = SyntheticDetectionData.generate(128, SIZE, 3, seed + 1000);
        INDArray[] targets = SyntheticDetectionData.targets(train, ANCHORS, MAP, MAP, new AnchorTargets());
        ComputationGraph net = new ComputationGraph(network(loss, seed));
        net.init();

        int batch = 16;
        int batches = train.size() / batch;
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        long start = System.nanoTime();
        ProgressBarBuilder bar = new ProgressBarBuilder().setTaskName(name).setInitialMax((long) epochs * batches)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(1000).continuousUpdate();
        if (!verbose) {
            bar.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }));
        }
        try (ProgressBar pb = bar.build()) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                double sum = 0;
                for (int b = 0; b < batches; b++) {
                    INDArray x = train.images.get(NDArrayIndex.interval((long) b * batch, (long) (b + 1) * batch));
                    INDArray y = targets[0].get(NDArrayIndex.interval((long) b * batch, (long) (b + 1) * batch));
                    INDArray m = targets[1].get(NDArrayIndex.interval((long) b * batch, (long) (b + 1) * batch));
                    net.fit(new MultiDataSet(new INDArray[] {x}, new INDArray[] {y}, null, new INDArray[] {m}));
                    sum += net.score();
                    pb.step();
                }
                double mean = sum / batches;
                if (epoch == 0) {
                    firstLoss = mean;
                }
                lastLoss = mean;
                pb.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", mean));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<Detection> detections = new ArrayList<>();
        double[][] anchors = ANCHORS.anchors(MAP, MAP);
        INDArray probabilities = net.outputSingle(test.images);
        for (int i = 0; i < test.size(); i++) {
            INDArray p = probabilities.get(NDArrayIndex.point(i));
            detections.addAll(DetectionEval.decode(i, p, anchors, K, 0.05, 0.5, 100));
        }
        double[] ap = new double[K];
        double mean = 0;
        for (int c = 0; c < K; c++) {
            ap[c] = DetectionEval.averagePrecision(detections, test.boxes, test.classes, c, 0.5);
            mean += ap[c] / K;
        }
        if (verbose) {
            System.out.printf(Locale.ROOT, "%s: mean train loss %.4f -> %.4f, AP50 %.3f / %.3f / %.3f, mean %.3f (%.0f s)%n",
                    name, firstLoss, lastLoss, ap[0], ap[1], ap[2], mean, seconds);
        }
        return new Result(name, ap, mean, seconds, firstLoss, lastLoss);
    }
}
