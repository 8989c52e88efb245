package org.focaldl4j.examples.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.focaldl4j.detection.anchor.AnchorPyramid;
import org.focaldl4j.detection.data.CocoDataset;
import org.focaldl4j.detection.data.DetectionImages;
import org.focaldl4j.detection.eval.CocoEvaluator;
import org.focaldl4j.detection.layers.PositiveNormaliser;
import org.focaldl4j.detection.model.Backbones;
import org.focaldl4j.detection.model.RetinaNet;
import org.focaldl4j.examples.FashionCanvases;
import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.FashionMnist;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The paper's experiment (Table 1a/1b, Table 3) in miniature: a RetinaNet-style detector on Fashion-MNIST canvases
 * trained with α-balanced cross-entropy, focal loss and FL* under one protocol, fixed before any test result was
 * seen ({@link Protocol}, docs/experiments.md). Every run writes one JSON record; a run whose record exists is not
 * run again, so the command resumes after an interruption and can be run in several sittings. After the runs it
 * writes the table, the plots and the paper's Figure 4 ({@link RetinaNetReport}).
 *
 * <p>Order of the runs: (1) the learning-rate grid, seed 1, for one configuration of each loss family (CE α = 0.75,
 * FL γ = 2 α = 0.25, FL* γ = 2 β = 1), the family's learning rate being the one with the best validation AP; (2)
 * every configuration at its family's learning rate, seed 1; (3) the other seeds for the best CE (by validation AP),
 * FL γ = 2 α = 0.25 and FL* γ = 2 β = 1. Test AP never chooses anything.
 *
 * <p>{@code mvn -B -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.experiment.RetinaNetExperiment}
 * [{@code -Dexec.args="key=value …"}]: {@code out} (docs/results/retinanet), {@code seeds} (1,2,3), {@code configs}
 * (all; ids as in {@link #CONFIGS}, comma-separated), {@code grid} (0.005,0.01,0.02,0.04), {@code iterations},
 * {@code warmup}, {@code train}, {@code val}, {@code test}, {@code data} (FULL or SUBSET), {@code pretrain} (items),
 * {@code report} (true: only regenerate the table and plots from the records).
 */
public final class RetinaNetExperiment {

    /** Everything a run's outcome depends on besides configuration, seed and learning rate. */
    public static final class Protocol {
        public int size = 64;
        public int trainCanvases = 3600;
        public int valCanvases = 400;
        public int testCanvases = 500;
        public long testSeed = 1_000_000;
        public int iterations = 450;
        public int warmup = 50;
        public int batch = 16;
        public int width = 16;
        public double momentum = 0.9;
        public double weightDecay = 1e-4;
        public double boxBeta = 0.1;
        public double[] grid = {0.005, 0.01, 0.02, 0.04};
        public long[] seeds = {1, 2, 3};
        public FashionMnist.Source data = FashionMnist.Source.FULL;
        /** Items of the training split the backbone is pretrained on (one pass); 0: all. */
        public int pretrainItems = 0;
        public long pretrainSeed = 0;
        /** Items per canvas asked for, drawn uniformly from [minItems, maxItems]. */
        public int minItems = 1;
        public int maxItems = 4;
        /** E empty canvases joined to each training batch ({@link EmptyCanvases}); 0 for none. */
        public int emptyPerBatch = 0;
        /** Whether the training canvases are reshuffled every epoch from the run's seed (else in order every epoch). */
        public boolean shuffle = false;
        /** A run has diverged when its data loss is non-finite or above this factor × its first iteration's. */
        public double divergenceFactor = Double.POSITIVE_INFINITY;
        /** Halvings of the learning-rate grid below its smallest rate, at most. */
        public int maxExtensions = 3;
        /** The recorded loss curves are means over blocks of this many iterations (1: every iteration). */
        public int curveEvery = 1;
        /** Whether FL γ 2 α 0.25's first-seed runs write the data of the paper's Figure 4. */
        public boolean figure4 = true;

        Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("canvas", size);
            m.put("train_canvases", trainCanvases);
            m.put("val_canvases", valCanvases);
            m.put("test_canvases", testCanvases);
            m.put("test_seed", testSeed);
            m.put("iterations", iterations);
            m.put("warmup", warmup);
            m.put("batch", batch);
            m.put("width", width);
            m.put("momentum", momentum);
            m.put("weight_decay", weightDecay);
            m.put("box_beta", boxBeta);
            m.put("data", data.name());
            m.put("pretrain_items", pretrainItems);
            m.put("items", minItems + "-" + maxItems);
            m.put("empty_per_batch", emptyPerBatch);
            m.put("shuffle", shuffle);
            m.put("divergence_factor", Double.isInfinite(divergenceFactor) ? null : divergenceFactor);
            m.put("curve_every", curveEvery);
            return m;
        }
    }

    /** One configuration of the paper's tables; {@code family} is CE, FL or FL*, which share a learning rate. */
    public record Config(String id, String name, String family, double alpha, double gamma, double beta, double prior) {

        ILossFunction loss() {
            return family.equals("FL*") ? new LossFocalStar(alpha, gamma, beta) : new LossFocal(alpha, gamma);
        }

        static Config ce(double alpha, double prior) {
            boolean noPrior = prior != FocalInit.DEFAULT_PRIOR;
            return new Config("ce-a" + fmt(alpha) + (noPrior ? "-noprior" : ""), "CE α=" + fmt(alpha)
                    + (noPrior ? " (π=" + fmt(prior) + ")" : ""), "CE", alpha, 0, Double.NaN, prior);
        }

        static Config fl(double gamma, double alpha, double prior) {
            boolean noPrior = prior != FocalInit.DEFAULT_PRIOR;
            return new Config("fl-g" + fmt(gamma) + "-a" + fmt(alpha) + (noPrior ? "-noprior" : ""), "FL γ=" + fmt(gamma)
                    + " α=" + fmt(alpha) + (noPrior ? " (π=" + fmt(prior) + ")" : ""), "FL", alpha, gamma, Double.NaN, prior);
        }

        static Config star(double gamma, double beta) {
            return new Config("flstar-g" + fmt(gamma) + "-b" + fmt(beta), "FL* γ=" + fmt(gamma) + " β=" + fmt(beta), "FL*",
                    0.25, gamma, beta, FocalInit.DEFAULT_PRIOR);
        }
    }

    static final double PI = FocalInit.DEFAULT_PRIOR;
    static final Config CE_075 = Config.ce(0.75, PI);
    static final Config FL_2 = Config.fl(2, 0.25, PI);
    static final Config STAR_2 = Config.star(2, 1);

    /** All configurations, in table order. */
    public static final List<Config> CONFIGS = List.of(
            Config.ce(0.25, PI), Config.ce(0.5, PI), CE_075, Config.ce(0.9, PI),
            Config.fl(0.5, 0.5, PI), Config.fl(1, 0.25, PI), FL_2, Config.fl(5, 0.25, PI),
            STAR_2, Config.star(4, 0),
            Config.ce(0.75, 0.5), Config.fl(2, 0.25, 0.5));

    /** The configuration of each family whose learning-rate grid sets the family's learning rate. */
    static final Map<String, Config> GRID_CONFIG = Map.of("CE", CE_075, "FL", FL_2, "FL*", STAR_2);

    private RetinaNetExperiment() {
    }

    public static void main(String[] args) throws IOException {
        Protocol p = new Protocol();
        Path out = Paths.get("docs/results/retinanet");
        List<Config> configs = CONFIGS;
        boolean reportOnly = false;
        boolean oneThread = true;
        for (Map.Entry<String, String> e : Arguments.parse(args).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (Arguments.protocol(p, k, v)) {
                continue;
            }
            switch (k) {
                case "out" -> out = Paths.get(v);
                case "seeds" -> p.seeds = Arrays.stream(Arguments.integers(k, v, 0)).mapToLong(i -> i).toArray();
                case "configs" -> configs = Arrays.stream(v.split(",")).map(RetinaNetExperiment::config).toList();
                case "report" -> reportOnly = Arguments.bool(k, v);
                case "threads" -> oneThread = switch (v) {
                    case "one" -> true;
                    case "nd4j" -> false;
                    default -> throw new IllegalArgumentException("threads is \"one\" (the default, docs/performance.md) "
                            + "or \"nd4j\" (ND4J's default: one per core); got \"" + v + "\"");
                };
                default -> throw new IllegalArgumentException("unknown argument \"" + k + "\"");
            }
        }
        if (p.seeds.length == 0 || p.grid.length == 0 || p.iterations < 1 || p.warmup < 0 || p.warmup >= p.iterations) {
            throw new IllegalArgumentException("need seeds, a grid, iterations >= 1 and 0 <= warmup < iterations");
        }
        if (oneThread) {
            FashionDetector.oneNd4jThread();                           // the recommended set-up (docs/performance.md)
            FashionDetector.dl4jOneDnnHelpers();
        }
        if (!reportOnly) {
            new Runner(p, out, out).runAll(configs);
        }
        RetinaNetReport.write(out, configs);
    }

    static Config config(String id) {
        return CONFIGS.stream().filter(c -> c.id.equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no configuration \"" + id + "\"; the ids are " + CONFIGS.stream().map(Config::id).toList()));
    }

    /** The paper's schedule, scaled: linear warm-up from lr/3, then ÷10 at 2/3 and at 8/9 of the iterations. */
    static ISchedule schedule(double lr, int iterations, int warmup) {
        MapSchedule.Builder b = new MapSchedule.Builder(ScheduleType.ITERATION);
        for (int i = 0; i < warmup; i++) {
            b.add(i, lr * (1.0 / 3 + 2.0 / 3 * i / warmup));
        }
        b.add(warmup, lr);
        int[] decay = decayPoints(iterations, warmup);
        b.add(decay[0], lr / 10);
        b.add(decay[1], lr / 100);
        return b.build();
    }

    /** The iterations from which the rate is ÷10 and ÷100: 2/3 and 8/9 of the schedule, after the warm-up. */
    static int[] decayPoints(int iterations, int warmup) {
        return new int[] {Math.max(warmup + 1, 2 * iterations / 3), Math.max(warmup + 2, 8 * iterations / 9)};
    }

    /**
     * The protocol's rate rule: the best validation AP over {@code grid} (ties to the smaller rate), the grid extended
     * by halving below its smallest rate while that rate is the best, at most {@code maxExtensions} times, so that the
     * chosen rate is never on the grid's lower edge by construction. {@code valAp} gives a rate's validation AP (the
     * runner runs what it must; the report looks it up, NaN for a run not made, which makes the result NaN).
     */
    static double chooseRate(double[] grid, int maxExtensions, java.util.function.DoubleUnaryOperator valAp) {
        java.util.TreeSet<Double> rates = new java.util.TreeSet<>();
        for (double rate : grid) {
            rates.add(rate);
        }
        for (int extensions = 0; ; extensions++) {
            double best = Double.NaN;
            double bestAp = Double.NEGATIVE_INFINITY;
            for (double rate : rates) {
                double ap = valAp.applyAsDouble(rate);
                if (Double.isNaN(ap)) {
                    return Double.NaN;
                }
                if (ap > bestAp) {                               // ascending rates: ties go to the smaller
                    bestAp = ap;
                    best = rate;
                }
            }
            if (best != rates.first() || extensions == maxExtensions || rates.size() == 1) {
                return best;
            }
            rates.add(rates.first() / 2);
        }
    }

    static String fmt(double v) {
        String s = String.format(Locale.ROOT, "%s", v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    static String recordName(Config c, long seed, double lr) {
        return c.id + "_s" + seed + "_lr" + fmt(lr) + ".json";
    }

    /** The records under {@code dir}/records, in file-name order. */
    static List<Map<String, Object>> readRecords(Path dir) throws IOException {
        Path records = dir.resolve("records");
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isDirectory(records)) {
            return out;
        }
        List<Path> files;
        try (var s = Files.list(records)) {
            files = s.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        }
        ObjectMapper json = new ObjectMapper();
        for (Path f : files) {
            out.add(json.readValue(f.toFile(), new TypeReference<Map<String, Object>>() { }));
        }
        return out;
    }

    /** Runs what has no record yet, in the documented order. */
    static final class Runner {
        private final Protocol p;
        private final Path dir;
        private final Path backboneDir;
        private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        private FashionMnist.Items trainItems;
        private DetectionImages test;
        private CocoDataset testTruth;
        private Path backbone;
        private String backboneSha;

        /** Records under {@code dir}/records; the pretrained backbone in {@code backboneDir} (made there if absent). */
        Runner(Protocol p, Path dir, Path backboneDir) {
            this.p = p;
            this.dir = dir;
            this.backboneDir = backboneDir;
        }

        Protocol protocol() {
            return p;
        }

        /** The pretrained backbone's file (made by the first run that needs it when absent). */
        Path backbonePath() {
            return backboneDir.resolve("backbone.zip");
        }

        private Runnable beforeRun = () -> { };

        /** {@code check} runs before each run that has no record yet (and may throw to stop it starting). */
        void beforeRun(Runnable check) {
            this.beforeRun = check;
        }

        void runAll(List<Config> configs) throws IOException {
            Files.createDirectories(dir.resolve("records"));
            writeProtocol();
            Map<String, Double> lr = new LinkedHashMap<>();
            for (String family : List.of("CE", "FL", "FL*")) {
                Config g = GRID_CONFIG.get(family);
                boolean used = configs.stream().anyMatch(c -> c.family.equals(family));
                if (!used) {
                    continue;
                }
                if (!configs.contains(g)) {
                    throw new IllegalArgumentException("the " + family + " configurations need their grid configuration "
                            + g.id + " among the selected ones");
                }
                lr.put(family, bestRate(g, p.seeds[0]));
            }
            for (Config c : configs) {
                ensure(c, p.seeds[0], lr.get(c.family), "sweep");
            }
            Config bestCe = null;
            double bestCeAp = Double.NEGATIVE_INFINITY;
            for (Config c : configs) {
                if (c.family.equals("CE") && c.prior == PI) {
                    double ap = valAp(ensure(c, p.seeds[0], lr.get("CE"), "sweep"));
                    if (ap > bestCeAp) {
                        bestCeAp = ap;
                        bestCe = c;
                    }
                }
            }
            List<Config> repeated = new ArrayList<>();
            if (bestCe != null) {
                repeated.add(bestCe);
            }
            for (Config c : List.of(FL_2, STAR_2)) {
                if (configs.contains(c)) {
                    repeated.add(c);
                }
            }
            for (int s = 1; s < p.seeds.length; s++) {
                for (Config c : repeated) {
                    ensure(c, p.seeds[s], lr.get(c.family), "seeds");
                }
            }
        }

        /** The learning rate of {@code g} at {@code seed} by {@link #chooseRate}, running the grid runs it needs. */
        double bestRate(Config g, long seed) throws IOException {
            double best = chooseRate(p.grid, p.maxExtensions, rate -> {
                try {
                    return valAp(ensure(g, seed, rate, "grid"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            System.out.printf(Locale.ROOT, "%s: learning rate %s%n", g.name, fmt(best));
            return best;
        }

        private void writeProtocol() throws IOException {
            Map<String, Object> m = p.describe();
            m.put("grid", p.grid);
            m.put("seeds", p.seeds);
            json.writeValue(dir.resolve("protocol.json").toFile(), m);
        }

        /** Validation AP; a diverged run (not evaluated) counts as 0, as in the report. */
        static double valAp(Map<String, Object> record) {
            return RetinaNetReport.val(record, "AP");
        }

        /** The record of (config, seed, lr), from its file or by running it. */
        Map<String, Object> ensure(Config c, long seed, double lr, String phase) throws IOException {
            Path file = dir.resolve("records").resolve(recordName(c, seed, lr));
            if (Files.exists(file)) {
                Map<String, Object> record = json.readValue(file.toFile(), new TypeReference<Map<String, Object>>() { });
                checkReusable(file, record);
                return record;
            }
            beforeRun.run();
            Files.createDirectories(file.getParent());
            System.out.printf(Locale.ROOT, "%s: %s, seed %d, lr %s (%s)%n", java.time.LocalTime.now().withNano(0),
                    c.name, seed, fmt(lr), phase);
            Map<String, Object> record = run(c, seed, lr, phase);
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            json.writeValue(tmp.toFile(), record);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            System.out.printf(Locale.ROOT, "  validation AP %.4f, %s s%n", valAp(record), record.get("train_seconds"));
            return record;
        }

        /**
         * Refuses a record made under another protocol or backbone than this runner's (a toy run written into the real
         * directory, say): every protocol setting the record holds must equal this runner's, and a setting it predates
         * must have its default value here (what the record's code did before the setting existed).
         */
        void checkReusable(Path file, Map<String, Object> record) throws IOException {
            Map<String, Object> now = json.readValue(json.writeValueAsString(p.describe()),
                    new TypeReference<Map<String, Object>>() { });
            Map<String, Object> defaults = json.readValue(json.writeValueAsString(new Protocol().describe()),
                    new TypeReference<Map<String, Object>>() { });
            Map<?, ?> then = (Map<?, ?>) record.get("protocol");
            for (Map.Entry<String, Object> e : now.entrySet()) {
                Object recorded = then == null ? null : then.get(e.getKey());
                boolean predates = then == null || !then.containsKey(e.getKey());
                Object expected = predates ? defaults.get(e.getKey()) : recorded;
                if (!java.util.Objects.equals(expected, e.getValue())) {
                    throw new IllegalStateException(file + " was made with " + e.getKey() + " = " + (predates
                            ? "its default " : "") + expected + ", not " + e.getValue() + ": move it away or use "
                            + "another output directory");
                }
            }
            Path zip = backboneDir.resolve("backbone.zip");
            if (record.get("backbone_sha256") != null && !Files.exists(zip)) {
                throw new IllegalStateException(file + " was made with a pretrained backbone, and " + zip + " is missing: "
                        + "restore it (a new one would mix two backbones in one directory)");
            }
            if (record.get("backbone_sha256") != null
                    && !record.get("backbone_sha256").equals(backboneSha != null ? backboneSha : sha256(zip))) {
                throw new IllegalStateException(file + " was made with another pretrained backbone than " + zip);
            }
        }

        private void load() throws IOException {
            if (trainItems != null) {
                return;
            }
            trainItems = FashionMnist.load(p.data, true);
            FashionMnist.Items testItems = FashionMnist.load(p.data, false);
            test = FashionCanvases.generate(testItems, p.testCanvases, p.size, p.minItems, p.maxItems, 16, 40, 0.3,
                    p.testSeed);
            testTruth = CocoDataset.of(test, FashionMnist.CLASS_NAMES);
            backbone = backboneDir.resolve("backbone.zip");
            if (!Files.exists(backbone)) {
                FashionDetector.Settings s = new FashionDetector.Settings();
                s.width = p.width;
                FashionMnist.Items items = p.pretrainItems > 0 ? trainItems.first(p.pretrainItems) : trainItems;
                long t0 = System.nanoTime();
                ComputationGraph classifier = FashionDetector.pretrainedBackbone(items, s, p.pretrainSeed);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("items", items.size());
                m.put("seed", p.pretrainSeed);
                m.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
                m.put("test_accuracy", FashionDetector.accuracy(classifier, testItems));
                Path tmp = backboneDir.resolve("backbone.zip.tmp");
                ModelSerializer.writeModel(classifier, tmp.toFile(), false);
                Files.move(tmp, backbone, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                json.writeValue(backboneDir.resolve("backbone.json").toFile(), m);
            }
            backboneSha = sha256(backbone);
        }

        /** The training and validation canvases of a run with {@code seed}: {train, val}. */
        DetectionImages[] canvases(long seed) throws IOException {
            load();
            DetectionImages all = FashionCanvases.generate(trainItems, p.trainCanvases + p.valCanvases, p.size, p.minItems,
                    p.maxItems, 16, 40, 0.3, seed);
            return new DetectionImages[] {all.subset(0, p.trainCanvases),
                all.subset(p.trainCanvases, p.trainCanvases + p.valCanvases)};
        }

        /** The test canvases and their COCO ground truth (the same for every run). */
        DetectionImages test() throws IOException {
            load();
            return test;
        }

        /** The detector of a run; {@code builder} may add to the protocol's settings (the plateau probe's remedies). */
        RetinaNet detector(Config c, long seed, double lr, int warmup, java.util.function.UnaryOperator<RetinaNet.Builder>
                builder) {
            return builder.apply(RetinaNet.builder().input(p.size, p.size, 1).classes(FashionMnist.CLASS_NAMES.size())
                    .backbone(Backbones.tiny(p.width)).anchors(AnchorPyramid.of(2, 8, 16))
                    .fpnChannels(2 * p.width).heads(2, 2 * p.width).prior(c.prior).classLoss(c.loss())
                    .boxBeta(p.boxBeta).normaliser(PositiveNormaliser.perBatch())
                    .updater(new Nesterovs(schedule(lr, p.iterations, warmup), p.momentum)).weightDecay(p.weightDecay)
                    .seed(seed)).build();
        }

        /** A new network of {@code retinaNet} with the pretrained backbone's weights. */
        ComputationGraph network(RetinaNet retinaNet) throws IOException {
            load();
            ComputationGraph net = retinaNet.network();
            Backbones.copyWeights(ModelSerializer.restoreComputationGraph(backbone.toFile(), false), net);
            return net;
        }

        /** The training batches of a run, prepared ahead: shuffled per epoch or in order, with the empty canvases. */
        AsyncMultiDataSetIterator batches(DetectionImages train, RetinaNet retinaNet, long seed) {
            org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator base = p.shuffle
                    ? train.shuffledIterator(retinaNet.targets(), p.batch, seed) : train.iterator(retinaNet.targets(), p.batch);
            if (p.emptyPerBatch > 0) {
                base.setPreProcessor(new EmptyCanvases(p.emptyPerBatch, retinaNet.targets(), train.channels()));
            }
            return new AsyncMultiDataSetIterator(base, 4, false);
        }

        /** The 12 COCO statistics of {@code net} on {@code images}. */
        Map<String, Object> evaluate(RetinaNet retinaNet, ComputationGraph net, DetectionImages images) {
            CocoDataset truth = images == test ? testTruth : CocoDataset.of(images, FashionMnist.CLASS_NAMES);
            return stats(CocoEvaluator.evaluate(truth, CocoDataset.results(FashionDetector.detect(retinaNet, net, images))));
        }

        private Map<String, Object> run(Config c, long seed, double lr, String phase) throws IOException {
            DetectionImages[] canvases = canvases(seed);
            DetectionImages train = canvases[0];
            DetectionImages val = canvases[1];
            RetinaNet retinaNet = detector(c, seed, lr, p.warmup, b -> b);
            ComputationGraph net = network(retinaNet);

            double[] losses = new double[p.iterations];             // as DL4J reports it: data + regularisation
            double[][] parts = new double[3][p.iterations];         // classification, box (data), regularisation
            double[] anchors = new double[2];                       // background, positive anchors (weighted)
            Integer divergedAt = null;
            long t0 = System.nanoTime();
            AsyncMultiDataSetIterator it = batches(train, retinaNet, seed);
            try {
                for (int step = 0; step < p.iterations; step++) {
                    org.nd4j.linalg.dataset.api.MultiDataSet batch = FashionDetector.nextCycling(it);
                    countAnchors(batch, FashionMnist.CLASS_NAMES.size(), anchors);
                    FashionDetector.StepLoss loss = FashionDetector.fit(net, batch);
                    losses[step] = net.score();
                    parts[0][step] = loss.classification();
                    parts[1][step] = loss.box();
                    parts[2][step] = loss.regularisation();
                    double data = parts[0][step] + parts[1][step];
                    if (!Double.isFinite(losses[step]) || data > p.divergenceFactor * (parts[0][0] + parts[1][0])) {
                        divergedAt = step;
                        losses = Arrays.copyOf(losses, step + 1);
                        for (int i = 0; i < 3; i++) {
                            parts[i] = Arrays.copyOf(parts[i], step + 1);
                        }
                        break;
                    }
                    if ((step + 1) % 50 == 0) {
                        System.out.printf(Locale.ROOT, "  step %d loss %.4f (classification %.4f, box %.4f)%n", step + 1,
                                losses[step], parts[0][step], parts[1][step]);
                    }
                }
            } finally {
                it.shutdown();
            }
            if (divergedAt == null && !(finite(net.params())
                    && finite(net.output(false, val.images(0, Math.min(50, val.size())))[0]))) {
                divergedAt = p.iterations;                       // the last update made the network non-finite
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            Map<String, Object> valStats;
            Map<String, Object> testStats;
            Map<String, Object> perClass = new LinkedHashMap<>();
            Map<String, Object> anchorScores = null;
            if (divergedAt == null) {
                valStats = evaluate(retinaNet, net, val);
                CocoEvaluator.Stats t = CocoEvaluator.evaluate(testTruth,
                        CocoDataset.results(FashionDetector.detect(retinaNet, net, test)));
                testStats = stats(t);
                for (int k = 0; k < FashionMnist.CLASS_NAMES.size(); k++) {
                    perClass.put(FashionMnist.CLASS_NAMES.get(k), round(t.category(k + 1), 4));
                }
                anchorScores = RetinaNetReport.anchorScores(retinaNet, net, test);
                if (p.figure4 && c.equals(FL_2) && seed == p.seeds[0]) {
                    RetinaNetReport.writeFigure4Data(dir.resolve("figure4").resolve("lr" + fmt(lr) + ".csv"),
                            retinaNet, net, test, seed, lr);
                }
            } else {
                valStats = null;                                    // a diverged network is not evaluated
                testStats = null;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("config", c.id);
            m.put("name", c.name);
            m.put("family", c.family);
            m.put("loss", c.loss().toString());
            m.put("alpha", c.alpha);
            m.put("gamma", c.gamma);
            m.put("beta", Double.isNaN(c.beta) ? null : c.beta);
            m.put("prior", c.prior);
            m.put("seed", seed);
            m.put("phase", phase);
            m.put("learning_rate", lr);
            m.put("protocol", p.describe());
            m.put("optimizer", "Nesterov SGD, momentum " + p.momentum + ", weight decay " + p.weightDecay + " (× lr); "
                    + "warm-up from lr/3 over " + p.warmup + " iterations, ÷10 at " + decayPoints(p.iterations, p.warmup)[0]
                    + " and " + decayPoints(p.iterations, p.warmup)[1]);
            m.put("normaliser", "positive anchors of the batch, both losses");
            m.put("backbone_sha256", backboneSha);
            m.put("diverged_at", divergedAt);
            m.put("train_seconds", Math.round(trainSeconds * 10) / 10.0);
            m.put("eval_seconds", Math.round((System.nanoTime() - t1) / 1e8) / 10.0);
            m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            m.put("cpu", FashionDetector.cpu() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
            m.put("nd4j_build", FashionDetector.nd4jBuild());                        // oneDNN or not: the step time
            m.put("nd4j_threads", FashionDetector.nd4jThreads());
            // whether DL4J's convolution layers ran on oneDNN (absent: records made before the helpers were restored)
            m.put("dl4j_onednn_helpers", net.getLayer("backbone_conv1").getHelper() != null);
            m.put("cache_mode", net.getLayer("backbone_conv1").conf().getCacheMode().toString());
            // the losses' fused kernel uses the Vector API when the JVM has its module (docs/performance.md)
            m.put("vector_api_module", ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
            m.put("val", valStats);
            m.put("test", testStats);
            m.put("test_per_class_ap_ap50_ap75", perClass);
            m.put("test_anchor_scores", anchorScores);
            if (p.curveEvery == 1) {
                m.put("loss_curve", round(losses, 5));
            }
            m.put("class_loss_curve", round(blockMeans(parts[0], p.curveEvery), 5));
            m.put("box_loss_curve", round(blockMeans(parts[1], p.curveEvery), 5));
            m.put("regularisation_curve", round(blockMeans(parts[2], p.curveEvery), 5));
            Map<String, Object> first = new LinkedHashMap<>();
            first.put("classification", parts[0][0]);
            first.put("box", parts[1][0]);
            first.put("regularisation", parts[2][0]);
            m.put("first_losses", first);
            m.put("neg_pos_anchors", round(new double[] {anchors[0] / anchors[1]}, 2)[0]);
            // anchor-class entries: a background anchor gives K negative entries, a positive one 1 positive and K − 1
            int k = FashionMnist.CLASS_NAMES.size();
            m.put("neg_pos_entries", round(new double[] {(anchors[0] * k + anchors[1] * (k - 1)) / anchors[1]}, 2)[0]);
            Nd4j.getMemoryManager().invokeGc();
            return m;
        }

        /**
         * Adds the batch's background and positive anchors to {@code counts}, each weighted by its image's entry of the
         * class labels' per-image mask (an empty canvas standing for E); ignored anchors count in neither.
         */
        static void countAnchors(org.nd4j.linalg.dataset.api.MultiDataSet batch, int k, double[] counts) {
            INDArray classes = batch.getLabels(0);                                        // [B, A, M] class indices
            INDArray[] masks = batch.getLabelsMaskArrays();
            double[] weights = masks == null || masks[0] == null ? null : masks[0].castTo(
                    org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
            long perImage = classes.length() / classes.size(0);
            double[] c = classes.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
            for (int i = 0; i < c.length; i++) {
                double w = weights == null ? 1 : weights[(int) (i / perImage)];
                if (c[i] == k) {
                    counts[0] += w;
                } else if (c[i] >= 0) {
                    counts[1] += w;
                }
            }
        }

        private static Map<String, Object> stats(CocoEvaluator.Stats s) {
            Map<String, Object> m = new LinkedHashMap<>();
            double[] v = s.values();
            for (int i = 0; i < v.length; i++) {
                m.put(CocoEvaluator.STAT_NAMES.get(i), Math.round(v[i] * 1e6) / 1e6);
            }
            return m;
        }
    }

    /** Whether every value of {@code a} is finite. */
    static boolean finite(INDArray a) {
        return !org.nd4j.linalg.indexing.BooleanIndexing.or(a, org.nd4j.linalg.indexing.conditions.Conditions.notFinite());
    }

    /** Means of {@code v} over consecutive blocks of {@code block} values (the last block may be shorter). */
    static double[] blockMeans(double[] v, int block) {
        double[] out = new double[(v.length + block - 1) / block];
        for (int b = 0; b < out.length; b++) {
            int end = Math.min(v.length, (b + 1) * block);
            double sum = 0;
            for (int i = b * block; i < end; i++) {
                sum += v[i];
            }
            out[b] = sum / (end - b * block);
        }
        return out;
    }

    static double[] round(double[] v, int digits) {
        double scale = Math.pow(10, digits);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            // (only where the scaled value fits a long: Math.round clamps to Long.MAX_VALUE beyond)
            out[i] = Double.isFinite(v[i]) && Math.abs(v[i] * scale) < 1e15 ? Math.round(v[i] * scale) / scale : v[i];
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
