// trainsim report pictures: gnuplot data files hold the expected rows, the rendered SVG the
// expected series. Rendering needs gnuplot (Debian: gnuplot-nox); without it those checks skip.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "models/util/human_units.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/plots.hpp"
#include "tests/common/test_support.hpp"

using namespace trainsim;
using trainsim::testing::make_scenario;

namespace {
const std::string kSrc = TRAINSIM_SOURCE_DIR;

std::string out_dir(const std::string& name) {
  const std::string d = std::string(TRAINSIM_BINARY_DIR) + "/test-report/" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}
std::string slurp(const std::string& f) {
  std::ifstream in(f);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
/// Data rows of a gnuplot data file (not comments, not blank, not the column-header line).
int data_rows(const std::string& f, bool header = false) {
  std::istringstream in(slurp(f));
  std::string line;
  int n = 0;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header && first) {
      first = false;
      continue;
    }
    ++n;
  }
  return n;
}
/// Index blocks of a data file (separated by two blank lines).
int data_blocks(const std::string& f) {
  const std::string s = slurp(f);
  int n = 1;
  for (size_t i = s.find("\n\n\n"); i != std::string::npos; i = s.find("\n\n\n", i + 3)) ++n;
  return n;
}
/// Legend titles of the plots in a gnuplot SVG: each plot is a group <g id="gnuplot_plot_N"> whose
/// key entry (a <text>) comes before its first drawn path; untitled plots have none.
std::set<std::string> svg_series(const std::string& svg) {
  std::set<std::string> out;
  const std::string mark = "<g id=\"gnuplot_plot_";
  for (size_t at = svg.find(mark); at != std::string::npos;) {
    const size_t next = svg.find(mark, at + mark.size());
    const std::string chunk = svg.substr(at, next == std::string::npos ? std::string::npos : next - at);
    const size_t text = chunk.find("<text>"), path = std::min(chunk.find("<path"), chunk.find("<use"));
    if (text != std::string::npos && text < path) {
      const size_t b = text + 6, e = chunk.find("</text>", b);
      out.insert(chunk.substr(b, e - b));
    }
    at = next;
  }
  return out;
}
#define REQUIRE_GNUPLOT()                                                          \
  if (find_gnuplot().empty())                                                      \
  GTEST_SKIP() << "gnuplot is not on PATH (Debian: apt-get install gnuplot-nox): " \
                  "pictures not rendered, data files checked only"

/// pp = 2, dp = tp = 1, 4 micro-batches, no recompute: per stage 4 forwards, 4 backwards and the
/// optimizer; stage 0 sends 4 activations, stage 1 sends 4 gradients (untied embeddings: no
/// embedding all-reduce between the first and last stage).
Prediction small_pipeline() {
  auto model = trainsim::testing::small_gpt(4, 512, 8);
  model["tied_embeddings"] = false;
  const Scenario sc =
      make_scenario({{"tp", 1}, {"pp", 2}, {"micro_batch", 1}}, trainsim::testing::small_cluster(1, 2), model, 4);
  return predict(sc);
}
TEST(Plots, TensorByPipelineHeatmapMasksWhatDoesNotFit) {
  // Six points over tp {1, 8} x pp {1, 2, 4}: (1, 1) twice (best kept), (1, 2) out of memory,
  // (8, 4) invalid, (1, 4) fits; (8, 1) and (8, 2) fit.
  auto pt = [](int tp, int pp, bool ok, double tflops, bool fits) {
    nlohmann::json j = {{"ok", ok}, {"params", {{"strategy.tp", tp}, {"strategy.pp", pp}}}};
    if (ok) j["metrics"] = {{"model_tflops_per_gpu", tflops}, {"memory_gb", {{"fits", fits}}}};
    return j;
  };
  const std::vector<nlohmann::json> sweep = {
      pt(1, 1, true, 100, true), pt(1, 1, true, 120, true), pt(1, 2, true, 300, false), pt(8, 4, false, 0, false),
      pt(1, 4, true, 90, true),  pt(8, 1, true, 140, true), pt(8, 2, true, 150, true)};
  ASSERT_TRUE(sweep_varies_tp_and_pp(sweep));
  const std::string dir = out_dir("heatmap");
  const PlotFiles f = write_tp_pp_heatmap(sweep, dir, "tp-pp");
  EXPECT_EQ(f.rows, 6);  // 2 x 3 cells
  const std::string dat = slurp(dir + "/tp-pp.dat");
  EXPECT_NE(dat.find("0 0 120 1 1 \"120\""), std::string::npos) << dat;  // best of the two
  EXPECT_NE(dat.find("0 1 NaN 1 2 \"OOM\""), std::string::npos) << dat;  // 300 TFLOP/s, but it does not fit
  EXPECT_NE(dat.find("1 2 NaN 8 4 \"n/a\""), std::string::npos) << dat;
  EXPECT_NE(f.note.find("1 cell where no point fits"), std::string::npos) << f.note;
  EXPECT_THROW(write_tp_pp_heatmap({pt(1, 1, true, 1, true)}, dir, "bad"), InputError);
  REQUIRE_GNUPLOT();
  render(dir, f);
  EXPECT_NE(slurp(dir + "/tp-pp.svg").find("OOM"), std::string::npos);
}

}  // namespace

TEST(Plots, TimelineBoxesAndSeries) {
  const Prediction p = small_pipeline();
  const std::string dir = out_dir("timeline");
  const PlotFiles f = write_timeline(p, dir, "timeline");
  EXPECT_EQ(f.rows, 2 * (4 + 4 + 1) + 4 + 4);
  EXPECT_EQ(data_rows(dir + "/timeline.dat"), f.rows);
  const std::vector<std::string> want = {"forward", "backward", "pipeline send", "optimizer"};
  EXPECT_EQ(f.series, want);
  EXPECT_EQ(data_blocks(dir + "/timeline.dat"), 4);
  EXPECT_TRUE(f.note.empty()) << f.note;
  REQUIRE_GNUPLOT();
  render(dir, f);
  ASSERT_TRUE(std::filesystem::exists(dir + "/timeline.svg"));
  ASSERT_TRUE(std::filesystem::exists(dir + "/timeline.png"));
  EXPECT_EQ(svg_series(slurp(dir + "/timeline.svg")), std::set<std::string>(want.begin(), want.end()));
}

TEST(Plots, TimelineCapsBoxesOnLargeRuns) {
  // The default scenario (GPT-3 175B, pp 16, 192 micro-batches, full recompute, TP comm inline)
  // has tens of thousands of boxes; the cap keeps the start and end of the iteration.
  const Scenario sc = load_scenario(kSrc + "/scenarios/default.json");
  const Prediction p = predict(sc);
  const std::string dir = out_dir("timeline-cap");
  TimelineOptions opt;
  opt.max_boxes = 600;
  const PlotFiles f = write_timeline(p, dir, "timeline", opt);
  EXPECT_LE(f.rows, 600 + 16);  // boxes straddling the cut on each row may be counted once more
  EXPECT_GE(f.rows, 500);
  EXPECT_EQ(data_rows(dir + "/timeline.dat"), f.rows);
  EXPECT_NE(f.note.find("boxes drawn"), std::string::npos);
  EXPECT_NE(slurp(dir + "/timeline.gp").find("multiplot"), std::string::npos);
  // One row per pipeline stage.
  EXPECT_NE(slurp(dir + "/timeline.gp").find("\"stage 15 (rank 960)\" 15"), std::string::npos);
  REQUIRE_GNUPLOT();
  render(dir, f);
  const auto series = svg_series(slurp(dir + "/timeline.svg"));
  for (const char* s : {"forward", "backward", "recompute", "TP/CP/EP comm (inline)"})
    EXPECT_TRUE(series.count(s)) << s;
}

TEST(Plots, BreakdownBarsSideBySide) {
  const Prediction a = small_pipeline();
  const Scenario sb = make_scenario({{"tp", 2}, {"pp", 1}, {"micro_batch", 1}}, trainsim::testing::small_cluster(1, 2),
                                    trainsim::testing::small_gpt(4, 512, 8), 4);
  const Prediction b = predict(sb);
  const std::string dir = out_dir("breakdown");
  const PlotFiles f = write_breakdown({{"pp2", a.metrics}, {"tp2", b.metrics}}, dir, "breakdown");
  EXPECT_EQ(f.rows, 2);
  EXPECT_EQ(data_rows(dir + "/breakdown.dat", true), 2);
  EXPECT_EQ(f.series.size(), 7u);
  // Each bar's parts add up to its iteration time, in seconds (#21: percentages hid that one bar's
  // iteration is longer than the other's); the label carries the total on a second line.
  std::istringstream in(slurp(dir + "/breakdown.dat"));
  std::string line;
  std::getline(in, line);
  const double T[] = {a.metrics.iteration_time_s, b.metrics.iteration_time_s};
  for (int i = 0; std::getline(in, line); ++i) {
    std::istringstream row(line.substr(line.rfind('"') + 1));
    double x, sum = 0;
    while (row >> x) sum += x;
    EXPECT_NEAR(sum, T[i], 0.02 * T[i]) << line;
    EXPECT_NE(line.find("\\n"), std::string::npos) << line;
  }
  REQUIRE_GNUPLOT();
  render(dir, f);
  EXPECT_EQ(svg_series(slurp(dir + "/breakdown.svg")).size(), 7u);
}

TEST(Plots, ScalingFromSweepResults) {
  const auto sweep = read_json_lines(kSrc + "/tests/data/sweep-gpus.jsonl");
  ASSERT_EQ(sweep.size(), 6u);  // 5 points and one failed
  const std::string dir = out_dir("scaling");
  const PlotFiles f = write_scaling(sweep, dir, "scaling");
  EXPECT_EQ(f.rows, 4);  // 4 GPU counts; 16 GPUs appears twice (best kept), the failed point is left out
  EXPECT_EQ(data_rows(dir + "/scaling.dat"), 4);
  EXPECT_NE(f.title.find("cluster.gpus"), std::string::npos);
  EXPECT_NE(f.note.find("1 failed"), std::string::npos);
  const std::vector<std::string> want = {"tokens/s", "ideal linear scaling", "model TFLOP/s per GPU (right)"};
  EXPECT_EQ(f.series, want);
  // Another x parameter by name; an unknown one is an input error naming the known ones.
  EXPECT_EQ(write_scaling(sweep, dir, "scaling-tp", "strategy.tp").rows, 2);
  EXPECT_THROW(write_scaling(sweep, dir, "bad", "strategy.nope"), InputError);
  REQUIRE_GNUPLOT();
  render(dir, f);
  // The three curves, and each point's scaling efficiency written above it (the first, the
  // reference of the ideal line, at 100%).
  const auto drawn = svg_series(slurp(dir + "/scaling.svg"));
  for (const auto& w : want) EXPECT_TRUE(drawn.count(w)) << w;
  EXPECT_TRUE(drawn.count("100%"));
  EXPECT_EQ(drawn.size(), want.size() + 1);
}

TEST(Plots, ParetoFromSearchOutput) {
  const auto search = nlohmann::json::parse(slurp(kSrc + "/tests/data/search.json"));
  const std::string dir = out_dir("pareto");
  const PlotFiles f = write_pareto(search, dir, "pareto");
  EXPECT_EQ(f.rows, 6);  // 6 candidates: 5 fit, 1 does not
  EXPECT_EQ(data_blocks(dir + "/pareto.dat"), 4);
  // candidates (5) + Pareto front (3) + best (1) + not fitting (1)
  EXPECT_EQ(data_rows(dir + "/pareto.dat"), 5 + 3 + 1 + 1);
  EXPECT_EQ(f.series.size(), 4u);
  EXPECT_EQ(f.series[1], "Pareto front");
  REQUIRE_GNUPLOT();
  render(dir, f);
  EXPECT_EQ(svg_series(slurp(dir + "/pareto.svg")).size(), 4u);
}

TEST(Plots, HtmlReportBundlesPictures) {
  ReportInputs in;
  in.scenarios = {kSrc + "/scenarios/tiny-cpu.json"};
  in.sweep = kSrc + "/tests/data/sweep-gpus.jsonl";
  in.search = kSrc + "/tests/data/search.json";
  in.out_dir = out_dir("html");
  in.render = !find_gnuplot().empty();
  const ReportOutput out = build_report(in);
  EXPECT_EQ(out.plots.size(), 5u);  // the sweep varies tp and pp: the heatmap too
  const std::string html = slurp(out.index_html);
  for (const char* img : {"timeline.svg", "breakdown.svg", "scaling.svg", "tp-pp.svg", "pareto.svg"})
    EXPECT_NE(html.find(std::string("<img src=\"") + img + "\""), std::string::npos) << img;
  EXPECT_NE(html.find("iteration time"), std::string::npos);    // the text report
  EXPECT_NE(html.find("Pipeline bubble:"), std::string::npos);  // the explanation
  EXPECT_TRUE(nlohmann::json::parse(slurp(in.out_dir + "/report.json")).contains("scenarios"));
  REQUIRE_GNUPLOT();
  for (const char* f : {"timeline", "breakdown", "scaling", "tp-pp", "pareto"}) {
    EXPECT_TRUE(std::filesystem::exists(in.out_dir + "/" + f + ".svg")) << f;
    EXPECT_TRUE(std::filesystem::exists(in.out_dir + "/" + f + ".png")) << f;
  }
}

// #21 item 9 (charts people expect): time, cost and energy of the scenarios as bars relative to
// the first, each labelled with its absolute value.
TEST(Plots, ComparisonBarsRelativeToTheFirstScenario) {
  const Scenario sa = load_scenario(kSrc + "/scenarios/compare/cloud-ethernet-s3-ondemand.json");
  const Scenario sb = load_scenario(kSrc + "/scenarios/compare/hpc-ib-lustre-onprem.json");
  const Prediction pa = predict(sa), pb = predict(sb);
  const std::string dir = out_dir("comparison");
  const PlotFiles f = write_comparison({{"cloud", pa.metrics}, {"hpc", pb.metrics}}, dir, "comparison");
  EXPECT_EQ(f.rows, 3);
  ASSERT_EQ(f.series.size(), 2u);
  std::istringstream in(slurp(dir + "/comparison.dat"));
  std::string header, time, cost;
  std::getline(in, header);
  std::getline(in, time);
  std::getline(in, cost);
  // The second scenario's time to train relative to the first: the ratio of their expected wall times.
  std::istringstream t(time.substr(time.find('"', 1) + 1));
  double first = 0, second = 0;
  t >> first >> second;
  EXPECT_DOUBLE_EQ(first, 1.0);
  EXPECT_NEAR(second,
              pb.metrics.energy_cost.reliability.expected.wall_s / pa.metrics.energy_cost.reliability.expected.wall_s,
              1e-5);
  EXPECT_NE(cost.find(" USD\""), std::string::npos) << cost;  // absolute label, money formatted
  REQUIRE_GNUPLOT();
  render(dir, f);
  const std::string label = ">" + human_usd(pb.metrics.energy_cost.cost.usd_per_run_with_failures) + "<";
  EXPECT_NE(slurp(dir + "/comparison.svg").find(label), std::string::npos) << label;
}

// #21 item 3: a scenario that does not fit is marked in the breakdown and its section, and counted.
TEST(Plots, HtmlReportMarksScenariosThatDoNotFit) {
  ReportInputs in;
  in.scenarios = {kSrc + "/scenarios/tutorials/13b-dp64.json", kSrc + "/scenarios/tutorials/13b-dp64-zero3.json"};
  in.out_dir = out_dir("html-nofit");
  in.render = false;
  const ReportOutput out = build_report(in);
  ASSERT_EQ(out.not_fitting.size(), 1u);
  EXPECT_EQ(out.not_fitting[0], in.scenarios[0]);
  const std::string html = slurp(out.index_html);
  EXPECT_NE(html.find("DOES NOT FIT in GPU memory: 266."), std::string::npos);
  EXPECT_NE(slurp(in.out_dir + "/breakdown.dat").find("13b-dp64 (DOES NOT FIT)"), std::string::npos);
  EXPECT_EQ(slurp(in.out_dir + "/breakdown.dat").find("13b-dp64-zero3 (DOES NOT FIT)"), std::string::npos);
}

TEST(Plots, ScalingOneCurvePerOtherParameter) {
  // trainsim sweep output (scenarios/sweeps/llama2-7b-scaling.json, 8-32 GPUs): cluster.gpus on x,
  // one curve per cluster file.
  const auto sweep = read_json_lines(kSrc + "/tests/data/sweep-two-clusters.jsonl");
  ASSERT_EQ(sweep.size(), 6u);
  const std::string dir = out_dir("scaling-groups");
  const PlotFiles f = write_scaling(sweep, dir, "scaling");
  EXPECT_EQ(f.rows, 6);
  EXPECT_EQ(data_blocks(dir + "/scaling.dat"), 2);
  ASSERT_EQ(f.series.size(), 4u);  // tokens/s and TFLOP/s per GPU for each cluster
  EXPECT_EQ(f.series[0], "tokens/s — cluster=dgx-a100-superpod-hdr");
  REQUIRE_GNUPLOT();
  render(dir, f);
  EXPECT_EQ(svg_series(slurp(dir + "/scaling.svg")), std::set<std::string>(f.series.begin(), f.series.end()));
}
