// protmc list programs: what can be run, with parameters and their ranges.
#include <iostream>
#include <memory>
#include <string>

#include "checker/programs/registry.hpp"
#include "tools/cli/commands.hpp"

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

}  // namespace

Command add_list_command(CLI::App& parent) {
  auto what = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("list", "List what protmc knows about");
  app->add_option("what", *what, "What to list")->required()->check(CLI::IsMember({"programs"}));
  return Command{app, [what]() -> ExitStatus {
                   if (*what == "programs") return list_programs(std::cout);
                   std::cerr << "protmc list: cannot list '" << *what << "'\n";
                   return ExitStatus::kBadInput;
                 }};
}

}  // namespace protmc::cli
