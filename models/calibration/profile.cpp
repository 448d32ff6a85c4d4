#include "models/calibration/profile.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
constexpr const char* kFormat = "trainsim-profile/1";

double lg(double x) { return std::log(std::max(x, 1.0)); }

/// Shepard interpolation of log(rate) over log-coordinates; exact at measured points.
template <class P, class Coords>
double idw_log(const std::vector<P>& pts, Precision p, const std::vector<double>& q, Coords coords) {
  std::vector<const P*> use;
  for (const auto& x : pts)
    if (x.precision == p && x.flops_per_s > 0) use.push_back(&x);
  if (use.empty()) return 0.0;
  double wsum = 0, vsum = 0;
  for (const P* x : use) {
    const std::vector<double> c = coords(*x);
    double d2 = 0;
    for (size_t i = 0; i < q.size(); ++i) d2 += (c[i] - q[i]) * (c[i] - q[i]);
    if (d2 < 1e-18) return x->flops_per_s;
    const double w = 1.0 / d2;  // power 2
    wsum += w;
    vsum += w * std::log(x->flops_per_s);
  }
  return std::exp(vsum / wsum);
}

CollectiveKind coll_from(const std::string& s, const std::string& where) {
  if (s == "allreduce") return CollectiveKind::AllReduce;
  if (s == "allgather") return CollectiveKind::AllGather;
  if (s == "reducescatter") return CollectiveKind::ReduceScatter;
  if (s == "alltoall") return CollectiveKind::AllToAll;
  if (s == "broadcast") return CollectiveKind::Broadcast;
  throw InputError(where, "allreduce, allgather, reducescatter, alltoall or broadcast", "\"" + s + "\"");
}
std::string coll_name(CollectiveKind k) {
  switch (k) {
    case CollectiveKind::AllReduce: return "allreduce";
    case CollectiveKind::AllGather: return "allgather";
    case CollectiveKind::ReduceScatter: return "reducescatter";
    case CollectiveKind::AllToAll: return "alltoall";
    case CollectiveKind::Broadcast: return "broadcast";
  }
  return "allreduce";
}
std::string prec_name(Precision p) {
  std::string s = to_string(p);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

LinearFit fit_linear_time(const std::vector<SizeTimePoint>& pts) {
  LinearFit f;
  if (pts.size() < 2) {
    if (pts.size() == 1 && pts[0].seconds > 0) f.bandwidth = pts[0].bytes / pts[0].seconds;
    return f;
  }
  // Weighted by 1/t so that small and large sizes count alike in relative terms.
  Eigen::MatrixXd A(pts.size(), 2);
  Eigen::VectorXd b(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    const double w = 1.0 / std::max(pts[i].seconds, 1e-12);
    A(i, 0) = w;
    A(i, 1) = w * pts[i].bytes;
    b(i) = w * pts[i].seconds;
  }
  Eigen::Vector2d x = A.colPivHouseholderQr().solve(b);
  f.intercept = std::max(0.0, x(0));
  if (x(1) > 0) {
    f.bandwidth = 1.0 / x(1);
  } else {  // degenerate: fall back to the largest point's rate
    const auto& big =
        *std::max_element(pts.begin(), pts.end(), [](const auto& a, const auto& c) { return a.bytes < c.bytes; });
    f.bandwidth = big.bytes / std::max(big.seconds, 1e-12);
  }
  return f;
}

std::optional<LinkFit> fit_allreduce_link(const std::vector<CollectivePoint>& pts, int g) {
  std::vector<SizeTimePoint> st;
  for (const auto& p : pts)
    if (p.kind == CollectiveKind::AllReduce && p.group_size == g && p.seconds > 0) st.push_back({p.bytes, p.seconds});
  if (st.size() < 2 || g < 2) return std::nullopt;
  const LinearFit f = fit_linear_time(st);
  if (!f.valid()) return std::nullopt;
  LinkFit l;
  l.group_size = g;
  l.latency_s = f.intercept / (2.0 * (g - 1));
  l.bandwidth = 2.0 * (g - 1) / g * f.bandwidth;  // slope = 2(g-1)/(g·beta)
  return l;
}

double CalibrationProfile::gemm_flops(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch,
                                      Precision p) const {
  return idw_log(gemm, p, {lg(m), lg(n), lg(k), lg(batch)}, [](const GemmPoint& x) {
    return std::vector<double>{lg(x.m), lg(x.n), lg(x.k), lg(x.batch)};
  });
}

double CalibrationProfile::attention_flops(std::int64_t seq, std::int64_t head_dim, Precision p) const {
  return idw_log(attention, p, {lg(seq), lg(head_dim)}, [](const AttentionPoint& x) {
    return std::vector<double>{lg(x.seq), lg(x.head_dim)};
  });
}

double CalibrationProfile::memory_bandwidth() const { return fit_linear_time(memory).bandwidth; }

std::optional<LinkFit> CalibrationProfile::link() const {
  int best = 0;
  for (const auto& c : collectives)
    if (c.kind == CollectiveKind::AllReduce) best = std::max(best, c.group_size);
  return fit_allreduce_link(collectives, best);
}

nlohmann::json CalibrationProfile::to_json() const {
  using nlohmann::json;
  json j;
  j["format"] = kFormat;
  j["device"] = device;
  j["device_name"] = device_name;
  j["ranks"] = ranks;
  j["kernel_overhead_s"] = overhead_s;
  j["gemm"] = json::array();
  for (const auto& g : gemm)
    j["gemm"].push_back({{"m", g.m},
                         {"n", g.n},
                         {"k", g.k},
                         {"batch", g.batch},
                         {"precision", prec_name(g.precision)},
                         {"flops_per_s", g.flops_per_s}});
  j["attention"] = json::array();
  for (const auto& a : attention)
    j["attention"].push_back({{"seq", a.seq},
                              {"head_dim", a.head_dim},
                              {"heads", a.heads},
                              {"precision", prec_name(a.precision)},
                              {"flops_per_s", a.flops_per_s}});
  j["memory"] = json::array();
  for (const auto& m : memory) j["memory"].push_back({{"bytes", m.bytes}, {"seconds", m.seconds}});
  j["collectives"] = json::array();
  for (const auto& c : collectives)
    j["collectives"].push_back(
        {{"kind", coll_name(c.kind)}, {"group_size", c.group_size}, {"bytes", c.bytes}, {"seconds", c.seconds}});
  if (h2d_bytes_per_s > 0 || d2h_bytes_per_s > 0)
    j["host_link"] = {{"h2d_bytes_per_s", h2d_bytes_per_s}, {"d2h_bytes_per_s", d2h_bytes_per_s}};
  if (idle_w > 0 || active_w > 0) j["power"] = {{"idle_w", idle_w}, {"active_w", active_w}};
  if (!efficiency.empty()) {
    json e;
    if (!efficiency.compute.empty()) e["compute"] = efficiency.compute;
    if (efficiency.intra_node > 0) e["intra_node"] = efficiency.intra_node;
    if (efficiency.inter_node > 0) e["inter_node"] = efficiency.inter_node;
    if (!efficiency.fitted_from.is_null()) e["fitted_from"] = efficiency.fitted_from;
    j["efficiency"] = e;
  }
  // Derived figures, for the reader (ignored when loading: recomputed from the points).
  json fits;
  fits["memory_bandwidth_bytes_per_s"] = memory_bandwidth();
  if (auto l = link())
    fits["link"] = {
        {"group_size", l->group_size}, {"latency_s", l->latency_s}, {"bandwidth_bytes_per_s", l->bandwidth}};
  j["fits"] = fits;
  return j;
}

CalibrationProfile CalibrationProfile::from_json(const nlohmann::json& j, const std::string& where) {
  auto need = [&](const nlohmann::json& o, const char* key, const std::string& path) -> const nlohmann::json& {
    if (!o.is_object() || !o.contains(key)) throw InputError(path + "." + key, "a value", "nothing");
    return o.at(key);
  };
  // Checked before any value() read: value() throws nlohmann's type_error on a non-object or a
  // non-string "format" (found by fuzz_profile; regression test ProfileJson.NonStringFormatIsAnInputError).
  if (!j.is_object()) throw InputError(where + ": $", "a calibration profile object", j.type_name());
  if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kFormat)
    throw InputError(where + ": $.format", std::string("\"") + kFormat + "\"",
                     j.contains("format") ? j["format"].dump() : "nothing");
  CalibrationProfile p;
  try {
    p.device = j.value("device", std::string("unknown"));
    p.device_name = j.value("device_name", std::string());
    p.ranks = j.value("ranks", 1);
    p.overhead_s = j.value("kernel_overhead_s", -1.0);
    int i = 0;
    for (const auto& g : j.value("gemm", nlohmann::json::array())) {
      const std::string at = where + ": $.gemm[" + std::to_string(i++) + "]";
      p.gemm.push_back({need(g, "m", at).get<std::int64_t>(), need(g, "n", at).get<std::int64_t>(),
                        need(g, "k", at).get<std::int64_t>(), g.value("batch", std::int64_t{1}),
                        parse_precision(g.value("precision", std::string("bf16"))),
                        need(g, "flops_per_s", at).get<double>()});
    }
    i = 0;
    for (const auto& a : j.value("attention", nlohmann::json::array())) {
      const std::string at = where + ": $.attention[" + std::to_string(i++) + "]";
      p.attention.push_back({need(a, "seq", at).get<std::int64_t>(), need(a, "head_dim", at).get<std::int64_t>(),
                             a.value("heads", std::int64_t{1}),
                             parse_precision(a.value("precision", std::string("bf16"))),
                             need(a, "flops_per_s", at).get<double>()});
    }
    i = 0;
    for (const auto& m : j.value("memory", nlohmann::json::array())) {
      const std::string at = where + ": $.memory[" + std::to_string(i++) + "]";
      p.memory.push_back({need(m, "bytes", at).get<double>(), need(m, "seconds", at).get<double>()});
    }
    i = 0;
    for (const auto& c : j.value("collectives", nlohmann::json::array())) {
      const std::string at = where + ": $.collectives[" + std::to_string(i++) + "]";
      p.collectives.push_back({coll_from(need(c, "kind", at).get<std::string>(), at + ".kind"),
                               need(c, "group_size", at).get<int>(), need(c, "bytes", at).get<double>(),
                               need(c, "seconds", at).get<double>()});
    }
    if (j.contains("host_link")) {
      p.h2d_bytes_per_s = j["host_link"].value("h2d_bytes_per_s", 0.0);
      p.d2h_bytes_per_s = j["host_link"].value("d2h_bytes_per_s", 0.0);
    }
    if (j.contains("power")) {
      p.idle_w = j["power"].value("idle_w", 0.0);
      p.active_w = j["power"].value("active_w", 0.0);
    }
    if (j.contains("efficiency")) {
      const auto& e = j["efficiency"];
      const std::string at = where + ": $.efficiency";
      if (!e.is_object()) throw InputError(at, "an object", e.type_name());
      auto factor = [&](const nlohmann::json& v, const std::string& path) {
        if (!v.is_number() || v.get<double>() <= 0 || v.get<double>() > 10)
          throw InputError(path, "a factor above 0 and at most 10", v.dump());
        return v.get<double>();
      };
      if (e.contains("compute")) {
        if (!e["compute"].is_object()) throw InputError(at + ".compute", "an object of GPU name -> factor", "");
        for (const auto& [gpu, v] : e["compute"].items()) p.efficiency.compute[gpu] = factor(v, at + ".compute." + gpu);
      }
      if (e.contains("intra_node")) p.efficiency.intra_node = factor(e["intra_node"], at + ".intra_node");
      if (e.contains("inter_node")) p.efficiency.inter_node = factor(e["inter_node"], at + ".inter_node");
      if (e.contains("fitted_from")) p.efficiency.fitted_from = e["fitted_from"];
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where, "a calibration profile (docs/hardware-backend.md)", e.what());
  }
  return p;
}

std::shared_ptr<const CalibrationProfile> load_calibration_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("profile", "a readable calibration profile file", "\"" + path + "\"");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, "valid JSON", e.what());
  }
  return std::make_shared<const CalibrationProfile>(CalibrationProfile::from_json(j, path));
}

std::shared_ptr<const ComputeProfile> load_compute_profile(const std::string& path) {
  return load_calibration_profile(path);
}

}  // namespace trainsim
