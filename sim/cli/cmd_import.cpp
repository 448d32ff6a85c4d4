// trainsim import CONFIG --cluster CLUSTER.json [--kind megatron|deepspeed] [--workload W.json]
//                        [--framework NAME] [--name N] [--out SCENARIO.json]
// Turns the configuration a team is about to launch (a Megatron-LM launch script or argument list,
// a DeepSpeed JSON config) into a scenario on a cluster, checks that it loads, and writes it
// (stdout by default) with what was mapped, inferred and left out (sim/import/framework_config.hpp).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "sim/cli/command_registry.hpp"
#include "sim/import/framework_config.hpp"
#include "sim/scenario/scenario.hpp"

namespace trainsim::cli {
namespace {

struct ImportArgs {
  std::string config, kind, cluster, workload, framework, name, out;
};

std::string slurp(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw InputError(file, "a readable file", "no such file or it cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Action setup(CLI::App& app) {
  auto x = std::make_shared<ImportArgs>();
  app.add_option("config", x->config, "a Megatron-LM launch script or argument list, or a DeepSpeed JSON config")
      ->required();
  app.add_option("--cluster", x->cluster, "cluster JSON file the job will run on (scenarios/clusters/...)")->required();
  app.add_option("--kind", x->kind, "megatron or deepspeed (default: deepspeed for .json, else megatron)")
      ->check(CLI::IsMember({"megatron", "deepspeed"}));
  app.add_option("--workload", x->workload, "workload JSON file (needed when the config has no model shape)");
  app.add_option(
      "--framework", x->framework,
      "framework profile name (scenarios/frameworks/), e.g. megatron-core; default: none (stated knobs only)");
  app.add_option("--name", x->name, "scenario name (default: the config file's name)");
  app.add_option("--out", x->out, "write the scenario here (default: stdout)");
  return [x]() {
    const std::string kind = !x->kind.empty()                                          ? x->kind
                             : std::filesystem::path(x->config).extension() == ".json" ? "deepspeed"
                                                                                       : "megatron";
    const ImportedConfig c = kind == "deepspeed" ? import_deepspeed_config(read_json_file(x->config), x->config)
                                                 : import_megatron_args(slurp(x->config), x->config);
    const std::string name = x->name.empty() ? std::filesystem::path(x->config).stem().string() : x->name;
    const std::string cluster = std::filesystem::absolute(x->cluster).string();
    const std::string workload = x->workload.empty() ? "" : std::filesystem::absolute(x->workload).string();
    nlohmann::json sc = imported_scenario(c, name, cluster, workload);
    if (!x->framework.empty()) sc["framework"] = {{"name", x->framework}};
    // The scenario must load as written: the layout against the cluster, the model, the framework.
    (void)parse_scenario(sc, x->out.empty() ? "<imported>" : x->out, ".");
    const std::string text = sc.dump(2) + "\n";
    if (x->out.empty()) {
      std::cout << text;
    } else {
      std::ofstream out(x->out);
      if (!out) throw InputError("--out", "a writable file", "\"" + x->out + "\"");
      out << text;
    }
    for (const auto& n : c.notes) std::cerr << "import: " << n << "\n";
    if (!c.unmapped.empty()) {
      std::cerr << "import: " << c.unmapped.size() << " options not mapped (no effect on time in trainsim):";
      for (const auto& u : c.unmapped) std::cerr << " " << u;
      std::cerr << "\n";
    }
    if (!x->out.empty()) std::cerr << "import: wrote " << x->out << " (trainsim run " << x->out << ")\n";
    return 0;
  };
}

RegisterCommand reg("import", "turn a Megatron-LM argument list or a DeepSpeed config into a scenario", setup, 17);

}  // namespace
}  // namespace trainsim::cli
