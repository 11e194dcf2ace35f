// Text rendering of traces; see trace_text.hpp.
#include "tools/cli/trace_text.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>
#include <string_view>

namespace protmc::cli {
namespace {

std::string format_value(uint64_t value) {
  if (value < 10) return std::to_string(value);
  std::ostringstream out;
  out << "0x" << std::hex << value;
  return out.str();
}

// "f > g > h: operation object = value  [locks]".
std::string event_text(const checker::TraceEvent& event) {
  std::string text = event.functions.empty() ? "" : stack_excerpt(event.functions) + ": ";
  text += event.operation;
  if (!event.object.empty()) text += " " + event.object;
  if (event.value) text += " = " + format_value(*event.value);
  if (!event.locks_held.empty()) text += "  [" + join_strings(event.locks_held, ", ") + "]";
  return text;
}

// The events to show, after the collapsed setup ("hidden" counts the setup
// events of the main thread left out just before each shown one).
struct ShownEvent {
  const checker::TraceEvent* event = nullptr;
  bool marked = false;
  size_t hidden_before = 0;
};

std::vector<ShownEvent> shown_events(const checker::Trace& trace,
                                     const std::vector<uint32_t>& finding_steps) {
  std::vector<ShownEvent> shown;
  bool setup = true;
  size_t hidden = 0;
  for (const checker::TraceEvent& event : trace.events) {
    const bool marked =
        std::find(finding_steps.begin(), finding_steps.end(), event.step) != finding_steps.end();
    // Setup ends where the main thread has started others (spawns are not
    // events: the note "spawned ..." on its next event says so) or another
    // thread acts.
    const bool after_spawn = !event.notes.empty() && event.notes.front().rfind("spawned ", 0) == 0;
    if (setup && (event.thread != 0 || after_spawn)) setup = false;
    if (setup && !marked && event.notes.empty()) {
      ++hidden;
      continue;
    }
    shown.push_back({&event, marked, hidden});
    hidden = 0;
  }
  return shown;
}

void print_hidden(std::ostream& out, size_t hidden) {
  if (hidden == 0) return;
  out << "         (" << hidden << " setup event" << (hidden == 1 ? "" : "s")
      << " of the main thread not shown)\n";
}

std::string step_prefix(const ShownEvent& shown) {
  std::ostringstream prefix;
  prefix << "  " << (shown.marked ? '>' : ' ') << std::right << std::setw(5) << shown.event->step
         << " ";
  return prefix.str();
}

void print_event_list(std::ostream& out, const checker::Trace& trace,
                      const std::vector<ShownEvent>& shown) {
  size_t thread_width = 6;
  for (const std::string& name : trace.thread_names) {
    thread_width = std::max(thread_width, std::min<size_t>(name.size(), 14));
  }
  out << "    step " << std::left << std::setw(static_cast<int>(thread_width)) << "thread"
      << "  kernel functions: operation object = value  [locks held after it]\n";
  for (const ShownEvent& s : shown) {
    print_hidden(out, s.hidden_before);
    std::ostringstream prefix;
    prefix << step_prefix(s) << std::left << std::setw(static_cast<int>(thread_width))
           << s.event->thread_name.substr(0, 14) << "  ";
    print_wrapped(out, prefix.str(), event_text(*s.event));
    const std::string note_prefix = std::string(prefix.str().size(), ' ') + "| ";
    for (const std::string& note : s.event->notes) print_wrapped(out, note_prefix, note);
  }
}

constexpr size_t kStepWidth = 9;  // "  >   50 "
constexpr size_t kGutter = 2;

// Writes `cell` (already wrapped to `width`) in column `column` of `columns`,
// after `first_prefix` on its first line and blanks on the others.
void print_cell(std::ostream& out, const std::string& first_prefix,
                const std::vector<std::string>& cell, size_t column, size_t width) {
  for (size_t i = 0; i < cell.size(); ++i) {
    std::string line = i == 0 ? first_prefix : std::string(kStepWidth, ' ');
    line += std::string(column * (width + kGutter), ' ');
    line += cell[i];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void print_columns(std::ostream& out, const std::vector<uint32_t>& threads,
                   const checker::Trace& trace, const std::vector<ShownEvent>& shown) {
  const size_t n = threads.size();
  const size_t width = (kTextWidth - kStepWidth - (n - 1) * kGutter) / n;
  auto column_of = [&](uint32_t thread) {
    return static_cast<size_t>(std::find(threads.begin(), threads.end(), thread) - threads.begin());
  };
  std::string header = "    step ";
  std::string rule = std::string(kStepWidth, ' ');
  for (size_t c = 0; c < n; ++c) {
    const uint32_t thread = threads[c];
    std::string name = thread < trace.thread_names.size() ? trace.thread_names[thread] : "?";
    name = name.substr(0, width);
    header += name + std::string(width - name.size() + (c + 1 < n ? kGutter : 0), ' ');
    rule += std::string(width, '-') + std::string(c + 1 < n ? kGutter : 0, ' ');
  }
  while (header.back() == ' ') header.pop_back();
  out << header << "\n" << rule << "\n";
  for (const ShownEvent& s : shown) {
    print_hidden(out, s.hidden_before);
    std::vector<std::string> cell = wrap_text(event_text(*s.event), width);
    for (const std::string& note : s.event->notes) {
      for (const std::string& line : wrap_text(note, width - 2)) cell.push_back("| " + line);
    }
    print_cell(out, step_prefix(s), cell, column_of(s.event->thread), width);
  }
}

}  // namespace

std::string join_strings(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

std::vector<std::string> wrap_text(const std::string& text, size_t width) {
  width = std::max<size_t>(width, 1);
  std::vector<std::string> lines;
  std::string line;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    while (word.size() > width) {  // a word longer than a line: cut it
      if (!line.empty()) lines.push_back(std::move(line));
      line.clear();
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

void print_wrapped(std::ostream& out, const std::string& prefix, const std::string& text) {
  const size_t indent = prefix.size();
  const size_t room = kTextWidth > indent + 20 ? kTextWidth - indent : 20;
  const std::vector<std::string> lines = wrap_text(text, room);
  for (size_t i = 0; i < lines.size(); ++i) {
    out << (i == 0 ? prefix : std::string(indent, ' ')) << lines[i] << "\n";
  }
}

std::string stack_excerpt(const std::vector<std::string>& functions) {
  if (functions.size() <= 3) return join_strings(functions, " > ");
  return functions.front() + " > ... > " + functions[functions.size() - 2] + " > " +
         functions.back();
}

void print_trace(std::ostream& out, const checker::Trace& trace,
                 const std::vector<uint32_t>& finding_steps) {
  const std::vector<ShownEvent> shown = shown_events(trace, finding_steps);
  std::vector<uint32_t> threads;
  for (const ShownEvent& s : shown) {
    if (std::find(threads.begin(), threads.end(), s.event->thread) == threads.end()) {
      threads.push_back(s.event->thread);
    }
  }
  std::sort(threads.begin(), threads.end());
  if (threads.empty() || threads.size() > kMaxTraceColumns) {
    print_event_list(out, trace, shown);
  } else {
    print_columns(out, threads, trace, shown);
  }
}

}  // namespace protmc::cli
