// End-to-end: `mpirun -n 4 trainsim-hw run scenarios/tiny-cpu.json` through std::system, its JSON
// output, and failure injection (one rank fails or hangs: the job exits non-zero in time, names
// the rank and op, and leaves no processes behind).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kBin = std::string(TRAINSIM_BINARY_DIR) + "/bin/trainsim-hw";
const std::string kScenario = std::string(TRAINSIM_SOURCE_DIR) + "/scenarios/tiny-cpu.json";
// The test binary itself initialised MPI (singleton): its OMPI_/PMIX_ variables must not reach
// the nested mpirun, which would otherwise take itself for a child of this job.
const std::string kMpirun =
    "unset $(env | sed -n 's/^\\(OMPI_[^=]*\\|PMIX_[^=]*\\|OPAL_[^=]*\\)=.*/\\1/p') 2>/dev/null; "
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout -k 5 120 mpirun --oversubscribe -n 4 ";

std::string tmp(const std::string& name) { return std::string(TRAINSIM_BINARY_DIR) + "/test_hw_" + name; }
std::string slurp(const std::string& f) {
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128; }
bool processes_left(const std::string& marker) {
  return std::system(("pgrep -f -- '[t]rainsim-hw run .*" + marker + "' > /dev/null").c_str()) == 0;
}

}  // namespace

TEST(MpirunCpu, FourRanksTinyScenario) {
  const std::string out = tmp("run.json");
  std::remove(out.c_str());
  const std::string cmd = kMpirun + kBin + " run " + kScenario + " --iterations 2 --warmup 1 --compare --out " + out +
                          " > " + tmp("run.txt") + " 2> " + tmp("run.err");
  const int rc = exit_code(std::system(cmd.c_str()));
  ASSERT_EQ(rc, 0) << slurp(tmp("run.err"));
  // stdout: the summary a person reads (#21: the output was JSON only); the file: the document.
  const std::string text = slurp(tmp("run.txt"));
  EXPECT_NE(text.find("4 ranks"), std::string::npos) << text;
  EXPECT_NE(text.find("iteration time"), std::string::npos) << text;
  EXPECT_NE(text.find("predicted (default models)"), std::string::npos) << text;
  const auto j = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(j["ranks"], 4);
  EXPECT_EQ(j["iteration_times_s"].size(), 2u);
  EXPECT_GT(j["iteration_time_s"].get<double>(), 0.0);
  EXPECT_TRUE(j["collectives_verified"].get<bool>());
  EXPECT_GT(j["checks"]["passed"].get<long>(), 0);
  EXPECT_EQ(j["checks"]["failed"].get<long>(), 0);
  EXPECT_TRUE(j["compare"]["default_models"]["classes"].contains("gemm"));
}

TEST(MpirunCpu, InjectedFailureExitsNonZeroNamingRankAndOp) {
  const std::string marker = tmp("fail-abort.json");
  const std::string err = tmp("fail-abort.err");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cmd = kMpirun + kBin + " run " + kScenario +
                          " --iterations 1 --timeout 20 --fail-rank 2 --fail-op 5 --out " + marker + " 2> " + err;
  const int rc = exit_code(std::system(cmd.c_str()));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string msg = slurp(err);
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, 124) << "timed out instead of failing";
  EXPECT_LT(secs, 60.0);
  EXPECT_NE(msg.find("rank 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("op 5"), std::string::npos) << msg;
  EXPECT_FALSE(processes_left(marker));
}

TEST(MpirunCpu, HungRankIsCaughtByTheWatchdog) {
  const std::string marker = tmp("fail-hang.json");
  const std::string err = tmp("fail-hang.err");
  const auto t0 = std::chrono::steady_clock::now();
  const std::string cmd = kMpirun + kBin + " run " + kScenario +
                          " --iterations 1 --timeout 3 --fail-rank 1 --fail-op 3 --fail-mode hang --out " + marker +
                          " 2> " + err;
  const int rc = exit_code(std::system(cmd.c_str()));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string msg = slurp(err);
  EXPECT_NE(rc, 0);
  EXPECT_NE(rc, 124) << "the watchdog did not fire";
  EXPECT_LT(secs, 60.0);
  EXPECT_NE(msg.find("timed out"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rank 1: injected hang at op 3"), std::string::npos) << msg;
  EXPECT_FALSE(processes_left(marker));
}

// #21 item 8: `trainsim-hw run --help` printed "--help: expected a value"; unknown options were
// silently ignored.
TEST(HwCli, HelpAndUnknownOptions) {
  const std::string env =
      "unset $(env | sed -n 's/^\\(OMPI_[^=]*\\|PMIX_[^=]*\\|OPAL_[^=]*\\)=.*/\\1/p') 2>/dev/null; ";
  const std::string help = tmp("help.txt");
  EXPECT_EQ(exit_code(std::system((env + kBin + " run --help > " + help + " 2>&1").c_str())), 0) << slurp(help);
  EXPECT_NE(slurp(help).find("usage: mpirun -n N trainsim-hw run"), std::string::npos) << slurp(help);
  const std::string bad = tmp("bad.txt");
  EXPECT_EQ(exit_code(std::system((env + kBin + " run " + kScenario + " --iteration 2 > " + bad + " 2>&1").c_str())),
            2);
  EXPECT_NE(slurp(bad).find("--iteration: expected an option of trainsim-hw run"), std::string::npos) << slurp(bad);
}
