package org.focaldl4j.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The report's statistics: mean, sample standard deviation (n − 1) and range. */
class RetinaNetReportTest {

    @Test
    void summaryIsMeanSampleDeviationAndRange() {
        double[] s = RetinaNetReport.summary(new double[] {0.2, 0.4, 0.9});
        assertEquals(0.5, s[0], 1e-12);
        assertEquals(Math.sqrt((0.09 + 0.01 + 0.16) / 2), s[1], 1e-12);      // n − 1 in the denominator
        assertEquals(0.2, s[2], 0);
        assertEquals(0.9, s[3], 0);
        assertEquals(0.0, RetinaNetReport.summary(new double[] {0.7})[1], 0);
    }
}
