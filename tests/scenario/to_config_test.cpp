// Scenario -> ScenarioConfig, explore options and verdicts
// (tools/scenario/to_config.hpp), on scenarios loaded from text.
#include "tools/scenario/to_config.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tools/scenario/loader.hpp"

namespace protmc::scenario {
namespace {

Scenario load(const std::string& text) {
  LoadResult result = load_scenario_text(text, "t.json");
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.diagnostics[0].to_string());
  return result.scenarios.empty() ? Scenario{} : result.scenarios[0];
}

const char* kBase = R"({"name": "t", "kernel": {"preset": "v5.3", "pte_modify_keeps_cbit": true},
  "platform": {"sev": true}, "mapping": {"driver": "ttm", "pages": 2, "flags": ["read", "shared"]},
  "bo": {"placement": "system-wc"}, "initial": {"faulted": [1]},
  "threads": [{"name": "a", "ops": [{"op": "fault", "page": 0, "write": true},
                                    {"op": "bo_move", "to": "vram"}]},
              {"name": "b", "ops": [{"op": "mprotect", "first": 0, "count": 2, "prot": []},
                                    {"op": "madvise_dontneed", "first": 1, "count": 1}]}],
  "properties": ["pte-attributes", "deadlock"],
  "expect": {"fake-vma": {"verdict": "violation", "property": "pte-attributes"}}})";

TEST(ToConfig, ConvertsEveryField) {
  const Scenario s = load(kBase);
  const ConfigResult r = to_config(s, "fake-vma", std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error;
  const model::ScenarioConfig& c = r.config;
  EXPECT_EQ(c.proposal, "fake-vma");
  EXPECT_TRUE(c.knobs.pte_modify_keeps_cbit);
  EXPECT_TRUE(c.sev_active);
  EXPECT_EQ(c.pages, 2u);
  EXPECT_EQ(c.vm_flags, model::VM_READ | model::VM_SHARED);
  EXPECT_EQ(c.placement, model::TtmPlacement::kSystemWc);
  EXPECT_EQ(c.initial_faulted, std::vector<uint32_t>{1});
  ASSERT_EQ(c.threads.size(), 2u);
  EXPECT_EQ(std::get<model::FaultOp>(c.threads[0].ops[0]).write, true);
  EXPECT_EQ(std::get<model::BoMoveOp>(c.threads[0].ops[1]).to, model::TtmPlacement::kVram);
  EXPECT_EQ(std::get<model::MprotectOp>(c.threads[1].ops[0]).prot, model::PROT_NONE);
  EXPECT_EQ(std::get<model::MadviseDontneedOp>(c.threads[1].ops[1]).first, 1u);
  EXPECT_TRUE(c.check_pte_attributes);
  EXPECT_FALSE(c.check_pte_permission);
}

TEST(ToConfig, KernelOverrideKeepsTheScenariosKnobs) {
  const Scenario s = load(kBase);
  const model::KernelKnobs knobs = resolve_knobs(s, model::KernelPreset::kV5_7);
  EXPECT_TRUE(knobs.pte_modify_keeps_cbit);
  EXPECT_EQ(knobs.special_huge_split, model::SpecialHugeSplit::kClear);
  EXPECT_EQ(kernel_label(s, model::KernelPreset::kV5_7), "v5.7 (pte_modify_keeps_cbit=true)");
}

TEST(ToConfig, ExpectationsAndOptions) {
  const Scenario s = load(kBase);
  const auto e = applicable_expectation(s, "fake-vma", std::nullopt);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->verdict, Verdict::kViolation);
  EXPECT_FALSE(applicable_expectation(s, "per-page-prot", std::nullopt).has_value());
  EXPECT_FALSE(applicable_expectation(s, "fake-vma", model::KernelPreset::kV5_6).has_value());
  EXPECT_TRUE(applicable_expectation(s, "fake-vma", model::KernelPreset::kV5_3).has_value());

  const checker::ExploreOptions options = explore_options(s, e);
  EXPECT_FALSE(options.detectors.data_races);
  EXPECT_TRUE(options.detectors.deadlocks);
  EXPECT_FALSE(options.detectors.lock_order);
  ASSERT_TRUE(options.stop_on);
  EXPECT_TRUE(options.stop_on(checker::Finding{"pte-attributes", "", {}, {}, ""}));
  EXPECT_FALSE(options.stop_on(checker::Finding{"deadlock", "", {}, {}, ""}));
  const checker::ExploreOptions no_expectation = explore_options(s, std::nullopt);
  EXPECT_TRUE(no_expectation.stop_on(checker::Finding{"deadlock", "", {}, {}, ""}));
  EXPECT_FALSE(no_expectation.stop_on(checker::Finding{"data-race", "", {}, {}, ""}));
}

TEST(ToConfig, VerdictsCountOnlySelectedProperties) {
  const Scenario s = load(kBase);
  checker::ExploreResult result;
  result.stats.complete = true;
  result.findings.push_back(checker::Counterexample{});
  result.findings[0].finding.property = "kernel-bug";
  EXPECT_EQ(scenario_verdict(s, result), Verdict::kPass);
  result.findings[0].finding.property = "pte-attributes";
  EXPECT_EQ(scenario_verdict(s, result), Verdict::kViolation);
  EXPECT_TRUE(as_expected(Expectation{Verdict::kViolation, Property::kPteAttributes},
                          Verdict::kViolation, result));
  EXPECT_FALSE(as_expected(Expectation{Verdict::kViolation, Property::kDeadlock},
                           Verdict::kViolation, result));
  EXPECT_FALSE(as_expected(Expectation{Verdict::kPass, std::nullopt}, Verdict::kViolation, result));
}

TEST(ToConfig, RefusesWhatTheModelCannotRun) {
  auto refusal = [](const std::string& text, const std::string& proposal = "per-page-prot") {
    return to_config(load(text), proposal, std::nullopt).error;
  };
  const std::string head = R"({"name": "t", "kernel": "v5.7", )";
  const std::string one_fault =
      R"("threads": [{"name": "a", "ops": [{"op": "fault", "page": 0}]}]})";
  EXPECT_EQ(refusal(head + R"("mapping": {"driver": "ttm", "pages": 32}, )" + one_fault),
            "t.json: a TTM mapping of 32 pages is not modelled: the model's buffer object has "
            "1..16 pages");
  EXPECT_NE(
      refusal(head + R"("mapping": {"driver": "ttm", "pages": 2, "flags": ["read"]}, )" + one_fault)
          .find("a private TTM mapping is not modelled"),
      std::string::npos);
  // TTM huge faults are modelled; huge PMDs in the vvar mapping are not.
  EXPECT_EQ(
      refusal(head + R"("mapping": {"driver": "ttm", "pages": 2, "huge": true}, )" + one_fault),
      "");
  EXPECT_NE(refusal(head + R"("mapping": {"driver": "vvar", "layout": ["data"], "huge": true},
     "threads": [{"name": "a", "ops": [{"op": "fault", "page": 0}]}]})")
                .find("huge PMDs in the vvar mapping are not modelled"),
            std::string::npos);
  const std::string vvar = refusal(head + R"("mapping": {"driver": "vvar", "layout": ["data"]},
     "threads": [{"name": "a", "ops": [{"op": "fault", "page": 0, "write": true}]}]})");
  EXPECT_TRUE(vvar.starts_with("t.json: the vvar driver is not modelled yet") ||
              vvar == "t.json: thread a: a write fault on the read-only vvar mapping")
      << vvar;
  // system <-> system-dma keeps the mappings but not the pages.
  EXPECT_NE(
      refusal(head + R"("mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "system-dma"},
     "threads": [{"name": "a", "ops": [{"op": "bo_swapout"}]}]})")
          .find("thread a: bo_swapout: a move from system-dma to system"),
      std::string::npos);
  EXPECT_EQ(refusal(head + R"("mapping": {"driver": "ttm", "pages": 2}, )" + one_fault), "");
}

}  // namespace
}  // namespace protmc::scenario
