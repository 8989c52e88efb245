package org.focaldl4j.spark;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Shared training of the tiny RetinaNet across the 2 executor JVMs: a command to run, not part of the build, because
 * it does not train reliably (held-out loss 2.02, 1.31 and 2.21 in three runs, against 0.58 on one machine and 2.16
 * untrained, with α 0.25 and γ 2) and a shared-training job needs an application of its own (2 more minutes):
 * {@code mvn -pl spark test -Dtest=SharedTrainingDetectorExperiment -Dfocal.spark.experiments=true}. It checks
 * that the job runs (no failed task, both executors, the executors' loss equal to the driver's, the class layer
 * intact) and prints the losses; it asserts nothing about how well the detector trained.
 */
@EnabledIfSystemProperty(named = "focal.spark.experiments", matches = "true")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SharedTrainingDetectorExperiment extends ClusterTestBase {

    @Test
    void tinyRetinaNet() {
        double[] loss = detectorOnCluster(sharing(8), "shared training");
        System.out.printf(Locale.ROOT, "RetinaNet, shared training: cluster ÷ one machine %.3f, ÷ untrained %.3f%n",
                loss[2] / loss[1], loss[2] / loss[0]);
    }
}
