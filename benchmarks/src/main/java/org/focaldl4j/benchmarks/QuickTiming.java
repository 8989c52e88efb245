package org.focaldl4j.benchmarks;

import java.util.Arrays;

import org.focaldl4j.loss.ExecutionPath;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * A quick side-by-side (medians of repeated calls inside a workspace) for development; the real figures
 * come from JMH. Arguments: rows (default 100,000, × 80 columns), repetitions (15).
 */
public final class QuickTiming {

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int cols = 80;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        INDArray x = Nd4j.randn(DataType.FLOAT, rows, cols).muli(3);
        INDArray y = Nd4j.rand(DataType.FLOAT, rows, cols).lt(0.001).castTo(DataType.FLOAT);
        INDArray oneHot = Nd4j.zeros(DataType.FLOAT, rows, cols);
        for (int r = 0; r < rows; r++) {
            oneHot.putScalar(r, (r * 37) % cols, 1.0);
        }
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(0)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP).build();
        ILossFunction[] losses = {new LossBinaryXENT(), new LossFocal(),
            LossFocal.builder().path(ExecutionPath.OPS).build(), new LossFocalStar(),
            LossFocalStar.builder().path(ExecutionPath.OPS).build(), new LossMCXENT(), new LossCategoricalFocal(),
            LossCategoricalFocal.builder().path(ExecutionPath.OPS).build()};
        String[] names = {"LossBinaryXENT", "LossFocal (auto: " + ExecutionPath.describeFusedKernel() + ")",
            "LossFocal (ops)", "LossFocalStar (auto)", "LossFocalStar (ops)", "LossMCXENT", "LossCategoricalFocal (auto)",
            "LossCategoricalFocal (ops)"};
        double[][] times = new double[losses.length][reps];
        for (int r = 0; r < reps; r++) {
            for (int k = 0; k < losses.length; k++) {
                boolean dl4j = losses[k] instanceof LossBinaryXENT || losses[k] instanceof LossMCXENT;
                INDArray xin = dl4j ? x.dup() : x;                                     // DL4J's overwrite their input
                boolean softmax = losses[k] instanceof LossMCXENT || losses[k] instanceof LossCategoricalFocal;
                IActivation act = softmax ? new ActivationSoftmax() : new ActivationSigmoid();
                try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "QT" + k)) {
                    long t0 = System.nanoTime();
                    losses[k].computeGradientAndScore(softmax ? oneHot : y, xin, act, null, false);
                    times[k][r] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        INDArray copy = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        double[] assign = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            copy.assign(x);
            assign[r] = (System.nanoTime() - t0) / 1e6;
        }
        for (int k = 0; k < losses.length; k++) {
            System.out.printf("%-40s median %.1f ms%n", names[k], median(times[k]));
        }
        System.out.printf("%-40s median %.1f ms%n", "assign", median(assign));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
