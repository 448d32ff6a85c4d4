#include "sim/import/framework_config.hpp"

#include <cctype>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {

/// Shell-like words of a launch script: comments dropped, `\` line continuations joined, quotes
/// removed (no expansion: `$VAR` stays as written and is refused where a number is needed).
std::vector<std::string> shell_words(const std::string& text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
      continue;
    }
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c == '#' && !in_word) {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(cur), cur.clear(), in_word = false;
      continue;
    }
    cur += c;
    in_word = true;
  }
  if (in_word) words.push_back(cur);
  return words;
}

class MegatronArgs {
 public:
  MegatronArgs(const std::string& text, std::string origin) : origin_(std::move(origin)) {
    const auto w = shell_words(text);
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i].rfind("--", 0) != 0 || w[i].size() < 3) continue;
      std::string name = w[i], value;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else {
        // Every word up to the next flag: a list argument (nargs='*', e.g. --recompute-modules).
        std::vector<std::string> values;
        while (i + 1 < w.size() && w[i + 1].rfind("--", 0) != 0) values.push_back(w[++i]);
        if (!values.empty()) value = values.front();
        lists_[name] = std::move(values);
      }
      args_[name] = value;
    }
  }
  bool has(const std::string& k) {
    used_.insert(k);
    return args_.count(k) != 0;
  }
  std::optional<std::string> str(const std::string& k) {
    if (!has(k)) return std::nullopt;
    return args_.at(k);
  }
  /// Every value of a list argument (one for `--k=v`), empty when absent.
  std::vector<std::string> list(const std::string& k) {
    if (!has(k)) return {};
    const auto it = lists_.find(k);
    return it != lists_.end() ? it->second : std::vector<std::string>{args_.at(k)};
  }
  std::optional<std::int64_t> integer(const std::string& k) {
    auto v = str(k);
    if (!v) return std::nullopt;
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(*v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != v->size())
      throw InputError(
          origin_ + ": " + k, "an integer",
          "\"" + *v + "\"" + (v->find('$') != std::string::npos ? " (a shell variable: substitute it first)" : ""));
    return x;
  }
  std::optional<double> number(const std::string& k) {
    auto v = str(k);
    if (!v) return std::nullopt;
    try {
      std::size_t used = 0;
      const double x = std::stod(*v, &used);
      if (used == v->size()) return x;
    } catch (const std::exception&) {
    }
    throw InputError(origin_ + ": " + k, "a number", "\"" + *v + "\"");
  }
  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : args_)
      if (!used_.count(k)) out.push_back(k);
    return out;
  }
  bool empty() const { return args_.empty(); }

 private:
  std::string origin_;
  std::map<std::string, std::string> args_;
  std::set<std::string> used_;
  std::map<std::string, std::vector<std::string>> lists_;
};

}  // namespace

ImportedConfig import_megatron_args(const std::string& text, const std::string& origin) {
  MegatronArgs a(text, origin);
  if (a.empty())
    throw InputError(origin, "a Megatron-LM argument list (--num-layers ... --global-batch-size ...)", "no --options");
  ImportedConfig out;
  auto& m = out.model;
  auto& s = out.strategy;

  // Model (megatron/training/arguments.py: _add_network_size_args).
  const auto layers = a.integer("--num-layers"), hidden = a.integer("--hidden-size"),
             heads = a.integer("--num-attention-heads");
  if (layers && hidden && heads) {
    m["layers"] = *layers;
    m["hidden"] = *hidden;
    m["heads"] = *heads;
    if (auto f = a.integer("--ffn-hidden-size")) m["ffn"] = *f;
    if (auto sl = a.integer("--seq-length")) m["seq_len"] = *sl;
    if (a.has("--group-query-attention"))
      if (auto g = a.integer("--num-query-groups")) m["kv_heads"] = *g;
    if (auto kc = a.integer("--kv-channels"); kc && *kc * *heads != *hidden) m["head_dim"] = *kc;
    if (a.has("--swiglu")) m["activation"] = "swiglu";
    if (a.has("--squared-relu")) m["activation"] = "relu";
    if (auto n = a.str("--normalization")) m["norm"] = *n == "RMSNorm" ? "rmsnorm" : "layernorm";
    if (a.has("--disable-bias-linear")) m["bias"] = false;
    if (auto p = a.str("--position-embedding-type")) m["position"] = *p == "rope" ? "rotary" : "learned";
    if (a.has("--untie-embeddings-and-output-weights")) m["tied_embeddings"] = false;
    std::optional<std::int64_t> vocab = a.integer("--vocab-size");
    if (!vocab) {
      // GPT-2 BPE: 50,257 tokens padded to a multiple of 128 x tp (Megatron's
      // --make-vocab-size-divisible-by, default 128; _vocab_size_with_padding).
      // A vocab file with a merge file is the GPT-2 BPE tokenizer's pair (Megatron-LM's GPT examples).
      const auto tok = a.str("--tokenizer-type");
      const bool gpt2 = tok ? *tok == "GPT2BPETokenizer" : a.has("--vocab-file") && a.has("--merge-file");
      if (gpt2) {
        const std::int64_t multiple = a.integer("--make-vocab-size-divisible-by").value_or(128) *
                                      a.integer("--tensor-model-parallel-size").value_or(1);
        vocab = (50257 + multiple - 1) / multiple * multiple;
        out.notes.push_back("vocab=" + std::to_string(*vocab) + " (GPT-2 BPE, 50,257 padded to a multiple of " +
                            std::to_string(multiple) + ")");
      }
    }
    if (vocab) m["vocab"] = *vocab;
    // Mixture of experts (_add_moe_args).
    if (auto e = a.integer("--num-experts")) {
      nlohmann::json moe = {{"experts", *e}, {"top_k", a.integer("--moe-router-topk").value_or(2)}};
      const std::int64_t expert_ffn = a.integer("--moe-ffn-hidden-size").value_or(m.value("ffn", 4 * *hidden));
      moe["expert_ffn"] = expert_ffn;
      if (auto sh = a.integer("--moe-shared-expert-intermediate-size")) moe["shared_experts"] = *sh / expert_ffn;
      // --moe-layer-freq: an integer (every N-th layer is MoE) or a pattern such as
      // "([0]*3+[1]*58)" (3 dense layers, then MoE), as DeepSeek-V3 recipes give it.
      if (auto f = a.str("--moe-layer-freq")) {
        std::smatch x;
        if (std::regex_match(*f, x, std::regex(R"(\s*\(?\s*\[0\]\s*\*\s*(\d+)\s*\+\s*\[1\]\s*\*\s*(\d+)\s*\)?\s*)")))
          moe["first_dense_layers"] = std::stoi(x[1]);
        else if (std::regex_match(*f, std::regex(R"(\d+)")))
          moe["moe_every"] = std::stoi(*f);
        else
          throw InputError(origin + ": --moe-layer-freq", "an integer or a pattern ([0]*K+[1]*N)", "\"" + *f + "\"");
      }
      m["moe"] = moe;
    }
    // Multi-head latent attention (_add_mla_args).
    if (a.has("--multi-latent-attention"))
      m["mla"] = {{"q_lora_rank", a.integer("--q-lora-rank").value_or(0)},
                  {"kv_lora_rank", a.integer("--kv-lora-rank").value_or(512)},
                  {"qk_nope_head_dim", a.integer("--qk-head-dim").value_or(128)},
                  {"qk_rope_head_dim", a.integer("--qk-pos-emb-head-dim").value_or(64)},
                  {"v_head_dim", a.integer("--v-head-dim").value_or(128)}};
  } else {
    out.model = nullptr;
    out.notes.push_back("no model shape (--num-layers, --hidden-size, --num-attention-heads): give --workload");
  }

  // Batch and length of the run.
  if (auto g = a.integer("--global-batch-size")) out.workload["global_batch"] = *g;
  if (auto sl = a.integer("--seq-length")) {
    if (auto it = a.integer("--train-iters"); it && out.workload.contains("global_batch"))
      out.workload["train_tokens"] = static_cast<double>(*it) * out.workload["global_batch"].get<double>() * *sl;
    else if (auto ts = a.integer("--train-samples"))
      out.workload["train_tokens"] = static_cast<double>(*ts) * *sl;
  }

  // Parallel layout (_add_distributed_args).
  if (auto v = a.integer("--tensor-model-parallel-size")) s["tp"] = *v;
  if (auto v = a.integer("--pipeline-model-parallel-size")) s["pp"] = *v;
  if (auto v = a.integer("--context-parallel-size")) s["cp"] = *v;
  if (auto v = a.integer("--expert-model-parallel-size")) s["ep"] = *v;
  if (auto v = a.integer("--expert-tensor-parallel-size")) s["etp"] = *v;
  if (auto v = a.integer("--virtual-pipeline-model-parallel-size")) s["vp"] = *v;
  if (auto per = a.integer("--num-layers-per-virtual-pipeline-stage"); per && layers) {
    const std::int64_t pp = s.value("pp", 1);
    s["vp"] = *layers / (pp * *per);
    out.notes.push_back("vp=" + std::to_string(*layers / (pp * *per)) +
                        " (num-layers / (pp x layers per virtual stage))");
  }
  if (s.value("vp", 1) > 1) s["schedule"] = "interleaved-1f1b";
  if (auto v = a.integer("--micro-batch-size")) s["micro_batch"] = *v;
  if (auto g = a.integer("--global-batch-size")) s["global_batch"] = *g;
  if (a.has("--sequence-parallel")) s["sequence_parallel"] = true;
  if (a.has("--use-distributed-optimizer")) s["zero"] = 1;
  if (auto g = a.str("--recompute-granularity")) s["recompute"] = *g == "full" ? "full" : "selective";
  if (a.has("--recompute-activations")) s["recompute"] = "selective";
  // --recompute-modules (with selective granularity; Megatron-Core's default core_attn): the
  // modules the simulator models become strategy.recompute_modules, the others a note.
  if (const auto mods = a.list("--recompute-modules"); !mods.empty() && s.value("recompute", "") == "selective") {
    nlohmann::json kept = nlohmann::json::array();
    std::vector<std::string> other;
    for (const auto& m : mods) {
      if (m == "core_attn" || m == "layernorm" || m == "moe_act" || m == "mla_up_proj")
        kept.push_back(m);
      else
        other.push_back(m);
    }
    if (!kept.empty()) s["recompute_modules"] = kept;
    for (const auto& m : other)
      out.notes.push_back("--recompute-modules " + m + ": not modelled (its activations are counted as kept)");
  }
  if (a.has("--overlap-grad-reduce")) s["overlap_grad_reduce"] = true;
  if (a.has("--overlap-param-gather")) s["overlap_param_gather"] = true;
  if (a.has("--tp-comm-overlap")) s["tp_comm_overlap"] = true;
  if (a.has("--overlap-p2p-communication")) s["overlap_p2p_comm"] = true;
  // MoE token dispatcher (_add_moe_args): --moe-token-dispatcher-type allgather (the default) |
  // alltoall | flex; flex runs --moe-flex-dispatcher-backend deepep (the default) | hybridep, or
  // DeepEP with the older --moe-enable-deepep.
  if (m.contains("moe")) {
    const std::string type = a.str("--moe-token-dispatcher-type").value_or("allgather");
    const std::string backend = a.str("--moe-flex-dispatcher-backend").value_or("deepep");
    s["moe_dispatcher"] = type == "flex" || a.has("--moe-enable-deepep") ? backend : type;
  }
  // Precision: fp32 unless a 16-bit flag (arguments.py: --fp16 / --bf16); fp8 on top.
  if (a.has("--fp8-format"))
    s["precision"] = "fp8";
  else if (a.has("--bf16"))
    s["precision"] = "bf16";
  else if (a.has("--fp16"))
    s["precision"] = "fp16";
  else
    s["precision"] = "fp32";
  if (a.has("--use-flash-attn")) s["attention"] = "flash";
  if (auto b = a.str("--attention-backend")) s["attention"] = *b == "unfused" ? "unfused" : "flash";
  const auto hd = a.number("--hidden-dropout"), ad = a.number("--attention-dropout");
  if (hd && ad) s["dropout"] = *hd > 0 || *ad > 0;
  if (a.has("--no-gradient-accumulation-fusion")) s["gradient_accumulation_fusion"] = false;
  if (a.has("--no-bias-gelu-fusion") || a.has("--no-bias-swiglu-fusion")) s["fused_bias"] = false;
  out.unmapped = a.unused();
  return out;
}

ImportedConfig import_deepspeed_config(const nlohmann::json& c, const std::string& origin) {
  if (!c.is_object()) throw InputError(origin + ": $", "a DeepSpeed config object", "not an object");
  ImportedConfig out;
  out.model = nullptr;
  auto& s = out.strategy;
  std::set<std::string> used;
  auto get = [&](const nlohmann::json& j, const std::string& key) -> const nlohmann::json* {
    return j.is_object() && j.contains(key) && !j[key].is_null() ? &j[key] : nullptr;
  };
  auto integer = [&](const nlohmann::json& v, const std::string& where) {
    if (!v.is_number_integer()) throw InputError(origin + ": " + where, "an integer", v.dump());
    return v.get<std::int64_t>();
  };
  if (auto v = get(c, "train_batch_size")) {
    s["global_batch"] = integer(*v, "$.train_batch_size");
    out.workload["global_batch"] = s["global_batch"];
  }
  if (auto v = get(c, "train_micro_batch_size_per_gpu"))
    s["micro_batch"] = integer(*v, "$.train_micro_batch_size_per_gpu");
  if (auto z = get(c, "zero_optimization")) {
    if (auto st = get(*z, "stage")) s["zero"] = integer(*st, "$.zero_optimization.stage");
    if (auto off = get(*z, "offload_optimizer"))
      if (auto dev = get(*off, "device"); dev && dev->is_string() && dev->get<std::string>() == "cpu")
        s["optimizer_offload"] = true;
    if (auto ov = get(*z, "overlap_comm"); ov && ov->is_boolean()) s["overlap_grad_reduce"] = ov->get<bool>();
  }
  const auto enabled = [&](const char* key) {
    auto p = get(c, key);
    return p && p->is_object() && p->value("enabled", false);
  };
  s["precision"] = enabled("bf16") ? "bf16" : enabled("fp16") ? "fp16" : "fp32";
  if (get(c, "activation_checkpointing"))
    out.notes.push_back(
        "activation_checkpointing configures how checkpointed layers are stored; whether layers are checkpointed is "
        "the model code's choice: state strategy.recompute");
  for (const auto& [k, v] : c.items())
    if (!std::set<std::string>{"train_batch_size", "train_micro_batch_size_per_gpu", "zero_optimization", "bf16",
                               "fp16", "activation_checkpointing"}
             .count(k))
      out.unmapped.push_back(k);
  out.notes.push_back("DeepSpeed configs have no model shape: the workload comes from --workload");
  return out;
}

nlohmann::json imported_scenario(const ImportedConfig& c, const std::string& name, const nlohmann::json& cluster,
                                 const std::string& workload_file) {
  nlohmann::json sc = {{"name", name}, {"cluster", cluster}};
  if (!workload_file.empty()) {
    sc["workload"] = workload_file;
  } else {
    if (c.model.is_null())
      throw InputError("--workload", "a workload file (the imported config has no model shape)", "nothing");
    nlohmann::json w = c.workload;
    w["name"] = name;
    w["model"] = c.model;
    sc["workload"] = w;
  }
  sc["strategy"] = c.strategy;
  return sc;
}

}  // namespace trainsim
