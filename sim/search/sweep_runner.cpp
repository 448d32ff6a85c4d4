#include "sim/search/sweep_runner.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "models/util/errors.hpp"
#include "models/util/progress.hpp"
#include "sim/evaluate/predict.hpp"
#include "sim/report/report.hpp"

namespace fs = std::filesystem;

namespace trainsim {

namespace {

std::string part_path(const std::string& output, int rank) { return output + ".part" + std::to_string(rank); }

std::vector<std::string> leftover_parts(const std::string& output) {
  std::vector<std::string> out;
  const fs::path p = output;
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) return out;
  const std::string prefix = p.filename().string() + ".part";
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// Appends the complete lines of `text` whose key is not yet in `keys` to the results file.
void append_new_lines(const std::string& output, const std::string& text, std::set<std::string>& keys) {
  repair_results_tail(output);
  std::ofstream out(output, std::ios::app);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("key") || !j["key"].is_string()) continue;  // a cut line
    if (!keys.insert(j["key"].get<std::string>()).second) continue;
    out << line << '\n';
  }
  out.flush();
  if (!out) throw InputError(output, "a writable results file", "a write error");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

nlohmann::json evaluate_point(const SweepSpec& spec, const SweepPoint& point, const std::string& engine) {
  nlohmann::json r;
  r["index"] = point.index;
  r["key"] = point.key;
  r["params"] = point.params;
  try {
    const Scenario sc = scenario_for(spec, point);
    r["metrics"] = to_json(evaluate(sc, engine, spec.origin + ": $.engine"));
    r["ok"] = true;
  } catch (const InputError& e) {
    // An infeasible or invalid point is a result too (so a resumed sweep does not retry it).
    r.erase("metrics");
    r["ok"] = false;
    r["error"] = e.what();
  }
  return r;
}

std::set<std::string> finished_keys(const std::string& path) {
  std::set<std::string> keys;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: a cut line
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("key") && j["key"].is_string())
      keys.insert(j["key"].get<std::string>());
  }
  return keys;
}

void repair_results_tail(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!data.empty() && data.back() == '\n') return;
  const auto nl = data.rfind('\n');
  fs::resize_file(path, nl == std::string::npos ? 0 : nl + 1);
}

SweepSummary run_sweep(const SweepSpec& spec, const SweepRunOptions& opt, const SweepComm& comm) {
  const std::string engine = opt.engine.empty() ? spec.engine : opt.engine;
  const std::string& output = spec.output;
  if (output.empty()) throw InputError(spec.origin + ": $.output", "a results file path", "nothing");
  check_evaluator(engine, spec.origin + ": $.engine");

  // Rank 0 folds part files of an interrupted multi-process run into the results file.
  if (comm.rank == 0) {
    auto keys = finished_keys(output);
    for (const auto& part : leftover_parts(output)) {
      append_new_lines(output, read_file(part), keys);
      fs::remove(part);
    }
  }
  comm.barrier();

  SweepSummary sum;
  sum.total = spec.size();
  std::vector<std::size_t> pending;
  {
    const auto done = finished_keys(output);
    for (std::size_t i = 0; i < sum.total; ++i)
      if (!done.count(spec.point(i).key)) pending.push_back(i);
  }
  sum.already_done = sum.total - pending.size();
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < pending.size(); ++i)
    if (static_cast<int>(i % comm.size) == comm.rank) mine.push_back(pending[i]);

  const std::string my_file = comm.size > 1 ? part_path(output, comm.rank) : output;
  repair_results_tail(my_file);
  std::FILE* out = std::fopen(my_file.c_str(), "a");
  if (!out) throw InputError(my_file, "a writable results file", "cannot open for appending");

  std::atomic<std::size_t> next{0}, ran{0}, failed{0}, not_fitting{0};
  std::mutex write_mu;
  std::exception_ptr first_error;
  const std::size_t limit = opt.stop_after ? std::min(opt.stop_after, mine.size()) : mine.size();
  // Rank 0 shows its own share when the points are split across processes.
  std::unique_ptr<ProgressBar> bar;
  if (opt.progress && comm.rank == 0)
    bar = std::make_unique<ProgressBar>(comm.size > 1 ? limit : sum.total, comm.size > 1 ? 0 : sum.already_done,
                                        opt.progress, opt.progress_is_terminal);
  // The simgrid engine forks a child per prediction: keep it to one thread.
  const int threads = engine == "simgrid" ? 1 : std::max(1, std::min<int>(opt.threads, static_cast<int>(limit)));
  auto worker = [&] {
    while (true) {
      const std::size_t i = next.fetch_add(1);
      if (i >= limit) return;
      try {
        const auto r = evaluate_point(spec, spec.point(mine[i]), engine);
        const std::string line = r.dump() + "\n";
        {
          std::lock_guard<std::mutex> lock(write_mu);
          std::fwrite(line.data(), 1, line.size(), out);
          std::fflush(out);  // flushed per point: a kill loses only points in flight
        }
        if (!r["ok"].get<bool>()) ++failed;
        if (r["ok"].get<bool>() && !r["metrics"]["memory_gb"].value("fits", true)) ++not_fitting;
        ++ran;
        if (bar) bar->tick();
      } catch (...) {
        std::lock_guard<std::mutex> lock(write_mu);
        if (!first_error) first_error = std::current_exception();
        next = limit;  // stop the others
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  std::fclose(out);
  if (bar) bar->finish();
  if (first_error) std::rethrow_exception(first_error);
  sum.ran = ran;
  sum.failed = failed;
  sum.not_fitting = not_fitting;

  if (comm.size > 1) {
    comm.barrier();
    const auto parts = comm.gather(read_file(my_file));
    if (comm.rank == 0) {
      auto keys = finished_keys(output);
      for (const auto& text : parts) append_new_lines(output, text, keys);
      for (const auto& part : leftover_parts(output)) fs::remove(part);
    }
    comm.barrier();
  }
  return sum;
}

std::string results_to_csv(const std::string& results_path) {
  std::map<std::size_t, std::vector<std::pair<std::string, std::string>>> rows;
  std::vector<std::string> columns;
  std::set<std::string> seen;
  std::ifstream in(results_path);
  if (!in) throw InputError(results_path, "a results file (JSON lines)", "no such file");
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("index")) continue;
    nlohmann::json flat_src = j;
    flat_src.erase("index");
    auto cells = flatten(flat_src);
    cells.insert(cells.begin(), {"index", std::to_string(j["index"].get<std::size_t>())});
    for (const auto& [name, v] : cells)
      if (seen.insert(name).second) columns.push_back(name);
    rows[j["index"].get<std::size_t>()] = std::move(cells);
  }
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream out;
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << quote(columns[i]);
  out << '\n';
  for (const auto& [index, cells] : rows) {
    std::map<std::string, std::string> byname(cells.begin(), cells.end());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto it = byname.find(columns[i]);
      out << (i ? "," : "") << (it == byname.end() ? "" : quote(it->second));
    }
    out << '\n';
  }
  return out.str();
}

}  // namespace trainsim
