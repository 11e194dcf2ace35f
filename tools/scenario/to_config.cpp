// Scenario -> ScenarioConfig, ExploreOptions and verdicts; see to_config.hpp.
#include "tools/scenario/to_config.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "checker/support/check.hpp"
#include "model/scenario/program.hpp"

namespace protmc::scenario {

namespace {

model::TtmPlacement to_model(Placement placement) {
  switch (placement) {
    case Placement::kSystem:
      return model::TtmPlacement::kSystem;
    case Placement::kSystemWc:
      return model::TtmPlacement::kSystemWc;
    case Placement::kSystemUc:
      return model::TtmPlacement::kSystemUc;
    case Placement::kSystemDma:
      return model::TtmPlacement::kSystemDma;
    case Placement::kVram:
      return model::TtmPlacement::kVram;
  }
  CHECK_MSG(false, "unknown placement");
  return model::TtmPlacement::kSystem;
}

model::VvarPage to_model(VvarPage page) {
  switch (page) {
    case VvarPage::kData:
      return model::VvarPage::kData;
    case VvarPage::kPvclock:
      return model::VvarPage::kPvclock;
    case VvarPage::kHvclock:
      return model::VvarPage::kHvclock;
  }
  CHECK_MSG(false, "unknown vvar page");
  return model::VvarPage::kData;
}

model::SplitCaller to_model(SplitVia via) {
  switch (via) {
    case SplitVia::kMprotect:
      return model::SplitCaller::kMprotect;
    case SplitVia::kMadvise:
      return model::SplitCaller::kMadvise;
    case SplitVia::kWriteFault:
      return model::SplitCaller::kWriteFault;
    case SplitVia::kUnmap:
      return model::SplitCaller::kUnmapMappingRange;
    case SplitVia::kReclaim:
      return model::SplitCaller::kReclaim;
  }
  CHECK_MSG(false, "unknown split caller");
  return model::SplitCaller::kMprotect;
}

uint32_t prot_bits(const Prot& prot) {
  return (prot.read ? model::PROT_READ : 0) | (prot.write ? model::PROT_WRITE : 0) |
         (prot.exec ? model::PROT_EXEC : 0);
}

model::ScenarioOp to_model(const Operation& op) {
  return std::visit(
      [](const auto& o) -> model::ScenarioOp {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, Fault>) {
          return model::FaultOp{o.page, o.write};
        } else if constexpr (std::is_same_v<T, BoMove>) {
          return model::BoMoveOp{to_model(o.to), o.pipelined};
        } else if constexpr (std::is_same_v<T, BoSwapout>) {
          return model::BoSwapoutOp{};
        } else if constexpr (std::is_same_v<T, Mprotect>) {
          return model::MprotectOp{o.first, o.count, prot_bits(o.prot)};
        } else if constexpr (std::is_same_v<T, SplitHugePmd>) {
          return model::SplitHugePmdOp{o.page, to_model(o.via)};
        } else {
          static_assert(std::is_same_v<T, MadviseDontneed>);
          return model::MadviseDontneedOp{o.first, o.count};
        }
      },
      op);
}

bool selected(const Scenario& scenario, Property property) {
  return std::find(scenario.properties.begin(), scenario.properties.end(), property) !=
         scenario.properties.end();
}

}  // namespace

model::KernelKnobs resolve_knobs(const Scenario& scenario,
                                 std::optional<model::KernelPreset> preset_override) {
  if (!preset_override) return scenario.kernel.knobs;
  model::KernelKnobs knobs = model::preset_knobs(*preset_override);
  for (const auto& [name, value] : scenario.kernel.overrides) {
    const std::string error = model::set_knob(knobs, name, value);
    CHECK_MSG(error.empty(), "the loader validated every knob override");
  }
  return knobs;
}

std::string kernel_label(const Scenario& scenario,
                         std::optional<model::KernelPreset> preset_override) {
  std::string label(model::to_string(preset_override.value_or(scenario.kernel.preset)));
  std::string overrides;
  for (const auto& [name, value] : scenario.kernel.overrides) {
    overrides += (overrides.empty() ? "" : ", ") + name + "=" + value;
  }
  if (!overrides.empty()) label += " (" + overrides + ")";
  return label;
}

ConfigResult to_config(const Scenario& scenario, std::string_view proposal,
                       std::optional<model::KernelPreset> preset_override) {
  ConfigResult result;
  model::ScenarioConfig& config = result.config;
  config.name = scenario.name;
  config.knobs = resolve_knobs(scenario, preset_override);
  config.sev_active = scenario.platform.sev;
  config.proposal = std::string(proposal);
  config.driver = scenario.mapping.driver == Driver::kVvar ? model::ScenarioDriver::kVvar
                                                           : model::ScenarioDriver::kTtm;
  config.pages = scenario.mapping.pages;
  for (VvarPage page : scenario.mapping.layout) config.vvar_layout.push_back(to_model(page));
  config.huge = scenario.mapping.huge;
  config.pmd_pages = scenario.mapping.pmd_pages;
  const Prot& prot = scenario.mapping.prot;
  config.vm_flags = (prot.read ? model::VM_READ : 0) | (prot.write ? model::VM_WRITE : 0) |
                    (prot.exec ? model::VM_EXEC : 0) |
                    (scenario.mapping.shared ? model::VM_SHARED : 0);
  config.placement = to_model(scenario.bo.value_or(Bo{}).placement);
  config.initial_faulted = scenario.initial_faulted;
  for (const Thread& thread : scenario.threads) {
    model::ScenarioThread& t = config.threads.emplace_back();
    t.name = thread.name;
    for (const Operation& op : thread.ops) t.ops.push_back(to_model(op));
  }
  config.check_pte_attributes = selected(scenario, Property::kPteAttributes);
  config.check_pte_permission = selected(scenario, Property::kPtePermission);

  if (std::string problem = model::scenario_unsupported(config); !problem.empty()) {
    result.error = scenario.path + ": " + problem;
  }
  return result;
}

bool finding_counts(const Scenario& scenario, const checker::Finding& finding) {
  if (finding.property == checker::kInternalError || finding.property == checker::kLivelock) {
    return true;
  }
  const std::optional<Property> property = parse_property(finding.property);
  return property && selected(scenario, *property);
}

std::optional<Expectation> applicable_expectation(
    const Scenario& scenario, std::string_view proposal,
    std::optional<model::KernelPreset> preset_override) {
  if (preset_override && *preset_override != scenario.kernel.preset) return std::nullopt;
  const std::optional<Proposal> named = parse_proposal(proposal);
  if (!named) return std::nullopt;
  if (scenario.proposal && *scenario.proposal != *named) return std::nullopt;
  return scenario.expect.for_proposal(*named);
}

checker::ExploreOptions explore_options(const Scenario& scenario,
                                        const std::optional<Expectation>& expectation) {
  checker::ExploreOptions options;
  const std::optional<checker::Strategy> strategy =
      checker::parse_strategy(to_string(scenario.explore.strategy));
  CHECK_MSG(strategy.has_value(), "every scenario strategy is an engine strategy");
  options.strategy = *strategy;
  options.seed = scenario.explore.seed;
  if (scenario.explore.max_executions) {
    options.bounds.max_executions = *scenario.explore.max_executions;
  }
  if (scenario.explore.time_limit_s) options.bounds.time_limit_s = *scenario.explore.time_limit_s;
  if (scenario.explore.max_steps) options.bounds.max_steps = *scenario.explore.max_steps;
  if (scenario.explore.preemption_bound) {
    options.bounds.preemption_bound =
        static_cast<uint32_t>(std::min<uint64_t>(*scenario.explore.preemption_bound, UINT32_MAX));
  }
  options.detectors.data_races = selected(scenario, Property::kDataRace);
  options.detectors.deadlocks = selected(scenario, Property::kDeadlock);
  options.detectors.lock_order = selected(scenario, Property::kLockOrder);
  if (expectation && expectation->verdict == Verdict::kViolation && expectation->property) {
    const std::string expected(to_string(*expectation->property));
    options.stop_on = [expected](const checker::Finding& f) { return f.property == expected; };
  } else {
    options.stop_on = [scenario_properties = scenario.properties](const checker::Finding& f) {
      if (f.property == checker::kInternalError || f.property == checker::kLivelock) return true;
      const std::optional<Property> p = parse_property(f.property);
      return p && std::find(scenario_properties.begin(), scenario_properties.end(), *p) !=
                      scenario_properties.end();
    };
  }
  return options;
}

Verdict scenario_verdict(const Scenario& scenario, const checker::ExploreResult& result) {
  for (const checker::Counterexample& cex : result.findings) {
    if (finding_counts(scenario, cex.finding)) return Verdict::kViolation;
  }
  return result.stats.complete ? Verdict::kPass : Verdict::kIncomplete;
}

bool as_expected(const Expectation& expectation, Verdict verdict,
                 const checker::ExploreResult& result) {
  if (verdict != expectation.verdict) return false;
  if (verdict != Verdict::kViolation || !expectation.property) return true;
  const std::string_view expected = to_string(*expectation.property);
  return std::any_of(
      result.findings.begin(), result.findings.end(),
      [&](const checker::Counterexample& cex) { return cex.finding.property == expected; });
}

}  // namespace protmc::scenario
