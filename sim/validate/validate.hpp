#pragma once
// trainsim validate: predict each published run and compare with the published figure.
// Unknown (null) knobs are filled by documented rules (docs/validation.md#rules); each filled
// knob is listed per row. Rows that cannot be predicted yet are reported as skipped, with why.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/validate/published_record.hpp"

namespace trainsim {

struct ValidationRow {
  std::string id, metric;
  double published = 0;
  std::optional<double> predicted;
  std::optional<double> error_pct;  ///< (predicted - published) / published x 100
  std::vector<std::string> filled;  ///< "micro_batch=2 (best throughput among feasible)"
  std::string framework;            ///< the profile the row ran through: "megatron-lm 2021 (2021-04)"
  /// Stated knobs that profile lacks ("field: message"): predicted as stated, the profile is suspect.
  std::vector<std::string> not_in_profile;
  std::string skipped_reason;  ///< empty when predicted
  std::string strategy;        ///< the strategy used, after filling
  double iteration_time_s = 0;
  nlohmann::json breakdown;           ///< the prediction's breakdown_s and memory_gb (trainsim run --format json)
  std::vector<std::string> features;  ///< what the row exercises: "zero-3 / fsdp", "fp8", "gpu H100" ...
  nlohmann::json scenario;  ///< the scenario predicted, searched knobs included (trainsim validate --scenarios)
};

/// Error of the predicted rows that use one feature (a row counts for each of its features).
struct FeatureError {
  std::string feature;
  int rows = 0;
  double mape = 0;            ///< mean |error| %
  double mean_error_pct = 0;  ///< mean signed error %: the bias
};

struct ValidationReport {
  std::vector<ValidationRow> rows;
  double mape = 0;  ///< mean |error_pct| over predicted rows
  int predicted = 0, skipped = 0;
  std::vector<FeatureError> by_feature;  ///< sorted by feature name
};

struct ValidateOptions {
  std::string engine = "analytic";
  std::string only_prefix;  ///< keep rows whose id starts with this (empty: all)
};

/// Builds the scenario a record describes: its framework profile selected by the record's
/// `framework` reference, its stated knobs, then its framework recipe's
/// (scenarios/frameworks/recipes/), then the profile's defaults. The knobs the record and recipe
/// leave open (micro_batch, vp, recompute, the distributed optimizer, sequence parallelism, the
/// overlaps) are searched by validate_record over the values the framework has.
/// Throws InputError with the reason when the record cannot be simulated.
/// `json_out`, when given, receives the scenario as JSON (what `trainsim run` reads).
Scenario scenario_from_record(const PublishedRecord& r, std::vector<std::string>& filled,
                              nlohmann::json* json_out = nullptr);

ValidationRow validate_record(const PublishedRecord& r, const ValidateOptions& opt);
ValidationReport validate_records(const std::vector<PublishedRecord>& recs, const ValidateOptions& opt);

nlohmann::json to_json(const ValidationReport& r);
void print_text(const ValidationReport& r, std::ostream& out);
/// The per-row table as GitHub markdown (docs/validation.md).
void print_markdown(const ValidationReport& r, std::ostream& out);

}  // namespace trainsim
