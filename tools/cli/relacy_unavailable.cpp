// protmc run --engine relacy in a build without the Relacy engine (sanitizer
// and fuzz builds; see PROTMC_WITH_RELACY in the top-level CMakeLists.txt):
// the engine is refused as bad input with the reason, before anything runs.
#include <iostream>

#include "tools/cli/relacy_run.hpp"

namespace protmc::cli {
namespace {

constexpr const char* kUnavailable =
    "this protmc was built without the Relacy engine (sanitizer and fuzz builds leave it out: "
    "Relacy replaces the global operator new, which AddressSanitizer cannot work with); use a "
    "Release build";

ExitStatus refuse() {
  std::cerr << "protmc run: --engine relacy: " << kUnavailable << "\n";
  return ExitStatus::kBadInput;
}

}  // namespace

RelacySearchChoice parse_relacy_search_option(const std::string& /*text*/) {
  RelacySearchChoice choice;
  choice.error = std::string("--engine relacy: ") + kUnavailable;
  return choice;
}

ExitStatus run_program_with_relacy(const checker::Program& /*program*/,
                                   const checker::relacy::RelacyOptions& /*options*/) {
  return refuse();
}

ExitStatus run_scenarios_with_relacy(const ScenarioRunOptions& /*scenarios*/,
                                     const checker::relacy::RelacyOptions& /*options*/) {
  return refuse();
}

}  // namespace protmc::cli
