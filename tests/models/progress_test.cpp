// ProgressBar (models/util/progress.hpp): what long commands print on stderr, and that short
// work prints nothing (#21 item 5: progress on long commands, silence on short ones).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "models/util/progress.hpp"

using namespace trainsim;

namespace {
std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[512];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) s.append(buf, n);
  return s;
}
}  // namespace

TEST(ProgressBar, LineNamesTheUnitRateAndTimeLeft) {
  const std::string l = ProgressBar::line(250, 1000, 50.0, 10, "ops");
  EXPECT_EQ(l, "[##........] 250/1000  25%  50.0 ops/s  ETA 0:00:15");
  EXPECT_EQ(ProgressBar::format_duration(3723.4), "1:02:03");
  EXPECT_EQ(ProgressBar::format_duration(-1), "?");
}

TEST(ProgressBar, ShortWorkUnderTheDelayPrintsNothing) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ProgressBar bar(3, f, /*terminal=*/true, "simgrid:", "ops", /*delay_s=*/60.0);
    for (int i = 0; i < 3; ++i) bar.tick();
    bar.finish();
  }
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
  std::FILE* g = std::tmpfile();
  ASSERT_NE(g, nullptr);
  {
    ProgressBar bar(2, g, /*terminal=*/false, "search: confirming", "candidates", 0.0);
    bar.tick();
    bar.tick();
    bar.finish();
  }
  const std::string out = contents(g);
  EXPECT_NE(out.find("search: confirming [##############################] 2/2 100%"), std::string::npos) << out;
  EXPECT_NE(out.find("candidates/s"), std::string::npos) << out;
  std::fclose(g);
}
