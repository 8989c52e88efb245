package org.focaldl4j.samediff;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.nd4j.autodiff.samediff.SameDiff;

/**
 * SameDiff 1.0.0-M2.1 prints "Added differentiated op …" with {@code System.out.println} for every op
 * while it builds a gradient function. {@link #createGradFunction} drops exactly those lines, and only
 * those printed by the thread that builds: while any thread is building, {@code System.out} is a filter
 * that passes every other thread's output straight through (unbuffered, unchanged) and the building
 * thread's other lines too. The filter is installed by the first concurrent builder and removed by the
 * last — unless someone else replaced {@code System.out} meanwhile, whose stream is then left in place
 * (the filter passes everything through once no thread is building).
 */
final class QuietSameDiff {

    private static final String NOISE = "Added differentiated op";

    /** Threads inside {@link #createGradFunction}. */
    private static final Set<Thread> BUILDING = ConcurrentHashMap.newKeySet();
    private static final Object LOCK = new Object();
    private static PrintStream original;       // guarded by LOCK
    private static PrintStream installed;      // guarded by LOCK
    private static int users;                  // guarded by LOCK

    private QuietSameDiff() {
    }

    /** {@code sd.createGradFunction(variables)} without SameDiff's per-op stdout lines of this thread. */
    static void createGradFunction(SameDiff sd, String... variables) {
        install();
        BUILDING.add(Thread.currentThread());
        try {
            sd.createGradFunction(variables);
        } finally {
            BUILDING.remove(Thread.currentThread());
            uninstall();
        }
    }

    private static void install() {
        synchronized (LOCK) {
            if (users++ == 0) {
                original = System.out;
                installed = new PrintStream(new Filter(original), true, StandardCharsets.UTF_8);
                System.setOut(installed);
            }
        }
    }

    private static void uninstall() {
        synchronized (LOCK) {
            if (--users == 0) {
                installed.flush();
                if (System.out == installed) {
                    System.setOut(original);
                }
                installed = null;
                original = null;
            }
        }
    }

    /** Building threads' bytes are collected per line and dropped if the line is SameDiff's noise. */
    private static final class Filter extends OutputStream {
        private final PrintStream target;
        private final ThreadLocal<ByteArrayOutputStream> line = ThreadLocal.withInitial(ByteArrayOutputStream::new);

        Filter(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            if (!BUILDING.contains(Thread.currentThread())) {
                target.write(b);
                return;
            }
            ByteArrayOutputStream buffer = line.get();
            buffer.write(b);
            if (b == '\n') {
                emit(buffer);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            if (!BUILDING.contains(Thread.currentThread())) {
                target.write(bytes, offset, length);
                return;
            }
            for (int i = offset; i < offset + length; i++) {
                write(bytes[i]);
            }
        }

        @Override
        public void flush() {
            ByteArrayOutputStream buffer = line.get();
            if (buffer.size() > 0 && !BUILDING.contains(Thread.currentThread())) {
                emit(buffer);                    // a building thread's partial line that outlived its build
            }
            target.flush();
        }

        private void emit(ByteArrayOutputStream buffer) {
            String text = buffer.toString(StandardCharsets.UTF_8);
            buffer.reset();
            if (!text.startsWith(NOISE)) {
                target.print(text);
            }
        }
    }
}
