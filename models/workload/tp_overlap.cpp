#include "models/workload/tp_overlap.hpp"

namespace trainsim {

const char* to_string(UbSite s) {
  switch (s) {
    case UbSite::QkvFprop: return "qkv_fprop";
    case UbSite::ProjFprop: return "proj_fprop";
    case UbSite::Fc1Fprop: return "fc1_fprop";
    case UbSite::Fc2Fprop: return "fc2_fprop";
    case UbSite::QkvDgrad: return "qkv_dgrad";
    case UbSite::QkvWgrad: return "qkv_wgrad";
    case UbSite::Fc1Dgrad: return "fc1_dgrad";
    case UbSite::Fc1Wgrad: return "fc1_wgrad";
    case UbSite::ProjDgrad: return "proj_dgrad";
    case UbSite::Fc2Dgrad: return "fc2_dgrad";
  }
  return "?";
}

namespace {
TpOverlapConfig te_defaults() {
  TpOverlapConfig c;
  auto set = [&](UbSite s, UbMethod m, int sms, int splits) {
    UbOverlap& u = c.at(s);
    u.on = true;
    u.method = m;
    u.sms = m == UbMethod::RingExchange ? 0 : sms;
    u.splits = splits;
    u.sm_margin = false;
  };
  for (UbSite s : {UbSite::QkvFprop, UbSite::Fc1Fprop, UbSite::ProjDgrad, UbSite::Fc2Dgrad})
    set(s, UbMethod::RingExchange, 0, 1);
  for (UbSite s : {UbSite::ProjFprop, UbSite::Fc2Fprop}) set(s, UbMethod::Pipeline, 16, 4);
  for (UbSite s : {UbSite::QkvDgrad, UbSite::QkvWgrad, UbSite::Fc1Dgrad, UbSite::Fc1Wgrad})
    set(s, UbMethod::Bulk, 16, 1);
  return c;
}
}  // namespace

TpOverlapConfig te_default_tp_overlap() {
  static const TpOverlapConfig defaults = te_defaults();  // every Strategy and LayerShard starts from it
  return defaults;
}

}  // namespace trainsim
