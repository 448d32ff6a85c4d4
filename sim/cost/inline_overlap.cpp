#include "sim/cost/inline_overlap.hpp"

#include <algorithm>
#include <optional>

namespace trainsim {

namespace {
/// Seconds a userbuffers-overlapped collective of t_c adds to its product of t_g (Transformer
/// Engine, methods of NeMo's ub_cfg files; S = the GPU's SMs, 0 = no SM budget known).
double ub_exposed(const UbOverlap& ub, double t_c, double t_g, int S) {
  if (S <= 0 || ub.sms <= 0 || ub.method == UbMethod::RingExchange) return std::max(0.0, t_c - t_g);
  const double n = std::min(ub.sms, S - 1);
  // The product beside the communication: confined to the S - n SMs left (set_sm_margin), or on
  // all S, losing n of them while both run (sim/cost/sm_contention.hpp: o * n / S).
  const double tg = ub.sm_margin ? t_g * S / (S - n) : t_g + std::min(t_c, t_g) * n / S;
  if (ub.method == UbMethod::Pipeline) {
    // Chunk k's reduce-scatter overlaps chunk k+1's product; the last chunk's waits at the end.
    const double s = std::max(1, ub.splits);
    return std::max(tg + t_c / s, tg / s + t_c) - t_g;
  }
  return std::max(tg, t_c) - t_g;  // bulk: the whole collective beside the whole product
}
}  // namespace

std::vector<double> exposed_inline_comm(const std::vector<Kernel>& ks, const std::vector<double>& t,
                                        const InlineOverlap& o) {
  std::vector<double> exposed(ks.size(), 0.0);
  std::vector<bool> paired(ks.size(), false);  // a product hides at most one collective
  auto next_product = [&](std::size_t i) -> std::optional<std::size_t> {
    for (std::size_t j = i + 1; j < ks.size(); ++j)
      if (ks[j].kind == KernelKind::Gemm) return paired[j] ? std::nullopt : std::optional<std::size_t>(j);
    return std::nullopt;
  };
  auto previous_product = [&](std::size_t i) -> std::optional<std::size_t> {
    for (std::size_t j = i; j-- > 0;)
      if (ks[j].kind == KernelKind::Gemm) return paired[j] ? std::nullopt : std::optional<std::size_t>(j);
    return std::nullopt;
  };
  for (std::size_t i = 0; i < ks.size(); ++i) {
    const Kernel& k = ks[i];
    if (k.kind != KernelKind::Collective) continue;
    exposed[i] = t[i];
    if (k.group == GroupRole::CP && o.cp > 1) {
      if (o.cp_all_gather) continue;  // gathered before attention, scattered after: exposed
      for (std::size_t j = i + 1; j < ks.size(); ++j)
        if (ks[j].kind == KernelKind::Attention) {
          const double steps = o.cp - 1.0;
          exposed[i] = steps * std::max(0.0, t[i] / steps - t[j] / o.cp);
          break;
        }
      continue;
    }
    const bool ub = o.tp_comm_overlap && k.group == GroupRole::TP && (k.ub.on || o.sm_count <= 0);
    if (k.async_before_product && !ub) {
      // Megatron/TE issue it on NCCL before the next product: hidden behind it, which runs that
      // much slower while the NCCL kernel holds its SMs (sim/cost/sm_contention.hpp).
      if (const auto j = next_product(i)) {
        paired[*j] = true;
        exposed[i] = std::max(0.0, t[i] - t[*j]) + std::min(t[i], t[*j]) * o.nccl_sm_share;
      }
      continue;
    }
    if (!ub) continue;
    std::optional<std::size_t> partner;
    if (k.collective == CollectiveKind::AllGather)
      partner = next_product(i);
    else if (k.collective == CollectiveKind::ReduceScatter)
      partner = previous_product(i);
    if (!partner) continue;
    paired[*partner] = true;
    exposed[i] = ub_exposed(k.ub, t[i], t[*partner], o.sm_count);
  }
  return exposed;
}

}  // namespace trainsim
