// libFuzzer target: the trace loader (load_trace_text) and, for every trace
// it accepts, the embedded scenario and the recorded kernel knobs. Contract
// checked: no crash, no exception, no hang, and every rejection is a
// positioned diagnostic (fuzz/diagnostics_check.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/diagnostics_check.hpp"
#include "model/kernel/knobs.hpp"
#include "tools/trace/trace_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace trace = protmc::trace;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const trace::TraceLoadResult loaded = trace::load_trace_text(text, "fuzz.json");
  if (const std::string bad = protmc::fuzz::unpositioned_diagnostic(loaded.diagnostics);
      !bad.empty()) {
    std::fprintf(stderr, "%s\n", bad.c_str());
    std::abort();
  }
  if (!loaded.ok()) {
    if (loaded.diagnostics.empty()) {
      std::fprintf(stderr, "a rejected trace without a diagnostic\n");
      std::abort();
    }
    return 0;
  }
  const trace::TraceFile& recorded = *loaded.trace;
  const protmc::scenario::LoadResult embedded = trace::load_embedded_scenario(recorded);
  if (const std::string bad = protmc::fuzz::unpositioned_diagnostic(embedded.diagnostics);
      !bad.empty()) {
    std::fprintf(stderr, "embedded scenario: %s\n", bad.c_str());
    std::abort();
  }
  protmc::model::KernelKnobs knobs;
  (void)trace::recorded_knobs(recorded, knobs);
  (void)trace::kernel_label(recorded);
  for (const protmc::scenario::Scenario& s : embedded.scenarios) {
    (void)trace::preset_override(recorded, s);
    (void)trace::kernel_label(recorded, s);
  }
  // Writing it back must give text the loader accepts again.
  const std::string again = trace::to_text(recorded);
  if (!trace::load_trace_text(again, "fuzz-again.json").ok()) {
    std::fprintf(stderr, "a loaded trace does not load again after to_text\n");
    std::abort();
  }
  return 0;
}
