#pragma once
// SimGrid 3.32 allows one Engine per process (a second one keeps the old clock: see the notes), so
// every simulation runs in a forked child that sends its result back over a pipe. This lets one
// process (trainsim validate, multijob, the tests) run any number of simulations.
#include <functional>
#include <string>

namespace trainsim {

/// Runs `work` in a child process and returns the bytes it produced. An exception in the child is
/// rethrown in the parent as InternalError (InputError keeps its type); a crash names the signal.
std::string run_in_child(const std::function<std::string()>& work);

}  // namespace trainsim
