// trainsim validate reads the published-runs schema as it is.
#include <gtest/gtest.h>

#include "sim/validate/validate.hpp"

using namespace trainsim;

TEST(Validate, ReadsEveryRecordOfThePublishedFile) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  ASSERT_GE(recs.size(), 61u);
  int constants = 0;
  for (const auto& r : recs) constants += r.kind == "constant";
  EXPECT_EQ(constants, 7);
}

TEST(Validate, Sc21RowsArePredictedWithConsistentErrors) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  ValidateOptions opt;
  opt.only_prefix = "sc21_table1_";
  const auto rep = validate_records(recs, opt);
  ASSERT_EQ(rep.rows.size(), 10u);
  EXPECT_EQ(rep.predicted, 10);
  double sum = 0;
  for (const auto& row : rep.rows) {
    ASSERT_TRUE(row.predicted.has_value()) << row.id << ": " << row.skipped_reason;
    EXPECT_NEAR(*row.error_pct, (*row.predicted - row.published) / row.published * 100, 1e-9);
    // Each filled knob is listed with its rule.
    EXPECT_FALSE(row.filled.empty());
    sum += std::fabs(*row.error_pct);
    // Hardware TFLOP/s per GPU: physically below the A100 peak.
    EXPECT_LT(*row.predicted, 312.0);
    EXPECT_GT(*row.predicted, 60.0);
  }
  EXPECT_NEAR(rep.mape, sum / 10, 1e-9);
}

TEST(Validate, ConstantsAndUnknownShapesAreSkippedWithAReason) {
  const auto recs = load_published_records(std::string(TRAINSIM_SOURCE_DIR) + "/validation/published-runs.jsonl");
  const auto rep = validate_records(recs, {});
  int skipped = 0;
  for (const auto& row : rep.rows)
    if (!row.predicted) {
      ++skipped;
      EXPECT_FALSE(row.skipped_reason.empty()) << row.id;
    }
  EXPECT_EQ(skipped, rep.skipped);
  EXPECT_EQ(rep.predicted + rep.skipped, static_cast<int>(recs.size()));
}

TEST(Validate, BadRecordNamesLineAndPath) {
  nlohmann::json j = {{"id", "x"}, {"kind", "run"}, {"measured", {{"metric", "mfu"}, {"value", "high"}}}};
  try {
    parse_published_record(j, "f.jsonl:3");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("f.jsonl:3: $.measured.value"), std::string::npos) << e.what();
  }
}
