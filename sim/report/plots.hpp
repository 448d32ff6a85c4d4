#pragma once
// Pictures with gnuplot (trainsim report): each picture is a data file plus a gnuplot script
// written into the output folder, rendered by running `gnuplot NAME.gp` there into NAME.svg and
// NAME.png (pngcairo). The folder stays self-contained: re-run the script to restyle a picture.
//
//  - timeline:  one row per pipeline stage (the rank with tp = cp = dp = 0), boxes coloured by
//               forward / backward / recompute / inline TP comm / pipeline send / DP comm /
//               optimizer; idle gaps are the bubble. Large traces keep the start and the end of
//               the iteration (two panels) so that at most `max_boxes` boxes are drawn.
//  - breakdown: stacked bars of Metrics.breakdown for one or several scenarios.
//  - scaling:   tokens/s and model TFLOP/s per GPU against a sweep parameter (sweep JSON lines),
//               with the ideal linear line and each point's scaling efficiency against it.
//  - heatmap:   model TFLOP/s per GPU over tensor x pipeline parallelism, non-fitting cells masked.
//  - pareto:    time to train against cost, coloured by energy, Pareto front highlighted
//               (trainsim search --format json).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/evaluate/predict.hpp"

namespace trainsim {

/// Path of `gnuplot` on PATH, or "" when it is not installed.
std::string find_gnuplot();
/// Path of gnuplot; throws InputError naming it (and the Debian package gnuplot-nox) when missing.
std::string require_gnuplot();
/// Runs `gnuplot SCRIPT` inside `dir`. Throws InputError naming gnuplot (Debian: gnuplot-nox)
/// when it is missing, InternalError when it fails.
void run_gnuplot(const std::string& dir, const std::string& script);

struct PlotFiles {
  std::string name;  ///< base name: NAME.dat, NAME.gp, NAME.svg, NAME.png
  std::string title;
  int rows = 0;                     ///< data rows written (boxes, bars, points)
  std::vector<std::string> series;  ///< legend titles, in plot order
  std::string note;                 ///< what was left out, if anything
};

struct TimelineOptions {
  int max_boxes = 3000;     ///< above this, keep the start and the end of the iteration
  int boxes_per_row = 120;  ///< and above this many per row (readability); 0: no limit
  int max_rows = 64;        ///< pipeline stages drawn at most (evenly spread)
  bool all_ranks = false;   ///< every rank the trace has (small runs) instead of one per stage
};

/// Writes NAME.dat and NAME.gp (does not run gnuplot).
PlotFiles write_timeline(const Prediction& p, const std::string& dir, const std::string& name,
                         const TimelineOptions& opt = {});

struct BreakdownBar {
  std::string label;
  Metrics metrics;
};
PlotFiles write_breakdown(const std::vector<BreakdownBar>& bars, const std::string& dir, const std::string& name);
/// Time, cost and energy of the scenarios side by side, each relative to the first scenario (bars
/// labelled with the absolute values): per training run when every workload has a token budget,
/// else per iteration. Labels as given (the report marks scenarios that do not fit in them).
PlotFiles write_comparison(const std::vector<BreakdownBar>& bars, const std::string& dir, const std::string& name);

/// Sweep results, JSON lines ({"index", "key", "params", "ok", "metrics" | "error"}).
std::vector<nlohmann::json> read_json_lines(const std::string& file);
/// `x` empty: cluster.gpus when it varies, else the first varying parameter. When other
/// parameters vary too, each x keeps its highest-throughput point.
PlotFiles write_scaling(const std::vector<nlohmann::json>& sweep, const std::string& dir, const std::string& name,
                        const std::string& x = "", const std::string& source = "");

/// Tensor x pipeline parallelism heatmap of a sweep that varies both strategy.tp and strategy.pp:
/// each cell the best model TFLOP/s per GPU over the other parameters among the points that fit
/// in memory, "OOM" where points ran but none fits, blank where none was valid. InputError naming
/// `source` when the sweep does not vary both.
PlotFiles write_tp_pp_heatmap(const std::vector<nlohmann::json>& sweep, const std::string& dir, const std::string& name,
                              const std::string& source = "");
/// Whether a sweep varies both strategy.tp and strategy.pp (the heatmap applies).
bool sweep_varies_tp_and_pp(const std::vector<nlohmann::json>& sweep);

/// Search output ({"objective", "candidates": [...], "best": {...}}).
PlotFiles write_pareto(const nlohmann::json& search, const std::string& dir, const std::string& name,
                       const std::string& source = "");

/// Writes the script's data and runs gnuplot: NAME.svg and NAME.png appear in `dir`.
void render(const std::string& dir, const PlotFiles& f);

}  // namespace trainsim
