// End-to-end tests of trace files through the built binary: `protmc run
// --trace-dir`, `protmc replay` (reproduced, not reproduced, bad input) and
// `protmc show`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/run_protmc.hpp"
#include "support/temp_dir_test.hpp"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const std::string kScenarios = std::string(PROTMC_SOURCE_DIR) + "/scenarios";
const std::string kTraceName = "mprotect-after-fault-vram-sev--fake-vma--pte-attributes.json";

using protmc_test::RunResult;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class TraceCli : public protmc_test::TempDirTest {
 protected:
  // Runs `protmc ARGS` (ARGS is shell text) with stdout and stderr captured
  // in dir_.
  RunResult protmc(const std::string& args) {
    return protmc_test::run_protmc_to(args, (dir_ / "stdout").string(), (dir_ / "stderr").string());
  }

  // Runs the mprotect-after-fault scenario with --trace-dir; returns the
  // trace's path.
  fs::path fresh_trace() {
    const RunResult r = protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json' " +
                               "--trace-dir '" + (dir_ / "traces").string() + "'");
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    const fs::path path = dir_ / "traces" / kTraceName;
    EXPECT_TRUE(fs::exists(path)) << r.out;
    EXPECT_NE(r.out.find("trace saved to " + path.string()), std::string::npos) << r.out;
    return path;
  }

  // The trace at `path`, changed by `edit`, written next to it as `name`.
  template <typename Edit>
  fs::path edited(const fs::path& path, const std::string& name, Edit edit) {
    Json trace = Json::parse(read_file(path));
    edit(trace);
    const fs::path out = dir_ / name;
    write_file(out, trace.dump(2));
    return out;
  }
};

TEST_F(TraceCli, RunWritesOneTracePerFindingAndJsonGivesItsPath) {
  const RunResult r =
      protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json' --format json " +
             "--trace-dir '" + (dir_ / "t").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json out = Json::parse(r.out);
  const Json& finding = out["results"][0]["findings"][0];
  ASSERT_TRUE(finding["trace"].is_string()) << finding.dump();
  const fs::path path = finding["trace"].get<std::string>();
  EXPECT_EQ(path.filename(), kTraceName);
  const Json trace = Json::parse(read_file(path));
  EXPECT_EQ(trace["format"], "protmc-trace");
  EXPECT_EQ(trace["version"], 2);
  EXPECT_EQ(trace["scenario"]["text"],
            read_file(kScenarios + "/mprotect-after-fault-vram-sev.json"));
  EXPECT_EQ(trace["proposal"], "fake-vma");
  EXPECT_EQ(trace["kernel"]["preset"], "v5.3");
  EXPECT_EQ(trace["kernel"]["pte_modify_keeps_cbit"], false);
  EXPECT_EQ(trace["platform"]["sev"], true);
  EXPECT_EQ(trace["finding"]["property"], "pte-attributes");
  EXPECT_FALSE(trace["events"].empty());
  EXPECT_EQ(trace["schedule"].size(), trace["events"].size());
  // Without --trace-dir, "trace" stays the list of events.
  const RunResult plain =
      protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json' --format json");
  EXPECT_TRUE(Json::parse(plain.out)["results"][0]["findings"][0]["trace"].is_array());
}

TEST_F(TraceCli, TraceDirIsForScenariosOnly) {
  const RunResult r = protmc("run --program readers --trace-dir '" + dir_.string() + "'");
  EXPECT_EQ(r.status, 2);
}

TEST_F(TraceCli, FreshTraceReplays) {
  const fs::path path = fresh_trace();
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("reproduced: pte-attributes"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("differ"), std::string::npos) << r.out;
}

TEST_F(TraceCli, ReplayKeepsGoingAfterAShortSchedule) {
  const fs::path path = edited(fresh_trace(), "short.json", [](Json& t) {
    Json& schedule = t["schedule"];
    schedule.erase(schedule.begin() + 10, schedule.end());
  });
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("the recorded schedule ended at step 10"), std::string::npos) << r.out;
}

TEST_F(TraceCli, EditedScheduleDivergesAndDoesNotReproduce) {
  const fs::path path = edited(fresh_trace(), "edited.json", [](Json& t) {
    t["schedule"][3] = Json::array({7, 0});  // there is no thread 7
  });
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("the schedule diverged: step 3: recorded thread 7 is not enabled"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("NOT reproduced"), std::string::npos) << r.out;
}

TEST_F(TraceCli, ReplayJsonSaysWhetherItReproduced) {
  const fs::path good = fresh_trace();
  const RunResult ok = protmc("replay '" + good.string() + "' --format json");
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;
  const Json yes = Json::parse(ok.out);
  EXPECT_EQ(yes["trace"], good.string());
  EXPECT_EQ(yes["proposal"], "fake-vma");
  EXPECT_EQ(yes["recorded"]["property"], "pte-attributes");
  EXPECT_EQ(yes["reproduced"], true);
  EXPECT_EQ(yes["location"], yes["recorded"]["location"]);
  EXPECT_TRUE(yes["divergence"].is_null());
  EXPECT_EQ(yes["recorded_choices"], yes["replayed_steps"]);

  const fs::path bad = edited(good, "edited.json", [](Json& t) {
    t["schedule"][3] = Json::array({7, 0});  // there is no thread 7
  });
  const RunResult no = protmc("replay '" + bad.string() + "' --format json");
  EXPECT_EQ(no.status, 1) << no.out << no.err;
  const Json json = Json::parse(no.out);
  EXPECT_EQ(json["reproduced"], false);
  EXPECT_EQ(json["diverged"], true);
  EXPECT_NE(json["divergence"].get<std::string>().find("recorded thread 7 is not enabled"),
            std::string::npos)
      << no.out;
  EXPECT_TRUE(json["location"].is_null());
}

TEST_F(TraceCli, ChangedKnobDoesNotReproduce) {
  // The same schedule with pte_modify() keeping the C-bit (the v5.7 fix):
  // the execution follows the schedule but the PTE is right.
  const fs::path path = edited(fresh_trace(), "fixed.json",
                               [](Json& t) { t["kernel"]["pte_modify_keeps_cbit"] = true; });
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("no pte-attributes finding on this schedule"), std::string::npos) << r.out;
}

TEST_F(TraceCli, TruncatedTraceIsBadInputWithPosition) {
  const fs::path path = fresh_trace();
  const std::string text = read_file(path);
  const fs::path truncated = dir_ / "truncated.json";
  write_file(truncated, text.substr(0, text.size() / 3));
  for (const char* command : {"replay", "show"}) {
    const RunResult r = protmc(std::string(command) + " '" + truncated.string() + "'");
    EXPECT_EQ(r.status, 2) << command;
    EXPECT_NE(r.err.find(truncated.string() + ":"), std::string::npos) << r.err;
    // FILE:LINE:COLUMN: message
    const std::string rest = r.err.substr(truncated.string().size() + 1);
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(rest[0]))) << r.err;
    EXPECT_NE(rest.find(':'), std::string::npos) << r.err;
  }
}

TEST_F(TraceCli, MalformedFieldIsBadInputWithPosition) {
  const fs::path path =
      edited(fresh_trace(), "bad.json", [](Json& t) { t["schedule"][0] = "main"; });
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(path.string() + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("schedule[0] must be a [thread, value] pair"), std::string::npos) << r.err;
}

TEST_F(TraceCli, ScenarioTextNotMatchingItsSha256IsBadInput) {
  const fs::path path = edited(fresh_trace(), "sha.json", [](Json& t) {
    std::string text = t["scenario"]["text"].get<std::string>();
    text.replace(text.find("\"count\": 2"), 10, "\"count\": 1");
    t["scenario"]["text"] = text;
  });
  const RunResult r = protmc("replay '" + path.string() + "'");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.err.find("does not match its SHA-256"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(TraceCli, MissingTraceIsBadInput) {
  EXPECT_EQ(protmc("replay '" + (dir_ / "none.json").string() + "'").status, 2);
  EXPECT_EQ(protmc("show '" + (dir_ / "none.json").string() + "'").status, 2);
  EXPECT_EQ(protmc("replay").status, 2);
}

TEST_F(TraceCli, ShowPrintsTheRunRendering) {
  const fs::path path = fresh_trace();
  const RunResult shown = protmc("show '" + path.string() + "'");
  ASSERT_EQ(shown.status, 0) << shown.err;
  for (const char* text :
       {"scenario mprotect-after-fault-vram-sev", "proposal fake-vma, kernel v5.3", "SEV",
        "finding 1 of 1: pte-attributes", "do_mprotect_pkey", "change_pte_range", "insert_pfn",
        "[mm->mmap_sem"}) {
    EXPECT_NE(shown.out.find(text), std::string::npos) << text << "\n" << shown.out;
  }
  // The finding and its events are exactly what `run` printed.
  const RunResult run = protmc("run '" + kScenarios + "/mprotect-after-fault-vram-sev.json'");
  const std::string from_run = run.out.substr(run.out.find("  finding 1 of 1"));
  const std::string from_show = shown.out.substr(shown.out.find("  finding 1 of 1"));
  EXPECT_EQ(from_show, from_run);
}

}  // namespace
