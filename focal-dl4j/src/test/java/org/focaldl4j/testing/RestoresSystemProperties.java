package org.focaldl4j.testing;

import java.util.Properties;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * {@code @ExtendWith(RestoresSystemProperties.class)}: the system properties as they were before each test
 * class and each test are put back afterwards. For tests of code that sets properties as it runs (Spark's
 * Jetty, DL4J's parameter server and its Aeron media driver), so that {@link GlobalStateGuard} still holds.
 */
public final class RestoresSystemProperties implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RestoresSystemProperties.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        save(context, "class");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        restore(context, "class");
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        save(context, "test");
    }

    @Override
    public void afterEach(ExtensionContext context) {
        restore(context, "test");
    }

    private static void save(ExtensionContext context, String key) {
        Properties copy = new Properties();
        copy.putAll(System.getProperties());
        context.getStore(NS).put(key, copy);
    }

    private static void restore(ExtensionContext context, String key) {
        Properties saved = (Properties) context.getStore(NS).remove(key);
        if (saved != null) {
            System.setProperties(saved);
        }
    }
}
