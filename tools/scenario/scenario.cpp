#include "tools/scenario/scenario.hpp"

#include <algorithm>
#include <array>

namespace protmc::scenario {
namespace {

constexpr std::array<std::string_view, 5> kProposals = {"fake-vma", "write-once", "vm-prot-lock",
                                                        "per-page-prot", "dma-mmap-prepare"};
constexpr std::array<std::string_view, 2> kDrivers = {"ttm", "vvar"};
constexpr std::array<std::string_view, 3> kVvarPages = {"data", "pvclock", "hvclock"};
constexpr std::array<std::string_view, 5> kPlacements = {"system", "system-wc", "system-uc",
                                                         "system-dma", "vram"};
constexpr std::array<std::string_view, 5> kSplitVias = {"mprotect", "madvise", "write_fault",
                                                        "unmap", "reclaim"};
constexpr std::array<std::string_view, 6> kProperties = {
    "pte-attributes", "pte-permission", "kernel-bug", "data-race", "deadlock", "lock-order"};
constexpr std::array<std::string_view, 4> kStrategies = {"dpor", "dfs", "random", "pct"};
constexpr std::array<std::string_view, 3> kVerdicts = {"pass", "violation", "incomplete"};
// In the order of the Operation variant's alternatives.
constexpr std::array<std::string_view, 6> kOperations = {
    "fault", "bo_move", "bo_swapout", "mprotect", "split_huge_pmd", "madvise_dontneed"};
static_assert(kOperations.size() == std::variant_size_v<Operation>);

template <typename Enum, size_t N>
std::optional<Enum> parse_in(const std::array<std::string_view, N>& names, std::string_view name) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<Enum>(it - names.begin());
}

}  // namespace

std::span<const std::string_view> proposal_names() { return kProposals; }
std::span<const std::string_view> driver_names() { return kDrivers; }
std::span<const std::string_view> vvar_page_names() { return kVvarPages; }
std::span<const std::string_view> placement_names() { return kPlacements; }
std::span<const std::string_view> split_via_names() { return kSplitVias; }
std::span<const std::string_view> property_names() { return kProperties; }
std::span<const std::string_view> strategy_names() { return kStrategies; }
std::span<const std::string_view> verdict_names() { return kVerdicts; }
std::span<const std::string_view> operation_names() { return kOperations; }

std::string_view to_string(Proposal value) { return kProposals.at(static_cast<size_t>(value)); }
std::string_view to_string(Driver value) { return kDrivers.at(static_cast<size_t>(value)); }
std::string_view to_string(VvarPage value) { return kVvarPages.at(static_cast<size_t>(value)); }
std::string_view to_string(Placement value) { return kPlacements.at(static_cast<size_t>(value)); }
std::string_view to_string(SplitVia value) { return kSplitVias.at(static_cast<size_t>(value)); }
std::string_view to_string(Property value) { return kProperties.at(static_cast<size_t>(value)); }
std::string_view to_string(Strategy value) { return kStrategies.at(static_cast<size_t>(value)); }
std::string_view to_string(Verdict value) { return kVerdicts.at(static_cast<size_t>(value)); }

std::optional<Proposal> parse_proposal(std::string_view name) {
  return parse_in<Proposal>(kProposals, name);
}
std::optional<Placement> parse_placement(std::string_view name) {
  return parse_in<Placement>(kPlacements, name);
}
std::optional<Property> parse_property(std::string_view name) {
  return parse_in<Property>(kProperties, name);
}
std::optional<Strategy> parse_strategy(std::string_view name) {
  return parse_in<Strategy>(kStrategies, name);
}
std::optional<Verdict> parse_verdict(std::string_view name) {
  return parse_in<Verdict>(kVerdicts, name);
}

std::vector<Property> all_properties() {
  std::vector<Property> all;
  for (size_t i = 0; i < kProperties.size(); ++i) all.push_back(static_cast<Property>(i));
  return all;
}

std::string_view operation_name(const Operation& op) { return kOperations.at(op.index()); }

std::optional<Expectation> Expect::for_proposal(Proposal proposal) const {
  if (all) return all;
  const auto it = by_proposal.find(proposal);
  if (it == by_proposal.end()) return std::nullopt;
  return it->second;
}

bool Scenario::has_tag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

}  // namespace protmc::scenario
