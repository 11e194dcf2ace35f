// The protmc subcommands. Each lives in its own file, registers its options on
// the parent CLI11 app, and returns what to run when it was the one parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "tools/cli/exit_status.hpp"

namespace protmc::cli {

struct Command {
  CLI::App* app = nullptr;
  // Runs the command after a successful parse. User errors are reported on
  // stderr and returned as ExitStatus::kBadInput, never thrown.
  std::function<ExitStatus()> run;
};

Command add_run_command(CLI::App& parent);
Command add_list_command(CLI::App& parent);
Command add_validate_command(CLI::App& parent);
Command add_replay_command(CLI::App& parent);
Command add_show_command(CLI::App& parent);
Command add_matrix_command(CLI::App& parent);
Command add_gate_command(CLI::App& parent);

}  // namespace protmc::cli
