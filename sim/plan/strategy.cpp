#include "sim/plan/strategy.hpp"

namespace trainsim {

const char* to_string(ScheduleKind s) {
  switch (s) {
    case ScheduleKind::GPipe: return "gpipe";
    case ScheduleKind::OneFOneB: return "1f1b";
    case ScheduleKind::Interleaved1F1B: return "interleaved-1f1b";
  }
  return "?";
}

namespace {
/// One ub_cfg entry, read as Transformer Engine's initialize_ub reads it: an entry that names a
/// method but leaves a key out gets num_sm 1 for ring exchange (16 otherwise), num_splits 4 for
/// a pipeline (else none) and set_sm_margin 0.
UbOverlap parse_ub_entry(const JsonReader& e) {
  e.reject_unknown(
      {"method", "num_sm", "cga_size", "set_sm_margin", "num_splits", "aggregate", "atomic_gemm", "fp8_buf", "use_ce"});
  const std::string m = e.choice("method", {"ring_exchange", "pipeline", "bulk"});
  UbOverlap u;
  u.on = true;
  u.method = m == "ring_exchange" ? UbMethod::RingExchange : m == "pipeline" ? UbMethod::Pipeline : UbMethod::Bulk;
  // Ring exchange moves its chunks with the copy engines (use_ce): its num_sm drives no copy.
  const int sms =
      static_cast<int>(e.opt_integer("num_sm", 0, 1024).value_or(u.method == UbMethod::RingExchange ? 1 : 16));
  u.sms = u.method == UbMethod::RingExchange ? 0 : sms;
  u.splits = static_cast<int>(e.opt_integer("num_splits", 1, 1024).value_or(u.method == UbMethod::Pipeline ? 4 : 1));
  if (e.present("set_sm_margin")) {
    const auto& v = e.json()["set_sm_margin"];
    if (v.is_boolean())
      u.sm_margin = v.get<bool>();
    else
      u.sm_margin = e.integer("set_sm_margin", 0, 1) == 1;
  }
  return u;
}
}  // namespace

TpOverlapConfig parse_tp_overlap_cfg(const JsonReader& r) {
  std::vector<std::string> names;
  for (int i = 0; i < kUbSites; ++i) names.emplace_back(to_string(static_cast<UbSite>(i)));
  r.reject_unknown(names);
  TpOverlapConfig c = te_default_tp_overlap();
  for (int i = 0; i < kUbSites; ++i)
    if (auto e = r.opt_object(names[i])) c.site[i] = parse_ub_entry(*e);
  return c;
}

Strategy parse_strategy(const JsonReader& r) {
  r.reject_unknown({"name",
                    "description",
                    "tp",
                    "pp",
                    "dp",
                    "cp",
                    "ep",
                    "etp",
                    "vp",
                    "sequence_parallel",
                    "zero",
                    "recompute",
                    "recompute_modules",
                    "schedule",
                    "micro_batch",
                    "global_batch",
                    "precision",
                    "attention",
                    "overlap_grad_reduce",
                    "overlap_param_gather",
                    "bucket_params",
                    "optimizer_offload",
                    "scatter_gather_p2p",
                    "overlap_p2p_comm",
                    "cp_comm",
                    "moe_dispatcher",
                    "tp_comm_overlap",
                    "tp_overlap_cfg",
                    "shard_group",
                    "dropout",
                    "gradient_accumulation_fusion",
                    "fused_bias",
                    "fused_elementwise",
                    "grad_reduce_dtype",
                    "fsdp_param_dtype",
                    "zero_runtime",
                    "tp_algorithm",
                    "dp_algorithm"});
  Strategy s;
  s.tp = static_cast<int>(r.opt_integer("tp", 1, 1 << 20).value_or(1));
  s.pp = static_cast<int>(r.opt_integer("pp", 1, 1 << 20).value_or(1));
  s.dp = static_cast<int>(r.opt_integer("dp", 1, 1 << 24).value_or(0));
  s.cp = static_cast<int>(r.opt_integer("cp", 1, 1 << 20).value_or(1));
  s.ep = static_cast<int>(r.opt_integer("ep", 1, 1 << 20).value_or(1));
  s.etp = static_cast<int>(r.opt_integer("etp", 1, 1 << 20).value_or(0));
  s.vp = static_cast<int>(r.opt_integer("vp", 1, 1024).value_or(1));
  s.sequence_parallel = r.opt_boolean("sequence_parallel").value_or(false);
  s.zero = static_cast<int>(r.opt_integer("zero", 0, 3).value_or(0));
  s.shard_group = static_cast<int>(r.opt_integer("shard_group", 1, 1 << 24).value_or(0));
  if (s.shard_group > 0 && s.zero == 0)
    throw InputError(r.where("shard_group"), "a zero stage of 1 or more (nothing is sharded with zero 0)",
                     std::to_string(s.shard_group));
  auto rc = r.opt_choice("recompute", {"none", "selective", "full"}).value_or("none");
  s.recompute = rc == "none" ? Recompute::None : rc == "selective" ? Recompute::Selective : Recompute::Full;
  if (r.present("recompute_modules")) {
    const auto& a = r.json().at("recompute_modules");
    const std::string expected = "a non-empty array of \"core_attn\", \"layernorm\", \"moe_act\", \"mla_up_proj\"";
    if (!a.is_array() || a.empty()) throw InputError(r.where("recompute_modules"), expected, JsonReader::describe(a));
    if (r.present("recompute") && s.recompute != Recompute::Selective)
      throw InputError(r.where("recompute_modules"),
                       "recompute \"selective\" (the modules of a selective recomputation)",
                       "recompute \"" + rc + "\"");
    s.recompute = Recompute::Selective;
    RecomputeModules& m = s.recompute_modules;
    m.stated = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string name = a[i].is_string() ? a[i].get<std::string>() : "";
      bool* flag = name == "core_attn"     ? &m.core_attn
                   : name == "layernorm"   ? &m.layernorm
                   : name == "moe_act"     ? &m.moe_act
                   : name == "mla_up_proj" ? &m.mla_up_proj
                                           : nullptr;
      if (!flag)
        throw InputError(r.where("recompute_modules") + "[" + std::to_string(i) + "]",
                         "\"core_attn\", \"layernorm\", \"moe_act\" or \"mla_up_proj\" (Megatron-Core's "
                         "recompute modules the simulator models)",
                         JsonReader::describe(a[i]));
      *flag = true;
    }
  }
  auto sched = r.opt_choice("schedule", {"gpipe", "1f1b", "interleaved-1f1b"});
  if (sched) {
    s.schedule = *sched == "gpipe"  ? ScheduleKind::GPipe
                 : *sched == "1f1b" ? ScheduleKind::OneFOneB
                                    : ScheduleKind::Interleaved1F1B;
  } else {
    s.schedule = s.vp > 1 ? ScheduleKind::Interleaved1F1B : ScheduleKind::OneFOneB;
  }
  if (s.vp > 1 && s.schedule != ScheduleKind::Interleaved1F1B)
    throw InputError(r.where("vp"), "1 unless schedule is \"interleaved-1f1b\"", std::to_string(s.vp));
  s.micro_batch = r.opt_integer("micro_batch", 1, 1 << 24).value_or(1);
  s.global_batch = r.opt_integer("global_batch", 1, std::int64_t(1) << 40).value_or(0);
  if (auto p = r.opt_choice("precision", {"fp32", "tf32", "fp16", "bf16", "fp8"})) s.precision = parse_precision(*p);
  const std::string attention = r.opt_choice("attention", {"flash", "flash-v1", "unfused"}).value_or("flash");
  s.attention = attention == "flash"      ? AttentionImpl::Flash
                : attention == "flash-v1" ? AttentionImpl::FlashV1
                                          : AttentionImpl::Unfused;
  s.overlap_grad_reduce = r.opt_boolean("overlap_grad_reduce").value_or(false);
  s.overlap_param_gather = r.opt_boolean("overlap_param_gather").value_or(false);
  s.bucket_params = r.opt_number("bucket_params", 1e3, 1e13).value_or(0.0);
  s.optimizer_offload = r.opt_boolean("optimizer_offload").value_or(false);
  s.scatter_gather_p2p = r.opt_boolean("scatter_gather_p2p").value_or(true);
  s.overlap_p2p_comm = r.opt_boolean("overlap_p2p_comm").value_or(false);
  s.cp_all_gather = r.opt_choice("cp_comm", {"ring", "all-gather"}).value_or("ring") == "all-gather";
  if (auto d = r.opt_choice("moe_dispatcher", {"alltoall", "allgather", "deepep", "hybridep"}))
    s.moe_dispatcher = *d == "allgather"  ? MoeDispatcher::AllGather
                       : *d == "deepep"   ? MoeDispatcher::DeepEP
                       : *d == "hybridep" ? MoeDispatcher::HybridEP
                                          : MoeDispatcher::AllToAll;
  s.tp_comm_overlap = r.opt_boolean("tp_comm_overlap").value_or(false);
  // The decomposed all-gather/reduce-scatter exist only with sequence parallelism (Megatron-core
  // refuses --tp-comm-overlap without --sequence-parallel).
  if (s.tp_comm_overlap && s.tp > 1 && !s.sequence_parallel)
    throw InputError(r.where("tp_comm_overlap"), "false unless sequence_parallel is true", "true");
  if (auto cfg = r.opt_object("tp_overlap_cfg")) {
    if (!s.tp_comm_overlap)
      throw InputError(r.where("tp_overlap_cfg"), "no tp_overlap_cfg unless tp_comm_overlap is true", "an object");
    s.tp_overlap = parse_tp_overlap_cfg(*cfg);
  }
  if (auto g = r.opt_choice("grad_reduce_dtype", {"fp32", "bf16", "fp16"})) s.grad_reduce_dtype = parse_precision(*g);
  if (auto f = r.opt_choice("fsdp_param_dtype", {"fp32", "bf16", "fp16"})) {
    if (s.zero < 3)
      throw InputError(r.where("fsdp_param_dtype"),
                       "no fsdp_param_dtype unless zero is 3 (parameters are not gathered)",
                       "\"" + *f + "\" with zero " + std::to_string(s.zero));
    s.fsdp_param_dtype = parse_precision(*f);
  }
  if (auto z = r.opt_choice("zero_runtime", {"fsdp", "deepspeed-0.3"})) {
    if (*z == "deepspeed-0.3" && s.zero < 3)
      throw InputError(r.where("zero_runtime"),
                       "\"fsdp\" unless zero is 3 (deepspeed-0.3 is DeepSpeed's stage-3 runtime)",
                       "\"" + *z + "\" with zero " + std::to_string(s.zero));
    if (*z == "deepspeed-0.3" && s.shard_group > 0)
      throw InputError(r.where("zero_runtime"), "\"fsdp\" with shard_group (DeepSpeed 0.3 shards over the whole group)",
                       "\"deepspeed-0.3\" with shard_group " + std::to_string(s.shard_group));
    s.zero_runtime = *z == "deepspeed-0.3" ? ZeroRuntime::DeepSpeed03 : ZeroRuntime::Fsdp;
  }
  s.dropout = r.opt_boolean("dropout").value_or(true);
  s.gradient_accumulation_fusion = r.opt_boolean("gradient_accumulation_fusion").value_or(true);
  s.fused_bias = r.opt_boolean("fused_bias").value_or(true);
  s.fused_elementwise = r.opt_boolean("fused_elementwise").value_or(true);
  if (auto a = r.opt_str("tp_algorithm")) s.tp_algorithm = parse_collective_algorithm(*a, r.where("tp_algorithm"));
  if (auto a = r.opt_str("dp_algorithm")) s.dp_algorithm = parse_collective_algorithm(*a, r.where("dp_algorithm"));
  return s;
}

}  // namespace trainsim
