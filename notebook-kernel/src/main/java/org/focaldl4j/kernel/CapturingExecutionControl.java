package org.focaldl4j.kernel;

import java.lang.reflect.Method;
import java.util.Map;

import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * JShell's in-process execution engine, keeping the value of the last evaluated snippet as an object
 * (JShell itself only hands back its {@code toString()}), so that a cell ending in an image shows the
 * image.
 */
final class CapturingExecutionControl extends LocalExecutionControl {

    private Object lastValue;

    @Override
    protected String invoke(Method doitMethod) throws Exception {
        lastValue = null;
        Object value = doitMethod.invoke(null);
        lastValue = value;
        return valueString(value);
    }

    Object lastValue() {
        return lastValue;
    }

    /** Hands JShell one shared instance, so the kernel can read {@link #lastValue()}. */
    static final class Provider implements ExecutionControlProvider {
        final CapturingExecutionControl control = new CapturingExecutionControl();

        @Override
        public String name() {
            return "focal-capturing-local";
        }

        @Override
        public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
            return control;
        }
    }
}
