package org.focaldl4j.spark;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A training hook that sleeps 30 ms before each minibatch a worker trains on, and changes nothing else: a training
 * task of the fault test then lasts long enough (≥ 60 ms) for the kill sent when it starts to land inside it.
 */
final class SlowMinibatches implements TrainingHook {

    private static final long serialVersionUID = 1L;

    private static void pause() {
        try {
            Thread.sleep(30);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        pause();
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        pause();
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
