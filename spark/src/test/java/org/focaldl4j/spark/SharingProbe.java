package org.focaldl4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.spark.SparkEnv;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.spark.parameterserver.networking.v2.UpdatesConsumer;
import org.deeplearning4j.spark.parameterserver.pw.SharedTrainingWrapper;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;
import org.nd4j.parameterserver.distributed.v2.transport.UpdatesHandler;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.reactivestreams.Subscription;

/**
 * A training listener for the executors of a shared-training job that records, at the end of every training task,
 * what DL4J's gradient sharing did in that executor JVM: minibatches trained, encoded updates sent (DL4J's own
 * counter), updates received over the parameter server (a counting subscriber of ours, from the JVM's first minibatch
 * on: all of them, and those that arrived while DL4J was taking them), the encoding threshold after the task's first
 * minibatch and at its end, the threshold encoder's residual (the part of the updates not yet sent, which DL4J
 * discards when the task ends), the task thread, and the executor's parameters and network configuration (to files:
 * the driver compares them with its own). One JSON line per task in {@code probe-executor-<id>.jsonl} under the
 * directory given; {@link #records} and {@link #taskCounts} read them on the driver, and {@link #driverCounts} reads
 * what the driver received.
 *
 * <p>Diagnostics: it reads DL4J 1.0.0-M2's internal state by reflection ({@code SharedTrainingWrapper},
 * {@code EncodedGradientsAccumulator}, {@code EncodingHandler}, {@code UpdatesConsumer}) and does not change the
 * training; it adds its counter to the executor JVM's parameter-server node (a JVM-wide singleton, which lives as long
 * as the executor) and keeps its counts in static fields, for the life of that executor JVM.
 */
final class SharingProbe extends BaseTrainingListener implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Updates that reached this JVM's parameter-server node since its first minibatch, and when the last one did
     * (epoch milliseconds); and of those, the ones that came while DL4J was taking them (outside its bypass mode, in
     * which it drops what arrives between training tasks).
     */
    private static final AtomicLong RECEIVED = new AtomicLong();
    private static final AtomicLong RECEIVED_WHILE_TRAINING = new AtomicLong();
    private static final AtomicLong LAST_RECEIVED_MS = new AtomicLong();
    private static final AtomicBoolean SUBSCRIBED = new AtomicBoolean();
    private static final AtomicLong TASKS = new AtomicLong();

    private final String dir;

    // Per task (one training task is one fit of the executor's model, in one thread).
    private transient int minibatches;
    private transient long firstMs;
    private transient long lastMs;
    private transient long receivedAtStart;
    private transient double thresholdAfterFirst;

    SharingProbe(Path dir) {
        this.dir = dir.toString();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        long now = System.currentTimeMillis();
        if (SUBSCRIBED.compareAndSet(false, true)) {
            // Added after DL4J's own subscriber, which must stay the first (it serves parameter requests).
            ModelParameterServer.getInstance().addUpdatesSubscriber(new Counter());
        }
        if (minibatches == 0) {
            firstMs = now;
            receivedAtStart = RECEIVED.get();
            thresholdAfterFirst = threshold();
        }
        minibatches++;
        lastMs = now;
    }

    @Override
    public void onEpochEnd(Model model) {
        long task = TASKS.incrementAndGet();
        if (SparkEnv.get() == null) {
            throw new IllegalStateException("SharingProbe records on Spark executors; no SparkEnv in this JVM");
        }
        String executor = SparkEnv.get().executorId();
        Object accumulator = field(wrapper(), "accumulator");
        Object handler = field(accumulator, "handler");
        INDArray residual = threadLocal(accumulator, "accumulator");
        long sent = ((AtomicLong) field(handler, "updatesCounter")).get();
        Path params = Path.of(dir, "params-executor-" + executor + "-task-" + task + ".bin");
        Path conf = Path.of(dir, "conf-executor-" + executor + "-task-" + task + ".json");
        try {
            Nd4j.saveBinary(model.params().dup(), params.toFile());
            Files.writeString(conf, model instanceof MultiLayerNetwork m ? m.getLayerWiseConfigurations().toJson()
                    : ((ComputationGraph) model).getConfiguration().toJson(), StandardCharsets.UTF_8);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("executor", executor);
            r.put("task", task);
            r.put("thread", Thread.currentThread().getId());
            r.put("minibatches", minibatches);
            r.put("first_ms", firstMs);
            r.put("last_ms", lastMs);
            r.put("end_ms", System.currentTimeMillis());
            r.put("sent_total", sent);
            r.put("received_total", RECEIVED.get());
            r.put("received_while_training", RECEIVED_WHILE_TRAINING.get());
            r.put("received_at_start", receivedAtStart);
            r.put("last_received_ms", LAST_RECEIVED_MS.get());
            r.put("threshold_after_first", finite(thresholdAfterFirst));
            r.put("threshold_end", finite(threshold()));
            r.put("residual_l1", residual == null ? null : residual.norm1Number().doubleValue());
            r.put("residual_max", residual == null ? null : residual.amaxNumber().doubleValue());
            r.put("params_l1", model.params().norm1Number().doubleValue());
            r.put("params_file", params.getFileName().toString());
            r.put("conf_file", conf.getFileName().toString());
            String line = JSON.writeValueAsString(r) + System.lineSeparator();
            Files.writeString(Path.of(dir, "probe-executor-" + executor + ".jsonl"), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        minibatches = 0;
    }

    /**
     * The records the executors wrote under {@code dir}: per executor id (sorted), its tasks in order, each a JSON
     * object of the fields written by {@link #onEpochEnd} plus {@code params} (the executor's parameters at the end of
     * the task) and {@code conf} (its network configuration's JSON).
     */
    static Map<String, List<Map<String, Object>>> records(Path dir) throws IOException {
        Map<String, List<Map<String, Object>>> out = new TreeMap<>();
        for (Path f : recordFiles(dir)) {
            List<Map<String, Object>> tasks = new ArrayList<>();
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = JSON.readValue(line, LinkedHashMap.class);
                r.put("params", Nd4j.readBinary(dir.resolve((String) r.get("params_file")).toFile()));
                r.put("conf", Files.readString(dir.resolve((String) r.get("conf_file")), StandardCharsets.UTF_8));
                tasks.add(r);
            }
            out.put((String) tasks.get(0).get("executor"), tasks);
        }
        return out;
    }

    /** How many training tasks each executor has recorded under {@code dir} so far, per executor id (sorted). */
    static Map<String, Integer> taskCounts(Path dir) throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        for (Path f : recordFiles(dir)) {
            String name = f.getFileName().toString();
            out.put(name.substring("probe-executor-".length(), name.length() - ".jsonl".length()),
                    Files.readAllLines(f, StandardCharsets.UTF_8).size());
        }
        return out;
    }

    /** The executors' record files under {@code dir}, sorted by name. */
    private static List<Path> recordFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("probe-executor-")).sorted().toList();
        }
    }

    /**
     * What the driver of {@code tm}'s job received and applied: DL4J's own counters of its updates consumer
     * ({@code received}: updates received; {@code dense}/{@code sparse}: by encoding; {@code unapplied}: whether
     * some are decoded but not yet added to the parameters).
     */
    static Map<String, Object> driverCounts(SharedTrainingMaster tm) {
        Object consumer = field(tm, "updatesConsumer");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("driver_received", ((AtomicLong) field(consumer, "updatesCount")).get());
        out.put("driver_sparse", ((AtomicLong) field(consumer, "sparseCounter")).get());
        out.put("driver_dense", ((AtomicLong) field(consumer, "denseCounter")).get());
        out.put("driver_unapplied", ((AtomicBoolean) field(consumer, "hasSomething")).get());
        return out;
    }

    /** Applies what the driver of {@code tm}'s job has received but not yet added to its parameters. */
    static void flushDriver(SharedTrainingMaster tm) {
        Object consumer = field(tm, "updatesConsumer");
        try {
            consumer.getClass().getMethod("flush").invoke(consumer);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The encoding threshold of this thread's encoder now (NaN before its first encoding). */
    private static double threshold() {
        Object accumulator = field(wrapper(), "accumulator");
        if (accumulator == null) {
            return Double.NaN;
        }
        Object current = threadLocal(field(accumulator, "handler"), "currentThreshold");
        return current == null ? Double.NaN : ((Number) current).doubleValue();
    }

    private static Object wrapper() {
        return field(SharedTrainingWrapper.class, null, "INSTANCE");
    }

    private static Object field(Object owner, String name) {
        return owner == null ? null : field(owner.getClass(), owner, name);
    }

    private static Object field(Class<?> type, Object owner, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(owner);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("no field " + name + " in " + type.getName());
    }

    @SuppressWarnings("unchecked")
    private static <T> T threadLocal(Object owner, String name) {
        ThreadLocal<T> local = (ThreadLocal<T>) field(owner, name);
        return local == null ? null : local.get();
    }

    /** {@code v}, or null (JSON null) when it is not a number: a threshold before the first encoding. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Counts the updates that reach this JVM's parameter-server node. */
    private static final class Counter implements UpdatesHandler {
        @Override
        public void onNext(INDArray update) {
            RECEIVED.incrementAndGet();
            Object consumer = field(wrapper(), "consumer");
            if (consumer != null && !((UpdatesConsumer) consumer).isBypassMod()) {
                RECEIVED_WHILE_TRAINING.incrementAndGet();
            }
            LAST_RECEIVED_MS.set(System.currentTimeMillis());
        }

        @Override
        public INDArray getParametersArray() {
            throw new UnsupportedOperationException("a counter only");
        }

        @Override
        public void onSubscribe(Subscription s) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }
}
