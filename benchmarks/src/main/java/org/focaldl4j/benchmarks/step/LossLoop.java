package org.focaldl4j.benchmarks.step;

import java.util.Locale;

import org.focaldl4j.loss.ExecutionPath;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A quick loop without JMH: {@code computeGradientAndScore} of {@code SameDiffFocalLoss} and of {@code LossFocal}'s
 * op path on the same FLOAT logits [N/80, 80] (0.1 % positive labels), inside a workspace as DL4J's layers call it,
 * alternating the two; prints the median ms per call of each (docs/performance.md, "The SameDiff loss").
 *
 * <p>{@code mvn -B -q -pl benchmarks exec:java@step -Dexec.mainClass=org.focaldl4j.benchmarks.step.LossLoop
 * -Dexec.args="ELEMENTS CALLS"} (defaults 1000000 and 10; 3 warm-up calls each).
 */
public final class LossLoop {

    private LossLoop() {
    }

    public static void main(String[] args) {
        int elements = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        if (elements < 80 || elements % 80 != 0 || calls < 1) {
            throw new IllegalArgumentException("ELEMENTS must be a positive multiple of 80 and CALLS >= 1; got "
                    + elements + ", " + calls);
        }
        Nd4j.getRandom().setSeed(42);
        INDArray x = Nd4j.randn(DataType.FLOAT, elements / 80, 80).muli(3);
        INDArray y = Nd4j.rand(DataType.FLOAT, elements / 80, 80).lt(0.001).castTo(DataType.FLOAT);
        ILossFunction sameDiff = new SameDiffFocalLoss();
        ILossFunction ops = LossFocal.builder().path(ExecutionPath.OPS).build();
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(0)
                .policyAllocation(AllocationPolicy.STRICT).policyLearning(LearningPolicy.FIRST_LOOP).build();
        for (int i = 0; i < 3; i++) {
            call(sameDiff, x, y, conf);
            call(ops, x, y, conf);
        }
        double[] sd = new double[calls];
        double[] op = new double[calls];
        for (int i = 0; i < calls; i++) {
            sd[i] = call(sameDiff, x, y, conf);
            op[i] = call(ops, x, y, conf);
        }
        double a = StepSpeed.median(sd);
        double b = StepSpeed.median(op);
        System.out.printf(Locale.ROOT, "%d FLOAT logits, median of %d calls: SameDiffFocalLoss %.1f ms, LossFocal op path "
                + "%.1f ms, ratio %.2f%n", elements, calls, a, b, a / b);
    }

    private static double call(ILossFunction loss, INDArray x, INDArray y, WorkspaceConfiguration conf) {
        long t0 = System.nanoTime();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "LOSS_LOOP")) {
            loss.computeGradientAndScore(y, x, new ActivationSigmoid(), null, false);
        }
        return (System.nanoTime() - t0) / 1e6;
    }
}
