package org.focaldl4j.examples;

import java.util.Locale;
import java.util.Random;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

/**
 * Focal loss versus binary cross-entropy on a heavily imbalanced synthetic problem.
 *
 * <p>The data: negatives are standard-normal points in {@value #DIMS} dimensions; the rare
 * positives (1 per 100 negatives) come from {@value #BLOBS} tight Gaussian blobs in the tail of the
 * negative cloud, {@value #BLOB_RADIUS} standard deviations from its centre. Most negatives are
 * therefore easy, and the few lying near a blob are hard. The same small network (same seed, same
 * initialisation, same minibatch order) is trained once with {@link LossBinaryXENT} and once with
 * {@link LossFocal} (α = 0.25, γ = 2). Both are scored on a separate test set by:
 * <ul>
 *   <li>the average precision of the rare class ({@link AveragePrecision}), which only depends on
 *       how the test points are ranked, and</li>
 *   <li>precision and recall at threshold 0.5, which also depend on how the predicted
 *       probabilities are calibrated. Focal loss does not produce calibrated probabilities, and
 *       α = 0.25 gives positives less weight than negatives, so fewer positives reach 0.5.</li>
 * </ul>
 * The printed training loss values are not comparable between the two losses.
 *
 * <p>As in the focal-loss paper (Lin et al. 2017, §3.3), the output bias starts at
 * b = −log((1−π)/π) with π = 0.01, so the initial predicted probability is about the positive
 * rate; both runs use it.
 *
 * <p>Usage: {@code mvn -pl examples exec:java [-Dexec.args="EPOCHS [SEED]"]} (defaults: 15 epochs,
 * seed 42).
 */
public final class ImbalancedDemo {

    static final int DIMS = 4;
    static final int BLOBS = 3;
    static final double BLOB_RADIUS = 2.5;   // distance of each blob centre from the origin
    static final double BLOB_SIGMA = 0.3;    // per-axis standard deviation of a blob
    static final int NEGATIVES = 20_000;     // per split
    static final int POSITIVES = 200;        // per split: 1 positive per 100 negatives
    static final int BATCH = 256;
    static final double LEARNING_RATE = 1e-3;
    static final double PRIOR = 0.01;        // π in the bias initialisation

    private ImbalancedDemo() {
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 42L;

        double[][] centres = blobCentres(new Random(seed));
        Split train = sample(centres, new Random(seed + 1));
        Split test = sample(centres, new Random(seed + 2));
        System.out.printf(Locale.ROOT, "Train: %d points (%d positive), test: %d points (%d positive), %d dims, "
                        + "%d epochs, seed %d%n",
                train.size(), POSITIVES, test.size(), POSITIVES, DIMS, epochs, seed);

        Result bce = run("LossBinaryXENT", new LossBinaryXENT(), train, test, epochs, seed);
        Result focal = run("LossFocal(α=0.25, γ=2)", new LossFocal(), train, test, epochs, seed);

        System.out.println();
        System.out.println("| Loss | Test AP | Precision@0.5 | Recall@0.5 | Train s |");
        System.out.println("|---|---:|---:|---:|---:|");
        for (Result r : new Result[] {bce, focal}) {
            System.out.printf(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.1f |%n",
                    r.name, r.averagePrecision, r.precision, r.recall, r.trainSeconds);
        }
        System.out.printf(Locale.ROOT, "%nReference test AP: random ranking %.4f (the positive rate), "
                        + "Bayes-optimal ranking (true density ratio) %.4f.%n",
                POSITIVES / (double) test.size(), bayesAveragePrecision(centres, test));
    }

    /** Trains a fresh network with {@code loss} and evaluates it on {@code test}. */
    static Result run(String name, ILossFunction loss, Split train, Split test, int epochs, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(network(loss, seed));
        net.init();

        System.out.println();
        System.out.println("Training with " + name);
        Random shuffler = new Random(seed);                 // same minibatch order for every loss
        long start = System.nanoTime();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            int[] order = permutation(train.size(), shuffler);
            double scoreSum = 0;
            int batches = 0;
            for (int from = 0; from < order.length; from += BATCH) {
                int size = Math.min(BATCH, order.length - from);
                float[][] x = new float[size][];
                float[][] y = new float[size][];
                for (int k = 0; k < size; k++) {
                    x[k] = train.x[order[from + k]];
                    y[k] = train.y[order[from + k]];
                }
                net.fit(Nd4j.create(x), Nd4j.create(y));
                scoreSum += net.score();
                batches++;
            }
            System.out.printf(Locale.ROOT, "  epoch %2d  mean minibatch loss %.5f%n", epoch, scoreSum / batches);
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        INDArray probabilities = net.output(Nd4j.create(test.x));
        return evaluate(name, probabilities, Nd4j.create(test.y), seconds);
    }

    /** Dense 32 ReLU → Dense 32 ReLU → one sigmoid output whose bias starts at the prior. */
    public static MultiLayerConfiguration network(ILossFunction loss, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .weightInit(WeightInit.RELU)
                .updater(new Adam(LEARNING_RATE))
                .list()
                .layer(new DenseLayer.Builder().nIn(DIMS).nOut(32).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(32).nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(loss).nIn(32).nOut(1)
                        .activation(Activation.SIGMOID)
                        .weightInit(WeightInit.XAVIER)
                        .biasInit(FocalInit.priorBias(PRIOR))
                        .build())
                .build();
    }

    static Result evaluate(String name, INDArray probabilities, INDArray labels, double trainSeconds) {
        double[] p = probabilities.toDoubleVector();
        double[] y = labels.toDoubleVector();
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int i = 0; i < p.length; i++) {
            boolean predicted = p[i] >= 0.5;
            boolean actual = y[i] > 0.5;
            if (predicted && actual) {
                tp++;
            } else if (predicted) {
                fp++;
            } else if (actual) {
                fn++;
            }
        }
        double precision = tp + fp == 0 ? 0.0 : tp / (double) (tp + fp);   // no positive predictions: report 0
        double recall = tp / (double) (tp + fn);
        return new Result(name, AveragePrecision.of(probabilities, labels), precision, recall,
                trainSeconds);
    }

    // ------------------------------------------------------------------------------------------
    // Synthetic data
    // ------------------------------------------------------------------------------------------

    /** Blob centres at distance {@link #BLOB_RADIUS} from the origin, in random directions. */
    public static double[][] blobCentres(Random rng) {
        double[][] centres = new double[BLOBS][DIMS];
        for (double[] c : centres) {
            double norm = 0;
            for (int d = 0; d < DIMS; d++) {
                c[d] = rng.nextGaussian();
                norm += c[d] * c[d];
            }
            norm = Math.sqrt(norm);
            for (int d = 0; d < DIMS; d++) {
                c[d] *= BLOB_RADIUS / norm;
            }
        }
        return centres;
    }

    /** {@link #NEGATIVES} standard-normal negatives and {@link #POSITIVES} blob positives, shuffled. */
    public static Split sample(double[][] centres, Random rng) {
        int n = NEGATIVES + POSITIVES;
        int[] order = permutation(n, rng);
        float[][] x = new float[n][DIMS];
        float[][] y = new float[n][1];
        for (int k = 0; k < n; k++) {
            int row = order[k];
            if (k < POSITIVES) {
                double[] centre = centres[k % BLOBS];
                for (int d = 0; d < DIMS; d++) {
                    x[row][d] = (float) (centre[d] + BLOB_SIGMA * rng.nextGaussian());
                }
                y[row][0] = 1f;
            } else {
                for (int d = 0; d < DIMS; d++) {
                    x[row][d] = (float) rng.nextGaussian();
                }
            }
        }
        return new Split(x, y);
    }

    /**
     * AP of the Bayes-optimal ranking: score each test point by the log ratio of the positive
     * density (the blob mixture) to the negative density (standard normal). In expectation no
     * model can rank better, so this is the ceiling for the AP column.
     */
    static double bayesAveragePrecision(double[][] centres, Split split) {
        double[] scores = new double[split.size()];
        boolean[] positives = new boolean[split.size()];
        double var = BLOB_SIGMA * BLOB_SIGMA;
        for (int i = 0; i < scores.length; i++) {
            float[] x = split.x[i];
            // log of each blob's density and of the negative density, up to constants shared by all points
            double[] logBlob = new double[centres.length];
            double maxLogBlob = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < centres.length; k++) {
                double dist2 = 0;
                for (int d = 0; d < DIMS; d++) {
                    dist2 += (x[d] - centres[k][d]) * (x[d] - centres[k][d]);
                }
                logBlob[k] = -dist2 / (2 * var);
                maxLogBlob = Math.max(maxLogBlob, logBlob[k]);
            }
            double sum = 0;
            for (double l : logBlob) {
                sum += Math.exp(l - maxLogBlob);
            }
            double squaredNorm = 0;
            for (int d = 0; d < DIMS; d++) {
                squaredNorm += x[d] * x[d];
            }
            double logNegative = -squaredNorm / 2;
            scores[i] = maxLogBlob + Math.log(sum) - logNegative;
            positives[i] = split.y[i][0] > 0.5f;
        }
        return AveragePrecision.of(scores, positives);
    }

    /** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
    static int[] permutation(int n, Random rng) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** Features x[n][DIMS] and 0/1 labels y[n][1], kept as Java arrays so minibatches are cheap to build. */
    public static final class Split {
        public final float[][] x;
        public final float[][] y;

        Split(float[][] x, float[][] y) {
            this.x = x;
            this.y = y;
        }

        public int size() {
            return x.length;
        }
    }

    static final class Result {
        final String name;
        final double averagePrecision;
        final double precision;
        final double recall;
        final double trainSeconds;

        Result(String name, double averagePrecision, double precision, double recall, double trainSeconds) {
            this.name = name;
            this.averagePrecision = averagePrecision;
            this.precision = precision;
            this.recall = recall;
            this.trainSeconds = trainSeconds;
        }
    }
}
