package org.focaldl4j.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Building SameDiff gradient functions drops SameDiff's per-op lines of the building thread only: what
 * other threads print meanwhile arrives whole, and {@code System.out} is the caller's stream afterwards.
 */
class QuietSameDiffTest {

    private static final String MIMIC = "Added differentiated op — printed by another thread, kept";

    @Test
    void otherThreadsOutputPassesThroughWhileGraphsAreBuilt() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        int lines = 3000;
        System.setOut(capture);
        try {
            CountDownLatch building = new CountDownLatch(1);
            AtomicBoolean printed = new AtomicBoolean();
            Future<?> builder = pool.submit(() -> {
                INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
                INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 3);
                // Builds until the printer is done, so that its lines overlap builds however fast either runs (a
                // fixed number of builds could all end before the printer's middle line on a loaded machine).
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                for (int i = 0; !printed.get() && System.nanoTime() < deadline; i++) {
                    if (i == 1) {
                        building.countDown();
                    }
                    // A new instance builds new graphs (per instance, thread and dtype).
                    new SameDiffFocalLoss(0.25, 2.0).computeGradient(y, x, new ActivationSigmoid(), null);
                }
                return null;
            });
            Future<?> printer = pool.submit(() -> {
                building.await(1, TimeUnit.MINUTES);
                for (int i = 0; i < lines; i++) {
                    System.out.println("other thread, line " + i);
                    if (i == lines / 2) {
                        // Wait until a build has the filter installed, then print what looks like SameDiff's noise.
                        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                        while (System.out == capture && System.nanoTime() < deadline) {
                            Thread.onSpinWait();
                        }
                        assertTrue(System.out != capture, "no build overlapped the printing thread");
                        System.out.println(MIMIC);
                    }
                }
                printed.set(true);
                return null;
            });
            try {
                printer.get(5, TimeUnit.MINUTES);
            } finally {
                printed.set(true);                                 // a failed printer stops the builder too
            }
            builder.get(5, TimeUnit.MINUTES);
            assertSame(capture, System.out, "System.out is the caller's stream again");
        } finally {
            System.setOut(original);
            pool.shutdownNow();
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        String[] got = text.split("\n");
        long noise = java.util.Arrays.stream(got).filter(l -> l.startsWith("Added differentiated op")).count();
        assertEquals(1, noise, "only the other thread's look-alike line, none of SameDiff's");
        assertTrue(text.contains(MIMIC + "\n"));
        int k = 0;
        for (String line : got) {
            if (line.startsWith("other thread")) {
                assertEquals("other thread, line " + k, line);
                k++;
            }
        }
        assertEquals(lines, k, "every line of the other thread, whole and in order");
        assertTrue(got.length >= lines);
    }
}
