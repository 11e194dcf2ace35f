// The reports of `protmc gate`; see gate_reports.hpp.
#include "tools/cli/gate_reports.hpp"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace protmc::cli {

GateCounts gate_counts(const std::vector<BatchResult>& results) {
  GateCounts c;
  for (const BatchResult& r : results) {
    switch (r.verdict) {
      case scenario::Verdict::kPass:
        ++c.pass;
        break;
      case scenario::Verdict::kViolation:
        ++c.violation;
        break;
      case scenario::Verdict::kIncomplete:
        ++c.incomplete;
        break;
    }
  }
  return c;
}

std::string gate_case_name(const BatchResult& r) {
  return r.scenario->name + "[" + r.proposal + "]";
}

std::string shown_property(const BatchResult& r) {
  const checker::Counterexample* cex = r.shown_finding();
  return cex == nullptr ? "" : cex->finding.property;
}

std::string shown_message(const BatchResult& r) {
  const checker::Counterexample* cex = r.shown_finding();
  return cex == nullptr ? "" : cex->finding.message;
}

std::string reproduce_command(const BatchResult& r) {
  return "protmc run " + r.scenario->path + " --proposal " + r.proposal;
}

namespace {

std::string seconds(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(3) << s;
  return out.str();
}

// --- XML. ---

// Text for an XML 1.0 attribute or element: the five special characters as
// entities, the control characters XML 1.0 forbids as '?', and tab, newline
// and carriage return as character references inside attributes (so that
// they survive attribute-value normalisation).
std::string xml_escape(const std::string& text, bool attribute) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out += (u < 0x20 || u == 0x7f) ? '?' : ch;
    }
  }
  return out;
}

std::string attr(const std::string& text) { return xml_escape(text, true); }
std::string text_node(const std::string& text) { return xml_escape(text, false); }

}  // namespace

void write_junit(std::ostream& out, const std::vector<BatchResult>& results,
                 const TracePaths& traces, double elapsed) {
  const GateCounts c = gate_counts(results);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuite name=\"protmc gate\" tests=\"" << results.size() << "\" failures=\""
      << c.violation << "\" errors=\"0\" skipped=\"" << c.incomplete << "\" time=\""
      << seconds(elapsed) << "\">\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const BatchResult& r = results[i];
    const checker::Stats& stats = r.result.stats;
    out << "  <testcase classname=\"protmc.gate\" name=\"" << attr(gate_case_name(r))
        << "\" file=\"" << attr(r.scenario->path) << "\" time=\"" << seconds(stats.elapsed_s)
        << "\"";
    std::ostringstream details;
    details << "scenario: " << r.scenario->name << " (" << r.scenario->path << ")\n"
            << "proposal: " << r.proposal << "\n"
            << "kernel: " << r.kernel << (r.scenario->platform.sev ? ", SEV" : "") << "\n"
            << "executions: " << stats.executions << ", blocked " << stats.blocked << ", "
            << seconds(stats.elapsed_s) << " s\n";
    if (r.verdict == scenario::Verdict::kViolation) {
      const std::string property = shown_property(r);
      const std::string message = shown_message(r);
      details << property << ": " << message << "\n"
              << "reproduce: " << reproduce_command(r) << "\n";
      if (!traces[i].empty()) details << "trace: " << traces[i] << "\n";
      std::string failure = property;
      failure += ": ";
      failure += message;
      out << ">\n    <failure message=\"" << attr(failure) << "\" type=\"" << attr(property)
          << "\">" << text_node(details.str()) << "</failure>\n  </testcase>\n";
    } else if (r.verdict == scenario::Verdict::kIncomplete) {
      out << ">\n    <skipped message=\"" << attr("incomplete: " + stats.incomplete_reason)
          << "\"/>\n  </testcase>\n";
    } else {
      out << "/>\n";
    }
  }
  out << "</testsuite>\n";
}

namespace {

// --- Markdown. ---

// Text for a Markdown table cell: no line breaks, '|' and Markdown's
// punctuation escaped, HTML's special characters as entities.
std::string md_escape(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    switch (ch) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '|':
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
        out += '\\';
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// A Markdown code span for a table cell: backticks become quotes, '|' is
// escaped (GitHub's tables split cells at '|' even inside code spans).
std::string md_code(const std::string& text) {
  std::string out = "`";
  for (const char ch : text) {
    if (ch == '`') {
      out += '\'';
    } else if (ch == '|') {
      out += "\\|";
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      out += ' ';
    } else {
      out += ch;
    }
  }
  return out + "`";
}

std::string md_verdict(const std::optional<TableCell>& cell) {
  if (!cell) return "-";
  if (cell->property.empty()) return cell->verdict;
  return cell->verdict + " (" + cell->property + ")";
}

}  // namespace

void write_markdown(std::ostream& out, const ResultTable& table,
                    const std::vector<BatchResult>& results, const TracePaths& traces,
                    const std::string& dir, double elapsed) {
  const GateCounts c = gate_counts(results);
  out << "### protmc gate: "
      << (c.violation > 0    ? "failed"
          : c.incomplete > 0 ? "incomplete"
                             : "passed")
      << "\n\n";
  out << results.size() << " test cases (scenarios tagged `gate` in " << md_code(dir)
      << "): " << c.pass << " pass, " << c.violation << " violation, " << c.incomplete
      << " incomplete, " << std::fixed << std::setprecision(2) << elapsed << " s.\n\n";
  out << "| scenario |";
  for (const std::string& column : table.columns) out << " " << md_escape(column) << " |";
  out << "\n|---|";
  for (size_t i = 0; i < table.columns.size(); ++i) out << "---|";
  out << "\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    out << "| " << md_escape(table.rows[r]) << " |";
    for (const std::optional<TableCell>& cell : table.cells[r]) {
      out << " " << md_escape(md_verdict(cell)) << " |";
    }
    out << "\n";
  }
  if (c.violation > 0) {
    out << "\n#### Violations\n\n| test case | property | finding | reproduce | trace "
           "|\n|---|---|---|---|---|\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const BatchResult& r = results[i];
      if (r.verdict != scenario::Verdict::kViolation) continue;
      out << "| " << md_code(gate_case_name(r)) << " | " << md_escape(shown_property(r)) << " | "
          << md_escape(shown_message(r)) << " | " << md_code(reproduce_command(r)) << " | "
          << (traces[i].empty() ? "-" : md_code(traces[i])) << " |\n";
    }
  }
  if (c.incomplete > 0) {
    out << "\n#### Incomplete\n\n| test case | reason |\n|---|---|\n";
    for (const BatchResult& r : results) {
      if (r.verdict != scenario::Verdict::kIncomplete) continue;
      out << "| " << md_code(gate_case_name(r)) << " | "
          << md_escape(r.result.stats.incomplete_reason) << " |\n";
    }
  }
}

// --- JSON. ---

// {"proposals": [...], "results": [batch_result_json without the expectation
// fields, plus "trace"], "summary":
// {"test_cases", "pass", "violation", "incomplete", "elapsed_s", "outcome"}}.
void print_gate_json(std::ostream& out, const std::vector<std::string>& proposals,
                     const std::vector<BatchResult>& results, const TracePaths& traces,
                     double elapsed) {
  using Json = nlohmann::ordered_json;
  const GateCounts c = gate_counts(results);
  Json items = Json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    Json item = batch_result_json(results[i]);
    // The gate judges by verdict alone: no expectations.
    for (const char* key : {"expected", "as_expected", "differs"}) item.erase(key);
    item["trace"] = traces[i].empty() ? Json() : Json(traces[i]);
    items.push_back(std::move(item));
  }
  out << Json{{"proposals", proposals},
              {"results", std::move(items)},
              {"summary",
               {{"test_cases", results.size()},
                {"pass", c.pass},
                {"violation", c.violation},
                {"incomplete", c.incomplete},
                {"elapsed_s", elapsed},
                {"outcome", c.violation > 0    ? "failed"
                            : c.incomplete > 0 ? "incomplete"
                                               : "passed"}}}}
             .dump()
      << "\n";
}

}  // namespace protmc::cli
