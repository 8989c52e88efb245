package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.focaldl4j.detection.AnchorLossLayer;
import org.focaldl4j.detection.DetectionImages;
import org.focaldl4j.detection.RetinaNet;
import org.focaldl4j.detection.TinyDetection;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
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
import org.nd4j.linalg.api.ndarray.INDArray;
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
 * driver computes ({@code calculateScore}: they rebuild the network, loss included, from its JSON), and its
 * configuration, read back from its JSON, must hold the same loss. Every {@code fit} runs under a deadline.
 */
// Spark (its Jetty) and DL4J's parameter server set system properties while they run: put them back.
@ExtendWith(RestoresSystemProperties.class)
abstract class ClusterTestBase {

    static final int WORKERS = 2;

    /** A bound on one epoch of any test here (they take 2–30 s): a hang becomes a SparkException. */
    static final Duration EPOCH_DEADLINE = Duration.ofSeconds(45);

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
     * ({@link #killExecutorAt}), an executor JVM killed as it starts a training task (for shared training, whose
     * training tasks last a whole epoch).
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
     * part of cancelled job group …") thrown by {@code fit}. The group is cancelled again when {@code fit} ends in any
     * way, so that a job left behind (the test thread interrupted by JUnit's timeout) does not run into the next test.
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
            sc.cancelJobGroup(group);
            sc.clearJobGroup();
        }
    }

    /** {@code epochs} calls of {@code fit}, each under {@link #EPOCH_DEADLINE}. */
    static void fitEpochs(int epochs, Runnable fit) {
        for (int e = 0; e < epochs; e++) {
            fitWithDeadline(EPOCH_DEADLINE, fit);
        }
    }

    /** {@code loss}'s network trained with {@code tm} on the cluster for {@link FocalTask#EPOCHS} epochs. */
    static SparkDl4jMultiLayer fitOnCluster(ILossFunction loss, TrainingMaster<?, ?> tm) {
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, FocalTask.conf(loss), tm);
        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        fitEpochs(FocalTask.EPOCHS, () -> sparkNet.fit(rdd));
        return sparkNet;
    }

    /**
     * {@link #fitOnCluster} with the checks every trained network gets (class Javadoc): the held-out score within
     * {@code tolerance} × {@code localScore} of {@code localScore}; returns the trainer.
     */
    static SparkDl4jMultiLayer trainOnCluster(ILossFunction loss, TrainingMaster<?, ?> tm, String mode, double localScore,
            double tolerance) {
        long start = System.nanoTime();
        try (TaskLog tasks = listen()) {
            SparkDl4jMultiLayer sparkNet = fitOnCluster(loss, tm);
            MultiLayerNetwork trained = sparkNet.getNetwork();
            double score = trained.score(FocalTask.test());
            System.out.printf(Locale.ROOT, "%s, %s: held-out score untrained %.5f, one machine %.5f, cluster %.5f (ratio "
                    + "%.3f), %d epochs in %.1f s, tasks per executor %s, %d JVMs%n", loss, mode, untrained(loss), localScore,
                    score, score / localScore, FocalTask.EPOCHS, (System.nanoTime() - start) / 1e9, tasks.succeeded,
                    cluster.jvms() + 1);
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

    /** {@code images} canvases drawn with {@code seed}, with their targets, in minibatches of {@code batchSize}. */
    static List<MultiDataSet> detectionBatches(int images, long seed, int batchSize) {
        RetinaNet r = detector();
        DetectionImages data = TinyDetection.canvases(images, seed);
        MultiDataSetIterator it = data.iterator(r.pyramid(), r.matcher(), r.coder(), batchSize);
        List<MultiDataSet> out = new ArrayList<>();
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    static final int DETECTOR_EPOCHS = 6;

    /** The tiny detector with the tests' focal loss (non-default α, γ: a lost setting would show). */
    static RetinaNet detector() {
        return TinyDetection.small().weightDecay(0).classLoss(lossFocal()).build();
    }

    /**
     * {@code net}'s score on {@code data}, computed on an executor by a graph rebuilt there from {@code net}'s JSON
     * configuration and parameters. ({@code SparkComputationGraph.calculateScoreMultiDataSet} does the same but
     * refuses the RetinaNet: DL4J M2's scoring function compares the broadcast parameters with
     * {@code numParams(false)}, which leaves out the parameters of graph vertices such as the shared heads.)
     */
    static double scoreOnAnExecutor(ComputationGraph net, MultiDataSet data) {
        String json = net.getConfiguration().toJson();
        INDArray params = net.params();
        return sc.parallelize(List.of(data), 1).map(d -> {
            ComputationGraph rebuilt = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
            rebuilt.init(params, true);
            return rebuilt.score(d);
        }).collect().get(0);
    }

    /**
     * Trains the tiny RetinaNet for {@link #DETECTOR_EPOCHS} epochs of 64 canvases on one machine and with {@code tm}
     * on the cluster; checks the run (no failed task, both executors, the executors' held-out loss equal to the
     * driver's, the class layer intact in the JSON) and returns {untrained, one machine, cluster} held-out loss.
     */
    static double[] detectorOnCluster(TrainingMaster<?, ?> tm, String mode) {
        List<MultiDataSet> train = detectionBatches(64, 1, 8);
        MultiDataSet test = detectionBatches(32, 2, 32).get(0);        // one batch: the loss layers normalise per batch
        ComputationGraph local = detector().network();
        double untrained = local.score(test);
        for (int e = 0; e < DETECTOR_EPOCHS; e++) {
            train.forEach(local::fit);
        }
        double localScore = local.score(test);

        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, detector().configuration(), tm);
        JavaRDD<MultiDataSet> rdd = sc.parallelize(train, WORKERS);
        long start = System.nanoTime();
        TaskLog tasks = listen();
        try (tasks) {
            fitEpochs(DETECTOR_EPOCHS, () -> sparkNet.fitMultiDataSet(rdd));
        }
        ComputationGraph trained = sparkNet.getNetwork();
        double score = trained.score(test);
        System.out.printf(Locale.ROOT, "RetinaNet, %s: held-out loss untrained %.4f, one machine %.4f, cluster %.4f "
                + "(ratio %.3f), %d epochs in %.1f s, tasks per executor %s%n", mode, untrained, localScore, score,
                score / localScore, DETECTOR_EPOCHS, (System.nanoTime() - start) / 1e9, tasks.succeeded);
        assertTrue(Double.isFinite(score), mode + ": " + score);
        assertEquals(List.of(), tasks.failures);
        assertEquals(WORKERS, tasks.succeeded.size(), "executors that ran tasks: " + tasks.succeeded);
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(trained.getConfiguration().toJson());
        AnchorLossLayer cls = (AnchorLossLayer) ((LayerVertex) json.getVertices().get("cls")).getLayerConf().getLayer();
        assertEquals(detector().configuration().getVertices().get("cls"), json.getVertices().get("cls"));
        assertEquals(lossFocal(), cls.getLossFn());
        assertEquals(score, scoreOnAnExecutor(trained, test), 1e-4 * score,
                "the held-out loss computed on an executor, with the network rebuilt there from its JSON");
        return new double[] {untrained, localScore, score};
    }

    static double untrained(ILossFunction loss) {
        MultiLayerNetwork net = new MultiLayerNetwork(FocalTask.conf(loss));
        net.init();
        return net.score(FocalTask.test());
    }

    /** The tests' {@code LossFocal}: α 0.3, γ 1.5, not the defaults (0.25, 2), so that a setting lost on the way shows. */
    static LossFocal lossFocal() {
        return LossFocal.builder().alpha(0.3).gamma(1.5).build();
    }

    /** The same loss as a SameDiff graph. */
    static SameDiffFocalLoss sameDiffFocalLoss() {
        return new SameDiffFocalLoss(0.3, 1.5);
    }

    static List<Supplier<ILossFunction>> losses() {
        return List.of(ClusterTestBase::lossFocal, ClusterTestBase::sameDiffFocalLoss);
    }
}
