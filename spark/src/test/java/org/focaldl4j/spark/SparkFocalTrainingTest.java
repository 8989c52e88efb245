package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Focal-loss networks trained by DL4J's Spark trainer (dl4j-spark 1.0.0-M2) on Spark in local mode
 * ({@code local[2]}, loopback only): parameter averaging over 2 workers. The job finishes, the held-out
 * score falls, the trained network's configuration still holds the focal loss with its hyper-parameters,
 * and the result is close to the same network trained on one machine.
 */
// Spark (its Jetty) and DL4J's parameter server set system properties while they run: put them back.
@ExtendWith(RestoresSystemProperties.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SparkFocalTrainingTest {

    static final int N_IN = 6;
    static final int N_OUT = 5;
    static final int EPOCHS = 4;

    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("focal-dl4j-spark-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
        sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.stop();
        }
    }

    /** A 1:10 multi-label task: label j is on when feature j plus noise exceeds 1.3. */
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

    static MultiLayerConfiguration conf(ILossFunction loss) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.FLOAT).updater(new Adam(0.02))
                .weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().nIn(N_IN).nOut(16).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(loss).nIn(16).nOut(N_OUT).activation(Activation.SIGMOID).build())
                .build();
    }

    private static void trainsLikeOneMachine(Supplier<ILossFunction> loss) {
        List<DataSet> train = batches(1, 64, 16);
        DataSet test = DataSet.merge(batches(2, 8, 32));

        MultiLayerNetwork local = new MultiLayerNetwork(conf(loss.get()));
        local.init();
        double untrained = local.score(test);
        for (int e = 0; e < EPOCHS; e++) {
            for (DataSet ds : train) {
                local.fit(ds);
            }
        }
        double localScore = local.score(test);

        TrainingMaster<?, ?> tm = new ParameterAveragingTrainingMaster.Builder(16)
                .batchSizePerWorker(16).averagingFrequency(2).workerPrefetchNumBatches(0)
                .rngSeed(42).build();                                 // the repartitioning shuffle, fixed
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf(loss.get()), tm);
        JavaRDD<DataSet> rdd = sc.parallelize(train, 2);
        long start = System.nanoTime();
        for (int e = 0; e < EPOCHS; e++) {
            sparkNet.fit(rdd);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        MultiLayerNetwork trained = sparkNet.getNetwork();
        double sparkScore = trained.score(test);
        System.out.printf(Locale.ROOT, "%s: held-out score untrained %.5f, one machine %.5f, Spark local[2] %.5f "
                + "(ratio %.3f), %d epochs in %.1f s%n", loss.get(), untrained, localScore, sparkScore,
                sparkScore / localScore, EPOCHS, seconds);

        assertTrue(localScore < 0.5 * untrained, "one machine did not learn: " + untrained + " → " + localScore);
        assertTrue(sparkScore < 0.5 * untrained, "Spark did not learn: " + untrained + " → " + sparkScore);
        assertEquals(localScore, sparkScore, 0.25 * localScore, "Spark " + sparkScore + " vs one machine " + localScore);
        BaseOutputLayer out = (BaseOutputLayer) trained.getLayerWiseConfigurations().getConf(1).getLayer();
        assertEquals(loss.get(), out.getLossFn(), "the trained network's loss and its hyper-parameters");
    }

    @Test
    void lossFocalTrainsWithParameterAveraging() {
        trainsLikeOneMachine(() -> LossFocal.builder().alpha(0.25).gamma(2).build());
    }

    @Test
    void sameDiffFocalLossTrainsWithParameterAveraging() {
        trainsLikeOneMachine(() -> new SameDiffFocalLoss(0.25, 2));
    }
}
