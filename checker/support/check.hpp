// Internal-invariant checks that stay on in Release builds.
//
// CHECK(cond) and CHECK_MSG(cond, msg) are for protmc's own bugs only: a user
// error is a value carried back to the caller, and a model's finding is data.
// A failed CHECK prints file:line and the condition to stderr and aborts,
// unless a failure handler is installed on the calling OS thread: the
// executor installs one while a model thread (a fiber) runs, which throws
// ModelCheckFailure so that the failure becomes an internal-error finding of
// that execution instead of ending the process. A handler must not return.
#pragma once

#include <string>
#include <string_view>

namespace protmc {

[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               std::string_view message);

// "file:line: CHECK(condition) failed[: message]".
std::string describe_check_failure(const char* file, int line, const char* condition,
                                   std::string_view message);

using CheckFailureHandler = void (*)(const char* file, int line, const char* condition,
                                     std::string_view message);
namespace detail {
// The calling OS thread's handler. Inline (not behind a call) because the
// executor swaps it at every fiber switch, twice per model step.
inline thread_local CheckFailureHandler t_check_failure_handler = nullptr;
}  // namespace detail

// Installs `handler` (nullptr: abort) for this OS thread; returns the previous one.
inline CheckFailureHandler set_check_failure_handler(CheckFailureHandler handler) {
  const CheckFailureHandler previous = detail::t_check_failure_handler;
  detail::t_check_failure_handler = handler;
  return previous;
}

}  // namespace protmc

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (__builtin_expect(!(cond), 0)) ::protmc::check_failed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define CHECK_MSG(cond, msg)                                                                    \
  do {                                                                                          \
    if (__builtin_expect(!(cond), 0)) ::protmc::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
