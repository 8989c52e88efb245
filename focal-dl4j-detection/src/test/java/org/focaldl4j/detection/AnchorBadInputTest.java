package org.focaldl4j.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.focaldl4j.detection.anchor.AnchorGenerator;
import org.focaldl4j.detection.anchor.AnchorMatcher;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.box.Detection;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.eval.CocoEvaluator;
import org.focaldl4j.detection.eval.DetectionPicture;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.detection.layers.BoxRegressionLossLayer;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.focaldl4j.detection.layers.SharedHeadVertex;
import org.focaldl4j.detection.model.Backbone;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.BadInputRows;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/** The A rows of {@code docs/bad-input.md}: what {@link AnchorLossLayer} refuses, by name. */
class AnchorBadInputTest {

    private static MultiLayerNetwork anchorNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).build())
                .setInputType(InputType.convolutional(4, 4, 6)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static void rejects(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String s : mustMention) {
            assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void a01LabelsOfAnotherShape() {
        MultiLayerNetwork net = anchorNet();
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 3))),
                "same shape", "[2, 6, 4, 4]", "[2, 6, 4, 3]");
    }

    @Test
    void a02AMaskOfAnUnknownShape() {
        MultiLayerNetwork net = anchorNet();
        DataSet ds = new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4),
                null, Nd4j.ones(DataType.DOUBLE, 2, 3));
        rejects(() -> net.score(ds), "mask shape [2, 3]");
    }

    // ---- the detection toolkit (A03 …) ----

    /** The box layer alone on [N, 4·2, 2, 2] deltas (A = 2), in {@code type}. */
    private static MultiLayerNetwork boxNet(DataType type, double beta) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().dataType(type).list()
                .layer(new BoxRegressionLossLayer.Builder().beta(beta).build())
                .setInputType(InputType.convolutional(2, 2, 8)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DataSet boxData(DataType type, INDArray labels, INDArray mask) {
        return new DataSet(Nd4j.zeros(type, 1, 8, 2, 2), labels, null, mask);
    }

    /** Throws unless {@code call} fails with an {@code IllegalArgumentException} somewhere in its cause chain. */
    private static void rejectsWrapped(Executable call, String... mustMention) {
        Throwable t = assertThrows(Exception.class, call);
        while (t != null && !(t instanceof IllegalArgumentException)) {
            t = t.getCause();
        }
        assertTrue(t != null, "no IllegalArgumentException in the cause chain");
        for (String s : mustMention) {
            assertTrue(t.getMessage().contains(s), "message '" + t.getMessage() + "' should mention '" + s + "'");
        }
    }

    @Test
    void a03NonFiniteTargetDeltaEvenWhereMasked() {
        MultiLayerNetwork net = boxNet(DataType.DOUBLE, 0.1);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 1, 8, 2, 2).putScalar(new long[] {0, 3, 1, 1}, Double.NaN);
        INDArray mask = Nd4j.zeros(DataType.DOUBLE, 1, 2, 2, 2).putScalar(new long[] {0, 1, 0, 0}, 1);   // anchor 0 unmasked
        rejects(() -> net.score(boxData(DataType.DOUBLE, labels, mask)), "labels[0, 3, 1, 1]", "NaN");
    }

    @Test
    void a04NegativeOrNonFiniteMask() {
        MultiLayerNetwork net = boxNet(DataType.DOUBLE, 0.1);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 1, 8, 2, 2);
        rejects(() -> net.score(boxData(DataType.DOUBLE, labels, Nd4j.zeros(DataType.DOUBLE, 1, 2, 2, 2)
                .putScalar(new long[] {0, 0, 1, 0}, -1))), "-1.0");
        rejects(() -> net.score(boxData(DataType.DOUBLE, labels, Nd4j.zeros(DataType.DOUBLE, 1, 2, 2, 2)
                .putScalar(new long[] {0, 1, 1, 0}, Double.POSITIVE_INFINITY))), "mask[0, 1, 1, 0]", "Infinity");
    }

    @Test
    void a05BetaThatVanishesInTheDataType() {
        INDArray mask = Nd4j.zeros(DataType.FLOAT, 1, 2, 2, 2).putScalar(new long[] {0, 0, 0, 0}, 1);
        INDArray far = Nd4j.zeros(DataType.FLOAT, 1, 8, 2, 2);
        for (int j = 0; j < 4; j++) {
            far.putScalar(new long[] {0, j, 0, 0}, 1e20);
        }
        rejects(() -> boxNet(DataType.FLOAT, 1e-50).score(boxData(DataType.FLOAT, far, mask)), "1.0E-50", "FLOAT");
        // A subnormal β is L1 in effect: 4 coordinates of |d| = 1e20, one positive anchor.
        double l1 = boxNet(DataType.FLOAT, 1e-40).score(boxData(DataType.FLOAT, far, mask));
        assertEquals(4e20, l1, 4e20 * 1e-6);
        // A huge β is the quadratic branch: 4 · ½ · (1e20)² / 1e30 = 2e10, with neither d² nor 1/β overflowing.
        double quadratic = boxNet(DataType.FLOAT, 1e30).score(boxData(DataType.FLOAT, far, mask));
        assertEquals(2e10, quadratic, 2e10 * 1e-6);
    }

    @Test
    void a06BoxLayerJsonWithAnotherActivation() {
        String json = boxNet(DataType.DOUBLE, 0.1).getLayerWiseConfigurations().toJson();
        assertTrue(json.contains("ActivationIdentity"), json);
        rejectsWrapped(() -> MultiLayerConfiguration.fromJson(json.replace("ActivationIdentity", "ActivationSigmoid")),
                "identity");
    }

    @Test
    void a07NormaliserJsonWithoutAProperty() throws Exception {
        rejectsWrapped(() -> NeuralNetConfiguration.mapper().readValue("{\"movingAverage\": true, \"initial\": 100}",
                PositiveNormaliser.class), "momentum null");
        assertEquals(PositiveNormaliser.movingAverage(0.9, 100), NeuralNetConfiguration.mapper().readValue(
                "{\"movingAverage\": true, \"momentum\": 0.9, \"initial\": 100}", PositiveNormaliser.class));
    }

    private static Object roundTrip(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return in.readObject();
        }
    }

    private static void setField(Object o, Class<?> owner, String name, Object value) throws Exception {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        f.set(o, value);
    }

    @Test
    void a08JavaDeserialisedBadValues() throws Exception {
        PositiveNormaliser good = PositiveNormaliser.movingAverage(0.9, 100);
        assertEquals(good, roundTrip(good));
        PositiveNormaliser bad = PositiveNormaliser.movingAverage(0.9, 100);
        setField(bad, PositiveNormaliser.class, "momentum", 1.5);
        InvalidObjectException e = assertThrows(InvalidObjectException.class, () -> roundTrip(bad));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());

        BoxRegressionLossLayer layer = new BoxRegressionLossLayer.Builder().beta(0.5).build();
        assertEquals(layer, roundTrip(layer));
        setField(layer, BoxRegressionLossLayer.class.getSuperclass(), "format", null);
        e = assertThrows(InvalidObjectException.class, () -> roundTrip(layer));
        assertTrue(e.getMessage().contains("format"), e.getMessage());
        BoxRegressionLossLayer negative = new BoxRegressionLossLayer.Builder().build();
        setField(negative, BoxRegressionLossLayer.class, "beta", -1.0);
        assertThrows(InvalidObjectException.class, () -> roundTrip(negative));
    }

    @Test
    void a09SharedHeadJsonWithMissingSizes() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder()
                .addInputs("p0", "p1").setInputTypes(InputType.convolutional(4, 4, 3), InputType.convolutional(2, 2, 3))
                .addVertex("head", SharedHeadVertex.boxRegression(2, 3, 1, 6, 2), "p0", "p1")
                .addLayer("box", new BoxRegressionLossLayer.Builder().build(), "head").setOutputs("box").build();
        String json = conf.toJson();
        String missing = json.replaceAll(",\\s*\"width\"\\s*:\\s*6", "");
        assertTrue(missing.length() < json.length(), "the head's width not found in " + json);
        rejectsWrapped(() -> new ComputationGraph(ComputationGraphConfiguration.fromJson(missing)).init(), "width=0");
    }

    @Test
    void a10MovingAverageWithALineSearchOptimiser() {
        MultiLayerConfiguration lbfgs = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .optimizationAlgo(OptimizationAlgorithm.LBFGS).list()
                .layer(new BoxRegressionLossLayer.Builder().normaliser(PositiveNormaliser.movingAverage(0.9, 100)).build())
                .setInputType(InputType.convolutional(2, 2, 8)).build();
        rejects(() -> new MultiLayerNetwork(lbfgs).init(), "LBFGS", "STOCHASTIC_GRADIENT_DESCENT");
        MultiLayerConfiguration perBatch = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .optimizationAlgo(OptimizationAlgorithm.LBFGS).list()
                .layer(new BoxRegressionLossLayer.Builder().build())
                .setInputType(InputType.convolutional(2, 2, 8)).build();
        new MultiLayerNetwork(perBatch).init();          // nothing stored, nothing to protect
    }

    @Test
    void a11SizesThatOverflowOrAreNegative() {
        rejects(() -> AnchorPyramid.paper(8).locations(400000, 400000), "400000x400000");
        rejects(() -> new AnchorTargets(AnchorPyramid.paper(8), -1, -1, 2, new AnchorMatcher(), new BoxCoder()), "-1×-1");
    }

    @Test
    void a12NanAnchorsAndNullBoxes() {
        double[][] boxes = {{0, 0, 10, 10}};
        rejects(() -> Boxes.of(new double[][] {{Double.NaN, 0, 10, 10}}, "anchor"), "anchor 0", "NaN");
        rejects(() -> new AnchorMatcher().match(null, Boxes.of(boxes, "box")), "null anchors");
        rejects(() -> Boxes.iou(null, boxes[0]), "first box");
    }

    private static ComputationGraph backboneNet(int kernel, int nIn) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).graphBuilder()
                .addInputs("in").setInputTypes(InputType.convolutional(4, 4, nIn))
                .addLayer("backbone_x", new ConvolutionLayer.Builder(kernel, kernel).nIn(nIn).nOut(8)
                        .convolutionMode(ConvolutionMode.Same).build(), "in")
                .addLayer("out", new CnnLossLayer.Builder().build(), "backbone_x").setOutputs("out").build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    @Test
    void a13CopyBackboneIntoOtherShapesOfTheSameSize() {
        ComputationGraph threeByThree = backboneNet(3, 1);       // W [8, 1, 3, 3] + b: 80 values
        ComputationGraph oneByOne = backboneNet(1, 9);           // W [8, 9, 1, 1] + b: 80 values
        assertEquals(threeByThree.numParams(), oneByOne.numParams());
        rejects(() -> Backbones.copyWeights(threeByThree, oneByOne), "backbone_x", "[8, 1, 3, 3]", "[8, 9, 1, 1]");
        assertEquals(1, Backbones.copyWeights(threeByThree, backboneNet(3, 1)));
    }

    @Test
    void a14CocoIdsBeyond64BitsAndNamelessCategories() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String ok = "{\"images\": [{\"id\": 1, \"width\": 8, \"height\": 8}], \"annotations\": [], "
                + "\"categories\": [{\"id\": 1, \"name\": \"a\"}]}";
        assertEquals(1, CocoJson.fromJson(mapper.readTree(ok), "ok").images().size());
        rejects(() -> CocoJson.fromJson(mapper.readTree(ok.replace("\"id\": 1, \"width\"",
                "\"id\": 18446744073709551617, \"width\"")), "t"), "18446744073709551617");
        rejects(() -> CocoJson.fromJson(mapper.readTree(ok.replace(", \"name\": \"a\"", "")), "t"), "\"name\"");
    }

    @Test
    void a15PictureWithOtherCounts() {
        INDArray images = Nd4j.zeros(DataType.FLOAT, 2, 1, 8, 8);
        List<String> names = List.of("a");
        rejects(() -> DetectionPicture.draw(images, List.of(List.of()), null, null, names, 2, 1), "(2)", "got 1");
        rejects(() -> DetectionPicture.draw(images, null, new double[][][] {{}}, null, names, 2, 1), "(2)", "got 1");
        rejects(() -> DetectionPicture.draw(images, null, new double[][][] {{{0, 0, 4, 4}}, {}},
                new int[][] {{}, {}}, names, 2, 1), "truthClasses[0]");
        rejects(() -> DetectionPicture.draw(images, null, new double[][][] {{{0, 0, Double.NaN, 4}}, {}}, null, names, 2, 1),
                "truthBoxes[0][0]");
    }

    @Test
    void a16DecodeWithANonFiniteDelta() {
        RetinaNet r = TinyDetection.detector();
        INDArray p = Nd4j.zeros(DataType.FLOAT, 1, 18, 20);
        INDArray d = Nd4j.zeros(DataType.FLOAT, 1, 36, 20).putScalar(new long[] {0, 5, 7}, Float.NaN);
        rejects(() -> r.decode(p, d, 0.05, 10, 0.5, 100), "image 0", "channel 5, location 7");
    }

    @Test
    void a17ALossThatCouplesTheEntriesOfARow() {
        for (org.nd4j.linalg.lossfunctions.ILossFunction coupled : List.of(
                new org.nd4j.linalg.lossfunctions.impl.LossMCXENT(), new org.focaldl4j.loss.LossCategoricalFocal(),
                org.focaldl4j.samediff.SameDiffFocalLoss.categorical(null, 2))) {
            rejects(() -> new AnchorLossLayer.Builder(coupled).build(), "element-wise", coupled.toString());
            AnchorLossLayer layer = new AnchorLossLayer.Builder().build();
            rejects(() -> layer.setLossFn(coupled), "element-wise");
            assertEquals(new LossFocal(), layer.getLossFn(), "a refused setLossFn leaves the loss as it was");
        }
        new AnchorLossLayer.Builder(new org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT()).build();   // element-wise
        new AnchorLossLayer.Builder(org.focaldl4j.samediff.SameDiffFocalLoss.star(0.25, 2, 1)).build();
        // from JSON: a configuration whose loss is swapped for LossMCXENT is refused while reading
        String json = new NeuralNetConfiguration.Builder().list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).build())
                .setInputType(InputType.convolutional(4, 4, 6)).build().toJson();
        String swapped = json.replace("\"org.focaldl4j.loss.LossFocal\"", "\"org.nd4j.linalg.lossfunctions.impl.LossMCXENT\"");
        rejectsWrapped(() -> MultiLayerConfiguration.fromJson(swapped), "element-wise");
        // softmax over the A·K channels of a location: refused by the builder and at run time
        rejects(() -> new AnchorLossLayer.Builder().activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(),
                "element-wise activation", "softmax");
        MultiLayerNetwork net = anchorNet();
        ((AnchorLossLayer) net.getLayer(0).conf().getLayer()).setActivationFn(
                org.nd4j.linalg.activations.Activation.SOFTMAX.getActivationFunction());
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4))),
                "softmax");
    }

    @Test
    void a20ValuesThatChangeInTheCastToTheNetworksType() {
        // a DOUBLE box target of 1e39 is ∞ in a FLOAT network, even at a masked anchor
        MultiLayerNetwork box = boxNet(DataType.FLOAT, 0.1);
        INDArray targets = Nd4j.zeros(DataType.DOUBLE, 1, 8, 2, 2).putScalar(new long[] {0, 5, 0, 1}, 1e39);
        rejects(() -> box.score(new DataSet(Nd4j.zeros(DataType.FLOAT, 1, 8, 2, 2), targets, null,
                Nd4j.zeros(DataType.DOUBLE, 1, 2, 2, 2))), "labels[0, 5, 0, 1]", "FLOAT");
        // a DOUBLE class mask of 1e39 in a FLOAT network, named at the caller's index
        MultiLayerNetwork floats = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT).list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).build())
                .setInputType(InputType.convolutional(4, 4, 6)).build());
        floats.init();
        INDArray mask = Nd4j.ones(DataType.DOUBLE, 2, 6, 4, 4).putScalar(new long[] {1, 0, 2, 3}, 1e39);
        rejects(() -> floats.score(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 6, 4, 4), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4),
                null, mask)), "mask[1, 0, 2, 3]", "Infinity");
        // a DOUBLE one-hot label of 1 + 1e-9 in a FLOAT network: refused as with DOUBLE logits (it rounds to 1 in FLOAT)
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4).putScalar(new long[] {0, 1, 1, 1}, 1 + 1e-9);
        MultiLayerNetwork fresh = new MultiLayerNetwork(floats.getLayerWiseConfigurations().clone());   // no mask left set
        fresh.init();
        rejects(() -> fresh.score(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 6, 4, 4), labels)), "[0, 1]", "1.000000001");
        // class index 2049 of K = 2100 is 2048 in HALF: refused, not trained as another class
        MultiLayerNetwork half = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.HALF).list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).integerLabels(2100).build())
                .setInputType(InputType.convolutional(1, 1, 2100)).build());
        half.init();
        INDArray indices = Nd4j.create(new double[] {2049}, new long[] {1, 1, 1, 1}, DataType.DOUBLE);
        rejects(() -> half.score(new DataSet(Nd4j.zeros(DataType.HALF, 1, 2100, 1, 1), indices)), "not exact", "HALF");
    }

    @Test
    void a18AnExplicitFormatThatContradictsTheInputType() {
        rejects(() -> new NeuralNetConfiguration.Builder().list()
                .layer(new AnchorLossLayer.Builder().format(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC).build())
                .setInputType(InputType.convolutional(4, 4, 6)).build(), "NHWC", "NCHW", "format");
        rejects(() -> new NeuralNetConfiguration.Builder().list()
                .layer(new BoxRegressionLossLayer.Builder().format(org.deeplearning4j.nn.conf.CNN2DFormat.NCHW).build())
                .setInputType(InputType.convolutional(4, 4, 8, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC)).build(),
                "NHWC", "NCHW");
        // unset: the input type's format is taken
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new AnchorLossLayer.Builder().build())
                .setInputType(InputType.convolutional(4, 4, 6, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC)).build();
        assertEquals(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC, ((AnchorLossLayer) conf.getConf(0).getLayer()).getFormat());
        // set and agreeing: accepted
        new NeuralNetConfiguration.Builder().list()
                .layer(new AnchorLossLayer.Builder().format(org.deeplearning4j.nn.conf.CNN2DFormat.NHWC).build())
                .setInputType(InputType.convolutional(4, 4, 6, org.deeplearning4j.nn.conf.CNN2DFormat.NHWC)).build();
    }

    @Test
    void a19ANonFiniteOrNegativeClassMaskNamedInTheCallersShape() {
        MultiLayerNetwork net = anchorNet();
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 4);
        INDArray nan = Nd4j.ones(DataType.DOUBLE, 2, 6, 4, 4).putScalar(new long[] {1, 2, 3, 0}, Double.NaN);
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), labels, null, nan)),
                "mask[1, 2, 3, 0]", "NaN");
        INDArray negative = Nd4j.ones(DataType.DOUBLE, 2, 4, 4).putScalar(new long[] {0, 1, 2}, -0.5);   // per location
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), labels, null, negative)),
                "mask[0, 1, 2]", "-0.5");
        MultiLayerNetwork wide = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).list()
                .layer(new AnchorLossLayer.Builder(new LossFocal()).build())
                .setInputType(InputType.convolutional(4, 3, 6)).build());
        wide.init();
        rejects(() -> wide.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 3), Nd4j.zeros(DataType.DOUBLE, 2, 6, 4, 3),
                null, Nd4j.ones(DataType.DOUBLE, 2, 6, 3, 4))), "mask shape [2, 6, 3, 4]");
        rejects(() -> net.score(new DataSet(Nd4j.rand(DataType.DOUBLE, 2, 6, 4, 4), labels, null,
                Nd4j.ones(DataType.DOUBLE, 32, 6, 1, 1))), "mask shape [32, 6, 1, 1]");
    }

    @Test
    void a21NonFiniteScores() throws Exception {
        double[] box = {1, 2, 5, 6};
        rejects(() -> new Detection(0, 1, Double.POSITIVE_INFINITY, box), "score must be finite", "Infinity",
                "(image 0, class 1)");
        rejects(() -> new Detection(0, 1, Double.NaN, box), "score must be finite", "NaN");
        rejects(() -> new CocoDataset.Result(3, 1, new double[] {1, 2, 4, 4}, Double.NEGATIVE_INFINITY), "image 3",
                "must be finite", "-Infinity");
        // what is accepted survives the round trip through a results file, the largest finite score included
        CocoDataset.Result r = CocoDataset.Result.of(new Detection(0, 1, Double.MAX_VALUE, box), 3, 2);
        Path file = Files.createTempFile("a21", ".json");
        try {
            Files.writeString(file, CocoJson.resultsToJson(List.of(r)));
            assertEquals(List.of(r), CocoJson.readResults(file));
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void a22NanThresholds() {
        rejects(() -> new AnchorMatcher(Double.NaN, 0.4, true), "positiveIou = NaN");
        rejects(() -> new AnchorMatcher(0.5, Double.NaN, true), "negativeIou = NaN");
        rejects(() -> new AnchorMatcher(0.5, 0.4, true, Double.NaN), "crowdIoa", "NaN");
        RetinaNet r = TinyDetection.detector();
        INDArray p = Nd4j.zeros(DataType.FLOAT, 1, 18, 20);
        INDArray d = Nd4j.zeros(DataType.FLOAT, 1, 36, 20);
        rejects(() -> r.decode(p, d, Double.NaN, 10, 0.5, 100), "minScore must be in [0, 1]; got NaN");
        rejects(() -> r.decode(p, d, 0.05, 10, Double.NaN, 100), "nmsIou must be in [0, 1]; got NaN");
        Boxes one = Boxes.of(new double[][] {{0, 0, 1, 1}}, "box");
        rejects(() -> one.batchedNms(new double[] {0.5}, new int[] {0}, Double.NaN, 10), "iouThreshold in [0, 1]; got NaN");
        rejects(() -> Boxes.clip(new double[] {0, 0, 1, 1}, Double.NaN, 4), "image size", "NaN");
    }

    @Test
    void a23AnchorCountsBeyondAJavaArray() {
        rejects(() -> AnchorGenerator.paper(1).anchors(100000, 100000), "100000×100000", "9 anchors per location",
                "90000000000 anchors");
        double[] many = new double[50000];
        Arrays.fill(many, 1.0);
        rejects(() -> new AnchorGenerator(16, many, many, 8), "50000 scales × 50000 aspect ratios");
        rejects(() -> AnchorPyramid.paper(1, 2).anchors(100000, 100000), "100000x100000");
        rejects(() -> AnchorPyramid.paper(1e-6).mapSize(0, 100000, 100000), "stride 1.0E-6", "level 0");
    }

    @Test
    void a24HugeOrTinyButFiniteBoxes() {
        // IoU is right for any finite boxes: identical ones exactly 1 (before: ∞/∞ = NaN for 1e200, 0 for 1e-200)
        double[] huge = {1e200, 1e200, 3e200, 5e200};
        assertEquals(1.0, Boxes.iou(huge, huge.clone()), 0.0);
        double[] tiny = {1e-200, 1e-200, 3e-200, 5e-200};
        assertEquals(1.0, Boxes.iou(tiny, tiny.clone()), 0.0);
        double[] widest = {-1e308, -1e308, 1e308, 1e308};
        assertEquals(1.0, Boxes.iou(widest, widest.clone()), 0.0);
        assertEquals(1.0 / 7, Boxes.iou(new double[] {0, 0, 2e200, 2e200}, new double[] {1e200, 1e200, 3e200, 3e200}),
                1e-14);                                                          // the hand-worked 1/7, scaled by 1e200
        // the COCO evaluation: IoU 1/7 is no match at 0.5 (before: NaN, which matched at every threshold)
        CocoDataset truth = new CocoDataset(List.of(new CocoDataset.Image(1, 8, 8)), List.of(new CocoDataset.Annotation(
                1, 1, 1, new double[] {0, 0, 2e200, 2e200}, 50, false)), List.of(new CocoDataset.Category(1, "a")));
        assertEquals(0.0, CocoEvaluator.evaluate(truth, List.of(new CocoDataset.Result(1, 1,
                new double[] {1e200, 1e200, 2e200, 2e200}, 0.9))).get("AP50"), 0.0);
        assertEquals(1.0, CocoEvaluator.evaluate(truth, List.of(new CocoDataset.Result(1, 1,
                new double[] {0, 0, 2e200, 2e200}, 0.9))).get("AP50"), 1e-12);     // COCOeval's ε: 1 − 2^−52
        // decoding an anchor whose width overflows: refused, naming it; the single and the batch form alike
        BoxCoder coder = new BoxCoder();
        double[] zero = {0, 0, 0, 0};
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class, () -> coder.decode(widest, zero));
        assertTrue(single.getMessage().contains("beyond the range of a double"), single.getMessage());
        INDArray anchors = Nd4j.createFromArray(new double[][] {{0, 0, 16, 16}, widest});
        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> coder.decode(anchors, Nd4j.zeros(DataType.DOUBLE, 2, 4)));
        assertEquals(single.getMessage().replace("anchor ", "anchor (row 1) "), batch.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> coder.encode(new double[] {0, 0, 10, 10}, new double[] {5, 5, 5, 9}));
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class, () -> coder.encode(
                Nd4j.createFromArray(new double[][] {{0, 0, 10, 10}}), Nd4j.createFromArray(new double[][] {{5, 5, 5, 9}})));
        assertEquals(one.getMessage().replace("box ", "box (row 0) "), rows.getMessage());
        // deltas whose sum overflows, each finite: both forms decode them alike (before: the single form refused them)
        double[] far = {1e308, 1e308, 0, 0};
        double[] unit = {0, 0, 1, 1};
        assertArrayEquals(coder.decode(unit, far), coder.decode(Nd4j.createFromArray(new double[][] {unit}),
                Nd4j.createFromArray(new double[][] {far})).toDoubleVector(), 0.0);
        // COCO [x, y, w, h]: each value finite and the far corner too (before: the sum of all four had to be)
        assertEquals(1e308, new CocoDataset.Result(1, 1, new double[] {1e308, 1e308, 0, 0}, 0.5).bbox()[0], 0.0);
        rejects(() -> new CocoDataset.Result(1, 1, new double[] {1e308, 0, 1e308, 1}, 0.5), "the result on image 1",
                "finite far corner", "x + w = Infinity");
    }

    @Test
    void a25NullsAndUnequalLengths() {
        CocoDataset truth = new CocoDataset(List.of(new CocoDataset.Image(1, 8, 8)), List.of(),
                List.of(new CocoDataset.Category(1, "a")));
        List<CocoDataset.Result> results = new ArrayList<>();
        results.add(new CocoDataset.Result(1, 1, new double[] {0, 0, 2, 2}, 0.5));
        results.add(null);
        rejects(() -> CocoEvaluator.evaluate(truth, results), "result 1 is null");
        rejects(() -> CocoEvaluator.evaluate(null, List.of()), "got null and results");
        INDArray images = Nd4j.zeros(DataType.FLOAT, 2, 1, 8, 8);
        List<List<Detection>> noList = new ArrayList<>();
        noList.add(List.of());
        noList.add(null);
        rejects(() -> DetectionPicture.draw(images, noList, null, null, List.of("a"), 2, 1), "detections[1] is null");
        List<Detection> nullDetection = new ArrayList<>();
        nullDetection.add(null);
        rejects(() -> DetectionPicture.draw(images, List.of(List.of(), nullDetection), null, null, List.of("a"), 2, 1),
                "detections[1] holds null at index 0");
        rejects(() -> DetectionPicture.draw(images, null, null, null, Arrays.asList("a", null), 2, 1),
                "classNames[1] is null");
        rejects(() -> new AnchorPyramid(Arrays.asList(AnchorGenerator.paper(8), null)), "level 1 is null");
        rejects(() -> AnchorPyramid.of(4, (double[]) null), "needs strides; got null");
        rejects(() -> TinyDetection.detector().decode(Nd4j.zeros(DataType.FLOAT, 1, 18, 20), null, 0.05, 10, 0.5, 100),
                "got an array and null");
        rejects(() -> new BoxCoder().decode(Nd4j.zeros(DataType.DOUBLE, 2, 4), Nd4j.zeros(DataType.DOUBLE, 3, 4)),
                "as many deltas as anchors; got 3 and 2");
        RetinaNet nullMap = TinyDetection.small().backbone((graph, input, channels) -> Arrays.asList(
                new Backbone.FeatureMap("image", 1, 8), null)).build();
        rejects(nullMap::configuration, "the backbone's feature map 1 is null");
    }

    @Test
    void a26SharedHeadJsonThatDisagreesWithTheGraph() {
        String json = TinyDetection.detector().configuration().toJson();
        String threeAnchors = json.replaceFirst("\"anchors\"\\s*:\\s*9\\b", "\"anchors\" : 3");
        assertTrue(!threeAnchors.equals(json), "no head with 9 anchors in the detector's JSON");
        rejectsWrapped(() -> new ComputationGraph(ComputationGraphConfiguration.fromJson(threeAnchors)).init(),
                "anchors=3", "anchors=9", "same number of anchors per location");
        String threeClasses = json.replaceFirst("\"outputsPerAnchor\"\\s*:\\s*2\\b", "\"outputsPerAnchor\" : 3");
        assertTrue(!threeClasses.equals(json), "no head with 2 outputs per anchor in the detector's JSON");
        rejectsWrapped(() -> new ComputationGraph(ComputationGraphConfiguration.fromJson(threeClasses)).init(),
                "\"cls_head\"", "\"cls\"", "outputs per anchor 3 vs 2");
        new ComputationGraph(ComputationGraphConfiguration.fromJson(json)).init();         // as written: accepted
    }

    /** The document and this class list the same A rows. */
    @Test
    void documentListsEveryRow() throws IOException {
        assertEquals(BadInputRows.tested(getClass(), 'A'), BadInputRows.documented('A'));
    }
}
