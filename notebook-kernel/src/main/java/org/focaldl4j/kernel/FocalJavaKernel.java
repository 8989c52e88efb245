package org.focaldl4j.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import io.github.spencerpark.jupyter.channels.JupyterConnection;
import io.github.spencerpark.jupyter.kernel.BaseKernel;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.kernel.LanguageInfo;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

/**
 * A Java kernel for the project's notebooks that behaves like BeakerX's Java kernel where the
 * notebooks depend on it: every cell is compiled on its own (imports, variables and methods of one
 * cell are not visible in the next), {@code %classpath add jar} adds jars, and the value of a cell's
 * last expression is displayed (an image as a PNG, anything else as text). Cells run in this JVM
 * through JShell; standard output and error go to the notebook.
 *
 * <p>Started by Jupyter as {@code java … org.focaldl4j.kernel.FocalJavaKernel <connection-file>}
 * (see {@code run-notebooks.sh}, which writes the kernelspec).
 */
public final class FocalJavaKernel extends BaseKernel {

    private final CapturingExecutionControl.Provider engine = new CapturingExecutionControl.Provider();
    private final JShell shell;
    private final Path workingDirectory;

    public FocalJavaKernel() {
        this(Paths.get("").toAbsolutePath());
    }

    FocalJavaKernel(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
        this.shell = JShell.builder().executionEngine(engine, java.util.Map.of()).build();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: FocalJavaKernel <connection-file>; got " + args.length + " arguments");
        }
        KernelConnectionProperties properties = KernelConnectionProperties.parse(Files.readString(Paths.get(args[0])));
        JupyterConnection connection = new JupyterConnection(properties);
        FocalJavaKernel kernel = new FocalJavaKernel();
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
    }

    @Override
    public LanguageInfo getLanguageInfo() {
        return new LanguageInfo.Builder("Java").version(Runtime.version().toString()).mimetype("text/x-java-source")
                .fileExtension(".java").pygments("java").codemirror("text/x-java").build();
    }

    @Override
    public DisplayData eval(String cell) throws Exception {
        List<String> code = new ArrayList<>();
        for (String line : cell.split("\n", -1)) {
            if (line.trim().startsWith("%")) {
                magic(line);
            } else {
                code.add(line);
            }
        }
        forgetPreviousCells();
        Object value = null;
        boolean hasValue = false;
        String remaining = String.join("\n", code);
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (!info.completeness().isComplete()) {
                throw new IllegalArgumentException("incomplete Java at the end of the cell: " + remaining.trim());
            }
            hasValue = false;
            for (SnippetEvent event : shell.eval(info.source())) {
                check(event);
                if (event.causeSnippet() == null && isExpression(event.snippet())) {
                    value = engine.control.lastValue();
                    hasValue = true;
                }
            }
            remaining = info.remaining();
        }
        System.out.flush();
        System.err.flush();
        return hasValue && value != null ? getRenderer().render(value) : null;
    }

    private void magic(String line) throws IOException {
        if (!line.trim().startsWith(ClasspathMagic.PREFIX)) {
            throw new IllegalArgumentException("unknown magic '" + line.trim() + "'; this kernel knows %classpath add jar");
        }
        for (Path entry : ClasspathMagic.entries(line, workingDirectory)) {
            shell.addToClasspath(entry.toString());
        }
    }

    /** BeakerX compiles each cell as its own unit: drop everything the previous cells declared. */
    private void forgetPreviousCells() {
        for (Snippet s : shell.snippets().collect(Collectors.toList())) {
            if (shell.status(s).isActive()) {
                shell.drop(s);
            }
        }
    }

    private static boolean isExpression(Snippet s) {
        switch (s.subKind()) {
            case TEMP_VAR_EXPRESSION_SUBKIND:
            case OTHER_EXPRESSION_SUBKIND:
            case VAR_VALUE_SUBKIND:
                return true;
            default:
                return false;
        }
    }

    private void check(SnippetEvent event) throws Exception {
        if (event.exception() != null) {
            Exception e = event.exception();
            if (e instanceof EvalException) {
                EvalException ee = (EvalException) e;
                RuntimeException r = new RuntimeException(ee.getExceptionClassName() + ": " + ee.getMessage(), ee);
                r.setStackTrace(ee.getStackTrace());
                throw r;
            }
            if (e instanceof UnresolvedReferenceException) {
                throw new IllegalStateException("unresolved reference in: " + event.snippet().source().trim()
                        + diagnostics(event.snippet()));
            }
            throw e;
        }
        if (event.status() == Snippet.Status.REJECTED) {
            throw new IllegalArgumentException("does not compile: " + event.snippet().source().trim()
                    + diagnostics(event.snippet()));
        }
        if (event.status() == Snippet.Status.RECOVERABLE_DEFINED
                || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
            throw new IllegalStateException("refers to something not declared in this cell (each cell stands alone): "
                    + event.snippet().source().trim() + diagnostics(event.snippet()));
        }
    }

    private String diagnostics(Snippet s) {
        return shell.diagnostics(s).map(d -> "\n  " + d.getMessage(Locale.ROOT)).collect(Collectors.joining());
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        shell.close();
    }
}
