// Calibration-profile loader: malformed input is an InputError naming the field, never a crash
// (fuzz_profile found a non-string "format" escaping as nlohmann::json::type_error).
#include <gtest/gtest.h>

#include "models/calibration/profile.hpp"
#include "models/util/errors.hpp"

using namespace trainsim;

TEST(ProfileJson, NonStringFormatIsAnInputError) {
  for (const char* text : {R"({"format": 6893199989})", R"({"format": ["trainsim-profile/1"]})", R"([1, 2])", R"("x")",
                           R"({"format": "trainsim-profile/1", "device": 3})"}) {
    try {
      CalibrationProfile::from_json(nlohmann::json::parse(text), "p.json");
      FAIL() << "accepted " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("p.json"), std::string::npos) << e.what();
    }
  }
}

TEST(ProfileJson, MinimalProfileLoads) {
  const auto p = CalibrationProfile::from_json(
      nlohmann::json::parse(R"({"format": "trainsim-profile/1", "device": "cpu"})"), "p.json");
  EXPECT_EQ(p.device, "cpu");
  EXPECT_TRUE(p.gemm.empty());
}
