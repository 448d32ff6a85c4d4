#pragma once
// Each sub-command lives in its own cmd_<name>.cpp and registers itself here at static
// initialisation (the CLI sources are compiled into the executable, so nothing is dropped).
// A command adds its options to a CLI11 sub-app and returns the action to run once parsed.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace trainsim::cli {

/// Runs the parsed command; returns the process exit status (0 ok, 2 input error, 1 internal).
using Action = std::function<int()>;
/// Declares options on `app` (whose storage the setup keeps alive) and returns the action.
using Setup = std::function<Action(CLI::App& app)>;

struct CommandInfo {
  std::string name;
  std::string help;
  Setup setup;
  int order;  ///< position in `trainsim --help`
};

std::vector<CommandInfo>& command_registry();
/// Levenshtein distance between two words (main.cpp's "did you mean" for a mistyped command).
std::size_t edit_distance(const std::string& a, const std::string& b);

struct RegisterCommand {
  RegisterCommand(std::string name, std::string help, Setup setup, int order = 100) {
    command_registry().push_back({std::move(name), std::move(help), std::move(setup), order});
  }
};

}  // namespace trainsim::cli
