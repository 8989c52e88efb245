package org.focaldl4j.detection.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The anchor loss layer (with LossFocal and LossFocalStar) is as reproducible as the losses: 8 networks of
 * one configuration, one per thread, give the single-thread score and gradient bit for bit;
 * {@code WorkspaceMode.ENABLED} and {@code NONE} train to bit-identical parameters; a network saved with
 * {@code ModelSerializer} after 6 steps, restored and trained 6 more equals 12 uninterrupted steps,
 * updater state included.
 */
class AnchorLossLayerReliabilityTest {

    static final int THREADS = 8;
    static final int ROUNDS = 6;
    static final int STEPS = 12;

    /** Anchor head: conv 3×3 (2 → 6 = A·K, A = 2, K = 3) → {@link AnchorLossLayer} with {@code loss}. */
    static ComputationGraphConfiguration anchorGraph(ILossFunction loss, WorkspaceMode mode) {
        return new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.DOUBLE).updater(new Adam(0.02))
                .weightInit(WeightInit.XAVIER).trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(5, 6, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(6).convolutionMode(ConvolutionMode.Same)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", new AnchorLossLayer.Builder(loss).build(), "conv")
                .setOutputs("loss")
                .build();
    }

    /** Seeded data: images [rows, 2, 5, 6], labels [rows, 6, 5, 6] at ~1:20 positives, a labels-shape mask. */
    static DataSet anchorData(long seed, int rows) {
        Random r = new Random(seed);
        double[][][][] x = new double[rows][2][5][6];
        double[][][][] y = new double[rows][6][5][6];
        double[][][][] m = new double[rows][6][5][6];
        for (int n = 0; n < rows; n++) {
            for (int h = 0; h < 5; h++) {
                for (int w = 0; w < 6; w++) {
                    for (int c = 0; c < 2; c++) {
                        x[n][c][h][w] = r.nextGaussian();
                    }
                    for (int c = 0; c < 6; c++) {
                        y[n][c][h][w] = r.nextInt(20) == 0 ? 1 : 0;
                        m[n][c][h][w] = r.nextInt(10) == 0 ? 0 : 1;      // ~10 % ignored entries
                    }
                }
            }
        }
        DataSet ds = new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
        ds.setLabelsMaskArray(Nd4j.createFromArray(m));
        return ds;
    }

    private static final ILossFunction[] LOSSES = {new LossFocal(), new LossFocalStar()};

    @Test
    void eightNetworksOnEightThreadsGiveTheSameBits() throws Exception {
        for (ILossFunction loss : LOSSES) {
            ComputationGraph reference = new ComputationGraph(anchorGraph(loss, WorkspaceMode.ENABLED));
            reference.init();
            DataSet ds = anchorData(3, 4);
            reference.setInputs(ds.getFeatures());
            reference.setLabels(ds.getLabels());
            reference.setLayerMaskArrays(null, new INDArray[] {ds.getLabelsMaskArray()});
            reference.computeGradientAndScore();
            long expectedScore = Double.doubleToRawLongBits(reference.score());
            long[] expectedGradient = Bits.of(reference.gradient().gradient());

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        ComputationGraph net = new ComputationGraph(reference.getConfiguration().clone());
                        net.init(reference.params().dup(), true);
                        start.await();
                        for (int round = 0; round < ROUNDS; round++) {
                            net.setInputs(ds.getFeatures());
                            net.setLabels(ds.getLabels());
                            net.setLayerMaskArrays(null, new INDArray[] {ds.getLabelsMaskArray()});
                            net.computeGradientAndScore();
                            assertEquals(expectedScore, Double.doubleToRawLongBits(net.score()), "score, round " + round);
                            assertArrayEquals(expectedGradient, Bits.of(net.gradient().gradient()),
                                    "gradient, round " + round);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(5, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static ComputationGraph trained(ILossFunction loss, WorkspaceMode mode, int from, int to,
                                            ComputationGraph start) {
        ComputationGraph net = start;
        if (net == null) {
            net = new ComputationGraph(anchorGraph(loss, mode));
            net.init();
        }
        for (int step = from; step < to; step++) {
            net.fit(anchorData(200 + step, 3));
        }
        return net;
    }

    @Test
    void workspaceModesAndSaveRestoreGiveTheSameBits(@TempDir Path dir) throws Exception {
        for (ILossFunction loss : LOSSES) {
            ComputationGraph enabled = trained(loss, WorkspaceMode.ENABLED, 0, STEPS, null);
            ComputationGraph none = trained(loss, WorkspaceMode.NONE, 0, STEPS, null);
            assertFalse(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread(),
                    "a workspace is open after fitting the anchor head");
            assertArrayEquals(Bits.of(none.params()), Bits.of(enabled.params()), loss + ": ENABLED vs NONE");

            ComputationGraph first = trained(loss, WorkspaceMode.ENABLED, 0, STEPS / 2, null);
            File file = dir.resolve("anchor-" + loss.name() + ".zip").toFile();
            ModelSerializer.writeModel(first, file, true);
            ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, true);
            ComputationGraph resumed = trained(loss, WorkspaceMode.ENABLED, STEPS / 2, STEPS, restored);
            assertArrayEquals(Bits.of(enabled.params()), Bits.of(resumed.params()),
                    loss + ": resumed vs uninterrupted parameters");
            assertArrayEquals(Bits.of(enabled.getUpdater().getStateViewArray()),
                    Bits.of(resumed.getUpdater().getStateViewArray()), loss + ": updater state");
        }
    }
}
