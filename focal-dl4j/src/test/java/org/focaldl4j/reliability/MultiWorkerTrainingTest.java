package org.focaldl4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Training on more than one worker.
 * <ul>
 *   <li>{@code ParallelWrapper} with 2 workers (parameter averaging every 2 iterations) trains a
 *       {@code LossFocal} network to a held-out score within 15 % of the single-worker score after the same
 *       number of epochs, and far below the untrained score.</li>
 *   <li>What Spark or a parameter server needs of a loss: the configuration travels as JSON, the loss as
 *       a Java-serialised object, and workers rebuild the network from it. For every loss configuration,
 *       a network rebuilt from the JSON configuration with the same parameters gives bit-identical scores
 *       and gradients, and a loss instance that has already been used serialises to the same bytes as a
 *       fresh one (it carries no per-instance state) and computes the same bits after deserialisation.</li>
 * </ul>
 */
class MultiWorkerTrainingTest {

    /** A 1:10 multi-label task: label j is on when feature j plus noise exceeds a high threshold. */
    private static List<DataSet> batches(long seed, int count, int rows) {
        java.util.Random r = new java.util.Random(seed);
        List<DataSet> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            double[][] x = new double[rows][LossCatalogue.N_IN];
            double[][] y = new double[rows][LossCatalogue.N_OUT];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < LossCatalogue.N_IN; j++) {
                    x[i][j] = r.nextGaussian();
                }
                for (int j = 0; j < LossCatalogue.N_OUT; j++) {
                    y[i][j] = x[i][j] + 0.3 * r.nextGaussian() > 1.3 ? 1 : 0;
                }
            }
            out.add(new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y)));
        }
        return out;
    }

    private static MultiLayerNetwork fresh() {
        LossCatalogue.Entry focal = LossCatalogue.entries().get(0);
        MultiLayerNetwork net = new MultiLayerNetwork(LossCatalogue.mln(focal, WorkspaceMode.ENABLED));
        net.init();
        return net;
    }

    @Test
    void parallelWrapperWithTwoWorkersReachesTheSingleWorkerScore() throws Exception {
        List<DataSet> train = batches(1, 64, 32);
        DataSet test = DataSet.merge(batches(2, 8, 32));
        int epochs = 3;

        MultiLayerNetwork single = fresh();
        double untrained = single.score(test);
        for (int e = 0; e < epochs; e++) {
            single.fit(new ListDataSetIterator<>(train, 1));
        }
        double singleScore = single.score(test);

        MultiLayerNetwork parallel = fresh();
        try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(parallel)
                .workers(2).prefetchBuffer(4).averagingFrequency(2).reportScoreAfterAveraging(true).build()) {
            for (int e = 0; e < epochs; e++) {
                wrapper.fit(new ListDataSetIterator<>(train, 1));
            }
        }
        double parallelScore = parallel.score(test);
        System.out.printf(java.util.Locale.ROOT, "held-out score: untrained %.5f, 1 worker %.5f, 2 workers %.5f (ratio %.3f)%n",
                untrained, singleScore, parallelScore, parallelScore / singleScore);

        assertTrue(singleScore < 0.5 * untrained, "single worker did not learn: " + untrained + " → " + singleScore);
        assertTrue(parallelScore < 0.5 * untrained, "2 workers did not learn: " + untrained + " → " + parallelScore);
        assertEquals(singleScore, parallelScore, 0.15 * singleScore,
                "2-worker score " + parallelScore + " vs single-worker " + singleScore);
        BaseOutputLayer out = (BaseOutputLayer) parallel.getLayerWiseConfigurations().getConf(1).getLayer();
        assertEquals(new LossFocal(), out.getLossFn(), "the wrapped network's loss");
    }

    static Stream<LossCatalogue.Entry> entries() {
        return LossCatalogue.entries().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void workersRebuiltFromJsonComputeTheSameBits(LossCatalogue.Entry e) throws Exception {
        MultiLayerNetwork driver = new MultiLayerNetwork(LossCatalogue.mln(e, WorkspaceMode.ENABLED));
        driver.init();
        DataSet ds = LossCatalogue.data(31, 12, e.oneHot, DataType.DOUBLE);
        driver.fit(ds);                                                    // a used network, as mid-training

        MultiLayerNetwork worker = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(
                driver.getLayerWiseConfigurations().toJson()));
        worker.init(driver.params().dup(), true);
        for (MultiLayerNetwork net : new MultiLayerNetwork[] {driver, worker}) {
            net.setInput(ds.getFeatures());
            net.setLabels(ds.getLabels());
            net.computeGradientAndScore();
        }
        assertEquals(Double.doubleToRawLongBits(driver.score()), Double.doubleToRawLongBits(worker.score()));
        assertArrayEquals(Bits.of(driver.gradient().gradient()), Bits.of(worker.gradient().gradient()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void aUsedLossSerialisesLikeAFreshOneAndComputesTheSameBits(LossCatalogue.Entry e) throws Exception {
        ILossFunction used = e.loss.get();
        IActivation act = e.activation.getActivationFunction();
        DataSet ds = LossCatalogue.data(41, 9, e.oneHot, DataType.FLOAT);
        INDArray x = Nd4j.randn(DataType.FLOAT, 9, LossCatalogue.N_OUT);
        INDArray before = used.computeGradient(ds.getLabels(), x, act, null);
        double score = used.computeScore(ds.getLabels(), x, act, null, false);

        byte[] usedBytes = javaBytes(used);
        assertArrayEquals(javaBytes(e.loss.get()), usedBytes, "a used instance carries state into its serial form");
        ILossFunction copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(usedBytes))) {
            copy = (ILossFunction) in.readObject();
        }
        assertEquals(used, copy);
        assertArrayEquals(Bits.of(before), Bits.of(copy.computeGradient(ds.getLabels(), x, act, null)));
        assertEquals(Double.doubleToRawLongBits(score),
                Double.doubleToRawLongBits(copy.computeScore(ds.getLabels(), x, act, null, false)));
    }

    private static byte[] javaBytes(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }
}
