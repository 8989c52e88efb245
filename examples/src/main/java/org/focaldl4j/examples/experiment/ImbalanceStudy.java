package org.focaldl4j.examples.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.focaldl4j.examples.FashionDetector;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Config;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Protocol;
import org.focaldl4j.examples.experiment.RetinaNetExperiment.Runner;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * When does focal loss pay off? α-CE against FL (γ 2, α 0.25) along the imbalance axis, under protocol v2
 * (docs/experiments.md, docs/results/imbalance/protocol.json): the experiment's detector and canvases, with E empty
 * canvases joined to every training batch ({@link EmptyCanvases}) or larger canvases, the training canvases reshuffled
 * every epoch, data losses recorded apart from regularisation.
 *
 * <p>Two stages, each resumable from its records (a run whose record exists is not run again):
 * <ol>
 *   <li><b>schedule</b>: at levels e0 and e4032, CE α 0.75 and FL at the rate their grid chooses at 900 iterations,
 *       seed 1, also at 1800 and (when needed) 3600; the schedule is the shortest candidate whose doubling raises
 *       validation AP by less than max(0.005, 5 % of the shorter one's) for all four, else the longest (schedule.json);</li>
 *   <li><b>levels</b>: at each level, at that schedule, each family's rate on its grid (seed 1), CE α ∈ {0.25, 0.5}
 *       at CE's rate, the best CE α by validation AP and FL at seeds 2 and 3; at e4032 also FL γ ∈ {0.5, 1, 5},
 *       FL* (2, 1) at FL's rate and the best CE α without the prior at CE's rate; then, for the mechanisms, each
 *       family's rate doubled above the grid while it trains ({@link #aboveTheGrid}).</li>
 *   <li><b>convergence</b> (after the levels): when no candidate was flat, the schedule stage's four runs at twice the
 *       longest candidate ({@link #convergenceCheck}); it chooses nothing.</li>
 * </ol>
 * Records: {@code out}/runs/LEVEL/itN/records/CONFIG_sSEED_lrRATE.json.
 *
 * <p>{@code mvn -B -q -pl examples exec:java -Dexec.mainClass=org.focaldl4j.examples.experiment.ImbalanceStudy}
 * [{@code -Dexec.args="key=value …"}]: {@code out} (docs/results/imbalance), {@code backbone} (the directory of the
 * pretrained backbone.zip: docs/results/retinanet, the first protocol's; made there if absent), {@code stage} (all,
 * schedule, levels or convergence), {@code levels} (all, in the order below), {@code families} (CE, FL or CE,FL, the
 * default: the families whose runs the levels stage makes, so that two processes can share a level; one family only
 * with stage=levels, and a level's choices.json only from a process that makes both), {@code minutes} (start no run
 * after this many
 * minutes: a sitting's budget; run again to resume), {@code iterations} (skip the schedule stage and use this
 * schedule: for tests), {@code schedules} (the candidates, 900,1800,3600: for tests), {@code report}
 * (true: only regenerate the report, {@link ImbalanceReport}), {@code grid}, {@code train}, {@code val}, {@code test}, {@code data}, {@code pretrain}.
 */
public final class ImbalanceStudy {

    /** A point of the imbalance axis. */
    record Level(String id, String knob, int canvas, int minItems, int maxItems, int emptyPerBatch) {
    }

    /** The levels, in the order they are run. */
    static final List<Level> LEVELS = List.of(
            new Level("e0", "empty canvases", 64, 1, 4, 0),
            new Level("e4032", "empty canvases", 64, 1, 4, 4032),
            new Level("e240", "empty canvases", 64, 1, 4, 240),
            new Level("e1008", "empty canvases", 64, 1, 4, 1008),
            new Level("e48", "empty canvases", 64, 1, 4, 48),
            new Level("c128", "natural background", 128, 1, 4, 0),
            new Level("c128-one", "natural background", 128, 1, 1, 0));

    /** The protocol's learning-rate grid and the halvings below it, at most. */
    static final double[] GRID = {0.0025, 0.005, 0.01, 0.02};
    static final int MAX_HALVINGS = 4;

    /** The protocol's schedule candidates, each the double of the one before. */
    static final int[] SCHEDULES = {900, 1800, 3600};
    static final List<String> SCHEDULE_LEVELS = List.of("e0", "e4032");
    static final Config CE = RetinaNetExperiment.CE_075;
    static final Config FL = RetinaNetExperiment.FL_2;
    static final double PI = RetinaNetExperiment.PI;
    /** The two loss families the study compares, by {@link Config#family()}. */
    static final List<String> FAMILIES = List.of("CE", "FL");

    /** Thrown when the sitting's budget is spent before a run would start. */
    static final class BudgetSpent extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetSpent(String message) {
            super(message);
        }
    }

    private final Protocol base;
    private final Path out;
    private final Path backboneDir;
    private final long deadline;
    private final int[] schedules;
    private final List<String> families;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    ImbalanceStudy(Protocol base, Path out, Path backboneDir, long deadlineNanos, int[] schedules) {
        this(base, out, backboneDir, deadlineNanos, schedules, FAMILIES);
    }

    /** {@code families}: the loss families whose runs the levels stage makes (see {@link #level}). */
    ImbalanceStudy(Protocol base, Path out, Path backboneDir, long deadlineNanos, int[] schedules,
                   List<String> families) {
        this.families = List.copyOf(families);
        this.schedules = schedules;
        this.base = base;
        this.out = out;
        this.backboneDir = backboneDir;
        this.deadline = deadlineNanos;
    }

    public static void main(String[] args) throws IOException {
        Protocol p = new Protocol();
        p.grid = GRID;
        Path out = Paths.get("docs/results/imbalance");
        Path backbone = Paths.get("docs/results/retinanet");
        String stage = "all";
        List<Level> levels = LEVELS;
        double minutes = Double.POSITIVE_INFINITY;
        Integer iterations = null;
        int[] schedules = SCHEDULES;
        boolean reportOnly = false;
        List<String> families = FAMILIES;
        for (Map.Entry<String, String> e : Arguments.parse(args).entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (!k.equals("iterations") && !k.equals("warmup") && Arguments.protocol(p, k, v)) {
                continue;
            }
            switch (k) {
                case "out" -> out = Paths.get(v);
                case "backbone" -> backbone = Paths.get(v);
                case "stage" -> stage = switch (v) {
                    case "all", "schedule", "levels", "convergence" -> v;
                    default -> throw new IllegalArgumentException("stage is all, schedule, levels or convergence; got \""
                            + v + "\"");
                };
                case "levels" -> levels = Arrays.stream(v.split(",")).map(ImbalanceStudy::level).toList();
                case "minutes" -> minutes = Arguments.positive(k, v);
                case "iterations" -> iterations = Arguments.atLeast(k, v, 1);
                case "schedules" -> schedules = Arguments.integers(k, v, 1);
                case "report" -> reportOnly = Arguments.bool(k, v);
                case "families" -> families = families(v);
                default -> throw new IllegalArgumentException("unknown argument \"" + k + "\"");
            }
        }
        if (families.size() < FAMILIES.size() && !stage.equals("levels")) {      // FL,CE is both
            throw new IllegalArgumentException("families=" + String.join(",", families) + " needs stage=levels: the "
                    + "schedule and convergence stages make both families' runs; got stage=" + stage);
        }
        if (iterations != null && stage.equals("schedule")) {
            throw new IllegalArgumentException("iterations=N replaces the schedule stage; it cannot be run with it");
        }
        for (int i = 1; i < schedules.length; i++) {
            if (schedules[i] != 2 * schedules[i - 1]) {
                throw new IllegalArgumentException("schedules: each candidate must double the one before; got "
                        + Arrays.toString(schedules));
            }
        }
        FashionDetector.oneNd4jThread();                               // the recommended set-up (docs/performance.md)
        FashionDetector.dl4jOneDnnHelpers();
        long deadline = Double.isInfinite(minutes) ? Long.MAX_VALUE : System.nanoTime() + (long) (minutes * 60e9);
        ImbalanceStudy study = new ImbalanceStudy(p, out, backbone, deadline, schedules, families);
        if (reportOnly) {
            report(out);
            return;
        }
        try {
            int schedule = iterations != null ? iterations : stage.equals("levels") || stage.equals("convergence")
                    ? study.decidedSchedule() : study.schedule();
            if (stage.equals("all") || stage.equals("levels")) {
                for (Level level : levels) {
                    study.level(level, schedule);
                }
            }
            if (iterations == null && (stage.equals("all") || stage.equals("convergence"))) {
                study.convergenceCheck();                            // after the levels: it chooses nothing
            }
            System.out.println("the study's runs are all recorded");
        } catch (BudgetSpent e) {
            System.out.println(e.getMessage());
        }
        report(out);
    }

    private static void report(Path out) throws IOException {
        System.out.println(ImbalanceReport.write(out) ? "report: " + out.resolve("table.md") + ", "
                + out.resolve("fl_minus_ce.png") : "no report: the schedule stage has not finished");
    }

    /** The {@code families} argument: CE, FL or both, comma-separated, each once. */
    static List<String> families(String value) {
        List<String> f = Arrays.asList(value.split(",", -1));
        if (!FAMILIES.containsAll(f) || f.stream().distinct().count() != f.size()) {
            throw new IllegalArgumentException("families is CE, FL or CE,FL (each once); got \"" + value + "\"");
        }
        return f;
    }

    static Level level(String id) {
        return LEVELS.stream().filter(l -> l.id.equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "no level \"" + id + "\"; the levels are " + LEVELS.stream().map(Level::id).toList()));
    }

    /** The protocol of {@code level} at {@code iterations}: the base with the level's canvases and protocol v2's rules. */
    Protocol protocol(Level level, int iterations) {
        Protocol p = new Protocol();
        p.size = level.canvas;
        p.minItems = level.minItems;
        p.maxItems = level.maxItems;
        p.emptyPerBatch = level.emptyPerBatch;
        p.trainCanvases = base.trainCanvases;
        p.valCanvases = base.valCanvases;
        p.testCanvases = base.testCanvases;
        p.data = base.data;
        p.pretrainItems = base.pretrainItems;
        p.grid = base.grid;
        p.iterations = iterations;
        p.warmup = Math.max(1, (int) Math.round(iterations / 9.0));
        p.shuffle = true;
        p.divergenceFactor = 10;
        p.maxExtensions = MAX_HALVINGS;
        p.curveEvery = Math.max(1, iterations / 360);
        p.figure4 = false;
        return p;
    }

    Runner runner(Level level, int iterations) {
        Runner r = new Runner(protocol(level, iterations), out.resolve("runs").resolve(level.id).resolve("it" + iterations),
                backboneDir);
        r.beforeRun(() -> {
            if (System.nanoTime() > deadline) {
                throw new BudgetSpent("the sitting's budget is spent; run the same command again to resume");
            }
        });
        return r;
    }

    /** Stage 1: the schedule by doubling (see the class comment); writes schedule.json. */
    int schedule() throws IOException {
        Map<String, Double[]> ap = new LinkedHashMap<>();     // (level, configuration) → val AP per candidate (null: not run)
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String id : SCHEDULE_LEVELS) {
            for (Config c : List.of(CE, FL)) {
                double lr = runner(level(id), schedules[0]).bestRate(c, 1);
                rates.put(id + " " + c.id(), lr);
                Double[] v = new Double[schedules.length];
                v[0] = apAt(id, c, lr, 0);
                ap.put(id + " " + c.id(), v);
            }
        }
        int chosen = schedules[schedules.length - 1];
        for (int s = 0; s + 1 < schedules.length; s++) {
            boolean flat = true;
            for (Map.Entry<String, Double[]> e : ap.entrySet()) {
                String[] key = e.getKey().split(" ");
                Double[] v = e.getValue();
                v[s + 1] = apAt(key[0], RetinaNetExperiment.config(key[1]), rates.get(e.getKey()), s + 1);
                flat &= v[s + 1] - v[s] < Math.max(0.005, 0.05 * v[s]);
            }
            if (flat) {
                chosen = schedules[s];
                break;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("candidates", schedules);
        m.put("rule", "the shortest candidate whose doubling raises validation AP by less than max(0.005, 5 % of the "
                + "shorter candidate's AP) for all four (level, configuration) pairs; the longest if none");
        m.put("grid", base.grid);
        m.put("max_halvings", MAX_HALVINGS);
        m.put("learning_rates", rates);
        m.put("validation_ap", ap);
        m.put("schedule", chosen);
        json.writeValue(out.resolve("schedule.json").toFile(), m);
        System.out.println("schedule: " + chosen + " iterations");
        return chosen;
    }

    /**
     * When no candidate was flat (the schedule is the longest), the four pairs of the schedule stage once more at twice
     * the longest candidate, seed 1, validation only (protocol.json, "convergence_check"): how far from converged the
     * study's schedule is. Changes no choice; written to convergence.json.
     */
    void convergenceCheck() throws IOException {
        Path file = out.resolve("schedule.json");
        Map<?, ?> schedule = json.readValue(file.toFile(), Map.class);
        int longest = schedules[schedules.length - 1];
        if (((Number) schedule.get("schedule")).intValue() != longest) {
            return;                                                        // a shorter schedule was flat already
        }
        Map<String, Object> ap = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) schedule.get("learning_rates")).entrySet()) {
            String[] key = ((String) e.getKey()).split(" ");
            double lr = ((Number) e.getValue()).doubleValue();
            Map<String, Object> r = runner(level(key[0]), 2 * longest).ensure(RetinaNetExperiment.config(key[1]), 1, lr,
                    "convergence");
            ap.put((String) e.getKey(), Runner.valAp(r));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iterations", 2 * longest);
        m.put("validation_ap", ap);
        m.put("validation_ap_at_the_schedule", schedule.get("validation_ap"));
        json.writeValue(out.resolve("convergence.json").toFile(), m);
    }

    private double apAt(String level, Config c, double lr, int candidate) throws IOException {
        return Runner.valAp(runner(level(level), schedules[candidate]).ensure(c, 1, lr, candidate == 0 ? "grid"
                : "schedule"));
    }

    /** The schedule stage's decision, from schedule.json (refused when the stage has not finished). */
    int decidedSchedule() throws IOException {
        Path file = out.resolve("schedule.json");
        if (!Files.exists(file)) {
            throw new IllegalStateException(file + " does not exist: run stage=schedule first");
        }
        return ((Number) json.readValue(file.toFile(), Map.class).get("schedule")).intValue();
    }

    /** Doublings of the rate above the grid's largest, at most this many. */
    static final int MAX_DOUBLINGS = 2;

    /**
     * The largest rate that trains (protocol.json, "mechanisms"): while the largest rate run so far at seed 1 trains, a
     * run at twice it (at most {@value #MAX_DOUBLINGS} doublings); a run fails when it diverges or its validation AP is
     * below half the chosen rate's (the family's best at this level). These runs choose nothing.
     */
    void aboveTheGrid(Runner r, Config c, double chosenRate) throws IOException {
        double largest = Arrays.stream(base.grid).max().orElseThrow();
        double best = Runner.valAp(r.ensure(c, 1, chosenRate, "grid"));          // the family's best at this level
        Map<String, Object> last = r.ensure(c, 1, largest, "grid");
        for (int d = 1; d <= MAX_DOUBLINGS && trains(last, best); d++) {
            last = r.ensure(c, 1, largest * Math.pow(2, d), "above");
        }
    }

    /** Whether a run trained: not diverged, and validation AP at least half the family's best. */
    static boolean trains(Map<String, Object> record, double bestAp) {
        return record.get("diverged_at") == null && Runner.valAp(record) >= bestAp / 2;
    }

    /**
     * Stage 2 at one level (see the class comment), for the families this study makes: CE's rate grid, its α at that
     * rate, the best α's seeds 2 and 3, its extra at e4032 and its runs above the grid; then FL's. The two families
     * share no run, so two processes, one per family, can make a level together; the level's choices.json is written
     * by a process that makes both (with every run recorded, that starts no run).
     */
    void level(Level level, int iterations) throws IOException {
        System.out.println("level " + level.id + " at " + iterations + " iterations, families " + families);
        Runner r = runner(level, iterations);
        Double ceRate = null;
        Config bestCe = null;
        if (families.contains("CE")) {
            ceRate = r.bestRate(CE, 1);
            double bestAp = Double.NEGATIVE_INFINITY;
            for (double alpha : new double[] {0.25, 0.5, 0.75}) {      // ascending α: ties go to the smaller
                Config c = Config.ce(alpha, PI);
                double ap = Runner.valAp(r.ensure(c, 1, ceRate, alpha == 0.75 ? "grid" : "alpha"));
                if (ap > bestAp) {
                    bestAp = ap;
                    bestCe = c;
                }
            }
            for (long seed : new long[] {2, 3}) {
                r.ensure(bestCe, seed, ceRate, "seeds");
            }
            if (level.emptyPerBatch == 4032) {
                r.ensure(Config.ce(bestCe.alpha(), 0.5), 1, ceRate, "extras");
            }
            aboveTheGrid(r, CE, ceRate);
        }
        Double flRate = null;
        if (families.contains("FL")) {
            flRate = r.bestRate(FL, 1);
            for (long seed : new long[] {2, 3}) {
                r.ensure(FL, seed, flRate, "seeds");
            }
            if (level.emptyPerBatch == 4032) {
                for (Config c : List.of(Config.fl(0.5, 0.25, PI), Config.fl(1, 0.25, PI), Config.fl(5, 0.25, PI),
                        Config.star(2, 1))) {
                    r.ensure(c, 1, flRate, "extras");
                }
            }
            aboveTheGrid(r, FL, flRate);
        }
        if (ceRate == null || flRate == null) {
            System.out.println("level " + level.id + ": " + families + " done; choices.json needs both families");
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("level", level.id);
        m.put("iterations", iterations);
        m.put("ce_rate", ceRate);
        m.put("fl_rate", flRate);
        m.put("best_ce", bestCe.id());
        json.writeValue(out.resolve("runs").resolve(level.id).resolve("it" + iterations).resolve("choices.json").toFile(), m);
        System.out.printf(Locale.ROOT, "level %s done: CE rate %s, FL rate %s, best CE %s%n", level.id,
                RetinaNetExperiment.fmt(ceRate), RetinaNetExperiment.fmt(flRate), bestCe.name());
    }
}
