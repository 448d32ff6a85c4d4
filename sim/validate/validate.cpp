#include "sim/validate/validate.hpp"

#include <fmt/format.h>

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/report/report.hpp"
#include "sim/scorer/strategy_scorer.hpp"
#include "sim/validate/framework_recipes.hpp"
#include "sim/validate/model_shapes.hpp"

namespace trainsim {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// NIC line rate of the InfiniBand generation sold with each GPU (SC'21 Sec. 5: HDR 200 Gb/s
/// for A100; MLPerf DGX H100 system JSON: NDR 400 Gb/s; V100 era: EDR 100 Gb/s).
double default_nic_gbps(const std::string& gpu) {
  if (gpu.rfind("V100", 0) == 0) return 100;
  if (gpu.rfind("A100", 0) == 0 || gpu.rfind("A800", 0) == 0) return 200;
  return 400;
}

/// Model families trained without dropout: Llama 2/3 and Nemotron (NVIDIA/NeMo-Framework-Launcher
/// conf/training/llama/llama2_70b.yaml, nemotron/nemotron_340b.yaml: hidden_dropout = attention_dropout
/// = 0.0) and MPT (llm-foundry MPTConfig: attn_pdrop = resid_pdrop = emb_pdrop = 0.0). GPT-3-style
/// Megatron/NeMo GPT models keep 0.1.
bool trains_without_dropout(const std::string& name) {
  const auto n = lower(name);
  for (const char* f : {"llama", "nemotron", "mpt"})
    if (n.find(f) != std::string::npos) return true;
  return false;
}

/// Vocabulary of the model family when the record leaves it null (public configs: GPT-2 BPE
/// padded by Megatron to 51200; Llama 2 32000; Llama 3 128256).
std::int64_t default_vocab(const std::string& name) {
  const auto n = lower(name);
  if (n.find("llama3") != std::string::npos || n.find("llama 3") != std::string::npos ||
      n.find("llama-3") != std::string::npos)
    return 128256;
  if (n.find("llama") != std::string::npos || n.find("mixtral") != std::string::npos) return 32000;
  return 51200;
}

double to_metric(const std::string& metric, const Metrics& m, const PublishedRecord& r, const Scenario& sc) {
  const double N = m.gpus, T = m.iteration_time_s;
  if (metric == "iteration_time_s") return T;
  if (metric == "tokens_per_s_per_gpu") return m.tokens_per_s / N;
  if (metric == "model_tflops_per_gpu") return m.model_tflops_per_gpu;
  if (metric == "mfu") return m.mfu;
  if (metric == "avg_power_w_per_gpu" || metric == "energy_kwh_total") {
    // What the figure covers, from the record's `scope` (schema: GPUs only, whole node, facility
    // with PUE): the matching part of the energy model's breakdown (sim/metrics/energy_cost.hpp).
    const auto& e = m.energy_cost.energy.per_iteration;
    const std::string scope = lower(r.scope);
    if (!m.energy_cost.valid || e.iteration_s <= 0) throw InputError(r.id + ": no energy prediction for this row");
    // The coverage the scope names first decides ("node-level: ... excludes the switches and
    // facility/PUE" covers nodes): a later mention is usually what the figure leaves out.
    enum class Cover { Gpu, Node, Facility };
    std::optional<Cover> cover;
    std::size_t first = std::string::npos;
    for (const auto& [word, c] : std::vector<std::pair<std::string, Cover>>{{"facility", Cover::Facility},
                                                                            {"pue", Cover::Facility},
                                                                            {"node", Cover::Node},
                                                                            {"system", Cover::Node},
                                                                            {"gpu", Cover::Gpu}}) {
      const std::size_t at = scope.find(word);
      if (at < first) first = at, cover = c;
    }
    if (!cover)
      throw InputError(r.id + ": $.scope", "what the figure covers: GPUs only, whole node or facility with PUE",
                       "\"" + r.scope + "\"");
    const double joules = *cover == Cover::Facility ? e.total_j()
                          : *cover == Cover::Node   ? e.gpu_j + e.host_j
                                                    : e.gpu_j;
    if (metric == "avg_power_w_per_gpu") return joules / e.iteration_s / N;
    // The whole run: the iterations of the record's token count (measured.others.train_tokens).
    const auto& o = r.others;
    if (!o.is_object() || !o.contains("train_tokens") || !o["train_tokens"].is_number())
      throw InputError(r.id + ": $.measured.others.train_tokens", "the run's token count (for energy_kwh_total)",
                       "nothing");
    const double tokens_per_iteration = static_cast<double>(sc.strategy.global_batch) * sc.workload.model.seq_len;
    return joules * (o["train_tokens"].get<double>() / tokens_per_iteration) / 3.6e6;
  }
  if (metric == "hardware_tflops_per_gpu") {
    // The SC'21 rows count with eq. (3), which assumes full recomputation (schema notes).
    if (r.notes.find("eq.(3)") != std::string::npos)
      return narayanan_eq3_flops(sc.workload.model, sc.strategy.global_batch) / T / N / 1e12;
    return m.hardware_tflops_per_gpu;
  }
  throw InputError(r.id + ": $.measured.metric",
                   "iteration_time_s, model_tflops_per_gpu, hardware_tflops_per_gpu, tokens_per_s_per_gpu, mfu, "
                   "avg_power_w_per_gpu or energy_kwh_total",
                   "\"" + metric + "\"");
}

/// The features a predicted row exercises (for the per-feature MAPE of docs/validation.md).
std::vector<std::string> row_features(const Scenario& sc) {
  const Strategy& s = sc.strategy;
  std::vector<std::string> f;
  const std::string gpu = sc.cluster.gpu.name;
  f.push_back("gpu " + gpu.substr(0, gpu.find('-')));
  if (s.zero >= 3)
    f.push_back("zero-3 / fsdp");
  else if (s.zero >= 1)
    f.push_back("zero-1/2 (distributed optimizer)");
  if (s.precision == Precision::FP8) f.push_back("fp8");
  if (s.vp > 1)
    f.push_back("interleaved pipeline (vp > 1)");
  else if (s.pp > 1)
    f.push_back("pipeline (1f1b)");
  if (s.tp > 1) f.push_back(s.sequence_parallel ? "tensor parallel + sequence parallel" : "tensor parallel");
  if (s.cp > 1) f.push_back("context parallel");
  if (sc.workload.model.moe) f.push_back("mixture of experts");
  if (s.recompute == Recompute::Full) f.push_back("full recompute");
  if (s.recompute == Recompute::Selective) f.push_back("selective recompute");
  return f;
}

std::vector<std::int64_t> divisors_upto(std::int64_t n, std::int64_t cap) {
  std::vector<std::int64_t> d;
  for (std::int64_t i = 1; i <= std::min(n, cap); ++i)
    if (n % i == 0) d.push_back(i);
  return d;
}

}  // namespace

namespace {

std::string json_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

/// What scenario_from_record settles besides the scenario: the framework profile and which
/// strategy knobs are fixed (stated by the record or its recipe), so validate_record searches the rest.
struct RecordResolution {
  const FrameworkProfile* profile = nullptr;
  std::string choice;                       ///< why that profile (select_framework's rule)
  std::vector<std::string> not_in_profile;  ///< stated knobs the profile lacks ("field: message")
  std::set<std::string> fixed;              ///< strategy fields stated or from the recipe
};

Scenario record_scenario(const PublishedRecord& r, std::vector<std::string>& filled, nlohmann::json* json_out,
                         RecordResolution& res) {
  if (r.kind != "run") throw InputError("a reference constant, not a run to predict");
  if (!r.gpu || !r.gpus) throw InputError("system.gpu or system.gpus is null");
  const std::string where = r.id;
  auto fill = [&](const std::string& what) { filled.push_back(what); };

  // The framework: the record's reference selects a profile (an unknown or absent one: generic).
  const FrameworkRef ref = r.framework.value_or(FrameworkRef{"unknown", std::nullopt, std::nullopt});
  res.profile = &select_framework(framework_catalog(), ref, where + ": $.framework", &res.choice);
  fill("framework=" + res.profile->label() + " (" + res.choice + ")");

  // Model. A record naming a known model without its shape gets the public configuration.
  std::optional<PublishedModelShape> shape;
  if (!r.layers || !r.hidden || !r.heads) {
    shape = published_model_shape(r.model_name.value_or(""));
    if (!shape)
      throw InputError(
          "model shape not published (layers, hidden or heads is null) and the model name is not in the catalog of "
          "public configurations");
    fill(fmt::format("shape of {}: {} layers, hidden {}, {} heads ({} KV), ffn {}, vocab {}, {} ({})",
                     r.model_name.value_or(""), shape->layers, shape->hidden, shape->heads, shape->kv_heads, shape->ffn,
                     shape->vocab, shape->activation, shape->source));
  }
  const int layers = r.layers.value_or(shape ? shape->layers : 0);
  const std::int64_t hidden = r.hidden.value_or(shape ? shape->hidden : 0);
  const int heads = r.heads.value_or(shape ? shape->heads : 0);
  nlohmann::json model = {{"name", r.model_name.value_or(r.id)},
                          {"layers", layers},
                          {"hidden", hidden},
                          {"heads", heads},
                          {"seq_len", r.seq_len.value_or(2048)}};
  if (!r.seq_len) fill("seq_len=2048 (GPT-3 context length)");
  model["kv_heads"] = r.kv_heads.value_or(shape ? shape->kv_heads : heads);
  if (r.head_dim) model["head_dim"] = *r.head_dim;
  if (r.lora) model["lora"] = *r.lora;
  std::string act = r.activation.value_or(shape ? shape->activation : "gelu");
  if (!r.activation && !shape) fill("activation=gelu (GPT-style MLP)");
  model["activation"] = act;
  model["ffn"] = r.ffn.value_or(shape ? shape->ffn : 4 * hidden);
  if (!r.ffn && !shape) fill("ffn=4h (GPT MLP)");
  const auto vocab = r.vocab.value_or(shape ? shape->vocab : default_vocab(r.model_name.value_or("")));
  if (!r.vocab && !shape) fill("vocab=" + std::to_string(vocab) + " (model family's public config)");
  model["vocab"] = vocab;
  if (shape) {
    model["bias"] = shape->bias;
    model["tied_embeddings"] = shape->tied_embeddings;
  }
  if (r.attention_kind && *r.attention_kind == "mla") {
    // Multi-head latent attention: its dimensions are the model family's released configuration.
    if (const auto m = published_mla_shape(r.model_name.value_or(""))) {
      model["mla"] = {{"q_lora_rank", m->q_lora_rank},
                      {"kv_lora_rank", m->kv_lora_rank},
                      {"qk_nope_head_dim", m->qk_nope_head_dim},
                      {"qk_rope_head_dim", m->qk_rope_head_dim},
                      {"v_head_dim", m->v_head_dim}};
      fill(fmt::format("mla: q_lora {}, kv_lora {}, qk {}+{}, v {} ({})", m->q_lora_rank, m->kv_lora_rank,
                       m->qk_nope_head_dim, m->qk_rope_head_dim, m->v_head_dim, m->source));
    } else {
      fill(
          "WARNING: attention=mla but the model is not in the catalog of MLA configurations: multi-head attention "
          "of the same width assumed");
    }
  }
  if (r.moe) {
    // Mixture of experts (schema: experts, top_k, expert_ffn, shared_experts, moe_layers).
    if (!r.moe->experts) throw InputError("model.moe.experts is null");
    nlohmann::json moe = {{"experts", *r.moe->experts}};
    moe["top_k"] = r.moe->top_k.value_or(2);
    if (!r.moe->top_k) fill("moe.top_k=2 (GShard / Mixtral routing)");
    moe["expert_ffn"] = r.moe->expert_ffn.value_or(model["ffn"].get<std::int64_t>());
    moe["shared_experts"] = r.moe->shared_experts.value_or(0);
    if (r.dense_layers) moe["first_dense_layers"] = *r.dense_layers;
    if (r.moe->capacity_factor) moe["capacity_factor"] = *r.moe->capacity_factor;
    // moe_layers counts the MoE layers after the leading dense ones (DeepSeek-V3: 3 dense, 58 MoE
    // of 61): every layer past them is MoE when the counts add up.
    if (r.moe->moe_layers && !(r.dense_layers && *r.dense_layers + *r.moe->moe_layers == layers))
      moe["moe_layers"] = *r.moe->moe_layers;
    model["moe"] = moe;
  }

  // Cluster.
  int gpn = r.gpus_per_node.value_or(8);
  if (!r.gpus_per_node) fill("gpus_per_node=8 (HGX/DGX board)");
  if (*r.gpus < gpn) gpn = *r.gpus;
  if (*r.gpus % gpn != 0) throw InputError(where + ": system.gpus is not a multiple of gpus_per_node");
  nlohmann::json cluster = {{"name", r.cluster.value_or("published cluster")},
                            {"gpu", *r.gpu},
                            {"nodes", *r.gpus / gpn},
                            {"gpus_per_node", gpn}};
  cluster["intra_node"] = {{"kind", r.intra_node.value_or("nvswitch")}};
  if (!r.intra_node) fill("intra_node=nvswitch (SXM boards)");
  cluster["nics_per_node"] = r.nics_per_node.value_or(gpn);
  if (!r.nics_per_node) fill("nics_per_node=" + std::to_string(gpn) + " (one NIC per GPU, DGX/HGX reference design)");
  const double nic = r.nic_gbps.value_or(default_nic_gbps(*r.gpu));
  if (!r.nic_gbps) fill(fmt::format("nic_gbps={} (InfiniBand generation of the GPU)", nic));
  cluster["nic_gbps"] = nic;
  cluster["fabric"] = {{"kind", r.fabric.value_or("infiniband")}, {"topology", "fat-tree"}};
  if (!r.fabric) fill("fabric=infiniband non-blocking fat-tree");

  // Strategy: what the record states...
  nlohmann::json st;
  st["tp"] = r.tp.value_or(1);
  st["pp"] = r.pp.value_or(1);
  st["cp"] = r.cp.value_or(1);
  if (!r.tp) fill("tp=1");
  if (!r.pp) fill("pp=1");
  if (r.ep) st["ep"] = *r.ep;
  if (r.etp) st["etp"] = *r.etp;
  // A stated dp that does not make tp x pp x cp x dp the GPU count (some sources count expert data
  // parallelism, or GPUs held back) is left to follow from the GPU count, and the row says so.
  const int model_parallel = r.tp.value_or(1) * r.pp.value_or(1) * r.cp.value_or(1);
  const bool dp_consistent = r.dp && static_cast<long long>(model_parallel) * *r.dp == *r.gpus;
  const int dp = dp_consistent ? *r.dp : *r.gpus / std::max(1, model_parallel);
  if (dp_consistent)
    st["dp"] = *r.dp;
  else if (r.dp)
    fill(fmt::format("dp=gpus/(tp x pp x cp) (the stated dp {} makes {} GPUs, not {})", *r.dp,
                     static_cast<long long>(model_parallel) * *r.dp, *r.gpus));
  if (r.sequence_parallel) st["sequence_parallel"] = *r.sequence_parallel;
  if (r.zero)
    st["zero"] = *r.zero;
  else if (r.distributed_optimizer)
    st["zero"] = *r.distributed_optimizer ? 1 : 0;
  if (r.schedule) st["schedule"] = *r.schedule;
  if (r.vp) st["vp"] = *r.vp;
  if (r.micro_batch) st["micro_batch"] = *r.micro_batch;
  if (r.recompute) st["recompute"] = *r.recompute;
  if (r.overlap_grad_reduce) st["overlap_grad_reduce"] = *r.overlap_grad_reduce;
  if (r.overlap_param_gather) st["overlap_param_gather"] = *r.overlap_param_gather;
  if (r.tp_comm_overlap) st["tp_comm_overlap"] = *r.tp_comm_overlap;
  if (!r.global_batch) throw InputError("strategy.global_batch is null");
  st["global_batch"] = *r.global_batch;
  {
    // A batch that does not divide over the data-parallel replicas (times a stated micro-batch):
    // the nearest one that does, said in the row.
    const std::int64_t unit = std::int64_t(std::max(1, dp)) * r.micro_batch.value_or(1);
    if (dp >= 1 && *r.global_batch % unit != 0) {
      const auto gb = std::max<std::int64_t>(unit, (*r.global_batch + unit / 2) / unit * unit);
      st["global_batch"] = gb;
      fill(fmt::format("global_batch={} (the published {} does not divide over dp={}{}: the nearest that does)", gb,
                       *r.global_batch, dp,
                       r.micro_batch ? fmt::format(" x micro_batch={}", *r.micro_batch) : std::string()));
    }
  }
  st["precision"] = r.precision.value_or("bf16");
  // ...then the framework's recipe for this model and layout, where the record is silent...
  for (const auto& recipe : framework_recipes(default_recipes_dir())) {
    if (!recipe_matches(recipe, r, res.profile->name)) continue;
    std::vector<std::string> took;
    for (const auto& [field, value] : recipe.strategy.items())
      if (!st.contains(field)) {
        st[field] = value;
        took.push_back(field == "tp_overlap_cfg" ? field : field + "=" + json_text(value));
      }
    if (!took.empty()) fill(fmt::format("{} ({})", fmt::join(took, ", "), recipe.source));
  }
  for (const auto& [field, value] : st.items()) res.fixed.insert(field);
  // A stated knob the profile lacks is predicted as stated and flagged: the profile is then wrong.
  res.not_in_profile = knobs_not_in(*res.profile, st);
  for (const auto& m : res.not_in_profile) fill("NOT IN PROFILE " + res.profile->label() + ": " + m);
  // ...then the framework's defaults for the rest (the searched knobs start from them).
  for (const auto& f : fill_framework_defaults(*res.profile, st)) fill(f);
  if (r.pp.value_or(1) > 1 && !st.contains("schedule")) {
    st["schedule"] = st.value("vp", 1) > 1 ? "interleaved-1f1b" : "1f1b";
  }
  if (trains_without_dropout(r.model_name.value_or(""))) {
    st["dropout"] = false;
    fill(
        "dropout=false (model family's public config: Llama 2/3 and Nemotron recipes hidden/attention dropout 0.0, "
        "MPT attn_pdrop = resid_pdrop = 0.0)");
  }

  nlohmann::json scen = {{"name", r.id},
                         {"cluster", cluster},
                         {"workload", {{"name", r.model_name.value_or(r.id)}, {"model", model}}},
                         {"strategy", st}};
  if (json_out) *json_out = scen;
  Scenario sc = parse_scenario(scen, r.id, ".");
  const Strategy& s = sc.strategy;
  if (s.vp > 1 && sc.workload.model.layers % (s.pp * s.vp) != 0 && !res.profile->has("uneven_virtual_stages")) {
    res.not_in_profile.push_back("vp: virtual stages that split the layers unevenly are not in " + res.profile->name +
                                 " " + res.profile->version);
    fill("NOT IN PROFILE " + res.profile->label() + ": " + res.not_in_profile.back());
  }
  sc.framework = *res.profile;
  sc.framework_choice = res.choice;
  return sc;
}

/// The values a searched knob takes for a record: the framework's (a 2021 Megatron-LM has no
/// selective recomputation, no distributed optimizer, no TP overlap).
struct KnobSpace {
  std::vector<std::int64_t> micro_batch;
  std::vector<int> vp, zero;
  std::vector<Recompute> recompute;
  std::vector<bool> sequence_parallel, overlap_grad_reduce, overlap_param_gather, tp_comm_overlap;
};

KnobSpace knob_space(const Scenario& base, const RecordResolution& res) {
  const Strategy& s = base.strategy;
  const FrameworkProfile& p = *res.profile;
  // Open: neither stated nor in the recipe, and the profile either states no default or marks the
  // knob as tuned in published runs.
  auto open = [&](const char* k) {
    return !res.fixed.count(k) &&
           (!p.defaults.count(k) || std::find(p.tuned.begin(), p.tuned.end(), k) != p.tuned.end());
  };
  auto both = [&](const char* k, bool current, bool has) {
    return open(k) && has ? std::vector<bool>{false, true} : std::vector<bool>{current};
  };
  KnobSpace k;
  k.micro_batch = {s.micro_batch};
  if (open("micro_batch")) k.micro_batch = divisors_upto(s.global_batch / std::max(1, s.dp), 16);
  k.vp = {s.vp};
  const bool schedule_stated = res.fixed.count("schedule") && s.schedule != ScheduleKind::Interleaved1F1B;
  if (open("vp") && s.pp > 1 && !schedule_stated && p.has("interleaved_schedule")) {
    // Plain 1F1B takes uneven stages; interleaving needs pp x vp to divide the layers unless the
    // framework has uneven virtual stages (the micro-batch count is checked by resolve_strategy).
    k.vp = {1};
    const int layers = base.workload.model.layers;
    for (int v = 2; v * s.pp <= layers; ++v)
      if (pipeline_fits(layers, s.pp, v, s.pp, /*even=*/!p.has("uneven_virtual_stages"))) k.vp.push_back(v);
  }
  k.recompute = {s.recompute};
  if (open("recompute")) {
    k.recompute = {Recompute::None, Recompute::Full};
    if (p.has("selective_recompute")) k.recompute.push_back(Recompute::Selective);
  }
  k.zero = {s.zero};
  if (open("zero") && s.dp * s.cp > 1)
    for (int z : {0, 1})
      if (z != s.zero && std::find(p.zero_stages.begin(), p.zero_stages.end(), z) != p.zero_stages.end())
        k.zero.push_back(z);
  k.sequence_parallel = s.tp > 1 ? both("sequence_parallel", s.sequence_parallel, p.has("sequence_parallel"))
                                 : std::vector<bool>{s.sequence_parallel};
  k.overlap_grad_reduce = both("overlap_grad_reduce", s.overlap_grad_reduce, p.has("overlap_grad_reduce"));
  k.overlap_param_gather = both("overlap_param_gather", s.overlap_param_gather, p.has("overlap_param_gather"));
  k.tp_comm_overlap = both("tp_comm_overlap", s.tp_comm_overlap, p.has("tp_comm_overlap"));
  return k;
}

/// A candidate of the search, scored by the closed-form scorer.
struct Candidate {
  Strategy strategy;
  double time = 0;
  bool fits = false;
};

/// Every resolvable strategy of the knob space, scored (the scorer agrees with the analytic engine
/// within 3% on a few hundred random strategies: tests/evaluate/scorer_differential_test.cpp).
std::vector<Candidate> score_space(const Scenario& base, const KnobSpace& k, const std::string& id) {
  const StrategyScorer scorer(base);
  std::vector<Candidate> out;
  for (auto mb : k.micro_batch)
    for (int v : k.vp)
      for (auto rc : k.recompute)
        for (int z : k.zero)
          for (bool sp : k.sequence_parallel)
            for (bool ogr : k.overlap_grad_reduce)
              for (bool opg : k.overlap_param_gather) {
                // Without a distributed optimizer there is nothing to gather, and TP overlap runs on
                // sequence-parallel collectives: one candidate each, not two equal ones.
                if (z == 0 && opg != k.overlap_param_gather.front()) continue;
                for (bool tpo : k.tp_comm_overlap) {
                  if (!sp && tpo != k.tp_comm_overlap.front()) continue;
                  Strategy s = base.strategy;
                  s.micro_batch = mb;
                  s.vp = v;
                  if (v > 1) s.schedule = ScheduleKind::Interleaved1F1B;
                  if (v == 1 && s.schedule == ScheduleKind::Interleaved1F1B) s.schedule = ScheduleKind::OneFOneB;
                  s.recompute = rc;
                  s.zero = z;
                  s.sequence_parallel = sp;
                  s.overlap_grad_reduce = ogr;
                  s.overlap_param_gather = opg;
                  s.tp_comm_overlap = sp && tpo;
                  try {
                    resolve_strategy(s, base.workload.model, base.workload.global_batch, base.cluster.gpus(), id);
                  } catch (const InputError&) {
                    continue;
                  }
                  const FastScore f = scorer.score(s);
                  out.push_back({s, f.iteration_time_s, f.memory.fits});
                }
              }
  return out;
}

}  // namespace

Scenario scenario_from_record(const PublishedRecord& r, std::vector<std::string>& filled, nlohmann::json* json_out) {
  RecordResolution res;
  return record_scenario(r, filled, json_out, res);
}

ValidationRow validate_record(const PublishedRecord& r, const ValidateOptions& opt) {
  ValidationRow row;
  row.id = r.id;
  row.metric = r.metric;
  row.published = r.value;
  try {
    std::vector<std::string> filled;
    nlohmann::json base_json;
    RecordResolution res;
    Scenario base = record_scenario(r, filled, &base_json, res);
    const KnobSpace space = knob_space(base, res);
    const std::vector<Candidate> cands = score_space(base, space, r.id);
    if (cands.empty()) {
      // Say why with the base strategy's own error.
      Strategy s = base.strategy;
      resolve_strategy(s, base.workload.model, base.workload.global_batch, base.cluster.gpus(), r.id);
      throw InputError("no feasible setting of the unknown knobs");
    }
    // The fastest that fits by the scorer, confirmed with the engine over those within 3% of it.
    const bool any_fits = std::any_of(cands.begin(), cands.end(), [](const Candidate& c) { return c.fits; });
    std::vector<const Candidate*> pool;
    for (const auto& c : cands)
      if (c.fits == any_fits) pool.push_back(&c);
    std::sort(pool.begin(), pool.end(), [](const Candidate* a, const Candidate* b) { return a->time < b->time; });
    std::optional<Prediction> best;
    Scenario best_sc = base;
    for (std::size_t i = 0; i < pool.size() && i < 6 && pool[i]->time <= pool[0]->time * 1.03; ++i) {
      Scenario sc = base;
      sc.strategy = pool[i]->strategy;
      Prediction p = predict(sc, opt.engine);
      if (!best || p.metrics.iteration_time_s < best->metrics.iteration_time_s) {
        best = std::move(p);
        best_sc = sc;
      }
    }
    const Strategy& w = best_sc.strategy;
    const auto searched = [&](const char* what, std::size_t n, const std::string& value) {
      if (n > 1) filled.push_back(std::string(what) + "=" + value + " (fastest that fits)");
    };
    searched("micro_batch", space.micro_batch.size(), std::to_string(w.micro_batch));
    searched("vp", space.vp.size(), std::to_string(w.vp));
    searched("recompute", space.recompute.size(), to_string(w.recompute));
    searched("zero", space.zero.size(), std::to_string(w.zero));
    searched("sequence_parallel", space.sequence_parallel.size(), w.sequence_parallel ? "true" : "false");
    searched("overlap_grad_reduce", space.overlap_grad_reduce.size(), w.overlap_grad_reduce ? "true" : "false");
    searched("overlap_param_gather", w.zero >= 1 ? space.overlap_param_gather.size() : 1,
             w.overlap_param_gather ? "true" : "false");
    searched("tp_comm_overlap", w.sequence_parallel ? space.tp_comm_overlap.size() : 1,
             w.tp_comm_overlap ? "true" : "false");
    if (!any_fits) filled.push_back("WARNING: predicted memory exceeds the GPU in every setting");
    row.filled = filled;
    row.not_in_profile = res.not_in_profile;
    row.framework = res.profile->label();
    row.predicted = to_metric(r.metric, best->metrics, r, best_sc);
    row.error_pct = (*row.predicted - r.value) / r.value * 100.0;
    row.strategy = best->metrics.strategy;
    row.iteration_time_s = best->metrics.iteration_time_s;
    const nlohmann::json m = to_json(best->metrics);
    row.breakdown = {{"breakdown_s", m["breakdown_s"]}, {"memory_gb", m["memory_gb"]}};
    row.features = row_features(best_sc);
    // The scenario predicted, as `trainsim run` reads it: the searched knobs at the winner's values.
    row.scenario = base_json;
    auto& st = row.scenario["strategy"];
    st["micro_batch"] = w.micro_batch;
    st["vp"] = w.vp;
    st["schedule"] = to_string(w.schedule);
    if (w.pp == 1) st.erase("schedule");
    st["recompute"] = to_string(w.recompute);
    st["zero"] = w.zero;
    st["sequence_parallel"] = w.sequence_parallel;
    st["overlap_grad_reduce"] = w.overlap_grad_reduce;
    st["overlap_param_gather"] = w.overlap_param_gather;
    st["tp_comm_overlap"] = w.tp_comm_overlap;
    if (!w.tp_comm_overlap) st.erase("tp_overlap_cfg");
    if (w.zero < 3) {
      st.erase("zero_runtime");
      st.erase("fsdp_param_dtype");
    }
    if (res.not_in_profile.empty())
      row.scenario["framework"] = {{"name", res.profile->name}, {"date", res.profile->date}};
  } catch (const InputError& e) {
    row.skipped_reason = e.what();
  }
  return row;
}

ValidationReport validate_records(const std::vector<PublishedRecord>& recs, const ValidateOptions& opt) {
  ValidationReport rep;
  double sum = 0;
  for (const auto& r : recs) {
    if (!opt.only_prefix.empty() && r.id.rfind(opt.only_prefix, 0) != 0) continue;
    rep.rows.push_back(validate_record(r, opt));
    const auto& row = rep.rows.back();
    if (row.error_pct) {
      sum += std::fabs(*row.error_pct);
      ++rep.predicted;
    } else {
      ++rep.skipped;
    }
  }
  rep.mape = rep.predicted ? sum / rep.predicted : 0.0;
  std::map<std::string, FeatureError> by;
  for (const auto& row : rep.rows) {
    if (!row.error_pct) continue;
    for (const auto& f : row.features) {
      auto& e = by[f];
      e.feature = f;
      ++e.rows;
      e.mape += std::fabs(*row.error_pct);
      e.mean_error_pct += *row.error_pct;
    }
  }
  for (auto& [name, e] : by) {
    e.mape /= e.rows;
    e.mean_error_pct /= e.rows;
    rep.by_feature.push_back(e);
  }
  return rep;
}

nlohmann::json to_json(const ValidationReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json j = {{"id", row.id}, {"metric", row.metric}, {"published", row.published}, {"filled", row.filled}};
    j["framework"] = row.framework;
    j["not_in_profile"] = row.not_in_profile;
    j["predicted"] = row.predicted ? nlohmann::json(*row.predicted) : nlohmann::json(nullptr);
    j["error_pct"] = row.error_pct ? nlohmann::json(*row.error_pct) : nlohmann::json(nullptr);
    j["skipped_reason"] = row.skipped_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(row.skipped_reason);
    if (!row.strategy.empty()) {
      j["strategy"] = row.strategy;
      j["iteration_time_s"] = row.iteration_time_s;
      j.update(row.breakdown);
    }
    rows.push_back(j);
  }
  nlohmann::json features = nlohmann::json::array();
  for (const auto& f : r.by_feature)
    features.push_back(
        {{"feature", f.feature}, {"rows", f.rows}, {"mape", f.mape}, {"mean_error_pct", f.mean_error_pct}});
  return {
      {"rows", rows}, {"mape", r.mape}, {"predicted", r.predicted}, {"skipped", r.skipped}, {"by_feature", features}};
}

void print_text(const ValidationReport& r, std::ostream& out) {
  out << fmt::format("{:<42} {:<24} {:>10} {:>10} {:>8}\n", "id", "metric", "published", "predicted", "error");
  for (const auto& row : r.rows) {
    if (row.predicted)
      out << fmt::format("{:<42} {:<24} {:>10.4g} {:>10.4g} {:>+7.1f}%\n", row.id, row.metric, row.published,
                         *row.predicted, *row.error_pct);
    else
      out << fmt::format("{:<42} {:<24} {:>10.4g} {:>10} skipped: {}\n", row.id, row.metric, row.published, "-",
                         row.skipped_reason);
    for (const auto& f : row.filled) out << "      filled: " << f << "\n";
  }
  out << fmt::format("\nMAPE {:.2f}% over {} predicted rows ({} skipped)\n", r.mape, r.predicted, r.skipped);
  if (r.by_feature.empty()) return;
  out << fmt::format("\n{:<40} {:>5} {:>8} {:>12}\n", "rows using", "rows", "MAPE", "mean error");
  for (const auto& f : r.by_feature)
    out << fmt::format("{:<40} {:>5} {:>7.2f}% {:>+11.1f}%\n", f.feature, f.rows, f.mape, f.mean_error_pct);
}

void print_markdown(const ValidationReport& r, std::ostream& out) {
  out << "| id | metric | published | predicted | error % | strategy used (filled knobs) |\n";
  out << "| --- | --- | ---: | ---: | ---: | --- |\n";
  for (const auto& row : r.rows) {
    if (row.predicted)
      out << fmt::format("| {} | {} | {:.4g} | {:.4g} | {:+.1f} | {} |\n", row.id, row.metric, row.published,
                         *row.predicted, *row.error_pct, row.strategy);
    else
      out << fmt::format("| {} | {} | {:.4g} | — | skipped | {} |\n", row.id, row.metric, row.published,
                         row.skipped_reason);
  }
  out << fmt::format("\n**MAPE {:.2f}%** over {} predicted rows; {} skipped.\n", r.mape, r.predicted, r.skipped);
  if (r.by_feature.empty()) return;
  out << "\n| rows using | rows | MAPE % | mean error % |\n| --- | ---: | ---: | ---: |\n";
  for (const auto& f : r.by_feature)
    out << fmt::format("| {} | {} | {:.2f} | {:+.1f} |\n", f.feature, f.rows, f.mape, f.mean_error_pct);
}

}  // namespace trainsim
