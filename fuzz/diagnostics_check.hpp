// What every fuzz target and the fuzz regression test require of a loader's
// diagnostics for in-memory text: each one points into the text
// (line and column at least 1) and says something. A loader that returns
// nothing usable must say why: no scenario and no diagnostic is also wrong.
#pragma once

#include <string>
#include <vector>

#include "tools/scenario/loader.hpp"

namespace protmc::fuzz {

// Empty when every diagnostic is positioned and has a message; otherwise the
// first offending diagnostic, rendered.
inline std::string unpositioned_diagnostic(const std::vector<scenario::Diagnostic>& diagnostics) {
  for (const scenario::Diagnostic& d : diagnostics) {
    if (d.line == 0 || d.column == 0 || d.message.empty())
      return "bad diagnostic: " + d.to_string();
  }
  return {};
}

}  // namespace protmc::fuzz
