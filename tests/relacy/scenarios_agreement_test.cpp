// Every battery scenario under each of its proposals, under both engines:
// same verdict and same property (docs/relacy.md, "Agreement").
#include <gtest/gtest.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "checker/relacy/relacy_backend.hpp"
#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/to_config.hpp"

namespace protmc {
namespace {

using checker::relacy::RelacyOptions;
using checker::relacy::RelacyResult;
using checker::relacy::RelacySearch;
using checker::relacy::RelacyVerdict;

struct Comparison {
  std::string label;
  scenario::Verdict native = scenario::Verdict::kIncomplete;
  std::string native_property;
  RelacyResult relacy;
};

std::vector<std::string> proposals_of(const scenario::Scenario& s) {
  if (s.proposal) return {std::string(scenario::to_string(*s.proposal))};
  std::vector<std::string> names;
  for (const model::Proposal& p : model::all_proposals()) names.emplace_back(p.name);
  return names;
}

// Native: the scenario's own settings, first finding that counts stops it,
// lock-order off (Relacy has no lockdep; it finds the deadlock itself).
// Relacy's cap: generous where native found a violation (Relacy finds each
// within 0.6 s here), short for passes it cannot exhaust.
constexpr uint64_t kViolationCap = 1'000'000;  // the largest need is about 13.5k
constexpr uint64_t kPassCap = 3'000;
constexpr int kExhaustedAtLeast = 61;  // of the 104 jobs (static threads, split VMAs, 2026-11-24)

Comparison compare(const scenario::Scenario& s, const std::string& proposal) {
  Comparison c;
  c.label = s.name + "[" + proposal + "]";
  scenario::ConfigResult converted = scenario::to_config(s, proposal, std::nullopt);
  EXPECT_TRUE(converted.ok()) << converted.error;
  const checker::Program program = model::make_scenario_program(converted.config);
  checker::ExploreOptions options = scenario::explore_options(s, std::nullopt);
  options.detectors.lock_order = false;
  const checker::ExploreResult native = checker::explore(program, options);
  c.native = scenario::scenario_verdict(s, native);
  for (const checker::Counterexample& cex : native.findings) {
    if (scenario::finding_counts(s, cex.finding)) {
      c.native_property = cex.finding.property;
      break;
    }
  }
  RelacyOptions relacy;
  relacy.search = RelacySearch::kFull;
  // Iteration caps, not time caps, so that the outcome does not depend on
  // the machine's load (or a sanitizer build's speed).
  relacy.time_limit_s = 0;
  relacy.max_iterations = c.native == scenario::Verdict::kViolation ? kViolationCap : kPassCap;
  relacy.data_races = options.detectors.data_races;
  c.relacy = checker::relacy::explore_with_relacy(program, relacy);
  return c;
}

// A violation must be found by Relacy with the same property. A pass must be
// a pass when Relacy's full search finishes within the cap; the scenarios too
// large for it (docs/relacy.md lists them) must at least show no finding
// within the cap: a finding there would be a disagreement.
TEST(RelacyScenarios, EveryBatteryScenarioAgreesWithDpor) {
  const scenario::LoadResult loaded = scenario::load_scenario_dir(PROTMC_SCENARIO_DIR);
  ASSERT_TRUE(loaded.ok());
  ASSERT_GE(loaded.scenarios.size(), 9u);
  int exhausted = 0;
  for (const scenario::Scenario& s : loaded.scenarios) {
    for (const std::string& proposal : proposals_of(s)) {
      const Comparison c = compare(s, proposal);
      SCOPED_TRACE(c.label);
      ASSERT_TRUE(c.relacy.error.empty()) << c.relacy.error;
      ASSERT_NE(c.native, scenario::Verdict::kIncomplete);
      if (c.native == scenario::Verdict::kViolation) {
        EXPECT_EQ(c.relacy.verdict, RelacyVerdict::kViolation) << c.relacy.incomplete_reason;
        EXPECT_EQ(c.relacy.property, c.native_property) << c.relacy.message;
      } else {
        EXPECT_NE(c.relacy.verdict, RelacyVerdict::kViolation)
            << c.relacy.property << ": " << c.relacy.message;
      }
      if (c.relacy.verdict != RelacyVerdict::kIncomplete) ++exhausted;
      if (c.native == scenario::Verdict::kViolation) {
        std::printf("%s: %s after %llu Relacy executions\n", c.label.c_str(),
                    c.relacy.property.c_str(),
                    static_cast<unsigned long long>(c.relacy.executions));
      }
    }
  }
  // With the iteration caps above the count is the same on every machine;
  // fewer means the backend stopped finishing searches it used to finish.
  std::printf("%d jobs finished under Relacy\n", exhausted);
  EXPECT_GE(exhausted, kExhaustedAtLeast);
}

}  // namespace
}  // namespace protmc
