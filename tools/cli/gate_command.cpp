// protmc gate [DIR] --proposal NAME...: the CI gate for locking proposals.
// Runs every scenario of DIR tagged "gate" under each named proposal (instead
// of the scenario's own proposal, as `run --proposal` does) and judges by
// verdict alone: a gate scenario is one every acceptable proposal must pass.
// Prints a table, and optionally writes a JUnit XML file and a Markdown
// summary. Status 1 for any violation, else 3 for any incomplete
// exploration, else 0.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/proposals/proposal.hpp"
#include "tools/cli/commands.hpp"
#include "tools/cli/result_table.hpp"
#include "tools/cli/scenario_batch.hpp"
#include "tools/cli/trace_writer.hpp"
#include "tools/scenario/loader.hpp"

namespace protmc::cli {
namespace {

constexpr const char* kGateTag = "gate";

struct GateOptions {
  std::string dir = "scenarios";
  std::vector<std::string> proposals;
  std::string junit;     // "": none
  std::string markdown;  // "": none
  // Where the trace of each violation is written; "": none, unless --junit
  // is given, whose failures name the trace: then protmc-traces/ beside it.
  std::string trace_dir;
  std::string format = "text";
};

// The trace file written for each result (by index into the results); ""
// for none.
using TracePaths = std::vector<std::string>;

struct Counts {
  size_t pass = 0;
  size_t violation = 0;
  size_t incomplete = 0;
};

Counts count(const std::vector<BatchResult>& results) {
  Counts c;
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

std::string case_name(const BatchResult& r) { return r.scenario->name + "[" + r.proposal + "]"; }

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

void write_junit(std::ostream& out, const std::vector<BatchResult>& results,
                 const TracePaths& traces, double elapsed) {
  const Counts c = count(results);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuite name=\"protmc gate\" tests=\"" << results.size() << "\" failures=\""
      << c.violation << "\" errors=\"0\" skipped=\"" << c.incomplete << "\" time=\""
      << seconds(elapsed) << "\">\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const BatchResult& r = results[i];
    const checker::Stats& stats = r.result.stats;
    out << "  <testcase classname=\"protmc.gate\" name=\"" << attr(case_name(r)) << "\" file=\""
        << attr(r.scenario->path) << "\" time=\"" << seconds(stats.elapsed_s) << "\"";
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

void write_markdown(std::ostream& out, const ResultTable& table,
                    const std::vector<BatchResult>& results, const TracePaths& traces,
                    const std::string& dir, double elapsed) {
  const Counts c = count(results);
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
      out << "| " << md_code(case_name(r)) << " | " << md_escape(shown_property(r)) << " | "
          << md_escape(shown_message(r)) << " | " << md_code(reproduce_command(r)) << " | "
          << (traces[i].empty() ? "-" : md_code(traces[i])) << " |\n";
    }
  }
  if (c.incomplete > 0) {
    out << "\n#### Incomplete\n\n| test case | reason |\n|---|---|\n";
    for (const BatchResult& r : results) {
      if (r.verdict != scenario::Verdict::kIncomplete) continue;
      out << "| " << md_code(case_name(r)) << " | " << md_escape(r.result.stats.incomplete_reason)
          << " |\n";
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
  const Counts c = count(results);
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

// --- The command. ---

std::string known_proposals() {
  std::string names;
  for (const model::Proposal& p : model::all_proposals()) {
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  }
  return names;
}

// Opens `path` for writing; on failure reports it and returns false.
bool open_output(const std::string& option, const std::string& path, std::ofstream& out) {
  out.open(path, std::ios::binary | std::ios::trunc);
  if (out) return true;
  std::cerr << "protmc gate: " << option << " " << path << ": cannot write the file\n";
  return false;
}

ExitStatus run_gate(const GateOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> proposals;
  for (const std::string& name : opts.proposals) {
    if (model::find_proposal(name) == nullptr) {
      std::cerr << "protmc gate: unknown proposal '" << name
                << "'; known proposals: " << known_proposals() << "\n";
      return ExitStatus::kBadInput;
    }
    if (std::find(proposals.begin(), proposals.end(), name) == proposals.end()) {
      proposals.push_back(name);
    }
  }

  const std::vector<std::string> paths = {opts.dir};
  const scenario::LoadResult loaded = scenario::load_scenario_paths(paths);
  for (const scenario::Diagnostic& d : loaded.diagnostics) std::cerr << d.to_string() << "\n";
  if (!loaded.ok()) return ExitStatus::kBadInput;
  std::vector<scenario::Scenario> gate;
  for (const scenario::Scenario& s : loaded.scenarios) {
    if (s.has_tag(kGateTag)) gate.push_back(s);
  }
  if (gate.empty()) {
    std::cerr << "protmc gate: no scenario in " << opts.dir << " is tagged \"" << kGateTag
              << "\"\n";
    return ExitStatus::kBadInput;
  }
  const BatchPlan plan = plan_batch(
      gate, [&proposals](const scenario::Scenario&) { return proposals; }, false);
  for (const std::string& error : plan.errors) std::cerr << error << "\n";
  if (!plan.ok()) return ExitStatus::kBadInput;

  // Open the output files before exploring, so that a bad path costs nothing.
  std::ofstream junit;
  std::ofstream markdown;
  if (!opts.junit.empty() && !open_output("--junit", opts.junit, junit)) {
    return ExitStatus::kBadInput;
  }
  if (!opts.markdown.empty() && !open_output("--markdown", opts.markdown, markdown)) {
    return ExitStatus::kBadInput;
  }

  std::string trace_dir = opts.trace_dir;
  if (trace_dir.empty() && !opts.junit.empty()) {
    trace_dir = (std::filesystem::path(opts.junit).parent_path() / "protmc-traces").string();
  }
  std::optional<TraceWriter> writer;
  if (!trace_dir.empty()) {
    writer.emplace(trace_dir, "protmc gate");
    if (std::string error = writer->prepare(); !error.empty()) {
      std::cerr << error << "\n";
      return ExitStatus::kBadInput;
    }
  }

  const std::vector<BatchResult> results = run_batch(plan.jobs, "gate");
  TracePaths traces(results.size());
  bool trace_failed = false;
  for (size_t i = 0; writer && i < results.size(); ++i) {
    const BatchResult& r = results[i];
    const checker::Counterexample* cex = r.shown_finding();
    if (r.verdict != scenario::Verdict::kViolation || cex == nullptr) continue;
    std::string error;
    traces[i] = writer->write(*r.scenario, r.proposal, std::nullopt, *cex, r.result.stats, error);
    if (!error.empty()) {
      std::cerr << error << "\n";
      trace_failed = true;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  ResultTable table;
  table.columns = proposals;
  std::map<std::pair<const scenario::Scenario*, std::string>, const BatchResult*> index;
  for (const BatchResult& r : results) index[{r.scenario, r.proposal}] = &r;
  for (const scenario::Scenario& s : gate) {
    table.rows.push_back(s.name);
    std::vector<std::optional<TableCell>>& row = table.cells.emplace_back();
    for (const std::string& proposal : proposals) {
      const auto it = index.find({&s, proposal});
      if (it == index.end()) {
        row.emplace_back();
      } else {
        row.push_back(TableCell{std::string(scenario::to_string(it->second->verdict)),
                                shown_property(*it->second), false});
      }
    }
  }

  const Counts c = count(results);
  if (opts.format == "json") {
    print_gate_json(std::cout, proposals, results, traces, elapsed);
  } else {
    std::cout << render_table(table);
    if (c.violation > 0) {
      std::cout << "\nviolations:\n";
      for (size_t i = 0; i < results.size(); ++i) {
        const BatchResult& r = results[i];
        if (r.verdict != scenario::Verdict::kViolation) continue;
        std::cout << "  " << case_name(r) << ": " << shown_property(r) << ": " << shown_message(r)
                  << "\n    reproduce: " << reproduce_command(r) << "\n";
        if (!traces[i].empty()) std::cout << "    trace: " << traces[i] << "\n";
      }
    }
    if (c.incomplete > 0) {
      std::cout << "\nincomplete:\n";
      for (const BatchResult& r : results) {
        if (r.verdict != scenario::Verdict::kIncomplete) continue;
        std::cout << "  " << case_name(r) << ": " << r.result.stats.incomplete_reason << "\n";
      }
    }
    std::cout << "\ngate "
              << (c.violation > 0    ? "FAILED"
                  : c.incomplete > 0 ? "INCOMPLETE"
                                     : "passed")
              << ": " << results.size() << " test cases, " << c.pass << " pass, " << c.violation
              << " violation, " << c.incomplete << " incomplete, " << std::fixed
              << std::setprecision(2) << elapsed << " s\n";
    std::cout.flush();
  }
  if (junit.is_open()) {
    write_junit(junit, results, traces, elapsed);
    junit.close();
    if (!junit) {
      std::cerr << "protmc gate: --junit " << opts.junit << ": write failed\n";
      return ExitStatus::kBadInput;
    }
  }
  if (markdown.is_open()) {
    write_markdown(markdown, table, results, traces, opts.dir, elapsed);
    markdown.close();
    if (!markdown) {
      std::cerr << "protmc gate: --markdown " << opts.markdown << ": write failed\n";
      return ExitStatus::kBadInput;
    }
  }
  if (c.violation > 0) return ExitStatus::kFinding;
  if (trace_failed) return ExitStatus::kBadInput;
  if (c.incomplete > 0) return ExitStatus::kIncomplete;
  return ExitStatus::kAsExpected;
}

}  // namespace

Command add_gate_command(CLI::App& parent) {
  auto opts = std::make_shared<GateOptions>();
  CLI::App* app = parent.add_subcommand(
      "gate",
      "Run every scenario tagged \"gate\" under the named proposals (instead of each scenario's "
      "own) and print a table of verdicts; status 1 for any violation, 3 for an incomplete "
      "exploration");
  app->add_option("dir", opts->dir, "Scenario directory (or one scenario file)")
      ->capture_default_str();
  app->add_option("--proposal", opts->proposals,
                  "Proposal to gate (repeat for several; see: protmc list proposals)")
      ->required()
      ->allow_extra_args(false);
  app->add_option("--junit", opts->junit,
                  "Also write the results as JUnit XML here: one test case per scenario x "
                  "proposal, named SCENARIO[PROPOSAL]");
  app->add_option("--markdown", opts->markdown,
                  "Also write a Markdown summary here, for a review or a CI job summary");
  app->add_option("--format", opts->format, "Output: text (a table), or json (one object)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app->add_option("--trace-dir", opts->trace_dir,
                  "Write the trace of each violation here (created if missing); with --junit "
                  "and no --trace-dir, protmc-traces/ beside the JUnit file");
  return Command{app, [opts]() { return run_gate(*opts); }};
}

}  // namespace protmc::cli
