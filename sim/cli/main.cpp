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

/// Levenshtein distance (insertions, deletions, substitutions), for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
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
  // A first word that is no command (a typo such as "runn") is named, with the closest command.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    if (std::none_of(reg.begin(), reg.end(), [&](const auto& c) { return c.name == word; })) {
      std::string best;
      std::size_t best_d = word.size() + 1;
      for (const auto& c : reg) {
        const std::size_t d = cli::edit_distance(word, c.name);
        if (d < best_d) best_d = d, best = c.name;
      }
      std::cerr << "trainsim: unknown command \"" << word << "\"";
      if (best_d <= 2) std::cerr << "; did you mean \"" << best << "\"?";
      std::cerr << " (trainsim --help lists the commands)\n";
      return 2;
    }
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
