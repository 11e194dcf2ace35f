// Bad input of every class (docs/reliability.md) through the loaders and the
// built binary: the fuzz regression corpus (fuzz/regressions/), huge and
// out-of-range values, deep nesting, and traces truncated at every point or
// edited. Each must give `FILE:LINE:COLUMN: message` and status 2 (or, for an
// edit that keeps the trace well-formed, a replay that says it did not
// reproduce), never a crash or a hang.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/diagnostics_check.hpp"
#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/trace/trace_file.hpp"

namespace {

namespace fs = std::filesystem;
using protmc_test::RunResult;

const fs::path kSource = PROTMC_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every line of `err` carries a FILE:LINE:COLUMN: message diagnostic.
::testing::AssertionResult all_positioned(const std::string& err) {
  static const std::regex kPositioned(R"([^\s:]+:[0-9]+:[0-9]+: \S)");
  std::istringstream lines(err);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    if (!std::regex_search(line, kPositioned)) {
      return ::testing::AssertionFailure() << "unpositioned diagnostic: " << line;
    }
  }
  if (count == 0) return ::testing::AssertionFailure() << "no diagnostic at all";
  return ::testing::AssertionSuccess();
}

class BadInput : public protmc_test::TempDirTest {
 protected:
  RunResult protmc(const std::string& args) {
    return protmc_test::run_protmc_to(args, (dir_ / "stdout").string(), (dir_ / "stderr").string());
  }
  // `protmc validate` on a scenario text: status 2 and positioned diagnostics.
  void expect_rejected_scenario(const std::string& text, const std::string& message_part) {
    const fs::path path = write("scenario.json", text);
    const RunResult r = protmc("validate '" + path.string() + "'");
    EXPECT_EQ(r.status, 2) << text << "\n" << r.out << r.err;
    EXPECT_TRUE(all_positioned(r.err)) << text;
    EXPECT_NE(r.err.find(message_part), std::string::npos) << text << "\n" << r.err;
  }
};

TEST_F(BadInput, FuzzRegressionScenariosGivePositionedDiagnosticsAndNoCrash) {
  const std::vector<fs::path> files = files_in(kSource / "fuzz/regressions/scenario_loader");
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    const protmc::scenario::LoadResult loaded =
        protmc::scenario::load_scenario_text(read_text(file), file.string());
    EXPECT_EQ(protmc::fuzz::unpositioned_diagnostic(loaded.diagnostics), "") << file;
    const RunResult r = protmc("validate '" + file.string() + "'");
    EXPECT_TRUE(r.status == 0 || r.status == 2) << file << ": status " << r.status << r.err;
    if (r.status == 2) {
      EXPECT_TRUE(all_positioned(r.err)) << file;
    }
  }
}

TEST_F(BadInput, FuzzRegressionTracesGivePositionedDiagnosticsAndNoCrash) {
  const std::vector<fs::path> files = files_in(kSource / "fuzz/regressions/trace_loader");
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    const protmc::trace::TraceLoadResult loaded =
        protmc::trace::load_trace_text(read_text(file), file.string());
    EXPECT_EQ(protmc::fuzz::unpositioned_diagnostic(loaded.diagnostics), "") << file;
    const RunResult r = protmc("replay '" + file.string() + "'");
    EXPECT_TRUE(r.status <= 2) << file << ": status " << r.status << r.err;
    if (r.status == 2) {
      EXPECT_TRUE(all_positioned(r.err)) << file;
    }
  }
}

// A valid scenario with `field_text` spliced in as the value of explore's
// `field` (or replacing the mapping's pages).
std::string scenario_with(const std::string& explore_member, const std::string& pages = "2") {
  return R"({"name": "s", "description": "d", "kernel": {"preset": "v5.3"},
  "proposal": "fake-vma", "mapping": {"driver": "ttm", "pages": )" +
         pages + R"(},
  "threads": [{"name": "t", "ops": [{"op": "fault", "page": 0}]}],
  "explore": {)" +
         explore_member + R"(},
  "expect": {"verdict": "pass"}})";
}

TEST_F(BadInput, TheHugeValuesTemplateIsValid) {
  const fs::path path = write("ok.json", scenario_with(R"("max_steps": 1000)"));
  const RunResult r = protmc("validate '" + path.string() + "'");
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(BadInput, HugeValuesAreOutOfRangeDiagnostics) {
  expect_rejected_scenario(scenario_with(R"("max_steps": 18446744073709551616)"),
                           ":4:28: explore.max_steps must be a whole number");
  expect_rejected_scenario(scenario_with(R"("max_executions": 1e300)"), "max_executions");
  expect_rejected_scenario(scenario_with(R"("seed": -1)"), "seed");
  expect_rejected_scenario(scenario_with(R"("time_limit_s": 1e999)"),
                           ":4:31: malformed JSON: number overflow parsing '1e999'");
  expect_rejected_scenario(scenario_with(R"("max_steps": 0)"), "max_steps");
  expect_rejected_scenario(scenario_with(R"("max_steps": 10)", "4294967296"), "pages");
  expect_rejected_scenario(scenario_with(R"("max_steps": 10)", "99999999999999999999999999"),
                           "pages");
}

TEST_F(BadInput, DeepNestingAndHugeStringsAreDiagnosticsNotCrashes) {
  expect_rejected_scenario(std::string(20000, '[') + std::string(20000, ']'), ":1:1: ");
  expect_rejected_scenario(std::string(20000, '['), ":1:20001: ");
  expect_rejected_scenario(
      R"({"name": ")" + std::string(1 << 20, 'x') + R"(", "threads": [[[[[[[[[[]]]]]]]]]]})",
      ":1:");
}

TEST_F(BadInput, TracesTruncatedAtAnyPointAreDiagnosticsWithPosition) {
  const fs::path example =
      kSource / "traces/examples/mprotect-after-fault-vram-sev--fake-vma--pte-attributes.json";
  const std::string text = read_text(example);
  ASSERT_GT(text.size(), 1000u);
  int checked = 0;
  // 200 cuts spread over the whole text (any length), the last one short of
  // the closing brace.
  for (std::size_t i = 0; i < 200; ++i) {
    const std::size_t cut = i * (text.size() - 1) / 200;
    const protmc::trace::TraceLoadResult loaded =
        protmc::trace::load_trace_text(text.substr(0, cut), "cut.json");
    ASSERT_FALSE(loaded.ok()) << "cut at " << cut;
    ASSERT_EQ(protmc::fuzz::unpositioned_diagnostic(loaded.diagnostics), "") << "cut at " << cut;
    ++checked;
  }
  EXPECT_GE(checked, 200);
  for (const std::size_t cut : {std::size_t{0}, text.size() / 3, text.size() - 2}) {
    const fs::path path = write("cut.json", text.substr(0, cut));
    const RunResult r = protmc("replay '" + path.string() + "'");
    EXPECT_EQ(r.status, 2) << "cut at " << cut << r.out;
    EXPECT_TRUE(all_positioned(r.err)) << "cut at " << cut;
  }
}

// `text` with the first occurrence of `from` replaced by `to`.
std::string edited(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST_F(BadInput, EditedTracesAreRefusedWithPositionOrDoNotReproduce) {
  const std::string text = read_text(
      kSource / "traces/examples/mprotect-after-fault-vram-sev--fake-vma--pte-attributes.json");
  struct Edit {
    std::string from;
    std::string to;
    int status;
  };
  const std::vector<Edit> edits = {
      {R"("proposal": "fake-vma")", R"("proposal": "no-such-proposal")", 2},
      {R"("preset": "v5.3")", R"("preset": "v9.9")", 2},
      {R"("version": 2)", R"("version": 99999999999999999999)", 2},
      {R"("schedule": [)", R"("schedule": [[4294967296, 0], )", 2},
      {R"("schedule": [)", R"("schedule": [[7, 0], )", 1},
      {R"("sev": true)", R"("sev": "yes")", 2},
  };
  for (const Edit& e : edits) {
    const fs::path path = write("edited.json", edited(text, e.from, e.to));
    const RunResult r = protmc("replay '" + path.string() + "'");
    EXPECT_EQ(r.status, e.status) << e.to << "\n" << r.out << r.err;
    if (e.status == 2) {
      EXPECT_TRUE(all_positioned(r.err)) << e.to;
    }
  }
}

}  // namespace
