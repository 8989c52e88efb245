package org.focaldl4j.examples.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Config;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Protocol;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Runner;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * What happens when FL (γ 2, α 0.25) at lr 0.01 sits on a plateau under the first protocol (protocol.json of the
 * imbalance study, "mechanisms.plateau"): the run re-made as it was, with the gradient's L2 norm of the trunk
 * (backbone and pyramid), the classification head and the box head at each of the first {@value #NORM_STEPS}
 * iterations (as the updater receives it: after the division by the minibatch), and, before and after training, the
 * ReLU channels of each layer that never fire on the validation canvases; two controls and two user-side remedies.
 * The norms are the gradients as computed, before DL4J's clipping in the clipped run; DL4J's ClipL2PerLayer takes each
 * shared head (its three convs) as one layer and each trunk conv as one. The heads' hidden activations are computed
 * here from the heads' parameters with the same convolution (the vertex does not expose them). The extra gradient
 * computation of the first iterations changes nothing in the training ({@code PlateauProbeTest}).
 *
 * <p>Runs, in order (each skipped when its record exists): {@code fl-lr0.01}, {@code fl-lr0.005}, {@code ce-lr0.01},
 * {@code fl-lr0.01-clip} (DL4J's ClipL2PerLayer at the median per-layer trunk norm of {@code fl-lr0.01}'s first
 * iterations), {@code fl-lr0.01-warmup150}. Records: {@code out}/NAME.json.
 *
 * <p>{@code mvn -B -q -pl examples exec:java -Dexec.mainClass=org.focaldl4j.examples.experiment.PlateauProbe}
 * [{@code -Dexec.args="key=value …"}]: {@code out} (docs/results/imbalance/plateau), {@code backbone}
 * (docs/results/retinanet), {@code iterations}, {@code warmup}, {@code train}, {@code val}, {@code test}, {@code data},
 * {@code pretrain} (for tests).
 */
public final class PlateauProbe {

    static final int NORM_STEPS = 100;

    private PlateauProbe() {
    }

    /** One probe run: configuration, rate, warm-up (× the protocol's), and whether gradients are clipped per layer. */
    record Probe(String name, Config config, double lr, int warmupFactor, boolean clip) {
    }

    static final List<Probe> PROBES = List.of(
            new Probe("fl-lr0.01", RetinaNetExperiment.FL_2, 0.01, 1, false),
            new Probe("fl-lr0.005", RetinaNetExperiment.FL_2, 0.005, 1, false),
            new Probe("ce-lr0.01", RetinaNetExperiment.CE_075, 0.01, 1, false),
            new Probe("fl-lr0.01-clip", RetinaNetExperiment.FL_2, 0.01, 1, true),
            new Probe("fl-lr0.01-warmup150", RetinaNetExperiment.FL_2, 0.01, 3, false));

    public static void main(String[] args) throws IOException {
        Protocol p = new Protocol();                                      // the first protocol, batches in order
        Path out = Paths.get("docs/results/imbalance/plateau");
        Path backbone = Paths.get("docs/results/retinanet");
        for (Map.Entry<String, String> e : Arguments.parse(args).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k.equals("grid") || !Arguments.protocol(p, k, v)) {
                switch (k) {
                    case "out" -> out = Paths.get(v);
                    case "backbone" -> backbone = Paths.get(v);
                    default -> throw new IllegalArgumentException("unknown argument \"" + k + "\"");
                }
            }
        }
        if (p.warmup < 1 || 3 * p.warmup >= p.iterations) {
            throw new IllegalArgumentException("need iterations > 3 × warmup >= 3 and canvases >= 1; got iterations "
                    + p.iterations + ", warmup " + p.warmup);
        }
        FashionDetector.oneNd4jThread();
        FashionDetector.dl4jOneDnnHelpers();
        Files.createDirectories(out);
        Runner runner = new Runner(p, out, backbone);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Map<String, Object>> done = new LinkedHashMap<>();
        for (Probe probe : PROBES) {
            Path file = out.resolve(probe.name + ".json");
            if (!Files.exists(file)) {
                double threshold = probe.clip ? clipThreshold(done.get("fl-lr0.01")) : Double.NaN;
                System.out.printf(Locale.ROOT, "%s: %s%n", java.time.LocalTime.now().withNano(0), probe.name);
                Map<String, Object> record = run(runner, probe, threshold);
                Path tmp = out.resolve(probe.name + ".json.tmp");
                json.writeValue(tmp.toFile(), record);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            Map<String, Object> record = json.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { });
            runner.checkReusable(file, record);                          // made under this protocol and backbone
            done.put(probe.name, record);
            Object val = done.get(probe.name).get("val");
            System.out.printf(Locale.ROOT, "  %s: validation AP %s%n", probe.name, val == null ? "— (non-finite)"
                    : ((Map<?, ?>) val).get("AP"));
        }
        writeTable(out.resolve("table.md"), done);
    }

    /**
     * table.md from the records: per run its AP, its data losses at five points of the schedule (means of 10
     * iterations), the gradient norms of the first iterations (median, maximum and where) and the dead channels.
     */
    @SuppressWarnings("unchecked")
    static void writeTable(Path file, Map<String, Map<String, Object>> runs) throws IOException {
        StringBuilder t = new StringBuilder("# The FL plateau at lr 0.01 (first protocol, seed 1): probe runs\n\n");
        t.append("| run | rate | warm-up | clip (L2 per layer) | val AP | test AP / AP50 | classification loss at 1, 100, "
                + "200, 300, last | box loss at 1, 300, last |\n|---|---:|---:|---:|---:|---|---|---|\n");
        for (Map<String, Object> r : runs.values()) {
            double[] cls = numbers(r.get("class_loss_curve"));
            double[] box = numbers(r.get("box_loss_curve"));
            Object clip = r.get("clip_l2_per_layer");
            t.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.4f | %.4f / %.4f | %s | %s |%n", r.get("probe"),
                    r.get("learning_rate"), r.get("warmup"), clip == null ? "—" : String.format(Locale.ROOT, "%.4f",
                    ((Number) clip).doubleValue()), stat(r, "val", "AP"), stat(r, "test", "AP"), stat(r, "test", "AP50"),
                    at(cls, 0, 99, 199, 299, cls.length - 1), at(box, 0, 299, box.length - 1)));
        }
        t.append("\nGradient L2 norms over the first ").append(NORM_STEPS).append(" iterations (after the division by the "
                + "minibatch; median / maximum @ iteration):\n\n| run | trunk | classification head | box head |\n"
                + "|---|---|---|---|\n");
        for (Map<String, Object> r : runs.values()) {
            t.append("| ").append(r.get("probe"));
            for (String g : List.of("grad_norm_trunk", "grad_norm_cls_head", "grad_norm_box_head")) {
                double[] v = numbers(r.get(g));
                int argmax = 0;
                for (int i = 1; i < v.length; i++) {
                    argmax = v[i] > v[argmax] ? i : argmax;
                }
                t.append(String.format(Locale.ROOT, " | %.3f / %.3f @ %d", median(v), v[argmax], argmax));
            }
            t.append(" |\n");
        }
        t.append("\nReLU channels that never fire on the 400 validation canvases, before → after training (of the "
                + "layer's channels):\n\n| run |");
        Map<String, Object> layers = (Map<String, Object>) runs.values().iterator().next().get("dead_channels_before");
        StringBuilder rule = new StringBuilder("|---|");
        for (String layer : layers.keySet()) {
            t.append(' ').append(layer).append(" |");
            rule.append("---|");
        }
        t.append('\n').append(rule).append('\n');
        for (Map<String, Object> r : runs.values()) {
            t.append("| ").append(r.get("probe"));
            Map<String, List<Number>> before = (Map<String, List<Number>>) r.get("dead_channels_before");
            Map<String, List<Number>> after = (Map<String, List<Number>>) r.get("dead_channels_after");
            if (after == null) {
                t.append(" | non-finite parameters after training |\n");
                continue;
            }
            for (String layer : layers.keySet()) {
                t.append(" | ").append(before.get(layer).get(0)).append(" → ").append(after.get(layer).get(0)).append(" / ")
                        .append(after.get(layer).get(1));
            }
            t.append(" |\n");
        }
        Files.writeString(file, t.toString());
    }

    private static double[] numbers(Object list) {
        return ((List<?>) list).stream().mapToDouble(x -> x instanceof Number n ? n.doubleValue() : Double.NaN).toArray();
    }

    private static double stat(Map<String, Object> r, String split, String name) {
        return r.get(split) == null ? Double.NaN : ((Number) ((Map<?, ?>) r.get(split)).get(name)).doubleValue();
    }

    /** The curve's means over 10 iterations ending at each of {@code ends}, comma-separated. */
    private static String at(double[] curve, int... ends) {
        StringBuilder out = new StringBuilder();
        for (int end : ends) {
            int e = Math.min(end, curve.length - 1);
            int from = Math.max(0, e - 9);
            double sum = 0;
            for (int i = from; i <= e; i++) {
                sum += curve[i];
            }
            out.append(out.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", sum / (e - from + 1)));
        }
        return out.toString();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The median of the unclipped run's per-layer trunk gradient norms over its first iterations. */
    static double clipThreshold(Map<String, Object> unclipped) {
        return median(numbers(unclipped.get("trunk_layer_norms_all")));
    }

    static Map<String, Object> run(Runner runner, Probe probe, double threshold) throws IOException {
        Protocol p = runner.protocol();
        long seed = 1;
        DetectionImages[] canvases = runner.canvases(seed);
        UnaryOperator<RetinaNet.Builder> remedy = probe.clip
                ? b -> b.gradientNormalization(GradientNormalization.ClipL2PerLayer, threshold) : b -> b;
        int warmup = p.warmup * probe.warmupFactor;
        RetinaNet retinaNet = runner.detector(probe.config, seed, probe.lr, warmup, remedy);
        ComputationGraph net = runner.network(retinaNet);
        Map<String, Object> deadBefore = deadChannels(net, canvases[1]);
        List<String> trunk = new ArrayList<>();
        for (GraphVertex v : net.getVertices()) {
            if (v.numParams() > 0 && (v.getVertexName().startsWith("backbone_") || v.getVertexName().startsWith("fpn_"))) {
                trunk.add(v.getVertexName());
            }
        }
        double[][] norms = new double[3][Math.min(NORM_STEPS, p.iterations)];       // trunk, cls head, box head
        List<Double> trunkLayers = new ArrayList<>();
        double[][] losses = new double[2][p.iterations];                              // classification, box
        AsyncMultiDataSetIterator it = runner.batches(canvases[0], retinaNet, seed);
        try {
            for (int step = 0; step < p.iterations; step++) {
                MultiDataSet batch = FashionDetector.nextCycling(it);
                if (step < NORM_STEPS) {
                    net.setInputs(batch.getFeatures());
                    net.setLabels(batch.getLabels());
                    net.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
                    net.computeGradientAndScore();
                    double n = batch.getFeatures(0).size(0);
                    double sum = 0;
                    for (String name : trunk) {
                        double l2 = net.getVertex(name).getGradientsViewArray().norm2Number().doubleValue() / n;
                        trunkLayers.add(l2);
                        sum += l2 * l2;
                    }
                    norms[0][step] = Math.sqrt(sum);
                    norms[1][step] = net.getVertex("cls_head").getGradientsViewArray().norm2Number().doubleValue() / n;
                    norms[2][step] = net.getVertex("box_head").getGradientsViewArray().norm2Number().doubleValue() / n;
                }
                FashionDetector.StepLoss loss = FashionDetector.fit(net, batch);
                losses[0][step] = loss.classification();
                losses[1][step] = loss.box();
            }
        } finally {
            it.shutdown();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("probe", probe.name);
        m.put("config", probe.config.id());
        m.put("learning_rate", probe.lr);
        m.put("warmup", warmup);
        m.put("clip_l2_per_layer", probe.clip ? threshold : null);
        m.put("protocol", p.describe());
        m.put("backbone_sha256", RetinaNetExperiment.sha256(runner.backbonePath()));
        boolean finite = RetinaNetExperiment.finite(net.params());       // a network gone non-finite is not evaluated
        m.put("finite", finite);
        m.put("val", finite ? runner.evaluate(retinaNet, net, canvases[1]) : null);
        m.put("test", finite ? runner.evaluate(retinaNet, net, runner.test()) : null);
        m.put("dead_channels_before", deadBefore);
        m.put("dead_channels_after", finite ? deadChannels(net, canvases[1]) : null);
        m.put("grad_norm_trunk", RetinaNetExperiment.round(norms[0], 6));
        m.put("grad_norm_cls_head", RetinaNetExperiment.round(norms[1], 6));
        m.put("grad_norm_box_head", RetinaNetExperiment.round(norms[2], 6));
        m.put("trunk_layers", trunk);
        m.put("trunk_layer_norms_all", RetinaNetExperiment.round(trunkLayers.stream().mapToDouble(Double::doubleValue)
                .toArray(), 6));
        m.put("class_loss_curve", RetinaNetExperiment.round(losses[0], 5));
        m.put("box_loss_curve", RetinaNetExperiment.round(losses[1], 5));
        m.put("vector_api_module", ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        return m;
    }

    /**
     * Per ReLU layer (the backbone's convs, each head's hidden convs), the channels whose output is ≤ 0 at every position
     * of every image of {@code images}, and the layer's channel count: {layer: [dead, channels]}.
     */
    static Map<String, Object> deadChannels(ComputationGraph net, DetectionImages images) {
        Map<String, boolean[]> fired = new LinkedHashMap<>();
        Conv2DConfig same3x3 = Conv2DConfig.builder().kH(3).kW(3).paddingMode(PaddingMode.SAME).build();
        for (int from = 0; from < images.size(); from += 50) {
            int to = Math.min(images.size(), from + 50);
            Map<String, INDArray> acts = net.feedForward(images.images(from, to), false);
            for (Map.Entry<String, INDArray> e : new java.util.TreeMap<>(acts).entrySet()) {     // conv0, conv1, …
                if (e.getKey().startsWith("backbone_conv")) {
                    mark(fired, e.getKey(), e.getValue());
                }
            }
            for (String head : List.of("cls_head", "box_head")) {
                Map<String, INDArray> params = net.getVertex(head).paramTable(false);
                for (String input : net.getConfiguration().getVertexInputs().get(head)) {
                    INDArray h = acts.get(input);
                    for (int i = 0; params.containsKey("W" + (i + 1)); i++) {         // hidden convs: all but the last
                        h = Transforms.relu(Nd4j.cnn().conv2d(h, params.get("W" + i), params.get("b" + i), same3x3), false);
                        mark(fired, head + "_hidden" + i, h);
                    }
                }
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, boolean[]> e : fired.entrySet()) {
            int dead = 0;
            for (boolean f : e.getValue()) {
                dead += f ? 0 : 1;
            }
            out.put(e.getKey(), new int[] {dead, e.getValue().length});
        }
        return out;
    }

    /** Marks the channels of {@code act} [N, C, H, W] with an output > 0 anywhere. */
    private static void mark(Map<String, boolean[]> fired, String layer, INDArray act) {
        INDArray max = act.castTo(DataType.DOUBLE).max(0, 2, 3);                      // [C]
        boolean[] f = fired.computeIfAbsent(layer, k -> new boolean[(int) max.length()]);
        double[] v = max.toDoubleVector();
        for (int c = 0; c < v.length; c++) {
            f[c] |= v[c] > 0;
        }
    }
}
