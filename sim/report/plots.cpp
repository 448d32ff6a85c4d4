#include "sim/report/plots.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "models/util/errors.hpp"
#include "models/util/human_units.hpp"
#include "sim/report/report.hpp"

namespace trainsim {

// ---------------------------------------------------------------------------------------------
// gnuplot

std::string find_gnuplot() {
  const char* path = std::getenv("PATH");
  if (!path) return "";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string f = dir + "/gnuplot";
    if (::access(f.c_str(), X_OK) == 0) return f;
  }
  return "";
}

std::string require_gnuplot() {
  const std::string gp = find_gnuplot();
  if (gp.empty())
    throw InputError("gnuplot",
                     "the gnuplot program on PATH to draw pictures (Debian: apt-get install gnuplot-nox; "
                     "scripts/install-deps.sh installs it)",
                     "no gnuplot in PATH");
  return gp;
}

void run_gnuplot(const std::string& dir, const std::string& script) {
  const std::string gp = require_gnuplot();
  const std::string log = "gnuplot.log";
  const pid_t pid = ::fork();
  if (pid < 0) throw InternalError("cannot start gnuplot (fork failed)");
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execl(gp.c_str(), "gnuplot", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(dir + "/" + log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > 2000) text = text.substr(text.size() - 2000);
    throw InternalError("gnuplot " + script + " failed in " + dir + " (exit " +
                        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "): " + text);
  }
}

namespace {

/// A gnuplot double-quoted string.
std::string q(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}
/// A quoted field of a gnuplot data file (no escapes there: replace quotes).
std::string dq(std::string s) {
  std::replace(s.begin(), s.end(), '"', '\'');
  std::replace(s.begin(), s.end(), '\n', ' ');
  return "\"" + s + "\"";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  if (!out) throw InputError("--out", "a writable folder", "\"" + path + "\" cannot be written");
  out << text;
}

/// The script renders `body` twice: into NAME.svg and NAME.png.
std::string two_terminals(const std::string& name, int w, int h, const std::string& body) {
  std::string s = "# Written by trainsim report; run `gnuplot " + name + ".gp` here to redraw.\n";
  s += fmt::format("set terminal svg size {},{} noenhanced font \"sans,11\" background rgb \"white\"\n", w, h);
  s += "set output " + q(name + ".svg") + "\n" + body + "unset output\n";
  s += fmt::format("reset\nset terminal pngcairo size {},{} noenhanced font \"sans,10\" background rgb \"white\"\n", w,
                   h);
  s += "set output " + q(name + ".png") + "\n" + body + "unset output\n";
  return s;
}

struct Category {
  const char* title;
  const char* color;
};
constexpr Category kCategories[] = {{"forward", "#4e79a7"},       {"backward", "#59a14f"},
                                    {"recompute", "#f28e2b"},     {"TP/CP/EP comm (inline)", "#e15759"},
                                    {"pipeline send", "#b07aa1"}, {"DP / parameter comm", "#76b7b2"},
                                    {"optimizer", "#9c755f"}};
constexpr int kNumCategories = 7;

struct Box {
  double x0, x1;
  int row;
  bool comm_lane;
  int cat;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// timeline

PlotFiles write_timeline(const Prediction& p, const std::string& dir, const std::string& name,
                         const TimelineOptions& opt) {
  const auto& plan = p.plan;
  const Trace& t = p.trace;
  PlotFiles f;
  f.name = name;
  // Rows: one representative rank per stage (tp = cp = dp = 0) unless all ranks are asked for.
  std::set<int> ranks;
  for (const auto& e : t.events) ranks.insert(e.rank);
  std::vector<int> rows;
  for (int r : ranks) {
    const RankCoord c = plan.coord(r);
    if (opt.all_ranks || (c.tp == 0 && c.cp == 0 && c.dp == 0)) rows.push_back(r);
  }
  std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) {
    const int pa = plan.coord(a).pp, pb = plan.coord(b).pp;
    return pa != pb ? pa < pb : a < b;
  });
  if (static_cast<int>(rows.size()) > opt.max_rows && opt.max_rows > 1) {
    std::vector<int> keep;
    const size_t n = rows.size();
    for (int i = 0; i < opt.max_rows; ++i) keep.push_back(rows[i * (n - 1) / (opt.max_rows - 1)]);
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    f.note += fmt::format("{} of {} rows drawn. ", keep.size(), n);
    rows = keep;
  }
  std::map<int, int> row_of;
  for (size_t i = 0; i < rows.size(); ++i) row_of[rows[i]] = static_cast<int>(i);

  const double T = t.iteration_time;
  const double unit = T < 1 ? 1e3 : 1.0;
  const std::string unit_name = T < 1 ? "ms" : "s";
  std::vector<Box> boxes;
  for (const auto& e : t.events) {
    auto it = row_of.find(e.rank);
    if (it == row_of.end() || e.end <= e.start) continue;
    const int row = it->second;
    switch (e.kind) {
      case OpKind::Compute: {
        const int cat = e.phase == Phase::Forward     ? 0
                        : e.phase == Phase::Backward  ? 1
                        : e.phase == Phase::Recompute ? 2
                                                      : 6;
        const double split = e.end - std::clamp(e.inner_comm, 0.0, e.end - e.start);
        if (split > e.start) boxes.push_back({e.start, split, row, false, cat});
        if (e.end > split) boxes.push_back({split, e.end, row, false, 3});
        break;
      }
      case OpKind::Send: boxes.push_back({e.start, e.end, row, e.stream != Stream::Compute, 4}); break;
      case OpKind::Collective: boxes.push_back({e.start, e.end, row, e.stream != Stream::Compute, 5}); break;
      case OpKind::Recv: break;  // spans the wait for the sender: that is the bubble, left blank
    }
  }
  const size_t total = boxes.size();
  // Too many boxes: keep the first and the last max_boxes/2 (warm-up and cool-down of the pipeline).
  bool split_view = false;
  double head_end = T, tail_start = 0;
  size_t cap = opt.max_boxes > 1 ? static_cast<size_t>(opt.max_boxes) : total;
  if (opt.boxes_per_row > 0)
    cap = std::min(cap, std::max<size_t>(2, static_cast<size_t>(opt.boxes_per_row) * rows.size()));
  if (total > cap) {
    const size_t half = cap / 2;
    std::vector<double> starts, ends;
    for (const auto& b : boxes) starts.push_back(b.x0), ends.push_back(b.x1);
    std::sort(starts.begin(), starts.end());
    std::sort(ends.begin(), ends.end());
    head_end = starts[half];              // boxes starting before it: at most `half`
    tail_start = ends[total - half - 1];  // boxes ending after it: at most `half`
    if (head_end < tail_start) {
      split_view = true;
      std::vector<Box> kept;
      for (const auto& b : boxes)
        if (b.x0 < head_end || b.x1 > tail_start) kept.push_back(b);
      boxes.swap(kept);
      f.note += fmt::format("{} of {} boxes drawn: the first {} and the last {} of the iteration. ", boxes.size(),
                            total, fmt::format("{:.3g} {}", head_end * unit, unit_name),
                            fmt::format("{:.3g} {}", (T - tail_start) * unit, unit_name));
    }
  }
  // Data: one index block per category present.
  std::string dat = fmt::format("# x0 x1 y0 y1 ({}), one block per category\n", unit_name);
  std::vector<int> present;
  for (int c = 0; c < kNumCategories; ++c) {
    std::string block;
    int n = 0;
    for (const auto& b : boxes) {
      if (b.cat != c) continue;
      const double y0 = b.comm_lane ? b.row + 0.33 : b.row - 0.3, y1 = b.comm_lane ? b.row + 0.45 : b.row + 0.3;
      block += fmt::format("{:.9g} {:.9g} {} {}\n", b.x0 * unit, b.x1 * unit, y0, y1);
      ++n;
    }
    if (n == 0) continue;
    if (!present.empty()) dat += "\n\n";
    dat += "# " + std::string(kCategories[c].title) + "\n" + block;
    present.push_back(c);
    f.rows += n;
  }
  write_file(dir + "/" + name + ".dat", dat);

  f.title = fmt::format("{} — iteration {:.4g} {} ({} engine)", p.metrics.scenario, T * unit, unit_name, t.engine);
  std::string ytics;
  for (size_t i = 0; i < rows.size(); ++i) {
    const RankCoord c = plan.coord(rows[i]);
    const std::string label = opt.all_ranks ? fmt::format("rank {} (stage {})", rows[i], c.pp)
                                            : fmt::format("stage {} (rank {})", c.pp, rows[i]);
    ytics += (i ? ", " : "") + q(label) + " " + std::to_string(i);
  }
  auto plot_cmd = [&](bool titles) {
    std::string s = "plot ";
    for (size_t i = 0; i < present.size(); ++i) {
      const auto& c = kCategories[present[i]];
      s += fmt::format(
          "{}{} index {} using (($1+$2)/2):(($3+$4)/2):1:2:3:4 with boxxyerror fs solid 1.0 noborder lc rgb {} {}",
          i ? ", \\\n     " : "", q(name + ".dat"), i, q(c.color), titles ? "title " + q(c.title) : "notitle");
    }
    return s + "\n";
  };
  std::string body;
  body += fmt::format("set ytics ({})\nset yrange [{}:-0.7]\n", ytics, rows.size() - 0.4);
  body += "set xlabel " + q("time (" + unit_name + ")") + "\n";
  body +=
      "set grid xtics lc rgb \"#dddddd\"\nset key outside bottom center horizontal\nset border 3\nset tics nomirror\n";
  if (!split_view) {
    body += "set title " +
            q(f.title + (f.note.empty() ? "" : "\n" + f.note) +
              "\nidle gaps = pipeline bubble; thin strips = communication streams") +
            "\n";
    body += fmt::format("set xrange [0:{:.9g}]\n", T * unit);
    body += plot_cmd(true);
  } else {
    // Two panels of equal width; only the left one carries the row labels and the legend.
    body += "set multiplot title " + q(f.title + "\n" + f.note) + "\n";
    const double hpx = std::clamp(160 + 34 * static_cast<int>(rows.size()), 320, 1600);
    body += fmt::format("set tmargin at screen {:.3f}\nset bmargin at screen {:.3f}\n", 1 - 90 / hpx, 140 / hpx);
    body += "set lmargin at screen 0.14\nset rmargin at screen 0.555\n";
    body += fmt::format("set title \"start of the iteration\"\nset xrange [0:{:.9g}]\n", head_end * unit);
    body += plot_cmd(true);
    body += "set lmargin at screen 0.575\nset rmargin at screen 0.985\nset ytics format \"\"\n";
    std::string blank;
    for (size_t i = 0; i < rows.size(); ++i) blank += (i ? ", " : "") + std::string("\"\" ") + std::to_string(i);
    body += "set ytics (" + blank + ")\n";
    body +=
        fmt::format("set title \"end of the iteration\"\nset xrange [{:.9g}:{:.9g}]\n", tail_start * unit, T * unit);
    body += "set key off\n" + plot_cmd(false);
    body += "unset multiplot\n";
  }
  for (int c : present) f.series.push_back(kCategories[c].title);
  const int h = std::clamp(160 + 34 * static_cast<int>(rows.size()), 320, 1600);
  write_file(dir + "/" + name + ".gp", two_terminals(name, split_view ? 1400 : 1200, h, body));
  return f;
}

// ---------------------------------------------------------------------------------------------
// breakdown bars

PlotFiles write_breakdown(const std::vector<BreakdownBar>& bars, const std::string& dir, const std::string& name) {
  PlotFiles f;
  f.name = name;
  // In seconds (#21: percentages hid that the bars' iterations differ): each bar's height is its
  // iteration, its parts where the time goes.
  f.title = "Where the iteration time goes (busiest pipeline stage, seconds per iteration)";
  const char* titles[] = {"forward",         "backward",          "recompute", "TP comm (exposed)",
                          "pipeline bubble", "DP comm (exposed)", "optimizer"};
  const char* colors[] = {"#4e79a7", "#59a14f", "#f28e2b", "#e15759", "#bab0ac", "#76b7b2", "#9c755f"};
  std::string dat = "\"scenario\"";
  for (const char* t : titles) dat += " " + dq(t);
  dat += "\n";
  std::size_t longest = 0;
  for (const auto& b : bars) {
    const auto& d = b.metrics.breakdown;
    const double v[] = {d.forward,         d.backward,        d.recompute, d.tp_comm_exposed,
                        d.pipeline_bubble, d.dp_comm_exposed, d.optimizer};
    // The label on two lines (name, then the iteration time) so that neighbours do not overlap.
    dat += dq(b.label + "\\n" + human_seconds(b.metrics.iteration_time_s));
    longest = std::max(longest, b.label.size());
    for (double x : v) dat += fmt::format(" {:.6g}", x);
    dat += "\n";
    ++f.rows;
  }
  write_file(dir + "/" + name + ".dat", dat);
  std::string body;
  body += "set title " + q(f.title) + "\n";
  body += "set style data histograms\nset style histogram rowstacked\nset style fill solid 1.0 border rgb \"white\"\n";
  body += fmt::format("set boxwidth {}\n", bars.size() > 1 ? 0.6 : 0.4);
  body += "set ylabel \"seconds per iteration\"\nset yrange [0:*]\nset grid ytics lc rgb \"#dddddd\"\n";
  body += "set key outside right top vertical\nset border 3\nset tics nomirror\n";
  // Long names are slanted, with room below the axis for them.
  const int per_bar = longest > 0 ? static_cast<int>(longest) : 1;
  if (bars.size() > 4 || per_bar * static_cast<int>(bars.size()) > 60)
    body += fmt::format("set xtics rotate by -25\nset bmargin {}\n", std::min(20, 4 + per_bar / 3));
  body += "plot ";
  for (int i = 0; i < 7; ++i)
    body += fmt::format("{}{} using {}:xtic(1) title columnheader({}) lc rgb {}", i ? ", \\\n     " : "",
                        q(name + ".dat"), i + 2, i + 2, q(colors[i]));
  body += "\n";
  for (const char* t : titles) f.series.push_back(t);
  const int w = std::clamp(520 + 140 * static_cast<int>(bars.size()), 760, 1600);
  write_file(dir + "/" + name + ".gp", two_terminals(name, w, 560, body));
  return f;
}

PlotFiles write_comparison(const std::vector<BreakdownBar>& bars, const std::string& dir, const std::string& name) {
  PlotFiles f;
  f.name = name;
  bool per_run = !bars.empty();
  for (const auto& b : bars) per_run = per_run && b.metrics.train_tokens > 0;
  f.title = std::string("Time, cost and energy ") + (per_run ? "per training run" : "per iteration") +
            (bars.empty() ? "" : ", relative to " + bars.front().label);
  auto values = [&](const Metrics& m) {
    const auto& ec = m.energy_cost;
    if (per_run)
      return std::array<double, 3>{ec.reliability.expected.wall_s / 86400.0, ec.cost.usd_per_run_with_failures,
                                   ec.energy.run_kwh_with_failures / 1e3};
    return std::array<double, 3>{ec.storage.iteration_time_with_io_s, ec.cost.run.usd_per_iteration,
                                 ec.energy.per_iteration.total_j() / 3.6e6};
  };
  const char* what[] = {per_run ? "time to train (days)" : "time (s)", "cost (USD)",
                        per_run ? "energy (MWh)" : "energy (kWh)"};
  const auto base = bars.empty() ? std::array<double, 3>{1, 1, 1} : values(bars.front().metrics);
  // One row per quantity, one column per scenario (relative), then the absolute values for labels.
  std::string dat = "\"quantity\"";
  for (const auto& b : bars) dat += " " + dq(b.label);
  dat += "\n";
  for (int k = 0; k < 3; ++k) {
    dat += dq(what[k]);
    for (const auto& b : bars) dat += fmt::format(" {:.6g}", base[k] > 0 ? values(b.metrics)[k] / base[k] : 0.0);
    for (const auto& b : bars) {
      const double v = values(b.metrics)[k];
      dat += " " + dq(k == 1 ? human_usd(v) : fmt::format("{:.3g}", v));
    }
    dat += "\n";
    ++f.rows;
  }
  write_file(dir + "/" + name + ".dat", dat);
  const int n = static_cast<int>(bars.size());
  std::string body = "set title " + q(f.title) + "\n";
  body +=
      "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 1.0 border rgb \"white\"\n";
  body += "set ylabel \"relative to the first scenario\"\nset yrange [0:*]\nset grid ytics lc rgb \"#dddddd\"\n";
  body += "set key outside right top vertical\nset border 3\nset tics nomirror\n";
  const char* colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};
  body += "plot ";
  for (int i = 0; i < n; ++i) {
    body += fmt::format("{}{} using {}:xtic(1) title columnheader({}) lc rgb {}", i ? ", \\\n     " : "",
                        q(name + ".dat"), i + 2, i + 2, q(colors[i % 8]));
    f.series.push_back(bars[static_cast<std::size_t>(i)].label);
  }
  // The absolute value above each bar (clustered bars of n series sit at x + (i - (n-1)/2) / (n+1)).
  for (int i = 0; i < n; ++i)
    body += fmt::format(", \\\n     {} using ($0 + ({} - {:.6g}) / {}.0):{}:{} with labels offset 0,0.7 notitle",
                        q(name + ".dat"), i, (n - 1) / 2.0, n + 1, i + 2, n + i + 2);
  body += "\n";
  write_file(dir + "/" + name + ".gp", two_terminals(name, std::clamp(480 + 120 * n, 760, 1400), 520, body));
  return f;
}

// ---------------------------------------------------------------------------------------------
// scaling

std::vector<nlohmann::json> read_json_lines(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "a readable JSON-lines file", "it cannot be opened");
  std::vector<nlohmann::json> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      out.push_back(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(file + ":" + std::to_string(n), "one JSON object per line",
                       std::string("a parse error: ") + e.what());
    }
    if (!out.back().is_object()) throw InputError(file + ":" + std::to_string(n), "a JSON object", out.back().dump());
  }
  return out;
}

namespace {

/// A parameter value as a short label: strings unquoted, file paths by their stem.
std::string value_label(const nlohmann::json& v) {
  if (!v.is_string()) return v.dump();
  std::string t = v.get<std::string>();
  if (t.size() > 5 && t.substr(t.size() - 5) == ".json") {
    t = t.substr(0, t.size() - 5);
    const size_t slash = t.find_last_of('/');
    if (slash != std::string::npos) t = t.substr(slash + 1);
  }
  return t;
}

}  // namespace

PlotFiles write_scaling(const std::vector<nlohmann::json>& sweep, const std::string& dir, const std::string& name,
                        const std::string& x_in, const std::string& source) {
  PlotFiles f;
  f.name = name;
  const std::string where = source.empty() ? "--sweep" : source;
  // Parameters (first-seen order) and the values each takes.
  std::vector<std::string> keys;
  std::map<std::string, std::set<std::string>> values;
  int failed = 0;
  for (const auto& pt : sweep) {
    if (!pt.value("ok", false)) {
      ++failed;
      continue;
    }
    if (!pt.contains("params") || !pt["params"].is_object() || !pt.contains("metrics") || !pt["metrics"].is_object())
      throw InputError(where, "sweep points with \"params\" and \"metrics\" objects", pt.dump().substr(0, 120));
    for (auto it = pt["params"].begin(); it != pt["params"].end(); ++it) {
      if (!values.count(it.key())) keys.push_back(it.key());
      values[it.key()].insert(it.value().dump());
    }
  }
  if (values.empty() && failed == 0) throw InputError(where, "at least one sweep point", "none");
  if (values.empty())
    throw InputError(where, "at least one successful sweep point", fmt::format("{} failed points", failed));
  std::string x = x_in;
  if (x.empty()) {
    if (values.count("cluster.gpus") && values["cluster.gpus"].size() > 1) x = "cluster.gpus";
    for (const auto& k : keys)
      if (x.empty() && values[k].size() > 1) x = k;
    if (x.empty()) x = keys.front();
  }
  if (!values.count(x)) {
    std::string known;
    for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
    throw InputError("--x", "a parameter of the sweep (" + known + ")", "\"" + x_in + "\"");
  }
  std::vector<std::string> others;  // the other parameters that vary
  for (const auto& k : keys)
    if (k != x && values[k].size() > 1) others.push_back(k);

  struct Pt {
    nlohmann::json xv;
    double tok = 0, tflops = 0, gpus = 0;
    int n = 0;
  };
  struct Series {
    std::string label;
    std::vector<Pt> pts;
  };
  bool numeric = true;
  auto add_point = [](std::vector<Pt>& pts, const nlohmann::json& xv, const nlohmann::json& m) {
    const double tok = m.value("tokens_per_s", 0.0);
    auto it = std::find_if(pts.begin(), pts.end(), [&](const Pt& p) { return p.xv == xv; });
    if (it == pts.end()) {
      pts.push_back({xv, 0, 0, 0, 0});
      it = pts.end() - 1;
    }
    ++it->n;
    if (tok > it->tok) {
      it->tok = tok;
      it->tflops = m.value("model_tflops_per_gpu", 0.0);
      it->gpus = m.value("gpus", 0.0);
    }
  };
  // One series per combination of the other varying parameters when that gives a few curves of
  // two or more points each; otherwise one curve keeping the best throughput per x.
  std::vector<Series> groups;
  for (const auto& pt : sweep) {
    if (!pt.value("ok", false) || !pt["params"].contains(x)) continue;
    if (!pt["params"][x].is_number()) numeric = false;
    std::string label;
    for (const auto& k : others)
      label += (label.empty() ? "" : ", ") + k + "=" + (pt["params"].contains(k) ? value_label(pt["params"][k]) : "-");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Series& g) { return g.label == label; });
    if (it == groups.end()) {
      groups.push_back({label, {}});
      it = groups.end() - 1;
    }
    add_point(it->pts, pt["params"][x], pt["metrics"]);
  }
  bool grouped = !others.empty() && groups.size() <= 6;
  for (const auto& g : groups)
    for (const auto& p : g.pts) grouped = grouped && g.pts.size() >= 2 && p.n == 1;
  std::vector<Series> series;
  if (grouped) {
    series = groups;
  } else {
    Series all;
    for (const auto& pt : sweep)
      if (pt.value("ok", false) && pt["params"].contains(x)) add_point(all.pts, pt["params"][x], pt["metrics"]);
    series.push_back(all);
  }
  for (auto& sr : series)
    if (numeric)
      std::sort(sr.pts.begin(), sr.pts.end(),
                [](const Pt& a, const Pt& b) { return a.xv.get<double>() < b.xv.get<double>(); });
  // Categorical x: positions by first appearance over all series.
  std::vector<nlohmann::json> cats;
  if (!numeric)
    for (const auto& sr : series)
      for (const auto& p : sr.pts)
        if (std::find(cats.begin(), cats.end(), p.xv) == cats.end()) cats.push_back(p.xv);
  const bool size_like =
      numeric && (x.find("gpus") != std::string::npos || x.find("nodes") != std::string::npos || x == "strategy.dp");
  const bool ideal = size_like && series.size() == 1 && !series[0].pts.empty() && series[0].pts.front().gpus > 0;
  std::string dat =
      "# x tokens_per_s model_tflops_per_gpu gpus ideal_tokens_per_s scaling_efficiency label; one block per series\n";
  bool multi = false;
  for (size_t si = 0; si < series.size(); ++si) {
    const auto& sr = series[si];
    if (si) dat += "\n\n";
    if (!sr.label.empty()) dat += "# " + sr.label + "\n";
    for (const auto& p : sr.pts) {
      multi = multi || p.n > 1;
      const auto& first = sr.pts.front();
      const double id = size_like && first.gpus > 0 ? first.tok / first.gpus * p.gpus : 0;
      const double eff = id > 0 ? p.tok / id : 0;
      const std::string label = value_label(p.xv);
      const std::string xs =
          numeric ? p.xv.dump() : std::to_string(std::find(cats.begin(), cats.end(), p.xv) - cats.begin());
      dat += fmt::format("{} {:.9g} {:.9g} {:.9g} {:.9g} {:.6g} {}\n", xs, p.tok, p.tflops, p.gpus, id, eff, dq(label));
      ++f.rows;
    }
  }
  write_file(dir + "/" + name + ".dat", dat);
  f.title = "Scaling: throughput and model TFLOP/s per GPU against " + x;
  if (multi) f.note += "Several points share an x value: each x keeps its highest-throughput point. ";
  if (failed) f.note += fmt::format("{} failed sweep points left out. ", failed);
  std::string body = "set title " + q(f.title + (f.note.empty() ? "" : "\n" + f.note)) + "\n";
  body += "set xlabel " + q(x) + "\nset ylabel \"tokens/s\"\nset y2label \"model TFLOP/s per GPU\"\n";
  body += "set ytics nomirror\nset y2tics\nset grid lc rgb \"#dddddd\"\nset yrange [0:*]\nset y2range [0:*]\n";
  body += series.size() > 1 ? "set key outside bottom center vertical maxrows 4\n" : "set key top left\n";
  body += "set format y \"%.1s%c\"\n";
  double lo = 0, hi = 0;
  if (numeric) {
    bool first = true;
    for (const auto& sr : series)
      for (const auto& p : sr.pts) {
        const double v = p.xv.get<double>();
        lo = first ? v : std::min(lo, v);
        hi = first ? v : std::max(hi, v);
        first = false;
      }
    if (lo > 0 && hi / lo >= 8) body += "set logscale x 2\n";
    body += "set offsets graph 0.03, graph 0.03, 0, 0\n";
  } else {
    body += "set xtics rotate by -30\nset offsets 0.3, 0.3, 0, 0\n";
  }
  auto using_ = [&](const std::string& y) { return numeric ? "1:" + y : "1:" + y + ":xtic(7)"; };
  static const char* colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2"};
  std::string plot = "plot ";
  int n = 0;
  auto add = [&](const std::string& part, const std::string& title) {
    plot += (n++ ? ", \\\n     " : "") + part + " title " + q(title);
    f.series.push_back(title);
  };
  for (size_t si = 0; si < series.size(); ++si) {
    const std::string suffix = series[si].label.empty() ? "" : " — " + series[si].label;
    const std::string src = q(name + ".dat") + fmt::format(" index {}", si);
    const std::string c = series.size() == 1 ? "#4e79a7" : colors[si % 6];
    add(src + " using " + using_("2") + " axes x1y1 with linespoints pt 7 ps 1.2 lw 2 lc rgb " + q(c),
        "tokens/s" + suffix);
    if (ideal) {
      add(src + " using 1:5 axes x1y1 with lines dt 2 lw 1.5 lc rgb \"#999999\"", "ideal linear scaling");
      // Each point's scaling efficiency (throughput / ideal), written above it.
      plot += ", \\\n     " + src +
              " using 1:2:(sprintf(\"%.0f%%\", 100*$6)) axes x1y1 with labels offset 0,1.2 font \",9\" "
              "tc rgb \"#555555\" notitle";
    }
    const std::string c2 = series.size() == 1 ? "#e15759" : colors[si % 6];
    add(src + " using " + using_("3") + " axes x1y2 with linespoints pt 5 ps 1.1 lw 1.5 dt 3 lc rgb " + q(c2),
        "model TFLOP/s per GPU (right)" + suffix);
  }
  body += plot + "\n";
  write_file(dir + "/" + name + ".gp", two_terminals(name, 1000, series.size() > 1 ? 640 : 560, body));
  return f;
}

// ---------------------------------------------------------------------------------------------
// TP x PP heatmap

bool sweep_varies_tp_and_pp(const std::vector<nlohmann::json>& sweep) {
  std::set<std::string> tp, pp;
  for (const auto& pt : sweep)
    if (pt.contains("params") && pt["params"].is_object()) {
      if (pt["params"].contains("strategy.tp")) tp.insert(pt["params"]["strategy.tp"].dump());
      if (pt["params"].contains("strategy.pp")) pp.insert(pt["params"]["strategy.pp"].dump());
    }
  return tp.size() > 1 && pp.size() > 1;
}

PlotFiles write_tp_pp_heatmap(const std::vector<nlohmann::json>& sweep, const std::string& dir, const std::string& name,
                              const std::string& source) {
  PlotFiles f;
  f.name = name;
  const std::string where = source.empty() ? "--sweep" : source;
  if (!sweep_varies_tp_and_pp(sweep))
    throw InputError(where, "a sweep that varies both strategy.tp and strategy.pp", "fewer values of them");
  // Cell (tp, pp): the best model TFLOP/s per GPU among fitting points; whether any point ran.
  struct Cell {
    double best = -1;
    bool ran = false;
  };
  std::map<std::pair<int, int>, Cell> cells;
  std::set<int> tps, pps;
  for (const auto& pt : sweep) {
    if (!pt.contains("params") || !pt["params"].is_object()) continue;
    const auto& prm = pt["params"];
    if (!prm.contains("strategy.tp") || !prm.contains("strategy.pp") || !prm["strategy.tp"].is_number_integer() ||
        !prm["strategy.pp"].is_number_integer())
      continue;
    const int tp = prm["strategy.tp"].get<int>(), pp = prm["strategy.pp"].get<int>();
    tps.insert(tp);
    pps.insert(pp);
    Cell& c = cells[{tp, pp}];
    if (!pt.value("ok", false) || !pt.contains("metrics") || !pt["metrics"].is_object()) continue;
    const auto& m = pt["metrics"];
    c.ran = true;
    const bool fits = !m.contains("memory_gb") || !m["memory_gb"].is_object() || m["memory_gb"].value("fits", true);
    if (fits) c.best = std::max(c.best, m.value("model_tflops_per_gpu", 0.0));
  }
  // Rows: pp (bottom to top), columns: tp; index positions so that the cells are square.
  const std::vector<int> tv(tps.begin(), tps.end()), pv(pps.begin(), pps.end());
  double top = 0;
  int oom = 0, invalid = 0;
  for (const auto& [k, c] : cells) {
    top = std::max(top, c.best);
    oom += c.ran && c.best < 0;
    invalid += !c.ran;
  }
  // One block per pp row (gnuplot `with image` reads a grid): value, or NaN where masked; the
  // labels file says what each cell is.
  std::string dat = "# tp_index pp_index model_tflops_per_gpu (NaN: none fits or none valid) tp pp label\n";
  for (std::size_t j = 0; j < pv.size(); ++j) {
    for (std::size_t i = 0; i < tv.size(); ++i) {
      const auto it = cells.find({tv[i], pv[j]});
      const Cell c = it == cells.end() ? Cell{} : it->second;
      const std::string label = c.best >= 0 ? fmt::format("{:.0f}", c.best) : c.ran ? "OOM" : "n/a";
      dat += fmt::format("{} {} {} {} {} {}\n", i, j, c.best >= 0 ? fmt::format("{:.6g}", c.best) : "NaN", tv[i], pv[j],
                         dq(label));
      ++f.rows;
    }
    dat += "\n";
  }
  write_file(dir + "/" + name + ".dat", dat);
  f.title = "Model TFLOP/s per GPU by tensor (tp) x pipeline (pp) parallelism, best over the other parameters";
  if (oom) f.note += fmt::format("{} cell{} where no point fits in memory (OOM, grey). ", oom, oom > 1 ? "s" : "");
  if (invalid) f.note += fmt::format("{} cell{} without a valid strategy (n/a). ", invalid, invalid > 1 ? "s" : "");
  std::string xt, yt;
  for (std::size_t i = 0; i < tv.size(); ++i) xt += fmt::format("{}\"{}\" {}", i ? ", " : "", tv[i], i);
  for (std::size_t j = 0; j < pv.size(); ++j) yt += fmt::format("{}\"{}\" {}", j ? ", " : "", pv[j], j);
  std::string body = "set title " + q(f.title + (f.note.empty() ? "" : "\n" + f.note)) + "\n";
  body += "set xlabel \"tp\"\nset ylabel \"pp\"\nset cblabel \"model TFLOP/s per GPU\"\n";
  body += "set xtics (" + xt + ")\nset ytics (" + yt + ")\n";
  body += fmt::format("set xrange [-0.5:{}]\nset yrange [-0.5:{}]\n", tv.size() - 0.5, pv.size() - 0.5);
  body += fmt::format("set cbrange [0:{:.6g}]\n", top > 0 ? top : 1.0);
  // A light palette: the cell values are written on it in dark text.
  body += "set palette defined (0 \"#f7fbff\", 1 \"#9ecae1\", 2 \"#4292c6\")\n";
  body += "set object 1 rectangle from graph 0, graph 0 to graph 1, graph 1 behind fc rgb \"#bbbbbb\" fs solid\n";
  body += "unset key\nset size ratio -1\n";
  const std::string src = q(name + ".dat");
  body += "plot " + src + " using 1:2:3 with image, \\\n     " + src +
          " using 1:2:6 with labels font \",10\" tc rgb \"#222222\"\n";
  f.series = {"model TFLOP/s per GPU"};
  write_file(dir + "/" + name + ".gp", two_terminals(name, 760, 640, body));
  return f;
}

// ---------------------------------------------------------------------------------------------
// Pareto

PlotFiles write_pareto(const nlohmann::json& search, const std::string& dir, const std::string& name,
                       const std::string& source) {
  PlotFiles f;
  f.name = name;
  const std::string where = source.empty() ? "--search" : source;
  if (!search.is_object() || !search.contains("candidates") || !search["candidates"].is_array())
    throw InputError(where, "trainsim search --format json output (an object with a \"candidates\" array)",
                     search.dump().substr(0, 120));
  const auto& cands = search["candidates"];
  if (cands.empty()) throw InputError(where + ": $.candidates", "at least one candidate", "an empty list");
  auto num = [](const nlohmann::json& c, const char* k) {
    return c.contains(k) && c[k].is_number() ? c[k].get<double>() : 0.0;
  };
  bool have_ttt = true;
  for (const auto& c : cands) have_ttt = have_ttt && num(c, "time_to_train_s") > 0;
  double tmax = 0;
  for (const auto& c : cands) tmax = std::max(tmax, have_ttt ? num(c, "time_to_train_s") : num(c, "iteration_time_s"));
  double tunit = 1;
  std::string tname = "s";
  if (have_ttt && tmax >= 2 * 86400)
    tunit = 1.0 / 86400, tname = "days";
  else if (have_ttt && tmax >= 7200)
    tunit = 1.0 / 3600, tname = "hours";
  const std::string xlabel = (have_ttt ? "time to train (" : "iteration time (") + tname + ")";
  auto x_of = [&](const nlohmann::json& c) {
    return (have_ttt ? num(c, "time_to_train_s") : num(c, "iteration_time_s")) * tunit;
  };
  auto row = [&](const nlohmann::json& c) {
    return fmt::format("{:.9g} {:.9g} {:.9g} {}\n", x_of(c), num(c, "cost_usd"), num(c, "energy_kwh"),
                       dq(c.value("strategy", std::string())));
  };
  std::string fit, front, nofit, best;
  int nfit = 0, nfront = 0, nnofit = 0;
  std::vector<std::pair<double, std::string>> front_rows;
  for (const auto& c : cands) {
    const bool fits = !c.contains("fits") || !c["fits"].is_boolean() || c["fits"].get<bool>();
    if (fits)
      fit += row(c), ++nfit;
    else
      nofit += row(c), ++nnofit;
    if (c.value("pareto", false)) front_rows.push_back({x_of(c), row(c)});
  }
  std::sort(front_rows.begin(), front_rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& r : front_rows) front += r.second, ++nfront;
  if (search.contains("best") && search["best"].is_object()) best = row(search["best"]);
  // Blocks in a fixed order; only non-empty ones are written and plotted.
  struct Blk {
    std::string data, title, style;
  };
  std::vector<Blk> blocks = {{fit, "candidates (colour: energy, kWh)", "with points pt 7 ps 1.3 lc palette"},
                             {front, "Pareto front", "with linespoints pt 6 ps 2.2 lw 1.5 lc rgb \"black\""},
                             {best, "best (" + search.value("objective", std::string("objective")) + ")",
                              "with points pt 3 ps 3 lw 2 lc rgb \"#d62728\""},
                             {nofit, "does not fit in memory", "with points pt 2 ps 1.2 lc rgb \"#999999\""}};
  std::string dat = "# x cost_usd energy_kwh strategy, blocks: candidates, pareto, best, not fitting\n";
  std::string plot = "plot ";
  int idx = 0;
  for (const auto& b : blocks) {
    if (b.data.empty()) continue;
    if (idx) dat += "\n\n";
    dat += "# " + b.title + "\n" + b.data;
    const std::string cols = b.style.find("palette") != std::string::npos ? "1:2:3" : "1:2";
    plot += fmt::format("{}{} index {} using {} {} title {}", idx ? ", \\\n     " : "", q(name + ".dat"), idx, cols,
                        b.style, q(b.title));
    f.series.push_back(b.title);
    ++idx;
  }
  f.rows = nfit + nnofit;
  (void)nfront;
  write_file(dir + "/" + name + ".dat", dat);
  f.title =
      fmt::format("Search: {} candidates, {} on the Pareto front (time vs cost)", cands.size(), front_rows.size());
  std::string body = "set title " + q(f.title) + "\n";
  body += "set xlabel " + q(xlabel) + "\nset ylabel \"cost (USD)\"\nset cblabel \"energy (kWh)\"\n";
  body += "set palette defined (0 \"#2c7bb6\", 1 \"#ffffbf\", 2 \"#d7191c\")\nset grid lc rgb \"#dddddd\"\n";
  body +=
      "set key outside bottom center horizontal\nset format y \"%.1s%c\"\nset format cb \"%.1s%c\"\nset offsets graph "
      "0.05, graph 0.05, graph 0.05, graph 0.05\n";
  body += plot + "\n";
  write_file(dir + "/" + name + ".gp", two_terminals(name, 1000, 620, body));
  return f;
}

void render(const std::string& dir, const PlotFiles& f) { run_gnuplot(dir, f.name + ".gp"); }

}  // namespace trainsim
