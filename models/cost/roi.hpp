#pragma once
// Return on investment of buying a cluster instead of an alternative (usually renting cloud
// GPUs), in the form used by HPC-vs-cloud comparisons (e.g. Hyperion Research's HPC ROI studies;
// Walker, "The Real Cost of a CPU Hour", IEEE Computer 42(4), 2009): each project run in-house
// saves `savings_per_project_usd` against the alternative; payback = investment / yearly net
// savings; ROI % over the horizon = (net savings x years - investment) / investment x 100.
#include "models/util/json_reader.hpp"

namespace trainsim {

struct RoiInputs {
  double initial_investment_usd = 0;
  double savings_per_project_usd = 0;
  double projects_per_year = 0;
  double horizon_years = 5;         ///< default: the amortisation period of onprem_tco.cpp (5 years)
  double yearly_operating_usd = 0;  ///< running cost not already netted into savings_per_project_usd
};

struct RoiResult {
  double annual_net_savings_usd = 0;
  double payback_years = 0;  ///< +infinity when the yearly net savings are not positive
  double roi_percent = 0;
};

RoiResult roi(const RoiInputs& in);

/// Reads a "roi" object: initial_investment_usd, savings_per_project_usd, projects_per_year
/// (required), horizon_years (default 5), yearly_operating_usd (default 0).
RoiInputs parse_roi_inputs(const JsonReader& r);

}  // namespace trainsim
