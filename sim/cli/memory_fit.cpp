#include "sim/cli/memory_fit.hpp"

#include <fmt/format.h>

namespace trainsim::cli {

int memory_fit_status(const std::vector<FitCheck>& checks, bool allow_oom, std::ostream& err) {
  int over = 0;
  for (const auto& c : checks) {
    const MemoryReport& m = *c.memory;
    if (m.fits) continue;
    ++over;
    err << fmt::format("trainsim: DOES NOT FIT: {} needs {:.1f} GB per GPU of {:.1f} GB (stage {}{}{})\n", c.label,
                       m.parts.total() / 1e9, m.capacity / 1e9, m.stage, m.why.empty() ? "" : "; peak: ", m.why);
  }
  if (over == 0) return 0;
  err << (allow_oom ? "trainsim: --allow-oom: exit status 0; the times above are what the job would take if it fitted\n"
                    : "trainsim: the times above are what the job would take if it fitted; exit status 3 (--allow-oom: "
                      "0). trainsim explain suggests what would make it fit\n");
  return allow_oom ? 0 : kExitDoesNotFit;
}

}  // namespace trainsim::cli
