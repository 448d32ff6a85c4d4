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
    {24, 2304, 512, 16, 0, true},    // 1.7B
    {30, 3072, 512, 16, 0, true},    // 3.6B
    {36, 4096, 512, 16, 0, true},    // 7.5B
    {40, 6144, 1024, 8, 0, true},    // 18B
    {48, 8192, 1536, 4, 0, false},   // 39B
    {60, 10240, 1792, 2, 5, false},  // 76B
    {80, 12288, 2304, 2, 5, false},  // 145B
    {96, 16384, 2160, 1, 3, false},  // 310B
    {105, 20480, 2520, 1, 1, false}, // 530B
    {128, 25600, 3072, 1, 0, false}, // 1T
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

}  // namespace

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
