package org.focaldl4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The guard is active and fails a test that leaves a global changed, naming it. */
class GlobalStateGuardTest {

    /** Run only through the engine below (surefire does not pick nested classes). */
    static class LeavesDefaultsChanged {
        @Test
        void setsDoubleDefaults() {
            Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        }
    }

    /** Run only through the engine below. */
    static class LeavesAPropertySet {
        @Test
        void setsAProperty() {
            System.setProperty("focaldl4j.guard.probe", "left behind");
        }
    }

    private static List<String> failures(Class<?> fixture) {
        Events events = EngineTestKit.engine("junit-jupiter")
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .selectors(selectClass(fixture)).execute().allEvents();
        return events.failed().stream()
                .map(e -> e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                        .map(Throwable::getMessage).orElse(""))
                .collect(Collectors.toList());
    }

    @Test
    void failsATestThatChangesNd4jsDefaultDataTypes() {
        DataType before = Nd4j.dataType();
        DataType beforeFp = Nd4j.defaultFloatingPointType();
        try {
            List<String> failures = failures(LeavesDefaultsChanged.class);
            assertTrue(failures.stream().anyMatch(m -> m.contains("setsDoubleDefaults()")
                    && m.contains("left global state changed") && m.contains("Nd4j default data type: " + before
                    + " -> DOUBLE")), failures.toString());
        } finally {
            Nd4j.setDefaultDataTypes(before, beforeFp);
        }
    }

    @Test
    void failsATestThatLeavesASystemPropertySet() {
        try {
            List<String> failures = failures(LeavesAPropertySet.class);
            assertTrue(failures.stream().anyMatch(m -> m.contains("property focaldl4j.guard.probe: (unset) -> left behind")),
                    failures.toString());
        } finally {
            System.clearProperty("focaldl4j.guard.probe");
        }
        assertEquals(null, System.getProperty("focaldl4j.guard.probe"));
    }
}
