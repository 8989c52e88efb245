package org.focaldl4j.examples;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.focaldl4j.detection.AnchorTargets;
import org.focaldl4j.loss.FocalInit;
import org.focaldl4j.loss.LossFocal;
import org.focaldl4j.loss.LossFocalStar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.SerializationFeature;

/**
 * The dense-detection experiments of the README: every configuration below trained with
 * {@link DenseDetectionDemo}'s detector and default {@link DenseDetectionDemo.Settings} for each seed,
 * then scored by AP50 on 256 held-out images. Writes into {@code docs/results/} (or the directory
 * given as second argument):
 * <ul>
 *   <li>{@code dense_detection.json}: one record per run (loss, α, γ, β, prior, seed, AP50 per class
 *       and mean, train seconds, first and last epoch loss). Runs already in the file are not run
 *       again, so an interrupted job resumes where it stopped; delete the file to start over.</li>
 *   <li>{@code dense_detection.md}: the table, mean ± sample s.d. and range over seeds.</li>
 *   <li>{@code dense_detection_map50.png}, {@code gamma_sweep.png}: the plots.</li>
 *   <li>{@code figure4_loss_cdf.csv}, {@code figure4_positive.png}, {@code figure4_negative.png}:
 *       the paper's Figure 4 ({@link LossCdf}) from the FL (γ = 2, α = 0.25) model of the first seed.</li>
 * </ul>
 *
 * <p>{@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.DenseDetectionExperiments
 * [-Dexec.args="1,2,3 docs/results"]} (39 runs of about 2 minutes each on 2 cores). Two more arguments,
 * {@code EPOCHS IMAGES}, shrink every run for a smoke test of the pipeline.
 */
public final class DenseDetectionExperiments {

    /** One experimental configuration. */
    static final class Config {
        final String id;
        final String loss;
        final double alpha;
        final double gamma;
        final double beta;
        final double prior;
        final Supplier<ILossFunction> factory;
        /** Adam's learning rate for this configuration; NaN: the settings' default. */
        final double learningRate;

        Config(String id, String loss, double alpha, double gamma, double beta, double prior,
               Supplier<ILossFunction> factory) {
            this(id, loss, alpha, gamma, beta, prior, factory, Double.NaN);
        }

        Config(String id, String loss, double alpha, double gamma, double beta, double prior,
               Supplier<ILossFunction> factory, double learningRate) {
            this.id = id;
            this.learningRate = learningRate;
            this.loss = loss;
            this.alpha = alpha;
            this.gamma = gamma;
            this.beta = beta;
            this.prior = prior;
            this.factory = factory;
        }

        static Config focal(String id, double alpha, double gamma, double prior) {
            return new Config(id, gamma == 0 ? "CE" : "FL", alpha, gamma, Double.NaN, prior,
                    () -> new LossFocal(alpha, gamma));
        }

        static Config star(String id, double alpha, double gamma, double beta) {
            return new Config(id, "FL*", alpha, gamma, beta, FocalInit.DEFAULT_PRIOR,
                    () -> new LossFocalStar(alpha, gamma, beta));
        }

        /** The same configuration trained with another learning rate, its id suffixed "lr …". */
        Config withLearningRate(String suffix, double lr) {
            return new Config(id + " " + suffix, loss, alpha, gamma, beta, prior, factory, lr);
        }

        double learningRate(DenseDetectionDemo.Settings defaults) {
            return Double.isNaN(learningRate) ? defaults.learningRate : learningRate;
        }
    }

    static final double PI = FocalInit.DEFAULT_PRIOR;
    static final String FIGURE4_CONFIG = "FL γ=2 α=0.25";

    private static final Config CE_05 = Config.focal("CE α=0.5", 0.5, 0, PI);
    private static final Config CE_075 = Config.focal("CE α=0.75", 0.75, 0, PI);
    private static final Config FL_2 = Config.focal(FIGURE4_CONFIG, 0.25, 2, PI);
    private static final Config FL_STAR = Config.star("FL* γ=2 β=1 α=0.25", 0.25, 2, 1);

    /**
     * α-balanced CE over α (the paper's Table 1a), FL over γ with the paper's best α for each γ
     * (Table 1b; γ = 0 is the α = 0.75 CE run), FL* and CE without the prior bias, all at the default
     * Adam 1e-2; then the two best CE runs, FL γ = 2 and FL* again at Adam 3e-3 (a learning-rate check:
     * at 1e-2 FL with γ = 2 failed to learn on one seed in three).
     */
    static final List<Config> CONFIGS = List.of(
            Config.focal("CE α=0.25", 0.25, 0, PI),
            CE_05,
            CE_075,
            Config.focal("FL γ=0.5 α=0.5", 0.5, 0.5, PI),
            Config.focal("FL γ=1 α=0.25", 0.25, 1, PI),
            FL_2,
            Config.focal("FL γ=5 α=0.25", 0.25, 5, PI),
            FL_STAR,
            Config.focal("CE α=0.75 no prior", 0.75, 0, 0.5),
            CE_05.withLearningRate("lr 3e-3", 3e-3),
            CE_075.withLearningRate("lr 3e-3", 3e-3),
            FL_2.withLearningRate("lr 3e-3", 3e-3),
            FL_STAR.withLearningRate("lr 3e-3", 3e-3));

    /** The γ sweep: config ids in γ order. */
    static final List<String> GAMMA_SWEEP = List.of("CE α=0.75", "FL γ=0.5 α=0.5", "FL γ=1 α=0.25", FIGURE4_CONFIG,
            "FL γ=5 α=0.25");

    static final String[] CLASS_NAMES = {"square", "h_bar", "v_bar"};

    private DenseDetectionExperiments() {
    }

    public static void main(String[] args) throws IOException {
        long[] seeds = Arrays.stream((args.length > 0 ? args[0] : "1,2,3").split(",")).mapToLong(Long::parseLong).toArray();
        Path dir = Paths.get(args.length > 1 ? args[1] : "docs/results");
        Files.createDirectories(dir);
        Path json = dir.resolve("dense_detection.json");
        List<Map<String, Object>> records = read(json);
        DenseDetectionDemo.Settings settings = new DenseDetectionDemo.Settings();
        if (args.length > 2) {                       // a smoke run: fewer epochs and images
            settings.epochs(Integer.parseInt(args[2]));
            settings.trainImages = Integer.parseInt(args[3]);
            settings.testImages = Integer.parseInt(args[3]);
        }
        double defaultLr = settings.learningRate;
        int total = CONFIGS.size() * seeds.length;
        int done = 0;
        for (long seed : seeds) {
            for (Config c : CONFIGS) {
                done++;
                boolean figure4 = c.id.equals(FIGURE4_CONFIG) && seed == seeds[0];
                if (find(records, c.id, seed) != null && !(figure4 && !Files.exists(dir.resolve("figure4_loss_cdf.csv")))) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "run %d/%d: %s, seed %d%n", done, total, c.id, seed);
                settings.prior(c.prior);
                settings.learningRate(Double.isNaN(c.learningRate) ? defaultLr : c.learningRate);
                DenseDetectionDemo.Result r = DenseDetectionDemo.run(c.id + " s" + seed, c.factory.get(), settings, seed);
                records.removeIf(m -> m.get("config").equals(c.id) && ((Number) m.get("seed")).longValue() == seed);
                records.add(record(c, seed, settings, r));
                write(json, records);
                if (figure4) {
                    figure4(r, settings, seed, dir);
                }
            }
        }
        settings.learningRate(defaultLr);
        writeTable(dir.resolve("dense_detection.md"), records, settings);
        plots(dir, records);
        System.out.println("wrote " + records.size() + " runs and the table and plots to " + dir.toAbsolutePath().normalize());
    }

    static Map<String, Object> record(Config c, long seed, DenseDetectionDemo.Settings s, DenseDetectionDemo.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", c.id);
        m.put("loss", c.loss);
        m.put("alpha", c.alpha);
        m.put("gamma", c.gamma);
        m.put("beta", Double.isNaN(c.beta) ? null : c.beta);
        m.put("prior", c.prior);
        m.put("seed", seed);
        Map<String, Object> ap = new LinkedHashMap<>();
        for (int k = 0; k < CLASS_NAMES.length; k++) {
            ap.put(CLASS_NAMES[k], round(r.ap50[k]));
        }
        m.put("ap50", ap);
        m.put("map50", round(r.meanAp50));
        m.put("train_seconds", Math.round(r.trainSeconds * 10) / 10.0);
        m.put("epochs", s.epochs);
        m.put("learning_rate", s.learningRate);
        m.put("train_images", s.trainImages);
        m.put("test_images", s.testImages);
        m.put("first_epoch_loss", round(r.firstLoss()));
        m.put("last_epoch_loss", round(r.lastLoss()));
        return m;
    }

    static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
    }

    static List<Map<String, Object>> read(Path json) throws IOException {
        if (!Files.exists(json)) {
            return new ArrayList<>();
        }
        return new ObjectMapper().readValue(json.toFile(), new TypeReference<List<Map<String, Object>>>() { });
    }

    static void write(Path json, List<Map<String, Object>> records) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), records);
    }

    static Map<String, Object> find(List<Map<String, Object>> records, String config, long seed) {
        for (Map<String, Object> m : records) {
            if (m.get("config").equals(config) && ((Number) m.get("seed")).longValue() == seed) {
                return m;
            }
        }
        return null;
    }

    /** Mean AP50 of each run of one configuration, in record order. */
    static double[] values(List<Map<String, Object>> records, String config, String key, String cls) {
        return records.stream().filter(m -> m.get("config").equals(config)).mapToDouble(m -> {
            Object v = cls == null ? m.get(key) : ((Map<?, ?>) m.get(key)).get(cls);
            return ((Number) v).doubleValue();
        }).toArray();
    }

    /** {mean, sample s.d. (0 for one value), min, max}. */
    static double[] summary(double[] v) {
        double mean = Arrays.stream(v).average().orElse(Double.NaN);
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        double sd = v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0;
        return new double[] {mean, sd, Arrays.stream(v).min().orElse(Double.NaN), Arrays.stream(v).max().orElse(Double.NaN)};
    }

    static void writeTable(Path file, List<Map<String, Object>> records, DenseDetectionDemo.Settings s) throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            out.printf(Locale.ROOT, "Dense detection on synthetic 48×48 images (K = 3), %d train / %d test images, "
                    + "%d epochs, Adam (learning rate per row), batch %d. AP50 on the test images; mean ± sample s.d. "
                    + "[min–max] over seeds. Written by DenseDetectionExperiments.%n%n", s.trainImages, s.testImages,
                    s.epochs, s.batch);
            out.println("| configuration | seeds | Adam lr | mAP50 | square | h-bar | v-bar | first → last epoch loss | train s |");
            out.println("|---|---:|---:|---|---:|---:|---:|---|---:|");
            for (Config c : CONFIGS) {
                double[] map = values(records, c.id, "map50", null);
                if (map.length == 0) {
                    continue;
                }
                double[] m = summary(map);
                out.printf(Locale.ROOT, "| %s | %d | %.0e | %.3f ± %.3f [%.3f–%.3f] | %.3f | %.3f | %.3f | %.3f → %.3f | %.0f |%n",
                        c.id, map.length, c.learningRate(s), m[0], m[1], m[2], m[3],
                        summary(values(records, c.id, "ap50", CLASS_NAMES[0]))[0],
                        summary(values(records, c.id, "ap50", CLASS_NAMES[1]))[0],
                        summary(values(records, c.id, "ap50", CLASS_NAMES[2]))[0],
                        summary(values(records, c.id, "first_epoch_loss", null))[0],
                        summary(values(records, c.id, "last_epoch_loss", null))[0],
                        summary(values(records, c.id, "train_seconds", null))[0]);
            }
        }
    }

    static void plots(Path dir, List<Map<String, Object>> records) throws IOException {
        List<String> names = new ArrayList<>();
        List<Double> means = new ArrayList<>();
        List<Double> sds = new ArrayList<>();
        for (Config c : CONFIGS) {
            double[] map = values(records, c.id, "map50", null);
            if (map.length > 0) {
                double[] m = summary(map);
                names.add(c.id);
                means.add(m[0]);
                sds.add(m[1]);
            }
        }
        if (names.isEmpty()) {
            return;
        }
        CategoryChart bars = new CategoryChartBuilder().width(960).height(480)
                .title("mAP50 per configuration (mean ± s.d. over seeds)").yAxisTitle("mAP50").build();
        bars.getStyler().setXAxisLabelRotation(30);
        bars.getStyler().setYAxisMin(0.0).setYAxisMax(1.0).setYAxisDecimalPattern("0.0#");
        bars.getStyler().setChartBackgroundColor(Color.WHITE).setLegendVisible(false);
        bars.addSeries("mAP50", names, means, sds);
        BitmapEncoder.saveBitmap(bars, dir.resolve("dense_detection_map50").toString(), BitmapEncoder.BitmapFormat.PNG);

        List<Double> gammas = new ArrayList<>();
        List<Double> gMeans = new ArrayList<>();
        List<Double> gSds = new ArrayList<>();
        List<Double> pointX = new ArrayList<>();
        List<Double> pointY = new ArrayList<>();
        for (String id : GAMMA_SWEEP) {
            Config c = CONFIGS.stream().filter(x -> x.id.equals(id)).findFirst().orElseThrow();
            double[] map = values(records, id, "map50", null);
            if (map.length == 0) {
                continue;
            }
            double[] m = summary(map);
            gammas.add(c.gamma);
            gMeans.add(m[0]);
            gSds.add(m[1]);
            for (double v : map) {
                pointX.add(c.gamma);
                pointY.add(v);
            }
        }
        PaperFigures.writeGammaSweep(dir.resolve("gamma_sweep"), "γ sweep (α per γ as the paper's Table 1b)", "mAP50", 1.0,
                gammas, gMeans, gSds, pointX, pointY);
    }

    /** The paper's Figure 4 from a trained model's logits on the test images. */
    static void figure4(DenseDetectionDemo.Result r, DenseDetectionDemo.Settings s, long seed, Path dir) throws IOException {
        SyntheticDetectionData.Set test = DenseDetectionDemo.testSet(s, seed);
        INDArray[] targets = SyntheticDetectionData.targets(test, DenseDetectionDemo.ANCHORS, DenseDetectionDemo.MAP,
                DenseDetectionDemo.MAP, new AnchorTargets());
        INDArray logits = r.net.feedForward(test.images, false).get(DenseDetectionDemo.LOGITS);
        double[][] split = LossCdf.split(logits, targets[0], targets[1]);
        double[] fractions = PaperCurves.grid(0, 1, 201);
        String[] columns = new String[2 * LossCdf.GAMMAS.length];
        double[][] ys = LossCdf.figure4(split[0], split[1], fractions, columns);
        String[] names = new String[LossCdf.GAMMAS.length];
        double[][] pos = new double[names.length][];
        double[][] neg = new double[names.length][];
        for (int g = 0; g < names.length; g++) {
            names[g] = "γ = " + LossCdf.GAMMAS[g];
            pos[g] = ys[g];
            neg[g] = ys[names.length + g];
        }
        PaperFigures.writeCsv(dir.resolve("figure4_loss_cdf.csv"), "fraction", fractions, columns, ys);
        String source = String.format(Locale.ROOT, " (%,d entries; FL γ=2 model, seed %d)", split[0].length, seed);
        PaperFigures.writePng(dir.resolve("figure4_positive"), "Figure 4: positive entries" + source,
                "fraction of foreground entries", "cumulative normalised loss", fractions, names, pos, 0, 1, Styler.LegendPosition.InsideNW);
        String negSource = String.format(Locale.ROOT, " (%,d entries)", split[1].length);
        PaperFigures.writePng(dir.resolve("figure4_negative"), "Figure 4: negative entries" + negSource,
                "fraction of background entries", "cumulative normalised loss", fractions, names, neg, 0, 1, Styler.LegendPosition.InsideNW);
    }
}
