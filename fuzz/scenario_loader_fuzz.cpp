// libFuzzer target: the scenario loader (load_scenario_text) and, for every
// input it accepts, the conversion to model terms under every proposal and
// the engine options. Contract checked: no crash, no exception, no hang, and
// every rejection is a positioned diagnostic (fuzz/diagnostics_check.hpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "checker/explore/explorer.hpp"
#include "fuzz/diagnostics_check.hpp"
#include "model/scenario/program.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/scenario.hpp"
#include "tools/scenario/to_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace scenario = protmc::scenario;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const scenario::LoadResult loaded = scenario::load_scenario_text(text, "fuzz.json");
  if (const std::string bad = protmc::fuzz::unpositioned_diagnostic(loaded.diagnostics);
      !bad.empty()) {
    std::fprintf(stderr, "%s\n", bad.c_str());
    std::abort();
  }
  if (loaded.ok() != (loaded.scenarios.size() == 1)) {
    std::fprintf(stderr, "accepted text gave %zu scenarios\n", loaded.scenarios.size());
    std::abort();
  }
  for (const scenario::Scenario& s : loaded.scenarios) {
    for (const std::string_view proposal : scenario::proposal_names()) {
      const scenario::ConfigResult converted = scenario::to_config(s, proposal, std::nullopt);
      const std::optional<scenario::Expectation> expectation =
          scenario::applicable_expectation(s, proposal, std::nullopt);
      if (!converted.ok()) continue;
      // One execution of the model under the default schedule, with a small
      // step bound: the model must not fail a CHECK on any accepted scenario.
      protmc::checker::ExploreOptions options = scenario::explore_options(s, expectation);
      options.bounds.max_steps = std::min<uint64_t>(options.bounds.max_steps, 2000);
      const protmc::checker::ReplayResult run = protmc::checker::replay(
          protmc::model::make_scenario_program(converted.config), {}, options);
      for (const protmc::checker::Finding& f : run.findings) {
        if (f.property == protmc::checker::kInternalError) {
          std::fprintf(stderr, "internal error: %s\n", f.message.c_str());
          std::abort();
        }
      }
    }
  }
  return 0;
}
