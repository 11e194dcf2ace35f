// protmc: the command-line front end of the model checker; see app.hpp.
#include "tools/cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <vector>

#include "tools/cli/commands.hpp"
#include "tools/cli/exit_status.hpp"

namespace {

int run_cli(int argc, char** argv) {
  using protmc::cli::ExitStatus;
  using protmc::cli::to_int;

  CLI::App app{"protmc: a model checker for Linux kernel page-protection locking proposals",
               "protmc"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "protmc 0.1.0");

  const std::vector<protmc::cli::Command> commands = {
      protmc::cli::add_run_command(app),
      protmc::cli::add_list_command(app),
      protmc::cli::add_validate_command(app),
      // Trace files (tools/trace).
      protmc::cli::add_replay_command(app),
      protmc::cli::add_show_command(app),
      protmc::cli::add_matrix_command(app),
      protmc::cli::add_gate_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing with exit code 0; every real parse
    // error is a usage error, which protmc reports as status 2 whatever
    // CLI11's own code for it is.
    const int code = app.exit(e);
    return code == 0 ? 0 : to_int(ExitStatus::kBadInput);
  }

  for (const auto& command : commands) {
    if (command.app->parsed()) return to_int(command.run());
  }
  std::cerr << "protmc: no command given; see protmc --help\n";
  return to_int(ExitStatus::kBadInput);
}

}  // namespace

namespace protmc::cli {

int protmc_main(int argc, char** argv) {
  // User errors come back as exit statuses; an exception reaching here is a
  // protmc bug, handled like a failed CHECK.
  try {
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "protmc: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "protmc: internal error: unknown exception\n";
  }
  std::abort();
}

}  // namespace protmc::cli
