package org.focaldl4j.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The README's demo, the experiments and the command line run through {@code mvn … exec:java}, inside Maven's own JVM:
 * {@code .mvn/jvm.config} gives that JVM the Vector API module, without which the fused kernel falls back to scalar
 * Java. This holds the file to it, and the README's commands to {@code exec:java}.
 */
class DemoKernelTest {

    @Test
    void mavensJvmGetsTheVectorModule() throws IOException {
        List<String> options = List.of(Files.readString(Path.of("..", ".mvn", "jvm.config")).trim().split("\\s+"));
        assertTrue(options.contains("--add-modules=jdk.incubator.vector"), ".mvn/jvm.config holds " + options);
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("-pl examples -am compile exec:java"), "the README's demo runs through exec:java");
        assertTrue(readme.contains("-pl focal-dl4j-detection-cli -am compile exec:java"),
                "the README's command line runs through exec:java");
    }
}
