package org.focaldl4j.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes the paper's Figures 1, 5 and 6 (computed by {@link PaperCurves}) as CSV data and PNG
 * charts into {@code docs/figures/} (or the directory given as the first argument).
 *
 * <p>{@code mvn -q -pl examples -am compile exec:java -Dexec.mainClass=org.focaldl4j.examples.PaperFigures}
 * from the repository root (exec:java runs inside Maven's JVM, in the directory Maven was started from).
 */
public final class PaperFigures {

    private PaperFigures() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Paths.get(args.length > 0 ? args[0] : "docs/figures");
        Files.createDirectories(dir);

        double[] pt = PaperCurves.grid(0.001, 0.999, 999);
        double[][] fig1 = PaperCurves.figure1(pt);
        String[] fig1Names = new String[PaperCurves.FIGURE1_GAMMAS.length];
        for (int k = 0; k < fig1Names.length; k++) {
            double g = PaperCurves.FIGURE1_GAMMAS[k];
            fig1Names[k] = g == 0 ? "γ = 0 (CE)" : "γ = " + (g == Math.rint(g) ? String.valueOf((int) g) : String.valueOf(g));
        }
        writeCsv(dir.resolve("figure1_focal_loss_vs_pt.csv"), "p_t", pt, fig1Names, fig1);
        writePng(dir.resolve("figure1_focal_loss_vs_pt"), "Figure 1: focal loss vs probability of the true class",
                "probability of ground truth class p_t", "loss", pt, fig1Names, fig1, 0, 5);

        double[] xt = PaperCurves.grid(-10, 10, 801);
        double[][][] fig56 = PaperCurves.figures5and6(xt);
        writeCsv(dir.resolve("figure5_loss_vs_xt.csv"), "x_t", xt, PaperCurves.XT_LOSS_NAMES, fig56[0]);
        writePng(dir.resolve("figure5_loss_vs_xt"), "Figure 5: CE, FL and FL* vs x_t", "x_t", "loss",
                xt, PaperCurves.XT_LOSS_NAMES, fig56[0], 0, 5);
        writeCsv(dir.resolve("figure6_derivative_vs_xt.csv"), "x_t", xt, PaperCurves.XT_LOSS_NAMES, fig56[1]);
        writePng(dir.resolve("figure6_derivative_vs_xt"), "Figure 6: derivatives dℓ/dx_t (eqs. 9–11)", "x_t",
                "dℓ/dx_t", xt, PaperCurves.XT_LOSS_NAMES, fig56[1], -1.2, 0.1);
        System.out.println("wrote figures 1, 5 and 6 (CSV and PNG) to " + dir.toAbsolutePath().normalize());
    }

    public static void writeCsv(Path file, String xName, double[] x, String[] names, double[][] ys) throws IOException {
        writeCsv(file, null, xName, x, names, ys);
    }

    /** As {@link #writeCsv(Path, String, double[], String[], double[][])}, first line "# comment" unless null. */
    public static void writeCsv(Path file, String comment, String xName, double[] x, String[] names, double[][] ys)
            throws IOException {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
            if (comment != null) {
                out.println("# " + comment);
            }
            StringBuilder header = new StringBuilder(xName);
            for (String n : names) {
                header.append(",\"").append(n).append('"');
            }
            out.println(header);
            for (int i = 0; i < x.length; i++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%.6g", x[i]));
                for (double[] y : ys) {
                    row.append(',').append(String.format(Locale.ROOT, "%.10g", y[i]));
                }
                out.println(row);
            }
        }
    }

    /**
     * A γ sweep: mean ± s.d. per γ (a line with error bars) and every single run (diamonds); y from 0 to
     * {@code yMax} (NaN: automatic). Nothing is written when there are no points.
     */
    public static void writeGammaSweep(Path fileWithoutExtension, String title, String yTitle, double yMax, List<Double> gammas,
                                List<Double> means, List<Double> sds, List<Double> runX, List<Double> runY)
            throws IOException {
        if (gammas.isEmpty()) {
            return;
        }
        XYChart sweep = new XYChartBuilder().width(720).height(480).title(title).xAxisTitle("γ").yAxisTitle(yTitle).build();
        sweep.getStyler().setYAxisMin(0.0).setChartBackgroundColor(java.awt.Color.WHITE)
                .setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        if (!Double.isNaN(yMax)) {
            sweep.getStyler().setYAxisMax(yMax);
        }
        sweep.addSeries("mean ± s.d.", gammas, means, sds).setMarker(SeriesMarkers.CIRCLE);
        org.knowm.xchart.XYSeries runs = sweep.addSeries("single runs", runX, runY);
        runs.setXYSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        runs.setMarker(SeriesMarkers.DIAMOND);
        BitmapEncoder.saveBitmap(sweep, fileWithoutExtension.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    public static void writePng(Path fileWithoutExtension, String title, String xTitle, String yTitle, double[] x,
                         String[] names, double[][] ys, double yMin, double yMax) throws IOException {
        writePng(fileWithoutExtension, title, xTitle, yTitle, x, names, ys, yMin, yMax,
                org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
    }

    public static void writePng(Path fileWithoutExtension, String title, String xTitle, String yTitle, double[] x,
                         String[] names, double[][] ys, double yMin, double yMax,
                         org.knowm.xchart.style.Styler.LegendPosition legend) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(480).title(title).xAxisTitle(xTitle)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setXAxisMin(Math.floor(x[0])).setXAxisMax(Math.ceil(x[x.length - 1]))
                .setXAxisDecimalPattern("0.#").setYAxisMin(yMin).setYAxisMax(yMax).setChartBackgroundColor(java.awt.Color.WHITE)
                .setLegendPosition(legend);
        for (int k = 0; k < names.length; k++) {
            double[] clipped = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                clipped[i] = Math.max(yMin, Math.min(yMax, ys[k][i]));   // keep off-scale points on the frame
            }
            chart.addSeries(names[k], x, clipped).setMarker(SeriesMarkers.NONE);
        }
        BitmapEncoder.saveBitmap(chart, fileWithoutExtension.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
