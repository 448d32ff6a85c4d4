// trainsim validate FILE.jsonl [--format text|json|markdown] [--only ID_PREFIX] [--engine E] [--scenarios DIR]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "sim/cli/command_registry.hpp"
#include "sim/validate/validate.hpp"

namespace trainsim::cli {
namespace {

struct Args {
  std::string file, format = "text", scenarios_dir;
  ValidateOptions opt;
};

Action setup(CLI::App& app) {
  auto a = std::make_shared<Args>();
  app.add_option("file", a->file, "published-runs JSON-lines file (schema: validation/SCHEMA.md)")->required();
  app.add_option("--format", a->format, "text, json or markdown")->check(CLI::IsMember({"text", "json", "markdown"}));
  app.add_option("--only", a->opt.only_prefix, "keep only rows whose id starts with this prefix");
  app.add_option("--engine", a->opt.engine, "engine to predict with (analytic by default)");
  app.add_option("--scenarios", a->scenarios_dir,
                 "write each predicted row's scenario (filled knobs included) to DIR/ID.json, to rerun it with "
                 "trainsim run / plan --kernels / explain");
  return [a]() {
    const auto recs = load_published_records(a->file);
    const auto rep = validate_records(recs, a->opt);
    if (!a->scenarios_dir.empty()) {
      std::filesystem::create_directories(a->scenarios_dir);
      for (const auto& row : rep.rows) {
        if (row.scenario.is_null()) continue;
        const auto path = std::filesystem::path(a->scenarios_dir) / (row.id + ".json");
        std::ofstream f(path);
        f << row.scenario.dump(2) << "\n";
        if (!f) throw InputError("--scenarios", "a writable folder", path.string());
      }
    }
    if (a->format == "json")
      std::cout << to_json(rep).dump(2) << "\n";
    else if (a->format == "markdown")
      print_markdown(rep, std::cout);
    else
      print_text(rep, std::cout);
    return 0;
  };
}

RegisterCommand reg("validate", "predict published training runs and report the error per row and the MAPE", setup, 20);

}  // namespace
}  // namespace trainsim::cli
