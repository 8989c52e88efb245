package org.focaldl4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FocalInitTest {

    @Test
    void priorBiasGivesTheRequestedInitialProbability() {
        assertEquals(-4.59511985013459, FocalInit.priorBias(0.01), 1e-12);   // −log(99)
        assertEquals(0.0, FocalInit.priorBias(0.5), 0.0);
        for (double pi : new double[] {1e-6, 0.01, 0.3, 0.9}) {
            assertEquals(pi, 1 / (1 + Math.exp(-FocalInit.priorBias(pi))), 1e-15);   // σ(b) = π
        }
    }

    @Test
    void rejectsPriorsOutsideTheOpenUnitInterval() {
        for (double bad : new double[] {0.0, 1.0, -0.1, Double.NaN}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FocalInit.priorBias(bad));
            assertEquals("prior probability must be in (0, 1); got " + bad, e.getMessage());
        }
    }
}
