// End-to-end tests of `protmc validate`: run the built binary on good and bad
// scenario files and directories, check exit status, stdout and stderr.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

const std::string kData = PROTMC_SCENARIO_TEST_DATA;

using protmc_test::read_file;
using protmc_test::RunResult;

// Runs `protmc ARGS` (ARGS is shell text) and captures everything.
RunResult protmc(const std::string& args) { return protmc_test::run_protmc(args, "validate"); }

class ValidateCli : public protmc_test::TempDirTest {
 protected:
};

TEST_F(ValidateCli, ValidFileIsOkWithStatusZero) {
  const std::string path = kData + "/issue_example.json";
  const RunResult r = protmc("validate '" + path + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, path + ": ok\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(ValidateCli, ShippedScenarioDirectoryIsValid) {
  const RunResult r = protmc(std::string("validate '") + PROTMC_SOURCE_DIR + "/scenarios'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("fault-vs-move-vram-to-system.json: ok"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("schema.json"), std::string::npos) << r.out;
}

TEST_F(ValidateCli, MalformedJsonIsStatusTwoWithPosition) {
  const std::string path = write("bad.json", "{\n  \"name\": \"x\",\n  \"kernel\" \"v5.3\"\n}\n");
  const RunResult r = protmc("validate '" + path + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind(path + ":3:12: malformed JSON: ", 0), 0u) << r.err;
}

TEST_F(ValidateCli, SchemaViolationIsStatusTwoWithPosition) {
  std::string text = read_file(kData + "/issue_example.json");
  text.replace(text.find("\"fault\""), 7, "\"fualt\"");
  const std::string path = write("fualt.json", text);
  const RunResult r = protmc("validate '" + path + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, path +
                       ":11:38: unknown operation \"fualt\"; expected one of fault, bo_move, "
                       "bo_swapout, mprotect, split_huge_pmd, madvise_dontneed\n");
}

TEST_F(ValidateCli, MixedDirectoryReportsOkAndErrorsAndStatusTwo) {
  const std::string example = read_file(kData + "/issue_example.json");
  const std::string good = write("a-good.json", example);
  const std::string dup = write("b-dup.json", example);
  const RunResult r = protmc("validate '" + dir_.string() + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, good + ": ok\n");
  EXPECT_NE(r.err.find(dup + ":2:11: duplicate scenario name"), std::string::npos) << r.err;
}

TEST_F(ValidateCli, MissingFileAndUsageErrorsAreStatusTwo) {
  const RunResult r = protmc("validate '" + dir_.string() + "/none.json'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("none.json: cannot read"), std::string::npos) << r.err;
  EXPECT_EQ(protmc("validate").status, 2);
}

TEST_F(ValidateCli, HelpDescribesTheCommand) {
  const RunResult r = protmc("validate --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("FILE: ok"), std::string::npos) << r.out;
}

}  // namespace
