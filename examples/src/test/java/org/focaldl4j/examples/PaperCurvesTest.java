package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The plotted curves (computed through the library) against the paper's closed forms: eqs. 4, 8, 9, 10, 11. */
class PaperCurvesTest {

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-10 * Math.max(1, Math.abs(expected)), what);
    }

    @Test
    void figure1IsEquation4() {
        double[] pt = PaperCurves.grid(0.001, 0.999, 37);
        double[][] curves = PaperCurves.figure1(pt);
        for (int k = 0; k < PaperCurves.FIGURE1_GAMMAS.length; k++) {
            double gamma = PaperCurves.FIGURE1_GAMMAS[k];
            for (int i = 0; i < pt.length; i++) {
                close(-Math.pow(1 - pt[i], gamma) * Math.log(pt[i]), curves[k][i], "FL γ=" + gamma + " p_t=" + pt[i]);
            }
        }
    }

    @Test
    void figures5And6AreEquations8To11() {
        double[] xt = PaperCurves.grid(-10, 10, 81);
        double[][][] f = PaperCurves.figures5and6(xt);
        for (int i = 0; i < xt.length; i++) {
            double p = sigmoid(xt[i]);
            // CE: −log p_t and eq. 9, y(p_t − 1) with y = 1
            close(-Math.log(p), f[0][0][i], "CE at " + xt[i]);
            close(p - 1, f[1][0][i], "eq. 9 at " + xt[i]);
            // FL γ=2: −(1−p_t)² log p_t and eq. 10
            close(-Math.pow(1 - p, 2) * Math.log(p), f[0][1][i], "FL at " + xt[i]);
            close(Math.pow(1 - p, 2) * (2 * p * Math.log(p) + p - 1), f[1][1][i], "eq. 10 at " + xt[i]);
            // FL*: −log σ(γ x_t + β)/γ (eq. 8) and eq. 11, p*_t − 1
            double[][] star = {{2, 1}, {4, 0}};
            for (int k = 0; k < 2; k++) {
                double ps = sigmoid(star[k][0] * xt[i] + star[k][1]);
                close(-Math.log(ps) / star[k][0], f[0][2 + k][i], "eq. 8 at " + xt[i]);
                close(ps - 1, f[1][2 + k][i], "eq. 11 at " + xt[i]);
            }
        }
    }

    @Test
    void theDerivativeOfFlDipsBelowMinusOne() {
        // Appendix B: eq. 10 is not bounded by −1; for γ = 2 its minimum is ≈ −1.129 near x_t ≈ −2.79.
        double[] xt = PaperCurves.grid(-10, 10, 2001);
        double[] d = PaperCurves.figures5and6(xt)[1][1];
        int arg = 0;
        for (int i = 1; i < d.length; i++) {
            if (d[i] < d[arg]) {
                arg = i;
            }
        }
        assertEquals(-1.129, d[arg], 5e-4);
        assertEquals(-2.79, xt[arg], 0.01);
    }
}
