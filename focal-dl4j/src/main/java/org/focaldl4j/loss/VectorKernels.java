package org.focaldl4j.loss;

import java.nio.FloatBuffer;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API (jdk.incubator.vector) kernels for FLOAT data. Only loaded when {@link FusedPath}
 * found the module in the boot layer; the arithmetic is that of {@link FusedSigmoidFocal#scalarElement},
 * {@code SPECIES_PREFERRED} lanes at a time, with the row tail done by the scalar routine.
 */
final class VectorKernels {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    static String speciesName() {
        return S.length() + " × float";
    }

    /** Evaluates one lane-full of the kernel on known values and checks it against the scalar routine. */
    static boolean selfTest() {
        FloatVector v = FloatVector.broadcast(S, -2f).lanewise(VectorOperators.EXP);
        return Math.abs(v.lane(0) - Math.exp(-2)) < 1e-6;
    }

    /** {@link FusedSigmoidFocal} over rows [r0, r1). */
    static void sigmoidFocal(FusedSigmoidFocal.Job j, int r0, int r1, int chunk) {
        final int cols = j.cols;
        final int bound = S.loopBound(cols);
        final float gamma = (float) j.gamma;
        final boolean alphaOn = j.alpha >= 0;
        final float alphaSlope = (float) (2 * j.alpha - 1);
        final float alphaBase = (float) (1 - j.alpha);
        final float keep = (float) (1 - j.smoothing);
        final float shift = (float) (j.smoothing / 2);
        final FloatVector one = FloatVector.broadcast(S, 1f);
        final FloatVector tiny = FloatVector.broadcast(S, Float.MIN_NORMAL);
        final boolean multiplied = j.rowMask != null || j.outputMask != null || j.weightsF != null;
        // Rows are staged through small heap arrays: bulk FloatBuffer get/put are memcpy intrinsics, and
        // array loads vectorise better than JDK 17's ByteBuffer loads.
        final FloatBuffer xb = j.x.asFloatBuffer();
        final FloatBuffer yb = j.y.asFloatBuffer();
        final FloatBuffer mb = j.outputMask == null ? null : j.outputMask.asFloatBuffer();
        final FloatBuffer gb = j.grad == null ? null : j.grad.asFloatBuffer();
        final float[] xs = new float[cols];
        final float[] ys = new float[cols];
        final float[] ms = mb == null ? null : new float[cols];
        final float[] gs = gb == null ? null : new float[cols];

        for (int r = r0; r < r1; r++) {
            float rowMask = j.rowMask == null ? 1f : (float) j.rowMask[r];
            xb.get(j.xOff + r * cols, xs);
            yb.get(j.yOff + r * cols, ys);
            if (ms != null) {
                mb.get(j.maskOff + r * cols, ms);
            }
            FloatVector rowMult = FloatVector.broadcast(S, rowMask);
            FloatVector acc = FloatVector.zero(S);
            FloatVector lowest = FloatVector.zero(S);
            FloatVector highest = FloatVector.zero(S);
            int c = 0;
            for (; c < bound; c += S.length()) {
                int e = r * cols + c;
                FloatVector x = FloatVector.fromArray(S, xs, c);
                FloatVector yRaw = FloatVector.fromArray(S, ys, c);

                FloatVector mult = rowMult;
                if (ms != null) {
                    mult = mult.mul(FloatVector.fromArray(S, ms, c));
                }
                lowest = lowest.min(yRaw);                                          // NaN propagates
                highest = highest.max(yRaw);
                if (j.countPositives) {
                    j.positives[chunk] += yRaw.compare(VectorOperators.GE, 0.5f)
                            .and(mult.compare(VectorOperators.NE, 0f)).trueCount();
                }
                if (j.weightsF != null) {
                    mult = mult.mul(FloatVector.fromArray(S, j.weightsF, c));
                }
                FloatVector y = j.smoothing > 0 ? yRaw.mul(keep).add(shift) : yRaw;

                FloatVector ex = x.abs().neg().lanewise(VectorOperators.EXP);      // e^−|x|
                FloatVector s = one.div(one.add(ex));                               // σ(|x|)
                FloatVector es = ex.mul(s);                                         // σ(−|x|)
                VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
                FloatVector p = es.blend(s, nonNegative);                           // σ(x)
                FloatVector pm = s.blend(es, nonNegative);                          // σ(−x)
                FloatVector oneMinusY = one.sub(y);
                FloatVector bce = x.max(0f).sub(x.mul(y)).add(ex.lanewise(VectorOperators.LOG1P));
                FloatVector q = y.mul(pm).add(oneMinusY.mul(p));

                FloatVector scale;                                                  // w·m·α_t·q^γ
                if (gamma == 0f) {
                    scale = one;
                } else if (gamma == 1f) {
                    scale = q;
                } else if (gamma == 2f) {
                    scale = q.mul(q);
                } else {
                    // q^γ = exp(γ·log q); JDK 17 has no vector stub for POW (it runs lane by lane, ~30× slower)
                    scale = q.lanewise(VectorOperators.LOG).mul(gamma).lanewise(VectorOperators.EXP);
                }
                if (alphaOn) {
                    scale = scale.mul(y.fma(alphaSlope, alphaBase));
                }
                if (multiplied) {
                    scale = scale.mul(mult);
                }
                acc = acc.add(scale.mul(bce));

                if (j.grad != null) {
                    FloatVector g = p.mul(oneMinusY).sub(y.mul(pm));
                    if (gamma != 0f) {
                        FloatVector ratio = p.mul(pm).div(q.max(tiny));              // p(1−p)/q
                        g = g.add(ratio.mul(bce).mul(one.sub(y.add(y))).mul(gamma));
                    }
                    g.mul(scale).intoArray(gs, c);
                }
            }
            float lo = lowest.reduceLanes(VectorOperators.MIN);
            float hi = highest.reduceLanes(VectorOperators.MAX);
            if (!(lo >= 0f && hi <= 1f)) {                                          // rare: find the culprit
                for (int k = 0; k < bound; k++) {
                    if (!(ys[k] >= 0f && ys[k] <= 1f)) {
                        j.recordBad(chunk, (long) r * cols + k);
                        break;
                    }
                }
            }
            if (gs != null && bound > 0) {
                gb.put(r * cols, gs, 0, bound);
            }
            double sum = acc.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                sum += FusedSigmoidFocal.scalarElement(j, r, c, chunk);     // writes its own gradient
            }
            j.rowLoss[r] = sum;
        }
    }
}
