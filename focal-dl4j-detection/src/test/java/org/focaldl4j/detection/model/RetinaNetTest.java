package org.focaldl4j.detection.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.eval.CocoEvaluator;
import org.focaldl4j.detection.eval.DetectionPicture;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/** The detector end to end on a handful of drawn boxes: it trains, decodes boxes, and is evaluated the COCO way. */
class RetinaNetTest {

    static final int SIZE = TinyDetection.SIZE;

    @Test
    void trainsDecodesAndEvaluates(@TempDir Path dir) throws Exception {
        RetinaNet retinaNet = TinyDetection.detector();
        ComputationGraph net = retinaNet.network();
        DetectionImages data = TinyDetection.canvases(16, 1);
        AsyncMultiDataSetIterator it = data.prefetching(retinaNet.targets(), 8, 2);
        assertTrue(it.hasNext());
        MultiDataSet first = it.next();
        assertArrayEquals(new long[] {8, 9, 16 + 4}, first.getLabels(0).shape());       // [B, A, M], M = 4·4 + 2·2
        assertArrayEquals(new long[] {8, 36, 20}, first.getLabels(1).shape());
        assertArrayEquals(new long[] {8, 9, 20}, first.getLabelsMaskArray(1).shape());
        it.reset();
        net.fit(first);
        double start = net.score();
        for (int epoch = 0; epoch < 25; epoch++) {
            it.reset();
            while (it.hasNext()) {
                net.fit(it.next());
            }
        }
        it.shutdown();
        net.fit(first);
        double end = net.score();
        assertTrue(end < 0.5 * start, "loss " + start + " -> " + end);

        List<List<Detection>> detections = retinaNet.detect(net, data.images(0, 16));
        assertEquals(16, detections.size());
        for (List<Detection> image : detections) {
            assertTrue(image.size() <= 100);
            for (Detection d : image) {
                double[] b = d.box();
                assertTrue(b[0] >= 0 && b[1] >= 0 && b[2] <= SIZE && b[3] <= SIZE, "clipped: " + d);
                assertTrue(d.score() > 0.05);
            }
        }
        CocoEvaluator.Stats stats = CocoEvaluator.evaluate(CocoDataset.of(data, List.of("wide", "tall")),
                CocoDataset.results(detections));
        assertTrue(stats.get("AP50") > 0.3, "AP50 on the training canvases: " + stats.get("AP50"));

        BufferedImage picture = DetectionPicture.draw(data.images(0, 4), detections.subList(0, 4),
                new double[][][] {data.boxes(0), data.boxes(1), data.boxes(2), data.boxes(3)},
                new int[][] {data.classes(0), data.classes(1), data.classes(2), data.classes(3)}, List.of("wide", "tall"), 2, 3);
        assertEquals(2 * (SIZE * 3 + 4) + 4, picture.getWidth());
        DetectionPicture.write(dir.resolve("d.png"), picture);
        assertTrue(dir.resolve("d.png").toFile().length() > 100);
    }

    /** A fresh detector network with a moving-average normaliser in the given workspace and cache modes. */
    private static ComputationGraph fresh(WorkspaceMode mode, CacheMode cache) {
        ComputationGraph net = new ComputationGraph(TinyDetection.small()
                .normaliser(PositiveNormaliser.movingAverage(0.9, 10)).workspaceMode(mode).cacheMode(cache).build()
                .configuration());
        net.init();
        return net;
    }

    /** Minibatches of 8 canvases (seed 5). */
    private static List<MultiDataSet> batches(int steps) {
        RetinaNet r = TinyDetection.detector();
        MultiDataSetIterator it = TinyDetection.canvases(8 * steps, 5).iterator(r.targets(), 8);
        List<MultiDataSet> out = new java.util.ArrayList<>();
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    /**
     * Workspaces change nothing: with {@code ENABLED} a network trains to the same bits as with {@code NONE},
     * also while another network trains on the same thread in between (DL4J's workspaces are per thread; the
     * shared heads' SameDiff once read stale memory there and returned weight gradients of 1e22), and training
     * resumed from a {@code ModelSerializer} checkpoint continues as if uninterrupted. The builder's default
     * layer cache ({@code CacheMode.DEVICE}: backprop reuses the forward pass's im2col matrices) trains to the
     * bits of DL4J's {@code CacheMode.NONE}.
     */
    @Test
    void workspaceModesAndCheckpointsTrainBitIdentically(@TempDir Path dir) throws Exception {
        List<MultiDataSet> data = batches(4);
        ComputationGraph none = fresh(WorkspaceMode.NONE, CacheMode.NONE);
        ComputationGraph enabled = fresh(WorkspaceMode.ENABLED, CacheMode.DEVICE);
        ComputationGraph uncached = fresh(WorkspaceMode.ENABLED, CacheMode.NONE);
        ComputationGraph other = fresh(WorkspaceMode.ENABLED, CacheMode.DEVICE);
        assertEquals(CacheMode.DEVICE, TinyDetection.detector().network().getLayer("backbone_conv1").conf().getCacheMode());
        Path file = dir.resolve("half.zip");
        for (int s = 0; s < data.size(); s++) {
            none.fit(data.get(s));
            enabled.fit(data.get(s));
            uncached.fit(data.get(s));
            other.fit(data.get(data.size() - 1 - s));
            other.fit(data.get(s));
            assertEquals(none.params(), enabled.params(), "step " + s);
            assertEquals(none.params(), uncached.params(), "step " + s);
            if (s == 1) {
                ModelSerializer.writeModel(enabled, file.toFile(), true);     // a checkpoint halfway
            }
        }
        assertEquals(none.getUpdater().getStateViewArray(), enabled.getUpdater().getStateViewArray());
        // The moving-average normaliser moved away from n0 = 10.
        double n = enabled.getLayer("box").getParam(PositiveNormaliser.PARAMETER).getDouble(0);
        assertTrue(n != 10 && n > 0, "normaliser " + n);

        ComputationGraph resumed = ModelSerializer.restoreComputationGraph(file.toFile(), true);
        for (int s = 2; s < data.size(); s++) {
            resumed.fit(data.get(s));
        }
        assertEquals(enabled.params(), resumed.params());
    }

    @Test
    void gradientNormalisationReachesEveryLayerAndHeadAndBoundsTheStep() {
        double bound = 1e-4;
        RetinaNet r = TinyDetection.small().updater(new org.nd4j.linalg.learning.config.Sgd(1.0)).weightDecay(0)
                .gradientNormalization(org.deeplearning4j.nn.conf.GradientNormalization.ClipElementWiseAbsoluteValue, bound)
                .build();
        ComputationGraph net = r.network();
        int trainable = 0;
        for (org.deeplearning4j.nn.graph.vertex.GraphVertex t : net.getVertices()) {
            if (t.numParams() > 0) {
                assertEquals(org.deeplearning4j.nn.conf.GradientNormalization.ClipElementWiseAbsoluteValue,
                        t.getConfig().getGradientNormalization(), t.getConfig().getLayerName());
                assertEquals(bound, t.getConfig().getGradientNormalizationThreshold(), 0, t.getConfig().getLayerName());
                trainable++;
            }
        }
        assertTrue(trainable >= 7, "backbone, pyramid and both heads: " + trainable);
        // plain SGD at rate 1 with every gradient entry clipped to ±bound: no parameter moves further than bound (the
        // shared heads too: DL4J's SameDiff vertex gave the updater no gradient view to clip, and they moved by 0.45)
        INDArray before = net.params().dup();
        net.fit(batches(1).get(0));
        double moved = net.params().sub(before).amaxNumber().doubleValue();
        double rounding = 4 * Math.ulp(before.amaxNumber().floatValue());      // FLOAT parameters of up to |p|
        assertTrue(moved <= bound + rounding && moved > bound / 2, "largest parameter change " + moved);
        assertEquals(conf(r), ComputationGraphConfiguration.fromJson(conf(r).toJson()));
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> TinyDetection.small().gradientNormalization(
                    org.deeplearning4j.nn.conf.GradientNormalization.ClipL2PerLayer, bad).build(), "threshold " + bad);
        }
        assertThrows(IllegalArgumentException.class, () -> TinyDetection.small().gradientNormalization(null, 1).build());
    }

    private static ComputationGraphConfiguration conf(RetinaNet r) {
        return r.configuration();
    }

    @Test
    void configurationSurvivesJson() {
        ComputationGraphConfiguration conf = TinyDetection.detector().configuration();
        assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()));
    }

    @Test
    void refusesInconsistentSettings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RetinaNet.builder()
                .input(36, 36, 1).classes(2).backbone(Backbones.tiny(4)).anchors(AnchorPyramid.of(2, 8, 16)).build());
        assertTrue(e.getMessage().contains("multiple of the coarsest stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RetinaNet.builder().input(32, 32, 1).classes(2)
                .backbone(Backbones.tiny(4)).anchors(AnchorPyramid.of(2, 4, 8)).build().configuration());
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TinyDetection.small().cacheMode(null).build());
        assertTrue(e.getMessage().contains("cache mode") && e.getMessage().contains("null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TinyDetection.small().workspaceMode(null).build());
        assertTrue(e.getMessage().contains("workspace mode") && e.getMessage().contains("null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TinyDetection.small().workspaceMode(WorkspaceMode.NONE)
                .build());
        assertTrue(e.getMessage().contains("DEVICE") && e.getMessage().contains("WorkspaceMode.NONE"), e.getMessage());
        INDArray wrong = Nd4j.zeros(1, 1, 16, 16);
        assertThrows(IllegalArgumentException.class, () -> TinyDetection.detector().detect(TinyDetection.detector().network(), wrong));
    }

    @Test
    void postProcessingRefusesNonsense() {
        RetinaNet r = TinyDetection.detector();
        INDArray p = Nd4j.zeros(1, 18, 20);
        INDArray d = Nd4j.zeros(1, 36, 20);
        assertEquals(List.of(List.of()), r.decode(p, d, 0.05, 10, 0.5, 100));
        assertThrows(IllegalArgumentException.class, () -> r.decode(p, d, 0.05, 0, 0.5, 100));
        assertThrows(IllegalArgumentException.class, () -> r.decode(p, d, Double.NaN, 10, 0.5, 100));
        assertThrows(IllegalArgumentException.class, () -> r.decode(null, d, 0.05, 10, 0.5, 100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> r.decode(p.dup().putScalar(0, 3, 7, Double.NaN), d, 0.05, 10, 0.5, 100));
        assertTrue(e.getMessage().contains("channel 3, location 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> r.decode(p.dup().putScalar(0, 0, 0, 0.9), d.dup().putScalar(0, 2, 0, Double.POSITIVE_INFINITY),
                        0.05, 10, 0.5, 100));
        // Detections of image i must sit in list i for COCO ids.
        Detection elsewhere = new Detection(1, 0, 0.5, new double[] {1, 1, 5, 5});
        assertThrows(IllegalArgumentException.class, () -> CocoDataset.results(List.of(List.of(elsewhere))));
    }
}
