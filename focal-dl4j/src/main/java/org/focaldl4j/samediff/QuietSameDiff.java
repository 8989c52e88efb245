package org.focaldl4j.samediff;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.nd4j.autodiff.samediff.SameDiff;

/**
 * SameDiff 1.0.0-M2.1 prints "Added differentiated op …" to System.out for every op when it builds
 * a gradient function. {@link #createGradFunction} builds it with exactly those lines dropped
 * (everything else printed meanwhile is forwarded); call it once before {@code sd.fit(…)} or
 * {@code sd.calculateGradients(…)}, which then reuse the function silently.
 */
public final class QuietSameDiff {

    private static final Object STDOUT_LOCK = new Object();
    private static final String NOISE = "Added differentiated op";

    private QuietSameDiff() {
    }

    /** {@code sd.createGradFunction(variables)} without SameDiff's per-op stdout lines. */
    public static void createGradFunction(SameDiff sd, String... variables) {
        synchronized (STDOUT_LOCK) {
            PrintStream original = System.out;
            System.setOut(new PrintStream(new DroppingLines(original), true));
            try {
                sd.createGradFunction(variables);
            } finally {
                System.out.flush();
                System.setOut(original);
            }
        }
    }

    /** Forwards whole lines to {@code target} unless they start with {@link #NOISE}. */
    private static final class DroppingLines extends OutputStream {
        private final PrintStream target;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        DroppingLines(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            line.write(b);
            if (b == '\n') {
                flush();
            }
        }

        @Override
        public void flush() {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!text.isEmpty() && !text.startsWith(NOISE)) {
                target.print(text);
            }
        }
    }
}
