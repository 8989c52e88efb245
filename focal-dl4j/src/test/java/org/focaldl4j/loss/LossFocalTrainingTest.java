package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * A MultiLayerNetwork trained with LossFocal on a 1:100 imbalanced synthetic task: the score falls
 * and the rare class is ranked above the common one on held-out data.
 */
class LossFocalTrainingTest {

    /** Points in [-1, 1]^2; positive inside a disc of radius 0.1 at (0.4, -0.3): ~0.8 % of points. */
    private static DataSet data(int n, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][2];
        double[][] y = new double[n][1];
        for (int i = 0; i < n; i++) {
            boolean positive = r.nextDouble() < 0.01;
            double a, b;
            do {
                a = 2 * r.nextDouble() - 1;
                b = 2 * r.nextDouble() - 1;
            } while (inside(a, b) != positive);
            x[i][0] = a;
            x[i][1] = b;
            y[i][0] = positive ? 1 : 0;
        }
        return new DataSet(Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.create(y).castTo(DataType.FLOAT));
    }

    private static boolean inside(double a, double b) {
        return Math.hypot(a - 0.4, b + 0.3) < 0.1;
    }

    @Test
    void learnsTheRareClass() {
        Nd4j.getRandom().setSeed(7);
        DataSet train = data(8000, 1);
        DataSet test = data(8000, 2);
        double prior = 0.01;
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(new Adam(5e-3)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(2).nOut(32).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(32).nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder().nIn(32).nOut(1).activation(Activation.SIGMOID)
                        .biasInit(-Math.log((1 - prior) / prior))          // the paper's prior initialisation
                        .lossFunction(new LossFocal()).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();

        double initial = net.score(train);
        for (int epoch = 0; epoch < 20; epoch++) {
            for (DataSet batch : train.batchBy(256)) {
                net.fit(batch);
            }
        }
        double trained = net.score(train);
        assertTrue(trained < 0.25 * initial, "score should fall by 4x: " + initial + " -> " + trained);

        // Ranking on held-out data: the top-|positives| scores should be mostly positives (precision at R).
        double[] scores = net.output(test.getFeatures()).reshape(-1).toDoubleVector();
        double[] labels = test.getLabels().reshape(-1).toDoubleVector();
        int positives = 0;
        for (double l : labels) {
            positives += (int) l;
        }
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (i, j) -> Double.compare(scores[j], scores[i]));
        int hits = 0;
        for (int k = 0; k < positives; k++) {
            hits += (int) labels[order[k]];
        }
        double precisionAtR = hits / (double) positives;
        assertTrue(positives >= 50, "test set should hold ~80 positives, has " + positives);
        assertTrue(precisionAtR >= 0.7, "precision at R = " + precisionAtR + " (" + hits + "/" + positives + ")");
    }
}
