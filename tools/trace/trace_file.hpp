// Counterexample trace files, format version 1 (traces/README.md,
// traces/schema.json): one finding of one scenario under one proposal, with
// the scenario's text embedded whole, the resolved kernel knobs, the schedule
// that replays it, the recorded events and the exploration's statistics.
// Fields are written in a fixed order (nlohmann::ordered_json), so that two
// traces diff well. Loading validates everything and never throws: every
// problem is a scenario::Diagnostic ("FILE:LINE:COLUMN: message").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checker/explore/explorer.hpp"
#include "model/kernel/knobs.hpp"
#include "tools/scenario/loader.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::trace {

inline constexpr std::string_view kFormatName = "protmc-trace";
// Version 2 (session 3): schedules no longer have choices for spawns and
// joins, which stopped being steps; a version-1 schedule would not replay.
inline constexpr int kFormatVersion = 2;

struct TraceStatistics {
  uint64_t executions = 0;
  uint64_t blocked = 0;
  bool complete = false;
  double elapsed_s = 0;
  friend bool operator==(const TraceStatistics&, const TraceStatistics&) = default;
};

struct TraceFile {
  // "scenario": the file as given to `run`, the SHA-256 of its bytes, and
  // the bytes themselves.
  std::string scenario_file;
  std::string scenario_sha256;
  std::string scenario_text;
  std::string proposal;
  // "kernel": the preset the run used (the scenario's, or --kernel) and every
  // knob's resolved value, as its textual value ("true", "write", ...), in
  // model::kernel_knob_table() order.
  std::string kernel_preset;
  std::vector<std::pair<std::string, std::string>> knobs;
  bool sev = false;
  checker::Schedule schedule;
  // property, message, steps and location; the detail is not recorded.
  checker::Finding finding;
  // The events; thread_names are rebuilt from the events when loading.
  checker::Trace trace;
  TraceStatistics statistics;
};

// A trace of `cex`, found by exploring `scenario` (whose file must still have
// the SHA-256 it was loaded with) under `proposal`. Returns an error message
// in `error` when the scenario file cannot be read back unchanged.
struct MakeTraceResult {
  TraceFile trace;
  std::string error;
  bool ok() const { return error.empty(); }
};
MakeTraceResult make_trace(const scenario::Scenario& scenario, std::string_view proposal,
                           std::optional<model::KernelPreset> preset_override,
                           const checker::Counterexample& cex, const checker::Stats& stats);

// The resolved knobs of `knobs`, in table order, as TraceFile::knobs.
std::vector<std::pair<std::string, std::string>> knob_values(const model::KernelKnobs& knobs);

// The knobs recorded in `trace`, applied to its preset's. Returns an error
// message, empty on success.
std::string recorded_knobs(const TraceFile& trace, model::KernelKnobs& knobs);

// "v5.3", or "v5.3 (pte_modify_keeps_cbit=false)" when knobs differ from the
// preset's (the way `run` names a kernel).
std::string kernel_label(const TraceFile& trace);

// The --kernel override the recorded run used: the recorded preset when it
// is not `scenario`'s own.
std::optional<model::KernelPreset> preset_override(const TraceFile& trace,
                                                   const scenario::Scenario& scenario);

// The kernel as `run` named it: scenario::kernel_label() of the embedded
// `scenario` when its knobs resolve to the recorded ones, else
// kernel_label(trace).
std::string kernel_label(const TraceFile& trace, const scenario::Scenario& scenario);

// The JSON document and its text (two-space indentation, final newline).
std::string to_text(const TraceFile& trace);

// Writes the trace to `path`; returns an error message, empty on success.
std::string write_trace_file(const TraceFile& trace, const std::string& path);

// A file name for a trace: "<scenario>--<proposal>--<property>.json", with
// characters other than letters, digits, '.', '_' and '-' replaced by '_'.
std::string trace_file_name(std::string_view scenario, std::string_view proposal,
                            std::string_view property);

struct TraceLoadResult {
  std::optional<TraceFile> trace;
  std::vector<scenario::Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty() && trace.has_value(); }
};

// Validates `text` as the contents of the trace file `path` (used in
// diagnostics). Does not check the embedded scenario (see replay).
TraceLoadResult load_trace_text(std::string_view text, const std::string& path);
TraceLoadResult load_trace_file(const std::string& path);

// The scenario embedded in `trace`, validated as the file it came from
// (diagnostics name scenario_file; lines and columns are in the embedded text).
scenario::LoadResult load_embedded_scenario(const TraceFile& trace);

}  // namespace protmc::trace
