// Loading scenario files: the issue's example round-trips, and every class of
// bad input is refused with file:line:column and a plain message.
#include "tools/scenario/loader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tools/scenario/sha256.hpp"

namespace protmc::scenario {
namespace {

const std::string kData = PROTMC_SCENARIO_TEST_DATA;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The diagnostics of loading `text` as x.json, one string each.
std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> out;
  for (const Diagnostic& d : load_scenario_text(text, "x.json").diagnostics) {
    out.push_back(d.to_string());
  }
  return out;
}

// A valid scenario; tests replace parts of it.
const std::string kMinimal = R"({
  "name": "m",
  "kernel": "v5.7",
  "mapping": {"driver": "ttm", "pages": 4, "huge": true},
  "threads": [
    {"name": "a", "ops": [{"op": "fault", "page": 1}]}
  ]
})";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(LoadScenario, IssueExampleRoundTripsEveryField) {
  const std::string path = kData + "/issue_example.json";
  const LoadResult result = load_scenario_file(path);
  ASSERT_TRUE(result.ok()) << result.diagnostics[0].to_string();
  ASSERT_EQ(result.scenarios.size(), 1u);
  const Scenario& s = result.scenarios[0];
  EXPECT_EQ(s.name, "fault-vs-move-vram-to-system");
  EXPECT_EQ(s.description, "free text");
  EXPECT_EQ(s.kernel.preset, model::KernelPreset::kV5_3);
  EXPECT_TRUE(s.kernel.overrides.empty());
  EXPECT_EQ(s.kernel.knobs, model::preset_knobs(model::KernelPreset::kV5_3));
  EXPECT_TRUE(s.platform.sev);
  EXPECT_EQ(s.proposal, Proposal::kFakeVma);
  EXPECT_EQ(s.mapping.driver, Driver::kTtm);
  EXPECT_EQ(s.mapping.pages, 4u);
  EXPECT_TRUE(s.mapping.layout.empty());
  EXPECT_FALSE(s.mapping.huge);
  EXPECT_EQ(s.mapping.pmd_pages, 2u);
  EXPECT_EQ(s.mapping.prot, (Prot{true, true, false}));
  EXPECT_TRUE(s.mapping.shared);
  ASSERT_TRUE(s.bo.has_value());
  EXPECT_EQ(s.bo->placement, Placement::kVram);
  EXPECT_EQ(s.initial_faulted, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(s.threads.size(), 2u);
  EXPECT_EQ(s.threads[0].name, "cpu0");
  ASSERT_EQ(s.threads[0].ops.size(), 1u);
  EXPECT_EQ(s.threads[0].ops[0], Operation(Fault{1, true}));
  EXPECT_EQ(s.threads[1].name, "evict");
  ASSERT_EQ(s.threads[1].ops.size(), 1u);
  EXPECT_EQ(s.threads[1].ops[0], Operation(BoMove{Placement::kSystem}));
  EXPECT_EQ(operation_name(s.threads[1].ops[0]), "bo_move");
  EXPECT_EQ(s.properties, (std::vector<Property>{Property::kPteAttributes, Property::kDataRace}));
  EXPECT_EQ(s.explore.strategy, Strategy::kDpor);
  EXPECT_EQ(s.explore.max_executions, 1000000u);
  EXPECT_EQ(s.explore.time_limit_s, 60.0);
  EXPECT_EQ(s.explore.seed, 1u);
  EXPECT_FALSE(s.explore.max_steps.has_value());
  EXPECT_FALSE(s.explore.preemption_bound.has_value());
  EXPECT_EQ(s.tags, (std::vector<std::string>{"gate"}));
  ASSERT_TRUE(s.expect.all.has_value());
  EXPECT_EQ(s.expect.all->verdict, Verdict::kViolation);
  EXPECT_EQ(s.expect.all->property, Property::kPteAttributes);
  EXPECT_EQ(s.expect.for_proposal(Proposal::kWriteOnce), s.expect.all);
  EXPECT_EQ(s.path, path);
  EXPECT_EQ(s.sha256, sha256_hex(read_text(path)));
}

TEST(LoadScenario, DefaultsOfOptionalFields) {
  const LoadResult result = load_scenario_text(kMinimal, "x.json");
  ASSERT_TRUE(result.ok()) << result.diagnostics[0].to_string();
  const Scenario& s = result.scenarios[0];
  EXPECT_EQ(s.description, "");
  EXPECT_FALSE(s.platform.sev);
  EXPECT_FALSE(s.proposal.has_value());
  EXPECT_EQ(s.mapping.prot, (Prot{true, true, false}));
  EXPECT_TRUE(s.mapping.shared);
  ASSERT_TRUE(s.bo.has_value());
  EXPECT_EQ(s.bo->placement, Placement::kSystem);
  EXPECT_TRUE(s.initial_faulted.empty());
  EXPECT_EQ(s.properties, all_properties());
  EXPECT_EQ(s.explore, Explore{});
  EXPECT_TRUE(s.tags.empty());
  EXPECT_EQ(s.expect, Expect{});
  EXPECT_FALSE(s.expect.for_proposal(Proposal::kFakeVma).has_value());
}

TEST(LoadScenario, EveryOperationKnobAndExpectPerProposal) {
  const std::string text = R"({
    "name": "all-ops",
    "kernel": {"preset": "v5.3", "pte_modify_keeps_cbit": true, "unmap_i_mmap_lock": "read",
               "special_huge_split": "rebuild"},
    "mapping": {"driver": "ttm", "pages": 4, "huge": true, "pmd_pages": 4, "flags": ["read", "exec"]},
    "bo": {"placement": "system-dma"},
    "threads": [
      {"name": "t", "ops": [
        {"op": "fault", "page": 3},
        {"op": "bo_move", "to": "system-wc"},
        {"op": "bo_swapout"},
        {"op": "mprotect", "first": 1, "count": 3, "prot": []},
        {"op": "split_huge_pmd", "page": 0, "via": "write_fault"},
        {"op": "madvise_dontneed", "first": 0, "count": 4}
      ]}
    ],
    "explore": {"strategy": "dfs", "max_steps": 500, "preemption_bound": 2, "seed": 7},
    "expect": {"fake-vma": {"verdict": "pass"},
               "write-once": {"verdict": "violation", "property": "data-race"},
               "per-page-prot": {"verdict": "incomplete"}}
  })";
  const LoadResult result = load_scenario_text(text, "x.json");
  ASSERT_TRUE(result.ok()) << result.diagnostics[0].to_string();
  const Scenario& s = result.scenarios[0];
  EXPECT_EQ(s.kernel.overrides.size(), 3u);
  EXPECT_TRUE(s.kernel.knobs.pte_modify_keeps_cbit);
  EXPECT_EQ(s.kernel.knobs.unmap_i_mmap_lock, model::IMmapLockMode::kRead);
  EXPECT_EQ(s.kernel.knobs.special_huge_split, model::SpecialHugeSplit::kRebuild);
  EXPECT_EQ(s.mapping.prot, (Prot{true, false, true}));
  EXPECT_FALSE(s.mapping.shared);
  EXPECT_EQ(s.mapping.pmd_pages, 4u);
  EXPECT_EQ(s.bo->placement, Placement::kSystemDma);
  const std::vector<Operation> expected = {
      Fault{3, false},        BoMove{Placement::kSystemWc},           BoSwapout{},
      Mprotect{1, 3, Prot{}}, SplitHugePmd{0, SplitVia::kWriteFault}, MadviseDontneed{0, 4}};
  EXPECT_EQ(s.threads[0].ops, expected);
  EXPECT_EQ(s.explore.strategy, Strategy::kDfs);
  EXPECT_EQ(s.explore.max_steps, 500u);
  EXPECT_EQ(s.explore.preemption_bound, 2u);
  EXPECT_EQ(s.explore.seed, 7u);
  EXPECT_FALSE(s.expect.all.has_value());
  EXPECT_EQ(s.expect.for_proposal(Proposal::kFakeVma), (Expectation{Verdict::kPass, {}}));
  EXPECT_EQ(s.expect.for_proposal(Proposal::kWriteOnce),
            (Expectation{Verdict::kViolation, Property::kDataRace}));
  EXPECT_EQ(s.expect.for_proposal(Proposal::kPerPageProt), (Expectation{Verdict::kIncomplete, {}}));
  EXPECT_FALSE(s.expect.for_proposal(Proposal::kVmProtLock).has_value());
}

TEST(LoadScenario, VvarMappingByLayout) {
  const std::string text = R"({
    "name": "v", "kernel": "v5.6", "platform": {"sev": true},
    "mapping": {"driver": "vvar", "layout": ["data", "pvclock", "hvclock"]},
    "threads": [{"name": "a", "ops": [{"op": "fault", "page": 2}]}]
  })";
  const LoadResult result = load_scenario_text(text, "x.json");
  ASSERT_TRUE(result.ok()) << result.diagnostics[0].to_string();
  const Scenario& s = result.scenarios[0];
  EXPECT_EQ(s.mapping.driver, Driver::kVvar);
  EXPECT_EQ(s.mapping.layout,
            (std::vector<VvarPage>{VvarPage::kData, VvarPage::kPvclock, VvarPage::kHvclock}));
  EXPECT_EQ(s.mapping.pages, 3u);
  EXPECT_EQ(s.mapping.prot, (Prot{true, false, false}));
  EXPECT_FALSE(s.bo.has_value());
}

TEST(LoadScenario, BoMoveMayBePipelined) {
  const std::string two_moves = replace(
      kMinimal, R"({"op": "fault", "page": 1})",
      R"({"op": "bo_move", "to": "vram", "pipelined": true}, {"op": "bo_move", "to": "system"})");
  const LoadResult result = load_scenario_text(two_moves, "x.json");
  ASSERT_TRUE(result.ok()) << result.diagnostics[0].to_string();
  const std::vector<Operation>& ops = result.scenarios[0].threads[0].ops;
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(std::get<BoMove>(ops[0]), (BoMove{Placement::kVram, true}));
  EXPECT_EQ(std::get<BoMove>(ops[1]), (BoMove{Placement::kSystem, false}));
  EXPECT_EQ(errors_of(replace(two_moves, "\"pipelined\": true", "\"pipelined\": 1")),
            std::vector<std::string>{
                "x.json:6:72: threads[0].ops[0].pipelined must be true or false, not a whole "
                "number"});
}

TEST(LoadScenario, UnknownOperation) {
  EXPECT_EQ(errors_of(replace(kMinimal, "\"op\": \"fault\"", "\"op\": \"fualt\"")),
            std::vector<std::string>{
                "x.json:6:34: unknown operation \"fualt\"; expected one of fault, bo_move, "
                "bo_swapout, mprotect, split_huge_pmd, madvise_dontneed"});
}

TEST(LoadScenario, UnknownFieldPointsAtTheKey) {
  EXPECT_EQ(errors_of(replace(kMinimal, "\"huge\": true", "\"huuge\": true")),
            std::vector<std::string>{"x.json:4:44: unknown field \"huuge\" in mapping; expected "
                                     "one of driver, pages, layout, huge, pmd_pages, flags"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"name\": \"m\",", "\"name\": \"m\", \"nmae\": 1,")),
            std::vector<std::string>{"x.json:2:16: unknown field \"nmae\" in the scenario; "
                                     "expected one of name, description, kernel, platform, "
                                     "proposal, mapping, bo, initial, threads, properties, "
                                     "explore, tags, expect"});
}

TEST(LoadScenario, WrongType) {
  EXPECT_EQ(
      errors_of(replace(kMinimal, "\"pages\": 4", "\"pages\": \"4\"")),
      std::vector<std::string>{"x.json:4:41: mapping.pages must be a whole number, not a string"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"page\": 1", "\"page\": 1.5")),
            std::vector<std::string>{"x.json:6:51: threads[0].ops[0].page must be a whole "
                                     "number, not a number with a fraction"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"huge\": true", "\"huge\": 1")),
            std::vector<std::string>{"x.json:4:52: mapping.huge must be true or false, not a "
                                     "whole number"});
}

TEST(LoadScenario, UnknownNames) {
  const auto one = [](const std::string& text) {
    const auto errors = errors_of(text);
    EXPECT_EQ(errors.size(), 1u);
    return errors.empty() ? std::string() : errors[0];
  };
  EXPECT_EQ(one(replace(kMinimal, "\"v5.7\"", "\"v5.8\"")),
            "x.json:3:13: unknown kernel preset \"v5.8\"; expected one of v5.3, v5.6, v5.7");
  EXPECT_EQ(one(replace(kMinimal, "\"kernel\": \"v5.7\"",
                        "\"kernel\": {\"preset\": \"v5.7\", \"huge_split\": \"clear\"}")),
            "x.json:3:32: unknown kernel knob \"huge_split\"; expected one of preset, "
            "pte_modify_keeps_cbit, unmap_i_mmap_lock, special_huge_split, "
            "pat_track_pfn_insert, ttm_decrypts_dma_pages, ttm_huge_faults");
  EXPECT_EQ(one(replace(kMinimal, "\"kernel\": \"v5.7\"",
                        "\"kernel\": {\"preset\": \"v5.7\", \"unmap_i_mmap_lock\": \"both\"}")),
            "x.json:3:53: bad value \"both\" for kernel knob unmap_i_mmap_lock; expected one of "
            "read, write");
  EXPECT_EQ(one(replace(kMinimal, "\"kernel\": \"v5.7\",",
                        "\"kernel\": \"v5.7\", \"proposal\": \"fake_vma\",")),
            "x.json:3:33: unknown proposal \"fake_vma\"; expected one of fake-vma, write-once, "
            "vm-prot-lock, per-page-prot, dma-mmap-prepare");
  EXPECT_EQ(one(replace(kMinimal, "\"kernel\": \"v5.7\",",
                        "\"kernel\": \"v5.7\", \"bo\": {\"placement\": \"gtt\"},")),
            "x.json:3:41: unknown placement \"gtt\"; expected one of system, system-wc, "
            "system-uc, system-dma, vram");
  EXPECT_EQ(one(replace(kMinimal, "\"kernel\": \"v5.7\",",
                        "\"kernel\": \"v5.7\", \"properties\": [\"pte-attributes\", \"races\"],")),
            "x.json:3:54: unknown property \"races\"; expected one of pte-attributes, "
            "pte-permission, kernel-bug, data-race, deadlock, lock-order");
  EXPECT_EQ(one(replace(kMinimal, "\"op\": \"fault\", \"page\": 1",
                        "\"op\": \"bo_move\", \"to\": \"iomem\"")),
            "x.json:6:51: unknown placement \"iomem\"; expected one of system, system-wc, "
            "system-uc, system-dma, vram");
}

TEST(LoadScenario, PagesOutOfRange) {
  EXPECT_EQ(errors_of(replace(kMinimal, "\"page\": 1", "\"page\": 4")),
            std::vector<std::string>{
                "x.json:6:51: page 4 is out of range: the mapping has 4 pages (0..3)"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"op\": \"fault\", \"page\": 1",
                              "\"op\": \"mprotect\", \"first\": 2, \"count\": 3, \"prot\": []")),
            std::vector<std::string>{
                "x.json:6:67: pages 2..4 are out of range: the mapping has 4 pages (0..3)"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"kernel\": \"v5.7\",",
                              "\"kernel\": \"v5.7\", \"initial\": {\"faulted\": [0, 9]},")),
            std::vector<std::string>{
                "x.json:3:48: page 9 is out of range: the mapping has 4 pages (0..3)"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"pages\": 4", "\"pages\": 65")),
            std::vector<std::string>{"x.json:4:41: mapping.pages is 65; it must be in 1..64"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"page\": 1", "\"page\": -1")),
            std::vector<std::string>{"x.json:6:51: threads[0].ops[0].page must not be negative"});
}

TEST(LoadScenario, VvarNeedsLayoutAndHasNoBo) {
  const std::string vvar = replace(kMinimal, "\"driver\": \"ttm\", \"pages\": 4, \"huge\": true",
                                   "\"driver\": \"vvar\"");
  EXPECT_EQ(errors_of(vvar),
            std::vector<std::string>{"x.json:4:14: a vvar mapping needs \"layout\": its pages by "
                                     "kind, each one of data, pvclock, hvclock"});
  const std::string with_bo =
      replace(replace(vvar, "\"driver\": \"vvar\"",
                      "\"driver\": \"vvar\", \"layout\": [\"data\", \"pvclock\"]"),
              "\"kernel\": \"v5.7\",", "\"kernel\": \"v5.7\", \"bo\": {\"placement\": \"vram\"},");
  EXPECT_EQ(errors_of(with_bo),
            std::vector<std::string>{"x.json:3:21: \"bo\" (the buffer object) is for ttm mappings "
                                     "only; this mapping's driver is vvar"});
  const std::string with_move =
      replace(replace(vvar, "\"driver\": \"vvar\"", "\"driver\": \"vvar\", \"layout\": [\"data\"]"),
              "\"op\": \"fault\", \"page\": 1", "\"op\": \"bo_swapout\"");
  EXPECT_EQ(errors_of(with_move),
            std::vector<std::string>{"x.json:6:34: operation \"bo_swapout\" needs a ttm mapping: "
                                     "a vvar mapping has no buffer object"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"pages\": 4", "\"pages\": 4, \"layout\": [\"data\"]")),
            std::vector<std::string>{"x.json:4:44: \"layout\" is for vvar mappings only; a ttm "
                                     "mapping gives \"pages\""});
}

TEST(LoadScenario, MissingRequiredFields) {
  EXPECT_EQ(
      errors_of(replace(kMinimal, "\"name\": \"m\",", "")),
      std::vector<std::string>{"x.json:1:1: missing required field \"name\" in the scenario"});
  EXPECT_EQ(errors_of(replace(kMinimal, ", \"page\": 1", "")),
            std::vector<std::string>{
                "x.json:6:27: missing required field \"page\" in threads[0].ops[0]"});
}

TEST(LoadScenario, ThreadNamesAreUnique) {
  EXPECT_EQ(
      errors_of(replace(kMinimal, "{\"name\": \"a\", \"ops\": [{\"op\": \"fault\", \"page\": 1}]}",
                        "{\"name\": \"a\", \"ops\": [{\"op\": \"bo_swapout\"}]},\n"
                        "    {\"name\": \"a\", \"ops\": [{\"op\": \"bo_swapout\"}]}")),
      std::vector<std::string>{"x.json:7:14: duplicate thread name \"a\" (first at line 6)"});
}

TEST(LoadScenario, ExpectRules) {
  const auto with_expect = [](const std::string& expect) {
    return errors_of(replace(kMinimal, "\"kernel\": \"v5.7\",",
                             "\"kernel\": \"v5.7\", \"expect\": " + expect + ","));
  };
  EXPECT_EQ(
      with_expect(R"({"verdict": "fails"})"),
      std::vector<std::string>{
          "x.json:3:43: unknown verdict \"fails\"; expected one of pass, violation, incomplete"});
  EXPECT_EQ(with_expect(R"({"verdict": "violation"})"),
            std::vector<std::string>{"x.json:3:31: an expected violation needs \"property\": one "
                                     "of pte-attributes, pte-permission, kernel-bug, data-race, "
                                     "deadlock, lock-order"});
  EXPECT_EQ(with_expect(R"({"fake-vma": {"verdict": "pass"}, "mmap-lock": {"verdict": "pass"}})"),
            std::vector<std::string>{
                "x.json:3:65: unknown proposal \"mmap-lock\" in expect; expected one of fake-vma, "
                "write-once, vm-prot-lock, per-page-prot, dma-mmap-prepare (or \"verdict\" and "
                "\"property\" for every proposal)"});
}

TEST(LoadScenario, CommentsDoNotShiftPositions) {
  const std::string commented =
      replace(kMinimal, "\"kernel\": \"v5.7\",",
              "/* a block comment\n     spanning lines */ \"kernel\": \"v5.7\", // trailing /* */");
  EXPECT_EQ(errors_of(replace(commented, "\"page\": 1", "\"page\": 7")),
            std::vector<std::string>{
                "x.json:7:51: page 7 is out of range: the mapping has 4 pages (0..3)"});
}

TEST(LoadScenario, MalformedJsonAndUnterminatedComment) {
  EXPECT_EQ(errors_of(replace(kMinimal, "\"pages\": 4,", "\"pages\": 4,,")),
            std::vector<std::string>{"x.json:4:43: malformed JSON: syntax error while parsing "
                                     "object key - unexpected ','; expected string literal"});
  EXPECT_EQ(errors_of(replace(kMinimal, "\"kernel\": \"v5.7\",", "\"kernel\": \"v5.7\", /* x")),
            std::vector<std::string>{
                "x.json:3:21: unterminated comment: \"/*\" without a closing \"*/\""});
}

TEST(LoadScenario, UnreadableFileIsADiagnosticWithoutPosition) {
  const LoadResult result = load_scenario_file(kData + "/no-such-file.json");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].line, 0u);
  EXPECT_EQ(result.diagnostics[0].to_string(),
            kData + "/no-such-file.json: cannot read: No such file or directory");
}

class ScenarioDir : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("protmc_scenario_dir_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(ScenarioDir, DuplicateNamesAreRefusedOnTheLaterFile) {
  write("a.json", kMinimal);
  write("b.json", "// same name\n" + kMinimal);
  write("c.json", replace(kMinimal, "\"name\": \"m\"", "\"name\": \"other\""));
  write("schema.json", "{\"not\": \"a scenario\"}");
  write("notes.txt", "ignored");
  const LoadResult result = load_scenario_dir(dir_.string());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  const std::string a = (dir_ / "a.json").string();
  const std::string b = (dir_ / "b.json").string();
  EXPECT_EQ(result.diagnostics[0].to_string(), b + ":3:11: duplicate scenario name \"m\" in " +
                                                   dir_.string() + " (also in " + a + ":2:11)");
  ASSERT_EQ(result.scenarios.size(), 2u);
  EXPECT_EQ(result.scenarios[0].path, a);
  EXPECT_EQ(result.scenarios[1].name, "other");
}

TEST(LoadScenario, ShippedScenariosAreValid) {
  const LoadResult result = load_scenario_dir(std::string(PROTMC_SOURCE_DIR) + "/scenarios");
  for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.to_string();
  EXPECT_FALSE(result.scenarios.empty());
}

}  // namespace
}  // namespace protmc::scenario
