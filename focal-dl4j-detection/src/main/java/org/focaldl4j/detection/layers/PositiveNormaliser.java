package org.focaldl4j.detection.layers;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * What an anchor loss layer divides its summed loss by (paper §4.1: the number of anchors assigned to a
 * ground-truth box), with P the positive anchors of the minibatch:
 * <ul>
 *   <li>{@link #perBatch()}: n = max(1, P);</li>
 *   <li>{@link #movingAverage(double, double)}: n ← μ·n + (1 − μ)·max(1, P) at every training step,
 *       starting from n₀ (detectron2: μ = 0.9, n₀ = 100), which smooths the noisy count of small
 *       minibatches. The running n is a parameter of the layer (one value, never regularised, updated
 *       by assignment), so {@code ModelSerializer} saves and restores it with the network.</li>
 * </ul>
 * The classification and box-regression layers of one head see the same P and, configured alike, hold
 * the same n. Immutable; serialised with the layer's JSON.
 */
public final class PositiveNormaliser implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The name of the running n in a layer's parameter table. */
    public static final String PARAMETER = "normaliser";

    /** detectron2's momentum. */
    public static final double DEFAULT_MOMENTUM = 0.9;
    /** detectron2's starting value. */
    public static final double DEFAULT_INITIAL = 100;

    private final boolean movingAverage;
    private final double momentum;
    private final double initial;

    private PositiveNormaliser(boolean movingAverage, double momentum, double initial) {
        if (movingAverage) {
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("the moving average's momentum must be in [0, 1); got " + momentum);
            }
            if (!(initial >= 1) || Double.isInfinite(initial)) {
                throw new IllegalArgumentException("the moving average's initial value must be finite and >= 1; got "
                        + initial);
            }
        } else if (momentum != 0 || initial != 0) {
            throw new IllegalArgumentException("a per-batch normaliser has no momentum or initial value; got momentum "
                    + momentum + ", initial " + initial);
        }
        this.movingAverage = movingAverage;
        this.momentum = momentum;
        this.initial = initial;
    }

    /** From JSON: all three properties are required (a missing one is refused, not defaulted). */
    @JsonCreator
    static PositiveNormaliser fromJson(@JsonProperty("movingAverage") Boolean movingAverage,
                                       @JsonProperty("momentum") Double momentum,
                                       @JsonProperty("initial") Double initial) {
        if (movingAverage == null || momentum == null || initial == null) {
            throw new IllegalArgumentException("a PositiveNormaliser in JSON needs movingAverage, momentum and initial; "
                    + "got movingAverage " + movingAverage + ", momentum " + momentum + ", initial " + initial);
        }
        return new PositiveNormaliser(movingAverage, momentum, initial);
    }

    /** Java deserialisation validates like the constructor. */
    private Object readResolve() throws ObjectStreamException {
        try {
            return new PositiveNormaliser(movingAverage, momentum, initial);
        } catch (IllegalArgumentException e) {
            throw (InvalidObjectException) new InvalidObjectException(e.getMessage()).initCause(e);
        }
    }

    /** n = max(1, P) of each minibatch. */
    public static PositiveNormaliser perBatch() {
        return new PositiveNormaliser(false, 0, 0);
    }

    /** n ← μ·n + (1 − μ)·max(1, P), from n₀ = {@code initial}; μ ∈ [0, 1), n₀ ≥ 1. */
    public static PositiveNormaliser movingAverage(double momentum, double initial) {
        return new PositiveNormaliser(true, momentum, initial);
    }

    /** detectron2's moving average: μ = 0.9, n₀ = 100. */
    public static PositiveNormaliser movingAverage() {
        return movingAverage(DEFAULT_MOMENTUM, DEFAULT_INITIAL);
    }

    @JsonProperty("movingAverage")
    public boolean isMovingAverage() {
        return movingAverage;
    }

    @JsonProperty("momentum")
    public double getMomentum() {
        return momentum;
    }

    @JsonProperty("initial")
    public double getInitial() {
        return initial;
    }

    /** The normaliser of a step with {@code positives} positive anchors, given the running value {@code stored}. */
    double next(double stored, double positives) {
        double p = Math.max(1.0, positives);
        return movingAverage ? momentum * stored + (1 - momentum) * p : p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PositiveNormaliser n && movingAverage == n.movingAverage
                && Double.compare(momentum, n.momentum) == 0 && Double.compare(initial, n.initial) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(movingAverage, momentum, initial);
    }

    @Override
    public String toString() {
        return movingAverage ? "movingAverage(momentum=" + momentum + ", initial=" + initial + ")" : "perBatch";
    }
}
