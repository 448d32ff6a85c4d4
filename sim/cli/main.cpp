// trainsim: a thin driver. Each sub-command is in cmd_<name>.cpp; errors become exit codes:
// 2 for input errors (a bad scenario, a missing file), 1 for internal errors.
#include <algorithm>
#include <iostream>
#include <memory>

#include "models/util/errors.hpp"
#include "sim/cli/command_registry.hpp"

namespace trainsim::cli {
std::vector<CommandInfo>& command_registry() {
  static std::vector<CommandInfo> registry;
  return registry;
}
}  // namespace trainsim::cli

int main(int argc, char** argv) {
  using namespace trainsim;
  CLI::App app{"trainsim: predict the time, cost and energy of training large AI models on clusters"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trainsim 0.1.0");
  auto& reg = cli::command_registry();
  std::sort(reg.begin(), reg.end(),
            [](const auto& a, const auto& b) { return a.order != b.order ? a.order < b.order : a.name < b.name; });
  std::vector<std::pair<CLI::App*, cli::Action>> actions;
  for (auto& c : reg) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    actions.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const InputError& e) {
    std::cerr << "trainsim: input error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "trainsim: internal error: " << e.what() << "\n";
    return 1;
  }
  return 1;
}
