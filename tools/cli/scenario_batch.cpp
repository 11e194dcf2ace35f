// A batch of scenario x proposal explorations; see scenario_batch.hpp.
#include "tools/cli/scenario_batch.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "model/proposals/proposal.hpp"
#include "model/scenario/program.hpp"
#include "tools/cli/interrupt.hpp"
#include "tools/scenario/to_config.hpp"

namespace protmc::cli {
namespace {

namespace checker = protmc::checker;
using Clock = std::chrono::steady_clock;

// "matrix: NAME[proposal]: 12345 executions, 4567/s, 0 findings" on stderr,
// redrawn in place at most four times a second once an exploration has run
// for a second, and erased when it ends. Only on a terminal.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::string label)
      : enabled_(enabled), label_(std::move(label)), start_(Clock::now()) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() {
    if (drawn_) std::fputs("\r\x1b[K", stderr);
  }

  void on_execution(const checker::ExecutionSummary& summary) {
    if (summary.sleep_blocked) {
      ++blocked_;
    } else {
      ++executions_;
    }
    if (summary.has_finding) ++findings_;
    if (!enabled_) return;
    const Clock::time_point now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (elapsed < 1.0) return;
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    drawn_ = true;
    char counts[160];
    std::snprintf(counts, sizeof counts, ": %llu executions, %.0f/s, %llu finding%s",
                  static_cast<unsigned long long>(executions_),
                  static_cast<double>(executions_ + blocked_) / elapsed,
                  static_cast<unsigned long long>(findings_), findings_ == 1 ? "" : "s");
    std::string line = label_ + counts;
    if (line.size() > 99) line = line.substr(0, 99);
    std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::string label_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  uint64_t executions_ = 0;
  uint64_t blocked_ = 0;
  uint64_t findings_ = 0;
  bool drawn_ = false;
};

}  // namespace

const checker::Counterexample* BatchResult::shown_finding() const {
  if (verdict != scenario::Verdict::kViolation) return nullptr;
  if (expectation && expectation->property) {
    const std::string_view expected = scenario::to_string(*expectation->property);
    for (const checker::Counterexample& cex : result.findings) {
      if (cex.finding.property == expected) return &cex;
    }
  }
  for (const checker::Counterexample& cex : result.findings) {
    if (scenario::finding_counts(*scenario, cex.finding)) return &cex;
  }
  return nullptr;
}

bool BatchResult::differs() const {
  if (as_expected) return !*as_expected;
  return verdict != scenario::Verdict::kPass;
}

std::vector<std::string> scenario_proposals(const scenario::Scenario& s) {
  if (s.proposal) return {std::string(scenario::to_string(*s.proposal))};
  std::vector<std::string> names;
  for (const model::Proposal& p : model::all_proposals()) names.emplace_back(p.name);
  return names;
}

BatchPlan plan_batch(const std::vector<scenario::Scenario>& scenarios,
                     const ProposalSelector& proposals, bool check_expectations) {
  BatchPlan plan;
  for (const scenario::Scenario& s : scenarios) {
    for (const std::string& proposal : proposals(s)) {
      scenario::ConfigResult converted = scenario::to_config(s, proposal, std::nullopt);
      if (!converted.ok()) {
        plan.errors.push_back(converted.error + " (proposal " + proposal + ")");
        continue;
      }
      BatchJob job;
      job.scenario = &s;
      job.proposal = proposal;
      job.kernel = scenario::kernel_label(s, std::nullopt);
      job.config = std::move(converted.config);
      if (check_expectations) {
        job.expectation = scenario::applicable_expectation(s, proposal, std::nullopt);
      }
      plan.jobs.push_back(std::move(job));
    }
  }
  return plan;
}

std::vector<BatchResult> run_batch(const std::vector<BatchJob>& jobs, const std::string& command,
                                   double stall_timeout_s, const BatchStallReport& on_stall) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const InterruptScope interrupt_scope;
  std::vector<BatchResult> results;
  results.reserve(jobs.size());
  for (const BatchJob& job : jobs) {
    checker::ExploreOptions options = scenario::explore_options(*job.scenario, job.expectation);
    // A stalled model ends the process: the table cannot be completed, but
    // what is done is reported, with this job incomplete. The exploring
    // thread is stuck in model code and no longer touches `results`; what it
    // wrote before is visible here through the probe's release/acquire beats.
    watch_exploration(
        options, command, job.scenario->name + "[" + job.proposal + "]", stall_timeout_s,
        [&command, &results, &on_stall, &job](const checker::StallReport& /*report*/,
                                              const std::string& reason) {
          std::cerr << "protmc " << command
                    << ": stopped before the table was complete: INCOMPLETE\n";
          BatchResult& stalled = results.back();
          stalled.result = checker::ExploreResult{};
          stalled.result.stats.complete = false;
          stalled.result.stats.incomplete_reason = reason;
          stalled.verdict = scenario::Verdict::kIncomplete;
          if (job.expectation) {
            stalled.as_expected =
                scenario::as_expected(*job.expectation, stalled.verdict, stalled.result);
          }
          return on_stall ? on_stall(results) : ExitStatus::kIncomplete;
        });
    ProgressLine progress(terminal, command + ": " + job.scenario->name + "[" + job.proposal + "]");
    options.on_execution = [&progress](const checker::ExecutionSummary& summary) {
      progress.on_execution(summary);
    };
    BatchResult& r = results.emplace_back();
    r.scenario = job.scenario;
    r.proposal = job.proposal;
    r.kernel = job.kernel;
    r.expectation = job.expectation;
    r.result = checker::explore(model::make_scenario_program(job.config), options);
    r.verdict = scenario::scenario_verdict(*job.scenario, r.result);
    if (job.expectation) {
      r.as_expected = scenario::as_expected(*job.expectation, r.verdict, r.result);
    }
  }
  return results;
}

nlohmann::ordered_json trace_events_json(const checker::Trace& trace) {
  using Json = nlohmann::ordered_json;
  Json events = Json::array();
  for (const checker::TraceEvent& event : trace.events) {
    events.push_back(Json{{"step", event.step},
                          {"thread", event.thread_name},
                          {"functions", event.functions},
                          {"operation", event.operation},
                          {"object", event.object},
                          {"value", event.value ? Json(*event.value) : Json(nullptr)},
                          {"locks_held", event.locks_held},
                          {"notes", event.notes}});
  }
  return events;
}

nlohmann::ordered_json expectation_json(const std::optional<scenario::Expectation>& expectation) {
  using Json = nlohmann::ordered_json;
  if (!expectation) return nullptr;
  return Json{{"verdict", scenario::to_string(expectation->verdict)},
              {"property", expectation->property ? Json(scenario::to_string(*expectation->property))
                                                 : Json(nullptr)}};
}

nlohmann::ordered_json batch_result_json(const BatchResult& r) {
  using Json = nlohmann::ordered_json;
  const checker::Stats& stats = r.result.stats;
  const checker::Counterexample* cex = r.shown_finding();
  return Json{
      {"scenario", r.scenario->name},
      {"file", r.scenario->path},
      {"proposal", r.proposal},
      {"kernel", r.kernel},
      {"verdict", scenario::to_string(r.verdict)},
      {"property", cex != nullptr ? Json(cex->finding.property) : Json(nullptr)},
      {"message", cex != nullptr ? Json(cex->finding.message) : Json(nullptr)},
      {"executions", stats.executions},
      {"blocked", stats.blocked},
      {"complete", stats.complete},
      {"incomplete_reason", stats.complete ? Json(nullptr) : Json(stats.incomplete_reason)},
      {"elapsed_s", stats.elapsed_s},
      {"expected", expectation_json(r.expectation)},
      {"as_expected", r.as_expected ? Json(*r.as_expected) : Json(nullptr)},
      {"differs", r.differs()},
  };
}

}  // namespace protmc::cli
