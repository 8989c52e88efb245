package org.focaldl4j.detection;

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
import org.focaldl4j.detection.anchor.AnchorMatcher;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.anchor.AnchorTargets;
import org.focaldl4j.detection.box.BoxCoder;
import org.focaldl4j.detection.box.Boxes;
import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.eval.DetectionPicture;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.detection.layers.BoxRegressionLossLayer;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.focaldl4j.detection.layers.SharedHeadVertex;
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

    /** The document and this class list the same A rows. */
    @Test
    void documentListsEveryRow() throws IOException {
        assertEquals(BadInputRows.tested(getClass(), 'A'), BadInputRows.documented('A'));
    }
}
