// What a model test keeps of one exploration: the result, the page-table
// snapshot its Program took, and queries over the findings by property.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "checker/explore/explorer.hpp"

namespace protmc::model::modeltest {

template <typename Snapshot>
struct ExplorationRun {
  checker::ExploreResult result;
  std::shared_ptr<Snapshot> snapshot;

  // Whether some finding group is of `property`.
  [[nodiscard]] bool has(std::string_view property) const {
    for (const auto& f : result.findings) {
      if (f.finding.property == property) return true;
    }
    return false;
  }
  // The message of the first finding of `property`, or "".
  [[nodiscard]] std::string message(std::string_view property) const {
    for (const auto& f : result.findings) {
      if (f.finding.property == property) return f.finding.message;
    }
    return "";
  }
  // Every finding, one "property: message" line each (for failure output).
  [[nodiscard]] std::string all() const {
    std::string out;
    for (const auto& f : result.findings)
      out += f.finding.property + ": " + f.finding.message + "\n";
    return out;
  }
};

}  // namespace protmc::model::modeltest
