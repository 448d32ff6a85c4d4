// Registers the "simgrid" engine (sim/simgrid/simgrid_engine.hpp) into engine_registry() at static
// initialisation, when this build has SimGrid. `TRAINSIM_SIMGRID_FOLD=0` in the environment turns
// rank folding off (every rank simulated; for measuring the folding error); `TRAINSIM_SIMGRID_ECMP=hashed`
// (with folding off) routes flows on the fabric's hashed ECMP paths instead of fluid bundles.
#ifdef TRAINSIM_HAVE_SIMGRID
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "sim/evaluate/predict.hpp"
#include "sim/simgrid/simgrid_engine.hpp"

namespace trainsim::cli {
namespace {

struct RegisterSimgridEngine {
  RegisterSimgridEngine() {
    engine_registry()["simgrid"] = &simgrid_execute;
    // Progress of long runs on a terminal only (issue #21: a 16k-GPU run took 40 s in silence).
    default_sim_options().progress = isatty(STDERR_FILENO) != 0;
    if (const char* f = std::getenv("TRAINSIM_SIMGRID_FOLD")) default_sim_options().fold = std::string(f) != "0";
    if (const char* e = std::getenv("TRAINSIM_SIMGRID_ECMP"))
      default_sim_options().fluid_ecmp = std::string(e) != "hashed";
  }
} reg;

}  // namespace
}  // namespace trainsim::cli
#endif
