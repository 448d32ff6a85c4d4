#include "sim/validate/validate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <ostream>

#include "sim/evaluate/predict.hpp"
#include "sim/plan/pipeline_schedule.hpp"
#include "sim/report/report.hpp"
#include "sim/validate/model_shapes.hpp"
#include "sim/validate/published_configs.hpp"

namespace trainsim {

namespace {

/// Software era of a record: Megatron-LM as of 2021 (the SC'21 paper and the README's GPT-3
/// example) ran attention unfused (FlashAttention, Dao et al., came in 2022) and reduced
/// gradients after the backward pass (no --overlap-grad-reduce). Later frameworks (NeMo,
/// llm-foundry) use fused attention and overlap gradient reduction by default.
bool megatron_2021(const PublishedRecord& r) {
  return r.source.find("Narayanan") != std::string::npos || r.source.find("Megatron-LM README") != std::string::npos;
}

/// NVIDIA NeMo performance runs (the NeMo docs' performance summary).
bool nemo_record(const PublishedRecord& r) { return r.source.find("NeMo") != std::string::npos; }
/// MosaicML llm-foundry MPT benchmarks (its README's tables, 2023).
bool llm_foundry_record(const PublishedRecord& r) { return r.source.find("llm-foundry") != std::string::npos; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// NIC line rate of the InfiniBand generation sold with each GPU (SC'21 Sec. 5: HDR 200 Gb/s
/// for A100; MLPerf DGX H100 system JSON: NDR 400 Gb/s; V100 era: EDR 100 Gb/s).
double default_nic_gbps(const std::string& gpu) {
  if (gpu.rfind("V100", 0) == 0) return 100;
  if (gpu.rfind("A100", 0) == 0) return 200;
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
  if (metric == "hardware_tflops_per_gpu") {
    // The SC'21 rows count with eq. (3), which assumes full recomputation (schema notes).
    if (r.notes.find("eq.(3)") != std::string::npos)
      return narayanan_eq3_flops(sc.workload.model, sc.strategy.global_batch) / T / N / 1e12;
    return m.hardware_tflops_per_gpu;
  }
  throw InputError(r.id + ": $.measured.metric",
                   "iteration_time_s, model_tflops_per_gpu, hardware_tflops_per_gpu, tokens_per_s_per_gpu or mfu",
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

Scenario scenario_from_record(const PublishedRecord& r, std::vector<std::string>& filled, nlohmann::json* json_out) {
  if (r.kind != "run") throw InputError("a reference constant, not a run to predict");
  if (!r.gpu || !r.gpus) throw InputError("system.gpu or system.gpus is null");
  const std::string where = r.id;
  auto fill = [&](const std::string& what) { filled.push_back(what); };

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
  if (r.moe) {
    // Mixture of experts (schema: experts, top_k, expert_ffn, shared_experts, moe_layers).
    if (!r.moe->experts) throw InputError("model.moe.experts is null");
    nlohmann::json moe = {{"experts", *r.moe->experts}};
    moe["top_k"] = r.moe->top_k.value_or(2);
    if (!r.moe->top_k) fill("moe.top_k=2 (GShard / Mixtral routing)");
    moe["expert_ffn"] = r.moe->expert_ffn.value_or(model["ffn"].get<std::int64_t>());
    moe["shared_experts"] = r.moe->shared_experts.value_or(0);
    if (r.moe->moe_layers) moe["moe_layers"] = *r.moe->moe_layers;
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

  // Strategy (knobs with direct rules; searched knobs are handled by validate_record).
  nlohmann::json st;
  st["tp"] = r.tp.value_or(1);
  st["pp"] = r.pp.value_or(1);
  st["cp"] = r.cp.value_or(1);
  if (r.ep) st["ep"] = *r.ep;
  if (r.dp) st["dp"] = *r.dp;
  if (!r.tp) fill("tp=1");
  if (!r.pp) fill("pp=1");
  const bool old = megatron_2021(r);
  const int tp = r.tp.value_or(1);
  const bool sp = r.sequence_parallel.value_or(tp > 1 && !old);
  if (!r.sequence_parallel && tp > 1)
    fill(std::string("sequence_parallel=") +
         (sp ? "true (always at least as fast with TP)" : "false (not in Megatron-LM 2021)"));
  st["sequence_parallel"] = sp;
  int dp_guess = r.dp.value_or(*r.gpus / std::max(1, r.tp.value_or(1) * r.pp.value_or(1) * r.cp.value_or(1)));
  const int zero = r.zero.value_or(dp_guess > 1 && !old ? 1 : 0);
  if (!r.zero)
    fill("zero=" + std::to_string(zero) + (zero ? " (distributed optimizer: same traffic, less memory)" : ""));
  st["zero"] = zero;
  if (r.schedule) st["schedule"] = *r.schedule;
  if (r.vp) st["vp"] = *r.vp;
  if (!r.schedule && r.pp.value_or(1) > 1) {
    std::string sched = r.vp.value_or(1) > 1 ? "interleaved-1f1b" : "1f1b";
    st["schedule"] = sched;
    fill("schedule=" + sched);
  }
  if (r.micro_batch) st["micro_batch"] = *r.micro_batch;
  if (r.recompute) st["recompute"] = *r.recompute;
  if (const auto rc = published_recompute(r); rc && !r.recompute) {
    st["recompute"] = rc->recompute;
    fill(std::string("recompute=") + rc->recompute + " (" + rc->source + ")");
  }
  if (!r.global_batch) throw InputError("strategy.global_batch is null");
  st["global_batch"] = *r.global_batch;
  st["precision"] = r.precision.value_or("bf16");
  // llm-foundry's A100 tables (bf16 / PURE) come from its benchmark script of early 2023
  // (scripts/train/benchmarking/submit_benchmarks.py: --attn_impl triton, mixed precision PURE,
  // PyTorch 1.13 image): the Triton FlashAttention kernel, of FlashAttention v1's class.
  const bool foundry_pure = llm_foundry_record(r) && r.notes.find("(PURE)") != std::string::npos;
  st["attention"] = old ? "unfused" : foundry_pure ? "flash-v1" : "flash";
  fill(std::string("attention=") + (old            ? "unfused (Megatron-LM 2021, before FlashAttention)"
                                    : foundry_pure ? "flash-v1 (llm-foundry's 2023 benchmark script: attn_impl triton)"
                                                   : "flash"));
  st["overlap_grad_reduce"] = !old;
  st["gradient_accumulation_fusion"] = !old;
  st["fused_bias"] = !old;
  st["overlap_p2p_comm"] = !old;
  if (old) fill("gradient_accumulation_fusion=false, fused_bias=false (Megatron-LM 2021 on PyTorch 1.8)");
  if (llm_foundry_record(r) && zero >= 3) {
    // The tables' "MP Mode" column, through Composer's get_mixed_precision (2023,
    // composer/trainer/mosaic_fsdp.py). The H100 tables say amp_bf16 / DEFAULT:
    // MixedPrecision(param_dtype=None, reduce_dtype=bf16, buffer_dtype=fp32), fp32 parameters
    // gathered and cast under autocast. The A100 tables say bf16 / PURE (the records' notes:
    // "bf16 (PURE)"): param_dtype = reduce_dtype = buffer_dtype = bf16.
    st["grad_reduce_dtype"] = "bf16";
    if (foundry_pure) {
      st["fsdp_param_dtype"] = "bf16";
      fill(
          "fsdp_param_dtype=bf16, grad_reduce_dtype=bf16 (llm-foundry table's MP Mode PURE: Composer "
          "MixedPrecision(param_dtype=reduce_dtype=bf16))");
    } else {
      st["fsdp_param_dtype"] = "fp32";
      fill(
          "fsdp_param_dtype=fp32, grad_reduce_dtype=bf16 (llm-foundry table's MP Mode DEFAULT: Composer 2023 "
          "MixedPrecision(param_dtype=None, reduce_dtype=bf16))");
    }
  }
  if (old && zero >= 3 && r.notes.find("DeepSpeed") != std::string::npos) {
    // SC'21 Sec. 5.2 compares PTD-P with DeepSpeed's ZeRO-3 (the paper: arXiv April 2021; ZeRO-3
    // shipped in DeepSpeed 0.3.13, March 2021; the coalesced gathers only in 0.5.x, PR #1453).
    st["zero_runtime"] = "deepspeed-0.3";
    fill("zero_runtime=deepspeed-0.3 (SC'21 Sec. 5.2: DeepSpeed ZeRO-3, spring 2021)");
  }
  if (trains_without_dropout(r.model_name.value_or(""))) {
    st["dropout"] = false;
    fill(
        "dropout=false (model family's public config: Llama 2/3 and Nemotron recipes hidden/attention dropout 0.0, "
        "MPT attn_pdrop = resid_pdrop = 0.0)");
  }
  if (const auto ub = published_tp_overlap(r); ub && sp) {
    st["tp_comm_overlap"] = true;
    st["tp_overlap_cfg"] = ub->ub_cfg;
    fill("tp_comm_overlap=true (" + ub->source + ")");
  }
  if (nemo_record(r)) {
    // NeMo's FP8 performance recipes reduce gradients in bf16 (NVIDIA/NeMo-Framework-Launcher
    // launcher_scripts/conf/training/gpt3/20b_fp8_performance.yaml and nemotron/nemotron_340b.yaml:
    // optim.grad_sync_dtype: bf16); Megatron-LM's own default for bf16 is fp32.
    st["grad_reduce_dtype"] = "bf16";
    fill("grad_reduce_dtype=bf16 (NeMo-Framework-Launcher FP8 performance recipes: optim.grad_sync_dtype: bf16)");
  }
  if (!old) fill("overlap_grad_reduce=true (NeMo / FSDP default)");
  if (const auto cfg = published_run_config(r)) {
    // The authors' own launch configuration for the knobs the table leaves out.
    if (!r.micro_batch) {
      st["micro_batch"] = cfg->micro_batch;
      fill(fmt::format("micro_batch={} ({})", cfg->micro_batch, cfg->source));
    }
    const int pp = r.pp.value_or(1);
    if (!r.vp && pp > 1) {
      const int vp = cfg->layers_per_virtual_stage ? layers / (pp * cfg->layers_per_virtual_stage) : 1;
      st["vp"] = vp;
      st["schedule"] = vp > 1 ? "interleaved-1f1b" : "1f1b";
      fill(fmt::format("vp={}, schedule={} ({})", vp, vp > 1 ? "interleaved-1f1b" : "1f1b", cfg->source));
    }
    st["overlap_grad_reduce"] = cfg->overlap_grad_reduce;
    if (cfg->bucket_params > 0) st["bucket_params"] = cfg->bucket_params;
    fill(fmt::format("overlap_grad_reduce={} ({}: {})", cfg->overlap_grad_reduce ? "true" : "false", cfg->source,
                     cfg->overlap_grad_reduce ? "PyTorch DDP, 25 MiB buckets" : "Megatron local DDP"));
  }

  nlohmann::json scen = {{"name", r.id},
                         {"cluster", cluster},
                         {"workload", {{"name", r.model_name.value_or(r.id)}, {"model", model}}},
                         {"strategy", st}};
  if (json_out) *json_out = scen;
  return parse_scenario(scen, r.id, ".");
}

ValidationRow validate_record(const PublishedRecord& r, const ValidateOptions& opt) {
  ValidationRow row;
  row.id = r.id;
  row.metric = r.metric;
  row.published = r.value;
  try {
    std::vector<std::string> filled;
    nlohmann::json base_json;
    Scenario base = scenario_from_record(r, filled, &base_json);
    // Knobs left to search: the run's authors tuned for speed, so take the fastest feasible value.
    const bool configured = published_run_config(r).has_value();
    std::vector<std::int64_t> mbs = {base.strategy.micro_batch};
    if (!r.micro_batch && !configured) mbs = divisors_upto(base.strategy.global_batch / base.strategy.dp, 16);
    std::vector<int> vps = {base.strategy.vp};
    if (!r.vp && !configured && base.strategy.schedule == ScheduleKind::Interleaved1F1B) {
      vps.clear();
      // Megatron-LM (2021-2024) needs pp x vp to divide the layers for interleaving (the micro-batch
      // count is checked per micro-batch size below).
      const int layers = base.workload.model.layers, pp = base.strategy.pp;
      for (int v = 1; v * pp <= layers; ++v)
        if (pipeline_fits(layers, pp, v, pp, /*even=*/true)) vps.push_back(v);
    }
    std::vector<Recompute> rcs = {base.strategy.recompute};
    if (!r.recompute && !published_recompute(r)) rcs = {Recompute::None, Recompute::Selective, Recompute::Full};
    std::optional<Prediction> best;
    Scenario best_sc = base;
    bool best_fits = false;
    for (auto mb : mbs)
      for (int v : vps)
        for (auto rc : rcs) {
          Scenario sc = base;
          sc.strategy.micro_batch = mb;
          sc.strategy.vp = v;
          sc.strategy.recompute = rc;
          if (v > 1) sc.strategy.schedule = ScheduleKind::Interleaved1F1B;
          try {
            resolve_strategy(sc.strategy, sc.workload.model, sc.workload.global_batch, sc.cluster.gpus(), r.id);
          } catch (const InputError&) {
            continue;
          }
          const auto mem = memory_report(sc, build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node));
          if (best && best_fits && !mem.fits) continue;
          Prediction p = predict(sc, opt.engine);
          const bool better =
              !best || (mem.fits && !best_fits) || p.metrics.iteration_time_s < best->metrics.iteration_time_s;
          if (better) {
            best = std::move(p);
            best_sc = sc;
            best_fits = mem.fits;
          }
        }
    if (!best) throw InputError("no feasible setting of the unknown knobs (micro_batch, vp, recompute)");
    if (!r.micro_batch && !configured)
      filled.push_back("micro_batch=" + std::to_string(best_sc.strategy.micro_batch) + " (fastest that fits)");
    if (vps.size() > 1) filled.push_back("vp=" + std::to_string(best_sc.strategy.vp) + " (fastest that fits)");
    if (rcs.size() > 1)
      filled.push_back(std::string("recompute=") + to_string(best_sc.strategy.recompute) + " (fastest that fits)");
    if (!best_fits) filled.push_back("WARNING: predicted memory exceeds the GPU in every setting");
    row.filled = filled;
    row.predicted = to_metric(r.metric, best->metrics, r, best_sc);
    row.error_pct = (*row.predicted - r.value) / r.value * 100.0;
    row.strategy = best->metrics.strategy;
    row.iteration_time_s = best->metrics.iteration_time_s;
    const nlohmann::json m = to_json(best->metrics);
    row.breakdown = {{"breakdown_s", m["breakdown_s"]}, {"memory_gb", m["memory_gb"]}};
    row.features = row_features(best_sc);
    row.scenario = base_json;
    auto& st = row.scenario["strategy"];
    st["micro_batch"] = best_sc.strategy.micro_batch;
    st["vp"] = best_sc.strategy.vp;
    st["recompute"] = to_string(best_sc.strategy.recompute);
    if (best_sc.strategy.vp > 1) st["schedule"] = "interleaved-1f1b";
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
