#include "sim/validate/published_configs.hpp"

namespace trainsim {

namespace {

// Narayanan et al. SC'21, Table 1 (weak scaling, 1.7B ... 1T): the authors' scripts "that were
// used to produce the results" in the paper, NVIDIA/Megatron-LM examples/sc21/run_table_1.sh
// (MBS, --num-layers-per-virtual-pipeline-stage, DDP=torch|local; container
// nvcr.io/nvidia/pytorch:20.12-py3, SRUN.sh). DDP=torch is PyTorch DistributedDataParallel,
// whose bucketed all-reduce overlaps the last micro-batch's backward (Li et al., VLDB 2020);
// Megatron's "local" DDP reduces its contiguous gradient buffer after the backward pass.
// PyTorch DDP's buckets hold bucket_cap_mb = 25 MiB (torch.nn.parallel.DistributedDataParallel
// documentation) of gradients, fp16 here: 13,107,200 parameters.
// The 39B and 1T runs pass no virtual-stage flag: plain 1F1B, although the paper's text speaks
// of the interleaved schedule for the whole table.
constexpr const char* kSc21Table1 = "NVIDIA/Megatron-LM examples/sc21/run_table_1.sh";
constexpr double kTorchDdpBucketParams = 25.0 * 1024 * 1024 / 2;
struct Sc21Row {
  int layers;
  std::int64_t hidden, global_batch, micro_batch;
  int layers_per_virtual_stage;
  bool torch_ddp;
};
constexpr Sc21Row kSc21Table1Rows[] = {
    {24, 2304, 512, 16, 0, true},     // 1.7B
    {30, 3072, 512, 16, 0, true},     // 3.6B
    {36, 4096, 512, 16, 0, true},     // 7.5B
    {40, 6144, 1024, 8, 0, true},     // 18B
    {48, 8192, 1536, 4, 0, false},    // 39B
    {60, 10240, 1792, 2, 5, false},   // 76B
    {80, 12288, 2304, 2, 5, false},   // 145B
    {96, 16384, 2160, 1, 3, false},   // 310B
    {105, 20480, 2520, 1, 1, false},  // 530B
    {128, 25600, 3072, 1, 0, false},  // 1T
};

// NeMo performance-summary rows (NeMo 24.07) whose layout is that of a NeMo-Framework-Launcher
// recipe: the recipe's activations_checkpoint_granularity (null = no recomputation). Read from
// launcher_scripts/conf/training/ of NVIDIA/NeMo-Framework-Launcher; rows whose layout no recipe
// has (GPT3-20B, GPT3-175B with vp 6, Llama 2 13B, Nemotron 8B/22B at other micro-batches) keep
// the searched setting.
struct NemoRecipe {
  const char* model;
  int tp, pp, vp, cp;
  std::int64_t micro_batch;
  const char* recompute;
  const char* file;  ///< under kNemoLauncherRecipes, with what it says
};
constexpr const char* kNemoLauncherRecipes = "NVIDIA/NeMo-Framework-Launcher launcher_scripts/conf/training/";
constexpr NemoRecipe kNemoRecipes[] = {
    {"Nemotron-340B", 8, 8, 12, 1, 1, "none",
     "nemotron/nemotron_340b.yaml "
     "(tp 8, pp 8, vp 12, mbs 1; activations_checkpoint_granularity: null)"},
    {"LLAMA2-70B", 4, 4, 20, 1, 1, "none",
     "llama/llama2_70b.yaml "
     "(tp 4, pp 4, vp 20, mbs 1; activations_checkpoint_granularity: null)"},
    {"LLAMA2-7B", 1, 1, 1, 1, 1, "none",
     "llama/llama2_7b.yaml "
     "(tp 1, pp 1, mbs 1; activations_checkpoint_granularity: null)"},
    {"LLAMA3-8B", 1, 1, 1, 2, 1, "none",
     "llama/llama3_8b.yaml at 157ea78 "
     "(tp 1, pp 1, cp 2, mbs 1; activations_checkpoint_granularity: null)"},
    {"LLAMA3-70B", 4, 4, 5, 2, 1, "none",
     "llama/llama3_70b.yaml "
     "(tp 4, pp 4, vp 5, cp 2, mbs 1; activations_checkpoint_granularity: null)"},
    {"GPT3-5B", 1, 1, 1, 1, 4, "selective",
     "gpt3/5b_fp8_performance.yaml "
     "(tp 1, pp 1, mbs 4; activations_checkpoint_granularity: selective)"},
};

// NeMo-Framework-Launcher recipes (launcher_scripts/conf/training/) that turn on Transformer
// Engine's userbuffers overlap (ub_tp_comm_overlap: True), by model and TP size; Llama 2 70B's
// (llama/llama2_70b.yaml) and GPT3-20B's at TP 4 (gpt3/20b_fp8_performance.yaml, 2024) leave it
// off, and no recipe runs GPT3-20B at the row's TP 2. The ub_cfg files are quoted entry by entry
// (tp_overlap/ub_cfg_h100_*.yaml); the Nemotron recipes point to an empty one.
/// The entries the two H100 TP-4 files share (bulk dgrad/wgrad overlaps without SM margin, ring
/// exchange for the all-gathers before a product, pipelined projection reduce-scatter on 24 SMs);
/// they differ in qkv_wgrad's SMs and in fc2_fprop.
nlohmann::json nemo_h100_tp4_ub_cfg(int qkv_wgrad_sms, nlohmann::json fc2_fprop) {
  auto bulk = [](int sms) {
    return nlohmann::json{{"method", "bulk"}, {"num_sm", sms}, {"cga_size", 2}, {"set_sm_margin", 0}};
  };
  const nlohmann::json ring = {{"method", "ring_exchange"}, {"aggregate", 0}};
  return {{"qkv_dgrad", bulk(4)},
          {"qkv_wgrad", bulk(qkv_wgrad_sms)},
          {"fc1_dgrad", bulk(2)},
          {"fc1_wgrad", bulk(4)},
          {"qkv_fprop", ring},
          {"proj_dgrad", ring},
          {"fc1_fprop", ring},
          {"fc2_dgrad", ring},
          {"proj_fprop",
           {{"method", "pipeline"}, {"num_sm", 24}, {"cga_size", 2}, {"num_splits", 4}, {"set_sm_margin", 1}}},
          {"fc2_fprop", std::move(fc2_fprop)}};
}

struct NemoTpOverlap {
  const char* model;
  int tp;
  const char* file;
};
constexpr NemoTpOverlap kNemoTpOverlap[] = {
    {"LLAMA3-70B", 4,
     "llama/llama3_70b.yaml (ub_tp_comm_overlap: True, tp_overlap/ub_cfg_h100_h8192_tp4_mbs1_seqlen8192.yaml)"},
    {"GPT3-175B", 4,
     "gpt3/175b_fp8_performance.yaml (ub_tp_comm_overlap: True; "
     "tp_overlap/ub_cfg_h100_h12288_tp4_mbs2_seqlen2048.yaml)"},
    {"Nemotron-8B", 2, "nemotron/nemotron_8b.yaml (ub_tp_comm_overlap: True, empty ub_cfg: TE defaults)"},
    {"Nemotron-22B", 2, "nemotron/nemotron_22b.yaml (ub_tp_comm_overlap: True, empty ub_cfg: TE defaults)"},
    {"Nemotron-340B", 8, "nemotron/nemotron_340b.yaml (ub_tp_comm_overlap: True, empty ub_cfg: TE defaults)"},
};

/// The ub_cfg entries of a kNemoTpOverlap row, quoted from its file.
nlohmann::json nemo_ub_cfg(const std::string& model) {
  if (model == "LLAMA3-70B")  // ub_cfg_h100_h8192_tp4_mbs1_seqlen8192.yaml
    return nemo_h100_tp4_ub_cfg(
        24, {{"method", "pipeline"}, {"num_sm", 16}, {"cga_size", 2}, {"num_splits", 4}, {"set_sm_margin", 1}});
  if (model == "GPT3-175B")  // ub_cfg_h100_h12288_tp4_mbs2_seqlen2048.yaml (also fp8_buf: 1 on proj_fprop)
    return nemo_h100_tp4_ub_cfg(4, {{"method", "ring_exchange"}, {"num_sm", 1}, {"set_sm_margin", 1}});
  return nlohmann::json::object();
}

}  // namespace

std::optional<PublishedTpOverlap> published_tp_overlap(const PublishedRecord& r) {
  if (r.source.find("NeMo") == std::string::npos || !r.model_name) return std::nullopt;
  for (const auto& n : kNemoTpOverlap)
    if (*r.model_name == n.model && r.tp.value_or(1) == n.tp)
      return PublishedTpOverlap{nemo_ub_cfg(n.model), std::string(kNemoLauncherRecipes) + n.file};
  return std::nullopt;
}

std::optional<PublishedRecompute> published_recompute(const PublishedRecord& r) {
  if (r.source.find("NeMo") == std::string::npos || !r.model_name) return std::nullopt;
  for (const auto& n : kNemoRecipes)
    if (*r.model_name == n.model && r.tp.value_or(1) == n.tp && r.pp.value_or(1) == n.pp && r.vp.value_or(1) == n.vp &&
        r.cp.value_or(1) == n.cp && r.micro_batch.value_or(1) == n.micro_batch)
      return PublishedRecompute{n.recompute, std::string(kNemoLauncherRecipes) + n.file};
  return std::nullopt;
}

std::optional<PublishedRunConfig> published_run_config(const PublishedRecord& r) {
  const bool sc21_table1 = r.source.find("Narayanan") != std::string::npos && r.locator.rfind("Table 1", 0) == 0;
  if (!sc21_table1 || !r.layers || !r.hidden || !r.global_batch) return std::nullopt;
  for (const auto& row : kSc21Table1Rows)
    if (row.layers == *r.layers && row.hidden == *r.hidden && row.global_batch == *r.global_batch)
      return PublishedRunConfig{row.micro_batch, row.layers_per_virtual_stage, row.torch_ddp,
                                row.torch_ddp ? kTorchDdpBucketParams : 0.0, kSc21Table1};
  return std::nullopt;
}

}  // namespace trainsim
