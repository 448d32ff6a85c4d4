#pragma once
// FrameworkRecipe: a framework's own launch configuration for a model and parallel layout (a
// NeMo-Framework-Launcher recipe, the authors' reproduction script of a paper's table), as data
// under scenarios/frameworks/recipes/. `trainsim validate` fills the knobs a published record
// leaves null from the recipe whose framework, model and layout are the record's, before it
// searches the rest: stated value > the record's recipe > the fastest setting that fits.
//
// A recipe file:
//   {"framework": "nemo", "description": ..., "source": ...,
//    "recipes": [{"name": ..., "match": {...}, "strategy": {...}, "says": ...}]}
// `match` keys: "model" (name, compared on letters and digits, case-insensitive); "layers",
// "hidden", "seq_len", "global_batch" (the record must state the same value); "tp", "pp", "cp",
// "vp", "micro_batch" (a null in the record counts as 1). `strategy` holds scenario strategy
// fields (docs/scenarios.md).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/validate/published_record.hpp"

namespace trainsim {

struct FrameworkRecipe {
  std::string framework;  ///< the profile name it belongs to ("nemo")
  std::string name;       ///< as the framework names it ("llama/llama2_70b.yaml")
  std::string source;     ///< where it was read (the file's source and the entry's `says`)
  nlohmann::json match;
  nlohmann::json strategy;
};

/// The recipes of every *.json under `dir` (read once per folder; an absent folder has none).
/// Unknown keys and match keys are input errors naming the file and field.
const std::vector<FrameworkRecipe>& framework_recipes(const std::string& dir);

/// The folder the validator reads: the framework catalog's recipes/ subfolder.
std::string default_recipes_dir();

/// Whether `recipe` is the launch configuration of the run `r` describes (run with `framework`).
bool recipe_matches(const FrameworkRecipe& recipe, const PublishedRecord& r, const std::string& framework);

}  // namespace trainsim
