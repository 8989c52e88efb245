package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.layers.AnchorLossLayer;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
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
    void sharedTrainingOfSameDiffFocalLoss() throws Exception {
        SharedTrainingLossFocalTest.trainsAcrossExecutorJvms(sameDiffFocalLoss());
    }

    @Test
    void parameterAveragingAcrossExecutorJvms() {
        for (Supplier<ILossFunction> loss : losses()) {
            double local = FocalTask.trainedOnOneMachine(loss.get()).score(FocalTask.test());
            assertTrue(local < 0.5 * untrained(loss.get()));
            trainOnCluster(loss.get(), averaging(16), "parameter averaging", local, 0.75, 1.25,
                    SparkDl4jMultiLayer::getNetwork);
        }
    }

    @Test
    void detectorParameterAveraging() {
        double[] loss = detectorOnCluster(averaging(8), "parameter averaging");
        assertTrue(loss[2] < 0.7 * loss[0], "untrained " + loss[0] + " -> " + loss[2]);
        assertTrue(loss[2] < 2 * loss[1], loss[2] + " vs one machine " + loss[1]);
    }

    /**
     * An executor JVM killed (SIGKILL, by {@link KillOnce}) inside a training task, before its 20th minibatch: the
     * 10th averaging round of the first epoch (each worker trains 2 minibatches per round). Spark re-runs the lost
     * task on the executor that lives, the worker starts a new executor, and training ends with the held-out score
     * of the same training without the fault (computed here first).
     */
    @Test
    void executorKilledMidEpochUnderParameterAveraging() throws IOException {
        ILossFunction loss = lossFocal();
        double withoutFault = fitOnCluster(loss, averaging(16)).getNetwork().score(FocalTask.test());
        Path token = Files.createFile(dir.resolve("kill-once"));
        long start = System.nanoTime();
        TaskLog tasks = listen();
        double score;
        try (tasks) {
            score = fitOnCluster(loss, averagingBuilder(16).trainingHooks(List.of(new KillOnce(token, 20))).build())
                    .getNetwork().score(FocalTask.test());
        }
        System.out.printf(Locale.ROOT, "executor killed in a task: held-out score without the fault %.6f, with it %.6f, "
                + "%.1f s, failed tasks %s, tasks per executor %s%n", withoutFault, score,
                (System.nanoTime() - start) / 1e9, tasks.failures, tasks.succeeded);
        assertFalse(Files.exists(token), "an executor took the token and killed itself");
        assertEquals(1, tasks.failures.size(), "the task lost with it: " + tasks.failures);
        assertTrue(tasks.failures.get(0).contains("ExecutorLostFailure"), tasks.failures.get(0));
        assertEquals(withoutFault, score, 1e-5 * withoutFault, "the re-run task recomputes the same partition");
    }

    /**
     * A checkpoint written by the driver ({@code ModelSerializer}, with the updater state) after 2 of 4 epochs, and
     * a new trainer resumed from it for the other 2: the checkpoint restores the parameters and Adam's state exactly,
     * and the resumed run ends within 5 % of the uninterrupted run's held-out score (not equal: the new training
     * master's repartitioning starts again from its seed).
     */
    @Test
    void checkpointWrittenMidTrainingAndResumed() throws IOException {
        ILossFunction loss = lossFocal();
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
        assertTrue(params.equalsWithEps(restored.params(), 0), "the parameters, exactly");
        assertTrue(adam.equalsWithEps(restored.getUpdater().getStateViewArray(), 0), "Adam's state, exactly");
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
