// Operation names; see op_names.hpp.
#include "checker/runtime/op_names.hpp"

#include "checker/support/check.hpp"

namespace protmc::checker {

const char* access_name(Access access, bool write) {
  switch (access) {
    case Access::kPlain:
      return write ? "store" : "load";
    case Access::kMarked:
      return write ? "WRITE_ONCE" : "READ_ONCE";
    case Access::kAtomic:
      return write ? "atomic store" : "atomic load";
  }
  CHECK_MSG(false, "unknown Access");
  return "?";
}

const char* rmw_name(RmwOp op) {
  switch (op) {
    case RmwOp::kExchange:
      return "xchg";
    case RmwOp::kFetchAdd:
      return "fetch_add";
    case RmwOp::kFetchSub:
      return "fetch_sub";
    case RmwOp::kFetchOr:
      return "fetch_or";
    case RmwOp::kFetchAnd:
      return "fetch_and";
  }
  CHECK_MSG(false, "unknown RmwOp");
  return "?";
}

}  // namespace protmc::checker
