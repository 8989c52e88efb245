package org.focaldl4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.testing.Bits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * One loss instance shared by 8 threads that call every public method at once gives results bit-identical
 * to the same calls made sequentially: each loss configuration, in FLOAT and DOUBLE, with a per-output
 * mask, and (for {@code LossFocal}) an array big enough that the fused pass splits into parallel chunks.
 * (The anchor loss layer's equivalent is in focal-dl4j-detection.)
 */
class ConcurrencyTest {

    static final int THREADS = 8;
    static final int ROUNDS = 6;

    /** Every public ILossFunction method on one input, as arrays of bits. */
    private static List<long[]> everyMethod(ILossFunction loss, INDArray y, INDArray x, IActivation act, INDArray mask) {
        List<long[]> out = new ArrayList<>();
        out.add(new long[] {Double.doubleToRawLongBits(loss.computeScore(y, x, act, mask, false))});
        out.add(new long[] {Double.doubleToRawLongBits(loss.computeScore(y, x, act, mask, true))});
        out.add(Bits.of(loss.computeScoreArray(y, x, act, mask)));
        out.add(Bits.of(loss.computeGradient(y, x, act, mask)));
        Pair<Double, INDArray> both = loss.computeGradientAndScore(y, x, act, mask, false);
        out.add(new long[] {Double.doubleToRawLongBits(both.getFirst())});
        out.add(Bits.of(both.getSecond()));
        out.add(new long[] {loss.name().hashCode(), loss.toString().hashCode()});
        return out;
    }

    /** The inputs one loss is called with: (labels, logits, mask) triples. */
    private static List<INDArray[]> inputs(LossCatalogue.Entry e) {
        List<INDArray[]> in = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            DataSet ds = LossCatalogue.data(11, 16, e.oneHot, type);
            Nd4j.getRandom().setSeed(12);
            INDArray x = Nd4j.randn(type, 16, LossCatalogue.N_OUT).muli(3);
            INDArray mask = e.oneHot
                    ? Nd4j.createFromArray(new double[][] {{1}, {0}, {1}, {1}, {1}, {0}, {1}, {1}, {1}, {1}, {1}, {0},
                            {1}, {1}, {1}, {1}}).castTo(type)
                    : Nd4j.rand(type, 16, LossCatalogue.N_OUT).gt(0.2).castTo(type);
            in.add(new INDArray[] {ds.getLabels(), x, null});
            in.add(new INDArray[] {ds.getLabels(), x, mask});
        }
        return in;
    }

    static Stream<LossCatalogue.Entry> entries() {
        return LossCatalogue.entries().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void eightThreadsOnOneInstanceGiveTheSequentialBits(LossCatalogue.Entry e) throws Exception {
        ILossFunction loss = e.loss.get();
        IActivation act = e.activation.getActivationFunction();
        List<INDArray[]> inputs = inputs(e);
        List<List<long[]>> expected = new ArrayList<>();
        for (INDArray[] in : inputs) {
            expected.add(everyMethod(loss, in[0], in[1], act, in[2]));
        }
        runConcurrently(loss, act, inputs, expected);
    }

    /** 256 × 4096 FLOAT: the fused pass splits into chunks that run on the common pool, under 8 callers. */
    @Test
    void fusedPassUnderEightCallersOnALargeArray() throws Exception {
        ILossFunction loss = new LossFocal();
        IActivation act = new org.nd4j.linalg.activations.impl.ActivationSigmoid();
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.FLOAT, 256, 4096).muli(4);
        INDArray y = Nd4j.rand(DataType.FLOAT, 256, 4096).gt(0.99).castTo(DataType.FLOAT);
        List<INDArray[]> inputs = List.<INDArray[]>of(new INDArray[] {y, x, null});
        List<List<long[]>> expected = List.of(everyMethod(loss, y, x, act, null));
        runConcurrently(loss, act, inputs, expected);
    }

    private static void runConcurrently(ILossFunction loss, IActivation act, List<INDArray[]> inputs,
                                        List<List<long[]>> expected) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t;
                Callable<Integer> task = () -> {
                    start.await();
                    int compared = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        for (int k = 0; k < inputs.size(); k++) {
                            int i = (k + offset) % inputs.size();        // threads interleave different inputs
                            INDArray[] in = inputs.get(i);
                            List<long[]> got = everyMethod(loss, in[0], in[1], act, in[2]);
                            for (int m = 0; m < got.size(); m++) {
                                assertArrayEquals(expected.get(i).get(m), got.get(m),
                                        "input " + i + ", method " + m + ", thread " + offset + ", round " + round);
                                compared++;
                            }
                        }
                    }
                    return compared;
                };
                futures.add(pool.submit(task));
            }
            int total = 0;
            for (Future<Integer> f : futures) {
                total += f.get(5, TimeUnit.MINUTES);
            }
            assertEquals(THREADS * ROUNDS * inputs.size() * expected.get(0).size(), total);
        } finally {
            pool.shutdownNow();
        }
    }
}
