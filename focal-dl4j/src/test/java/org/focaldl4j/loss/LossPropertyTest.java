package org.focaldl4j.loss;

import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Property-based tests (jqwik): random shapes, logits (including ±1e4 and 0), labels, γ ∈ [0, 6], α,
 * weights and masks, in HALF, FLOAT and DOUBLE, on the fused and the op path. Every result must be
 * finite and equal a plain scalar double-precision reference (written here from the formulas, not from
 * the library) within the dtype's tolerance: per-row scores, the score, the gradient and the one-pass call.
 *
 * <p>Each property runs {@code jqwik.tries.default} cases (25,000 by default, so 100,000 in a run);
 * {@code mvn -pl focal-dl4j test -Dtest=LossPropertyTest -Dfuzz.tries=250000} runs a million.
 */
class LossPropertyTest {

    /**
     * The smallest magnitude that rounds to infinity in HALF (round to nearest even): halfway between
     * the largest finite value 65,504 and the next step 65,536.
     */
    private static final double HALF_OVERFLOW = 65520;

    @Provide
    Arbitrary<DataType> dtypes() {
        return Arbitraries.of(DataType.HALF, DataType.FLOAT, DataType.DOUBLE);
    }

    @Provide
    Arbitrary<Double> alphas() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.just(-1.0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(0.0, 1.0)),
                net.jqwik.api.Tuple.of(4, Arbitraries.doubles().between(0, 1)));
    }

    @Provide
    Arbitrary<Double> gammas() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.of(0.0, 0.5, 1.0, 2.0, 5.0)),
                net.jqwik.api.Tuple.of(3, Arbitraries.doubles().between(0, 6)));
    }

    // ------------------------------------------------------------------------------------------
    // Properties
    // ------------------------------------------------------------------------------------------

    @Property
    void sigmoidFocalMatchesTheScalarReference(@ForAll @IntRange(min = 1, max = 7) int rows,
                                               @ForAll @IntRange(min = 1, max = 19) int cols,
                                               @ForAll("alphas") double alpha, @ForAll("gammas") double gamma,
                                               @ForAll("dtypes") DataType dtype, @ForAll boolean opPath,
                                               @ForAll @IntRange(min = 0, max = 2) int maskKind,
                                               @ForAll boolean weighted, @ForAll boolean softLabels, @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, rows, cols, dtype, maskKind, weighted, softLabels, false);
        LossFocal loss = LossFocal.builder().alpha(alpha).gamma(gamma).weights(c.weightsArray())
                .path(opPath ? ExecutionPath.OPS : ExecutionPath.AUTO).build();
        check(loss, new ActivationSigmoid(), c, (x, y, w) -> sigmoidFocal(x, y, w, alpha, gamma));
    }

    @Property
    void focalStarMatchesTheScalarReference(@ForAll @IntRange(min = 1, max = 7) int rows,
                                            @ForAll @IntRange(min = 1, max = 19) int cols,
                                            @ForAll("alphas") double alpha,
                                            @ForAll @DoubleRange(min = 0.1, max = 6) double gamma,
                                            @ForAll @DoubleRange(min = -3, max = 3) double beta,
                                            @ForAll("dtypes") DataType dtype, @ForAll @IntRange(min = 0, max = 2) int maskKind,
                                            @ForAll boolean weighted, @ForAll boolean softLabels, @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, rows, cols, dtype, maskKind, weighted, softLabels, false);
        LossFocalStar loss = LossFocalStar.builder().alpha(alpha).gamma(gamma).beta(beta).weights(c.weightsArray()).build();
        check(loss, new ActivationSigmoid(), c, (x, y, w) -> focalStar(x, y, w, alpha, gamma, beta));
    }

    @Property
    void categoricalFocalMatchesTheScalarReference(@ForAll @IntRange(min = 1, max = 7) int rows,
                                                   @ForAll @IntRange(min = 1, max = 13) int cols,
                                                   @ForAll("gammas") double gamma, @ForAll boolean classAlpha,
                                                   @ForAll("dtypes") DataType dtype,
                                                   @ForAll @IntRange(min = 0, max = 1) int maskKind,
                                                   @ForAll boolean weighted, @ForAll boolean softLabels,
                                                   @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, rows, cols, dtype, maskKind, weighted, softLabels, true);
        double[] alpha = null;
        if (classAlpha) {
            alpha = new double[cols];
            for (int j = 0; j < cols; j++) {
                alpha[j] = 2 * r.nextDouble();
            }
        }
        double[] a = alpha;
        LossCategoricalFocal loss = LossCategoricalFocal.builder().alpha(alpha).gamma(gamma).weights(c.weightsArray())
                .build();
        check(loss, new ActivationSoftmax(), c, (x, y, w) -> categoricalFocal(x, y, w, a, gamma));
    }

    @Property
    void fusedAndOpPathAgreeOnLargeRows(@ForAll @IntRange(min = 1, max = 3) int rows,
                                        @ForAll @IntRange(min = 20, max = 70) int cols,
                                        @ForAll("alphas") double alpha, @ForAll("gammas") double gamma,
                                        @ForAll("dtypes") DataType dtype, @ForAll @IntRange(min = 0, max = 2) int maskKind,
                                        @ForAll boolean weighted, @ForAll long seed) {
        Random r = new Random(seed);
        Case c = new Case(r, rows, cols, dtype, maskKind, weighted, false, false);
        LossFocal loss = LossFocal.builder().alpha(alpha).gamma(gamma).weights(c.weightsArray())
                .path(r.nextBoolean() ? ExecutionPath.OPS : ExecutionPath.AUTO).build();
        check(loss, new ActivationSigmoid(), c, (x, y, w) -> sigmoidFocal(x, y, w, alpha, gamma));
    }

    // ------------------------------------------------------------------------------------------
    // One generated case
    // ------------------------------------------------------------------------------------------

    /** Logits, labels, weights and mask of one case, as doubles (already rounded to the case's dtype). */
    static final class Case {
        final int rows;
        final int cols;
        final DataType dtype;
        final double[][] x;
        final double[][] y;
        final double[] w;
        final double[][] m;           // per entry (a per-example mask is repeated across the row)
        final int maskKind;           // 0 none, 1 per example [rows, 1], 2 per output

        Case(Random r, int rows, int cols, DataType dtype, int maskKind, boolean weighted, boolean soft,
             boolean categorical) {
            this.rows = rows;
            this.cols = cols;
            this.dtype = dtype;
            this.maskKind = maskKind;
            x = new double[rows][cols];
            y = new double[rows][cols];
            m = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    x[i][j] = logit(r);
                }
                if (categorical) {
                    if (soft && dtype != DataType.HALF) {       // HALF cannot hold rows that sum to 1 ± 1e-3
                        double sum = 0;
                        for (int j = 0; j < cols; j++) {
                            y[i][j] = r.nextDouble();
                            sum += y[i][j];
                        }
                        for (int j = 0; j < cols; j++) {
                            y[i][j] = y[i][j] / sum;
                        }
                    } else {
                        y[i][r.nextInt(cols)] = 1;
                    }
                } else {
                    for (int j = 0; j < cols; j++) {
                        y[i][j] = soft ? r.nextDouble() : (r.nextInt(4) == 0 ? 1 : 0);
                    }
                }
                double rowMask = r.nextInt(3) == 0 ? 0 : 1;
                for (int j = 0; j < cols; j++) {
                    m[i][j] = maskKind == 0 ? 1 : maskKind == 1 ? rowMask : (r.nextInt(3) == 0 ? 0 : 1);
                }
            }
            if (weighted) {
                w = new double[cols];
                for (int j = 0; j < cols; j++) {
                    w[j] = 0.1 + 2 * r.nextDouble();
                }
            } else {
                w = null;
            }
            roundInPlace(x, dtype);                 // the reference sees exactly what the library sees
            roundInPlace(y, dtype);
            if (w != null) {
                double[][] w2 = {w};
                roundInPlace(w2, dtype);
            }
        }

        private static double logit(Random r) {
            switch (r.nextInt(10)) {
                case 0:
                    return 1e4;
                case 1:
                    return -1e4;
                case 2:
                    return 0;
                case 3:
                    return 60 * r.nextDouble() - 30;
                default:
                    return 12 * r.nextDouble() - 6;
            }
        }

        INDArray weightsArray() {
            return w == null ? null : Nd4j.createFromArray(w).castTo(dtype);
        }

        INDArray labels() {
            return Nd4j.createFromArray(y).castTo(dtype);
        }

        INDArray logits() {
            return Nd4j.createFromArray(x).castTo(dtype);
        }

        INDArray mask() {
            if (maskKind == 0) {
                return null;
            }
            if (maskKind == 1) {
                double[][] col = new double[rows][1];
                for (int i = 0; i < rows; i++) {
                    col[i][0] = m[i][0];
                }
                return Nd4j.createFromArray(col).castTo(dtype);
            }
            return Nd4j.createFromArray(m).castTo(dtype);
        }
    }

    /** Rounds every value to {@code dtype} and back, in one cast each way. */
    static void roundInPlace(double[][] values, DataType dtype) {
        if (dtype == DataType.DOUBLE) {
            return;
        }
        double[][] rounded = Nd4j.createFromArray(values).castTo(dtype).castTo(DataType.DOUBLE).toDoubleMatrix();
        for (int i = 0; i < values.length; i++) {
            System.arraycopy(rounded[i], 0, values[i], 0, values[i].length);
        }
    }

    /** A scalar reference: (per-entry loss terms, per-entry dℓ/dx) of one row with class weights w, before the mask. */
    interface RowReference {
        double[][] apply(double[] x, double[] y, double[] w);
    }

    // ------------------------------------------------------------------------------------------
    // The check
    // ------------------------------------------------------------------------------------------

    private static void check(AbstractFocalLoss loss, IActivation act, Case c, RowReference reference) {
        double[] refRows = new double[c.rows];
        double[][] refGrad = new double[c.rows][c.cols];
        double[] magnitude = new double[c.rows];
        double gradScale = 0;
        double[] ones = new double[c.cols];
        java.util.Arrays.fill(ones, 1.0);
        for (int i = 0; i < c.rows; i++) {
            double[][] lg = reference.apply(c.x[i], c.y[i], c.w == null ? ones : c.w);
            for (int j = 0; j < c.cols; j++) {
                double mij = c.m[i][j];
                refRows[i] += mij * lg[0][j];
                magnitude[i] += Math.abs(mij * lg[0][j]);
                refGrad[i][j] = mij * lg[1][j];
                gradScale = Math.max(gradScale, Math.abs(refGrad[i][j]));
            }
        }
        double rtol = c.dtype == DataType.DOUBLE ? 1e-9 : c.dtype == DataType.FLOAT ? 2e-4 : 1.5e-2;
        double atol = c.dtype == DataType.DOUBLE ? 1e-12 : c.dtype == DataType.FLOAT ? 2e-5 : 4e-3;

        INDArray labels = c.labels();
        INDArray logits = c.logits();
        INDArray mask = c.mask();
        double[] rows = loss.computeScoreArray(labels, logits, act, mask).castTo(DataType.DOUBLE)
                .reshape(c.rows).toDoubleVector();
        double[][] grad = loss.computeGradient(labels, logits, act, mask).castTo(DataType.DOUBLE).toDoubleMatrix();
        Pair<Double, INDArray> both = loss.computeGradientAndScore(labels, logits, act, mask, false);
        double[][] bothGrad = both.getSecond().castTo(DataType.DOUBLE).toDoubleMatrix();
        double score = loss.computeScore(labels, logits, act, mask, false);
        double refScore = 0;
        double totalMagnitude = 0;
        for (int i = 0; i < c.rows; i++) {
            refScore += refRows[i];
            totalMagnitude += magnitude[i];
            // row scores: relative to the row's total magnitude (scores are sums of non-negative terms,
            // except FL's soft-label terms, which are still ≥ 0)
            double rowTolerance = rtol * Math.max(magnitude[i], 1) + atol;
            boolean halfOverflow = c.dtype == DataType.HALF && Math.abs(refRows[i]) - rowTolerance >= HALF_OVERFLOW;
            boolean halfBoundary = c.dtype == DataType.HALF && !halfOverflow
                    && Math.abs(refRows[i]) + rowTolerance >= HALF_OVERFLOW;
            boolean infinite = rows[i] == Math.copySign(Double.POSITIVE_INFINITY, refRows[i]);
            if (halfOverflow) {
                // The row's loss is not representable in HALF even allowing for the summation's rounding:
                // the [rows, 1] array saturates to infinity (IEEE overflow), while the double score,
                // summed in FLOAT, stays finite.
                if (!infinite) {
                    throw new AssertionError("row " + i + ": expected HALF overflow to infinity for "
                            + refRows[i] + " ± " + rowTolerance + ", got " + rows[i]);
                }
            } else if (!(halfBoundary && infinite)) {
                // Within the rounding tolerance of HALF's overflow threshold either outcome is right:
                // a finite value near the reference, or infinity.
                near("row " + i, refRows[i], rows[i], rowTolerance, c);
            }
            for (int j = 0; j < c.cols; j++) {
                near("gradient [" + i + ", " + j + "]", refGrad[i][j], grad[i][j],
                        rtol * Math.max(Math.abs(refGrad[i][j]), gradScale * 1e-3) + atol, c);
                near("one-pass gradient [" + i + ", " + j + "]", refGrad[i][j], bothGrad[i][j],
                        rtol * Math.max(Math.abs(refGrad[i][j]), gradScale * 1e-3) + atol, c);
            }
        }
        near("score", refScore, score, rtol * Math.max(totalMagnitude, 1) + atol * c.rows, c);
        near("one-pass score", refScore, both.getFirst(), rtol * Math.max(totalMagnitude, 1) + atol * c.rows, c);
    }

    private static void near(String what, double expected, double actual, double tolerance, Case c) {
        if (!Double.isFinite(actual) || Math.abs(expected - actual) > tolerance) {
            throw new AssertionError(what + ": expected " + expected + " ± " + tolerance + ", got " + actual + " ("
                    + c.dtype + ", " + c.rows + "×" + c.cols + ", mask kind " + c.maskKind + ", weights "
                    + (c.w != null) + ")");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Scalar references, in double, from the formulas
    // ------------------------------------------------------------------------------------------

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** torchvision's sigmoid_focal_loss per entry, and its derivative in x. */
    static double[][] sigmoidFocal(double[] x, double[] y, double[] w, double alpha, double gamma) {
        double[][] out = new double[2][x.length];
        for (int j = 0; j < x.length; j++) {
            double p = sigmoid(x[j]);
            double pm = sigmoid(-x[j]);                                  // 1 − p without cancellation
            double ce = softplus(x[j]) - x[j] * y[j];                    // BCE with logits
            double q = p * (1 - y[j]) + pm * y[j];                       // 1 − p_t
            double at = alpha < 0 ? 1 : alpha * y[j] + (1 - alpha) * (1 - y[j]);
            double mod = gamma == 0 ? 1 : Math.pow(q, gamma);
            double dq = p * pm * (1 - 2 * y[j]);                         // d(1 − p_t)/dx
            double dmod = gamma == 0 || q == 0 ? 0 : gamma * (ce * Math.pow(q, gamma - 1)) * dq;
            out[0][j] = w[j] * at * mod * ce;
            out[1][j] = w[j] * at * ((p - y[j]) * mod + dmod);
        }
        return out;
    }

    /** FL* = α_t·(−log σ(γ·x_t + β))/γ with x_t = x(2y − 1), and its derivative. */
    static double[][] focalStar(double[] x, double[] y, double[] w, double alpha, double gamma, double beta) {
        double[][] out = new double[2][x.length];
        for (int j = 0; j < x.length; j++) {
            double sign = 2 * y[j] - 1;
            double u = gamma * x[j] * sign + beta;
            double at = alpha < 0 ? 1 : alpha * y[j] + (1 - alpha) * (1 - y[j]);
            out[0][j] = w[j] * at * softplus(-u) / gamma;
            out[1][j] = -w[j] * at * sigmoid(-u) * sign;
        }
        return out;
    }

    /** ℓ = −Σ_c w_c·α_c·y_c·(1 − p_c)^γ·log p_c over a softmax row (its terms per class), and dℓ/dx. */
    static double[][] categoricalFocal(double[] x, double[] y, double[] w, double[] alpha, double gamma) {
        int n = x.length;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        double logSum = Math.log(sum);
        double[] logp = new double[n];
        double[] p = new double[n];
        for (int c = 0; c < n; c++) {
            logp[c] = x[c] - max - logSum;
            p[c] = Math.exp(logp[c]);
        }
        double[] g = new double[n];
        double[] terms = new double[n];
        double gsum = 0;
        for (int c = 0; c < n; c++) {
            double q = 0;                                                // 1 − p_c as the sum of the others
            for (int k = 0; k < n; k++) {
                if (k != c) {
                    q += p[k];
                }
            }
            double a = (alpha == null ? 1 : alpha[c]) * y[c] * w[c];
            double mod = gamma == 0 ? 1 : Math.pow(q, gamma);
            double r = q == 0 ? 1 : p[c] * (-logp[c]) / q;
            terms[c] = a * mod * (-logp[c]);
            g[c] = -a * mod * (1 + gamma * r);
            gsum += g[c];
        }
        double[][] out = new double[2][n];
        out[0] = terms;
        for (int c = 0; c < n; c++) {
            out[1][c] = g[c] - p[c] * gsum;
        }
        return out;
    }
}
