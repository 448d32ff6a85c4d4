#include "sim/scenario/framework.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "models/util/errors.hpp"

#ifndef TRAINSIM_FRAMEWORKS_DIR
#define TRAINSIM_FRAMEWORKS_DIR "scenarios/frameworks"
#endif

namespace fs = std::filesystem;

namespace trainsim {

const std::vector<std::pair<std::string, std::string>>& framework_features() {
  static const std::vector<std::pair<std::string, std::string>> features = {
      {"tensor_parallel", "tensor parallelism (tp > 1)"},
      {"pipeline_parallel", "pipeline parallelism (pp > 1)"},
      {"interleaved_schedule", "the interleaved 1F1B schedule (vp > 1)"},
      {"uneven_virtual_stages", "virtual stages that split the layers unevenly (pp x vp not dividing them)"},
      {"sequence_parallel", "sequence parallelism"},
      {"selective_recompute", "selective recomputation"},
      {"context_parallel", "context parallelism (cp > 1)"},
      {"expert_parallel", "expert parallelism (ep > 1)"},
      {"overlap_grad_reduce", "overlapped gradient reduction"},
      {"overlap_param_gather", "overlapped parameter gathers"},
      {"tp_comm_overlap", "tensor-parallel communication overlap"},
      {"overlap_p2p_comm", "overlapped pipeline sends"},
      {"cp_all_gather", "context parallelism by an all-gather of K and V (cp_comm \"all-gather\")"},
      {"fp8", "FP8 training"},
      {"optimizer_offload", "optimizer offload to the host"},
      {"hybrid_sharding", "hybrid sharding (shard_group)"},
      {"gradient_accumulation_fusion", "gradient accumulation fused into the weight-gradient GEMM"},
      {"fused_bias", "bias fused into neighbouring kernels"},
  };
  return features;
}

namespace {

/// Months since year 0 of "YYYY" or "YYYY-MM"; a bare year is its first month (`end`: its last).
int months(const std::string& date, const std::string& where, bool end = false) {
  const bool ok = (date.size() == 4 || (date.size() == 7 && date[4] == '-')) &&
                  std::all_of(date.begin(), date.begin() + 4, ::isdigit) &&
                  (date.size() == 4 || (std::isdigit(date[5]) && std::isdigit(date[6])));
  if (!ok) throw InputError(where, "a date \"YYYY\" or \"YYYY-MM\"", "\"" + date + "\"");
  const int year = std::stoi(date.substr(0, 4));
  const int month = date.size() == 7 ? std::stoi(date.substr(5, 2)) : (end ? 12 : 1);
  if (month < 1 || month > 12) throw InputError(where, "a month from 01 to 12", "\"" + date + "\"");
  return year * 12 + month;
}

/// A stated knob and the feature it needs; `uses` says whether the stated value uses it.
struct KnobUse {
  const char* field;
  const char* feature;
  bool (*uses)(const nlohmann::json& strategy, const nlohmann::json& value);
};

bool is_true(const nlohmann::json&, const nlohmann::json& v) { return v.is_boolean() && v.get<bool>(); }
bool above_one(const nlohmann::json&, const nlohmann::json& v) { return v.is_number() && v.get<double>() > 1; }

const std::vector<KnobUse>& knob_uses() {
  static const std::vector<KnobUse> uses = {
      {"tp", "tensor_parallel", above_one},
      {"pp", "pipeline_parallel", above_one},
      {"vp", "interleaved_schedule", above_one},
      {"schedule", "interleaved_schedule",
       [](const nlohmann::json&, const nlohmann::json& v) { return v.is_string() && v == "interleaved-1f1b"; }},
      {"sequence_parallel", "sequence_parallel", is_true},
      {"recompute", "selective_recompute",
       [](const nlohmann::json&, const nlohmann::json& v) { return v.is_string() && v == "selective"; }},
      {"cp", "context_parallel", above_one},
      {"cp_comm", "cp_all_gather",
       [](const nlohmann::json&, const nlohmann::json& v) { return v.is_string() && v == "all-gather"; }},
      {"ep", "expert_parallel", above_one},
      {"overlap_grad_reduce", "overlap_grad_reduce", is_true},
      {"overlap_param_gather", "overlap_param_gather", is_true},
      {"tp_comm_overlap", "tp_comm_overlap", is_true},
      {"overlap_p2p_comm", "overlap_p2p_comm", is_true},
      {"precision", "fp8", [](const nlohmann::json&, const nlohmann::json& v) { return v.is_string() && v == "fp8"; }},
      {"optimizer_offload", "optimizer_offload", is_true},
      {"shard_group", "hybrid_sharding", [](const nlohmann::json&, const nlohmann::json& v) { return !v.is_null(); }},
      {"gradient_accumulation_fusion", "gradient_accumulation_fusion", is_true},
      {"fused_bias", "fused_bias", is_true},
  };
  return uses;
}

std::string what_of(const std::string& feature) {
  for (const auto& [f, what] : framework_features())
    if (f == feature) return what;
  return feature;
}

/// (field, message) for each knob of `strategy` that `p` lacks.
std::vector<std::pair<std::string, std::string>> missing(const FrameworkProfile& p, const nlohmann::json& strategy) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string in = " is not in " + p.name + " " + p.version;
  for (const auto& u : knob_uses()) {
    if (!strategy.contains(u.field)) continue;
    const auto& v = strategy.at(u.field);
    if (u.uses(strategy, v) && !p.has(u.feature)) out.emplace_back(u.field, what_of(u.feature) + in);
  }
  if (strategy.contains("attention") && strategy.at("attention").is_string()) {
    const std::string a = strategy.at("attention").get<std::string>();
    if (std::find(p.attention.begin(), p.attention.end(), a) == p.attention.end())
      out.emplace_back("attention", "attention \"" + a + "\"" + in);
  }
  if (strategy.contains("zero") && strategy.at("zero").is_number_integer()) {
    const int z = strategy.at("zero").get<int>();
    if (std::find(p.zero_stages.begin(), p.zero_stages.end(), z) == p.zero_stages.end())
      out.emplace_back("zero", "ZeRO stage " + std::to_string(z) + in);
  }
  if (strategy.contains("moe_dispatcher") && strategy.at("moe_dispatcher").is_string()) {
    const std::string d = strategy.at("moe_dispatcher").get<std::string>();
    if (std::find(p.moe_dispatchers.begin(), p.moe_dispatchers.end(), d) == p.moe_dispatchers.end())
      out.emplace_back("moe_dispatcher", "the MoE token dispatcher \"" + d + "\"" + in);
  }
  if (strategy.contains("zero_runtime") && strategy.at("zero_runtime").is_string()) {
    const std::string z = strategy.at("zero_runtime").get<std::string>();
    if (std::find(p.zero3_runtimes.begin(), p.zero3_runtimes.end(), z) == p.zero3_runtimes.end())
      out.emplace_back("zero_runtime", "the ZeRO-3 runtime \"" + z + "\"" + in);
  }
  return out;
}

/// The strings of an array member (absent: none); errors name the element.
std::vector<std::string> strings(const JsonReader& r, const std::string& key, const char* what) {
  std::vector<std::string> out;
  if (!r.present(key)) return out;
  const auto& v = r.json().at(key);
  if (!v.is_array()) throw InputError(r.where(key), std::string("an array of ") + what, JsonReader::describe(v));
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string())
      throw InputError(r.where(key) + "[" + std::to_string(i) + "]", what, JsonReader::describe(v[i]));
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

}  // namespace

const std::vector<std::string>& searchable_knobs() {
  static const std::vector<std::string> knobs = {
      "micro_batch",    "vp", "recompute", "zero", "sequence_parallel", "overlap_grad_reduce", "overlap_param_gather",
      "tp_comm_overlap"};
  return knobs;
}

bool FrameworkProfile::has(const std::string& feature) const {
  const auto it = switches.find(feature);
  return it != switches.end() && it->second;
}

std::string FrameworkProfile::label() const { return name + " " + version + " (" + date + ")"; }

FrameworkProfile parse_framework_profile(const JsonReader& r) {
  r.reject_unknown({"name", "version", "versions", "date", "description", "sources", "features", "defaults", "tuned"});
  FrameworkProfile p;
  p.origin = r.origin();
  p.name = r.str("name");
  p.version = r.str("version");
  p.date = r.str("date");
  months(p.date, r.where("date"));
  p.description = r.opt_str("description").value_or("");
  p.versions = strings(r, "versions", "a version string");
  if (p.versions.empty()) p.versions.push_back(p.version);
  p.sources = strings(r, "sources", "a source string");
  p.tuned = strings(r, "tuned", "a searchable knob name");
  for (std::size_t i = 0; i < p.tuned.size(); ++i)
    if (std::find(searchable_knobs().begin(), searchable_knobs().end(), p.tuned[i]) == searchable_knobs().end())
      throw InputError(r.where("tuned") + "[" + std::to_string(i) + "]",
                       "one of micro_batch, vp, recompute, zero, sequence_parallel, overlap_grad_reduce, "
                       "overlap_param_gather, tp_comm_overlap",
                       "\"" + p.tuned[i] + "\"");
  const JsonReader f = r.object("features");
  std::vector<std::string> known = {"attention", "zero_stages", "zero3_runtimes", "moe_dispatchers"};
  for (const auto& [name, what] : framework_features()) known.push_back(name);
  f.reject_unknown(known);
  for (const auto& [name, what] : framework_features()) p.switches[name] = f.opt_boolean(name).value_or(false);
  if (!f.present("attention")) throw InputError(f.where("attention"), "the attention kernels it has", "nothing");
  p.attention = strings(f, "attention", "an attention kernel name");
  if (!f.present("zero_stages")) throw InputError(f.where("zero_stages"), "the ZeRO stages it has", "nothing");
  const auto& zs = f.json().at("zero_stages");
  if (!zs.is_array()) throw InputError(f.where("zero_stages"), "an array of ZeRO stages", JsonReader::describe(zs));
  for (std::size_t i = 0; i < zs.size(); ++i) {
    if (!zs[i].is_number_integer() || zs[i].get<int>() < 0 || zs[i].get<int>() > 3)
      throw InputError(f.where("zero_stages") + "[" + std::to_string(i) + "]", "a ZeRO stage 0 to 3",
                       JsonReader::describe(zs[i]));
    p.zero_stages.push_back(zs[i].get<int>());
  }
  p.zero3_runtimes = strings(f, "zero3_runtimes", "a ZeRO-3 runtime name");
  p.moe_dispatchers = f.present("moe_dispatchers") ? strings(f, "moe_dispatchers", "an MoE token dispatcher name")
                                                   : std::vector<std::string>{"alltoall"};
  for (std::size_t i = 0; i < p.moe_dispatchers.size(); ++i) {
    const auto& d = p.moe_dispatchers[i];
    if (d != "alltoall" && d != "allgather" && d != "deepep" && d != "hybridep")
      throw InputError(f.where("moe_dispatchers") + "[" + std::to_string(i) + "]",
                       "alltoall, allgather, deepep or hybridep", "\"" + d + "\"");
  }
  if (r.present("defaults")) {
    const JsonReader d = r.object("defaults");
    for (const auto& [field, entry] : d.json().items()) {
      const JsonReader e = d.object(field);
      e.reject_unknown({"value", "source"});
      if (!e.has("value")) throw InputError(e.where("value"), "the default value", "nothing (missing)");
      p.defaults[field] = {e.json().at("value"), e.str("source")};
    }
  }
  // Its defaults are in it, and where it lacks what the simulator would otherwise assume
  // (flash attention, the fused kernels) it says what it does instead.
  nlohmann::json stated = nlohmann::json::object();
  for (const auto& [field, d] : p.defaults) stated[field] = d.value;
  for (const auto& [field, message] : missing(p, stated))
    throw InputError(r.where("defaults") + "." + field, "a default the framework has", message);
  if (std::find(p.attention.begin(), p.attention.end(), "flash") == p.attention.end() && !p.defaults.count("attention"))
    throw InputError(r.where("defaults"), "an attention default (the framework has no \"flash\")", "none");
  for (const char* fused : {"gradient_accumulation_fusion", "fused_bias"})
    if (!p.has(fused) && !p.defaults.count(fused))
      throw InputError(r.where("defaults"), std::string("a ") + fused + " default (false: the framework lacks it)",
                       "none");
  return p;
}

std::string default_frameworks_dir() {
  if (const char* d = std::getenv("TRAINSIM_FRAMEWORKS_DIR"); d && *d) return d;
  return TRAINSIM_FRAMEWORKS_DIR;
}

const std::vector<FrameworkProfile>& framework_catalog(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::vector<FrameworkProfile>> read;
  std::lock_guard<std::mutex> lock(mu);
  auto it = read.find(dir);
  if (it != read.end()) return it->second;
  std::vector<FrameworkProfile> out;
  if (!fs::is_directory(dir))
    throw InputError("framework catalog", "a folder of framework profiles (TRAINSIM_FRAMEWORKS_DIR)",
                     "\"" + dir + "\" (not found)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files)
    out.push_back(parse_framework_profile(JsonReader(read_json_file(f.string()), f.string())));
  return read.emplace(dir, std::move(out)).first->second;
}

const FrameworkProfile& select_framework(const std::vector<FrameworkProfile>& catalog, const FrameworkRef& ref,
                                         const std::string& where, std::string* why) {
  auto say = [&](const std::string& s) {
    if (why) *why = s;
  };
  std::vector<const FrameworkProfile*> named;
  for (const auto& p : catalog)
    if (p.name == ref.name) named.push_back(&p);
  if (ref.version && !named.empty()) {
    for (const auto* p : named)
      if (std::find(p->versions.begin(), p->versions.end(), *ref.version) != p->versions.end()) {
        say("the stated version " + *ref.version);
        return *p;
      }
  }
  const int by = ref.date ? months(*ref.date, where + ".date", /*end=*/true) : 1 << 30;
  auto newest_by = [&](const std::vector<const FrameworkProfile*>& ps) -> const FrameworkProfile* {
    const FrameworkProfile* best = nullptr;
    for (const auto* p : ps)
      if (months(p->date, p->origin) <= by && (!best || months(p->date, p->origin) > months(best->date, best->origin)))
        best = p;
    return best;
  };
  if (!named.empty()) {
    const std::string stated = ref.version ? "version " + *ref.version + " has no profile; " : "";
    if (const auto* p = newest_by(named)) {
      say(stated + (ref.date ? "the newest " + ref.name + " profile dated no later than " + *ref.date
                             : "the newest " + ref.name + " profile"));
      return *p;
    }
    const auto* oldest = *std::min_element(named.begin(), named.end(), [](const auto* a, const auto* b) {
      return months(a->date, a->origin) < months(b->date, b->origin);
    });
    say(stated + "the oldest " + ref.name + " profile (all are dated after " + ref.date.value_or("?") + ")");
    return *oldest;
  }
  std::vector<const FrameworkProfile*> generic;
  for (const auto& p : catalog)
    if (p.name == "generic") generic.push_back(&p);
  if (const auto* p = newest_by(generic)) {
    say("\"" + ref.name + "\" has no profile: the generic profile dated no later than " + ref.date.value_or("today"));
    return *p;
  }
  throw InputError(where + ".name", "a framework of the catalog (" + default_frameworks_dir() + ") or a date",
                   "\"" + ref.name + "\"");
}

std::vector<std::string> knobs_not_in(const FrameworkProfile& profile, const nlohmann::json& strategy) {
  std::vector<std::string> out;
  for (const auto& [field, message] : missing(profile, strategy)) out.push_back(field + ": " + message);
  return out;
}

std::vector<std::string> apply_framework(const FrameworkProfile& profile, nlohmann::json& strategy,
                                         const std::string& where) {
  for (const auto& [field, message] : missing(profile, strategy))
    throw InputError(where + "." + field + ": " + message + " (" + profile.label() + ", " + profile.origin + ")");
  return fill_framework_defaults(profile, strategy);
}

std::vector<std::string> fill_framework_defaults(const FrameworkProfile& profile, nlohmann::json& strategy) {
  // Defaults of knobs that mean something only with others: filled where they apply.
  auto value = [&](const char* f, const nlohmann::json& otherwise) {
    if (strategy.contains(f) && !strategy.at(f).is_null()) return strategy.at(f);
    const auto d = profile.defaults.find(f);
    return d != profile.defaults.end() ? d->second.value : otherwise;
  };
  auto applies = [&](const std::string& field) {
    if (field == "zero_runtime" || field == "fsdp_param_dtype") return value("zero", 0).get<int>() >= 3;
    if (field == "tp_comm_overlap") return value("sequence_parallel", false).get<bool>();
    return true;
  };
  std::vector<std::string> fills;
  for (const auto& [field, d] : profile.defaults) {
    if (strategy.contains(field) && !strategy.at(field).is_null()) continue;
    if (!applies(field)) continue;
    strategy[field] = d.value;
    fills.push_back(field + "=" + (d.value.is_string() ? d.value.get<std::string>() : d.value.dump()) + " (" +
                    profile.label() + ": " + d.source + ")");
  }
  return fills;
}

}  // namespace trainsim
