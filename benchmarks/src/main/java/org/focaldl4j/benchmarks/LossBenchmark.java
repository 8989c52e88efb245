package org.focaldl4j.benchmarks;

import java.util.concurrent.TimeUnit;

import org.focaldl4j.loss.ExecutionPath;
import org.focaldl4j.loss.LossCategoricalFocal;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.focaldl4j.samediff.SameDiffFocalLoss;
import org.nd4j.common.primitives.Pair;
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
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One {@code computeGradientAndScore} call (what a training step needs) on [elements/80, 80] logits,
 * with 0.1 % positive labels, inside a workspace (as {@code fit()} runs it) or outside one.
 * {@code assign} is one copy of the logits into a preallocated array: the memory-bandwidth floor.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LossBenchmark {

    public static final String FOCAL_FUSED = "LossFocal (fused)";
    public static final String FOCAL_OPS = "LossFocal (ops)";
    public static final String XENT = "LossBinaryXENT";
    public static final String STAR = "LossFocalStar (fused)";
    public static final String STAR_OPS = "LossFocalStar (ops)";
    public static final String CATEGORICAL = "LossCategoricalFocal (fused)";
    public static final String CATEGORICAL_OPS = "LossCategoricalFocal (ops)";
    public static final String MCXENT = "LossMCXENT";
    public static final String ASSIGN = "assign (one copy)";
    public static final String SAMEDIFF = "SameDiffFocalLoss";

    @Param({"8000000"})
    public int elements;
    @Param({"FLOAT"})
    public String dtype;
    @Param({"true"})
    public boolean workspace;
    @Param({FOCAL_FUSED})
    public String impl;

    private INDArray x;
    private INDArray y;
    private INDArray copy;
    private ILossFunction loss;
    private IActivation activation;
    private WorkspaceConfiguration wsConf;

    @Setup(Level.Trial)
    public void setUp() {
        DataType type = DataType.valueOf(dtype);
        int cols = 80;
        int rows = elements / cols;
        Nd4j.getRandom().setSeed(42);
        x = Nd4j.randn(type, rows, cols).muli(3);
        boolean categorical = impl.equals(CATEGORICAL) || impl.equals(CATEGORICAL_OPS) || impl.equals(MCXENT);
        if (categorical) {
            y = Nd4j.zeros(type, rows, cols);
            INDArray cls = Nd4j.rand(DataType.DOUBLE, rows).muli(cols);
            for (int r = 0; r < rows; r++) {
                y.putScalar(r, (int) cls.getDouble(r), 1.0);
            }
        } else {
            y = Nd4j.rand(type, rows, cols).lt(0.001).castTo(type);
        }
        activation = categorical ? new ActivationSoftmax() : new ActivationSigmoid();
        switch (impl) {
            case FOCAL_FUSED:
                loss = new LossFocal();
                break;
            case FOCAL_OPS:
                loss = LossFocal.builder().path(ExecutionPath.OPS).build();
                break;
            case XENT:
                loss = new LossBinaryXENT();
                break;
            case STAR:
                loss = new LossFocalStar();
                break;
            case STAR_OPS:
                loss = LossFocalStar.builder().path(ExecutionPath.OPS).build();
                break;
            case CATEGORICAL:
                loss = new LossCategoricalFocal();
                break;
            case CATEGORICAL_OPS:
                loss = LossCategoricalFocal.builder().path(ExecutionPath.OPS).build();
                break;
            case MCXENT:
                loss = new LossMCXENT();
                break;
            case SAMEDIFF:
                loss = new SameDiffFocalLoss();
                break;
            case ASSIGN:
                copy = Nd4j.createUninitialized(type, rows, cols);
                break;
            default:
                throw new IllegalArgumentException("unknown impl " + impl);
        }
        wsConf = WorkspaceConfiguration.builder().initialSize(0).policyAllocation(AllocationPolicy.STRICT)
                .policyLearning(LearningPolicy.FIRST_LOOP).build();
    }

    @Benchmark
    public double gradientAndScore() {
        if (copy != null) {
            copy.assign(x);
            return copy.getDouble(0);
        }
        if (!workspace) {
            return call();
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(wsConf, "BENCH_WS")) {
            return call();
        }
    }

    private double call() {
        // LossBinaryXENT/LossMCXENT overwrite their preOutput with the activation; the cost per call is the
        // same for any finite input, so x is not restored between calls.
        Pair<Double, INDArray> r = loss.computeGradientAndScore(y, x, activation, null, false);
        return r.getFirst() + r.getSecond().getDouble(0);
    }
}
