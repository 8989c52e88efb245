package org.focaldl4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The Spark tests' small multi-label task and network: 6 Gaussian features, 5 labels, label j on when feature j
 * plus noise (σ 0.3) exceeds 1.3 (about 1 in 10); a 6→16 (tanh)→5 (sigmoid) network, Adam 0.02, seed 42.
 */
final class FocalTask {

    static final int N_IN = 6;
    static final int N_OUT = 5;
    static final int EPOCHS = 4;
    /** Adam's learning rate. */
    static final double LEARNING_RATE = 0.02;

    private FocalTask() {
    }

    /** {@code count} minibatches of {@code rows} examples, FLOAT, drawn with {@code new Random(seed)}. */
    static List<DataSet> batches(long seed, int count, int rows) {
        Random r = new Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            double[][] x = new double[rows][N_IN];
            double[][] y = new double[rows][N_OUT];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < N_IN; j++) {
                    x[i][j] = r.nextGaussian();
                }
                for (int j = 0; j < N_OUT; j++) {
                    y[i][j] = x[i][j] + 0.3 * r.nextGaussian() > 1.3 ? 1 : 0;
                }
            }
            out.add(new DataSet(Nd4j.createFromArray(x).castTo(DataType.FLOAT), Nd4j.createFromArray(y).castTo(DataType.FLOAT)));
        }
        return out;
    }

    /** The training set: 64 minibatches of 16 (seed 1). */
    static List<DataSet> train() {
        return batches(1, 64, 16);
    }

    /** The held-out set: 256 examples (seed 2). */
    static DataSet test() {
        return DataSet.merge(batches(2, 8, 32));
    }

    static MultiLayerConfiguration conf(ILossFunction loss) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.FLOAT).updater(new Adam(LEARNING_RATE))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(N_IN).nOut(16).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(loss).nIn(16).nOut(N_OUT).activation(Activation.SIGMOID).build())
                .build();
    }

    /** The network trained on one machine, minibatch by minibatch in order, for {@link #EPOCHS} epochs. */
    static MultiLayerNetwork trainedOnOneMachine(ILossFunction loss) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf(loss));
        net.init();
        List<DataSet> train = train();
        for (int e = 0; e < EPOCHS; e++) {
            for (DataSet ds : train) {
                net.fit(ds);
            }
        }
        return net;
    }
}
