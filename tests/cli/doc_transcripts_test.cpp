// Docs that cannot drift (#21 item 4): every transcript in docs/ and the README — a fenced block
// whose first line is `$ trainsim ...` (or `$ ./build/bin/trainsim ...`), or a block announced by
// `<!-- output-of: trainsim ... -->` — is re-run, and each of its lines must come out of the
// command, in order, with every number within 2% (a `<!-- tolerance: 5% reason -->` line before
// the block widens it, with the reason in the doc). `...` lines mark elided output. A block
// marked `<!-- slow -->` (a command of more than ~10 s) runs only with TRAINSIM_DOCS_SLOW=1
// (`TRAINSIM_DOCS_SLOW=1 ctest -R DocTranscriptsSlow`), outside the default suite.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/common/cli_runner.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kSrc = TRAINSIM_SOURCE_DIR;

struct Transcript {
  std::string file;
  int line = 0;         ///< of the command
  std::string command;  ///< arguments after `trainsim`
  std::vector<std::pair<int, std::string>> expected;
  double tolerance = 0.02;
  bool slow = false;  ///< marked <!-- slow -->
};

std::vector<std::string> lines_of(const std::string& f) {
  std::ifstream in(f);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

/// "trainsim X" or "./build/bin/trainsim X" -> "X"; empty when the line runs something else.
std::string trainsim_args(std::string cmd) {
  for (const char* p : {"./build/bin/trainsim ", "build/bin/trainsim ", "trainsim "})
    if (cmd.rfind(p, 0) == 0) return cmd.substr(std::string(p).size());
  return "";
}

std::vector<Transcript> transcripts() {
  std::vector<std::string> files = {kSrc + "/README.md"};
  for (const auto& e : fs::recursive_directory_iterator(kSrc + "/docs"))
    if (e.path().extension() == ".md") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Transcript> out;
  const std::regex output_of(R"(<!--\s*output-of:\s*(.*?)\s*-->)"), tolerance(R"(<!--\s*tolerance:\s*([0-9.]+)%)");
  for (const auto& f : files) {
    const auto L = lines_of(f);
    std::string announced;
    double tol = 0.02;
    bool slow_block = false;
    for (std::size_t i = 0; i < L.size(); ++i) {
      std::smatch m;
      if (std::regex_search(L[i], m, output_of)) announced = m[1];
      if (std::regex_search(L[i], m, tolerance)) tol = std::stod(m[1]) / 100.0;
      if (L[i].find("<!-- slow -->") != std::string::npos) slow_block = true;
      if (L[i].rfind("```", 0) != 0) continue;
      std::size_t j = i + 1;
      Transcript t;
      t.file = fs::relative(f, kSrc).string();
      t.tolerance = tol;
      t.slow = slow_block;
      if (j < L.size() && L[j].rfind("$ ", 0) == 0) {
        t.command = trainsim_args(L[j].substr(2));
        t.line = static_cast<int>(j + 1);
        ++j;
      } else if (!announced.empty()) {
        t.command = trainsim_args(announced);
        t.line = static_cast<int>(i + 1);
      }
      while (j < L.size() && L[j].rfind("```", 0) != 0) {
        if (L[j].rfind("$ ", 0) == 0) {  // the next command of the same block
          if (!t.command.empty() && !t.expected.empty()) out.push_back(t);
          t.expected.clear();
          t.command = trainsim_args(L[j].substr(2));
          t.line = static_cast<int>(j + 1);
        } else {
          t.expected.emplace_back(static_cast<int>(j + 1), L[j]);
        }
        ++j;
      }
      if (!t.command.empty() && !t.expected.empty()) out.push_back(t);
      announced.clear();
      tol = 0.02;
      slow_block = false;
      i = j;
    }
  }
  return out;
}

const std::regex kNumber(R"([-+]?[0-9][0-9,]*\.?[0-9]*(?:[eE][-+]?[0-9]+)?)");

/// The line with its numbers replaced by '#' and its spaces collapsed: what must match exactly.
std::string shape(const std::string& line) {
  std::string s = std::regex_replace(line, kNumber, "#"), out;
  for (char c : s)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  return out;
}

/// The numbers of a line, as values and as written.
std::vector<std::pair<double, std::string>> numbers(const std::string& line) {
  std::vector<std::pair<double, std::string>> v;
  for (std::sregex_iterator it(line.begin(), line.end(), kNumber), end; it != end; ++it) {
    std::string x = it->str();
    x.erase(std::remove(x.begin(), x.end(), ','), x.end());
    v.emplace_back(std::stod(x), it->str());
  }
  return v;
}

void check(const Transcript& t) {
  const auto r = trainsim::testing::run_trainsim(t.command + " 2>/dev/null", "cd " + kSrc + " && ");
  std::vector<std::string> got;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) got.push_back(l);
  std::size_t from = 0;
  for (const auto& [line, text] : t.expected) {
    const std::string want = shape(text);
    if (want.empty() || want == "..." || want.rfind("...", 0) == 0) continue;
    std::size_t k = from;
    while (k < got.size() && shape(got[k]) != want) ++k;
    if (k == got.size()) {
      ADD_FAILURE() << t.file << ":" << line << ": `trainsim " << t.command << "` no longer prints a line like\n  "
                    << text;
      continue;
    }
    const auto a = numbers(text), b = numbers(got[k]);
    for (std::size_t n = 0; n < a.size() && n < b.size(); ++n)
      if (std::abs(a[n].first - b[n].first) > t.tolerance * std::max(std::abs(a[n].first), std::abs(b[n].first)) + 1e-9)
        ADD_FAILURE() << t.file << ":" << line << ": the doc says " << a[n].second << ", `trainsim " << t.command
                      << "` now prints " << b[n].second << " (more than " << 100 * t.tolerance
                      << "% apart):\n  doc:  " << text << "\n  tool: " << got[k];
    from = k + 1;
  }
}

bool slow(const Transcript& t) { return t.slow; }

}  // namespace

TEST(DocTranscripts, EveryTranscriptStillComesOutOfTheTool) {
  const auto all = transcripts();
  ASSERT_GE(all.size(), 8u);  // the tutorials' explain transcripts at least
  for (const auto& t : all)
    if (!slow(t)) check(t);
}

TEST(DocTranscriptsSlow, TranscriptsMarkedSlow) {
  if (!std::getenv("TRAINSIM_DOCS_SLOW"))
    GTEST_SKIP() << "set TRAINSIM_DOCS_SLOW=1 to run the transcripts marked <!-- slow -->";
  for (const auto& t : transcripts())
    if (slow(t)) check(t);
}

TEST(DocTranscripts, TheCheckerCatchesADriftedNumber) {
  Transcript t;
  t.file = "inline";
  t.command = "run scenarios/default.json";
  t.expected = {{1, "  iteration time                99.99 s"}};
  // The check must fail on a wrong number: run it where a failure is expected.
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    check(t);
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("the doc says 99.99"), std::string::npos)
      << failures.GetTestPartResult(0).message();
}
