package org.focaldl4j.detection.layers;

import org.deeplearning4j.nn.conf.layers.samediff.SameDiffVertex;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.samediff.SameDiffGraphVertex;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The reference for {@link SharedHeadGraphVertex}: the run-time vertex {@link SharedHeadVertex} had before it, DL4J's
 * {@code SameDiffGraphVertex} with two of its 1.0.0-M2.1 defects corrected ({@code SharedHeadOneForwardTest} holds the
 * new vertex to its bits). It corrects two defects of DL4J 1.0.0-M2.1's run-time {@code SameDiffGraphVertex}. First, it backpropagates
 * twice the gradient: for a vertex computing y = x ⊙ W under an MSE loss, its gradients with respect to W and to x are exactly 2× the numerical
 * ones (measured with {@code GradientCheckUtil} in double precision: relative error 1/3 on every parameter,
 * whatever the minibatch size, the number of inputs or the layers before and after). Everything the vertex
 * returns is linear in the incoming error, so backpropagating half of it gives the true gradients; this
 * class does that for {@link SharedHeadVertex} ({@code SharedHeadVertexTest} checks the result with
 * {@code GradientCheckUtil}, on the first and on later calls).
 *
 * <p>Second, with DL4J workspaces its SameDiff session reads stale workspace memory: when another network
 * trains on the same thread between two of its steps, the gradients of the heads' last convolution came out
 * as 1e22 garbage, and even alone {@code ENABLED} did not repeat {@code NONE}'s training bit for bit. This
 * class runs SameDiff outside DL4J's workspaces (detached arrays) and copies the vertex's output and input
 * gradients into the workspaces DL4J expects; {@code RetinaNetTest} holds training with interleaved networks
 * to the bits of {@code WorkspaceMode.NONE}.
 *
 * <p>DL4J also fixes the vertex's placeholder shapes at its first call, and {@link SharedHeadVertex} flattens
 * each level with the sizes it was built with: later inputs of other sizes are refused here rather than
 * silently reshaped.
 */
class CorrectedSameDiffGraphVertex extends SameDiffGraphVertex {

    private static final long serialVersionUID = 1L;

    CorrectedSameDiffGraphVertex(SameDiffVertex config, ComputationGraph graph, String name, int vertexIndex,
                                 INDArray paramsView, boolean initParams, DataType dataType) {
        super(config, graph, name, vertexIndex, paramsView, initParams, dataType);
    }

    /** The non-batch shape of each input at the first call. */
    private long[][] firstShapes;

    private void checkShapes() {
        long[][] shapes = new long[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            long[] s = inputs[i].shape();
            shapes[i] = java.util.Arrays.copyOfRange(s, 1, s.length);
        }
        if (firstShapes == null) {
            firstShapes = shapes;
        } else if (!java.util.Arrays.deepEquals(firstShapes, shapes)) {
            throw new IllegalArgumentException("vertex \"" + getVertexName() + "\" was first called with inputs of shape "
                    + java.util.Arrays.deepToString(firstShapes) + " (without the minibatch); DL4J fixes them then, so "
                    + java.util.Arrays.deepToString(shapes) + " cannot be taken: use one input size per network");
        }
    }

    @Override
    public INDArray doForward(boolean training, LayerWorkspaceMgr workspaceMgr) {
        checkShapes();
        INDArray out;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            out = super.doForward(training, LayerWorkspaceMgr.noWorkspaces());
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public Pair<Gradient, INDArray[]> doBackward(boolean tbptt, LayerWorkspaceMgr workspaceMgr) {
        checkShapes();
        INDArray original = getEpsilon();
        Pair<Gradient, INDArray[]> result;
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            setEpsilon(original.mul(0.5));
            result = super.doBackward(tbptt, LayerWorkspaceMgr.noWorkspaces());
        } finally {
            setEpsilon(original);
        }
        INDArray[] inputGradients = result.getSecond();
        for (int i = 0; i < inputGradients.length; i++) {
            inputGradients[i] = workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, inputGradients[i]);
        }
        return result;
    }
}
