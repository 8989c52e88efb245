package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.AnchorLossLayer;
import org.focaldl4j.detection.DetectionImages;
import org.focaldl4j.detection.RetinaNet;
import org.focaldl4j.detection.TinyDetection;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * One application on the cluster ({@link ClusterTestBase}): parameter averaging ({@code ParameterAveragingTrainingMaster},
 * averaging every 2 minibatches) across the 2 executor JVMs of {@code LossFocal}, {@code SameDiffFocalLoss} and the
 * detection toolkit's RetinaNet ({@code AnchorLossLayer} and {@code BoxRegressionLossLayer}); an executor JVM killed in
 * the middle of an epoch; a checkpoint written from the driver in the middle of training and resumed by a new trainer;
 * and, last, the application's one shared-training job ({@link SharedTrainingLossFocalTest} is another application).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTrainingTest extends ClusterTestBase {

    /** The application's only shared-training job, after the others (see {@link SharedTrainingLossFocalTest}). */
    @Test
    @Order(Integer.MAX_VALUE)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sharedTrainingOfSameDiffFocalLoss() {
        SharedTrainingLossFocalTest.trainsAcrossExecutorJvms(new SameDiffFocalLoss(0.25, 2));
    }

    @Test
    void parameterAveragingAcrossExecutorJvms() {
        for (Supplier<ILossFunction> loss : losses()) {
            double local = FocalTask.trainedOnOneMachine(loss.get()).score(FocalTask.test());
            assertTrue(local < 0.5 * untrained(loss.get()));
            trainOnCluster(loss.get(), averaging(16), "parameter averaging", local, 0.25);
        }
    }

    private static List<MultiDataSet> detectionBatches(int images, long seed) {
        RetinaNet r = TinyDetection.detector();
        DetectionImages data = TinyDetection.canvases(images, seed);
        MultiDataSetIterator it = data.iterator(r.pyramid(), r.matcher(), r.coder(), 8);
        List<MultiDataSet> out = new ArrayList<>();
        while (it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }

    private static double meanScore(ComputationGraph net, List<MultiDataSet> batches) {
        return batches.stream().mapToDouble(b -> net.score(b)).average().orElseThrow();
    }

    private static final int DETECTOR_EPOCHS = 6;

    private static void detectorOnCluster(TrainingMaster<?, ?> tm, String mode) {
        List<MultiDataSet> train = detectionBatches(64, 1);
        List<MultiDataSet> test = detectionBatches(32, 2);
        ComputationGraph local = TinyDetection.detector().network();
        double untrained = meanScore(local, test);
        for (int e = 0; e < DETECTOR_EPOCHS; e++) {
            train.forEach(local::fit);
        }
        double localScore = meanScore(local, test);

        SparkComputationGraph sparkNet = new SparkComputationGraph(sc, TinyDetection.detector().configuration(), tm);
        JavaRDD<MultiDataSet> rdd = sc.parallelize(train, WORKERS);
        long start = System.nanoTime();
        TaskLog tasks = listen();
        try (tasks) {
            fitEpochs(DETECTOR_EPOCHS, () -> sparkNet.fitMultiDataSet(rdd));
        }
        ComputationGraph trained = sparkNet.getNetwork();
        double score = meanScore(trained, test);
        System.out.printf(Locale.ROOT, "RetinaNet, %s: held-out loss untrained %.4f, one machine %.4f, cluster %.4f "
                + "(ratio %.3f), %d epochs in %.1f s, tasks per executor %s%n", mode, untrained, localScore, score,
                score / localScore, DETECTOR_EPOCHS, (System.nanoTime() - start) / 1e9, tasks.succeeded);
        assertTrue(score < 0.7 * untrained, mode + ": " + untrained + " -> " + score);
        assertTrue(score < 2 * localScore, mode + " " + score + " vs one machine " + localScore);
        assertEquals(List.of(), tasks.failures);
        assertEquals(WORKERS, tasks.succeeded.size(), "executors that ran tasks: " + tasks.succeeded);
        ComputationGraphConfiguration json = ComputationGraphConfiguration.fromJson(trained.getConfiguration().toJson());
        AnchorLossLayer cls = (AnchorLossLayer) ((LayerVertex) json.getVertices().get("cls")).getLayerConf().getLayer();
        assertEquals(TinyDetection.detector().configuration().getVertices().get("cls"), json.getVertices().get("cls"));
        assertEquals(new LossFocal(), cls.getLossFn());
    }

    @Test
    void detectorParameterAveraging() {
        detectorOnCluster(averaging(8), "parameter averaging");
    }

    /**
     * An executor JVM killed (SIGKILL) as it starts a training task of the 10th averaging round (job 20: a
     * {@code count} job per epoch, then 2 jobs per round, 16 rounds per epoch). Every minibatch is slowed by 30 ms
     * ({@link SlowMinibatches}) so that the kill lands inside the task. Spark re-runs the lost task on the executor
     * that lives, the worker starts a new executor, and training ends with the held-out score of the same training
     * without the fault (computed here first, without the pause: it changes no number).
     */
    @Test
    void executorKilledMidEpochUnderParameterAveraging() {
        ILossFunction loss = LossFocal.builder().alpha(0.25).gamma(2).build();
        double withoutFault = averagedFourEpochs(loss, averaging(16)).score(FocalTask.test());
        long start = System.nanoTime();
        TaskLog tasks = listen();
        double score;
        try (tasks) {
            tasks.killExecutorAt(20);
            score = averagedFourEpochs(loss, averagingBuilder(16).trainingHooks(List.of(new SlowMinibatches())).build())
                    .score(FocalTask.test());
        }
        System.out.printf(Locale.ROOT, "executor %s killed: held-out score without the fault %.6f, with it %.6f, %.1f s, "
                + "failed tasks %s, tasks per executor %s%n", tasks.killed, withoutFault, score,
                (System.nanoTime() - start) / 1e9, tasks.failures, tasks.succeeded);
        assertEquals(1, tasks.killed.size(), "an executor was killed");
        assertEquals(1, tasks.failures.size(), "the task lost with it: " + tasks.failures);
        assertTrue(tasks.failures.get(0).contains("ExecutorLostFailure"), tasks.failures.get(0));
        assertEquals(withoutFault, score, 1e-5 * withoutFault, "the re-run task recomputes the same partition");
    }

    private static MultiLayerNetwork averagedFourEpochs(ILossFunction loss, ParameterAveragingTrainingMaster tm) {
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, FocalTask.conf(loss), tm);
        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        fitEpochs(FocalTask.EPOCHS, () -> sparkNet.fit(rdd));
        return sparkNet.getNetwork();
    }

    /**
     * A checkpoint written by the driver ({@code ModelSerializer}, with the updater state) after 2 of 4 epochs, and
     * a new trainer resumed from it for the other 2: the checkpoint restores the parameters and Adam's state exactly,
     * and the resumed run ends within 5 % of the uninterrupted run's held-out score (not equal: the new training
     * master's repartitioning starts again from its seed).
     */
    @Test
    void checkpointWrittenMidTrainingAndResumed() throws IOException {
        ILossFunction loss = LossFocal.builder().alpha(0.25).gamma(2).build();
        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, FocalTask.conf(loss), averaging(16));
        Path checkpoint = dir.resolve("checkpoint.zip");
        fitEpochs(FocalTask.EPOCHS / 2, () -> sparkNet.fit(rdd));
        ModelSerializer.writeModel(sparkNet.getNetwork(), checkpoint.toFile(), true);
        INDArray params = sparkNet.getNetwork().params().dup();
        INDArray adam = sparkNet.getNetwork().getUpdater().getStateViewArray().dup();
        fitEpochs(FocalTask.EPOCHS - FocalTask.EPOCHS / 2, () -> sparkNet.fit(rdd));
        double uninterrupted = sparkNet.getNetwork().score(FocalTask.test());

        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(checkpoint.toFile(), true);
        assertEquals(params, restored.params());
        assertEquals(adam, restored.getUpdater().getStateViewArray());
        SparkDl4jMultiLayer resumed = new SparkDl4jMultiLayer(sc, restored, averaging(16));
        fitEpochs(FocalTask.EPOCHS - FocalTask.EPOCHS / 2, () -> resumed.fit(rdd));
        double score = resumed.getNetwork().score(FocalTask.test());
        System.out.printf(Locale.ROOT, "checkpoint after %d epochs: held-out score uninterrupted %.5f, resumed %.5f "
                + "(ratio %.4f)%n", FocalTask.EPOCHS / 2, uninterrupted, score, score / uninterrupted);
        assertEquals(uninterrupted, score, 0.05 * uninterrupted);
        BaseOutputLayer out = (BaseOutputLayer) resumed.getNetwork().getLayerWiseConfigurations().getConf(1).getLayer();
        assertEquals(loss, out.getLossFn());
    }
}
