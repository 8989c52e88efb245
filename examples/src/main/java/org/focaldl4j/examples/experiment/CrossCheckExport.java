package org.focaldl4j.examples.experiment;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.FashionMnist;
import org.focaldl4j.examples.experiment.ImbalanceStudy.Level;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Config;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Protocol;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Runner;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * Writes what the independent PyTorch implementation of the imbalance study ({@code torch_crosscheck.py}) trains and
 * is evaluated on, for one run of the study: the canvases (raw little-endian float32 [N, 1, S, S]), the training
 * canvases' anchor targets (class index per anchor as int8 [N, A, M]: k a class, K background, −1 ignored; box deltas
 * float32 [N, 4·A, M]), the anchors (float32 [A·M, 4], flat index A·m + a), the pretrained backbone's parameters
 * (float32, DL4J's [out, in, kH, kW] and [1, out], in the manifest's order), the COCO ground truth of the validation
 * and test canvases, and {@code manifest.json} with the run's protocol (level, configuration, seed, rate, schedule).
 *
 * <p>{@code mvn -B -q -pl examples exec:java -Dexec.mainClass=org.focaldl4j.examples.experiment.CrossCheckExport
 * -Dexec.args="out=DIR level=e1008 config=fl-g2-a0.25 seed=1 lr=0.005 iterations=1800"} (also {@code backbone},
 * {@code data}, {@code train}, {@code val}, {@code test}, {@code pretrain}).
 */
public final class CrossCheckExport {

    /** Training steps of the network whose outputs and losses the twin must reproduce. */
    static final int CHECK_STEPS = 20;
    /** The s.d. of the noise added to that network's classification output weights (the other head parameters: ¼). */
    static final double PERTURBATION = 0.2;

    private CrossCheckExport() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = Arguments.parse(args);
        for (String required : List.of("out", "level", "config", "seed", "lr", "iterations")) {
            if (!a.containsKey(required)) {
                throw new IllegalArgumentException("CrossCheckExport needs " + required + "=…; got " + a.keySet());
            }
        }
        Protocol base = new Protocol();
        for (Map.Entry<String, String> e : a.entrySet()) {
            switch (e.getKey()) {
                case "out", "level", "config", "seed", "lr", "iterations", "backbone" -> { }
                case "data", "train", "val", "test", "pretrain" -> Arguments.protocol(base, e.getKey(), e.getValue());
                default -> throw new IllegalArgumentException("unknown argument \"" + e.getKey() + "\"");
            }
        }
        Level level = ImbalanceStudy.level(a.get("level"));
        Config config = RetinaNetExperiment.config(a.get("config"));
        long seed = Arguments.atLeast("seed", a.get("seed"), 0);
        double lr = Arguments.positive("lr", a.get("lr"));
        int iterations = Arguments.atLeast("iterations", a.get("iterations"), 2);
        Path backboneDir = Paths.get(a.getOrDefault("backbone", "docs/results/retinanet"));
        Path out = Paths.get(a.get("out"));
        ImbalanceStudy study = new ImbalanceStudy(base, out, backboneDir, Long.MAX_VALUE, ImbalanceStudy.SCHEDULES);
        Protocol p = study.protocol(level, iterations);
        Runner runner = new Runner(p, out, backboneDir);
        DetectionImages[] canvases = runner.canvases(seed);
        DetectionImages test = runner.test();
        RetinaNet retinaNet = runner.detector(config, seed, lr, p.warmup, b -> b);
        ComputationGraph backbone = ModelSerializer.restoreComputationGraph(backboneDir.resolve("backbone.zip").toFile(),
                false);
        Files.createDirectories(out);
        AnchorTargets targets = retinaNet.targets();
        writeFloats(out.resolve("images_train.f32"), canvases[0].images(0, canvases[0].size()));
        writeFloats(out.resolve("images_val.f32"), canvases[1].images(0, canvases[1].size()));
        writeFloats(out.resolve("images_test.f32"), test.images(0, test.size()));
        writeTargets(out, canvases[0], targets);
        double[][] anchors = new double[targets.anchors().size()][];
        for (int i = 0; i < anchors.length; i++) {
            anchors[i] = targets.anchors().get(i);
        }
        writeFloats(out.resolve("anchors.f32"), anchors);
        List<Map<String, Object>> backboneParams = new ArrayList<>();
        try (OutputStream o = Files.newOutputStream(out.resolve("backbone.f32"))) {
            for (Layer layer : backbone.getLayers()) {
                String name = layer.conf().getLayer().getLayerName();
                if (name == null || !name.startsWith("backbone_") || layer.numParams() == 0) {
                    continue;
                }
                for (Map.Entry<String, INDArray> e : layer.paramTable().entrySet()) {
                    backboneParams.add(Map.of("vertex", name, "param", e.getKey(), "shape", e.getValue().shape()));
                    o.write(floats(e.getValue()));
                }
            }
        }
        // For the twin's check of its architecture and losses, a DL4J network trained for a few steps of this run (so that
        // its class logits differ across anchors and classes, not only the prior's bias): every parameter (name, DL4J
        // shape), its outputs (class logits, box deltas) on the first validation canvases, and its data losses on the
        // first training batch in order.
        ComputationGraph net = runner.network(retinaNet);
        org.nd4j.linalg.dataset.AsyncMultiDataSetIterator warm = runner.batches(canvases[0], retinaNet, seed);
        try {
            for (int step = 0; step < CHECK_STEPS; step++) {
                net.fit(FashionDetector.nextCycling(warm));
            }
        } finally {
            warm.shutdown();
        }
        // and its heads' parameters perturbed, so that each anchor's K logits differ clearly and every head parameter
        // shows in the outputs: a twin reading the channels in another order, or missing a bias, then gives other
        // outputs or losses (after 20 steps alone a channel-order mistake changed the loss by ~1e-5)
        java.util.Random noise = new java.util.Random(seed);
        for (String vertex : List.of("cls_head", "box_head")) {
            Map<String, INDArray> head = net.getVertex(vertex).paramTable(false);
            String lastConv = "W" + (head.size() / 2 - 1);
            for (Map.Entry<String, INDArray> e : new java.util.TreeMap<>(head).entrySet()) {
                // the class output's weights by PERTURBATION, every other head parameter (biases included) by a quarter
                double sd = vertex.equals("cls_head") && e.getKey().equals(lastConv) ? PERTURBATION : PERTURBATION / 4;
                double[] delta = new double[(int) e.getValue().length()];
                for (int i = 0; i < delta.length; i++) {
                    delta[i] = sd * noise.nextGaussian();
                }
                e.getValue().addi(Nd4j.create(delta, e.getValue().shape(), 'c').castTo(e.getValue().dataType()));
            }
        }
        List<Map<String, Object>> netParams = new ArrayList<>();
        try (OutputStream o = Files.newOutputStream(out.resolve("network.f32"))) {
            for (org.deeplearning4j.nn.graph.vertex.GraphVertex v : net.getVertices()) {
                if (v.numParams() == 0) {
                    continue;
                }
                for (Map.Entry<String, INDArray> e : v.paramTable(false).entrySet()) {
                    netParams.add(Map.of("vertex", v.getVertexName(), "param", e.getKey(), "shape", e.getValue().shape()));
                    o.write(floats(e.getValue()));
                }
            }
        }
        int checked = Math.min(8, canvases[1].size());
        Map<String, INDArray> acts = net.feedForward(canvases[1].images(0, checked), false);
        writeFloats(out.resolve("check_cls.f32"), acts.get("cls_head"));                // logits
        writeFloats(out.resolve("check_box.f32"), acts.get("box_head"));
        // and the data losses of the first training batch in order (the first 16 canvases, with the empty canvas of weight
        // E when the level has one), for the twin's check of its losses
        org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator first = canvases[0].iterator(targets, p.batch);
        if (p.emptyPerBatch > 0) {
            first.setPreProcessor(new EmptyCanvases(p.emptyPerBatch, targets, 1));
        }
        org.nd4j.linalg.dataset.api.MultiDataSet batch = first.next();
        double regularisation = net.calcRegularizationScore(true);
        net.setInputs(batch.getFeatures());
        net.setLabels(batch.getLabels());
        net.setLayerMaskArrays(null, batch.getLabelsMaskArrays());
        net.computeGradientAndScore();
        FashionDetector.StepLoss loss = FashionDetector.lastStepLoss(net, regularisation);
        Map<String, Object> firstBatch = Map.of("canvases", p.batch, "classification", loss.classification(), "box",
                loss.box());
        Files.writeString(out.resolve("gt_val.json"), CocoJson.write(CocoDataset.of(canvases[1], FashionMnist.CLASS_NAMES)),
                StandardCharsets.UTF_8);
        Files.writeString(out.resolve("gt_test.json"), CocoJson.write(CocoDataset.of(test, FashionMnist.CLASS_NAMES)),
                StandardCharsets.UTF_8);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", level.id());
        m.put("canvas", level.canvas());
        m.put("empty_per_batch", level.emptyPerBatch());
        m.put("config", config.id());
        m.put("family", config.family());
        m.put("alpha", config.alpha());
        m.put("gamma", config.gamma());
        m.put("prior", config.prior());
        m.put("seed", seed);
        m.put("learning_rate", lr);
        m.put("iterations", p.iterations);
        m.put("warmup", p.warmup);
        m.put("decay_at", RetinaNetExperiment.decayPoints(p.iterations, p.warmup));
        m.put("momentum", p.momentum);
        m.put("weight_decay", p.weightDecay);
        m.put("box_beta", p.boxBeta);
        m.put("batch", p.batch);
        m.put("width", p.width);
        m.put("classes", FashionMnist.CLASS_NAMES.size());
        m.put("anchors_per_location", targets.anchorsPerLocation());
        m.put("locations", targets.locations());
        m.put("strides", java.util.stream.IntStream.range(0, retinaNet.pyramid().levelCount())
                .mapToDouble(l -> retinaNet.pyramid().level(l).stride()).toArray());
        m.put("counts", Map.of("train", canvases[0].size(), "val", canvases[1].size(), "test", test.size()));
        m.put("backbone_params", backboneParams);
        m.put("network_params", netParams);
        m.put("checked_canvases", checked);
        m.put("checked_after_steps", CHECK_STEPS);
        m.put("checked_class_output_noise", PERTURBATION);
        m.put("checked_first_batch_losses", firstBatch);
        m.put("backbone_sha256", RetinaNetExperiment.sha256(backboneDir.resolve("backbone.zip")));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("manifest.json").toFile(), m);
        System.out.println("exported " + level.id() + " " + config.id() + " seed " + seed + " to " + out);
    }

    /** The training canvases' class indices (int8 [N, A, M]) and box deltas (float32 [N, 4·A, M]). */
    private static void writeTargets(Path out, DetectionImages train, AnchorTargets targets) throws IOException {
        try (OutputStream cls = Files.newOutputStream(out.resolve("targets_cls.i8"));
             OutputStream deltas = Files.newOutputStream(out.resolve("targets_deltas.f32"))) {
            for (int from = 0; from < train.size(); from += 100) {
                int to = Math.min(train.size(), from + 100);
                double[][][] boxes = new double[to - from][][];
                int[][] classes = new int[to - from][];
                for (int i = from; i < to; i++) {
                    boxes[i - from] = train.boxes(i);
                    classes[i - from] = train.classes(i);
                }
                INDArray[] t = targets.batch(boxes, classes);
                float[] c = t[0].dup('c').data().asFloat();
                byte[] b = new byte[c.length];
                for (int i = 0; i < c.length; i++) {
                    b[i] = (byte) c[i];
                }
                cls.write(b);
                deltas.write(floats(t[1]));
            }
        }
    }

    private static void writeFloats(Path file, INDArray a) throws IOException {
        try (OutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            o.write(floats(a));
        }
    }

    private static void writeFloats(Path file, double[][] rows) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(rows.length * 4 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double[] r : rows) {
            for (double v : r) {
                b.putFloat((float) v);
            }
        }
        Files.write(file, b.array());
    }

    private static byte[] floats(INDArray a) {
        float[] v = a.castTo(DataType.FLOAT).dup('c').data().asFloat();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
