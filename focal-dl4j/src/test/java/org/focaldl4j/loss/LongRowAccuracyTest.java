package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The FLOAT tolerance of docs/reliability.md (2e-4 relative) holds for one very long row: the fused kernel's FLOAT
 * lane sums are moved to a DOUBLE row sum every 256 vectors (before: the whole row summed in FLOAT lanes, 3.5e-4 for
 * 10M elements). The reference is {@link SigmoidFocalElement} in DOUBLE at the same (FLOAT-rounded) inputs.
 */
class LongRowAccuracyTest {

    @Test
    void oneRowOfTenMillionFloatsIsWithinTheDocumentedTolerance() {
        int n = 10_000_000;
        float[] x = new float[n];
        float[] y = new float[n];
        long state = 12345;
        double reference = 0;
        for (int i = 0; i < n; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;          // a fixed LCG: no global RNG
            x[i] = (float) (((state >>> 11) * 0x1.0p-53) * 12 - 6);
            y[i] = (i % 97 == 0) ? 1f : 0f;
            reference += SigmoidFocalElement.lossAndGradient(x[i], y[i], 0.25, 2, null);
        }
        INDArray logits = Nd4j.create(x, new long[] {1, n}, 'c');
        INDArray labels = Nd4j.create(y, new long[] {1, n}, 'c');
        double fused = new LossFocal().computeScore(labels, logits, new ActivationSigmoid(), null, false);
        double relative = Math.abs(fused - reference) / reference;
        assertTrue(relative <= 2e-4, "relative error " + relative + " (fused " + fused + ", reference " + reference + ")");
        assertTrue(DataType.FLOAT == logits.dataType());
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            // the vector kernel (whose FLOAT lane sums this bounds) ran; without the module it is the scalar kernel
            assertTrue(KernelChoice.vectorized(), KernelChoice.describe());
        }
    }
}
