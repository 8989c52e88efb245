package org.focaldl4j.loss;

/**
 * Which implementation of a loss's logit path a loss instance may use; set per instance with the
 * builder ({@code LossFocal.builder().path(ExecutionPath.OPS)}) and serialised with the loss.
 * <ul>
 *   <li>{@link #AUTO} (default): the fused CPU kernel where the loss has one and it can take the arrays
 *       (CPU backend, FLOAT or DOUBLE, contiguous 'c' order); the op path otherwise.</li>
 *   <li>{@link #OPS}: always the backend-neutral ND4J op path (what the CUDA backend runs).</li>
 * </ul>
 * Both give the same results to rounding (1e-9 relative in DOUBLE). {@link LossFocal},
 * {@link LossFocalStar} and {@link LossCategoricalFocal} have fused kernels; the SameDiff loss always runs
 * its graph.
 */
public enum ExecutionPath {
    /** The fused CPU kernel where it applies, else ND4J ops. */
    AUTO,
    /** Backend-neutral ND4J ops only. */
    OPS;

    /** {@code path} itself, refusing null. */
    static ExecutionPath check(ExecutionPath path) {
        if (path == null) {
            throw new IllegalArgumentException("path must be ExecutionPath.AUTO or ExecutionPath.OPS; got null");
        }
        return path;
    }

    /** A path read from JSON: absent (null) is the default {@link #AUTO}; a name that is neither is refused. */
    static ExecutionPath fromJson(String name) {
        if (name == null) {
            return AUTO;
        }
        for (ExecutionPath p : values()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("path must be \"AUTO\" or \"OPS\"; got \"" + name + "\"");
    }

    /**
     * A one-line description of the fused CPU kernel this JVM runs (Vector API or scalar, and why), for
     * logs and benchmark reports. The same line is logged once at INFO when the kernel is first used.
     */
    public static String describeFusedKernel() {
        return KernelChoice.describe();
    }
}
