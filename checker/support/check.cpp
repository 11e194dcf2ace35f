#include "checker/support/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace protmc {

namespace {
thread_local CheckFailureHandler t_handler = nullptr;
}  // namespace

std::string describe_check_failure(const char* file, int line, const char* condition,
                                   std::string_view message) {
  std::string text =
      std::string(file) + ":" + std::to_string(line) + ": CHECK(" + condition + ") failed";
  if (!message.empty()) text += ": " + std::string(message);
  return text;
}

CheckFailureHandler set_check_failure_handler(CheckFailureHandler handler) {
  const CheckFailureHandler previous = t_handler;
  t_handler = handler;
  return previous;
}

void check_failed(const char* file, int line, const char* condition, std::string_view message) {
  if (const CheckFailureHandler handler = t_handler) {
    t_handler = nullptr;  // a CHECK failing inside the handler aborts
    handler(file, line, condition, message);
  }
  std::fprintf(stderr, "%s:%d: internal error: CHECK(%s) failed%s%.*s\n", file, line, condition,
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace protmc
