#pragma once
// SweepSpec: a base scenario and the points to evaluate, each point a set of overrides of scenario
// fields by dotted path ("strategy.tp", "cluster.gpu", "cluster.fabric.oversubscription",
// "cluster.gpus"). Points come from a grid (cartesian product, keys in sorted order, values in
// the order given), an explicit list, or both (every listed point crossed with the grid).
// Format and examples: docs/sweeps-and-search.md.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace trainsim {

struct SweepPoint {
  std::size_t index = 0;  ///< position in the enumeration (stable for a given sweep file)
  nlohmann::json params;  ///< {"strategy.tp": 8, ...}: the overrides
  std::string key;        ///< canonical text of params: identifies the point across runs
};

struct SweepSpec {
  std::string origin;    ///< sweep file ("<inline>" otherwise)
  std::string base_dir;  ///< where relative paths of the base scenario resolve
  nlohmann::json base;   ///< the base scenario with its parts inlined
  /// Points are enumerated on demand (a 10^7-point grid is never held in memory): every listed
  /// point (or one empty point) crossed with the grid, the grid's last key varying fastest.
  std::vector<nlohmann::json> listed;
  std::vector<std::pair<std::string, nlohmann::json>> grid;  ///< (dotted key, array of values), sorted by key
  std::size_t size() const;
  SweepPoint point(std::size_t index) const;
  std::string engine = "analytic";  ///< "analytic" (plan + replay), "fast" (closed form) or "simgrid"
  std::string output;               ///< results file (JSON lines); empty: <sweep file stem>.results.jsonl
};

/// Most points one sweep may enumerate (10^7: a results file of a few GB).
constexpr std::size_t kMaxSweepPoints = 10'000'000;

SweepSpec load_sweep(const std::string& file);
SweepSpec parse_sweep(const nlohmann::json& j, const std::string& origin, const std::string& base_dir);

/// Applies a point's overrides to a copy of `base` (inlined scenario JSON). Overriding the GPU
/// count or a model-parallel size without "strategy.dp" lets dp follow from the GPU count.
/// "cluster.gpus" sets the node count (must be a multiple of gpus_per_node). A whole part may be
/// replaced ("cluster": "clusters/x.json" or an object; paths resolve from `base_dir`) and then
/// overridden field by field. Errors name `where`.
nlohmann::json apply_overrides(const nlohmann::json& base, const nlohmann::json& params, const std::string& where,
                               const std::string& base_dir = ".");

/// The scenario of one point (InputError naming the sweep file, the point and the field on a bad value).
Scenario scenario_for(const SweepSpec& spec, const SweepPoint& point);

}  // namespace trainsim
