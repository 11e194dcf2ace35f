// A scenario file, format version 1 (docs/scenarios.md, scenarios/schema.json):
// one situation — a kernel, a platform, a mapping of a driver's memory, the
// threads that race on it — with the properties to check, the exploration
// budget and the verdicts expected per proposal. Load with load_scenario_file()
// (tools/scenario/loader.hpp), which validates everything here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/kernel/knobs.hpp"

namespace protmc::scenario {

// --- Vocabularies. Each enum's names are the scenario file's words, listed in
// order by the matching *_names() function. Extend; never rename. ---

enum class Proposal : uint8_t { kFakeVma, kWriteOnce, kVmProtLock, kPerPageProt, kDmaMmapPrepare };
enum class Driver : uint8_t { kTtm, kVvar };
enum class VvarPage : uint8_t { kData, kPvclock, kHvclock };
enum class Placement : uint8_t { kSystem, kSystemWc, kSystemUc, kSystemDma, kVram };
enum class SplitVia : uint8_t { kMprotect, kMadvise, kWriteFault, kUnmap, kReclaim };
enum class Property : uint8_t {
  kPteAttributes,
  kPtePermission,
  kKernelBug,
  kDataRace,
  kDeadlock,
  kLockOrder,
};
enum class Strategy : uint8_t { kDpor, kDfs, kRandom, kPct };
enum class Verdict : uint8_t { kPass, kViolation, kIncomplete };

std::span<const std::string_view> proposal_names();
std::span<const std::string_view> driver_names();
std::span<const std::string_view> vvar_page_names();
std::span<const std::string_view> placement_names();
std::span<const std::string_view> split_via_names();
std::span<const std::string_view> property_names();
std::span<const std::string_view> strategy_names();
std::span<const std::string_view> verdict_names();
std::span<const std::string_view> operation_names();  // fault, bo_move, ...

std::string_view to_string(Proposal value);
std::string_view to_string(Driver value);
std::string_view to_string(VvarPage value);
std::string_view to_string(Placement value);
std::string_view to_string(SplitVia value);
std::string_view to_string(Property value);
std::string_view to_string(Strategy value);
std::string_view to_string(Verdict value);

std::optional<Proposal> parse_proposal(std::string_view name);
std::optional<Placement> parse_placement(std::string_view name);
std::optional<Property> parse_property(std::string_view name);
std::optional<Strategy> parse_strategy(std::string_view name);
std::optional<Verdict> parse_verdict(std::string_view name);

// Every property, in vocabulary order: the default of "properties".
std::vector<Property> all_properties();

// --- The scenario. ---

// "kernel": a preset, or {"preset": ..., KNOB: VALUE, ...}.
struct KernelSpec {
  model::KernelPreset preset = model::KernelPreset::kV5_3;
  // The knob overrides in file order, as textual values ("true", "read", ...).
  std::vector<std::pair<std::string, std::string>> overrides;
  // The preset's knobs with the overrides applied.
  model::KernelKnobs knobs = model::preset_knobs(model::KernelPreset::kV5_3);
  friend bool operator==(const KernelSpec&, const KernelSpec&) = default;
};

struct Platform {
  bool sev = false;  // memory encryption (SEV/SME) active
  friend bool operator==(const Platform&, const Platform&) = default;
};

// Protection bits, as "flags" of a mapping and "prot" of mprotect (which has
// no "shared").
struct Prot {
  bool read = false;
  bool write = false;
  bool exec = false;
  friend bool operator==(const Prot&, const Prot&) = default;
};

struct Mapping {
  Driver driver = Driver::kTtm;
  // ttm: "pages"; vvar: layout.size(). 1..kMaxPages.
  uint32_t pages = 0;
  std::vector<VvarPage> layout;  // vvar only
  bool huge = false;
  uint32_t pmd_pages = 2;  // small pages per huge PMD, 1..kMaxPmdPages
  Prot prot;               // "flags": read, write, exec
  bool shared = false;     // "flags": shared
  friend bool operator==(const Mapping&, const Mapping&) = default;
};

inline constexpr uint32_t kMaxPages = 64;
inline constexpr uint32_t kMaxPmdPages = 16;

struct Bo {
  Placement placement = Placement::kSystem;
  friend bool operator==(const Bo&, const Bo&) = default;
};

// --- Operations, one struct per "op". ---
struct Fault {
  uint32_t page = 0;
  bool write = false;
  friend bool operator==(const Fault&, const Fault&) = default;
};
struct BoMove {
  Placement to = Placement::kSystem;
  // The copy runs on the GPU: bo->moving holds its fence until it signals,
  // after the reservation is dropped (ttm_bo_move_accel_cleanup()).
  bool pipelined = false;
  friend bool operator==(const BoMove&, const BoMove&) = default;
};
struct BoSwapout {
  friend bool operator==(const BoSwapout&, const BoSwapout&) = default;
};
struct Mprotect {
  uint32_t first = 0;
  uint32_t count = 0;
  Prot prot;
  friend bool operator==(const Mprotect&, const Mprotect&) = default;
};
struct SplitHugePmd {
  uint32_t page = 0;
  SplitVia via = SplitVia::kMprotect;
  friend bool operator==(const SplitHugePmd&, const SplitHugePmd&) = default;
};
struct MadviseDontneed {
  uint32_t first = 0;
  uint32_t count = 0;
  friend bool operator==(const MadviseDontneed&, const MadviseDontneed&) = default;
};

using Operation = std::variant<Fault, BoMove, BoSwapout, Mprotect, SplitHugePmd, MadviseDontneed>;

// The file's "op" word for an operation ("fault", "bo_move", ...).
std::string_view operation_name(const Operation& op);

struct Thread {
  std::string name;
  std::vector<Operation> ops;
  friend bool operator==(const Thread&, const Thread&) = default;
};

struct Explore {
  Strategy strategy = Strategy::kDpor;
  std::optional<uint64_t> max_executions;
  std::optional<double> time_limit_s;
  uint64_t seed = 1;
  std::optional<uint64_t> max_steps;
  std::optional<uint64_t> preemption_bound;
  friend bool operator==(const Explore&, const Explore&) = default;
};

struct Expectation {
  Verdict verdict = Verdict::kPass;
  std::optional<Property> property;  // exactly when verdict is violation
  friend bool operator==(const Expectation&, const Expectation&) = default;
};

// "expect": one expectation for every proposal, or one per named proposal.
struct Expect {
  std::optional<Expectation> all;
  std::map<Proposal, Expectation> by_proposal;
  // The expectation for `proposal`, if the scenario states one.
  std::optional<Expectation> for_proposal(Proposal proposal) const;
  friend bool operator==(const Expect&, const Expect&) = default;
};

struct Scenario {
  std::string name;
  std::string description;
  KernelSpec kernel;
  Platform platform;
  std::optional<Proposal> proposal;  // nullopt: every registered proposal
  Mapping mapping;
  std::optional<Bo> bo;  // ttm only; a ttm mapping without "bo" gets {system}
  std::vector<uint32_t> initial_faulted;
  std::vector<Thread> threads;
  std::vector<Property> properties;  // default: all_properties()
  Explore explore;
  std::vector<std::string> tags;
  Expect expect;

  // Where it came from: the path as given and the SHA-256 of the file's bytes.
  std::string path;
  std::string sha256;

  bool has_tag(std::string_view tag) const;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

}  // namespace protmc::scenario
