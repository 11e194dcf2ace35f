// Internal-invariant checks that stay on in Release builds.
//
// CHECK(cond) and CHECK_MSG(cond, msg) are for protmc's own bugs only: a user
// error is a value carried back to the caller, and a model's finding is data.
// A failed CHECK prints file:line and the condition to stderr and aborts.
#pragma once

#include <string_view>

namespace protmc {

[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               std::string_view message);

}  // namespace protmc

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (__builtin_expect(!(cond), 0)) ::protmc::check_failed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define CHECK_MSG(cond, msg)                                                                    \
  do {                                                                                          \
    if (__builtin_expect(!(cond), 0)) ::protmc::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
