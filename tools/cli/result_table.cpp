// The scenario x proposal table; see result_table.hpp.
#include "tools/cli/result_table.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace protmc::cli {
namespace {

constexpr const char* kFirstHeader = "scenario";
constexpr size_t kGap = 2;  // spaces between columns

// How a cell is written: "violation pte-attributes" (full) or "viol:attr".
std::string cell_text(const std::optional<TableCell>& cell, bool short_cells) {
  if (!cell) return "-";
  std::string text;
  if (cell->verdict == "violation" && !cell->property.empty()) {
    text = short_cells ? "viol:" + property_code(cell->property) : "violation " + cell->property;
  } else {
    text = cell->verdict;
  }
  if (cell->marked) text += '*';
  return text;
}

struct Layout {
  bool short_cells = false;
  bool short_headers = false;
};

std::vector<std::string> headers(const ResultTable& table, const Layout& layout) {
  return layout.short_headers ? abbreviate_names(table.columns) : table.columns;
}

// Column widths: the scenario column, then one per proposal.
std::vector<size_t> widths(const ResultTable& table, const Layout& layout) {
  std::vector<size_t> w;
  size_t first = std::string(kFirstHeader).size();
  for (const std::string& row : table.rows) first = std::max(first, row.size());
  w.push_back(first);
  const std::vector<std::string> heads = headers(table, layout);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    size_t width = heads[c].size();
    for (const auto& row : table.cells) {
      width = std::max(width, cell_text(row[c], layout.short_cells).size());
    }
    w.push_back(width);
  }
  return w;
}

size_t total_width(const std::vector<size_t>& w) {
  size_t total = 0;
  for (size_t x : w) total += x;
  return total + kGap * (w.size() - 1);
}

void append_padded(std::string& line, const std::string& text, size_t width, bool last) {
  line += text;
  if (!last) line += std::string(width - text.size() + kGap, ' ');
}

// Appends "prefix item, item, ..." wrapped at `width`, continuation lines
// indented by two spaces.
void append_wrapped(std::string& out, const std::string& prefix,
                    const std::vector<std::string>& items, size_t width) {
  std::string line = prefix;
  bool fresh = false;  // the line holds only its indentation
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (!fresh && line.size() + 1 + item.size() > width) {
      out += line + "\n";
      line = "  ";
      fresh = true;
    }
    if (!fresh) line += ' ';
    line += item;
    fresh = false;
  }
  out += line + "\n";
}

}  // namespace

std::string property_code(const std::string& property) {
  static const std::map<std::string, std::string> kCodes = {
      {"pte-attributes", "attr"}, {"pte-permission", "perm"}, {"kernel-bug", "bug"},
      {"data-race", "race"},      {"deadlock", "deadlock"},   {"lock-order", "order"},
  };
  const auto it = kCodes.find(property);
  return it == kCodes.end() ? property : it->second;
}

std::vector<std::string> abbreviate_names(const std::vector<std::string>& names) {
  std::vector<std::string> result;
  std::map<std::string, int> seen;
  for (const std::string& name : names) {
    std::string code;
    bool word_start = true;
    for (char ch : name) {
      if (ch == '-' || ch == '_') {
        word_start = true;
      } else if (word_start) {
        code += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        word_start = false;
      }
    }
    if (code.size() < 2) {  // one word: its first three letters
      code.clear();
      for (char ch : name.substr(0, 3)) {
        code += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
    }
    const int count = ++seen[code];
    if (count > 1) code += std::to_string(count);
    result.push_back(code);
  }
  return result;
}

std::string render_table(const ResultTable& table, size_t width) {
  // The first layout that fits, from the most readable to the most compact.
  const Layout layouts[] = {{false, false}, {false, true}, {true, false}, {true, true}};
  Layout layout = layouts[3];
  for (const Layout& candidate : layouts) {
    if (total_width(widths(table, candidate)) <= width) {
      layout = candidate;
      break;
    }
  }
  const std::vector<size_t> w = widths(table, layout);
  const std::vector<std::string> heads = headers(table, layout);

  std::string out;
  std::string line;
  append_padded(line, kFirstHeader, w[0], table.columns.empty());
  for (size_t c = 0; c < heads.size(); ++c) {
    append_padded(line, heads[c], w[c + 1], c + 1 == heads.size());
  }
  out += line + "\n";
  bool any_marked = false;
  bool any_missing = false;
  std::set<std::string> properties;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    line.clear();
    append_padded(line, table.rows[r], w[0], table.columns.empty());
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const std::optional<TableCell>& cell = table.cells[r][c];
      any_marked = any_marked || (cell && cell->marked);
      any_missing = any_missing || !cell;
      if (cell && !cell->property.empty()) properties.insert(cell->property);
      append_padded(line, cell_text(cell, layout.short_cells), w[c + 1], c + 1 == heads.size());
    }
    out += line + "\n";
  }

  if (layout.short_headers) {
    std::vector<std::string> items;
    for (size_t c = 0; c < heads.size(); ++c) items.push_back(heads[c] + " " + table.columns[c]);
    append_wrapped(out, "proposals:", items, width);
  }
  if (layout.short_cells && !properties.empty()) {
    std::vector<std::string> items;
    for (const std::string& p : properties) {
      if (property_code(p) != p) items.push_back(property_code(p) + " " + p);
    }
    if (!items.empty()) append_wrapped(out, "viol:P a violation of property P:", items, width);
  }
  if (any_marked) out += "* " + table.mark_meaning + "\n";
  if (any_missing) out += "- the scenario does not run against this proposal\n";
  return out;
}

}  // namespace protmc::cli
