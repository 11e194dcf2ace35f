// Writes the trace file of a counterexample into a directory (--trace-dir of
// `run` and `gate`), naming it trace_file_name() and numbering repeats.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "checker/explore/explorer.hpp"
#include "model/kernel/knobs.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::cli {

class TraceWriter {
 public:
  // `command` prefixes error messages ("protmc run").
  TraceWriter(std::string dir, std::string command);

  // Creates the directory if missing. Returns an error message ("COMMAND:
  // --trace-dir DIR: reason"), empty on success.
  [[nodiscard]] std::string prepare() const;

  // Writes one trace: "<scenario>--<proposal>--<property>.json", with "--2",
  // "--3", ... before ".json" for a name this writer has already used. On
  // success returns the path written; on failure sets `error` and returns "".
  std::string write(const scenario::Scenario& scenario, std::string_view proposal,
                    std::optional<model::KernelPreset> preset_override,
                    const checker::Counterexample& cex, const checker::Stats& stats,
                    std::string& error);

 private:
  std::string dir_;
  std::string command_;
  std::set<std::string> names_;  // written so far
};

}  // namespace protmc::cli
