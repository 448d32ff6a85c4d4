#pragma once
// The seconds of every piece of work of the plan units (sim/plan/plan_units.hpp), from the cost
// library (sim/cost/op_costs.hpp): each unit pass, its ZeRO-3 gather and gradient synchronisation,
// the buckets, the pipeline transfers and each stage's tail. What the expanded Plan's ops would
// cost on the engines, without expanding it.
#include <algorithm>
#include <array>
#include <span>
#include <stdexcept>
#include <vector>

#include "sim/cost/op_costs.hpp"
#include "sim/metrics/timeline.hpp"
#include "sim/plan/plan_units.hpp"

namespace trainsim {

/// A compute op: its duration, the inline collectives inside it and its compute-bound share.
struct ComputeCost {
  double seconds = 0, inner_comm = 0, compute_bound_share = 1;
  HostSide host = HostSide::None;
  double flops = 0;
  friend bool operator==(const ComputeCost&, const ComputeCost&) = default;
};

/// A collective beside the compute stream: its duration and the SMs it holds.
struct SideCost {
  double seconds = 0;
  int sms = 0;
  friend bool operator==(const SideCost&, const SideCost&) = default;
};
/// A short list that lives in place (the scorer builds thousands per second: no allocation).
template <typename T, std::size_t N>
class FixedList {
 public:
  void push_back(const T& x) {
    if (n_ == items_.size()) throw std::length_error("FixedList: full");
    items_[n_++] = x;
  }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + n_; }
  bool empty() const { return n_ == 0; }
  std::size_t size() const { return n_; }
  const T& operator[](std::size_t i) const { return items_[i]; }
  friend bool operator==(const FixedList& a, const FixedList& b) {
    return a.n_ == b.n_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  std::array<T, N> items_{};
  std::size_t n_ = 0;
};

/// Collectives issued one after another: a gradient synchronisation is at most three
/// (reduce-scatter in the sharding group, all-reduce across replicas, the routed experts' in the
/// expert data-parallel group: PlanUnits::gradient_sync).
using SideChain = FixedList<SideCost, 3>;

/// One module of a DeepSpeed 0.3.x pass: its compute, its gather and (backward) the gradient
/// all-reduce queued after the next module's gather.
struct PieceCost {
  ComputeCost compute;
  SideCost gather;
  SideChain grad;
};

struct UnitCosts {
  ComputeCost forward, backward, recompute;
  bool recomputes = false;
  SideCost gather;  ///< PlanUnits::unit_gathers: before each pass
  SideChain grad;   ///< PlanUnits::unit_gathers: after its backward
  std::vector<PieceCost> forward_pieces, backward_pieces, recompute_pieces;  ///< PlanUnits::module_pieces
};

struct VirtualStageCosts {
  int first_unit = 0, unit_count = 0;               ///< its units in UnitScheduleCosts::units, forward order
  int first_grad_bucket = 0, grad_buckets = 0;      ///< per bucket of PlanUnits::grad_buckets(vs)
  int first_weight_bucket = 0, weight_buckets = 0;  ///< per bucket of PlanUnits::weight_buckets(vs)
  double send_forward = 0, send_backward = 0;       ///< pipeline transfers to the next / previous virtual stage
};

struct TailCosts {
  SideChain grad_sync;
  SideCost embedding;                   ///< tied-embedding all-reduce (0 s: none)
  FixedList<ComputeCost, 4> optimizer;  ///< one op each (optimizer_steps: at most four)
  SideCost weight_gather;               ///< 0 s: none
};

struct UnitScheduleCosts {
  std::vector<UnitCosts> units;
  std::vector<SideChain> grad_buckets;
  std::vector<SideCost> weight_buckets;
  std::vector<VirtualStageCosts> vstages;
  std::vector<TailCosts> tails;

  std::span<const UnitCosts> units_of(int vs) const {
    return {units.data() + vstages[vs].first_unit, static_cast<std::size_t>(vstages[vs].unit_count)};
  }
  std::span<const SideChain> grad_buckets_of(int vs) const {
    return {grad_buckets.data() + vstages[vs].first_grad_bucket, static_cast<std::size_t>(vstages[vs].grad_buckets)};
  }
  std::span<const SideCost> weight_buckets_of(int vs) const {
    return {weight_buckets.data() + vstages[vs].first_weight_bucket,
            static_cast<std::size_t>(vstages[vs].weight_buckets)};
  }
};

/// Costs every unit of `units` with `costs` (built on the same layout and model).
UnitScheduleCosts cost_units(const PlanUnits& units, const OpCosts& costs);

}  // namespace trainsim
