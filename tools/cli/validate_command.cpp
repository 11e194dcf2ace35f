// protmc validate FILE|DIR...: load scenario files and report every problem
// with file:line:column; nothing is run.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/commands.hpp"
#include "tools/scenario/loader.hpp"

namespace protmc::cli {

Command add_validate_command(CLI::App& parent) {
  auto paths = std::make_shared<std::vector<std::string>>();
  CLI::App* app = parent.add_subcommand(
      "validate",
      "Check scenario files (or every *.json in a directory) without running them: prints "
      "'FILE: ok' for each valid one and FILE:LINE:COLUMN: problem on stderr for the rest");
  app->add_option("paths", *paths, "Scenario files and directories")->required();
  return Command{app, [paths]() -> ExitStatus {
                   const scenario::LoadResult result = scenario::load_scenario_paths(*paths);
                   for (const scenario::Scenario& s : result.scenarios) {
                     std::cout << s.path << ": ok\n";
                   }
                   for (const scenario::Diagnostic& d : result.diagnostics) {
                     std::cerr << d.to_string() << "\n";
                   }
                   return result.ok() ? ExitStatus::kAsExpected : ExitStatus::kBadInput;
                 }};
}

}  // namespace protmc::cli
