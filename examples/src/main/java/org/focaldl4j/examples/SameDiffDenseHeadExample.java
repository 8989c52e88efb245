package org.focaldl4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

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
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonDataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Focal loss in a pure SameDiff graph: a tiny dense-anchor classification head trained with
 * {@code sd.fit} on rare objects.
 *
 * <p>Data: 16×16 single-channel images of Gaussian noise, each holding one or two 2×2 blobs of
 * brightness +1 (class 0) or −1 (class 1). Labels are [N, K = 2, 16, 16] maps with a 1 at each blob's
 * top-left pixel for its class: about 1 positive per 340 (pixel, class) entries. The head (one anchor
 * per location, A·K = 2 outputs) is conv 3×3 (1→8, ReLU) then conv 3×3 (8→2) whose bias starts at the
 * paper's prior, −log((1−π)/π), π = 0.01; its loss is {@link FocalLossOps#sigmoidFocal} (α = 0.25, γ = 2)
 * summed and divided by the number of positives in the batch, the paper's normalisation.
 *
 * <p>{@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.SameDiffDenseHeadExample}
 */
public final class SameDiffDenseHeadExample {

    static final int SIZE = 16;
    static final int CLASSES = 2;

    /** Losses before and after training and the average precision of the rare entries on held-out images. */
    public static final class Result {
        public final double initialLoss;
        public final double finalLoss;
        public final double testAveragePrecision;
        public final double positiveRate;

        Result(double initialLoss, double finalLoss, double testAveragePrecision, double positiveRate) {
            this.initialLoss = initialLoss;
            this.finalLoss = finalLoss;
            this.testAveragePrecision = testAveragePrecision;
            this.positiveRate = positiveRate;
        }
    }

    private SameDiffDenseHeadExample() {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        Result r = train(epochs, 7, true);
        System.out.printf(Locale.ROOT, "%nloss (focal, ÷ positives): %.4f -> %.4f; test AP of the rare (pixel, class) "
                + "entries: %.3f (a random ranking scores %.4f)%n", r.initialLoss, r.finalLoss, r.testAveragePrecision,
                r.positiveRate);
    }

    /** Builds the graph, trains it for {@code epochs} full-batch steps, and evaluates on fresh images. */
    public static Result train(int epochs, long seed, boolean verbose) {
        Nd4j.getRandom().setSeed(seed);
        DataSet train = images(256, new Random(seed));
        DataSet test = images(128, new Random(seed + 1));

        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 1, SIZE, SIZE);
        SDVariable labels = sd.placeHolder("labels", DataType.FLOAT, -1, CLASSES, SIZE, SIZE);
        Conv2DConfig same3x3 = Conv2DConfig.builder().kH(3).kW(3).paddingMode(PaddingMode.SAME).build();
        SDVariable w1 = sd.var("w1", Nd4j.randn(DataType.FLOAT, 3, 3, 1, 8).muli(0.3));
        SDVariable b1 = sd.var("b1", Nd4j.zeros(DataType.FLOAT, 8));
        SDVariable w2 = sd.var("w2", Nd4j.randn(DataType.FLOAT, 3, 3, 8, CLASSES).muli(0.01));   // N(0, 0.01)
        SDVariable b2 = sd.var("b2", Nd4j.valueArrayOf(new long[] {CLASSES}, FocalInit.priorBias(0.01), DataType.FLOAT));
        SDVariable hidden = sd.nn.relu(sd.cnn.conv2d(in, w1, b1, same3x3), 0);
        SDVariable logits = sd.cnn.conv2d("logits", hidden, w2, b2, same3x3);
        sd.nn.sigmoid("probabilities", logits);
        SDVariable positives = sd.math.max(labels.sum(), sd.constant(Nd4j.scalar(DataType.FLOAT, 1f)));
        SDVariable loss = FocalLossOps.sigmoidFocal(sd, null, labels, logits, 0.25, 2.0, LossReduce.SUM)
                .div("loss", positives);
        sd.setLossVariables(loss);
        sd.setTrainingConfig(TrainingConfig.builder().updater(new Adam(0.01))
                .dataSetFeatureMapping("in").dataSetLabelMapping("labels").build());
        createGradFunctionQuietly(sd);                 // sd.fit reuses it

        double initial = lossOf(sd, train);
        DataSetIterator iterator = new SingletonDataSetIterator(train);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            sd.fit(iterator, 1);
            if (verbose && (epoch % 10 == 0 || epoch == 1)) {
                System.out.printf(Locale.ROOT, "epoch %3d  loss %.4f%n", epoch, lossOf(sd, train));
            }
        }
        double last = lossOf(sd, train);

        INDArray p = sd.output(java.util.Map.of("in", test.getFeatures()), "probabilities").get("probabilities");
        INDArray y = test.getLabels();
        double ap = AveragePrecision.of(p.reshape(p.length(), 1), y.reshape(y.length(), 1));
        double rate = y.sumNumber().doubleValue() / y.length();
        return new Result(initial, last, ap, rate);
    }

    /**
     * SameDiff 1.0.0-M2.1 prints "Added differentiated op …" for every op while it builds the gradient
     * function; this single-threaded program silences standard output meanwhile.
     */
    private static void createGradFunctionQuietly(SameDiff sd) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(out);
        }
    }

    private static double lossOf(SameDiff sd, DataSet ds) {
        return sd.output(java.util.Map.of("in", ds.getFeatures(), "labels", ds.getLabels()), "loss").get("loss").getDouble(0);
    }

    /** {@code n} noisy images with one or two 2×2 blobs each, and their [n, 2, 16, 16] label maps. */
    static DataSet images(int n, Random r) {
        float[][][][] x = new float[n][1][SIZE][SIZE];
        float[][][][] y = new float[n][CLASSES][SIZE][SIZE];
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < SIZE; h++) {
                for (int w = 0; w < SIZE; w++) {
                    x[i][0][h][w] = (float) (0.3 * r.nextGaussian());
                }
            }
            int blobs = 1 + r.nextInt(2);
            List<int[]> placed = new ArrayList<>();
            while (placed.size() < blobs) {
                int h = r.nextInt(SIZE - 1);
                int w = r.nextInt(SIZE - 1);
                boolean clash = placed.stream().anyMatch(p -> Math.abs(p[0] - h) < 3 && Math.abs(p[1] - w) < 3);
                if (clash) {
                    continue;
                }
                int cls = r.nextInt(CLASSES);
                float value = cls == 0 ? 1f : -1f;
                for (int dh = 0; dh < 2; dh++) {
                    for (int dw = 0; dw < 2; dw++) {
                        x[i][0][h + dh][w + dw] += value;
                    }
                }
                y[i][cls][h][w] = 1f;
                placed.add(new int[] {h, w});
            }
        }
        return new DataSet(Nd4j.create(x), Nd4j.create(y));
    }
}
