// The text rendering of a counterexample trace, shared by `protmc run` and
// `protmc show`: meant to be pasted into an email, so no line is wider than
// kTextWidth columns.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "checker/trace/trace.hpp"

namespace protmc::cli {

inline constexpr size_t kTextWidth = 100;

// The items separated by `separator`.
std::string join_strings(const std::vector<std::string>& items, std::string_view separator);

// Splits `text` at spaces into lines of at most `width` characters; a word
// longer than a line is cut. Never returns an empty vector.
std::vector<std::string> wrap_text(const std::string& text, size_t width);

// Writes `text` after `prefix`, wrapping at spaces at kTextWidth columns;
// continuation lines are indented to the prefix's width.
void print_wrapped(std::ostream& out, const std::string& prefix, const std::string& text);

// A kernel function stack for one line: the entry point and the innermost two
// functions ("do_user_addr_fault > ... > vmf_insert_mixed > insert_pfn").
std::string stack_excerpt(const std::vector<std::string>& functions);

// The trace of a finding; '>' marks `finding_steps`. The main thread's setup
// before it spawns the scenario's threads is shown only where it changes a
// page-table entry (events with notes) or belongs to the finding.
//
// With at most kMaxTraceColumns threads shown, one column per thread: each
// event sits in its thread's column ("kernel functions: operation object =
// value [locks held after it]", then its notes, such as a PTE before and
// after), one step per row, so the interleaving reads top to bottom.
// Otherwise one event per line with the thread's name.
void print_trace(std::ostream& out, const checker::Trace& trace,
                 const std::vector<uint32_t>& finding_steps);

inline constexpr size_t kMaxTraceColumns = 4;

}  // namespace protmc::cli
