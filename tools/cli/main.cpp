// protmc: the command-line front end of the model checker.
#include "tools/cli/app.hpp"

int main(int argc, char** argv) { return protmc::cli::protmc_main(argc, argv); }
