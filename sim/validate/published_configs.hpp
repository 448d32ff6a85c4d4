#pragma once
// Launch configurations that a run's authors published beside the paper (reproduction scripts,
// recipes) for knobs the paper's table leaves out. The validator fills a record's null
// micro-batch, virtual stages and gradient-reduction overlap from them, and says so per row,
// instead of guessing the fastest setting with the model itself (a model that picks its own
// most optimistic setting over-predicts: the "fastest that fits" rule's bias).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "sim/validate/published_record.hpp"

namespace trainsim {

struct PublishedRunConfig {
  std::int64_t micro_batch = 1;
  int layers_per_virtual_stage = 0;  ///< interleaved 1F1B with this many layers per chunk; 0: plain 1F1B
  bool overlap_grad_reduce = false;  ///< gradients all-reduced during the backward pass (PyTorch DDP)
  double bucket_params = 0;          ///< gradient bucket, parameters (0: the strategy's default)
  const char* source = "";           ///< where the numbers were read
};

/// The published configuration of the run a record describes, or nullopt when none is known.
/// Matched on the source, the table and the model shape, so a record with other values is not
/// silently given another run's knobs.
std::optional<PublishedRunConfig> published_run_config(const PublishedRecord& r);

/// Activation recomputation of a framework recipe whose parallel layout (TP, PP, virtual stages,
/// micro-batch) is the record's: "none", "selective" or "full", with where it was read.
struct PublishedRecompute {
  const char* recompute = "none";
  std::string source;
};
std::optional<PublishedRecompute> published_recompute(const PublishedRecord& r);

/// Transformer Engine's TP communication overlap of a NeMo row whose model's FP8 recipe (at the
/// row's TP size, with sequence parallelism) sets ub_tp_comm_overlap: the recipe's ub_cfg entries
/// as a `tp_overlap_cfg` object (empty: the recipe names no file, so TE's defaults apply).
struct PublishedTpOverlap {
  nlohmann::json ub_cfg = nlohmann::json::object();
  std::string source;
};
std::optional<PublishedTpOverlap> published_tp_overlap(const PublishedRecord& r);

}  // namespace trainsim
