#pragma once
// FrameworkProfile: a training framework as data (scenarios/frameworks/*.json). What one release
// of Megatron-LM, DeepSpeed, NeMo, torchtitan... can do (its features) and what it does unless
// told otherwise (its default knob values), each with its source. The mechanisms (how sequence
// parallelism or an overlap is costed) are the simulator's; which run had which is the profile's.
//
// A scenario names its software stack in a `framework` part: a profile inline, a path to one, or a
// reference {name, version, date} into the catalog. A strategy then resolves through it: a stated
// knob wins over the framework's default, and a stated knob the framework lacks is an input error
// naming the field and the framework.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/util/json_reader.hpp"

namespace trainsim {

struct FrameworkDefault {
  nlohmann::json value;
  std::string source;
};

struct FrameworkProfile {
  std::string name;                   ///< e.g. "megatron-core"
  std::string version;                ///< as printed, e.g. "0.8"
  std::vector<std::string> versions;  ///< the release versions it stands for (a reference matches one)
  std::string date;                   ///< "YYYY" or "YYYY-MM": when that release was current
  std::string description, origin;
  std::vector<std::string> sources;
  std::map<std::string, bool> switches;  ///< on/off features (framework_features() lists them)
  std::vector<std::string> attention;    ///< attention kernels it has (strategy.attention values)
  std::vector<int> zero_stages;          ///< ZeRO stages it has (1: Megatron's distributed optimizer)
  std::vector<std::string> zero3_runtimes;
  /// MoE token dispatchers it has ("alltoall", "allgather", "deepep", "hybridep"; features
  /// "moe_dispatchers", absent: all-to-all alone, what every MoE runtime does in some form).
  std::vector<std::string> moe_dispatchers;
  std::map<std::string, FrameworkDefault> defaults;  ///< strategy field -> its default
  /// Knobs with a default that published performance runs of this framework commonly change (the
  /// overlaps of Megatron-Core, off by flag, on in every published benchmark): `trainsim validate`
  /// searches them like the knobs without a default, when a record leaves them open.
  std::vector<std::string> tuned;

  bool has(const std::string& feature) const;
  /// "megatron-core 0.8 (2024-08)"
  std::string label() const;
};

/// The strategy knobs a launch chooses per run and `trainsim validate` searches when a record leaves
/// them open: micro_batch, vp, recompute, zero, sequence_parallel and the overlaps.
const std::vector<std::string>& searchable_knobs();

/// The on/off features a profile states, each with what it enables (for messages and docs).
const std::vector<std::pair<std::string, std::string>>& framework_features();

/// Reads a profile object; unknown fields, unknown features and defaults the profile itself lacks
/// the feature for are input errors naming the field.
FrameworkProfile parse_framework_profile(const JsonReader& r);

/// A reference to a framework as a published-run record or a scenario states it.
struct FrameworkRef {
  std::string name;
  std::optional<std::string> version, date;
};

/// The catalog folder: $TRAINSIM_FRAMEWORKS_DIR, else the source tree's scenarios/frameworks.
std::string default_frameworks_dir();
/// Every profile under `dir` (each *.json), read once per folder.
const std::vector<FrameworkProfile>& framework_catalog(const std::string& dir = default_frameworks_dir());

/// Which profile a reference selects: its stated version (one of the profile's `versions`); no
/// version: the newest profile of that name dated no later than the stated date (the oldest when
/// all are later); an unknown name: the newest "generic" profile dated no later than the date.
/// `why` says which rule chose it. An InputError (naming `where`) when nothing matches.
const FrameworkProfile& select_framework(const std::vector<FrameworkProfile>& catalog, const FrameworkRef& ref,
                                         const std::string& where, std::string* why = nullptr);

/// Resolves a strategy object through `profile`: checks every stated knob against its features
/// (InputError at `where`.field: "selective recomputation is not in megatron-lm 2021"), then fills
/// each absent knob the profile has a default for. Returns the fills, "field=value (source)".
std::vector<std::string> apply_framework(const FrameworkProfile& profile, nlohmann::json& strategy,
                                         const std::string& where);

/// Fills each absent knob of `strategy` that `profile` has a default for (where it applies: a ZeRO-3
/// runtime only with ZeRO-3, TP overlap only with sequence parallelism), without checking the stated
/// ones; the fills as apply_framework returns them.
std::vector<std::string> fill_framework_defaults(const FrameworkProfile& profile, nlohmann::json& strategy);

/// The stated knobs of `strategy` that `profile` lacks, as messages (empty: all are in it).
std::vector<std::string> knobs_not_in(const FrameworkProfile& profile, const nlohmann::json& strategy);

}  // namespace trainsim
