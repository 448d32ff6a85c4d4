#pragma once
// Runs the built `trainsim` binary with arguments (stdout and stderr together) for CLI tests.
#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <memory>
#include <string>

namespace trainsim::testing {

struct CliResult {
  int status;
  std::string out;
};

/// `env` is prepended to the command line (e.g. "PATH=/nonexistent ").
inline CliResult run_trainsim(const std::string& args, const std::string& env = "") {
  const std::string cmd = env + std::string(TRAINSIM_BINARY_DIR) + "/bin/trainsim " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), p.get())) out += buf.data();
  const int raw = pclose(p.release());
  return {WEXITSTATUS(raw), out};
}

}  // namespace trainsim::testing
