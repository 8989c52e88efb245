package org.focaldl4j.spark;

import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.NoOpResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.FixedThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.repartitioner.EqualRepartitioner;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/** The shared-training settings the tests and {@link SharedTrainingRuns} compare. */
enum Sharing {
    /**
     * DL4J's defaults: partitions of {@code batchSizePerWorker / rddDataSetNumExamples} DataSets (here one minibatch,
     * so one Spark task per minibatch), {@code AdaptiveThresholdAlgorithm()} (initial threshold 1e-4, at most ×2 per
     * 20 iterations), residual clipped to 5 thresholds every 5 iterations.
     */
    DEFAULT,
    /**
     * One training task per executor per epoch ({@code EqualRepartitioner}: a partition per core, so one per executor
     * with the tests' one-core executors).
     */
    ONE_TASK_PER_EXECUTOR,
    /**
     * One task per executor per epoch, and a fixed encoding threshold equal to the updater's learning rate (the size
     * of one Adam step) with the residual kept whole ({@code NoOpResidualPostProcessor}).
     */
    ONE_TASK_THRESHOLD_LR,
    /**
     * DL4J's repartitioning (a task per minibatch) with the fixed threshold and the whole residual of
     * {@link #ONE_TASK_THRESHOLD_LR}.
     */
    THRESHOLD_LR;

    /** A shared-training master for minibatches of {@code batchSize}, for an updater of {@code learningRate}. */
    SharedTrainingMaster master(int batchSize, double learningRate) {
        // A parameter-server port per JVM (ExecutorPortSupplier): base on the driver, base + 1 + id on executor id.
        VoidConfiguration voidConf = VoidConfiguration.builder()
                .portSupplier(new ExecutorPortSupplier(ClusterTestBase.freeUdpPorts(8)))
                .controllerAddress("127.0.0.1").networkMask("127.0.0.0/8").build();
        SharedTrainingMaster.Builder b = new SharedTrainingMaster.Builder(voidConf, batchSize).batchSizePerWorker(batchSize)
                .workersPerNode(1).rddTrainingApproach(RDDTrainingApproach.Direct);
        if (this == ONE_TASK_PER_EXECUTOR || this == ONE_TASK_THRESHOLD_LR) {
            b.repartitioner(new EqualRepartitioner());
        }
        if (this == ONE_TASK_THRESHOLD_LR || this == THRESHOLD_LR) {
            b.thresholdAlgorithm(new FixedThresholdAlgorithm(learningRate)).residualPostProcessor(new NoOpResidualPostProcessor());
        }
        return b.build();
    }
}
