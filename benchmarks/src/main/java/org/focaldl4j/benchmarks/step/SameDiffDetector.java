package org.focaldl4j.benchmarks.step;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.samediff.FocalLossOps;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The demo's detector ({@link FashionDetector#detector}) written as one SameDiff graph and trained by
 * {@code sd.fit}, for the step-time comparison of {@link StepSpeed}: the same layers (five 3×3
 * backbone convs with ReLU, a 2-level pyramid on strides 8 and 16, one classification and one box subnet
 * applied with the same weights to both levels), the same losses — {@link FocalLossOps#sigmoidFocal} over
 * the anchors that are not ignored plus smooth L1 (β) over the positive ones, both divided by the positive
 * anchors of the batch — and DL4J's initialisation (He normal for the backbone and pyramid, N(0, 0.01) and
 * the prior bias for the subnets). {@link #inputs} turns the detection iterator's batch (integer labels)
 * into the graph's dense placeholders. Not thread-safe (one SameDiff instance).
 */
final class SameDiffDetector {

    private static final int ANCHORS = 9;
    private static final Conv2DConfig SAME_3X3 = Conv2DConfig.builder().kH(3).kW(3).paddingMode(PaddingMode.SAME).build();

    private final SameDiff sd = SameDiff.create();
    private final int classes;
    private final int[] levelSizes;
    private final java.util.Random random;

    /**
     * @param width   the backbone width (the demo's 16)
     * @param size    input side (64, a multiple of 16)
     * @param classes K
     * @param boxBeta β of smooth L1 (the demo's 0.1)
     */
    SameDiffDetector(int width, int size, int classes, double alpha, double gamma, double boxBeta, IUpdater updater,
                     long seed) {
        if (width < 1 || size < 16 || size % 16 != 0 || classes < 1 || !(boxBeta > 0) || updater == null) {
            throw new IllegalArgumentException("SameDiffDetector needs width >= 1, size a multiple of 16, classes >= 1, "
                    + "boxBeta > 0 and an updater; got " + width + ", " + size + ", " + classes + ", " + boxBeta + ", "
                    + updater);
        }
        this.classes = classes;
        this.levelSizes = new int[] {size / 8, size / 16};
        this.random = new java.util.Random(seed);
        int m = levelSizes[0] * levelSizes[0] + levelSizes[1] * levelSizes[1];
        SDVariable image = sd.placeHolder("image", DataType.FLOAT, -1, 1, size, size);
        SDVariable clsLabels = sd.placeHolder("clsLabels", DataType.FLOAT, -1, (long) ANCHORS * classes, m);
        SDVariable clsMask = sd.placeHolder("clsMask", DataType.FLOAT, -1, (long) ANCHORS * classes, m);
        SDVariable boxTargets = sd.placeHolder("boxTargets", DataType.FLOAT, -1, 4L * ANCHORS, m);
        SDVariable boxMask = sd.placeHolder("boxMask", DataType.FLOAT, -1, 4L * ANCHORS, m);
        SDVariable perPositive = sd.placeHolder("perPositive", DataType.FLOAT, 1, 1);

        int[] out = {width, 2 * width, 2 * width, 4 * width, 4 * width};
        SDVariable h = image;
        List<SDVariable> maps = new ArrayList<>();
        int in = 1;
        for (int i = 0; i < out.length; i++) {
            int s = i == 0 ? 1 : 2;
            Conv2DConfig c = Conv2DConfig.builder().kH(3).kW(3).sH(s).sW(s).paddingMode(PaddingMode.SAME).build();
            h = sd.nn.relu(sd.cnn.conv2d(h, he("backbone_W" + i, 3, in, out[i]), zeros("backbone_b" + i, out[i]), c), 0);
            maps.add(h);
            in = out[i];
        }
        int f = 2 * width;
        Conv2DConfig oneByOne = Conv2DConfig.builder().kH(1).kW(1).paddingMode(PaddingMode.VALID).build();
        SDVariable top = sd.cnn.conv2d(maps.get(4), he("fpn_lateral1_W", 1, 4 * width, f), zeros("fpn_lateral1_b", f),
                oneByOne);
        SDVariable merged = sd.cnn.conv2d(maps.get(3), he("fpn_lateral0_W", 1, 4 * width, f), zeros("fpn_lateral0_b", f),
                oneByOne).add(sd.cnn.upsampling2d(top, 2, 2, true));
        SDVariable[] levels = {
            sd.cnn.conv2d(merged, he("fpn_p0_W", 3, f, f), zeros("fpn_p0_b", f), SAME_3X3),
            sd.cnn.conv2d(top, he("fpn_p1_W", 3, f, f), zeros("fpn_p1_b", f), SAME_3X3)};
        SDVariable logits = head("cls", levels, f, classes, FocalInit.priorBias(FocalInit.DEFAULT_PRIOR)).rename("logits");
        SDVariable deltas = head("box", levels, f, 4, 0.0).rename("deltas");

        SDVariable focal = FocalLossOps.sigmoidFocal(sd, "focal", clsLabels, logits, clsMask, alpha, gamma,
                LossReduce.SUM);
        SDVariable d = sd.math.abs(deltas.sub(boxTargets));
        SDVariable over = sd.nn.relu(d.sub(boxBeta), 0);                            // max(d − β, 0)
        SDVariable under = d.sub(over);                                             // min(d, β)
        SDVariable smoothL1 = under.mul(under).mul(0.5 / boxBeta).add(over).mul(boxMask).sum();
        SDVariable loss = focal.add(smoothL1).mul(perPositive).sum().rename("loss");
        sd.setLossVariables(loss);
        sd.setTrainingConfig(TrainingConfig.builder().updater(updater).dataSetFeatureMapping("image")
                .dataSetLabelMapping("clsLabels", "clsMask", "boxTargets", "boxMask", "perPositive").build());
    }

    /** One subnet shared by both levels: 2 × (3×3 conv, ReLU), 3×3 conv to A·O; [N, A·O, M], levels concatenated. */
    private SDVariable head(String name, SDVariable[] levels, int channels, int outputsPerAnchor, double lastBias) {
        int o = ANCHORS * outputsPerAnchor;
        SDVariable[] w = {normal(name + "_W0", channels, channels), normal(name + "_W1", channels, channels),
            normal(name + "_W2", channels, o)};
        SDVariable[] b = {zeros(name + "_b0", channels), zeros(name + "_b1", channels),
            sd.var(name + "_b2", Nd4j.valueArrayOf(new long[] {o}, lastBias, DataType.FLOAT))};
        SDVariable[] flat = new SDVariable[levels.length];
        for (int l = 0; l < levels.length; l++) {
            SDVariable x = levels[l];
            for (int i = 0; i < 2; i++) {
                x = sd.nn.relu(sd.cnn.conv2d(x, w[i], b[i], SAME_3X3), 0);
            }
            flat[l] = sd.cnn.conv2d(x, w[2], b[2], SAME_3X3).reshape(-1, o, (long) levelSizes[l] * levelSizes[l]);
        }
        return sd.concat(2, flat);
    }

    /** He-normal [k, k, in, out] weights (DL4J's WeightInit.RELU: N(0, 2 / fan-in)). */
    private SDVariable he(String name, int k, int in, int out) {
        return sd.var(name, gaussian(new long[] {k, k, in, out}, Math.sqrt(2.0 / (k * k * in))));
    }

    private SDVariable normal(String name, int in, int out) {
        return sd.var(name, gaussian(new long[] {3, 3, in, out}, 0.01));
    }

    private SDVariable zeros(String name, int n) {
        return sd.var(name, Nd4j.zeros(DataType.FLOAT, n));
    }

    private INDArray gaussian(long[] shape, double sd) {
        INDArray a = Nd4j.create(DataType.FLOAT, shape);
        for (long i = 0; i < a.length(); i++) {
            a.putScalar(i, random.nextGaussian() * sd);
        }
        return a;
    }

    /**
     * The graph's inputs for one batch of {@code DetectionImages.iterator}: images; one-hot class targets and
     * their mask (0 on the K channels of an ignored anchor); box targets and the positives' mask on their 4
     * channels; 1 / max(1, positives).
     */
    MultiDataSet inputs(MultiDataSet batch) {
        INDArray indices = batch.getLabels(0);                                      // [B, A, M]: k, K background, −1 ignored
        INDArray positives = batch.getLabelsMaskArray(1);                           // [B, A, M]
        int m0 = levelSizes[0] * levelSizes[0] + levelSizes[1] * levelSizes[1];
        if (indices.rank() != 3 || indices.size(1) != ANCHORS || indices.size(2) != m0 || positives == null
                || !java.util.Arrays.equals(indices.shape(), positives.shape())) {
            throw new IllegalArgumentException("inputs needs a batch of DetectionImages.iterator for this detector: class "
                    + "indices [B, " + ANCHORS + ", " + m0 + "] and positives of the same shape; got "
                    + java.util.Arrays.toString(indices.shape()) + " and "
                    + (positives == null ? "none" : java.util.Arrays.toString(positives.shape())));
        }
        long b = indices.size(0);
        long m = indices.size(2);
        float[] idx = indices.dup('c').data().asFloat();
        float[] pos = positives.dup('c').data().asFloat();
        float[] onehot = new float[(int) (b * ANCHORS * classes * m)];
        float[] mask = new float[onehot.length];
        float[] boxMask = new float[(int) (b * 4 * ANCHORS * m)];
        double count = 0;
        for (int n = 0; n < b; n++) {
            for (int a = 0; a < ANCHORS; a++) {
                for (int loc = 0; loc < m; loc++) {
                    float raw = idx[(int) ((n * ANCHORS + a) * m + loc)];
                    int label = (int) raw;
                    if (label != raw || label < -1 || label > classes) {
                        throw new IllegalArgumentException("class indices must be integers in [-1, " + classes
                                + "] (−1 ignored, " + classes + " background); image " + n + ", anchor " + a
                                + ", location " + loc + " has " + raw);
                    }
                    for (int k = 0; k < classes; k++) {
                        int e = (int) (((n * ANCHORS + a) * classes + k) * m + loc);
                        onehot[e] = label == k ? 1f : 0f;
                        mask[e] = label < 0 ? 0f : 1f;
                    }
                    float p = pos[(int) ((n * ANCHORS + a) * m + loc)];
                    count += p;
                    for (int j = 0; j < 4; j++) {
                        boxMask[(int) (((n * ANCHORS + a) * 4 + j) * m + loc)] = p;
                    }
                }
            }
        }
        long[] clsShape = {b, (long) ANCHORS * classes, m};
        long[] boxShape = {b, 4L * ANCHORS, m};
        INDArray perPositive = Nd4j.create(new float[] {(float) (1 / Math.max(1, count))}, new long[] {1, 1});
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {batch.getFeatures(0)}, new INDArray[] {
            Nd4j.create(onehot, clsShape), Nd4j.create(mask, clsShape), batch.getLabels(1),
            Nd4j.create(boxMask, boxShape), perPositive});
    }

    /**
     * Takes the weights of {@code net}, a {@link FashionDetector#detector} network of the same width and
     * classes: DL4J's conv weights [out, in, kH, kW] become SameDiff's [kH, kW, in, out]; the subnets'
     * SameDiff parameters are copied as they are.
     */
    void copyFrom(org.deeplearning4j.nn.graph.ComputationGraph net) {
        for (int i = 0; i < 5; i++) {
            copyLayer(net, "backbone_conv" + i, "backbone_W" + i, "backbone_b" + i);
        }
        for (int l = 0; l < 2; l++) {
            copyLayer(net, "fpn_lateral" + l, "fpn_lateral" + l + "_W", "fpn_lateral" + l + "_b");
            copyLayer(net, "fpn_p" + l, "fpn_p" + l + "_W", "fpn_p" + l + "_b");
        }
        for (String head : new String[] {"cls", "box"}) {
            java.util.Map<String, INDArray> p = net.getVertex(head + "_head").paramTable(false);
            for (int i = 0; i < 3; i++) {
                assign(head + "_W" + i, p.get("W" + i));
                assign(head + "_b" + i, p.get("b" + i));
            }
        }
    }

    private void copyLayer(org.deeplearning4j.nn.graph.ComputationGraph net, String layer, String weight, String bias) {
        assign(weight, net.getLayer(layer).getParam("W").permute(2, 3, 1, 0));
        assign(bias, net.getLayer(layer).getParam("b"));
    }

    private void assign(String variable, INDArray value) {
        INDArray target = sd.getVariable(variable).getArr();
        if (target.length() != value.length()) {
            throw new IllegalArgumentException("variable " + variable + " has shape " + java.util.Arrays.toString(
                    target.shape()) + "; the network's parameter has " + java.util.Arrays.toString(value.shape()));
        }
        target.assign(value.reshape(target.shape()));
    }

    /** Class logits [N, A·K, M] and box deltas [N, 4·A, M] of {@code images} [N, 1, size, size]. */
    INDArray[] outputs(INDArray images) {
        Map<String, INDArray> out = sd.output(Map.of("image", images), "logits", "deltas");
        return new INDArray[] {out.get("logits"), out.get("deltas")};
    }

    /** The loss of {@code inputs} with the current weights. */
    double loss(MultiDataSet inputs) {
        java.util.Map<String, INDArray> ph = new java.util.HashMap<>();
        ph.put("image", inputs.getFeatures(0));
        String[] names = {"clsLabels", "clsMask", "boxTargets", "boxMask", "perPositive"};
        for (int i = 0; i < names.length; i++) {
            ph.put(names[i], inputs.getLabels(i));
        }
        return sd.output(ph, "loss").get("loss").getDouble(0);
    }

    /** One training step ({@code sd.fit}) on {@code inputs} from {@link #inputs}. */
    void step(MultiDataSet inputs) {
        sd.fit(inputs);
    }
}
