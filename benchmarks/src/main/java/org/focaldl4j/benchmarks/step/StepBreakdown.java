package org.focaldl4j.benchmarks.step;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionCanvases;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.FashionMnist;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * Where a training step of the demo's detector goes: medians over repeated steps of
 * <ul>
 *   <li>data + targets: one batch of the synchronous iterator (canvases to tensors, {@code AnchorTargets}
 *       per image); the demo makes them on a prefetch thread, beside the step;</li>
 *   <li>forward: {@code feedForward(train = true)} of the whole graph;</li>
 *   <li>forward + loss + backward: {@code computeGradientAndScore};</li>
 *   <li>the whole step: {@code fit} (the above plus the updater);</li>
 *   <li>the loss layers alone: each output layer's score and gradient on its cached input (this library's
 *       {@code AnchorLossLayer} and {@code BoxRegressionLossLayer});</li>
 *   <li>inference of one batch ({@code output}) and post-processing ({@link RetinaNet#detect} minus that:
 *       decoding, top-k, NMS).</li>
 * </ul>
 * Run, after {@code mvn -B -q -pl benchmarks -am install -DskipTests}: {@code MAVEN_OPTS=--add-modules=jdk.incubator.vector
 * mvn -B -q -pl benchmarks -Ponednn exec:java@step -Dexec.mainClass=org.focaldl4j.benchmarks.step.StepBreakdown
 * [-Dexec.args="REPS"]} (default 30; without the module the losses run their scalar kernels); it prints a Markdown table
 * (docs/performance.md quotes it). The set-up is the demo's: one ND4J thread, DL4J's oneDNN helpers, the detector's layer cache, the ND4J
 * build of the class path (oneDNN with {@code -Ponednn}, as in the examples module). {@link StepSpeed} compares set-ups and profiles them.
 */
public final class StepBreakdown {

    private StepBreakdown() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        if (reps < 1) {
            throw new IllegalArgumentException("REPS must be at least 1; got " + reps);
        }
        FashionDetector.oneNd4jThread();                                      // the demo's set-up
        FashionDetector.dl4jOneDnnHelpers();
        FashionDetector.Settings s = new FashionDetector.Settings();
        FashionMnist.Items items = FashionMnist.load(FashionMnist.Source.SUBSET, true);
        DetectionImages train = FashionCanvases.generate(items, 320, FashionDetector.SIZE, 16, 40, 0.3, 1);
        RetinaNet retinaNet = FashionDetector.detector(s, 1);
        ComputationGraph net = retinaNet.network();
        MultiDataSetIterator it = train.iterator(retinaNet.targets(), s.batch);
        MultiDataSet first = next(it);
        net.fit(first);
        for (int i = 0; i < 10; i++) {                                              // warm-up: JIT, workspaces
            net.fit(next(it));
        }
        double[] data = new double[reps];
        double[] forward = new double[reps];
        double[] gradient = new double[reps];
        double[] fit = new double[reps];
        double[] lossLayers = new double[reps];
        double[] detect = new double[reps];
        double[] inference = new double[reps];
        String[] outputs = net.getConfiguration().getNetworkOutputs().toArray(new String[0]);
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            MultiDataSet batch = next(it);
            data[r] = ms(t0);

            t0 = System.nanoTime();
            java.util.Map<String, INDArray> acts = net.feedForward(batch.getFeatures(), true, false);
            forward[r] = ms(t0);

            lossLayers[r] = lossLayers(net, outputs, acts, batch);

            net.setInputs(batch.getFeatures());
            net.setLabels(batch.getLabels());
            net.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
            t0 = System.nanoTime();
            net.computeGradientAndScore();
            gradient[r] = ms(t0);
            net.clearLayerMaskArrays();

            t0 = System.nanoTime();
            net.fit(batch);
            fit[r] = ms(t0);

            t0 = System.nanoTime();
            net.output(false, batch.getFeatures(0));
            inference[r] = ms(t0);

            t0 = System.nanoTime();
            List<List<Detection>> found = retinaNet.detect(net, batch.getFeatures(0));
            detect[r] = ms(t0);
            if (found.size() != batch.getFeatures(0).size(0)) {
                throw new IllegalStateException("detect returned " + found.size() + " images");
            }
        }
        // Whole epochs of the 20 batches, the batches made on the training thread or prefetched beside it (the demo's
        // AsyncMultiDataSetIterator, queue 4), alternating: time per step.
        List<Double> synchronous = new ArrayList<>();
        List<Double> prefetched = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            synchronous.add(epoch(net, train.iterator(retinaNet.targets(), s.batch)));
            prefetched.add(epoch(net, train.prefetching(retinaNet.targets(), s.batch, 4)));
        }
        double step = median(fit);
        System.out.printf(Locale.ROOT, "| phase (batch %d, 64×64, %d steps, medians) | ms | share of a fit step |%n", s.batch,
                reps);
        System.out.println("|---|---:|---:|");
        row("data + targets (synchronous iterator; the demo prefetches it on another thread)", median(data), step);
        row("forward (`feedForward`, train)", median(forward), step);
        row("forward + loss + backward (`computeGradientAndScore`)", median(gradient), step);
        row("updater and the rest (`fit` − `computeGradientAndScore`)", step - median(gradient), step);
        row("**whole step (`fit`)**", step, step);
        row("of which: this library's loss layers (score + gradient, both outputs)", median(lossLayers), step);
        row("inference of one batch (`output`)", median(inference), step);
        row("post-processing of one batch (`RetinaNet.detect` − `output`: decode, top-k, NMS)",
                median(detect) - median(inference), step);
        row("epoch of training, per step: batches made on the training thread (median of 3 epochs)",
                median(synchronous.stream().mapToDouble(Double::doubleValue).toArray()), step);
        row("epoch of training, per step: batches prefetched beside the step (the demo's iterator)",
                median(prefetched.stream().mapToDouble(Double::doubleValue).toArray()), step);
        System.out.printf(Locale.ROOT, "%nJava %s, %d cores; %s; ND4J build: %s.%n",
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                FashionDetector.nd4jThreads(), FashionDetector.nd4jBuild());
    }

    /** Score and gradient of every output layer on its input from {@code acts} (its share of the step). */
    private static double lossLayers(ComputationGraph net, String[] outputs, java.util.Map<String, INDArray> acts,
                                     MultiDataSet batch) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        long t0 = System.nanoTime();
        for (int i = 0; i < outputs.length; i++) {
            Layer layer = net.getLayer(outputs[i]);
            String input = net.getConfiguration().getVertexInputs().get(outputs[i]).get(0);
            layer.setInput(acts.get(input), mgr);
            layer.setMaskArray(batch.getLabelsMaskArray(i));
            IOutputLayer out = (IOutputLayer) layer;
            out.setLabels(batch.getLabels(i));
            layer.backpropGradient(null, mgr);                  // DL4J's order: gradient, then the score of the same pass
            out.computeScore(0, true, mgr);
            layer.clear();
        }
        return ms(t0);
    }

    /** One pass over {@code it}, one {@code fit} per batch on this thread; ms per step. */
    private static double epoch(ComputationGraph net, MultiDataSetIterator it) {
        long t0 = System.nanoTime();
        int steps = 0;
        try {
            while (it.hasNext()) {
                net.fit(it.next());
                steps++;
            }
        } finally {
            if (it instanceof org.nd4j.linalg.dataset.AsyncMultiDataSetIterator) {
                ((org.nd4j.linalg.dataset.AsyncMultiDataSetIterator) it).shutdown();
            }
        }
        return ms(t0) / steps;
    }

    private static MultiDataSet next(MultiDataSetIterator it) {
        if (!it.hasNext()) {
            it.reset();
        }
        return it.next();
    }

    private static void row(String what, double ms, double step) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.0f %% |%n", what, ms, 100 * ms / step);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] v) {
        return StepSpeed.median(v);
    }
}
