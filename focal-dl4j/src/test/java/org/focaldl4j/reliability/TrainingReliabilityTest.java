package org.focaldl4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * Training is reproducible whatever the workspace mode and across a save/restore:
 * <ul>
 *   <li>{@code WorkspaceMode.ENABLED} and {@code NONE} give bit-identical parameters after 12 steps, and no
 *       workspace is open on the thread afterwards;</li>
 *   <li>the loss methods called inside a caller's workspace leave exactly that workspace open, and called
 *       outside any workspace return detached arrays;</li>
 *   <li>a network saved with {@code ModelSerializer} (updater included) after 6 steps, restored and trained 6
 *       more ends bit-identical to the network trained 12 steps without interruption, updater state included.</li>
 * </ul>
 * Every loss configuration of {@link LossCatalogue} in a MultiLayerNetwork (the anchor loss layer's
 * equivalent is in focal-dl4j-detection).
 */
class TrainingReliabilityTest {

    static final int STEPS = 12;

    static Stream<LossCatalogue.Entry> entries() {
        return LossCatalogue.entries().stream();
    }

    private static DataSet batch(LossCatalogue.Entry e, int step) {
        return LossCatalogue.data(100 + step, 24, e.oneHot, DataType.DOUBLE);
    }

    private static MultiLayerNetwork trained(LossCatalogue.Entry e, WorkspaceMode mode, int from, int to,
                                             MultiLayerNetwork start) {
        MultiLayerNetwork net = start;
        if (net == null) {
            net = new MultiLayerNetwork(LossCatalogue.mln(e, mode));
            net.init();
        }
        for (int step = from; step < to; step++) {
            net.fit(batch(e, step));
        }
        return net;
    }

    private static void noWorkspaceOpen(String when) {
        assertFalse(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread(), "a workspace is open " + when);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void workspaceModesGiveIdenticalParameters(LossCatalogue.Entry e) {
        MultiLayerNetwork enabled = trained(e, WorkspaceMode.ENABLED, 0, STEPS, null);
        noWorkspaceOpen("after fit with WorkspaceMode.ENABLED");
        MultiLayerNetwork none = trained(e, WorkspaceMode.NONE, 0, STEPS, null);
        noWorkspaceOpen("after fit with WorkspaceMode.NONE");

        MultiLayerNetwork untrained = new MultiLayerNetwork(LossCatalogue.mln(e, WorkspaceMode.NONE));
        untrained.init();
        assertNotEquals(0.0, enabled.params().sub(untrained.params()).norm2Number().doubleValue(), "training moved nothing");
        assertArrayEquals(Bits.of(none.params()), Bits.of(enabled.params()));

        DataSet test = LossCatalogue.data(999, 16, e.oneHot, DataType.DOUBLE);
        assertEquals(none.score(test), enabled.score(test), 0.0);
        assertArrayEquals(Bits.of(none.scoreExamples(test, false)),
                Bits.of(enabled.scoreExamples(test, false)));
        assertArrayEquals(Bits.of(none.output(test.getFeatures())),
                Bits.of(enabled.output(test.getFeatures())));
        noWorkspaceOpen("after score, scoreExamples and output");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void lossMethodsLeaveWorkspacesAsTheyFoundThem(LossCatalogue.Entry e) {
        ILossFunction loss = e.loss.get();
        IActivation act = e.activation.getActivationFunction();
        DataSet ds = LossCatalogue.data(5, 8, e.oneHot, DataType.FLOAT);
        INDArray x = Nd4j.randn(DataType.FLOAT, 8, LossCatalogue.N_OUT);

        INDArray gradientOutside = loss.computeGradient(ds.getLabels(), x, act, null);
        INDArray rowsOutside = loss.computeScoreArray(ds.getLabels(), x, act, null);
        assertFalse(gradientOutside.isAttached(), "gradient attached to a workspace");
        assertFalse(rowsOutside.isAttached(), "score array attached to a workspace");
        noWorkspaceOpen("after calls outside any workspace");

        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.NONE).build();
        for (int i = 0; i < 3; i++) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "RELIABILITY_WS")) {
                double score = loss.computeScore(ds.getLabels(), x, act, null, false);
                INDArray rows = loss.computeScoreArray(ds.getLabels(), x, act, null);
                INDArray gradient = loss.computeGradient(ds.getLabels(), x, act, null);
                loss.computeGradientAndScore(ds.getLabels(), x, act, null, true);
                assertSame(ws, Nd4j.getMemoryManager().getCurrentWorkspace(), "the caller's workspace is no longer current");
                assertArrayEquals(Bits.of(gradientOutside), Bits.of(gradient));
                assertArrayEquals(Bits.of(rowsOutside), Bits.of(rows));
                assertEquals(rowsOutside.sumNumber().doubleValue(), score, 1e-5 * Math.max(1, Math.abs(score)));
            }
            noWorkspaceOpen("after a workspace scope closed (iteration " + i + ")");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void saveMidTrainingRestoreAndContinueEqualsUninterruptedTraining(LossCatalogue.Entry e, @TempDir Path dir)
            throws Exception {
        MultiLayerNetwork uninterrupted = trained(e, WorkspaceMode.ENABLED, 0, STEPS, null);

        MultiLayerNetwork first = trained(e, WorkspaceMode.ENABLED, 0, STEPS / 2, null);
        File file = dir.resolve("mid.zip").toFile();
        ModelSerializer.writeModel(first, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);
        assertEquals(first.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(e.loss.get(), ((org.deeplearning4j.nn.conf.layers.BaseOutputLayer) restored
                .getLayerWiseConfigurations().getConf(1).getLayer()).getLossFn(), "the restored loss");
        MultiLayerNetwork resumed = trained(e, WorkspaceMode.ENABLED, STEPS / 2, STEPS, restored);

        assertArrayEquals(Bits.of(uninterrupted.params()), Bits.of(resumed.params()), "parameters");
        assertArrayEquals(Bits.of(uninterrupted.getUpdater().getStateViewArray()),
                Bits.of(resumed.getUpdater().getStateViewArray()), "updater state");
        assertTrue(uninterrupted.getUpdater().getStateViewArray().norm2Number().doubleValue() > 0, "Adam state is empty");
    }
}
