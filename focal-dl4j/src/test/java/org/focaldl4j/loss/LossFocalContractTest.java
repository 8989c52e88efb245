package org.focaldl4j.loss;

import static org.focaldl4j.loss.Approx.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The DL4J loss contract: immutability of inputs, layouts, workspaces, normalisation, smoothing. */
class LossFocalContractTest {

    private static final int ROWS = 5;
    private static final int COLS = 4;

    private static INDArray logits() {
        return Nd4j.linspace(-6, 6, ROWS * COLS, DataType.DOUBLE).reshape(ROWS, COLS).muli(1.3);
    }

    private static INDArray labels() {
        return Nd4j.create(new double[][] {
                {1, 0, 0, 0.3}, {0, 1, 0, 0}, {0, 0, 0, 0}, {1, 1, 0, 0.9}, {0, 0, 1, 0}});
    }

    static Stream<Arguments> callVariants() {
        INDArray perExample = Nd4j.create(new double[][] {{1}, {0}, {1}, {1}, {0}});
        INDArray perOutput = labels().gt(-1).castTo(DataType.DOUBLE).putScalar(0, 1, 0).putScalar(3, 3, 0);
        LossFocal weighted = LossFocal.builder().weights(Nd4j.create(new double[] {1, 2, 0.5, 0}))
                .labelSmoothing(0.1).build();
        Stream.Builder<Arguments> b = Stream.builder();
        for (IActivation act : new IActivation[] {new ActivationSigmoid(), new ActivationSoftmax()}) {
            for (INDArray mask : new INDArray[] {null, perExample, perOutput}) {
                for (LossFocal loss : new LossFocal[] {new LossFocal(), weighted}) {
                    b.add(Arguments.of(loss, act, mask));
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1} mask={2}", autoCloseArguments = false)
    @MethodSource("callVariants")
    void inputsAreNeverModified(LossFocal loss, IActivation act, INDArray mask) {
        INDArray x = logits();
        INDArray y = labels();
        INDArray xCopy = x.dup();
        INDArray yCopy = y.dup();
        INDArray mCopy = mask == null ? null : mask.dup();

        loss.computeScore(y, x, act, mask, true);
        loss.computeScoreArray(y, x, act, mask);
        loss.computeGradient(y, x, act, mask);
        loss.computeGradientAndScore(y, x, act, mask, false);

        assertEquals(xCopy, x, "preOutput modified");
        assertEquals(yCopy, y, "labels modified");
        if (mask != null) {
            assertEquals(mCopy, mask, "mask modified");
        }
    }

    @ParameterizedTest(name = "{0} {1} mask={2}", autoCloseArguments = false)
    @MethodSource("callVariants")
    void fortranOrderAndViewsGiveTheSameAnswer(LossFocal loss, IActivation act, INDArray mask) {
        INDArray x = logits();
        INDArray y = labels();
        INDArray expectedScores = loss.computeScoreArray(y, x, act, mask);
        INDArray expectedGrad = loss.computeGradient(y, x, act, mask);

        // 'f'-ordered copies and views take the op path, contiguous arrays the fused one on the CPU:
        // the two implementations agree to rounding (1e-12 relative).
        INDArray xf = x.dup('f');
        INDArray yf = y.dup('f');
        INDArray mf = mask == null ? null : mask.dup('f');
        assertClose(expectedScores, loss.computeScoreArray(yf, xf, act, mf), 1e-12, 1e-300, "f-order scores");
        assertClose(expectedGrad, loss.computeGradient(yf, xf, act, mf), 1e-12, 1e-300, "f-order gradient");

        // Strided views into larger arrays (every other column of a [ROWS, 2·COLS] array)
        INDArray bigX = Nd4j.rand(DataType.DOUBLE, ROWS, 2 * COLS);
        INDArray bigY = Nd4j.rand(DataType.DOUBLE, ROWS, 2 * COLS);
        INDArray xv = bigX.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 2 * COLS));
        INDArray yv = bigY.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 2 * COLS));
        xv.assign(x);
        yv.assign(y);
        assertFalse(xv.isView() && xv.elementWiseStride() == 1, "test setup: expected a strided view");
        assertClose(expectedScores, loss.computeScoreArray(yv, xv, act, mask), 1e-12, 1e-300, "view scores");
        assertClose(expectedGrad, loss.computeGradient(yv, xv, act, mask), 1e-12, 1e-300, "view gradient");
    }

    @Test
    void scoreArrayIsRowsByOneAndSumsToTheScore() {
        LossFocal loss = new LossFocal();
        INDArray s = loss.computeScoreArray(labels(), logits(), new ActivationSigmoid(), null);
        assertArrayEquals(new long[] {ROWS, 1}, s.shape());
        double score = loss.computeScore(labels(), logits(), new ActivationSigmoid(), null, false);
        assertClose(s.sumNumber().doubleValue(), score, 1e-14, 0, "sum of score array");
        assertClose(score / ROWS, loss.computeScore(labels(), logits(), new ActivationSigmoid(), null, true),
                1e-14, 0, "average");
    }

    @Test
    void resultsAreRightInsideAndOutsideAWorkspace() {
        LossFocal loss = LossFocal.builder().weights(Nd4j.create(new double[] {1, 2, 0.5, 3})).build();
        INDArray x = logits();
        INDArray y = labels();
        Pair<Double, INDArray> outside = loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, false);
        assertFalse(outside.getSecond().isAttached());

        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(0)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP).build();
        for (int iteration = 0; iteration < 3; iteration++) {   // later iterations reuse the learned workspace
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "FOCAL_TEST_WS")) {
                Pair<Double, INDArray> inside = loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, false);
                assertEquals(outside.getFirst(), inside.getFirst(), 1e-12);
                assertClose(outside.getSecond(), inside.getSecond(), 1e-14, 0, "gradient in workspace");
                INDArray scores = loss.computeScoreArray(y, x, new ActivationSigmoid(), null);
                assertClose(outside.getFirst(), scores.sumNumber().doubleValue(), 1e-12, 0, "scores in workspace");
            }
        }
        assertNull(Nd4j.getMemoryManager().getCurrentWorkspace(), "a workspace was left open");
        // The loss's own configuration lives outside any workspace and survives it.
        assertEquals(3.0, loss.getWeights().getDouble(3), 0.0);
    }

    @Test
    void labelSmoothingEqualsSmoothedLabels() {
        double eps = 0.2;
        INDArray y = labels();
        INDArray smoothed = y.mul(1 - eps).addi(eps / 2);
        for (IActivation act : new IActivation[] {new ActivationSigmoid(), new ActivationSoftmax()}) {
            LossFocal plain = new LossFocal();
            LossFocal smoothing = LossFocal.builder().labelSmoothing(eps).build();
            assertClose(plain.computeScoreArray(smoothed, logits(), act, null),
                    smoothing.computeScoreArray(y, logits(), act, null), 1e-14, 0, "scores " + act);
            assertClose(plain.computeGradient(smoothed, logits(), act, null),
                    smoothing.computeGradient(y, logits(), act, null), 1e-14, 0, "gradient " + act);
        }
    }

    @Test
    void probabilityPathAgreesWithTheLogitPath() {
        // A sigmoid that is not ActivationSigmoid takes the probability path; with clipping off and
        // moderate logits, both paths compute the same function.
        IActivation opaqueSigmoid = new OpaqueSigmoid();
        for (double gamma : new double[] {0, 0.5, 2, 5}) {
            LossFocal loss = LossFocal.builder().gamma(gamma).clipEpsilon(0).build();
            assertClose(loss.computeScoreArray(labels(), logits(), new ActivationSigmoid(), null),
                    loss.computeScoreArray(labels(), logits(), opaqueSigmoid, null), 1e-10, 1e-14, "scores");
            assertClose(loss.computeGradient(labels(), logits(), new ActivationSigmoid(), null),
                    loss.computeGradient(labels(), logits(), opaqueSigmoid, null), 1e-8, 1e-14, "gradient");
        }
    }

    /** Sigmoid by delegation, so that the loss cannot recognise it. */
    static final class OpaqueSigmoid extends org.nd4j.linalg.activations.BaseActivationFunction {
        private final ActivationSigmoid inner = new ActivationSigmoid();

        @Override
        public INDArray getActivation(INDArray in, boolean training) {
            return inner.getActivation(in, training);
        }

        @Override
        public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
            return inner.backprop(in, epsilon);
        }

        @Override
        public String toString() {
            return "opaque-sigmoid";
        }
    }
}
