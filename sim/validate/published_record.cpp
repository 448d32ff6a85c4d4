#include "sim/validate/published_record.hpp"

#include <fstream>

#include "models/util/json_reader.hpp"

namespace trainsim {

namespace {
template <class T>
std::optional<T> opt_int(const JsonReader& r, const char* key, std::int64_t min, std::int64_t max) {
  auto v = r.opt_integer(key, min, max);
  if (!v) return std::nullopt;
  return static_cast<T>(*v);
}
}  // namespace

PublishedRecord parse_published_record(const nlohmann::json& j, const std::string& origin) {
  JsonReader r(j, origin);
  PublishedRecord p;
  p.id = r.str("id");
  p.kind = r.choice("kind", {"run", "constant"});
  p.source = r.opt_str("source").value_or("");
  p.locator = r.opt_str("locator").value_or("");
  p.notes = r.opt_str("notes").value_or("");
  p.scope = r.opt_str("scope").value_or("");
  if (auto f = r.opt_object("framework")) {
    FrameworkRef ref;
    ref.name = f->str("name");
    ref.version = f->opt_str("version");
    ref.date = f->opt_str("date");
    p.framework = ref;
  }
  p.precision = r.opt_choice("precision", {"fp32", "tf32", "fp16", "bf16", "fp8"});
  if (auto m = r.opt_object("model")) {
    p.model_name = m->opt_str("name");
    p.layers = opt_int<int>(*m, "layers", 1, 100000);
    p.hidden = m->opt_integer("hidden", 1, 10'000'000);
    p.heads = opt_int<int>(*m, "heads", 1, 1'000'000);
    p.kv_heads = opt_int<int>(*m, "kv_heads", 1, 1'000'000);
    p.head_dim = m->opt_integer("head_dim", 1, 1'000'000);
    if (auto l = m->opt_object("lora")) p.lora = l->json();
    p.attention_kind = m->opt_choice("attention", {"mha", "gqa", "mla", "sliding-window"});
    p.dense_layers = opt_int<int>(*m, "dense_layers", 0, 100000);
    p.ffn = m->opt_integer("ffn", 1, 1'000'000'000);
    p.vocab = m->opt_integer("vocab", 1, 100'000'000);
    p.seq_len = m->opt_integer("seq_len", 1, 100'000'000);
    p.activation = m->opt_choice("activation", {"gelu", "swiglu", "relu"});
    p.params_b = m->opt_number("params_b", 0, 1e7);
    if (auto moe = m->opt_object("moe")) {
      PublishedMoe e;
      e.experts = opt_int<int>(*moe, "experts", 1, 100000);
      e.top_k = opt_int<int>(*moe, "top_k", 1, 100000);
      e.expert_ffn = moe->opt_integer("expert_ffn", 1, 1'000'000'000);
      e.shared_experts = opt_int<int>(*moe, "shared_experts", 0, 100000);
      e.moe_layers = opt_int<int>(*moe, "moe_layers", 0, 100000);
      e.capacity_factor = moe->opt_number("capacity_factor", 0, 1e6);
      p.moe = e;
    }
  }
  if (auto s = r.opt_object("system")) {
    p.gpu = s->opt_str("gpu");
    p.gpus = opt_int<int>(*s, "gpus", 1, 10'000'000);
    p.gpus_per_node = opt_int<int>(*s, "gpus_per_node", 1, 64);
    p.intra_node = s->opt_choice("intra_node", {"nvswitch", "nvlink-mesh", "pcie"});
    p.nics_per_node = opt_int<int>(*s, "nics_per_node", 0, 64);
    p.nic_gbps = s->opt_number("nic_gbps", 0.1, 1e5);
    p.fabric = s->opt_choice("fabric", {"infiniband", "roce", "ethernet"});
    p.cluster = s->opt_str("cluster");
  }
  if (auto s = r.opt_object("strategy")) {
    p.tp = opt_int<int>(*s, "tp", 1, 1 << 20);
    p.pp = opt_int<int>(*s, "pp", 1, 1 << 20);
    p.dp = opt_int<int>(*s, "dp", 1, 1 << 24);
    p.cp = opt_int<int>(*s, "cp", 1, 1 << 20);
    p.ep = opt_int<int>(*s, "ep", 1, 1 << 20);
    p.etp = opt_int<int>(*s, "etp", 1, 1 << 20);
    p.distributed_optimizer = s->opt_boolean("distributed_optimizer");
    p.overlap_grad_reduce = s->opt_boolean("overlap_grad_reduce");
    p.overlap_param_gather = s->opt_boolean("overlap_param_gather");
    p.tp_comm_overlap = s->opt_boolean("tp_comm_overlap");
    p.vp = opt_int<int>(*s, "vp", 1, 1 << 20);
    p.zero = opt_int<int>(*s, "zero", 0, 3);
    p.sequence_parallel = s->opt_boolean("sequence_parallel");
    p.recompute = s->opt_choice("recompute", {"none", "selective", "full"});
    p.schedule = s->opt_choice("schedule", {"gpipe", "1f1b", "interleaved-1f1b"});
    p.micro_batch = s->opt_integer("micro_batch", 1, std::int64_t(1) << 40);
    p.global_batch = s->opt_integer("global_batch", 1, std::int64_t(1) << 40);
  }
  auto meas = r.object("measured");
  p.metric = meas.str("metric");
  p.value = meas.number("value", -1e300, 1e300);
  if (meas.present("others")) p.others = meas.json().at("others");
  return p;
}

std::vector<PublishedRecord> load_published_records(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "a readable JSON-lines file", "no such file or it cannot be opened");
  std::vector<PublishedRecord> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string origin = file + ":" + std::to_string(n);
    out.push_back(parse_published_record(parse_json_text(line, origin), origin));
  }
  return out;
}

}  // namespace trainsim
