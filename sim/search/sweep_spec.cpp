#include "sim/search/sweep_spec.hpp"

#include <algorithm>
#include <filesystem>

#include "models/util/errors.hpp"
#include "models/util/json_reader.hpp"

namespace fs = std::filesystem;

namespace trainsim {

namespace {

const std::vector<std::string> kRoots = {"name", "cluster", "workload", "strategy", "options"};

void check_path(const std::string& path, const std::string& where) {
  const auto dot = path.find('.');
  const std::string root = path.substr(0, dot);
  if (std::find(kRoots.begin(), kRoots.end(), root) == kRoots.end() || path.empty() || path.back() == '.' ||
      path.find("..") != std::string::npos)
    throw InputError(where, "a dotted scenario field such as \"strategy.tp\" or \"cluster.gpus\"", "\"" + path + "\"");
}

}  // namespace

SweepSpec parse_sweep(const nlohmann::json& j, const std::string& origin, const std::string& base_dir) {
  JsonReader r(j, origin);
  if (!j.is_object()) throw InputError(origin + ": $", "a sweep object", JsonReader::describe(j));
  r.reject_unknown({"name", "description", "base", "grid", "points", "engine", "output"});
  SweepSpec spec;
  spec.origin = origin;
  spec.base_dir = base_dir;
  if (!r.present("base")) throw InputError(r.where("base"), "a scenario object or a path to one", "nothing (missing)");
  const auto& b = j.at("base");
  std::string scenario_dir = base_dir, scenario_origin = origin;
  nlohmann::json base;
  if (b.is_string()) {
    fs::path p = b.get<std::string>();
    if (p.is_relative()) p = fs::path(base_dir) / p;
    base = read_json_file(p.string());
    scenario_dir = p.parent_path().string();
    scenario_origin = p.string();
  } else if (b.is_object()) {
    base = b;
  } else {
    throw InputError(r.where("base"), "a scenario object or a path to one", JsonReader::describe(b));
  }
  spec.base = inline_scenario_parts(base, scenario_origin, scenario_dir);
  spec.engine = r.opt_choice("engine", {"analytic", "fast", "simgrid"}).value_or("analytic");
  if (auto o = r.opt_str("output")) {
    fs::path p = *o;
    spec.output = (p.is_relative() ? fs::path(base_dir) / p : p).string();
  }

  if (r.present("points")) {
    for (const auto& pr : r.array("points")) {
      if (!pr.json().is_object())
        throw InputError(pr.where(), "an object of overrides", JsonReader::describe(pr.json()));
      for (const auto& [key, v] : pr.json().items()) check_path(key, pr.where(key));
      spec.listed.push_back(pr.json());
    }
    if (spec.listed.empty()) throw InputError(r.where("points"), "at least one point", "an empty array");
  } else {
    spec.listed.push_back(nlohmann::json::object());
  }
  std::size_t total = spec.listed.size();
  if (auto g = r.opt_object("grid")) {
    for (const auto& [key, values] : g->json().items()) {  // nlohmann::json objects iterate in sorted key order
      check_path(key, g->where(key));
      if (!values.is_array() || values.empty())
        throw InputError(g->where(key), "a non-empty array of values", JsonReader::describe(values));
      if (total > kMaxSweepPoints / values.size())
        throw InputError(g->where(key), "at most " + std::to_string(kMaxSweepPoints) + " points in all",
                         std::to_string(total) + " x " + std::to_string(values.size()) + " points");
      total *= values.size();
      spec.grid.emplace_back(key, values);
    }
  } else if (!r.present("points")) {
    throw InputError(r.where("grid"), "a grid or a list of points", "neither");
  }
  return spec;
}

std::size_t SweepSpec::size() const {
  std::size_t n = listed.size();
  for (const auto& [key, values] : grid) n *= values.size();
  return n;
}

SweepPoint SweepSpec::point(std::size_t index) const {
  if (index >= size()) throw InternalError("sweep: point " + std::to_string(index) + " out of range");
  SweepPoint p;
  p.index = index;
  std::size_t rest = index;
  std::vector<std::size_t> pick(grid.size());
  for (std::size_t a = grid.size(); a-- > 0;) {
    const std::size_t n = grid[a].second.size();
    pick[a] = rest % n;
    rest /= n;
  }
  p.params = listed[rest];
  for (std::size_t a = 0; a < grid.size(); ++a) p.params[grid[a].first] = grid[a].second[pick[a]];
  p.key = p.params.dump();  // nlohmann::json objects keep keys sorted: canonical
  return p;
}

SweepSpec load_sweep(const std::string& file) {
  const auto j = read_json_file(file);
  SweepSpec spec = parse_sweep(j, file, fs::path(file).parent_path().string());
  // Results are the user's, not the sweep's: by default in the working directory, so that running
  // a shipped sweep does not write into scenarios/ (#21 item 8).
  if (spec.output.empty()) spec.output = fs::path(file).stem().string() + ".results.jsonl";
  return spec;
}

namespace {

/// Sets `value` at dotted `path` inside `j`, creating objects on the way.
void set_path(nlohmann::json& j, const std::string& path, const nlohmann::json& value, const std::string& where) {
  nlohmann::json* node = &j;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object())
      throw InputError(where, "a field inside an object", "a path through " + JsonReader::describe(*node));
    if (dot == std::string::npos) {
      (*node)[part] = value;
      return;
    }
    nlohmann::json& child = (*node)[part];
    if (child.is_null()) child = nlohmann::json::object();
    node = &child;
    start = dot + 1;
  }
}

}  // namespace

nlohmann::json apply_overrides(const nlohmann::json& base, const nlohmann::json& params, const std::string& where,
                               const std::string& base_dir) {
  nlohmann::json j = base;
  bool sizes_changed = false, dp_given = false;
  // Whole parts first ("cluster": "clusters/x.json" or an object), inlined, then the fields inside.
  bool whole_part = false;
  for (const auto& [path, value] : params.items()) {
    check_path(path, where + "[\"" + path + "\"]");
    if (path.find('.') == std::string::npos) {
      j[path] = value;
      whole_part = true;
      if (path == "cluster" || path == "strategy") sizes_changed = true;
    }
  }
  if (whole_part) j = inline_scenario_parts(j, where, base_dir);
  for (const auto& [path, value] : params.items()) {
    if (path.find('.') == std::string::npos) continue;
    const std::string w = where + "[\"" + path + "\"]";
    if (path == "cluster.gpus") {
      const auto& c = j["cluster"];
      const auto gpn = c.contains("gpus_per_node") && c["gpus_per_node"].is_number_integer()
                           ? c["gpus_per_node"].get<std::int64_t>()
                           : 1;
      // A zero or negative gpus_per_node would divide by zero here (found by fuzz_sweep).
      if (gpn < 1) throw InputError(w, "a cluster with gpus_per_node >= 1", "gpus_per_node = " + std::to_string(gpn));
      // A cluster of scale-up domains grows by whole domains.
      std::int64_t step = gpn;
      if (c.contains("scale_up_domain") && c["scale_up_domain"].is_object() && c["scale_up_domain"].contains("gpus") &&
          c["scale_up_domain"]["gpus"].is_number_integer())
        step = std::max(gpn, c["scale_up_domain"]["gpus"].get<std::int64_t>());
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() % step != 0)
        throw InputError(w,
                         std::string("a positive multiple of the cluster's ") +
                             (step == gpn ? "gpus_per_node" : "scale-up domain") + " (" + std::to_string(step) + ")",
                         JsonReader::describe(value));
      j["cluster"]["nodes"] = value.get<std::int64_t>() / gpn;
      sizes_changed = true;
      continue;
    }
    set_path(j, path, value, w);
    if (path == "strategy.dp") dp_given = true;
    if (path == "strategy.tp" || path == "strategy.pp" || path == "strategy.cp" || path == "cluster.nodes" ||
        path == "cluster.gpus_per_node")
      sizes_changed = true;
  }
  if (sizes_changed && !dp_given && j.contains("strategy") && j["strategy"].is_object()) j["strategy"].erase("dp");
  return j;
}

Scenario scenario_for(const SweepSpec& spec, const SweepPoint& point) {
  const std::string where = spec.origin + ": point " + std::to_string(point.index) + " " + point.key;
  const auto j =
      apply_overrides(spec.base, point.params, spec.origin + ": point " + std::to_string(point.index), spec.base_dir);
  return parse_scenario(j, where, spec.base_dir);
}

}  // namespace trainsim
