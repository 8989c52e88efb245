package org.focaldl4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.Backbone;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The detector of the Fashion-MNIST examples, shared by the demo, the experiment and the step-time tools: 64×64
 * single-channel canvases, 10 classes, {@link Backbones#tiny} (optionally pretrained as a classifier of the
 * 28×28 items), a 2-level pyramid (strides 8 and 16, anchors of base 2·stride, A = 9), heads of two convs of
 * 2·width, {@code LossFocal} (γ = 2, α = 0.25), smooth-L1 with β = 0.1, Adam, no weight decay; and the ND4J
 * thread set-up the examples run on.
 */
public final class FashionDetector {

    /** The canvases' side, pixels. */
    public static final int SIZE = 64;

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

    private FashionDetector() {
    }

    /** The detector of these settings. */
    public static RetinaNet detector(Settings s, long seed) {
        return builder(s, seed).build();
    }

    /** The detector's builder, for variants of it (the step-time tools in {@code benchmarks}). */
    public static RetinaNet.Builder builder(Settings s, long seed) {
        return RetinaNet.builder().input(SIZE, SIZE, 1).classes(FashionMnist.CLASS_NAMES.size())
                .backbone(Backbones.tiny(s.width)).anchors(AnchorPyramid.of(2, 8, 16))
                .fpnChannels(2 * s.width).heads(2, 2 * s.width)
                .classLoss(new LossFocal(0.25, 2)).boxBeta(0.1).updater(new Adam(s.learningRate)).weightDecay(0)
                .seed(seed);
    }

    /**
     * DL4J 1.0.0-M2.1's system property that keeps its layer helpers (cuDNN, oneDNN) off unless set to "false".
     * With it "false" and {@code focal-dl4j-onednn} on the class path, DL4J's convolution layers run on oneDNN
     * when ND4J's oneDNN build is loaded (docs/performance.md).
     */
    public static final String DL4J_HELPERS_DISABLED = "org.eclipse.deeplearning4j.helpers.disable";

    /**
     * Lets DL4J create its oneDNN layer helpers for the networks built after this call: sets
     * {@link #DL4J_HELPERS_DISABLED} to "false" (JVM-wide; for an application's {@code main}) unless the property
     * already has a value (so {@code -Dorg.eclipse.deeplearning4j.helpers.disable=true} on the command line keeps
     * DL4J's own convolution path).
     */
    public static void dl4jOneDnnHelpers() {
        if (System.getProperty(DL4J_HELPERS_DISABLED) == null) {
            System.setProperty(DL4J_HELPERS_DISABLED, "false");
        }
    }

    /** Whether DL4J creates its layer helpers for networks built now ({@link #DL4J_HELPERS_DISABLED} is "false"). */
    public static boolean dl4jHelpersAllowed() {
        return !Boolean.parseBoolean(System.getProperty(DL4J_HELPERS_DISABLED, "true"));
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

    /** The CPU's model name from /proc/cpuinfo, for records and tables. */
    public static String cpu() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: the record says so
        }
        return "unknown CPU";
    }

    /** ND4J's native build in one line (OpenBLAS, oneDNN). */
    public static String nd4jBuild() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo().replace('\n', ' ').trim();
    }

    /** ND4J's thread settings in one line (for records and tables). */
    public static String nd4jThreads() {
        return "ND4J master threads " + Nd4j.getEnvironment().maxMasterThreads() + ", OpenBLAS threads "
                + Nd4j.factory().blas().getMaxThreads() + ", OpenMP threads "
                + NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /**
     * A step's loss split as DL4J's score hides it: the classification and box data losses, and the regularisation
     * (weight-decay) term that DL4J adds to the score of the network's first output ("cls").
     */
    public record StepLoss(double classification, double box, double regularisation) {
        /** Classification + box: what the detector's losses measure. */
        public double data() {
            return classification + box;
        }
    }

    /** One {@code fit} on {@code batch}, with its loss split; the regularisation is that of the step's starting parameters. */
    public static StepLoss fit(ComputationGraph net, MultiDataSet batch) {
        double regularisation = net.calcRegularizationScore(true);     // what fit adds to the first output's score
        net.fit(batch);
        return lastStepLoss(net, regularisation);
    }

    /** The split of the last computed score, given the regularisation term it included. */
    public static StepLoss lastStepLoss(ComputationGraph net, double regularisation) {
        return new StepLoss(net.getLayer("cls").score() - regularisation, net.getLayer("box").score(), regularisation);
    }

    /** The iterator's next batch, starting it again after its last: training for more steps than one epoch has. */
    public static MultiDataSet nextCycling(org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator it) {
        if (!it.hasNext()) {
            it.reset();
            if (!it.hasNext()) {
                throw new IllegalStateException("the training iterator has no batch after a reset");
            }
        }
        return it.next();
    }

    /**
     * One step with standard output silenced, for networks with SameDiff-run layers of their own: SameDiff
     * 1.0.0-M2.1 prints "Added differentiated op …" for every op while it builds a gradient function. The detector's
     * shared heads no longer do (their run-time vertex calls its ops directly); notebook 03 still calls this.
     */
    public static void fitQuietly(ComputationGraph net, MultiDataSet batch) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            net.fit(batch);
        } finally {
            System.setOut(out);
        }
    }

    /** Detections of every test canvas, in batches of 50; image indices are canvas indices. */
    public static List<List<Detection>> detect(RetinaNet retinaNet, ComputationGraph net, DetectionImages images) {
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
    public static ComputationGraph pretrainedBackbone(FashionMnist.Items items, Settings s, long seed) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().seed(seed)
                .dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.RELU).graphBuilder()
                .addInputs("image").setInputTypes(InputType.convolutional(FashionMnist.SIDE, FashionMnist.SIDE, 1));
        List<Backbone.FeatureMap> maps = Backbones.tiny(s.width).addTo(g, "image", 1);
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
    public static double accuracy(ComputationGraph classifier, FashionMnist.Items items) {
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
}
