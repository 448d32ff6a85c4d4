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
    "                 [--compare] [--profile FILE] [--trace FILE] [--out FILE.json] [--timeout S]\n"
    "                 [--fail-rank R --fail-op I [--fail-mode abort|hang]] [--no-verify]\n"
    "       mpirun -n N trainsim-hw calibrate --device cpu|cuda --out PROFILE.json [--reps R] [--quick]\n";

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
  write_json(j, a.get("--out"));
  if (a.has("--out"))
    std::fprintf(stderr, "trainsim-hw: %d ranks, %d iterations, median %.4f s, checks %ld ok -> %s\n", m.ranks,
                 ropts.iterations, median(m.iteration_times), m.verify.checked - m.verify.failed,
                 a.get("--out").c_str());
  return 0;
}

int cmd_calibrate(const Args& a, int rank) {
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
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
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
