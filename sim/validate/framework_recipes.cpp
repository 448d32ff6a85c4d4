#include "sim/validate/framework_recipes.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>

#include "models/util/json_reader.hpp"
#include "sim/scenario/framework.hpp"

namespace fs = std::filesystem;

namespace trainsim {

namespace {

const std::vector<std::string> kShapeKeys = {"layers", "hidden", "seq_len", "global_batch"};
const std::vector<std::string> kLayoutKeys = {"tp", "pp", "cp", "vp", "micro_batch"};

std::string letters_and_digits(const std::string& s) {
  std::string k;
  for (unsigned char c : s)
    if (std::isalnum(c)) k.push_back(static_cast<char>(std::tolower(c)));
  return k;
}

/// The record's value of a match key (nullopt: not stated).
std::optional<std::int64_t> record_value(const PublishedRecord& r, const std::string& key) {
  if (key == "layers") return r.layers;
  if (key == "hidden") return r.hidden;
  if (key == "seq_len") return r.seq_len;
  if (key == "global_batch") return r.global_batch;
  if (key == "tp") return r.tp.value_or(1);
  if (key == "pp") return r.pp.value_or(1);
  if (key == "cp") return r.cp.value_or(1);
  if (key == "vp") return r.vp.value_or(1);
  if (key == "micro_batch") return r.micro_batch.value_or(1);
  return std::nullopt;
}

std::vector<FrameworkRecipe> read_recipe_file(const std::string& file) {
  const JsonReader r(read_json_file(file), file);
  r.reject_unknown({"framework", "description", "source", "recipes"});
  const std::string framework = r.str("framework");
  const std::string source = r.str("source");
  std::vector<FrameworkRecipe> out;
  for (const auto& e : r.array("recipes")) {
    e.reject_unknown({"name", "match", "strategy", "says"});
    FrameworkRecipe rec;
    rec.framework = framework;
    rec.name = e.str("name");
    rec.source = source + ": " + rec.name + " (" + e.str("says") + ")";
    const JsonReader m = e.object("match");
    std::vector<std::string> keys = {"model"};
    keys.insert(keys.end(), kShapeKeys.begin(), kShapeKeys.end());
    keys.insert(keys.end(), kLayoutKeys.begin(), kLayoutKeys.end());
    m.reject_unknown(keys);
    for (const auto& k : keys)
      if (m.present(k)) {
        if (k == "model")
          m.str(k);
        else
          m.integer(k, 0, std::int64_t(1) << 40);
      }
    rec.match = m.json();
    rec.strategy = e.object("strategy").json();
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

std::string default_recipes_dir() { return (fs::path(default_frameworks_dir()) / "recipes").string(); }

const std::vector<FrameworkRecipe>& framework_recipes(const std::string& dir) {
  static std::mutex mu;
  static std::map<std::string, std::vector<FrameworkRecipe>> read;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = read.find(dir); it != read.end()) return it->second;
  std::vector<FrameworkRecipe> out;
  if (fs::is_directory(dir)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      for (auto& rec : read_recipe_file(f.string())) out.push_back(std::move(rec));
  }
  return read.emplace(dir, std::move(out)).first->second;
}

bool recipe_matches(const FrameworkRecipe& recipe, const PublishedRecord& r, const std::string& framework) {
  if (recipe.framework != framework) return false;
  for (const auto& [key, want] : recipe.match.items()) {
    if (key == "model") {
      if (!r.model_name || letters_and_digits(*r.model_name) != letters_and_digits(want.get<std::string>()))
        return false;
      continue;
    }
    const auto v = record_value(r, key);
    if (!v || *v != want.get<std::int64_t>()) return false;
  }
  return true;
}

}  // namespace trainsim
