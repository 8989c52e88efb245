package org.focaldl4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A training hook that kills its own executor JVM with {@code kill -9} before the {@code minibatch}-th minibatch that
 * JVM trains on, in the middle of a training task, once in the whole cluster: the executor that first deletes the
 * {@code token} file does it. Changes nothing else. (Killed from outside when the listener sees a task start, a
 * task of 2 minibatches of ~5 ms could end before the signal arrives.)
 */
final class KillOnce implements TrainingHook {

    private static final long serialVersionUID = 1L;
    private static final AtomicInteger MINIBATCHES = new AtomicInteger();   // per executor JVM

    private final String token;
    private final int minibatch;

    KillOnce(Path token, int minibatch) {
        if (!Files.isRegularFile(token) || minibatch < 1) {
            throw new IllegalArgumentException("needs an existing token file and minibatch >= 1; got " + token + ", " + minibatch);
        }
        this.token = token.toString();
        this.minibatch = minibatch;
    }

    private void maybeDie() {
        try {
            if (MINIBATCHES.incrementAndGet() >= minibatch && Files.deleteIfExists(Path.of(token))) {
                new ProcessBuilder("kill", "-9", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                Thread.sleep(60_000);                   // SIGKILL arrives long before
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        maybeDie();
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        maybeDie();
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
