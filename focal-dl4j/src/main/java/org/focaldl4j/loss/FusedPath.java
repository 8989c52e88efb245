package org.focaldl4j.loss;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the fused CPU kernel of a loss runs, and whether it can:
 * <ul>
 *   <li>{@link #whyNot}: the fused kernel reads ND4J's off-heap CPU buffers directly, so it takes only
 *       the CPU backend, FLOAT or DOUBLE, contiguous 'c'-ordered arrays of one dtype; anything else goes
 *       to the op path. Each distinct reason is logged once (INFO).</li>
 *   <li>The kernel: with the {@code jdk.incubator.vector} module in the boot layer
 *       ({@code --add-modules jdk.incubator.vector}) FLOAT data is vectorised; otherwise plain Java
 *       loops in double arithmetic. Which one, and why, is logged once (INFO) at first use, and a Vector
 *       API that fails its self-test is logged with its exception (WARN).</li>
 *   <li>{@link #forEachChunk}: chunks of rows run on the calling thread and a pool this library owns —
 *       daemon threads named {@code focal-dl4j-fused-N}, as many as ND4J's own op threads
 *       ({@code Nd4j.getEnvironment().maxThreads()}), ended after 30 s idle — never on the JVM's common
 *       ForkJoin pool, so that the loss does not compete with, or wait behind, other users of that pool
 *       (parallel streams, other libraries). Callers from many threads (ParallelWrapper or Spark workers)
 *       share its bounded number of threads.</li>
 * </ul>
 */
final class FusedPath {

    private static final Logger LOG = LoggerFactory.getLogger(FusedPath.class);

    /** Reasons already logged: a handful of fixed strings, so the set stays small. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    /** Below this many elements a call runs on the caller's thread (dispatch would cost more than it saves). */
    private static final long PARALLEL_THRESHOLD = 1 << 15;

    private FusedPath() {
    }

    /** Whether FLOAT data is processed with the Vector API in this JVM. */
    static boolean vectorized() {
        return Kernel.VECTOR;
    }

    /** The kernel this JVM uses, and why. */
    static String describe() {
        return Kernel.DESCRIPTION;
    }

    /**
     * Null when the fused kernel can take these arrays (any may be null), else the reason it cannot,
     * which is logged once per distinct reason.
     */
    static String whyNot(INDArray... arrays) {
        String reason = reason(arrays);
        if (reason != null) {
            logOnce("focal-dl4j: op path for " + reason);
        } else {
            logOnce("focal-dl4j: " + Kernel.DESCRIPTION);
        }
        return reason;
    }

    private static String reason(INDArray... arrays) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return "a backend other than the CPU";
        }
        DataType type = null;
        for (INDArray a : arrays) {
            if (a == null) {
                continue;
            }
            if (type == null) {
                type = a.dataType();
            }
            if (type != DataType.FLOAT && type != DataType.DOUBLE) {
                return type + " data (the fused kernel takes FLOAT and DOUBLE)";
            }
            if (a.dataType() != type) {
                return "arrays of mixed data types";
            }
            if (a.ordering() != 'c' || !Shape.hasDefaultStridesForShape(a)) {
                return "'f'-ordered or strided (view) arrays";
            }
            if (a.length() > Integer.MAX_VALUE / 8) {
                return "arrays of more than 2^28 elements";
            }
        }
        return null;
    }

    private static void logOnce(String message) {
        if (LOGGED.add(message)) {
            LOG.info(message);
        }
    }

    /** Whether a Java pass can read {@code a} from its buffer: the CPU backend, a contiguous 'c' FLOAT or DOUBLE array. */
    static boolean canRead(INDArray a) {
        return reason(a) == null;
    }

    /** The flat index of the first value of {@code a} ({@link #canRead}) that is negative, NaN or infinite, or −1. */
    static long firstNegativeOrNotFinite(INDArray a) {
        ByteBuffer b = buffer(a);
        int off = (int) a.offset();
        int n = (int) a.length();
        boolean isFloat = a.dataType() == DataType.FLOAT;
        for (int i = 0; i < n; i++) {
            double v = isFloat ? b.getFloat((off + i) * 4) : b.getDouble((off + i) * 8);
            if (!(v >= 0.0) || v == Double.POSITIVE_INFINITY) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether {@link #zeroMasked} can take these arrays: the CPU backend, contiguous 'c' FLOAT or DOUBLE arrays
     * (each its own type), a mask of the labels' shape or [rows, 1], at most 2^28 entries.
     */
    static boolean canZeroMasked(INDArray labels, INDArray mask) {
        return reason(labels) == null && reason(mask) == null && labels.rank() == 2 && mask.rank() == 2
                && mask.size(0) == labels.size(0) && (mask.size(1) == 1 || mask.size(1) == labels.size(1));
    }

    /**
     * {@code labels}, or a copy with 0 wherever the mask (per entry, or per row [rows, 1]) is 0 when there is
     * any such entry: what the op path's putWhereWithMask gives, in one pass over both arrays.
     */
    static INDArray zeroMasked(INDArray labels, INDArray mask) {
        int rows = (int) labels.size(0);
        int cols = (int) labels.size(1);
        int maskCols = (int) mask.size(1);
        ByteBuffer m = buffer(mask);
        int mOff = (int) mask.offset();
        boolean mFloat = mask.dataType() == DataType.FLOAT;
        INDArray out = null;
        ByteBuffer o = null;
        int oOff = 0;
        boolean lFloat = labels.dataType() == DataType.FLOAT;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < maskCols; c++) {
                int e = mOff + r * maskCols + c;
                double v = mFloat ? m.getFloat(e * 4) : m.getDouble(e * 8);
                if (v != 0.0) {
                    continue;
                }
                if (out == null) {
                    out = labels.dup('c');
                    o = buffer(out);
                    oOff = (int) out.offset();
                }
                int from = oOff + (maskCols == 1 ? r * cols : r * cols + c);
                int to = maskCols == 1 ? from + cols : from + 1;
                for (int k = from; k < to; k++) {
                    if (lFloat) {
                        o.putFloat(k * 4, 0f);
                    } else {
                        o.putDouble(k * 8, 0.0);
                    }
                }
            }
        }
        return out == null ? labels : out;
    }

    /** The off-heap CPU buffer of {@code a} (all of it, from element 0) as an independent native-order view. */
    static ByteBuffer buffer(INDArray a) {
        return a.data().asNio().duplicate().order(ByteOrder.nativeOrder());
    }

    /** Result of one fused pass: what the op path computes, plus the first label it refused. */
    static final class Output {
        final INDArray gradient;      // null when not asked for
        final double[] rowLoss;       // weighted, masked loss summed per row
        final long firstBadLabel;     // flat index of the first label outside [0, 1], or −1
        final boolean rowSumOff;      // softmax form: an unmasked label row does not sum to 1 (the caller names it)

        Output(INDArray gradient, double[] rowLoss, long firstBadLabel) {
            this(gradient, rowLoss, firstBadLabel, false);
        }

        Output(INDArray gradient, double[] rowLoss, long firstBadLabel, boolean rowSumOff) {
            this.gradient = gradient;
            this.rowLoss = rowLoss;
            this.firstBadLabel = firstBadLabel;
            this.rowSumOff = rowSumOff;
        }
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

    /** The kernel choice, made once per JVM. */
    private static final class Kernel {
        static final boolean VECTOR;
        static final String DESCRIPTION;

        static {
            boolean vector = false;
            String why;
            if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
                why = "the jdk.incubator.vector module is not in this JVM (start it with --add-modules "
                        + "jdk.incubator.vector to vectorise FLOAT)";
            } else if (!hardwareFma()) {
                // The kernel is FMA throughout: without the instruction every lane would run Math.fma's exact
                // software fallback, far slower than the scalar kernel.
                why = "this CPU has no fused multiply-add (HotSpot's UseFMA is off)";
            } else {
                try {
                    vector = VectorKernels.selfTest();
                    why = vector ? null : "the Vector API kernel failed its self-test";
                } catch (LinkageError | RuntimeException e) {        // an incubator API of another shape
                    why = "the Vector API could not be used: " + e;
                    LOG.warn("focal-dl4j: the Vector API kernel could not be loaded; using the scalar kernel", e);
                }
            }
            VECTOR = vector;
            DESCRIPTION = vector
                    ? "fused CPU kernel: Vector API (" + VectorKernels.speciesName() + ") for FLOAT, scalar Java for DOUBLE"
                    : "fused CPU kernel: scalar Java, because " + why;
        }

        /** HotSpot's UseFMA flag (on when the CPU has FMA); true when it cannot be read (another JVM). */
        private static boolean hardwareFma() {
            try {
                com.sun.management.HotSpotDiagnosticMXBean hotspot = java.lang.management.ManagementFactory
                        .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
                return hotspot == null || !"false".equals(hotspot.getVMOption("UseFMA").getValue());
            } catch (RuntimeException | LinkageError e) {
                return true;
            }
        }
    }
}
