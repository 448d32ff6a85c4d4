#include "models/cost/roi.hpp"

#include <limits>

#include "models/util/errors.hpp"

namespace trainsim {

RoiResult roi(const RoiInputs& in) {
  if (in.initial_investment_usd <= 0) throw InternalError("roi: initial investment must be positive");
  RoiResult r;
  r.annual_net_savings_usd = in.savings_per_project_usd * in.projects_per_year - in.yearly_operating_usd;
  r.payback_years = r.annual_net_savings_usd > 0 ? in.initial_investment_usd / r.annual_net_savings_usd
                                                 : std::numeric_limits<double>::infinity();
  r.roi_percent =
      (r.annual_net_savings_usd * in.horizon_years - in.initial_investment_usd) / in.initial_investment_usd * 100.0;
  return r;
}

RoiInputs parse_roi_inputs(const JsonReader& r) {
  r.reject_unknown({"initial_investment_usd", "savings_per_project_usd", "projects_per_year", "horizon_years",
                    "yearly_operating_usd"});
  RoiInputs in;
  in.initial_investment_usd = r.number("initial_investment_usd", 1, 1e13);
  in.savings_per_project_usd = r.number("savings_per_project_usd", -1e12, 1e12);
  in.projects_per_year = r.number("projects_per_year", 0, 1e6);
  in.horizon_years = r.opt_number("horizon_years", 0.1, 50).value_or(in.horizon_years);
  in.yearly_operating_usd = r.opt_number("yearly_operating_usd", 0, 1e12).value_or(0);
  return in;
}

}  // namespace trainsim
