package org.focaldl4j.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import java.util.TreeMap;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fails a test (or a test class) that leaves a JVM-wide setting changed: ND4J's default data types, an
 * open ND4J workspace on the test thread, ND4J's profiling mode and debug/verbose flags, the system
 * properties, {@code System.out}/{@code err}/{@code in}, the default locale and time zone, and the
 * default uncaught-exception handler. Registered for every JUnit Jupiter test of the modules that use
 * this test-jar through {@code META-INF/services} (with {@code junit.jupiter.extensions.autodetection.enabled}):
 * a snapshot is taken before each class and each test and compared after them; a difference fails with
 * the name of what changed, its value before and after.
 */
public final class GlobalStateGuard implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GlobalStateGuard.class);

    /**
     * System properties the JDK sets itself, once, when a subsystem first initialises (AWT's font manager,
     * the first time an image with text is drawn): not a test's doing, and not undoable.
     */
    private static final java.util.Set<String> JDK_LAZY_PROPERTIES = java.util.Set.of("sun.font.fontmanager");

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("class", snapshot());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        compare(context, "class");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("test", snapshot());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        compare(context, "test");
    }

    private static void compare(ExtensionContext context, String key) {
        @SuppressWarnings("unchecked")
        Map<String, Object> before = (Map<String, Object>) context.getStore(NS).remove(key);
        if (before == null) {
            return;
        }
        Map<String, Object> after = snapshot();
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, Object> e : before.entrySet()) {
            Object now = after.get(e.getKey());
            if (!Objects.equals(e.getValue(), now)) {
                changes.add(e.getKey() + ": " + e.getValue() + " -> " + now);
            }
        }
        for (String k : after.keySet()) {
            if (!before.containsKey(k)) {
                changes.add(k + ": (unset) -> " + after.get(k));
            }
        }
        if (!changes.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " left global state changed (restore it): " + changes);
        }
    }

    /** Everything compared, by name; system properties as "property NAME". */
    static Map<String, Object> snapshot() {
        Nd4j.getBackend();                                   // initialise ND4J first: its own start-up is not a test's change
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Nd4j default data type", Nd4j.dataType());
        s.put("Nd4j default floating-point type", Nd4j.defaultFloatingPointType());
        s.put("Nd4j workspace open on the test thread", Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread());
        s.put("Nd4j profiling mode", Nd4j.getExecutioner().getProfilingMode());
        s.put("Nd4j debug", Nd4j.getEnvironment().isDebug());
        s.put("Nd4j verbose", Nd4j.getEnvironment().isVerbose());
        s.put("System.out", identity(System.out));
        s.put("System.err", identity(System.err));
        s.put("System.in", identity(System.in));
        s.put("default Locale", Locale.getDefault());
        s.put("default TimeZone", TimeZone.getDefault().getID());
        s.put("default uncaught-exception handler", identity(Thread.getDefaultUncaughtExceptionHandler()));
        Map<String, String> properties = new TreeMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            properties.put(name, System.getProperty(name));
        }
        properties.keySet().removeAll(JDK_LAZY_PROPERTIES);
        properties.forEach((k, v) -> s.put("property " + k, v));
        return s;
    }

    private static String identity(Object o) {
        return o == null ? "null" : o.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(o));
    }
}
