// trainsim-hw: executes a scenario's Plan on real devices (one MPI process per rank) and
// calibrates the simulator's models. Usage: docs/hardware-backend.md.
//   mpirun -n N trainsim-hw run SCENARIO.json [--device cpu|cuda] [--iterations K] [--warmup W]
//          [--compare] [--profile FILE] [--trace FILE] [--out FILE.json] [--timeout S]
//          [--fail-rank R --fail-op I [--fail-mode abort|hang]] [--no-verify]
//   mpirun -n N trainsim-hw calibrate --device cpu|cuda --out PROFILE.json [--reps R] [--quick]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hw-backend/calibrate/calibrate.hpp"
#include "hw-backend/exec/compare.hpp"
#include "hw-backend/exec/executor.hpp"
#include "hw-backend/tools/args.hpp"
#include "models/util/errors.hpp"
#include "sim/evaluate/predict.hpp"

using namespace trainsim;
using namespace trainsim::hw;

namespace {

const char* kUsage =
    "usage: mpirun -n N trainsim-hw run SCENARIO.json [--device cpu|cuda] [--iterations K] [--warmup W]\n"
    "                 [--compare] [--profile FILE] [--trace FILE] [--out FILE.json] [--format text|json] [--timeout "
    "S]\n"
    "                 [--fail-rank R --fail-op I [--fail-mode abort|hang]] [--no-verify]\n"
    "       mpirun -n N trainsim-hw calibrate --device cpu|cuda --out PROFILE.json [--reps R] [--quick]\n"
    "run prints a summary (--format json: the whole result document; --out also writes it to a file).\n"
    "Exit status: 0 ok, 2 input error, 1 internal error (docs/hardware-backend.md).\n";

/// The options each command knows: anything else is an input error naming it.
const std::vector<std::string> kRunOptions = {"--device",  "--iterations", "--warmup",   "--compare", "--profile",
                                              "--trace",   "--out",        "--format",   "--timeout", "--fail-rank",
                                              "--fail-op", "--fail-mode",  "--no-verify"};
const std::vector<std::string> kCalibrateOptions = {"--device", "--out", "--reps", "--quick", "--timeout"};

void check_options(const Args& a, const std::vector<std::string>& known, const std::string& cmd) {
  for (const auto& [k, v] : a.options)
    if (std::find(known.begin(), known.end(), k) == known.end())
      throw InputError(k, "an option of trainsim-hw " + cmd + " (trainsim-hw --help)", "an unknown option");
}

/// What a person reads after a run: the measured iteration, throughput and checks, and the
/// prediction beside it when --compare.
void print_run_text(const nlohmann::json& j, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "trainsim-hw %s on %s (%s), %d ranks\n", j["scenario"].get<std::string>().c_str(),
                j["device"].get<std::string>().c_str(), j["device_name"].get<std::string>().c_str(),
                j["ranks"].get<int>());
  out << line;
  std::snprintf(line, sizeof line, "  iteration time  %.6f s (median of %d, after %d warm-up)   %.0f tokens/s\n",
                j["iteration_time_s"].get<double>(), j["iterations"].get<int>(), j["warmup"].get<int>(),
                j["tokens_per_s"].get<double>());
  out << line;
  std::snprintf(line, sizeof line, "  collective checks: %ld passed, %ld failed\n", j["checks"]["passed"].get<long>(),
                j["checks"]["failed"].get<long>());
  out << line;
  if (j.contains("energy_j_per_iteration")) {
    std::snprintf(line, sizeof line, "  energy  %.1f J per iteration (NVML)\n",
                  j["energy_j_per_iteration"].get<double>());
    out << line;
  }
  if (!j.contains("compare")) return;
  for (const char* which : {"default_models", "calibrated"}) {
    if (!j["compare"].contains(which)) continue;
    const auto& c = j["compare"][which];
    std::snprintf(line, sizeof line, "  predicted (%s): iteration %.6f s, %+.1f%%\n",
                  std::string(which) == "calibrated" ? "calibrated profile" : "default models",
                  c["iteration"]["predicted_s"].get<double>(), c["iteration"]["error_pct"].get<double>());
    out << line;
    for (const char* cls : {"gemm", "attention", "memory", "collective", "p2p"}) {
      const auto& r = c["classes"][cls];
      std::snprintf(line, sizeof line, "    %-10s predicted %.6f s, measured %.6f s\n", cls,
                    r["predicted_s"].get<double>(), r["measured_s"].get<double>());
      out << line;
    }
  }
}

void write_json(const nlohmann::json& j, const std::string& file) {
  if (file.empty()) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::ofstream out(file);
  if (!out) throw InputError("--out", "a writable file", "\"" + file + "\"");
  out << j.dump(2) << "\n";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int cmd_run(const Args& a, int rank, int size) {
  check_options(a, kRunOptions, "run");
  const std::string format = a.get("--format", "text");
  if (format != "text" && format != "json") throw InputError("--format", "text or json", "\"" + format + "\"");
  if (a.positional.empty()) throw InputError("run", "a scenario file", "nothing");
  Scenario sc = load_scenario(a.positional[0]);
  if (a.has("--profile")) sc = with_profile(sc, a.get("--profile"));
  const Plan plan = build_plan(sc.workload.model, sc.strategy, sc.cluster.gpus_per_node);
  if (plan.world() != size)
    throw InputError("mpirun -n", "as many processes as the plan has ranks (" + std::to_string(plan.world()) + ")",
                     std::to_string(size));
  DeviceOptions dopts;
  dopts.timeout_s = a.get_double("--timeout", 60);
  dopts.verify = !a.has("--no-verify");
  auto dev = make_device(a.get("--device", "cpu"), MPI_COMM_WORLD, dopts);
  RunOptions ropts;
  ropts.iterations = std::max(1, a.get_int("--iterations", 5));
  ropts.warmup = std::max(0, a.get_int("--warmup", 1));
  ropts.fail.rank = a.get_int("--fail-rank", -1);
  ropts.fail.op = a.get_int("--fail-op", -1);
  ropts.fail.mode = a.get("--fail-mode", "abort");

  const MeasuredRun m = execute(plan, *dev, MPI_COMM_WORLD, ropts);
  if (rank != 0) return 0;

  nlohmann::json j;
  j["scenario"] = sc.name;
  j["scenario_file"] = a.positional[0];
  j["device"] = dev->name();
  j["device_name"] = dev->device_name();
  j["ranks"] = m.ranks;
  j["strategy"] = {{"tp", sc.strategy.tp},
                   {"pp", sc.strategy.pp},
                   {"dp", sc.strategy.dp},
                   {"cp", sc.strategy.cp},
                   {"micro_batches", sc.strategy.micro_batches()}};
  j["iterations"] = ropts.iterations;
  j["warmup"] = ropts.warmup;
  j["iteration_times_s"] = m.iteration_times;
  j["iteration_time_s"] = median(m.iteration_times);
  const double tokens = static_cast<double>(sc.strategy.global_batch) * sc.workload.model.seq_len;
  j["tokens_per_s"] = tokens / std::max(1e-12, median(m.iteration_times));
  j["ops_traced"] = m.traces.empty() ? 0 : m.traces.back().events.size();
  j["collectives_verified"] = m.verify.checked > 0 && m.verify.failed == 0;
  j["checks"] = {{"passed", m.verify.checked - m.verify.failed}, {"failed", m.verify.failed}};
  if (m.energy_j > 0) j["energy_j_per_iteration"] = m.energy_j / ropts.iterations;
  if (a.has("--compare")) {
    Scenario base = sc;
    base.options.profile.reset();
    if (a.has("--profile")) base = load_scenario(a.positional[0]), base.options.profile.reset();
    j["compare"]["default_models"] = compare(predict_classes(base), m);
    if (a.has("--profile")) {
      j["compare"]["calibrated"] = compare(predict_classes(sc), m);
      j["compare"]["profile"] = a.get("--profile");
    }
  }
  if (a.has("--trace") && !m.traces.empty()) {
    std::ofstream out(a.get("--trace"));
    if (!out) throw InputError("--trace", "a writable file", "\"" + a.get("--trace") + "\"");
    write_chrome_trace(m.traces.back(), out);
  }
  if (a.has("--out")) write_json(j, a.get("--out"));
  if (format == "json")
    write_json(j, "");
  else
    print_run_text(j, std::cout);
  if (a.has("--out"))
    std::fprintf(stderr, "trainsim-hw: %d ranks, %d iterations, median %.4f s, checks %ld ok -> %s\n", m.ranks,
                 ropts.iterations, median(m.iteration_times), m.verify.checked - m.verify.failed,
                 a.get("--out").c_str());
  return 0;
}

int cmd_calibrate(const Args& a, int rank) {
  check_options(a, kCalibrateOptions, "calibrate");
  DeviceOptions dopts;
  dopts.timeout_s = a.get_double("--timeout", 120);
  auto dev = make_device(a.get("--device", "cpu"), MPI_COMM_WORLD, dopts);
  CalibrationOptions co;
  co.reps = std::max(1, a.get_int("--reps", dev->name() == "cpu" ? 3 : 10));
  co.quick = a.has("--quick");
  const CalibrationProfile p = calibrate(*dev, MPI_COMM_WORLD, co);
  if (rank == 0) write_json(p.to_json(), a.get("--out"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int status = 0;
  try {
    // --help anywhere (trainsim-hw run --help) prints the usage: it is not an option's value.
    const bool help = std::any_of(argv + 1, argv + argc,
                                  [](const char* x) { return std::string(x) == "--help" || std::string(x) == "-h"; });
    if (argc < 2 || help) {
      if (rank == 0) std::fputs(kUsage, argc < 2 ? stderr : stdout);
      status = argc < 2 ? 2 : 0;
    } else {
      const std::string cmd = argv[1];
      const Args a = parse_args(argc, argv, 2, {"--compare", "--no-verify", "--quick"});
      if (cmd == "run")
        status = cmd_run(a, rank, size);
      else if (cmd == "calibrate")
        status = cmd_calibrate(a, rank);
      else
        throw InputError("command", "run or calibrate", "\"" + cmd + "\"");
    }
  } catch (const InputError& e) {
    if (rank == 0) std::fprintf(stderr, "trainsim-hw: error: %s\n", e.what());
    status = 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trainsim-hw: rank %d: internal error: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return status;
}
