package org.focaldl4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;

/**
 * A Spark standalone cluster on the loopback interface, made of separate JVM processes started from the
 * test class path: one master ({@code org.apache.spark.deploy.master.Master}) and {@code n} workers
 * ({@code org.apache.spark.deploy.worker.Worker}), each worker with 1 core, 1.5 GB and its own work
 * directory. The workers launch the executors — again separate JVMs, one per worker — with the test class
 * path as {@code spark.executor.extraClassPath}, as a cluster's nodes would run the application's jars.
 *
 * <p>There is no Spark distribution: the processes get an empty {@code SPARK_HOME} (with the {@code jars/}
 * directory Spark's launcher looks for), {@code SPARK_SCALA_VERSION}, and no {@code SPARK_CONF_DIR}, so a
 * developer's Spark configuration cannot change the cluster. Every wait is bounded. {@link #close()} kills the
 * executors, the workers and the master, waits for them and fails if one is left; a shutdown hook does the same
 * if the test JVM exits without closing (Surefire's fork timeout, Ctrl-C). Linux only: executors are recognised
 * by their command line in {@code /proc}.
 */
final class StandaloneCluster implements AutoCloseable {

    /**
     * Executors' JVM options: ND4J's off-heap limit; the Aeron timeout DL4J needs (spark/README.md); and the Aeron
     * media driver's directory in the executor's own work directory (its current directory), deleted at shutdown.
     * DL4J's default is a new directory in /dev/shm per JVM that nothing deletes.
     */
    static final String EXECUTOR_JAVA_OPTIONS = "-Dorg.bytedeco.javacpp.maxbytes=2G -Dorg.bytedeco.javacpp.maxphysicalbytes=4G"
            + " -Daeron.publication.unblock.timeout=60000000000"
            + " -Daeron.dir=aeron -Daeron.dir.delete.on.start=true -Daeron.dir.delete.on.shutdown=true";

    private final String classPath;
    private final Map<String, String> environment;
    private final List<Process> processes = new ArrayList<>();     // the master first, then the workers
    private final Thread shutdownHook = new Thread(this::kill, "standalone-cluster-shutdown");
    private String masterUrl;

    private StandaloneCluster(String classPath, Map<String, String> environment) {
        this.classPath = classPath;
        this.environment = environment;
    }

    /**
     * Starts a master and {@code workers} workers under {@code dir} and waits (at most {@code timeout}) for the
     * master to accept connections. The master gets a free port; if another process takes it first, the master
     * exits ({@code spark.port.maxRetries=0}) and is started again on another, at most 3 times.
     */
    static StandaloneCluster start(Path dir, int workers, Duration timeout) throws IOException, InterruptedException {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        Path sparkHome = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(sparkHome.resolve("jars"));
        StandaloneCluster cluster = new StandaloneCluster(
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_SCALA_VERSION", "2.12",
                        "JAVA_HOME", System.getProperty("java.home"), "SPARK_LOCAL_IP", "127.0.0.1"));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            for (int attempt = 1; cluster.masterUrl == null; attempt++) {
                int port = freePort();
                Process master = cluster.launch(dir, "master-" + attempt, "org.apache.spark.deploy.master.Master",
                        "--host", "127.0.0.1", "--port", Integer.toString(port), "--webui-port", "0");
                if (awaitListening(master, port, timeout)) {
                    cluster.masterUrl = "spark://127.0.0.1:" + port;
                    continue;
                }
                cluster.processes.remove(master);
                if (attempt == 3) {
                    throw new IllegalStateException("the Spark master exited 3 times before listening; logs in " + dir);
                }
            }
            for (int w = 0; w < workers; w++) {
                Path work = Files.createDirectories(dir.resolve("worker-" + w));
                cluster.launch(dir, "worker-" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                        "--port", "0", "--webui-port", "0", "--cores", "1", "--memory", "1536m",
                        "--work-dir", work.toString(), cluster.masterUrl);
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * A Spark context on this cluster (driver on 127.0.0.1, 1 core and 1 GB per executor, one executor per
     * worker, the test class path on the executors), returned once every worker's executor has registered,
     * at most {@code timeout} later.
     */
    JavaSparkContext context(String appName, Duration timeout) throws InterruptedException {
        SparkConf conf = new SparkConf().setMaster(masterUrl).setAppName(appName)
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.executor.cores", "1").set("spark.cores.max", Integer.toString(workers()))
                .set("spark.executor.memory", "1g")
                .set("spark.executor.extraClassPath", classPath)
                // focal.spark.executorJavaOptions: more executor JVM options for a diagnostic run, such as DL4J's log level
                // (spark/shared-training-runs.sh passes EXECUTOR_JAVA_OPTIONS from its environment); empty in the build.
                .set("spark.executor.extraJavaOptions", (EXECUTOR_JAVA_OPTIONS + " "
                        + System.getProperty("focal.spark.executorJavaOptions", "")).strip());
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        try {
            awaitExecutors(sc, workers(), timeout);
        } catch (InterruptedException | RuntimeException e) {
            sc.stop();
            throw e;
        }
        return sc;
    }

    /** Waits, at most {@code timeout}, until {@code count} executors (the driver not counted) are registered. */
    static void awaitExecutors(JavaSparkContext sc, int count, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (sc.sc().statusTracker().getExecutorInfos().length - 1 < count) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException(count + " executors did not register within " + timeout + "; registered: "
                        + (sc.sc().statusTracker().getExecutorInfos().length - 1));
            }
            Thread.sleep(100);
        }
    }

    private int workers() {
        return processes.size() - 1;
    }

    /** The executor JVMs running now (children of the workers). */
    List<ProcessHandle> executorProcesses() {
        return processes.stream().flatMap(p -> p.toHandle().descendants()).filter(StandaloneCluster::isExecutor)
                .collect(Collectors.toList());
    }

    /** The JVM of the executor with Spark executor id {@code executorId}, if it is running. */
    Optional<ProcessHandle> executorProcess(String executorId) {
        return executorProcesses().stream()
                .filter(p -> executorId.equals(argumentAfter(commandLine(p), "--executor-id")))
                .findFirst();
    }

    /** The number of JVMs the cluster is running now: master, workers and executors. */
    int jvms() {
        return (int) processes.stream().filter(Process::isAlive).count() + executorProcesses().size();
    }

    /**
     * Kills the executors, the workers and the master (SIGTERM, then SIGKILL after 20 s) and waits for them.
     *
     * @throws IllegalStateException if one of them still runs 10 s after SIGKILL
     */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook runs kill() too
        }
        List<ProcessHandle> left = kill();
        if (!left.isEmpty()) {
            throw new IllegalStateException("processes still running after SIGKILL: " + left);
        }
    }

    /** Kills every process of the cluster; returns those still alive after at most 30 s. */
    private List<ProcessHandle> kill() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Process p : processes) {
            p.toHandle().descendants().forEach(all::add);
            all.add(p.toHandle());
        }
        all.forEach(ProcessHandle::destroy);
        awaitExit(all, TimeUnit.SECONDS.toNanos(20));
        all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitExit(all, TimeUnit.SECONDS.toNanos(10));
        return all.stream().filter(ProcessHandle::isAlive).collect(Collectors.toList());
    }

    private static void awaitExit(List<ProcessHandle> processes, long nanos) {
        long end = System.nanoTime() + nanos;
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException stillRunning) {
                // the caller looks at isAlive()
            }
        }
    }

    private static boolean isExecutor(ProcessHandle p) {
        return List.of(commandLine(p)).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend");
    }

    /** The process's arguments, from /proc (ProcessHandle.Info may truncate long command lines); none once it exited. */
    private static String[] commandLine(ProcessHandle p) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                    StandardCharsets.UTF_8).split("\0");
        } catch (IOException gone) {
            return new String[0];
        }
    }

    private static String argumentAfter(String[] args, String name) {
        int i = List.of(args).indexOf(name);
        return i >= 0 && i + 1 < args.length ? args[i + 1] : null;
    }

    /** Starts a Spark process with its log in {@code dir/name.log}; it belongs to the cluster from then on. */
    private Process launch(Path dir, String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-Dspark.port.maxRetries=0");
        // The JVM options Spark's own launcher gives every Spark process on Java 17.
        command.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().remove("SPARK_CONF_DIR");
        pb.environment().putAll(environment);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits, at most {@code timeout}, for {@code master} to accept connections on {@code port}; false if it exited
     * first (its port was taken).
     */
    private static boolean awaitListening(Process master, int port, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException notYet) {
                if (!master.isAlive()) {
                    return false;
                }
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("the Spark master did not listen on " + port + " within " + timeout);
                }
                Thread.sleep(100);
            }
        }
    }
}
