#include "checker/support/check.hpp"

#include <cstdio>
#include <cstdlib>

namespace protmc {

std::string describe_check_failure(const char* file, int line, const char* condition,
                                   std::string_view message) {
  std::string text =
      std::string(file) + ":" + std::to_string(line) + ": CHECK(" + condition + ") failed";
  if (!message.empty()) text += ": " + std::string(message);
  return text;
}

void check_failed(const char* file, int line, const char* condition, std::string_view message) {
  if (const CheckFailureHandler handler = detail::t_check_failure_handler) {
    detail::t_check_failure_handler = nullptr;  // a CHECK failing inside the handler aborts
    handler(file, line, condition, message);
  }
  std::fprintf(stderr, "%s:%d: internal error: CHECK(%s) failed%s%.*s\n", file, line, condition,
               message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace protmc
