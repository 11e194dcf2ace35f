// tools/trace: trace files written and loaded back, and the loader's
// diagnostics for malformed and edited traces.
#include "tools/trace/trace_file.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tools/scenario/sha256.hpp"

namespace protmc::trace {
namespace {

TraceFile sample() {
  TraceFile t;
  t.scenario_file = "scenarios/example.json";
  t.scenario_text = "// a comment\n{\"name\": \"example\"}\n";
  t.scenario_sha256 = scenario::sha256_hex(t.scenario_text);
  t.proposal = "fake-vma";
  t.kernel_preset = "v5.3";
  t.knobs = knob_values(model::preset_knobs(model::KernelPreset::kV5_3));
  t.sev = true;
  t.schedule.choices = {{0, 0}, {0, 0}, {1, 0}, {2, 1}};
  t.trace.thread_names = {"main", "cpu0", "evict"};
  checker::TraceEvent e0;
  e0.step = 0;
  e0.thread = 0;
  e0.thread_name = "main";
  e0.operation = "spawn";
  e0.object = "cpu0";
  e0.value = 1;
  checker::TraceEvent e1;
  e1.step = 2;
  e1.thread = 1;
  e1.thread_name = "cpu0";
  e1.operation = "WRITE_ONCE";
  e1.object = "pte[0]";
  e1.value = 0x800000000010822fULL;
  e1.functions = {"do_user_addr_fault", "ttm_bo_vm_fault", "insert_pfn"};
  e1.locks_held = {"mm->mmap_sem (read)"};
  e1.notes = {"pte[0]: none -> pte 0x800000000010822f"};
  checker::TraceEvent e2;
  e2.step = 3;
  e2.thread = 2;
  e2.thread_name = "evict";
  e2.operation = "lock";
  e2.object = "bo->resv";
  t.trace.events = {e0, e1, e2};
  t.finding.property = "pte-attributes";
  t.finding.message = "PTE for page 0 is WC, encrypted";
  t.finding.steps = {2};
  t.finding.location = "insert_pfn";
  t.statistics = TraceStatistics{12, 3, false, 0.25};
  return t;
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(TraceFile, WriteThenLoadRoundTrips) {
  const TraceFile t = sample();
  const std::string text = to_text(t);
  const TraceLoadResult loaded = load_trace_text(text, "t.json");
  ASSERT_TRUE(loaded.ok()) << (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].to_string());
  const TraceFile& back = *loaded.trace;
  EXPECT_EQ(back.scenario_file, t.scenario_file);
  EXPECT_EQ(back.scenario_text, t.scenario_text);
  EXPECT_EQ(back.scenario_sha256, t.scenario_sha256);
  EXPECT_EQ(back.proposal, t.proposal);
  EXPECT_EQ(back.kernel_preset, t.kernel_preset);
  EXPECT_EQ(back.knobs, t.knobs);
  EXPECT_EQ(back.sev, t.sev);
  EXPECT_EQ(back.schedule, t.schedule);
  EXPECT_EQ(back.finding.property, t.finding.property);
  EXPECT_EQ(back.finding.message, t.finding.message);
  EXPECT_EQ(back.finding.steps, t.finding.steps);
  EXPECT_EQ(back.finding.location, t.finding.location);
  EXPECT_EQ(back.trace.thread_names, t.trace.thread_names);
  ASSERT_EQ(back.trace.events.size(), t.trace.events.size());
  EXPECT_EQ(back.trace.events[1].functions, t.trace.events[1].functions);
  EXPECT_EQ(back.trace.events[1].value, t.trace.events[1].value);
  EXPECT_EQ(back.trace.events[2].value, std::nullopt);
  EXPECT_EQ(back.statistics, t.statistics);
  // Written again, byte for byte the same: the field order is fixed.
  EXPECT_EQ(to_text(back), text);
}

TEST(TraceFile, FieldsAreWrittenInTheDocumentedOrder) {
  const std::string text = to_text(sample());
  size_t last = 0;
  for (const char* field :
       {"\"format\"", "\"version\"", "\"scenario\"", "\"proposal\"", "\"kernel\"", "\"platform\"",
        "\"schedule\"", "\"finding\"", "\"events\"", "\"statistics\""}) {
    const size_t at = text.find(field);
    ASSERT_NE(at, std::string::npos) << field;
    EXPECT_GT(at, last) << field;
    last = at;
  }
}

TEST(TraceFile, TruncatedTraceIsReportedWithLineAndColumn) {
  const std::string text = to_text(sample());
  const TraceLoadResult loaded = load_trace_text(text.substr(0, text.size() / 2), "t.json");
  ASSERT_FALSE(loaded.ok());
  ASSERT_FALSE(loaded.diagnostics.empty());
  EXPECT_GT(loaded.diagnostics[0].line, 1u);
  EXPECT_GT(loaded.diagnostics[0].column, 0u);
  EXPECT_NE(loaded.diagnostics[0].to_string().find("t.json:"), std::string::npos);
}

TEST(TraceFile, WrongTypeIsReportedAtTheValue) {
  const std::string text =
      replace(to_text(sample()), "\"executions\": 12", "\"executions\": \"12\"");
  const TraceLoadResult loaded = load_trace_text(text, "t.json");
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  const scenario::Diagnostic& d = loaded.diagnostics[0];
  EXPECT_NE(d.message.find("statistics.executions"), std::string::npos) << d.message;
  // The line that holds the value.
  size_t line = 1;
  for (size_t i = 0; i < text.find("\"executions\": \"12\""); ++i) line += text[i] == '\n';
  EXPECT_EQ(d.line, line);
}

TEST(TraceFile, UnknownFieldAndMissingFieldAreRefused) {
  std::string text =
      replace(to_text(sample()), "\"proposal\": \"fake-vma\",", "\"proposals\": \"fake-vma\",");
  const TraceLoadResult loaded = load_trace_text(text, "t.json");
  ASSERT_FALSE(loaded.ok());
  std::string all;
  for (const auto& d : loaded.diagnostics) all += d.to_string() + "\n";
  EXPECT_NE(all.find("unknown field \"proposals\""), std::string::npos) << all;
  EXPECT_NE(all.find("missing required field \"proposal\""), std::string::npos) << all;
}

TEST(TraceFile, EditedScenarioTextDoesNotMatchItsSha256) {
  const std::string text = replace(to_text(sample()), "{\\\"name\\\": \\\"example\\\"}",
                                   "{\\\"name\\\": \\\"edited\\\"}");
  const TraceLoadResult loaded = load_trace_text(text, "t.json");
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_NE(loaded.diagnostics[0].message.find("SHA-256"), std::string::npos);
  EXPECT_GT(loaded.diagnostics[0].line, 0u);
}

TEST(TraceFile, OtherFormatsAndVersionsAreRefused) {
  const std::string text = to_text(sample());
  const TraceLoadResult other = load_trace_text(replace(text, "protmc-trace", "other"), "t.json");
  ASSERT_EQ(other.diagnostics.size(), 1u);
  EXPECT_NE(other.diagnostics[0].message.find("not a protmc trace"), std::string::npos);
  const TraceLoadResult v3 =
      load_trace_text(replace(text, "\"version\": 2", "\"version\": 3"), "t.json");
  ASSERT_EQ(v3.diagnostics.size(), 1u);
  EXPECT_NE(v3.diagnostics[0].message.find("version 3"), std::string::npos);
  // Version 1 schedules chose spawns and joins: refused, saying why.
  const TraceLoadResult v1 =
      load_trace_text(replace(text, "\"version\": 2", "\"version\": 1"), "t.json");
  ASSERT_EQ(v1.diagnostics.size(), 1u);
  EXPECT_NE(v1.diagnostics[0].message.find("no longer steps"), std::string::npos);
  EXPECT_FALSE(load_trace_text("[]", "t.json").ok());
  EXPECT_FALSE(load_trace_text("", "t.json").ok());
}

TEST(TraceFile, FindingStepsMustBeEvents) {
  const std::string text =
      replace(to_text(sample()), "\"steps\": [\n      2\n    ]", "\"steps\": [\n      7\n    ]");
  const TraceLoadResult loaded = load_trace_text(text, "t.json");
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_NE(loaded.diagnostics[0].message.find("not an event"), std::string::npos);
}

TEST(TraceFile, KernelLabelNamesChangedKnobs) {
  TraceFile t = sample();
  EXPECT_EQ(kernel_label(t), "v5.3");
  for (auto& [name, value] : t.knobs) {
    if (name == "unmap_i_mmap_lock") value = "read";
  }
  EXPECT_EQ(kernel_label(t), "v5.3 (unmap_i_mmap_lock=read)");
}

TEST(TraceFile, FileNamesAreSafe) {
  EXPECT_EQ(trace_file_name("two-faults", "fake-vma", "data-race"),
            "two-faults--fake-vma--data-race.json");
  EXPECT_EQ(trace_file_name("a/b c", "p", "q"), "a_b_c--p--q.json");
}

TEST(TraceFile, MissingFileIsADiagnostic) {
  const TraceLoadResult loaded = load_trace_file("/nonexistent/trace.json");
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_NE(loaded.diagnostics[0].to_string().find("/nonexistent/trace.json: "), std::string::npos);
}

}  // namespace
}  // namespace protmc::trace
