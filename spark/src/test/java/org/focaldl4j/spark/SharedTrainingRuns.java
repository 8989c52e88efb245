package org.focaldl4j.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * One shared-training run of one network, recorded: the measurement behind docs/spark.md's distributions, a command
 * to run, not part of the build (each run needs an application and a driver JVM of its own; see
 * {@code spark/shared-training-runs.sh}, which repeats it). System properties: {@code focal.spark.network}
 * ({@code lossfocal}, {@code samediff}, {@code detector}), {@code focal.spark.sharing} (a {@link Sharing} name) and
 * {@code focal.spark.records} (the JSON-lines file a record is appended to).
 *
 * <p>The record holds the untrained, one-machine and cluster held-out scores and, per epoch ({@code fit}), what the
 * driver received and applied (DL4J's own counters, read by reflection), its score, and for each executor what
 * {@link SharingProbe} saw there: minibatches, updates sent and received, the encoding threshold, the residual DL4J
 * discards at the end of the task, and the executor's own parameters — scored on the held-out set and compared with
 * the driver's. After the last epoch it waits 3 s and records the updates that arrived at the driver after DL4J's
 * final flush and the score once they are applied.
 */
@EnabledIfSystemProperty(named = "focal.spark.experiments", matches = "true")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SharedTrainingRuns extends ClusterTestBase {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The record's layout: 2 since the executors' tasks are grouped by {@code fit} ({@code executor_tasks_ended});
     * earlier records joined an executor's i-th task to the i-th epoch, right only with one task per executor per epoch.
     */
    private static final int RECORD_VERSION = 2;

    /** A network and its data: how to build, train on one machine, score a parameter vector, and train on Spark. */
    private interface Task {
        double untrained();

        double oneMachine();

        /** The held-out score of the network with {@code params}. */
        double score(INDArray params);

        /** A trainer on the cluster with {@code tm} and the probe as listener; {@code fit} trains one epoch. */
        Runnable trainer(SharedTrainingMaster tm, SharingProbe probe);

        INDArray driverParams();

        int epochs();
    }

    @Test
    void recordOneRun() throws Exception {
        String network = System.getProperty("focal.spark.network", "lossfocal");
        Sharing sharing = Sharing.valueOf(System.getProperty("focal.spark.sharing", "DEFAULT").toUpperCase(Locale.ROOT));
        Path records = Path.of(System.getProperty("focal.spark.records", "target/shared-training-runs.jsonl"));
        Task task = switch (network) {
            case "lossfocal" -> focalTask(lossFocal());
            case "samediff" -> focalTask(sameDiffFocalLoss());
            case "detector" -> detectorTask();
            default -> throw new IllegalArgumentException("focal.spark.network: lossfocal, samediff or detector; got " + network);
        };
        Path probeDir = Files.createDirectories(dir.resolve("probe"));
        SharingProbe probe = new SharingProbe(probeDir);
        SharedTrainingMaster tm = sharing.master(batchSize(network), "detector".equals(network)
                ? learningRate(detector().configuration()) : FocalTask.LEARNING_RATE);

        Map<String, Object> record = new LinkedHashMap<>();
        record.put("record_version", RECORD_VERSION);
        record.put("network", network);
        record.put("sharing", sharing.name().toLowerCase(Locale.ROOT));
        record.put("started", Instant.now().toString());
        double untrained = task.untrained();
        record.put("untrained", untrained);
        double local = task.oneMachine();
        record.put("one_machine", local);

        Runnable fit = task.trainer(tm, probe);
        List<Map<String, Object>> epochs = new ArrayList<>();
        long start = System.nanoTime();
        try (TaskLog tasks = listen()) {
            for (int e = 1; e <= task.epochs(); e++) {
                fitWithDeadline(EPOCH_DEADLINE, fit);
                Map<String, Object> epoch = new LinkedHashMap<>();
                epoch.put("fit", e);
                epoch.put("end_ms", System.currentTimeMillis());
                epoch.put("executor_tasks_ended", SharingProbe.taskCounts(probeDir));
                epoch.putAll(SharingProbe.driverCounts(tm));
                INDArray params = task.driverParams().dup();
                epoch.put("driver_score", task.score(params));
                Nd4j.saveBinary(params, probeDir.resolve("params-driver-fit-" + e + ".bin").toFile());
                epochs.add(epoch);
            }
            record.put("seconds", (System.nanoTime() - start) / 1e9);
            record.put("tasks_per_executor", new LinkedHashMap<>(tasks.succeeded));
            record.put("training_tasks_per_epoch", new ArrayList<>(tasks.trainingTasksPerStage.values()));
            record.put("failures", new ArrayList<>(tasks.failures));
        }
        double cluster = task.score(task.driverParams().dup());
        record.put("cluster", cluster);
        record.put("ratio", cluster / local);
        record.put("ratio_to_untrained", cluster / untrained);

        // Updates that reached the driver after DL4J's last flush, and the score once they are applied.
        Thread.sleep(3000);
        Map<String, Object> late = new LinkedHashMap<>(SharingProbe.driverCounts(tm));
        SharingProbe.flushDriver(tm);
        late.put("score_after_flush", task.score(task.driverParams().dup()));
        record.put("after_3s", late);

        attachExecutorRecords(epochs, probeDir, task);
        keepExecutorLogs();
        record.put("epochs", epochs);
        String line = JSON.writeValueAsString(record);
        System.out.println("RECORD " + line);
        Files.createDirectories(records.toAbsolutePath().getParent());
        Files.writeString(records, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /** The executors' stderr, copied to {@code target/shared-training-logs/<time>/} (the module's build directory). */
    private static void keepExecutorLogs() throws IOException {
        Path to = Path.of("target", "shared-training-logs", Long.toString(System.currentTimeMillis()));
        List<Path> logs;
        try (Stream<Path> s = Files.walk(dir)) {
            logs = s.filter(p -> p.getFileName().toString().equals("stderr")).toList();
        }
        Files.createDirectories(to);
        for (int i = 0; i < logs.size(); i++) {
            Files.copy(logs.get(i), to.resolve("stderr-" + i + "-" + logs.get(i).getParent().getFileName()));
        }
    }

    /** The learning rate of the first layer of {@code conf} with an updater (the tiny detector's layers share one). */
    static double learningRate(ComputationGraphConfiguration conf) {
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer b && b.getIUpdater() != null) {
                return b.getIUpdater().getLearningRate(0, 0);
            }
        }
        throw new IllegalArgumentException("no layer with an updater in the configuration");
    }

    private static int batchSize(String network) {
        return "detector".equals(network) ? 8 : 16;
    }

    /**
     * Per epoch and executor, the training tasks that executor ended in that epoch (told apart by the count of
     * records after each {@code fit}): how many, their minibatches, the mean residual they discarded, and the last
     * one's counters, threshold and parameters (scored, and compared with the driver's); and per epoch the held-out
     * score of the executors' last parameters averaged (what a final averaging step would give).
     */
    @SuppressWarnings("unchecked")
    private static void attachExecutorRecords(List<Map<String, Object>> epochs, Path probeDir, Task task) throws IOException {
        Map<String, List<Map<String, Object>>> records = SharingProbe.records(probeDir);
        Map<String, Integer> before = new LinkedHashMap<>();
        for (int i = 0; i < epochs.size(); i++) {
            Map<String, Object> epoch = epochs.get(i);
            Map<String, Integer> after = (Map<String, Integer>) epoch.get("executor_tasks_ended");
            INDArray driver = Nd4j.readBinary(probeDir.resolve("params-driver-fit-" + (i + 1) + ".bin").toFile());
            INDArray sum = null;
            List<Map<String, Object>> executors = new ArrayList<>();
            for (Map.Entry<String, Integer> e : after.entrySet()) {
                List<Map<String, Object>> tasks = records.get(e.getKey()).subList(before.getOrDefault(e.getKey(), 0), e.getValue());
                if (tasks.isEmpty()) {
                    continue;
                }
                Map<String, Object> last = tasks.get(tasks.size() - 1);
                Map<String, Object> r = new LinkedHashMap<>(last);
                INDArray p = ((INDArray) r.remove("params")).castTo(DataType.DOUBLE);
                r.remove("conf");
                r.put("tasks", tasks.size());
                r.put("minibatches", tasks.stream().mapToInt(t -> ((Number) t.get("minibatches")).intValue()).sum());
                r.put("residual_l1_mean", tasks.stream().mapToDouble(t -> ((Number) t.get("residual_l1")).doubleValue())
                        .average().orElseThrow());
                r.put("executor_score", task.score(p));
                r.put("distance_to_driver", p.distance2(driver.castTo(DataType.DOUBLE)));
                r.put("driver_norm2", driver.norm2Number().doubleValue());
                executors.add(r);
                sum = sum == null ? p.dup() : sum.addi(p);
            }
            before = after;
            epoch.put("executors", executors);
            if (sum != null) {
                epoch.put("executors_averaged_score", task.score(sum.divi(executors.size())));
            }
        }
    }

    private static Task focalTask(ILossFunction loss) {
        MultiLayerConfiguration conf = FocalTask.conf(loss);
        DataSet test = FocalTask.test();
        return new Task() {
            SparkDl4jMultiLayer sparkNet;

            @Override
            public double untrained() {
                return ClusterTestBase.untrained(loss);
            }

            @Override
            public double oneMachine() {
                return FocalTask.trainedOnOneMachine(loss).score(test);
            }

            @Override
            public double score(INDArray params) {
                MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
                net.init(params.castTo(net.params().dataType()), true);
                return net.score(test);
            }

            @Override
            public Runnable trainer(SharedTrainingMaster tm, SharingProbe probe) {
                sparkNet = new SparkDl4jMultiLayer(sc, conf, tm);
                sparkNet.setListeners(List.of(probe));
                JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
                return () -> sparkNet.fit(rdd);
            }

            @Override
            public INDArray driverParams() {
                return sparkNet.getNetwork().params();
            }

            @Override
            public int epochs() {
                return FocalTask.EPOCHS;
            }
        };
    }

    private static Task detectorTask() {
        ComputationGraphConfiguration conf = detector().configuration();
        List<MultiDataSet> train = detectionBatches(64, 1, 8);
        MultiDataSet test = detectionBatches(32, 2, 32).get(0);
        Function<INDArray, ComputationGraph> withParams = p -> {
            ComputationGraph g = new ComputationGraph(conf.clone());
            g.init();
            g.params().assign(p.castTo(g.params().dataType()));
            return g;
        };
        return new Task() {
            SparkComputationGraph sparkNet;

            @Override
            public double untrained() {
                return detector().network().score(test);
            }

            @Override
            public double oneMachine() {
                ComputationGraph local = detector().network();
                for (int e = 0; e < DETECTOR_EPOCHS; e++) {
                    train.forEach(local::fit);
                }
                return local.score(test);
            }

            @Override
            public double score(INDArray params) {
                return withParams.apply(params.dup()).score(test);
            }

            @Override
            public Runnable trainer(SharedTrainingMaster tm, SharingProbe probe) {
                sparkNet = new SparkComputationGraph(sc, conf, tm);
                sparkNet.setListeners(List.of(probe));
                JavaRDD<MultiDataSet> rdd = sc.parallelize(train, WORKERS);
                return () -> sparkNet.fitMultiDataSet(rdd);
            }

            @Override
            public INDArray driverParams() {
                return sparkNet.getNetwork().params();
            }

            @Override
            public int epochs() {
                return DETECTOR_EPOCHS;
            }
        };
    }

}
