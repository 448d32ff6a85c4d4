#include "sim/report/html_report.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "models/util/errors.hpp"
#include "models/util/progress.hpp"
#include "sim/report/explain.hpp"
#include "sim/report/report.hpp"

namespace trainsim {

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

namespace {

std::string figure(const PlotFiles& f, const std::string& caption) {
  std::string s = "<figure>\n";
  s += fmt::format("  <a href=\"{0}.svg\"><img src=\"{0}.svg\" alt=\"{1}\"></a>\n", html_escape(f.name),
                   html_escape(f.title));
  s += fmt::format(
      "  <figcaption>{0} <span class=\"files\">[<a href=\"{1}.png\">PNG</a> · <a href=\"{1}.dat\">data</a> · "
      "<a href=\"{1}.gp\">gnuplot script</a>]</span>{2}</figcaption>\n",
      html_escape(caption), html_escape(f.name),
      f.note.empty() ? "" : "<br><small>" + html_escape(f.note) + "</small>");
  return s + "</figure>\n";
}

}  // namespace

ReportOutput build_report(const ReportInputs& in) {
  namespace fs = std::filesystem;
  if (in.scenarios.empty()) throw InputError("trainsim report", "at least one scenario file", "none");
  if (in.out_dir.empty()) throw InputError("--out", "an output folder", "nothing");
  if (in.render) require_gnuplot();  // before any work: a clear error naming gnuplot
  std::error_code ec;
  fs::create_directories(in.out_dir, ec);
  if (ec || !fs::is_directory(in.out_dir))
    throw InputError("--out", "a folder that can be created", "\"" + in.out_dir + "\" (" + ec.message() + ")");

  ReportOutput out;
  std::string sections;
  nlohmann::json report_json = {{"scenarios", nlohmann::json::array()}};
  std::vector<BreakdownBar> bars;
  std::set<std::string> labels;
  std::unique_ptr<ProgressBar> bar;
  if (in.progress) bar = std::make_unique<ProgressBar>(in.scenarios.size(), stderr, true, "report:", "scenarios", 1.0);
  for (size_t i = 0; i < in.scenarios.size(); ++i) {
    if (bar) bar->tick();
    const std::string& file = in.scenarios[i];
    const Scenario sc = load_scenario(file);
    const Prediction p = predict(sc, in.engine.empty() ? sc.options.engine : in.engine);
    const Explanation ex = explain(sc, p);
    std::string label = fs::path(file).stem().string();
    if (!labels.insert(label).second) label += "-" + std::to_string(i + 1);
    const bool fits = p.metrics.memory.fits;
    if (!fits) out.not_fitting.push_back(file);
    // A configuration that would not start is marked wherever it is drawn or named.
    bars.push_back({fits ? label : label + " (DOES NOT FIT)", p.metrics});

    const std::string tname = in.scenarios.size() == 1 ? "timeline" : fmt::format("timeline-{}", i + 1);
    PlotFiles tl = write_timeline(p, in.out_dir, tname, in.timeline);
    if (in.render) render(in.out_dir, tl);
    out.plots.push_back(tl);

    std::ostringstream text, why;
    print_text(p.metrics, text);
    print_explain_text(ex, why);
    sections += fmt::format("<section>\n<h2>{}</h2>\n<p class=\"meta\">{} · {} GPUs · {}</p>\n", html_escape(sc.name),
                            html_escape(file), p.metrics.gpus, html_escape(p.metrics.strategy));
    if (!fits)
      sections += fmt::format(
          "<p class=\"nofit\">DOES NOT FIT in GPU memory: {:.1f} of {:.1f} GB per GPU. The times below are what the "
          "job would take if it fitted.</p>\n",
          p.metrics.memory.parts.total() / 1e9, p.metrics.memory.capacity / 1e9);
    sections +=
        figure(tl,
               "Pipeline timeline: one row per pipeline stage (its rank with tp = cp = dp = 0); gaps are the bubble, "
               "thin strips the communication streams.");
    sections += "<h3>Report</h3>\n<pre>" + html_escape(text.str()) + "</pre>\n";
    sections += "<h3>Explanation</h3>\n<pre>" + html_escape(why.str()) + "</pre>\n</section>\n";
    report_json["scenarios"].push_back({{"file", file},
                                        {"label", label},
                                        {"metrics", to_json(p.metrics)},
                                        {"explain", to_json(ex)},
                                        {"timeline", tname}});
  }

  if (bar) bar->finish();
  std::string summary;
  PlotFiles bd = write_breakdown(bars, in.out_dir, "breakdown");
  if (in.render) render(in.out_dir, bd);
  out.plots.push_back(bd);
  if (bars.size() > 1) {
    PlotFiles cp = write_comparison(bars, in.out_dir, "comparison");
    if (in.render) render(in.out_dir, cp);
    out.plots.push_back(cp);
    summary += "<section>\n<h2>Time, cost and energy</h2>\n" +
               figure(cp, "Each scenario relative to the first, with its absolute value above the bar.") +
               "</section>\n";
  }
  summary += "<section>\n<h2>Time breakdown</h2>\n" +
             figure(bd, bars.size() > 1 ? "Breakdown of the iteration, scenarios side by side."
                                        : "Breakdown of the iteration on the busiest pipeline stage.") +
             "</section>\n";

  if (!in.sweep.empty()) {
    PlotFiles sp = write_scaling(read_json_lines(in.sweep), in.out_dir, "scaling", in.scaling_x, in.sweep);
    if (in.render) render(in.out_dir, sp);
    out.plots.push_back(sp);
    summary += "<section>\n<h2>Scaling</h2>\n" + figure(sp, "From " + in.sweep + ".") + "</section>\n";
    const auto sweep = read_json_lines(in.sweep);
    if (sweep_varies_tp_and_pp(sweep)) {
      PlotFiles hm = write_tp_pp_heatmap(sweep, in.out_dir, "tp-pp", in.sweep);
      if (in.render) render(in.out_dir, hm);
      out.plots.push_back(hm);
      summary += "<section>\n<h2>Tensor x pipeline parallelism</h2>\n" +
                 figure(hm, "From " + in.sweep + ": the best point of each cell; grey where none fits.") +
                 "</section>\n";
    }
    report_json["sweep"] = in.sweep;
  }
  if (!in.search.empty()) {
    std::ifstream sin(in.search);
    if (!sin)
      throw InputError(in.search, "a readable search result (trainsim search --format json)", "it cannot be opened");
    nlohmann::json sj;
    try {
      sj = nlohmann::json::parse(sin);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(in.search, "a JSON document", std::string("a parse error: ") + e.what());
    }
    PlotFiles pp = write_pareto(sj, in.out_dir, "pareto", in.search);
    if (in.render) render(in.out_dir, pp);
    out.plots.push_back(pp);
    summary += "<section>\n<h2>Search: time vs cost</h2>\n" + figure(pp, "From " + in.search + ".") + "</section>\n";
    report_json["search"] = in.search;
  }

  std::string html = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>trainsim report</title>
<style>
body { font-family: sans-serif; max-width: 1400px; margin: 2em auto; padding: 0 1em; color: #222; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 13px; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 14px; color: #444; } .files, .meta { color: #777; font-size: 13px; }
section { margin-bottom: 2.5em; } .nofit { color: #b00; font-weight: bold; }
</style>
</head>
<body>
<h1>trainsim report</h1>
)";
  html += "<p>Scenarios:";
  for (const auto& b : bars) html += " <code>" + html_escape(b.label) + "</code>";
  html +=
      ". Pictures are SVG (click for full size) with PNG, data and gnuplot script next to them; "
      "<a href=\"report.json\">report.json</a> holds every number.</p>\n";
  html += summary + sections + "</body>\n</html>\n";
  out.index_html = in.out_dir + "/index.html";
  std::ofstream(out.index_html) << html;
  std::ofstream(in.out_dir + "/report.json") << report_json.dump(2) << "\n";
  if (!fs::exists(out.index_html)) throw InputError("--out", "a writable folder", "\"" + in.out_dir + "\"");
  return out;
}

}  // namespace trainsim
