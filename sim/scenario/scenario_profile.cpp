#include "sim/scenario/scenario_profile.hpp"

namespace trainsim {

std::shared_ptr<const ComputeProfile> load_profile_for(const Scenario& sc) {
  if (!sc.options.profile) return nullptr;
  return load_compute_profile(*sc.options.profile);
}

}  // namespace trainsim
