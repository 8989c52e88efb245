package org.focaldl4j.detection.layers;

import java.util.Arrays;

import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.samediff.SameDiffGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The run-time {@link SharedHeadVertex}: its forward and backward as libnd4j's {@code conv2d}, ReLU,
 * {@code conv2d_bp} and {@code thresholdedrelu_bp} ops, the same ops with the same arguments that SameDiff runs
 * for {@link SharedHeadVertex#defineVertex}, called directly. The forward keeps every conv's input (the ReLU
 * outputs, computed in place) and the backward starts from them: one forward per training step, where DL4J's
 * {@code SameDiffGraphVertex} runs the forward again inside {@code calculateGradients} (and backpropagates twice
 * the gradient). The gradient of a shared parameter is the sum of its levels' gradients, finest level first.
 *
 * <p>The kept activations and the per-level work arrays live outside DL4J's workspaces and are reused while the
 * minibatch size stays the same (a new size makes them again): per level, {@code convs} activations of
 * [N, width, H_l, W_l] and the last conv's output, and after the first backward as many gradients again. The output
 * and the input gradients are made in the workspaces DL4J gives. A backward whose inputs are not those of the last
 * training forward (by identity) runs that forward first. DL4J
 * fixes a graph's input sizes at its first call, and the output's M locations must match the anchors: later
 * inputs of other sizes are refused rather than flattened to another M.
 */
class SharedHeadGraphVertex extends SameDiffGraphVertex {

    private static final long serialVersionUID = 1L;

    /** The integer arguments of {@code conv2d} and {@code conv2d_bp} for every conv of the head, in ND4J's order. */
    private static final int[] CONV_ARGUMENTS = convArguments(SharedHeadVertex.same3x3());

    private final SharedHeadVertex head;

    /** The non-batch shape of each input at the first call. */
    private long[][] firstShapes;

    /** kept[l][i]: the input of conv i at level l (kept[l][0] is DL4J's input array), from the last forward. */
    private INDArray[][] kept;
    /** The last conv's output at each level, [N, A·O, H_l, W_l]. */
    private INDArray[] levelOutput;
    /** Work arrays of the backward pass, per level and conv: the gradient at the conv's output (null until needed). */
    private INDArray[][] delta;
    /** The weight and bias gradients of one level before they are added to the other levels'. */
    private INDArray[] weightGradient;
    private INDArray[] biasGradient;
    /** Minibatch size the work arrays were made for. */
    private long batch = -1;
    /** Whether {@link #kept} holds the current inputs' activations (a training forward since the last inputs). */
    private boolean forwardKept;
    /** Backward passes that had to run the forward again (none in {@code fit}; for tests). */
    private long recomputedForwards;

    long recomputedForwards() {
        return recomputedForwards;
    }

    SharedHeadGraphVertex(SharedHeadVertex head, ComputationGraph graph, String name, int vertexIndex,
                          INDArray paramsView, boolean initParams, DataType dataType) {
        super((SameDiffVertex) head, graph, name, vertexIndex, paramsView, initParams, dataType);
        HeadAgreement.check(head, name, graph == null ? null : graph.getConfiguration());   // sizes edited in JSON
        this.head = head;
    }

    private INDArray weight(int i) {
        return paramTable.get(SharedHeadVertex.weight(i));
    }

    private INDArray bias(int i) {
        return paramTable.get(SharedHeadVertex.bias(i));
    }

    private void checkShapes() {
        head.validateInput(inputs);
        long[][] shapes = new long[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            long[] s = inputs[i].shape();
            shapes[i] = Arrays.copyOfRange(s, 1, s.length);
        }
        if (firstShapes == null) {
            firstShapes = shapes;
        } else if (!Arrays.deepEquals(firstShapes, shapes)) {
            throw new IllegalArgumentException("vertex \"" + getVertexName() + "\" was first called with inputs of shape "
                    + Arrays.deepToString(firstShapes) + " (without the minibatch); its output's locations must match "
                    + "the anchors, so " + Arrays.deepToString(shapes) + " cannot be taken: use one input size per network");
        }
    }

    /** (Re)makes the kept activations and work arrays for minibatch size n, detached from any workspace. */
    private void workArrays(long n) {
        if (n == batch) {
            return;
        }
        int convs = head.getConvs();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            kept = new INDArray[head.getLevels()][convs + 1];
            levelOutput = new INDArray[head.getLevels()];
            for (int l = 0; l < kept.length; l++) {
                for (int i = 1; i <= convs; i++) {
                    kept[l][i] = map(n, head.getWidth(), l);
                }
                levelOutput[l] = map(n, outChannels(), l);
            }
        }
        delta = null;                                                           // made by the first backward
        batch = n;
    }

    /** An uninitialised [n, channels, H_l, W_l] array of the parameters' data type. */
    private INDArray map(long n, long channels, int level) {
        return Nd4j.createUninitialized(weight(0).dataType(), n, channels, firstShapes[level][1], firstShapes[level][2]);
    }

    private long outChannels() {
        return (long) head.getAnchors() * head.getOutputsPerAnchor();
    }

    /** The backward pass's work arrays for the current minibatch size, made on its first call. */
    private void backwardArrays() {
        if (delta != null) {
            return;
        }
        int convs = head.getConvs();
        DataType type = weight(0).dataType();
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            delta = new INDArray[head.getLevels()][convs + 1];
            for (int l = 0; l < delta.length; l++) {
                for (int i = 0; i <= convs; i++) {
                    delta[l][i] = map(batch, i < convs ? head.getWidth() : outChannels(), l);
                }
            }
            if (weightGradient == null) {
                weightGradient = new INDArray[convs + 1];
                biasGradient = new INDArray[convs + 1];
                for (int i = 0; i <= convs; i++) {
                    weightGradient[i] = Nd4j.createUninitialized(type, weight(i).shape());
                    biasGradient[i] = Nd4j.createUninitialized(type, bias(i).shape());
                }
            }
        }
    }

    /** Whether the kept activations are those of a training forward of exactly the current input arrays. */
    private boolean keptForCurrentInputs() {
        if (!forwardKept || kept == null || inputs[0].size(0) != batch) {
            return false;
        }
        for (int l = 0; l < inputs.length; l++) {
            if (kept[l][0] != inputs[l]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Also keeps the whole view as the vertex's gradient view: DL4J 1.0.0-M2.1's {@code SameDiffGraphVertex} never
     * sets it, so {@code getGradientsViewArray()} returned null and the updater's per-layer gradient normalisation
     * (ClipL2PerLayer, ClipElementWiseAbsoluteValue, RenormalizeL2PerLayer) skipped the heads without a word.
     */
    @Override
    public void setBackpropGradientsViewArray(INDArray view) {
        super.setBackpropGradientsViewArray(view);
        this.gradients = view;
    }

    @Override
    public void clear() {
        super.clear();
        forwardKept = false;
        if (kept != null) {
            for (INDArray[] level : kept) {
                level[0] = null;                                                // DL4J's input, in its workspace
            }
        }
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        checkShapes();
        long n = inputs[0].size(0);
        workArrays(n);
        int convs = head.getConvs();
        long outChannels = outChannels();
        long locations = 0;
        for (long[] s : firstShapes) {
            locations += s[1] * s[2];
        }
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, weight(0).dataType(), n, outChannels,
                locations);
        long offset = 0;
        for (int l = 0; l < inputs.length; l++) {
            kept[l][0] = inputs[l];
            for (int i = 0; i < convs; i++) {
                conv(kept[l][i], i, kept[l][i + 1]);
                Nd4j.exec(new org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear(kept[l][i + 1], kept[l][i + 1], 0.0));
            }
            conv(kept[l][convs], convs, levelOutput[l]);
            long m = firstShapes[l][1] * firstShapes[l][2];
            out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(offset, offset + m))
                    .assign(levelOutput[l].reshape(n, outChannels, m));
            offset += m;
        }
        forwardKept = training;
        return out;
    }

    private void conv(INDArray in, int i, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(in, weight(i), bias(i)).addOutputs(out)
                .addIntegerArguments(CONV_ARGUMENTS).build());
    }

    /** As ND4J's {@code Conv2D} op orders them: kernel, stride, padding, dilation, padding mode, NCHW, weight layout. */
    private static int[] convArguments(Conv2DConfig c) {
        return new int[] {(int) c.getKH(), (int) c.getKW(), (int) c.getSH(), (int) c.getSW(), (int) c.getPH(),
                (int) c.getPW(), (int) c.getDH(), (int) c.getDW(), c.getPaddingMode().index, 0,
                c.getWeightsFormat().ordinal()};
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        checkShapes();
        if (!keptForCurrentInputs()) {
            doForward(true, LayerWorkspaceMgr.noWorkspaces());                  // no training forward of these inputs
            recomputedForwards++;
        }
        backwardArrays();
        int convs = head.getConvs();
        long n = batch;
        long outChannels = outChannels();
        INDArray epsilon = getEpsilon();
        INDArray[] inputGradients = new INDArray[inputs.length];
        long offset = 0;
        for (int l = 0; l < inputs.length; l++) {
            long m = firstShapes[l][1] * firstShapes[l][2];
            delta[l][convs].assign(epsilon.get(NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.interval(offset, offset + m)).reshape(n, outChannels, firstShapes[l][1], firstShapes[l][2]));
            offset += m;
            for (int i = convs; i >= 0; i--) {
                INDArray below = i > 0 ? delta[l][i - 1]
                        : (inputGradients[l] = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD,
                                inputs[l].dataType(), inputs[l].shape()));
                boolean first = l == 0;
                INDArray dW = first ? gradTable.get(SharedHeadVertex.weight(i)) : weightGradient[i];
                INDArray db = first ? gradTable.get(SharedHeadVertex.bias(i)) : biasGradient[i];
                INDArray in = i == 0 ? inputs[l] : kept[l][i];
                Nd4j.exec(DynamicCustomOp.builder("conv2d_bp")
                        .addInputs(in, weight(i), bias(i), delta[l][i]).addOutputs(below, dW, db)
                        .addIntegerArguments(CONV_ARGUMENTS).build());
                if (!first) {
                    gradTable.get(SharedHeadVertex.weight(i)).addi(dW);
                    gradTable.get(SharedHeadVertex.bias(i)).addi(db);
                }
                if (i > 0) {                                                    // through the ReLU before conv i
                    Nd4j.exec(DynamicCustomOp.builder("thresholdedrelu_bp").addInputs(kept[l][i], below)
                            .addOutputs(below).addFloatingPointArguments(0.0).build());
                }
            }
        }
        forwardKept = false;
        Gradient g = new DefaultGradient();
        for (String key : paramTable.keySet()) {
            g.gradientForVariable().put(key, gradTable.get(key));
        }
        return new Pair<>(g, inputGradients);
    }
}
