package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.focaldl4j.testing.RestoresSystemProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

import scala.collection.JavaConverters;

/**
 * The Spark tests' set-up: a Spark standalone cluster of separate JVMs on this machine ({@link StandaloneCluster}:
 * a master, 2 workers and their 2 executors) with this test JVM as the driver of one application, started before a
 * test class and stopped after it (its logs are kept if a test fails); and the trainers, the one-machine baselines
 * and the checks the tests share. Every trained network is compared with the same network trained on one machine on
 * the same data, its tasks must have run on both executor JVMs, the executors must compute the held-out score the
 * driver computes (they rebuilt the network, loss included, from the broadcast configuration), and its
 * configuration, read back from its JSON, must hold the same loss. Every {@code fit} runs under a deadline.
 */
// Spark (its Jetty) and DL4J's parameter server set system properties while they run: put them back.
@ExtendWith(RestoresSystemProperties.class)
abstract class ClusterTestBase {

    static final int WORKERS = 2;

    /** A bound on one epoch of any test here (they take 2–30 s): a hang becomes a SparkException. */
    static final Duration EPOCH_DEADLINE = Duration.ofSeconds(90);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dir;
    static StandaloneCluster cluster;
    static JavaSparkContext sc;

    @BeforeAll
    static void startCluster(TestInfo test) throws Exception {
        long start = System.nanoTime();
        cluster = StandaloneCluster.start(dir, WORKERS, Duration.ofSeconds(60));
        long masterUp = System.nanoTime();
        sc = cluster.context(test.getDisplayName(), Duration.ofSeconds(120));
        System.out.printf(Locale.ROOT, "cluster of %d JVMs (master, %d workers, %d executors) up in %.1f s (master "
                + "listening after %.1f s)%n", cluster.jvms(), WORKERS, cluster.executorProcesses().size(),
                (System.nanoTime() - start) / 1e9, (masterUp - start) / 1e9);
    }

    @AfterAll
    static void stopCluster() {
        try {
            if (sc != null) {
                sc.stop();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** Every test starts with both executors registered (a test that killed one waits for its replacement too). */
    @BeforeEach
    void bothExecutors() throws InterruptedException {
        StandaloneCluster.awaitExecutors(sc, WORKERS, Duration.ofSeconds(60));
    }

    /** A new listener on the driver's context, removed by {@code close()}. */
    static TaskLog listen() {
        TaskLog tasks = new TaskLog();
        sc.sc().addSparkListener(tasks);
        return tasks;
    }

    /**
     * What the driver saw of the tasks: successes per executor id, the failures, the jobs started; and, once armed
     * ({@link #killExecutorAt}), an executor JVM killed as it starts a training task.
     */
    static final class TaskLog extends SparkListener implements AutoCloseable {
        final Map<String, Integer> succeeded = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final List<String> killed = new CopyOnWriteArrayList<>();
        final AtomicInteger jobs = new AtomicInteger();
        private final Map<Integer, String> stageNames = new ConcurrentHashMap<>();
        private volatile int killAtJob = Integer.MAX_VALUE;

        /**
         * Arms the kill: SIGKILL, once, to the executor JVM on which a task of DL4J's training stage (the
         * {@code treeAggregate} over the workers' results) starts after {@code jobs} jobs have started.
         */
        void killExecutorAt(int jobs) {
            killAtJob = jobs;
        }

        @Override
        public void onJobStart(SparkListenerJobStart jobStart) {
            for (StageInfo stage : JavaConverters.seqAsJavaList(jobStart.stageInfos())) {
                stageNames.put(stage.stageId(), stage.name());
            }
            jobs.incrementAndGet();
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart taskStart) {
            if (jobs.get() >= killAtJob && killed.isEmpty()
                    && stageNames.getOrDefault(taskStart.stageId(), "").startsWith("treeAggregate")) {
                String id = taskStart.taskInfo().executorId();
                cluster.executorProcess(id).ifPresent(p -> {
                    killed.add(id + " (" + stageNames.get(taskStart.stageId()) + ", job " + jobs.get() + ")");
                    p.destroyForcibly();
                });
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            if (taskEnd.taskInfo().successful()) {
                succeeded.merge(taskEnd.taskInfo().executorId(), 1, Integer::sum);
            } else {
                failures.add("executor " + taskEnd.taskInfo().executorId() + ": " + taskEnd.reason());
            }
        }

        @Override
        public void close() {
            sc.sc().removeSparkListener(this);
        }
    }

    static ParameterAveragingTrainingMaster averaging(int batchSize) {
        return averagingBuilder(batchSize).build();
    }

    static ParameterAveragingTrainingMaster.Builder averagingBuilder(int batchSize) {
        // Direct: DL4J's default (Export) needs a distributed file system when Spark is not in local mode.
        return new ParameterAveragingTrainingMaster.Builder(batchSize).batchSizePerWorker(batchSize)
                .averagingFrequency(2).workerPrefetchNumBatches(0).rngSeed(42)
                .rddTrainingApproach(RDDTrainingApproach.Direct);
    }

    static SharedTrainingMaster sharing(int batchSize) {
        // A parameter-server port per JVM (ExecutorPortSupplier): base on the driver, base + 1 + id on executor id.
        VoidConfiguration voidConf = VoidConfiguration.builder().portSupplier(new ExecutorPortSupplier(freeUdpPorts(8)))
                .controllerAddress("127.0.0.1").networkMask("127.0.0.0/8").build();
        return new SharedTrainingMaster.Builder(voidConf, batchSize).batchSizePerWorker(batchSize).workersPerNode(1)
                .rddTrainingApproach(RDDTrainingApproach.Direct).build();
    }

    /** The first of {@code count} consecutive UDP ports free on the loopback interface now (tried 100 times). */
    private static int freeUdpPorts(int count) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            List<DatagramSocket> bound = new ArrayList<>();
            try {
                for (int p = base; p < base + count; p++) {
                    bound.add(new DatagramSocket(p, InetAddress.getLoopbackAddress()));
                }
                return base;
            } catch (IOException taken) {
                // try another block
            } finally {
                bound.forEach(DatagramSocket::close);
            }
        }
        throw new UncheckedIOException(new IOException("no " + count + " consecutive free UDP ports in 100 tries"));
    }

    /**
     * Runs {@code fit} in a Spark job group that a timer cancels once {@code deadline} has passed, and again every
     * second after that (a cancellation covers only the jobs running at that moment). DL4J's shared training waits
     * forever for a lost executor; the cancellation turns the wait into a {@code SparkException} ("Job n cancelled
     * part of cancelled job group …") thrown by {@code fit}.
     */
    static void fitWithDeadline(Duration deadline, Runnable fit) {
        String group = "fit-" + UUID.randomUUID();
        sc.setJobGroup(group, "a fit with a deadline", true);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            timer.scheduleAtFixedRate(() -> sc.cancelJobGroup(group), deadline.toMillis(), 1000, TimeUnit.MILLISECONDS);
            fit.run();
        } finally {
            timer.shutdownNow();
            sc.clearJobGroup();
        }
    }

    /** {@code epochs} calls of {@code fit}, each under {@link #EPOCH_DEADLINE}. */
    static void fitEpochs(int epochs, Runnable fit) {
        for (int e = 0; e < epochs; e++) {
            fitWithDeadline(EPOCH_DEADLINE, fit);
        }
    }

    /** Trains {@code loss}'s network for {@link FocalTask#EPOCHS} epochs on the cluster; returns the trainer. */
    static SparkDl4jMultiLayer trainOnCluster(ILossFunction loss, TrainingMaster<?, ?> tm, String mode, double localScore,
            double tolerance) {
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, FocalTask.conf(loss), tm);
        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        long start = System.nanoTime();
        try (TaskLog tasks = listen()) {
            fitEpochs(FocalTask.EPOCHS, () -> sparkNet.fit(rdd));
            MultiLayerNetwork trained = sparkNet.getNetwork();
            double score = trained.score(FocalTask.test());
            System.out.printf(Locale.ROOT, "%s, %s: held-out score one machine %.5f, cluster %.5f (ratio %.3f), %d epochs "
                    + "in %.1f s, tasks per executor %s, %d JVMs%n", loss, mode, localScore, score, score / localScore,
                    FocalTask.EPOCHS, (System.nanoTime() - start) / 1e9, tasks.succeeded, cluster.jvms() + 1);
            assertEquals(localScore, score, tolerance * localScore, mode + " " + score + " vs one machine " + localScore);
            assertEquals(List.of(), tasks.failures);
            assertEquals(WORKERS, tasks.succeeded.size(), "executors that ran tasks: " + tasks.succeeded);
            assertEquals(score, sparkNet.calculateScore(sc.parallelize(List.of(FocalTask.test())), true), 1e-5 * score,
                    "the held-out score computed on the executors, with the network they rebuilt");
            BaseOutputLayer out = (BaseOutputLayer) MultiLayerConfiguration.fromJson(
                    trained.getLayerWiseConfigurations().toJson()).getConf(1).getLayer();
            assertEquals(loss, out.getLossFn(), "the trained network's loss and its hyper-parameters, from its JSON");
            return sparkNet;
        }
    }

    static double untrained(ILossFunction loss) {
        MultiLayerNetwork net = new MultiLayerNetwork(FocalTask.conf(loss));
        net.init();
        return net.score(FocalTask.test());
    }

    static List<Supplier<ILossFunction>> losses() {
        return List.of(() -> LossFocal.builder().alpha(0.25).gamma(2).build(), () -> new SameDiffFocalLoss(0.25, 2));
    }
}
