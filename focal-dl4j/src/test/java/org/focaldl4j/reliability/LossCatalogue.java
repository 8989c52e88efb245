package org.focaldl4j.reliability;

import java.util.List;
import java.util.Random;

import org.deeplearning4j.nn.api.OptimizationAlgorithm;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.focaldl4j.loss.ExecutionPath;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Every loss configuration the reliability tests run (each loss, with and without its options: weights,
 * per-class α, smoothing, the op path), the small networks they train, and seeded data.
 */
final class LossCatalogue {

    static final int N_IN = 6;
    static final int N_OUT = 5;

    /** One loss configuration: a fresh instance per call, its output activation and its label kind. */
    static final class Entry {
        final String name;
        final java.util.function.Supplier<ILossFunction> loss;
        final Activation activation;
        final boolean oneHot;

        Entry(String name, java.util.function.Supplier<ILossFunction> loss, Activation activation, boolean oneHot) {
            this.name = name;
            this.loss = loss;
            this.activation = activation;
            this.oneHot = oneHot;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final double[] WEIGHTS = {1.0, 0.5, 2.0, 1.5, 0.25};

    static List<Entry> entries() {
        return List.of(
                new Entry("LossFocal()", LossFocal::new, Activation.SIGMOID, false),
                new Entry("LossFocal(α=-1, γ=0.5, weights, smoothing 0.1, op path)",
                        () -> LossFocal.builder().alpha(-1).gamma(0.5).weights(Nd4j.createFromArray(WEIGHTS))
                                .labelSmoothing(0.1).path(ExecutionPath.OPS).build(),
                        Activation.SIGMOID, false),
                new Entry("LossFocal on softmax outputs (probability path)", LossFocal::new, Activation.SOFTMAX, false),
                new Entry("LossCategoricalFocal()", LossCategoricalFocal::new, Activation.SOFTMAX, true),
                new Entry("LossCategoricalFocal(per-class α, γ=1, weights, op path)",
                        () -> LossCategoricalFocal.builder().alpha(0.5, 1.0, 2.0, 1.0, 0.25).gamma(1)
                                .weights(Nd4j.createFromArray(WEIGHTS)).path(ExecutionPath.OPS).build(),
                        Activation.SOFTMAX, true),
                new Entry("LossFocalStar()", LossFocalStar::new, Activation.SIGMOID, false),
                new Entry("LossFocalStar(α=0.5, γ=4, β=0, weights, op path)",
                        () -> LossFocalStar.builder().alpha(0.5).gamma(4).beta(0).weights(Nd4j.createFromArray(WEIGHTS))
                                .path(ExecutionPath.OPS).build(),
                        Activation.SIGMOID, false),
                new Entry("SameDiffFocalLoss()", SameDiffFocalLoss::new, Activation.SIGMOID, false),
                new Entry("SameDiffFocalLoss.categorical(per-class α, γ=2)",
                        () -> SameDiffFocalLoss.categorical(new double[] {0.5, 1.0, 2.0, 1.0, 0.25}, 2),
                        Activation.SOFTMAX, true),
                new Entry("SameDiffFocalLoss.star(0.25, 2, 1)", () -> SameDiffFocalLoss.star(0.25, 2, 1),
                        Activation.SIGMOID, false));
    }

    /** Seeded features [rows, N_IN] and labels [rows, N_OUT] (multi-label 0/1 at 1:3, or one-hot). */
    static DataSet data(long seed, int rows, boolean oneHot, DataType type) {
        Random r = new Random(seed);
        double[][] x = new double[rows][N_IN];
        double[][] y = new double[rows][N_OUT];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < N_IN; j++) {
                x[i][j] = r.nextGaussian();
            }
            if (oneHot) {
                y[i][r.nextInt(N_OUT)] = 1;
            } else {
                for (int j = 0; j < N_OUT; j++) {
                    y[i][j] = r.nextInt(3) == 0 ? 1 : 0;
                }
            }
        }
        return new DataSet(Nd4j.createFromArray(x).castTo(type), Nd4j.createFromArray(y).castTo(type));
    }

    /** Dense(N_IN → 8, tanh) → OutputLayer(N_OUT, the entry's activation and loss); Adam, double precision. */
    static MultiLayerConfiguration mln(Entry e, WorkspaceMode mode) {
        return new NeuralNetConfiguration.Builder().seed(42).dataType(DataType.DOUBLE)
                .optimizationAlgo(OptimizationAlgorithm.STOCHASTIC_GRADIENT_DESCENT).updater(new Adam(0.02))
                .weightInit(WeightInit.XAVIER).trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode)
                .list()
                .layer(new DenseLayer.Builder().nIn(N_IN).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(e.loss.get()).nOut(N_OUT).activation(e.activation).build())
                .setInputType(InputType.feedForward(N_IN))
                .build();
    }

    private LossCatalogue() {
    }
}
