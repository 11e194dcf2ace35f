// The scenario x proposal table of `protmc matrix` and `protmc gate`: one row
// per scenario, one column per proposal, each cell a verdict and, for a
// violation, its property. Fitted to a width by shortening cells and proposal
// headers in steps, with a legend for every abbreviation used.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace protmc::cli {

struct TableCell {
  std::string verdict;   // "pass", "violation", "incomplete"
  std::string property;  // for a violation; "" otherwise
  bool marked = false;   // shown with a trailing '*'
};

struct ResultTable {
  std::vector<std::string> rows;     // scenario names
  std::vector<std::string> columns;  // proposal names
  // cells[row][column]; nullopt: the scenario does not run against the proposal.
  std::vector<std::vector<std::optional<TableCell>>> cells;
  // What '*' means, for the legend ("differs from the expectation").
  std::string mark_meaning;
};

// The table, then its legend (when anything was abbreviated, marked or left
// out), each line ending in '\n'. Lines fit `width` columns unless the
// scenario names alone do not leave room.
std::string render_table(const ResultTable& table, size_t width = 100);

// Short names of properties: "pte-attributes" -> "attr", "data-race" -> "race",
// ...; unknown names are returned unchanged.
std::string property_code(const std::string& property);

// Proposal header abbreviations: the initials of a name's '-'-separated words
// in capitals ("per-page-prot" -> "PPP"), made unique with a digit.
std::vector<std::string> abbreviate_names(const std::vector<std::string>& names);

}  // namespace protmc::cli
