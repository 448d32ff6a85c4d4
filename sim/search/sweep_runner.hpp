#pragma once
// run_sweep(): evaluates the points of a SweepSpec in parallel threads, optionally split across
// processes (MPI ranks under mpirun), streaming one JSON line per point to the results file,
// flushed per point. Re-running the same sweep resumes: points whose key is already in the
// results file are skipped, so an interruption loses at most the points in flight.
//
// With several processes each rank appends to its own "<output>.part<rank>" file while it runs;
// at the end the lines are gathered at rank 0 (SweepComm::gather, MPI_Gatherv in the CLI) and
// appended to the results file, and the part files are removed. Part files left by an interrupted
// multi-process run are merged into the results file at the start of the next run.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/search/sweep_spec.hpp"

namespace trainsim {

/// How the processes of a sweep talk to each other; the default is a single process.
struct SweepComm {
  int rank = 0, size = 1;
  std::function<void()> barrier = [] {};
  /// Every rank's text collected at rank 0 in rank order (other ranks receive nothing).
  std::function<std::vector<std::string>(const std::string&)> gather = [](const std::string& s) {
    return std::vector<std::string>{s};
  };
};

struct SweepRunOptions {
  int threads = 1;
  std::string engine;             ///< overrides the sweep file's engine when not empty
  std::FILE* progress = nullptr;  ///< progress bar stream (nullptr: none)
  bool progress_is_terminal = false;
  std::size_t stop_after = 0;  ///< stop after this many new points (0: run all); tests only
};

struct SweepSummary {
  std::size_t total = 0;         ///< points in the sweep
  std::size_t already_done = 0;  ///< found in the results file at the start
  std::size_t ran = 0;           ///< evaluated by this process now
  std::size_t failed = 0;        ///< of those, points whose scenario was invalid
  std::size_t not_fitting = 0;   ///< of those, predicted points whose memory exceeds the GPU
};

/// The result object of one point: {"index", "key", "params", "ok", "metrics"} or {"ok": false, "error"}.
nlohmann::json evaluate_point(const SweepSpec& spec, const SweepPoint& point, const std::string& engine);

/// Keys of the complete lines of a results file (missing file: none).
std::set<std::string> finished_keys(const std::string& path);

/// Drops a partial last line (a write cut by a kill) so appends start on a fresh line.
void repair_results_tail(const std::string& path);

SweepSummary run_sweep(const SweepSpec& spec, const SweepRunOptions& opt, const SweepComm& comm = {});

/// The results file as rows for pandas: one header of dotted names (index, key, params.*, ok,
/// error, metrics.*), one row per point in index order; columns are the union over all rows.
std::string results_to_csv(const std::string& results_path);

}  // namespace trainsim
