// End-to-end tests of `protmc matrix` and `protmc gate`: run the built binary
// on the shipped scenarios and on scenarios written here, check exit
// statuses, the tables, and the gate's JUnit XML (parsed back with a small
// XML reader) and Markdown files.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

const std::string kScenarios = std::string(PROTMC_SOURCE_DIR) + "/scenarios";

using protmc_test::read_file;
using protmc_test::RunResult;

// Runs `protmc ARGS` (ARGS is shell text) and captures everything.
RunResult protmc(const std::string& args) { return protmc_test::run_protmc(args, "mg"); }

// The registered proposals, from `protmc list proposals` (names at column 0,
// descriptions indented).
std::vector<std::string> registered_proposals() {
  const RunResult r = protmc("list proposals");
  std::vector<std::string> names;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line[0] != ' ') names.push_back(line);
  }
  return names;
}

// --- A small XML reader: elements, attributes, text, the five entities and
// numeric character references; enough to check the JUnit file is well
// formed and to read its structure. Throws std::runtime_error on bad XML. ---

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<std::unique_ptr<XmlElement>> children;
  std::string text;

  std::vector<const XmlElement*> all(const std::string& child_name) const {
    std::vector<const XmlElement*> found;
    for (const auto& child : children) {
      if (child->name == child_name) found.push_back(child.get());
    }
    return found;
  }
};

class XmlReader {
 public:
  explicit XmlReader(std::string text) : text_(std::move(text)) {}

  std::unique_ptr<XmlElement> document() {
    skip_space();
    if (text_.compare(pos_, 5, "<?xml") == 0) {
      pos_ = text_.find("?>", pos_);
      if (pos_ == std::string::npos) fail("unterminated declaration");
      pos_ += 2;
    }
    skip_space();
    std::unique_ptr<XmlElement> root = element();
    skip_space();
    if (pos_ != text_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("XML: " + what + " at offset " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char ch) {
    if (pos_ >= text_.size() || text_[pos_] != ch) fail(std::string("expected '") + ch + "'");
    ++pos_;
  }
  std::string name() {
    const size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
            text_[pos_] == '-' || text_[pos_] == ':' || text_[pos_] == '.')) {
      ++pos_;
    }
    if (pos_ == start) fail("expected a name");
    return text_.substr(start, pos_ - start);
  }
  // Character data up to `end`, with references resolved; '<' is refused.
  std::string chars(char end) {
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != end) {
      const char ch = text_[pos_];
      if (ch == '<') fail("'<' in character data");
      if (ch != '&') {
        out += ch;
        ++pos_;
        continue;
      }
      const size_t semi = text_.find(';', pos_);
      if (semi == std::string::npos) fail("unterminated reference");
      const std::string ref = text_.substr(pos_ + 1, semi - pos_ - 1);
      static const std::map<std::string, char> kEntities = {
          {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
      if (const auto it = kEntities.find(ref); it != kEntities.end()) {
        out += it->second;
      } else if (ref.size() > 1 && ref[0] == '#') {
        out += static_cast<char>(std::stoi(ref.substr(1)));
      } else {
        fail("unknown entity &" + ref + ";");
      }
      pos_ = semi + 1;
    }
    return out;
  }
  std::unique_ptr<XmlElement> element() {
    auto e = std::make_unique<XmlElement>();
    expect('<');
    e->name = name();
    while (true) {
      skip_space();
      if (pos_ >= text_.size()) fail("unterminated start tag");
      if (text_[pos_] == '/') {
        ++pos_;
        expect('>');
        return e;
      }
      if (text_[pos_] == '>') {
        ++pos_;
        break;
      }
      const std::string attribute = name();
      skip_space();
      expect('=');
      skip_space();
      expect('"');
      std::string value = chars('"');
      expect('"');
      if (!e->attributes.emplace(attribute, std::move(value)).second) {
        fail("attribute " + attribute + " given twice");
      }
    }
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated element " + e->name);
      if (text_.compare(pos_, 2, "</") == 0) {
        pos_ += 2;
        if (name() != e->name) fail("mismatched end tag of " + e->name);
        skip_space();
        expect('>');
        return e;
      }
      if (text_[pos_] == '<') {
        e->children.push_back(element());
      } else {
        e->text += chars('<');
      }
    }
  }

  std::string text_;
  size_t pos_ = 0;
};

class MatrixGate : public protmc_test::TempDirTest {
 protected:
  std::string dir() const { return "'" + dir_.string() + "'"; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
};

// mprotect after a fault on VRAM under SEV, v5.3, fake-vma: a pte-attributes
// violation (scenarios/mprotect-after-fault-vram-sev.json), with `expect`.
std::string mprotect_scenario(const std::string& name, const std::string& expect) {
  return R"({"name": ")" + name + R"(", "kernel": "v5.3", "platform": {"sev": true},
  "proposal": "fake-vma", "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"},
  "initial": {"faulted": [0]},
  "threads": [{"name": "mprotect", "ops": [{"op": "mprotect", "first": 0, "count": 2, "prot": ["read"]}]}],
  "properties": ["pte-attributes"], "expect": )" +
         expect + "}";
}

// The unlocked bo->mem read (scenarios/unlocked-bo-mem-read.json): a data
// race under fake-vma, a pass under the other proposals.
std::string unlocked_read_scenario(const std::string& name, const std::string& tags,
                                   const std::string& explore = "") {
  return R"({"name": ")" + name + R"(", "kernel": "v5.3",
  "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"},
  "threads": [{"name": "cpu0", "ops": [{"op": "fault", "page": 0}]},
              {"name": "evict", "ops": [{"op": "bo_move", "to": "system"}]}],
  "properties": ["data-race"], "tags": )" +
         tags + explore + "}";
}

// --- matrix ---

TEST_F(MatrixGate, MatrixOnTheShippedBatteryIsAsExpectedAndNamesEveryProposal) {
  const RunResult r = protmc("matrix '" + kScenarios + "'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;  // no progress line off a terminal
  const std::vector<std::string> proposals = registered_proposals();
  ASSERT_EQ(proposals.size(), 5u);
  for (const std::string& proposal : proposals) {
    EXPECT_NE(r.out.find(proposal), std::string::npos) << proposal << "\n" << r.out;
  }
  for (const char* scenario : {"two-faults-one-bo", "unlocked-bo-mem-read",
                               "mprotect-after-fault-vram-sev", "dma-mmap-prepare-moving-bo"}) {
    EXPECT_NE(r.out.find(std::string("\n") + scenario + " "), std::string::npos) << scenario;
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m,
                                std::regex(R"((\d+) results, (\d+) as expected, 0 differ, )"
                                           R"([0-9.]+ s)")))
      << r.out;
  EXPECT_EQ(m[1], m[2]);
  EXPECT_EQ(r.out.find('*'), std::string::npos) << r.out;
  // The table fits 100 columns.
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) EXPECT_LE(line.size(), 100u) << line;
}

TEST_F(MatrixGate, MatrixDefaultsToScenariosInTheWorkingDirectory) {
  const RunResult r = protmc("matrix --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("scenarios"), std::string::npos) << r.out;
  const std::string command = "cd '" + std::string(PROTMC_SOURCE_DIR) + "' && '" + PROTMC_BINARY +
                              "' matrix >/dev/null 2>&1";
  const int raw = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 0);
}

TEST_F(MatrixGate, MatrixJsonHasEveryResult) {
  const RunResult r = protmc("matrix '" + kScenarios + "' --format json");
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::vector<std::string> proposals = j.at("proposals").get<std::vector<std::string>>();
  EXPECT_EQ(proposals, registered_proposals());
  const nlohmann::json& results = j.at("results");
  ASSERT_FALSE(results.empty());
  for (const nlohmann::json& result : results) {
    EXPECT_EQ(result.at("differs"), false) << result.dump();
    EXPECT_EQ(result.at("as_expected"), true) << result.dump();
    if (result.at("verdict") == "violation") {
      EXPECT_TRUE(result.at("property").is_string()) << result.dump();
    }
  }
  EXPECT_EQ(j.at("summary").at("results"), results.size());
  EXPECT_EQ(j.at("summary").at("differ"), 0);
}

TEST_F(MatrixGate, MatrixMarksAResultThatDiffersAndExitsOne) {
  write("right.json",
        mprotect_scenario("right", R"({"verdict": "violation", "property": "pte-attributes"})"));
  write("wrong.json", mprotect_scenario("wrong", R"({"verdict": "pass"})"));
  const RunResult r = protmc("matrix " + dir());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  std::smatch m;
  // The row of "wrong" marks its fake-vma cell, the row of "right" nothing.
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\nwrong +([^\n]+))"))) << r.out;
  EXPECT_NE(m[1].str().find("attr"), std::string::npos) << r.out;
  EXPECT_NE(m[1].str().find('*'), std::string::npos) << r.out;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(\nright +([^\n]+))"))) << r.out;
  EXPECT_EQ(m[1].str().find('*'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("* differs from the expectation"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrong[fake-vma]: expected pass, got violation (pte-attributes)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 results, 1 as expected, 1 differ"), std::string::npos) << r.out;

  const RunResult j = protmc("matrix " + dir() + " --format json");
  EXPECT_EQ(j.status, 1);
  const nlohmann::json json = nlohmann::json::parse(j.out);
  for (const nlohmann::json& result : json.at("results")) {
    EXPECT_EQ(result.at("differs"), result.at("scenario") == "wrong") << result.dump();
  }
}

TEST_F(MatrixGate, MatrixBadInputExitsTwo) {
  write("bad.json", R"({"name": "bad", "kernel": "v9.9"})");
  const RunResult bad = protmc("matrix " + dir());
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.err.find("bad.json:"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty()) << bad.out;

  const RunResult missing = protmc("matrix '" + path("no-such-dir") + "'");
  EXPECT_EQ(missing.status, 2) << missing.out;
}

// --- gate ---

TEST_F(MatrixGate, GateWithTheLandedFixPassesTheShippedBattery) {
  const RunResult r = protmc("gate '" + kScenarios + "' --proposal per-page-prot");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("gate passed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unlocked-bo-mem-read"), std::string::npos) << r.out;
  // Only gate-tagged scenarios run.
  EXPECT_EQ(r.out.find("mprotect-after-faults-dma-sev"), std::string::npos) << r.out;
}

TEST_F(MatrixGate, GateWithAProposalThatBreaksAGateScenarioExitsOne) {
  const RunResult r = protmc("gate '" + kScenarios + "' --proposal fake-vma");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("gate FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unlocked-bo-mem-read[fake-vma]: data-race: "), std::string::npos) << r.out;
}

TEST_F(MatrixGate, GateJunitAndMarkdownFiles) {
  write("race.json", unlocked_read_scenario("race", R"(["gate"])"));
  write("iomem.json", R"({"name": "iomem", "kernel": "v5.6", "platform": {"sev": true},
  "mapping": {"driver": "ttm", "pages": 2}, "bo": {"placement": "vram"},
  "initial": {"faulted": [0, 1]},
  "threads": [{"name": "mprotect", "ops": [{"op": "mprotect", "first": 0, "count": 2, "prot": ["read"]}]},
              {"name": "cpu0", "ops": [{"op": "fault", "page": 1}]}],
  "tags": ["sev", "gate"]})");
  write("untagged.json", unlocked_read_scenario("untagged", R"(["move"])"));
  const std::string junit = path("junit.xml");
  const std::string markdown = path("summary.md");
  const RunResult r = protmc("gate " + dir() + " --proposal per-page-prot --proposal fake-vma" +
                             " --junit '" + junit + "' --markdown '" + markdown + "'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;

  std::unique_ptr<XmlElement> suite;
  ASSERT_NO_THROW(suite = XmlReader(read_file(junit)).document()) << read_file(junit);
  EXPECT_EQ(suite->name, "testsuite");
  EXPECT_EQ(suite->attributes.at("tests"), "4");
  EXPECT_EQ(suite->attributes.at("failures"), "1");
  EXPECT_EQ(suite->attributes.at("skipped"), "0");
  std::set<std::string> names;
  std::vector<const XmlElement*> failures;
  for (const XmlElement* testcase : suite->all("testcase")) {
    names.insert(testcase->attributes.at("name"));
    for (const XmlElement* failure : testcase->all("failure")) {
      EXPECT_EQ(testcase->attributes.at("name"), "race[fake-vma]");
      failures.push_back(failure);
    }
    EXPECT_TRUE(testcase->all("skipped").empty());
  }
  EXPECT_EQ(names, (std::set<std::string>{"race[per-page-prot]", "race[fake-vma]",
                                          "iomem[per-page-prot]", "iomem[fake-vma]"}));
  ASSERT_EQ(failures.size(), 1u);
  const std::string message = failures[0]->attributes.at("message");
  EXPECT_EQ(message.rfind("data-race: data race on bo->mem", 0), 0u) << message;
  EXPECT_EQ(failures[0]->attributes.at("type"), "data-race");
  EXPECT_NE(failures[0]->text.find("protmc run "), std::string::npos) << failures[0]->text;
  EXPECT_NE(failures[0]->text.find("bo->mem"), std::string::npos) << failures[0]->text;
  // The failure names the trace, written beside the JUnit file, which replays.
  const std::string text = failures[0]->text;
  const size_t at = text.find("trace: ");
  ASSERT_NE(at, std::string::npos) << text;
  const std::string trace = text.substr(at + 7, text.find('\n', at) - at - 7);
  EXPECT_EQ(trace, path("protmc-traces/race--fake-vma--data-race.json"));
  EXPECT_TRUE(std::filesystem::exists(trace)) << trace;
  EXPECT_EQ(protmc("replay '" + trace + "'").status, 0);
  EXPECT_NE(r.out.find("    trace: " + trace), std::string::npos) << r.out;

  const std::string md = read_file(markdown);
  EXPECT_NE(md.find("| scenario | per-page-prot | fake-vma |\n|---|---|---|\n"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| iomem | pass | pass |"), std::string::npos) << md;
  EXPECT_NE(md.find("| race | pass | violation (data-race) |"), std::string::npos) << md;
  EXPECT_NE(md.find("`race[fake-vma]` | data-race | data race on bo-&gt;mem"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("untagged"), std::string::npos) << md;
  EXPECT_NE(md.find("| `" + trace + "` |"), std::string::npos) << md;
}

TEST_F(MatrixGate, GateJsonHasEveryTestCaseAndTheTracePaths) {
  write("race.json", unlocked_read_scenario("race", R"(["gate"])"));
  const std::string traces = path("traces");
  const RunResult r = protmc("gate " + dir() +
                             " --proposal per-page-prot --proposal fake-vma --format json "
                             "--trace-dir '" +
                             traces + "'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const nlohmann::json json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["proposals"], nlohmann::json::array({"per-page-prot", "fake-vma"}));
  ASSERT_EQ(json["results"].size(), 2u);
  for (const nlohmann::json& result : json["results"]) {
    EXPECT_FALSE(result.contains("expected")) << result;
    if (result["proposal"] == "fake-vma") {
      EXPECT_EQ(result["verdict"], "violation");
      EXPECT_EQ(result["property"], "data-race");
      const std::string trace = result["trace"];
      EXPECT_EQ(trace, traces + "/race--fake-vma--data-race.json");
      EXPECT_TRUE(std::filesystem::exists(trace));
    } else {
      EXPECT_EQ(result["verdict"], "pass");
      EXPECT_TRUE(result["trace"].is_null());
    }
  }
  EXPECT_EQ(json["summary"]["test_cases"], 2);
  EXPECT_EQ(json["summary"]["violation"], 1);
  EXPECT_EQ(json["summary"]["outcome"], "failed");
}

TEST_F(MatrixGate, GatePassingWritesJunitWithoutFailures) {
  write("race.json", unlocked_read_scenario("race", R"(["gate"])"));
  const std::string junit = path("junit.xml");
  const RunResult r = protmc("gate " + dir() + " --proposal write-once --junit '" + junit + "'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  std::unique_ptr<XmlElement> suite = XmlReader(read_file(junit)).document();
  EXPECT_EQ(suite->attributes.at("tests"), "1");
  EXPECT_EQ(suite->attributes.at("failures"), "0");
  ASSERT_EQ(suite->all("testcase").size(), 1u);
  EXPECT_TRUE(suite->all("testcase")[0]->children.empty());
}

TEST_F(MatrixGate, GateIncompleteExitsThreeAndIsSkippedInJunit) {
  write("budget.json",
        unlocked_read_scenario("budget", R"(["gate"])", R"(, "explore": {"max_executions": 1})"));
  const std::string junit = path("junit.xml");
  const RunResult r = protmc("gate " + dir() + " --proposal per-page-prot --junit '" + junit + "'");
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("gate INCOMPLETE"), std::string::npos) << r.out;
  std::unique_ptr<XmlElement> suite = XmlReader(read_file(junit)).document();
  EXPECT_EQ(suite->attributes.at("skipped"), "1");
  ASSERT_EQ(suite->all("testcase").size(), 1u);
  EXPECT_EQ(suite->all("testcase")[0]->all("skipped").size(), 1u);
}

TEST_F(MatrixGate, GateUnknownProposalExitsTwoWithTheKnownNames) {
  const RunResult r = protmc("gate '" + kScenarios + "' --proposal no-such-lock");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.err.find("unknown proposal 'no-such-lock'"), std::string::npos) << r.err;
  for (const std::string& proposal : registered_proposals()) {
    EXPECT_NE(r.err.find(proposal), std::string::npos) << proposal << "\n" << r.err;
  }
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(MatrixGate, GateUsageErrorsExitTwo) {
  EXPECT_EQ(protmc("gate '" + kScenarios + "'").status, 2);  // --proposal is required
  write("untagged.json", unlocked_read_scenario("untagged", R"(["move"])"));
  const RunResult none = protmc("gate " + dir() + " --proposal per-page-prot");
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("tagged \"gate\""), std::string::npos) << none.err;
  const RunResult unwritable =
      protmc("gate '" + kScenarios + "' --proposal per-page-prot --junit '" +
             path("no/such/dir/junit.xml") + "'");
  EXPECT_EQ(unwritable.status, 2);
  EXPECT_TRUE(unwritable.out.empty()) << unwritable.out;
}

}  // namespace
