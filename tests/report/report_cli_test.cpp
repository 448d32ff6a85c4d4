// trainsim explain and trainsim report on the command line: output shapes and exit statuses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "tests/common/cli_runner.hpp"

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "sim/report/plots.hpp"

namespace {
using Result = trainsim::testing::CliResult;
Result run(const std::string& args, const std::string& env = "") { return trainsim::testing::run_trainsim(args, env); }
const std::string kSrc = TRAINSIM_SOURCE_DIR;
}  // namespace

TEST(ExplainCli, TextAndJson) {
  auto t = run("explain " + kSrc + "/scenarios/default.json");
  ASSERT_EQ(t.status, 0) << t.out;
  for (const char* s : {"Where the time goes", "Pipeline bubble:", "(p-1)/(m+p-1) = (16-1)/(192+16-1) = 15/207",
                        "Communication of one rank", "Recomputation and memory", "What to try:"})
    EXPECT_NE(t.out.find(s), std::string::npos) << s << "\n" << t.out;
  auto j = run("explain " + kSrc + "/scenarios/default.json --format json");
  ASSERT_EQ(j.status, 0) << j.out;
  const auto e = nlohmann::json::parse(j.out);
  EXPECT_NEAR(e["bubble"]["fraction"].get<double>(), 15.0 / 207.0, 1e-9);
  for (const char* k : {"time", "bubble", "communication", "recompute", "memory", "hints"})
    EXPECT_TRUE(e.contains(k)) << k;
}

TEST(ReportCli, MissingGnuplotIsAnInputError) {
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/test-report/cli-nognuplot";
  auto r = run("report " + kSrc + "/scenarios/tiny-cpu.json --out " + dir, "env PATH=/nonexistent ");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("gnuplot"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gnuplot-nox"), std::string::npos) << r.out;
  // Without rendering the data files and scripts are written all the same.
  auto d = run("report " + kSrc + "/scenarios/tiny-cpu.json --no-render --out " + dir, "env PATH=/nonexistent ");
  EXPECT_EQ(d.status, 0) << d.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/timeline.gp"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/index.html"));
}

TEST(ReportCli, WritesIndexWithPictures) {
  if (trainsim::find_gnuplot().empty())
    GTEST_SKIP() << "gnuplot is not on PATH (Debian: apt-get install gnuplot-nox): trainsim report cannot draw";
  const std::string dir = std::string(TRAINSIM_BINARY_DIR) + "/test-report/cli";
  std::filesystem::remove_all(dir);
  auto r = run("report " + kSrc + "/scenarios/tiny-cpu.json " + kSrc +
               "/scenarios/cases/llama2-7b-8xa100-baseline.json --sweep " + kSrc +
               "/tests/data/sweep-gpus.jsonl --search " + kSrc + "/tests/data/search.json --out " + dir);
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* f : {"index.html", "report.json", "timeline-1.svg", "timeline-2.svg", "breakdown.svg",
                        "breakdown.png", "scaling.svg", "pareto.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  auto bad = run("report " + kSrc + "/scenarios/tiny-cpu.json --sweep /nonexistent.jsonl --out " + dir);
  EXPECT_EQ(bad.status, 2) << bad.out;
}
