package org.focaldl4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.focaldl4j.loss.LossFocal;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;

/**
 * Shared training ({@code SharedTrainingMaster}: threshold-encoded updates over Aeron between the 2 executor JVMs and
 * the driver) of a {@code LossFocal} network with the settings of {@link ClusterTestBase#sharing} and a final averaging
 * step, in an application of its own: DL4J 1.0.0-M2's parameter-server node lives as long as its JVM, and a second
 * shared-training job in the same driver JVM hung here (no progress in 3 minutes, the driver waiting in
 * {@code SharedTrainingMaster.processResults}), so each application runs one. Surefire runs each test class in its own
 * JVM (the module's {@code reuseForks=false}). Shared training is asynchronous and its score varies from run to run;
 * {@link ClusterTestBase#trainShared} says what is checked and docs/spark.md gives the measured distribution behind
 * each bound.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SharedTrainingLossFocalTest extends ClusterTestBase {

    /**
     * Then an executor JVM killed as a training task starts while the same job trains more epochs. Measured with DL4J's
     * default settings: the epoch in which the executor dies ends (in one run the next one too), and then an epoch
     * never does (the driver waits in {@code processResults}, the replacement executor's tasks never return); with
     * the settings here, four runs finished every extra epoch (Spark re-ran the lost task on the other executor). So
     * every extra epoch runs under a 30-second deadline ({@link #fitWithDeadline}; an epoch takes 3–13 s here), and
     * {@code fit} throws the cancellation. The test accepts any {@code SparkException} (a clear error) that comes
     * within the 3 deadlines plus 30 s, or all extra epochs finishing with the driver's network (its late updates
     * applied) below {@link #SHARED_DRIVER_OF_UNTRAINED} × untrained.
     */
    @Test
    void lossFocalThenAnExecutorKilled() throws Exception {
        LossFocal loss = lossFocal();
        SparkDl4jMultiLayer sparkNet = trainsAcrossExecutorJvms(loss);

        JavaRDD<DataSet> rdd = sc.parallelize(FocalTask.train(), WORKERS);
        long start = System.nanoTime();
        int epochs = 0;
        SparkException failure = null;
        TaskLog tasks = listen();
        try (tasks) {
            tasks.killExecutorAt(1);
            for (; epochs < 3; epochs++) {
                fitWithDeadline(Duration.ofSeconds(30), () -> sparkNet.fit(rdd));
            }
        } catch (Exception e) {          // Scala code throws the checked SparkException undeclared
            if (!(e instanceof SparkException)) {
                throw e;
            }
            failure = (SparkException) e;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "shared training, executor %s killed: %d more epochs finished, then %s after "
                + "%.1f s; failed tasks %s%n", tasks.killed, epochs, failure, seconds, tasks.failures);
        assertEquals(1, tasks.killed.size(), "an executor was killed");
        assertTrue(seconds < 3 * 30 + 30, "bounded by the deadlines: " + seconds + " s");
        if (failure == null) {
            // Every extra epoch finished: the driver's network, with the updates still on their way applied, has not
            // lost what it learned (the bound of the driver's network in trainShared; the kill's own spread is not
            // measured, so nothing tighter).
            Thread.sleep(5000);
            SharingProbe.flushDriver((SharedTrainingMaster) sparkNet.getTrainingMaster());
            double score = sparkNet.getNetwork().score(FocalTask.test());
            assertTrue(score < SHARED_DRIVER_OF_UNTRAINED * untrained(loss), "after the kill: " + score);
        }
    }

    /** Shared training of {@code loss}'s network; the first shared-training job of this driver JVM. */
    static SparkDl4jMultiLayer trainsAcrossExecutorJvms(ILossFunction loss) throws IOException {
        assertFalse(ModelParameterServer.getInstance().isInitialized(), "this driver JVM already ran a shared-training "
                + "job, and a second one would hang (DL4J 1.0.0-M2): run it in a test class of its own");
        double local = FocalTask.trainedOnOneMachine(loss).score(FocalTask.test());
        SparkDl4jMultiLayer sparkNet = trainShared(loss, local);
        assertTrue(sparkNet.getNetwork().score(FocalTask.test()) < 0.5 * untrained(loss), "shared training did not learn");
        return sparkNet;
    }
}
