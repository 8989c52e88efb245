package org.focaldl4j.spark;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import scala.Tuple2;

/**
 * A final averaging step for DL4J's shared training ({@code SharedTrainingMaster}): the mean of the executors' own
 * networks, to replace the driver's. Each executor trains its own copy of the network and applies the updates it
 * receives from the others; the driver's copy is the sum of all encoded updates, which no executor trained with
 * (docs/spark.md measures the difference). The mean of the executors' parameters is one round of parameter
 * averaging at the end.
 *
 * <p>Use: add {@code new FinalAveraging()} to the trainer's listeners (it keeps, in each executor JVM, the parameters
 * at the end of that executor's last training task), train, then {@code net.params().assign(FinalAveraging.mean(sc,
 * executors, tries))}. {@link #mean} runs small Spark jobs until that many executors have answered.
 */
final class FinalAveraging extends BaseTrainingListener implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * This executor JVM's parameters at the end of its last training task, with the number of training tasks it has
     * ended (null before one ends). Static: the executor JVM, one per application, outlives the task.
     */
    private static final AtomicReference<Tuple2<Integer, INDArray>> LATEST = new AtomicReference<>();

    @Override
    public void onEpochEnd(Model model) {
        try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            INDArray params = model.params().dup();
            LATEST.updateAndGet(previous -> new Tuple2<>(previous == null ? 1 : previous._1() + 1, params));
        }
    }

    /**
     * The mean of the latest parameters of {@code executors} executors, collected by jobs of 4 tasks per executor,
     * repeated (at most {@code tries} times) until that many distinct executors with parameters have answered;
     * executors without parameters (they ended no training task: an executor started after training, say) are left out.
     * Refuses executors that ended different numbers of training tasks (Spark ran two of an epoch's partitions on one
     * executor, so the other's parameters are an epoch old), naming each executor's count.
     */
    static INDArray mean(JavaSparkContext sc, int executors, int tries) {
        if (executors < 1 || tries < 1) {
            throw new IllegalArgumentException("needs executors >= 1 and tries >= 1; got " + executors + ", " + tries);
        }
        Map<String, Tuple2<Integer, INDArray>> latest = new TreeMap<>();
        int tasks = 4 * executors;
        for (int t = 0; t < tries && latest.size() < executors; t++) {
            List<Tuple2<String, Tuple2<Integer, INDArray>>> answers = sc.parallelize(IntStream.range(0, tasks).boxed()
                    .toList(), tasks).mapPartitions(i -> List.of(new Tuple2<>(SparkEnv.get().executorId(), LATEST.get()))
                    .iterator()).collect();
            for (Tuple2<String, Tuple2<Integer, INDArray>> a : answers) {
                if (a._2() != null) {
                    latest.put(a._1(), a._2());
                }
            }
        }
        Map<String, Integer> ended = new TreeMap<>();
        latest.forEach((id, v) -> ended.put(id, v._1()));
        if (latest.size() < executors) {
            throw new IllegalStateException("only executors " + ended.keySet() + " of the " + executors
                    + " expected had parameters after " + tries + " jobs");
        }
        if (new HashSet<>(ended.values()).size() > 1) {
            throw new IllegalStateException("executors ended different numbers of training tasks " + ended
                    + ": their parameters are not from the same epoch");
        }
        INDArray sum = null;
        for (Tuple2<Integer, INDArray> v : latest.values()) {
            sum = sum == null ? v._2().dup() : sum.addi(v._2());
        }
        return sum.divi(latest.size());
    }
}
