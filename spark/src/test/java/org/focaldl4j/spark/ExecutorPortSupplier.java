package org.focaldl4j.spark;

import org.apache.spark.SparkEnv;
import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * The UDP port of DL4J's parameter-server node in each JVM of a shared-training job: {@code base} on the driver
 * (the controller), {@code base + 1 + id} on the executor with Spark executor id {@code id}. DL4J's default,
 * one static port for every node, assumes one executor per host; on one machine the executors need a port each.
 */
final class ExecutorPortSupplier implements PortSupplier {

    private static final long serialVersionUID = 1L;

    private final int base;

    ExecutorPortSupplier(int base) {
        if (base < 1024 || base > 65_000) {
            throw new IllegalArgumentException("base port must be in [1024, 65000], got " + base);
        }
        this.base = base;
    }

    @Override
    public int getPort() {
        SparkEnv env = SparkEnv.get();
        if (env == null || "driver".equals(env.executorId())) {
            return base;
        }
        return base + 1 + Integer.parseInt(env.executorId());
    }
}
