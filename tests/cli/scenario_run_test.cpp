// End-to-end tests of `protmc run SCENARIO|DIR...` and `protmc list`: run the
// built binary on the shipped scenarios and on scenarios written here, check
// exit statuses, text and JSON output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

const std::string kScenarios = std::string(PROTMC_SOURCE_DIR) + "/scenarios";

using protmc_test::RunResult;

// Runs `protmc ARGS` (ARGS is shell text) and captures everything.
RunResult protmc(const std::string& args) { return protmc_test::run_protmc(args, "scn"); }

class ScenarioRun : public protmc_test::TempDirTest {
 protected:
};

// A fault + mprotect scenario on VRAM under SEV, v5.3, with `expect` and
// `extra` spliced in.
std::string mprotect_scenario(const std::string& expect, const std::string& extra = "") {
  return R"({"name": "m", "kernel": "v5.3", "platform": {"sev": true}, "proposal": "fake-vma",
  "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"},
  "initial": {"faulted": [0]},
  "threads": [{"name": "mprotect", "ops": [{"op": "mprotect", "first": 0, "count": 2, "prot": ["read"]}]}],
  "properties": ["pte-attributes"])" +
         extra + R"(, "expect": )" + expect + "}";
}

TEST_F(ScenarioRun, MprotectAfterFaultVramSevIsTheExpectedViolation) {
  const RunResult r = protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("scenario mprotect-after-fault-vram-sev"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("proposal fake-vma, kernel v5.3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: violation (pte-attributes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("as expected"), std::string::npos) << r.out;
  // The message, unwrapped.
  std::string flat;
  std::istringstream words(r.out);
  for (std::string word; words >> word;) flat += word + " ";
  EXPECT_NE(flat.find("PTE for page 0 (pfn 0x108, iomem-wc) is WC, encrypted but the memory "
                      "requires WC, decrypted"),
            std::string::npos)
      << r.out;
  // Kernel function names in the trace.
  for (const char* function :
       {"do_mprotect_pkey", "change_pte_range", "do_user_addr_fault", "insert_pfn"}) {
    EXPECT_NE(r.out.find(function), std::string::npos) << function << "\n" << r.out;
  }
  // Lines fit an email; only the header may run longer, by the length of the
  // scenario's path, which depends on where the repository was cloned.
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(kScenarios) != std::string::npos) continue;
    EXPECT_LE(line.size(), 100u) << line;
  }
}

TEST_F(ScenarioRun, TraceHasOneColumnPerThread) {
  const RunResult r = protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json'");
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header;
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("    step ")) header = line;
    all.push_back(line);
  }
  // Two columns of 44 characters after the 9-character step column.
  ASSERT_EQ(header.find("    step main"), 0u) << r.out;
  const size_t second = header.find("mprotect");
  ASSERT_EQ(second, 9u + 44 + 2) << header;
  bool main_event = false;
  bool mprotect_event = false;
  for (const std::string& line : all) {
    if (line.find("do_user_addr_fault > ") == 9) main_event = true;
    if (line.find("do_mprotect_pkey: down_write mm->mmap_sem") == second) mprotect_event = true;
  }
  EXPECT_TRUE(main_event) << r.out;
  EXPECT_TRUE(mprotect_event) << r.out;
  // The PTE before and after the breaking step, in the mprotect column.
  EXPECT_NE(r.out.find(std::string(second, ' ') + "| pte[0]:"), std::string::npos) << r.out;
}

#if PROTMC_WITH_RELACY
TEST_F(ScenarioRun, RelacyEngineTakesTheKernelOverrideAndPrintsJson) {
  const std::string file = "'" + kScenarios + "/mprotect-after-fault-vram-sev.json'";
  const RunResult text = protmc("run " + file + " --engine relacy --kernel v5.7");
  EXPECT_EQ(text.status, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("kernel v5.7"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("engine relacy"), std::string::npos) << text.out;

  const RunResult json = protmc("run " + file + " --engine relacy --format json");
  EXPECT_EQ(json.status, 1) << json.err;
  const nlohmann::json result = nlohmann::json::parse(json.out)["results"][0];
  EXPECT_EQ(result["engine"], "relacy");
  EXPECT_EQ(result["search"], "full");
  EXPECT_EQ(result["verdict"], "violation");
  EXPECT_EQ(result["property"], "pte-attributes");
  EXPECT_FALSE(result["trace"].empty());

  // What the Relacy engine cannot do is refused, not ignored.
  EXPECT_EQ(protmc("run " + file + " --engine relacy --trace-dir '" + dir_.string() + "'").status,
            2);
  EXPECT_EQ(protmc("run " + file + " --engine relacy --strategy dfs").status, 2);
  EXPECT_EQ(protmc("run " + file + " --engine relacy --kernel v9").status, 2);
}
#endif

TEST_F(ScenarioRun, JsonOutputHasTheIssueFields) {
  const RunResult r =
      protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json' --format json");
  EXPECT_EQ(r.status, 0) << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["results"].size(), 1u);
  const nlohmann::json& result = json["results"][0];
  for (const char* field : {"scenario", "proposal", "kernel", "verdict", "findings", "executions",
                            "blocked", "complete", "elapsed_s", "expected", "as_expected"}) {
    EXPECT_TRUE(result.contains(field)) << field;
  }
  EXPECT_EQ(result["scenario"], "mprotect-after-fault-vram-sev");
  EXPECT_EQ(result["proposal"], "fake-vma");
  EXPECT_EQ(result["verdict"], "violation");
  EXPECT_EQ(result["expected"]["verdict"], "violation");
  EXPECT_EQ(result["expected"]["property"], "pte-attributes");
  EXPECT_EQ(result["as_expected"], true);
  ASSERT_FALSE(result["findings"].empty());
  const nlohmann::json& finding = result["findings"][0];
  EXPECT_EQ(finding["property"], "pte-attributes");
  EXPECT_TRUE(finding["message"].is_string());
  ASSERT_TRUE(finding["trace"].is_array());
  ASSERT_FALSE(finding["trace"].empty());
  const nlohmann::json& event = finding["trace"].back();
  for (const char* field :
       {"step", "thread", "functions", "operation", "object", "value", "locks_held", "notes"}) {
    EXPECT_TRUE(event.contains(field)) << field;
  }
  EXPECT_EQ(event["thread"], "mprotect");
}

TEST_F(ScenarioRun, WrongExpectationExitsOneAndIsNotAsExpected) {
  const std::string path = write("m.json", mprotect_scenario(R"({"verdict": "pass"})"));
  const RunResult r = protmc("run '" + path + "' --format json");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["results"][0]["verdict"], "violation");
  EXPECT_EQ(json["results"][0]["as_expected"], false);
  const RunResult text = protmc("run '" + path + "'");
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.out.find("NOT as expected"), std::string::npos) << text.out;
}

TEST_F(ScenarioRun, ExpectedViolationOfAnotherPropertyIsNotMet) {
  // The exploration keeps going past the pte-attributes finding, looking for
  // the expected (absent) data race, and covers everything.
  const std::string path =
      write("m.json", mprotect_scenario(R"({"verdict": "violation", "property": "data-race"})",
                                        R"(, "properties_unused": 0)"));
  // properties_unused is not a field: the file is bad input.
  EXPECT_EQ(protmc("run '" + path + "'").status, 2);
  const std::string good =
      write("n.json",
            R"({"name": "n", "kernel": "v5.3", "platform": {"sev": true}, "proposal": "fake-vma",
  "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"}, "initial": {"faulted": [0]},
  "threads": [{"name": "mprotect", "ops": [{"op": "mprotect", "first": 0, "count": 2, "prot": ["read"]}]}],
  "properties": ["pte-attributes", "data-race"],
  "expect": {"verdict": "violation", "property": "data-race"}})");
  const RunResult r = protmc("run '" + good + "' --format json");
  EXPECT_EQ(r.status, 1) << r.err;
  const nlohmann::json result = nlohmann::json::parse(r.out)["results"][0];
  EXPECT_EQ(result["verdict"], "violation");
  EXPECT_EQ(result["as_expected"], false);
  EXPECT_EQ(result["complete"], true);
}

TEST_F(ScenarioRun, UnsupportedFeatureIsBadInputNamingTheFile) {
  // A write fault on the read-only vvar mapping (refused as such when the
  // proposal has a vvar fault path; before that, the vvar driver is refused).
  const std::string path =
      write("v.json", R"({"name": "v", "kernel": "v5.7", "proposal": "per-page-prot",
  "mapping": {"driver": "vvar", "layout": ["data", "pvclock"]},
  "threads": [{"name": "a", "ops": [{"op": "fault", "page": 1, "write": true}]}]})");
  const RunResult r = protmc("run '" + path + "'");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.err.find(path + ": "), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("the vvar driver is not modelled yet") != std::string::npos ||
              r.err.find("a write fault on the read-only vvar mapping") != std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");

  const std::string partial =
      write("p.json", R"({"name": "p", "kernel": "v5.7", "proposal": "per-page-prot",
  "mapping": {"driver": "ttm", "pages": 4},
  "threads": [{"name": "a", "ops": [{"op": "mprotect", "first": 1, "count": 2, "prot": ["read"]}]}]})");
  // mprotect of part of the mapping runs (split_vma() is modelled); one
  // reaching past the mapping is refused by the loader, at the offending token.
  const RunResult p = protmc("run '" + partial + "'");
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.err.find("not modelled"), std::string::npos) << p.err;

  const std::string outside =
      write("o.json", R"({"name": "o", "kernel": "v5.7", "proposal": "per-page-prot",
  "mapping": {"driver": "ttm", "pages": 4},
  "threads": [{"name": "a", "ops": [{"op": "mprotect", "first": 3, "count": 2, "prot": ["read"]}]}]})");
  const RunResult o = protmc("run '" + outside + "'");
  EXPECT_EQ(o.status, 2) << o.out;
  EXPECT_NE(o.err.find(outside + ":3:"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("pages 3..4 are out of range: the mapping has 4 pages"), std::string::npos)
      << o.err;
}

TEST_F(ScenarioRun, BadScenarioFileIsBadInput) {
  const std::string path = write("bad.json", "{\"name\": \"x\",");
  const RunResult r = protmc("run '" + path + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
}

TEST_F(ScenarioRun, ProposalAndKernelOverrides) {
  const std::string path = kScenarios + "/mprotect-after-faults-iomem-sev.json";
  const RunResult r = protmc("run '" + path + "' --proposal per-page-prot --format json");
  EXPECT_EQ(r.status, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(r.out)["results"];
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["proposal"], "per-page-prot");
  EXPECT_EQ(results[0]["verdict"], "pass");
  // On v5.3 mprotect drops the C-bit; the scenario's expectation (for v5.6)
  // no longer applies, so the finding decides the status.
  const RunResult v53 =
      protmc("run '" + path + "' --proposal per-page-prot --kernel v5.3 --format json");
  EXPECT_EQ(v53.status, 1) << v53.err;
  const nlohmann::json result = nlohmann::json::parse(v53.out)["results"][0];
  EXPECT_EQ(result["kernel"], "v5.3");
  EXPECT_EQ(result["verdict"], "violation");
  EXPECT_TRUE(result["expected"].is_null());
  EXPECT_EQ(protmc("run '" + path + "' --proposal no-such").status, 2);
  EXPECT_EQ(protmc("run '" + path + "' --kernel v9.9").status, 2);
  EXPECT_EQ(protmc("run '" + path + "' --program account").status, 2);
}

TEST_F(ScenarioRun, ShippedBatteryIsAsExpected) {
  const RunResult r = protmc("run '" + kScenarios + "' --format json");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  const nlohmann::json results = nlohmann::json::parse(r.out)["results"];
  EXPECT_GE(results.size(), 10u);
  for (const nlohmann::json& result : results) {
    EXPECT_NE(result["as_expected"], false) << result["scenario"] << " " << result["proposal"];
    EXPECT_LT(result["elapsed_s"].get<double>(), 2.0) << result["scenario"];
  }
}

TEST(ListCommand, ListsProposalsPresetsOperationsProperties) {
  const RunResult proposals = protmc("list proposals");
  EXPECT_EQ(proposals.status, 0);
  for (const char* name : {"fake-vma", "per-page-prot", "write-once", "dma-mmap-prepare"}) {
    EXPECT_NE(proposals.out.find(std::string(name) + "\n"), std::string::npos) << name;
  }
  const RunResult presets = protmc("list presets");
  EXPECT_EQ(presets.status, 0);
  EXPECT_NE(presets.out.find("v5.3\n"), std::string::npos) << presets.out;
  EXPECT_NE(presets.out.find("pte_modify_keeps_cbit"), std::string::npos) << presets.out;
  const RunResult operations = protmc("list operations");
  EXPECT_EQ(operations.status, 0);
  EXPECT_NE(operations.out.find("bo_swapout\n"), std::string::npos) << operations.out;
  const RunResult properties = protmc("list properties");
  EXPECT_EQ(properties.status, 0);
  EXPECT_NE(properties.out.find("pte-attributes\n"), std::string::npos) << properties.out;
  EXPECT_EQ(protmc("list nothing").status, 2);
}

}  // namespace
