package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.detection.model.RetinaNet;
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
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.lossfunctions.ILossFunction;
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
        /**
         * Successful tasks of DL4J's training stages, by stage id: the first stage of each job's {@code treeAggregate}
         * over the workers' results (the later ones are Spark's reduction of those results).
         */
        final Map<Integer, Integer> trainingTasksPerStage = new ConcurrentSkipListMap<>();
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
            int training = Integer.MAX_VALUE;
            for (StageInfo stage : JavaConverters.seqAsJavaList(jobStart.stageInfos())) {
                stageNames.put(stage.stageId(), stage.name());
                if (stage.name().startsWith("treeAggregate")) {
                    training = Math.min(training, stage.stageId());
                }
            }
            if (training != Integer.MAX_VALUE) {
                trainingTasksPerStage.putIfAbsent(training, 0);
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
                trainingTasksPerStage.computeIfPresent(taskEnd.stageId(), (stage, n) -> n + 1);
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

    /** The first of {@code count} consecutive UDP ports free on the loopback interface now (tried 100 times). */
    static int freeUdpPorts(int count) {
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

    /**
     * {@code loss}'s network trained with {@code tm} on the cluster for {@link FocalTask#EPOCHS} epochs, with
     * {@code listeners} on the executors' networks.
     */
    static SparkDl4jMultiLayer fitOnCluster(ILossFunction loss, TrainingMaster<?, ?> tm, TrainingListener... listeners) {
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, FocalTask.conf(loss), tm);
        if (listeners.length > 0) {
            sparkNet.setListeners(List.of(listeners));
        }
        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        fitEpochs(FocalTask.EPOCHS, () -> sparkNet.fit(rdd));
        return sparkNet;
    }

    /**
     * {@link #fitOnCluster} with the checks every trained network gets (class Javadoc): no failed task, both executors
     * ran tasks, the executors compute the driver's held-out score, the trained network's JSON holds an equal loss;
     * and the held-out score of the network {@code result} makes of the trainer after the last epoch between
     * {@code low} and {@code high} times {@code localScore}. Returns the trainer.
     */
    static SparkDl4jMultiLayer trainOnCluster(ILossFunction loss, TrainingMaster<?, ?> tm, String mode, double localScore,
            double low, double high, Function<SparkDl4jMultiLayer, MultiLayerNetwork> result, TrainingListener... listeners) {
        long start = System.nanoTime();
        try (TaskLog tasks = listen()) {
            SparkDl4jMultiLayer sparkNet = fitOnCluster(loss, tm, listeners);
            MultiLayerNetwork trained = result.apply(sparkNet);
            double score = trained.score(FocalTask.test());
            System.out.printf(Locale.ROOT, "%s, %s: held-out score untrained %.5f, one machine %.5f, cluster %.5f (ratio "
                    + "%.3f), %d epochs in %.1f s, tasks per executor %s, %d JVMs%n", loss, mode, untrained(loss), localScore,
                    score, score / localScore, FocalTask.EPOCHS, (System.nanoTime() - start) / 1e9, tasks.succeeded,
                    cluster.jvms() + 1);
            assertTrue(score >= low * localScore && score <= high * localScore, mode + " " + score + " vs one machine "
                    + localScore + ": ratio outside [" + low + ", " + high + "]");
            assertEquals(List.of(), tasks.failures);
            assertEquals(WORKERS, tasks.succeeded.size(), "executors that ran tasks: " + tasks.succeeded);
            double driver = sparkNet.getNetwork().score(FocalTask.test());
            assertEquals(driver, sparkNet.calculateScore(sc.parallelize(List.of(FocalTask.test())), true), 1e-5 * driver,
                    "the held-out score of the driver's network computed on the executors, with the network they rebuilt");
            BaseOutputLayer out = (BaseOutputLayer) MultiLayerConfiguration.fromJson(
                    trained.getLayerWiseConfigurations().toJson()).getConf(1).getLayer();
            assertEquals(loss, out.getLossFn(), "the trained network's loss and its hyper-parameters, from its JSON");
            return sparkNet;
        }
    }

    /**
     * Shared training's settings here: one training task per executor per epoch and an encoding threshold of one Adam
     * step, the residual kept whole ({@link Sharing#ONE_TASK_THRESHOLD_LR}; docs/spark.md says why).
     */
    static SharedTrainingMaster sharing(int batchSize, double learningRate) {
        return Sharing.ONE_TASK_THRESHOLD_LR.master(batchSize, learningRate);
    }

    /**
     * Shared training's bound on the held-out score of the executors' averaged networks after {@link FocalTask#EPOCHS}
     * epochs, as a multiple of one machine's: the worst of the measured runs times 1.5. The 20 recorded runs of the two
     * losses gave at most 1.27, but a clean-clone CI run of this test then gave 1.65, so the tail is longer than they
     * show: 1.65 × 1.5 = 2.5 (docs/spark.md). Untrained is 12×.
     */
    static final double SHARED_RATIO_BOUND = 2.5;

    /**
     * Shared training's bound on the driver's own network (every update applied) as a fraction of the untrained score:
     * that it learned at all. The 28 recorded runs of the two losses gave at most 0.25, a run of this test 0.40
     * (docs/spark.md): the worst times 2, 0.8. A lost update path leaves it untrained (1.0).
     */
    static final double SHARED_DRIVER_OF_UNTRAINED = 0.8;

    /**
     * Shared training's bound on the updates from its peer that reach an executor while it trains (outside DL4J's
     * bypass between tasks; DL4J may still purge some not yet applied at the end of a task), as a fraction of what the
     * peer sent: half the lowest measured fraction (45 %: 16 executors in 8 runs of {@code LossFocal}; docs/spark.md).
     * Updates that never cross between executors give 0.
     */
    static final double SHARED_PEER_FRACTION = 0.2;

    /**
     * Shared training of {@code loss}'s network ({@link #sharing}) with a final averaging step ({@link FinalAveraging}),
     * checked as {@link #trainOnCluster} checks a network (the executors' averaged network scoring at most
     * {@link #SHARED_RATIO_BOUND} × one machine), and by what {@link SharingProbe} and the driver saw: each epoch ran
     * one training task per partition ({@code EqualRepartitioner}: {@link #WORKERS}); every executor encoded with the
     * fixed threshold; the executors trained {@link FocalTask#EPOCHS} × 64 minibatches with the driver's loss; each
     * received at least {@link #SHARED_PEER_FRACTION} of its peer's updates while training; every update sent reached the driver
     * ({@link #awaitEveryUpdate}), and the driver's network with all of them scores below
     * {@link #SHARED_DRIVER_OF_UNTRAINED} × untrained. Returns the trainer, its network the driver's.
     */
    static SparkDl4jMultiLayer trainShared(ILossFunction loss, double localScore) throws IOException {
        Path probeDir = Files.createTempDirectory(dir, "probe");
        SharedTrainingMaster tm = sharing(16, FocalTask.LEARNING_RATE);
        double untrained = untrained(loss);
        SparkDl4jMultiLayer sparkNet;
        try (TaskLog tasks = listen()) {
            sparkNet = trainOnCluster(loss, tm, "shared training, executors averaged", localScore, 0, SHARED_RATIO_BOUND,
                    net -> {
                        awaitEveryUpdate(tm, probeDir);
                        double driver = net.getNetwork().score(FocalTask.test());
                        System.out.printf(Locale.ROOT, "shared training: the driver's network %.5f (%.3f of untrained)%n",
                                driver, driver / untrained);
                        assertTrue(driver < SHARED_DRIVER_OF_UNTRAINED * untrained, "the driver's network " + driver
                                + " vs untrained " + untrained);
                        MultiLayerNetwork averaged = net.getNetwork().clone();
                        fitWithDeadline(EPOCH_DEADLINE,
                                () -> averaged.params().assign(FinalAveraging.mean(sc, WORKERS, 10)));
                        return averaged;
                    }, new SharingProbe(probeDir), new FinalAveraging());
            assertEquals(Collections.nCopies(FocalTask.EPOCHS, WORKERS), List.copyOf(tasks.trainingTasksPerStage.values()),
                    "training tasks per epoch");
        }
        Map<String, List<Map<String, Object>>> records = SharingProbe.records(probeDir);
        assertEquals(WORKERS, records.size(), "executors that trained: " + records.keySet());
        int minibatches = 0;
        for (List<Map<String, Object>> tasks : records.values()) {
            for (Map<String, Object> task : tasks) {
                String at = "executor " + task.get("executor") + ", task " + task.get("task");
                minibatches += ((Number) task.get("minibatches")).intValue();
                assertEquals(FocalTask.LEARNING_RATE, ((Number) task.get("threshold_end")).doubleValue(), "threshold, " + at);
                ILossFunction executorLoss = ((BaseOutputLayer) MultiLayerConfiguration.fromJson((String) task.get("conf"))
                        .getConf(1).getLayer()).getLossFn();
                assertEquals(loss, executorLoss, "the loss " + at + " trained with");
            }
        }
        assertEquals(FocalTask.EPOCHS * FocalTask.train().size(), minibatches, "minibatches trained on the executors");
        for (String executor : records.keySet()) {
            long peersSent = records.entrySet().stream().filter(e -> !e.getKey().equals(executor))
                    .mapToLong(e -> last(e.getValue(), "sent_total")).sum();
            long received = last(records.get(executor), "received_while_training");
            assertTrue(received >= SHARED_PEER_FRACTION * peersSent, "executor " + executor + " received " + received
                    + " of its peer's " + peersSent + " updates while training");
        }
        return sparkNet;
    }

    private static long last(List<Map<String, Object>> tasks, String field) {
        return ((Number) tasks.get(tasks.size() - 1).get(field)).longValue();
    }

    /**
     * Waits (at most {@link #EPOCH_DEADLINE}) until the driver of {@code tm}'s job has received every update the
     * executors sent (their counts, from the probe's records under {@code probeDir}), fails if it does not, and applies
     * them. DL4J's {@code fit} returns when the executors' tasks have; updates still on their way to the driver (62 of
     * 252 in one measured run: docs/spark.md) arrive afterwards and sit unapplied until the driver's count reaches the
     * next multiple of 32, or the next {@code fit}.
     */
    static void awaitEveryUpdate(SharedTrainingMaster tm, Path probeDir) {
        try {
            long sent = 0;
            for (List<Map<String, Object>> tasks : SharingProbe.records(probeDir).values()) {
                sent += last(tasks, "sent_total");
            }
            long deadline = System.nanoTime() + EPOCH_DEADLINE.toNanos();
            Map<String, Object> driver = SharingProbe.driverCounts(tm);
            while ((Long) driver.get("driver_received") < sent && System.nanoTime() < deadline) {
                Thread.sleep(50);
                driver = SharingProbe.driverCounts(tm);
            }
            assertEquals(sent, driver.get("driver_received"), "updates the executors sent and the driver received "
                    + "(driver's counters " + driver + ")");
            SharingProbe.flushDriver(tm);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code images} canvases drawn with {@code seed}, with their targets, in minibatches of {@code batchSize}. */
    static List<MultiDataSet> detectionBatches(int images, long seed, int batchSize) {
        RetinaNet r = detector();
        DetectionImages data = TinyDetection.canvases(images, seed);
        MultiDataSetIterator it = data.iterator(r.targets(), batchSize);
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
