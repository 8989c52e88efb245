package org.focaldl4j.detection.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.focaldl4j.detection.data.CocoJson;
import org.focaldl4j.detection.eval.CocoEvaluator;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The detection toolkit's command line: {@code train} a RetinaNet-style detector on a COCO or VOC folder,
 * {@code detect} objects in a folder of images with it, {@code evaluate} results against COCO ground truth.
 * Exit status 0 on success; 2 with a one-line reason on bad input (a flag, a file, an annotation); 1 on anything
 * else. Run from the repository:
 * {@code mvn -q -pl focal-dl4j-detection-cli exec:java -Dexec.args="train --images … --annotations … --out model.zip"}.
 */
@Command(name = "focal-dl4j-detection", mixinStandardHelpOptions = true, version = "focal-dl4j-detection 0.1.0",
        description = "Train, run and evaluate a RetinaNet-style detector (focal loss) on your own images.",
        subcommands = {TrainCommand.class, DetectCommand.class, DetectionCli.Evaluate.class})
public final class DetectionCli implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("error: name a command: train, detect or evaluate (--help for more)");
        spec.commandLine().getErr().flush();
        return 2;
    }

    /** Runs the command line; returns its exit status (what {@link #main} exits with). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new DetectionCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, ignored) -> {
            e.getCommandLine().getErr().println("error: " + e.getMessage() + " (--help for usage)");
            e.getCommandLine().getErr().flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
            if (t instanceof IllegalArgumentException || t instanceof IOException) {
                commandLine.getErr().println("error: " + (t.getMessage() != null ? t.getMessage() : t.toString()));
                commandLine.getErr().flush();
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }

    /** {@code evaluate}: the 12 COCO statistics of results against ground truth, then the same as a JSON array. */
    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "COCO's 12 box statistics of RESULTS.json against GT.json (last line: a JSON array).")
    static final class Evaluate implements Callable<Integer> {
        @Option(names = "--annotations", required = true, paramLabel = "GT.json",
                description = "COCO ground truth (images, annotations, categories).")
        Path annotations;

        @Option(names = "--results", required = true, paramLabel = "RESULTS.json",
                description = "COCO results: [{image_id, category_id, bbox, score}].")
        Path results;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            CocoEvaluator.Stats s = CocoEvaluator.evaluate(CocoJson.read(annotations), CocoJson.readResults(results));
            PrintWriter out = spec.commandLine().getOut();
            out.print(s.summary());
            out.println(s.toJsonArray());
            out.flush();
            return 0;
        }
    }
}
