// protmc list proposals|presets|operations|properties|programs: what protmc
// knows about, by the names scenario files and options use.
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "checker/programs/registry.hpp"
#include "model/kernel/knobs.hpp"
#include "model/proposals/proposal.hpp"
#include "tools/cli/commands.hpp"
#include "tools/scenario/scenario.hpp"

namespace protmc::cli {
namespace {

namespace programs = protmc::checker::programs;

ExitStatus list_programs(std::ostream& out) {
  for (const programs::ProgramInfo& info : programs::all_programs()) {
    out << info.name << "\n    " << info.description << "\n";
    for (const programs::ProgramParam& param : info.params) {
      out << "    --param " << param.name << "=N  default " << param.default_value << ", range "
          << param.min << ".." << param.max;
      if (!param.help.empty()) out << ": " << param.help;
      out << "\n";
    }
  }
  return ExitStatus::kAsExpected;
}

// Registered proposals first, then the scenario vocabulary's names that the
// model does not have yet.
ExitStatus list_proposals(std::ostream& out) {
  for (const model::Proposal& proposal : model::all_proposals()) {
    out << proposal.name << "\n    " << proposal.description << "\n";
  }
  for (std::string_view name : scenario::proposal_names()) {
    if (model::find_proposal(name) == nullptr) out << name << "\n    not modelled yet\n";
  }
  return ExitStatus::kAsExpected;
}

ExitStatus list_presets(std::ostream& out) {
  for (model::KernelPreset preset : model::all_presets()) {
    out << model::to_string(preset) << "\n    " << model::to_string(model::preset_knobs(preset))
        << "\n";
  }
  out << "knobs (override with \"kernel\": {\"preset\": ..., KNOB: VALUE}):\n";
  for (const model::KnobInfo& knob : model::kernel_knob_table()) {
    out << "    " << knob.name << " = " << knob.values << ": " << knob.help << "\n";
  }
  return ExitStatus::kAsExpected;
}

ExitStatus list_operations(std::ostream& out) {
  static constexpr std::string_view kHelp[] = {
      "page, write: a user page fault through the proposal's fault path",
      "to: move the buffer object to a placement (ttm)",
      "swap the buffer object out: ttm_bo_swapout() (ttm)",
      "first, count, prot: mprotect() (the model: the whole mapping only)",
      "page, via: split the huge PMD mapping page through a caller (needs huge entries)",
      "first, count: madvise(MADV_DONTNEED)",
  };
  const auto names = scenario::operation_names();
  for (size_t i = 0; i < names.size(); ++i) {
    out << names[i];
    if (i < std::size(kHelp)) out << "\n    " << kHelp[i];
    out << "\n";
  }
  return ExitStatus::kAsExpected;
}

ExitStatus list_properties(std::ostream& out) {
  static constexpr std::string_view kHelp[] = {
      "a present entry's caching mode or encryption bit disagrees with the memory it maps",
      "a present entry grants more than the VMA's protection",
      "the model reaches a BUG()/VM_BUG_ON() of the kernel",
      "two accesses race by KCSAN's rule (plain vs plain or marked, not both marked)",
      "every remaining thread is blocked",
      "the lock-order graph has a cycle (lockdep)",
  };
  const auto names = scenario::property_names();
  for (size_t i = 0; i < names.size(); ++i) {
    out << names[i];
    if (i < std::size(kHelp)) out << "\n    " << kHelp[i];
    out << "\n";
  }
  return ExitStatus::kAsExpected;
}

}  // namespace

Command add_list_command(CLI::App& parent) {
  auto what = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("list", "List what protmc knows about");
  app->add_option("what", *what, "What to list")
      ->required()
      ->check(CLI::IsMember({"proposals", "presets", "operations", "properties", "programs"}));
  return Command{app, [what]() -> ExitStatus {
                   if (*what == "programs") return list_programs(std::cout);
                   if (*what == "proposals") return list_proposals(std::cout);
                   if (*what == "presets") return list_presets(std::cout);
                   if (*what == "operations") return list_operations(std::cout);
                   if (*what == "properties") return list_properties(std::cout);
                   std::cerr << "protmc list: cannot list '" << *what << "'\n";
                   return ExitStatus::kBadInput;
                 }};
}

}  // namespace protmc::cli
