package org.focaldl4j.loss;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.Objects;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The library's own focal losses with a fused CPU kernel ({@link LossFocal}, {@link LossFocalStar},
 * {@link LossCategoricalFocal}): their {@link ExecutionPath} setting, written once here and in {@link FusedBuilder},
 * and the one decision per call between the kernel and the op path:
 * <pre>
 *   the fused kernel   when path = AUTO, the loss's kernel takes the call ({@link #kernelTakes}) and the arrays are
 *                      ones it can read ({@link FusedEligibility});
 *   the op path        otherwise ({@link AbstractFocalLoss#fromLogits}).
 * </pre>
 * It cannot be extended outside this package: a new loss extends {@link AbstractFocalLoss}, all of whose paths run
 * its own {@code fromLogits}.
 */
public abstract class FusedFocalLoss extends AbstractFocalLoss {

    private static final long serialVersionUID = 1L;

    private final ExecutionPath path;

    FusedFocalLoss(INDArray weights, double labelSmoothing, double clipEpsilon, ExecutionPath path) {
        super(weights, labelSmoothing, clipEpsilon);
        this.path = ExecutionPath.check(path);
    }

    /** Whether this loss's kernel computes a call with these logits and this mask; the default: always. */
    boolean kernelTakes(INDArray x, INDArray mask) {
        return true;
    }

    /** This loss's fused kernel, for a call {@link #fusedLogitPass} gave it; the arguments are as there. */
    abstract FusedOutput kernel(INDArray x, INDArray rawY, INDArray mask, INDArray weights, boolean wantGradient);

    @Override
    final FusedOutput fusedLogitPass(INDArray x, INDArray rawY, INDArray mask, INDArray weights, boolean wantGradient) {
        if (path == ExecutionPath.OPS || !kernelTakes(x, mask) || FusedEligibility.whyNot(x, rawY, mask) != null) {
            return null;
        }
        return kernel(x, rawY, mask, weights, wantGradient);
    }

    /** {@link ExecutionPath#AUTO} (default) or {@link ExecutionPath#OPS}. */
    @JsonProperty("path")
    public ExecutionPath getPath() {
        return path;
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        checkDeserialised(() -> ExecutionPath.check(path));
    }

    /** The shared settings and the path into a builder. */
    <B extends FusedBuilder<?, B>> B withFusedSettings(B builder) {
        return withSharedSettings(builder).path(path);
    }

    @Override
    protected String commonToString() {
        return super.commonToString() + (path == ExecutionPath.AUTO ? "" : ", path=" + path);
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && path == ((FusedFocalLoss) o).path;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), path.name());                 // name: the same in every JVM
    }

    /**
     * The builder of a loss with a fused kernel: the shared settings and the execution path.
     *
     * @param <L> the loss built
     * @param <B> the concrete builder (for chaining)
     */
    public abstract static class FusedBuilder<L extends FusedFocalLoss, B extends FusedBuilder<L, B>>
            extends BaseBuilder<L, B> {
        protected ExecutionPath path = ExecutionPath.AUTO;

        FusedBuilder() {
        }

        /** {@link ExecutionPath#AUTO} (default: the fused CPU kernel where it applies) or {@link ExecutionPath#OPS}. */
        public B path(ExecutionPath path) {
            this.path = ExecutionPath.check(path);
            return self();
        }
    }
}
