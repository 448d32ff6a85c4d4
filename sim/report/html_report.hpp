#pragma once
// trainsim report: a folder with index.html bundling the pictures (sim/report/plots.hpp, SVG
// linked relatively, PNG alongside), the text report of `trainsim run` and the explanation of
// `trainsim explain` for each scenario, plus report.json with the same numbers.
#include <string>
#include <vector>

#include "sim/report/plots.hpp"

namespace trainsim {

struct ReportInputs {
  std::vector<std::string> scenarios;  ///< scenario files; the first one is the main one
  std::string engine;                  ///< empty: each scenario's options.engine
  std::string sweep;                   ///< sweep results (JSON lines), optional
  std::string search;                  ///< trainsim search --format json output, optional
  std::string scaling_x;               ///< sweep parameter on the x axis (empty: automatic)
  std::string out_dir;
  TimelineOptions timeline;
  bool render = true;     ///< run gnuplot (false: data and scripts only)
  bool progress = false;  ///< scenarios predicted, on stderr (a terminal), after 1 s
};

struct ReportOutput {
  std::string index_html;  ///< path of index.html
  std::vector<PlotFiles> plots;
  std::vector<std::string> not_fitting;  ///< scenario files whose configuration does not fit in GPU memory
};

/// Builds the report folder. Throws InputError when gnuplot is missing (checked before any work
/// when `render`), when an input is bad or the folder cannot be written.
ReportOutput build_report(const ReportInputs& in);

/// Escapes &, <, >, " for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace trainsim
