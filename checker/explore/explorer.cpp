// The exploration driver: runs executions under a strategy until the search
// is exhausted, a budget is hit or a finding stops it; then re-runs every
// counterexample with recording on and checks that it reproduces.
#include "checker/explore/explorer.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>

#include "checker/explore/dfs.hpp"
#include "checker/explore/dpor.hpp"
#include "checker/explore/event_key.hpp"
#include "checker/explore/sampling.hpp"
#include "checker/explore/stall_watchdog.hpp"
#include "checker/runtime/executor.hpp"
#include "checker/support/check.hpp"

namespace protmc::checker {

namespace {

// DPOR's buffers (node stack with wakeup-tree arenas, event and clock
// arrays) are kept between explorations on the same OS thread: exploring a
// small program is a few dozen executions, and allocating those buffers
// afresh costs as much as several of them. Long executions are why the limit
// is 64 MiB (about half a million steps per execution), not less: freeing
// buffers of megabytes lets malloc return their pages to the system, and the
// next exploration faulted them all in again (step_bench's 100k-step
// executions: 6,600 page faults and 170 ns per step, against 50 ns kept).
// A policy whose buffers grew past the limit is freed instead of kept.
constexpr std::size_t kMaxCachedBytes = std::size_t{64} << 20;
// Nodes (one per step of the longest execution) kept with their wakeup-tree
// arenas; the node array keeps its capacity.
constexpr std::size_t kKeptNodes = 64;
thread_local std::unique_ptr<DporPolicy> cached_dpor;

std::unique_ptr<SchedulingPolicy> take_dpor_policy() {
  if (!cached_dpor) return std::make_unique<DporPolicy>();
  std::unique_ptr<DporPolicy> policy = std::move(cached_dpor);
  policy->reset();
  return policy;
}

void recycle_policy(std::unique_ptr<SchedulingPolicy> policy, Strategy strategy) {
  if (strategy != Strategy::kDpor) return;
  std::unique_ptr<DporPolicy> dpor(static_cast<DporPolicy*>(policy.release()));
  dpor->drop_nodes_past(kKeptNodes);
  if (dpor->retains_at_most(kMaxCachedBytes)) cached_dpor = std::move(dpor);
}

// The exploring Executor is kept the same way (its thread slots, strands,
// stacks and buffers): a new one costs as much as a third of a 32-execution
// exploration to build and tear down. Recording executors (the re-runs) are
// not kept.
thread_local std::unique_ptr<Executor> cached_executor;

std::unique_ptr<Executor> take_executor(const Executor::Config& config) {
  if (!cached_executor) return std::make_unique<Executor>(config);
  std::unique_ptr<Executor> executor = std::move(cached_executor);
  executor->reconfigure(config);
  return executor;
}

void recycle_executor(std::unique_ptr<Executor> executor) {
  executor->clear();  // the model's thread bodies and invariants go now, as they would have
  if (executor->retained_bytes() <= kMaxCachedBytes) cached_executor = std::move(executor);
}

std::unique_ptr<SchedulingPolicy> make_policy(const ExploreOptions& options) {
  switch (options.strategy) {
    case Strategy::kDfs:
      return std::make_unique<DfsPolicy>(options.bounds.preemption_bound);
    case Strategy::kDpor:
      return take_dpor_policy();
    case Strategy::kRandom:
      return std::make_unique<RandomPolicy>(options.seed);
    case Strategy::kPct:
      return std::make_unique<PctPolicy>(options.seed, options.pct_depth);
  }
  CHECK_MSG(false, "unknown strategy");
  return nullptr;
}

// Follows a recorded schedule; past its end, or where a recorded choice is
// impossible, takes the lowest-numbered enabled thread and notes the divergence.
class ReplayPolicy final : public SchedulingPolicy {
 public:
  explicit ReplayPolicy(const Schedule& schedule) : schedule_(schedule) {}
  void begin_execution() override {}
  std::optional<Decision> pick(const SchedulingPoint& point) override {
    if (point.step < schedule_.choices.size()) {
      const Choice& c = schedule_.choices[point.step];
      const bool enabled = point.is_enabled(c.thread);
      const uint32_t arity = enabled ? point.executor->pending_arity(c.thread) : 0;
      if (enabled && (c.value == 0 || c.value < arity)) return Decision{c.thread, c.value};
      if (divergence.empty()) {
        divergence =
            "step " + std::to_string(point.step) + ": recorded thread " + std::to_string(c.thread) +
            (enabled ? " cannot choose value " + std::to_string(c.value) : " is not enabled");
      }
    }
    return Decision{point.lowest_enabled(), 0};
  }
  void on_step(const StepRecord& /*record*/) override {}
  void on_blocked_at_end(uint32_t /*thread*/, uint64_t /*pending_key*/) override {}
  bool next_execution() override { return false; }
  [[nodiscard]] bool pruned() const override { return false; }
  std::string divergence;

 private:
  const Schedule& schedule_;
};

AccessSite site_of(const TraceEvent& event) {
  AccessSite site;
  site.step = event.step;
  site.thread = event.thread;
  site.thread_name = event.thread_name;
  site.operation = event.operation;
  site.function = event.functions.empty() ? std::string() : event.functions.back();
  site.locks_held = event.locks_held;
  return site;
}

std::string describe_site(const AccessSite& site) {
  std::string text = site.operation + " by thread " + site.thread_name;
  if (!site.function.empty()) text += " in " + site.function + "()";
  text += site.locks_held.empty() ? ", no locks held" : ", holding ";
  for (std::size_t i = 0; i < site.locks_held.size(); ++i) {
    text += (i == 0 ? "" : ", ") + site.locks_held[i];
  }
  return text;
}

// Fills both sides of a data race from the recorded trace and names them in
// the message: thread, operation, model function, locks held.
void describe_race_sites(Counterexample& cx) {
  auto* race = std::get_if<DataRace>(&cx.finding.detail);
  if (race == nullptr || cx.finding.steps.size() != 2) return;
  const auto& events = cx.trace.events;
  if (cx.finding.steps[0] >= events.size() || cx.finding.steps[1] >= events.size()) return;
  race->first = site_of(events[cx.finding.steps[0]]);
  race->second = site_of(events[cx.finding.steps[1]]);
  cx.finding.message = "data race on " + race->object + ": " + describe_site(race->second) +
                       " (step " + std::to_string(race->second.step) + ") is unordered with " +
                       describe_site(race->first) + " (step " + std::to_string(race->first.step) +
                       "), and at least one is a plain access";
}

bool stops_search(const ExploreOptions& options, const Finding& finding) {
  if (options.keep_going) return false;
  // A model that broke (threw, failed a CHECK) makes further results meaningless.
  if (finding.property == kInternalError) return true;
  return !options.stop_on || options.stop_on(finding);
}

ReplayResult replay_with(const Program& program, const Schedule& schedule,
                         const ExploreOptions& options, LockGraph* graph) {
  Executor executor(Executor::Config{options.detectors, options.bounds.max_steps, true, graph});
  ReplayPolicy policy(schedule);
  ExecutionOutcome outcome = executor.run(program, policy);
  ReplayResult result;
  result.trace = executor.take_trace();
  result.findings = std::move(outcome.findings);
  result.schedule_diverged = !policy.divergence.empty();
  result.divergence = std::move(policy.divergence);
  return result;
}

}  // namespace

ReplayResult replay(const Program& program, const Schedule& schedule,
                    const ExploreOptions& options) {
  LockGraph graph;
  return replay_with(program, schedule, options, &graph);
}

ExploreResult explore(const Program& program, const ExploreOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

  LockGraph graph;
  const bool watch_stalls = options.stall_timeout_s > 0 && options.on_stall;
  ProgressProbe probe;
  std::unique_ptr<Executor> exploring = take_executor(Executor::Config{
      options.detectors, options.bounds.max_steps, false, &graph, watch_stalls ? &probe : nullptr});
  Executor& executor = *exploring;
  std::unique_ptr<SchedulingPolicy> policy = make_policy(options);
  ExploreResult result;
  Stats& stats = result.stats;
  std::map<std::string, std::size_t> groups;     // property + location → index in findings
  std::map<std::size_t, LockGraph> lock_graphs;  // for re-running lock-order findings
  bool exhausted = false;
  bool step_bound_hit = false;

  // Watches the search only: the re-runs below use executors of their own.
  std::optional<StallWatchdog> watchdog;
  if (watch_stalls) watchdog.emplace(probe, options, start);
  while (true) {
    if (stats.executions + stats.blocked >= options.bounds.max_executions) {
      stats.incomplete_reason =
          "execution budget of " + std::to_string(options.bounds.max_executions) + " exhausted";
      break;
    }
    if (options.bounds.time_limit_s > 0 && elapsed() > options.bounds.time_limit_s) {
      stats.incomplete_reason =
          "time limit of " + std::to_string(options.bounds.time_limit_s) + " s reached";
      break;
    }
    if (options.interrupted && options.interrupted()) {
      stats.incomplete_reason = "interrupted";
      break;
    }
    if (options.bounds.max_memory_mb > 0 && stats.executions + stats.blocked > 0 &&
        (stats.executions + stats.blocked) % kMemoryCheckInterval == 1) {
      const uint64_t rss_mb = resident_set_bytes() >> 20;
      if (rss_mb > options.bounds.max_memory_mb) {
        stats.incomplete_reason = "memory budget of " +
                                  std::to_string(options.bounds.max_memory_mb) +
                                  " MB exceeded (resident set " + std::to_string(rss_mb) + " MB)";
        break;
      }
    }
    probe.execution.store(stats.executions + stats.blocked + 1, std::memory_order_relaxed);
    probe.beat();
    ExecutionOutcome outcome = executor.run(program, *policy);
    stats.steps += outcome.steps;
    stats.longest = std::max<uint64_t>(stats.longest, outcome.steps);
    switch (outcome.end) {
      case ExecutionEnd::kSleepBlocked:
        ++stats.blocked;
        break;
      case ExecutionEnd::kDeadlock:
        ++stats.deadlocked;
        ++stats.executions;
        break;
      case ExecutionEnd::kStepBound:
        step_bound_hit = true;
        ++stats.executions;
        break;
      case ExecutionEnd::kFinished:
      case ExecutionEnd::kStopped:
        ++stats.executions;
        break;
    }
    if (options.on_execution) {
      options.on_execution(ExecutionSummary{executor.schedule(), executor.event_keys(),
                                            outcome.end == ExecutionEnd::kDeadlock,
                                            outcome.end == ExecutionEnd::kSleepBlocked,
                                            !outcome.findings.empty(), executor.final_values()});
    }
    bool stop = false;
    if (!outcome.findings.empty()) ++stats.violating_executions;
    for (Finding& finding : outcome.findings) {
      stop = stop || stops_search(options, finding);
      const std::string key = finding.property + '\n' + finding.location;
      auto [it, added] = groups.emplace(key, result.findings.size());
      if (added) {
        if (const auto* inversion = std::get_if<LockOrderInversion>(&finding.detail)) {
          lock_graphs.emplace(it->second,
                              graph.without_edge(inversion->class_a, inversion->class_b));
        }
        result.findings.push_back(
            Counterexample{std::move(finding), executor.schedule(), {}, false, 1});
      } else {
        Counterexample& group = result.findings[it->second];
        ++group.occurrences;
        if (executor.schedule().choices.size() < group.schedule.choices.size() &&
            !std::holds_alternative<LockOrderInversion>(finding.detail)) {
          group.schedule = executor.schedule();
          group.finding = std::move(finding);
        }
      }
    }
    if (stop) break;
    if (!policy->next_execution()) {
      exhausted = true;
      break;
    }
  }

  watchdog.reset();
  recycle_executor(std::move(exploring));  // after the watchdog: it reads interned names

  const bool pruned = policy->pruned();
  recycle_policy(std::move(policy), options.strategy);
  if (exhausted && pruned) {
    stats.incomplete_reason =
        options.strategy == Strategy::kDfs
            ? "preemption bound " + std::to_string(options.bounds.preemption_bound) +
                  " skipped some schedules"
            : std::string("sampling strategy ") + to_string(options.strategy) +
                  " cannot prove absence of violations";
  }
  if (!exhausted && stats.incomplete_reason.empty() &&
      (options.strategy == Strategy::kRandom || options.strategy == Strategy::kPct)) {
    stats.incomplete_reason = std::string("sampling strategy ") + to_string(options.strategy) +
                              " cannot prove absence of violations";
  }
  if (step_bound_hit && stats.incomplete_reason.empty()) {
    stats.incomplete_reason =
        "step bound of " + std::to_string(options.bounds.max_steps) + " steps hit";
  }
  if (!exhausted && stats.incomplete_reason.empty())
    stats.incomplete_reason = "stopped at the first finding";
  stats.complete = exhausted && stats.incomplete_reason.empty();

  // Re-run every counterexample with recording on.
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    Counterexample& cx = result.findings[i];
    auto graph_it = lock_graphs.find(i);
    LockGraph fresh;
    ReplayResult rerun = replay_with(program, cx.schedule, options,
                                     graph_it != lock_graphs.end() ? &graph_it->second : &fresh);
    cx.trace = std::move(rerun.trace);
    for (Finding& again : rerun.findings) {
      if (again.property == cx.finding.property && again.location == cx.finding.location) {
        cx.reproduced = !rerun.schedule_diverged;
        cx.finding = std::move(again);  // the recorded run has names in its message
        describe_race_sites(cx);
        break;
      }
    }
    if (!cx.reproduced) {
      cx.finding.message +=
          " [nondeterminism error: re-running the schedule did not reproduce this finding; "
          "does the model keep state across executions, read a clock or a random source, "
          "or depend on addresses?]";
    }
  }

  stats.elapsed_s = elapsed();
  if (!result.findings.empty()) {
    result.verdict = Verdict::kViolation;
  } else {
    result.verdict = stats.complete ? Verdict::kPass : Verdict::kIncomplete;
  }
  return result;
}

uint64_t resident_set_bytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int read = std::fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(statm);
  if (read != 2) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

bool keys_dependent(uint64_t a, uint64_t b) { return dependent(a, b); }
uint32_t key_thread(uint64_t key) { return thread_of(key); }

const char* to_string(Strategy strategy) {
  switch (strategy) {
    case Strategy::kDfs:
      return "dfs";
    case Strategy::kDpor:
      return "dpor";
    case Strategy::kRandom:
      return "random";
    case Strategy::kPct:
      return "pct";
  }
  return "?";
}

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kViolation:
      return "violation";
    case Verdict::kIncomplete:
      return "incomplete";
  }
  return "?";
}

std::optional<Strategy> parse_strategy(std::string_view text) {
  for (Strategy s : {Strategy::kDfs, Strategy::kDpor, Strategy::kRandom, Strategy::kPct}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

}  // namespace protmc::checker
