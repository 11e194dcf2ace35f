// TraceWriter; see trace_writer.hpp.
#include "tools/cli/trace_writer.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

#include "tools/trace/trace_file.hpp"

namespace protmc::cli {

TraceWriter::TraceWriter(std::string dir, std::string command)
    : dir_(std::move(dir)), command_(std::move(command)) {}

std::string TraceWriter::prepare() const {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error || !std::filesystem::is_directory(dir_)) {
    return command_ + ": --trace-dir " + dir_ + ": " +
           (error ? error.message() : "not a directory");
  }
  return "";
}

std::string TraceWriter::write(const scenario::Scenario& scenario, std::string_view proposal,
                               std::optional<model::KernelPreset> preset_override,
                               const checker::Counterexample& cex, const checker::Stats& stats,
                               std::string& error) {
  const trace::MakeTraceResult made =
      trace::make_trace(scenario, proposal, preset_override, cex, stats);
  if (!made.ok()) {
    error = command_ + ": " + made.error;
    return "";
  }
  std::string name = trace::trace_file_name(scenario.name, proposal, cex.finding.property);
  const std::string stem = name.substr(0, name.size() - 5);  // without ".json"
  for (int n = 2; names_.count(name) != 0; ++n) name = stem + "--" + std::to_string(n) + ".json";
  names_.insert(name);
  const std::string target = (std::filesystem::path(dir_) / name).string();
  if (std::string failed = trace::write_trace_file(made.trace, target); !failed.empty()) {
    error = command_ + ": " + failed;
    return "";
  }
  return target;
}

}  // namespace protmc::cli
