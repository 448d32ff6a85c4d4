// trainsim sweep SWEEP.json [--threads N] [--engine analytic|fast|simgrid] [--out FILE]
//                           [--format jsonl|csv] [--no-progress]
// Evaluates every point of a sweep (grid or list of scenario overrides), streaming one JSON line
// per point to the results file; re-running resumes. Under `mpirun -n N` the points are split
// across the ranks and gathered at rank 0 (sim/search/sweep_runner.hpp, docs/sweeps-and-search.md).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "sim/cli/command_registry.hpp"
#include "sim/search/sweep_runner.hpp"

#ifdef TRAINSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace trainsim::cli {
namespace {

struct SweepArgs {
  std::string file, engine, out, format = "jsonl";
  int threads = 0;
  bool no_progress = false;
};

/// True when this process was started by an MPI launcher (OpenMPI's mpirun / PMIx).
bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

#ifdef TRAINSIM_HAVE_MPI
/// MPI implementation of the sweep's communicator: barrier and a string gather at rank 0.
SweepComm mpi_comm() {
  SweepComm c;
  MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c.size);
  c.barrier = [] { MPI_Barrier(MPI_COMM_WORLD); };
  c.gather = [size = c.size, rank = c.rank](const std::string& text) {
    // Gatherv counts are ints: results above 2 GB per rank would need chunking (~10^7 points).
    const int len = static_cast<int>(text.size());
    std::vector<int> lens(size), displs(size);
    MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank == 0) {
      long long total = 0;
      for (int r = 0; r < size; ++r) {
        displs[r] = static_cast<int>(total);
        total += lens[r];
      }
      all.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(text.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> out;
    if (rank == 0)
      for (int r = 0; r < size; ++r) out.push_back(all.substr(displs[r], lens[r]));
    return out;
  };
  return c;
}
#endif

Action setup(CLI::App& app) {
  auto x = std::make_shared<SweepArgs>();
  app.add_option("sweep", x->file, "sweep file (docs/sweeps-and-search.md)")->required();
  app.add_option("--threads", x->threads, "worker threads per process (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--engine", x->engine,
                 "analytic (plan + replay), fast (closed form) or simgrid; default: the sweep file's")
      ->check(CLI::IsMember({"analytic", "fast", "simgrid"}));
  app.add_option("--out", x->out,
                 "results file (JSON lines); default: the sweep file's output, else <sweep stem>.results.jsonl in the "
                 "working directory");
  app.add_option("--format", x->format, "jsonl (default) or csv: also print the whole results file as CSV on stdout")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  app.add_flag("--no-progress", x->no_progress, "no progress bar");
  return [x]() {
    SweepSpec spec = load_sweep(x->file);
    if (!x->out.empty()) spec.output = x->out;
    SweepComm comm;
#ifdef TRAINSIM_HAVE_MPI
    const bool use_mpi = launched_by_mpirun();
    if (use_mpi) {
      MPI_Init(nullptr, nullptr);
      comm = mpi_comm();
    }
#else
    if (launched_by_mpirun())
      std::cerr << "trainsim sweep: this build has no MPI; every rank would run the whole sweep\n";
#endif
    SweepRunOptions opt;
    opt.threads = x->threads > 0 ? x->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    opt.engine = x->engine;
    if (!x->no_progress) {
      opt.progress = stderr;
      opt.progress_is_terminal = isatty(fileno(stderr)) != 0;
    }
    int rc = 0;
    try {
      const SweepSummary s = run_sweep(spec, opt, comm);
      if (comm.rank == 0) {
        std::cerr << "sweep: " << s.total << " points, " << s.already_done << " already in " << spec.output << ", "
                  << s.ran << " evaluated here"
                  << (comm.size > 1 ? " (rank 0 of " + std::to_string(comm.size) + ")" : "") << ", " << s.failed
                  << " infeasible, " << s.not_fitting << " predicted but not fitting in GPU memory\n";
        if (x->format == "csv") std::cout << results_to_csv(spec.output);
      }
    } catch (...) {
#ifdef TRAINSIM_HAVE_MPI
      if (use_mpi) {
        // One rank failing must not leave the others waiting in a barrier forever.
        std::cerr << "trainsim sweep: rank " << comm.rank << " failed; aborting all ranks\n";
        try {
          throw;
        } catch (const std::exception& e) {
          std::cerr << e.what() << "\n";
        }
        MPI_Abort(MPI_COMM_WORLD, 2);
      }
#endif
      throw;
    }
#ifdef TRAINSIM_HAVE_MPI
    if (use_mpi) MPI_Finalize();
#endif
    return rc;
  };
}

RegisterCommand reg("sweep", "evaluate a grid or list of scenario variants; resumable, threads and MPI ranks", setup,
                    30);

}  // namespace
}  // namespace trainsim::cli
