// The whole protmc command line as a function, so that the shipped binary
// (main.cpp) and test builds with extra proposals registered
// (tests/reliability/fault_injection_main.cpp) run the same code.
#pragma once

namespace protmc::cli {

// Parses argv, runs the chosen command and returns the process's exit status
// (exit_status.hpp). An exception escaping a command is protmc's own bug: it
// is printed as an internal error and the process aborts, like a failed CHECK.
int protmc_main(int argc, char** argv);

}  // namespace protmc::cli
