package dev.drover.coordinator.simulate;

import java.util.List;
import java.util.Locale;

/**
 * The report ops open in a browser: one self-contained HTML file (inline CSS and SVG, no script, nothing
 * fetched), with the table and, per policy, nodes and queued tasks over time.
 */
public final class HtmlReport {
    private static final int W = 860;
    private static final int H = 200;
    private static final int PAD = 40;

    private HtmlReport() {
    }

    public static String render(Trace trace, Bounds bounds, List<SimResult> results, String command) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Drover simulation: ")
                .append(esc(trace.name())).append("</title><style>body{font-family:sans-serif;margin:2em;"
                        + "color:#222}pre{background:#f4f4f4;padding:1em;overflow-x:auto}svg{background:#fafafa;"
                        + "border:1px solid #ddd}.n{stroke:#1f6feb;fill:none}.q{stroke:#d9480f;fill:none}"
                        + "td,th{padding:2px 8px;text-align:right}</style></head><body>");
        b.append("<h1>Drover simulation: ").append(esc(trace.name())).append("</h1>");
        b.append("<p>Command: <code>").append(esc(command)).append("</code></p>");
        b.append("<pre>").append(esc(Report.table(trace, bounds, results))).append("</pre>");
        b.append("<p><span style=\"color:#1f6feb\">&#9632; nodes (booting + up + draining)</span> &nbsp; "
                + "<span style=\"color:#d9480f\">&#9632; queued tasks</span></p>");
        double end = results.stream().flatMap(r -> r.samples().stream()).mapToDouble(SimResult.Sample::at).max()
                .orElse(1);
        for (SimResult r : results) {
            b.append("<h2>").append(esc(r.policy())).append("</h2>").append(chart(r, end));
        }
        b.append("<h2>Job completion (minutes from submit)</h2><table><tr><th>job</th>");
        results.forEach(r -> b.append("<th>").append(esc(r.policy())).append("</th>"));
        b.append("</tr>");
        for (String job : results.get(0).jobCompletionSeconds().keySet()) {
            b.append("<tr><td>").append(esc(job)).append("</td>");
            results.forEach(r -> b.append(String.format(Locale.ROOT, "<td>%.1f</td>",
                    r.jobCompletionSeconds().getOrDefault(job, Double.NaN) / 60)));
            b.append("</tr>");
        }
        return b.append("</table></body></html>\n").toString();
    }

    private static String chart(SimResult r, double end) {
        int maxNodes = Math.max(1, r.samples().stream().mapToInt(SimResult.Sample::nodes).max().orElse(1));
        int maxQueue = Math.max(1, r.samples().stream().mapToInt(SimResult.Sample::queued).max().orElse(1));
        StringBuilder nodes = new StringBuilder();
        StringBuilder queue = new StringBuilder();
        for (SimResult.Sample s : r.samples()) {
            double x = PAD + (W - 2 * PAD) * s.at() / end;
            nodes.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(s.nodes(), maxNodes)));
            queue.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(s.queued(), maxQueue)));
        }
        return String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">"
                + "<polyline class=\"q\" points=\"%s\"/><polyline class=\"n\" points=\"%s\"/>"
                + "<text x=\"4\" y=\"14\" font-size=\"11\" fill=\"#1f6feb\">%d nodes</text>"
                + "<text x=\"%d\" y=\"14\" font-size=\"11\" fill=\"#d9480f\" text-anchor=\"end\">%d queued</text>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"11\">0 h</text>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%.1f h</text></svg>",
                W, H, W, H, queue, nodes, maxNodes, W - 4, maxQueue, PAD, H - 4, W - PAD, H - 4, end / 3600);
    }

    private static double y(int v, int max) {
        return H - 20 - (H - 40) * (double) v / max;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
