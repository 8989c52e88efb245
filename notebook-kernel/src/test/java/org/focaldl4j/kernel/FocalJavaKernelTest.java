package org.focaldl4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel keeps BeakerX's rules that the notebooks rely on. */
class FocalJavaKernelTest {

    static FocalJavaKernel kernel;

    @BeforeAll
    static void start() {
        kernel = new FocalJavaKernel();
    }

    @AfterAll
    static void stop() {
        kernel.onShutdown(false);
    }

    @Test
    void showsTheValueOfTheLastExpression() throws Exception {
        DisplayData d = kernel.eval("int a = 20;\nint b = 22;\na + b");
        assertEquals("42", d.getData(MIMEType.TEXT_PLAIN));
    }

    @Test
    void statementsAloneShowNothingButPrint() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertNull(kernel.eval("for (int i = 0; i < 3; i++) {\n  System.out.print(i);\n}"));
        } finally {
            System.setOut(old);
        }
        assertEquals("012", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void eachCellStandsAlone() throws Exception {
        kernel.eval("import java.util.concurrent.atomic.AtomicInteger;\nint shared = 7;");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernel.eval("shared + 1"));
        assertTrue(e.getMessage().contains("shared"), e.getMessage());
        IllegalArgumentException imports = assertThrows(IllegalArgumentException.class,
                () -> kernel.eval("AtomicInteger x = new AtomicInteger();"));
        assertTrue(imports.getMessage().contains("AtomicInteger"), imports.getMessage());
    }

    @Test
    void aCompileErrorFailsTheCellWithJavacsMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kernel.eval("int x = \"text\";"));
        assertTrue(e.getMessage().contains("incompatible types"), e.getMessage());
    }

    @Test
    void anExceptionFailsTheCellWithItsClassAndMessage() {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> kernel.eval("throw new IllegalStateException(\"boom 17\");"));
        assertTrue(e.getMessage().contains("IllegalStateException") && e.getMessage().contains("boom 17"), e.getMessage());
    }

    @Test
    void anImageIsShownAsPng() throws Exception {
        DisplayData d = kernel.eval("import java.awt.image.BufferedImage;\nnew BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB)");
        assertNotNull(d.getData(MIMEType.IMAGE_PNG), "image/png output");
    }

    @Test
    void classpathMagicAddsJarsOfADirectory(@TempDir Path dir) throws Exception {
        // A jar holding one compiled class, made with the JDK's own tools.
        Path src = dir.resolve("src/demo/Hello.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package demo; public class Hello { public static String hi() { return \"hi from jar\"; } }");
        Path classes = dir.resolve("classes");
        assertEquals(0, javax.tools.ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                src.toString()));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        java.util.spi.ToolProvider jar = java.util.spi.ToolProvider.findFirst("jar").orElseThrow();
        assertEquals(0, jar.run(System.out, System.err, "cf", lib.resolve("hello.jar").toString(), "-C", classes.toString(), "."));

        FocalJavaKernel k = new FocalJavaKernel(dir);
        try {
            DisplayData d = k.eval("%classpath add jar lib/*\nimport demo.Hello;\nHello.hi()");
            assertEquals("hi from jar", d.getData(MIMEType.TEXT_PLAIN));
        } finally {
            k.onShutdown(false);
        }
    }

    @Test
    void classpathMagicRefusesWhatItCannotDo(@TempDir Path dir) {
        IllegalArgumentException mvn = assertThrows(IllegalArgumentException.class,
                () -> ClasspathMagic.entries("%classpath add mvn org.focaldl4j focal-dl4j 0.1.0", dir));
        assertTrue(mvn.getMessage().contains("add jar"), mvn.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ClasspathMagic.entries("%classpath add jar nowhere/*", dir));
        assertTrue(missing.getMessage().contains("nowhere"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> kernel.eval("%timeit 1 + 1"));
    }
}
