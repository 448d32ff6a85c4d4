#pragma once
// Transformer Engine's userbuffers overlap of tensor-parallel communication with the products of
// a transformer layer (Strategy::tp_comm_overlap): for each of the ten products of a layer that
// meet a TP collective, how the collective is overlapped and on how many SMs. The names and
// fields are those of TE's initialize_ub ub_cfgs and of NeMo's ub_cfg YAML files
// (NeMo-Framework-Launcher launcher_scripts/conf/training/tp_overlap/ub_cfg_*.yaml).
#include <array>
#include <string>

#include "models/compute/kernel.hpp"

namespace trainsim {

/// The layer products TE names, in TE's order.
enum class UbSite {
  QkvFprop,
  ProjFprop,
  Fc1Fprop,
  Fc2Fprop,
  QkvDgrad,
  QkvWgrad,
  Fc1Dgrad,
  Fc1Wgrad,
  ProjDgrad,
  Fc2Dgrad
};
constexpr int kUbSites = 10;

/// "qkv_fprop", "proj_fprop", ... as in a ub_cfg file.
const char* to_string(UbSite s);

struct TpOverlapConfig {
  std::array<UbOverlap, kUbSites> site{};
  const UbOverlap& at(UbSite s) const { return site[static_cast<int>(s)]; }
  UbOverlap& at(UbSite s) { return site[static_cast<int>(s)]; }
  bool operator==(const TpOverlapConfig&) const = default;
};

/// What TE 1.x uses for a product with no ub_cfg entry (transformer_engine/pytorch/module/base.py,
/// initialize_ub, 2024): ring exchange for qkv_fprop, fc1_fprop, proj_dgrad and fc2_dgrad (peer
/// copies on the copy engines), pipelined reduce-scatter in 4 splits for proj_fprop and fc2_fprop,
/// bulk overlap for the four backward dgrad/wgrad sites; add_ub's defaults num_sm = 16 and
/// set_sm_margin = 0 for the SM-driven ones. NeMo's Nemotron recipes of 2024 turn the overlap on
/// with an empty ub_cfg, i.e. with these.
TpOverlapConfig te_default_tp_overlap();

}  // namespace trainsim
