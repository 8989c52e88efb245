package org.focaldl4j.loss;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the fused kernel's chunks of rows run: the calling thread and a pool this library owns — daemon threads
 * named {@code focal-dl4j-fused-N}, as many as ND4J's own op threads ({@code Nd4j.getEnvironment().maxThreads()}),
 * ended after 30 s idle — never the JVM's common ForkJoin pool, so that the loss does not compete with, or wait
 * behind, other users of that pool (parallel streams, other libraries). Callers from many threads (ParallelWrapper
 * or Spark workers) share its bounded number of threads.
 */
final class FusedPool {

    /** Below this many elements a call runs on the caller's thread (dispatch would cost more than it saves). */
    private static final long PARALLEL_THRESHOLD = 1 << 15;

    private FusedPool() {
    }

    /** The smallest non-negative index of the chunks' first bad labels, or −1 when there is none. */
    static long firstOf(long[] perChunk) {
        long first = -1;
        for (long bad : perChunk) {
            if (bad >= 0 && (first < 0 || bad < first)) {
                first = bad;
            }
        }
        return first;
    }

    /** Number of chunks to split {@code rows} rows of {@code elements} elements into. */
    static int chunks(int rows, long elements) {
        if (elements < PARALLEL_THRESHOLD || Pool.THREADS == 1) {
            return 1;
        }
        return Math.max(1, Math.min(rows, 4 * Pool.THREADS));
    }

    /**
     * Runs {@code body} for every chunk index in [0, chunks) and returns when all have finished; one
     * chunk runs on the calling thread, the rest on the library's pool. An exception of any chunk is
     * rethrown.
     */
    static void forEachChunk(int chunks, IntConsumer body) {
        if (chunks == 1) {
            body.accept(0);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(chunks - 1);
        for (int c = 1; c < chunks; c++) {
            int chunk = c;
            futures.add(Pool.POOL.submit(() -> body.accept(chunk)));
        }
        RuntimeException first = null;
        try {
            body.accept(0);
        } catch (RuntimeException e) {
            first = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the fused loss kernel ran", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                if (first == null) {
                    first = cause instanceof RuntimeException ? (RuntimeException) cause
                            : new IllegalStateException(cause);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The library's own pool, created on first parallel use; idle threads end after 30 s. */
    private static final class Pool {
        static final int THREADS = Math.max(1, Nd4j.getEnvironment().maxThreads());
        static final ExecutorService POOL;

        static {
            AtomicInteger count = new AtomicInteger();
            ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), task -> {
                        Thread t = new Thread(task, "focal-dl4j-fused-" + count.getAndIncrement());
                        t.setDaemon(true);
                        return t;
                    });
            pool.allowCoreThreadTimeOut(true);
            POOL = pool;
        }
    }
}
