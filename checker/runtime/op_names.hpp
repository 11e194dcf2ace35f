// How traces spell the model-facing operations, shared by every backend so
// that a trace reads the same whichever engine produced it.
#pragma once

#include "checker/runtime/env.hpp"

namespace protmc::checker {

// "load"/"store", "READ_ONCE"/"WRITE_ONCE", "atomic load"/"atomic store".
const char* access_name(Access access, bool write);
// "xchg", "fetch_add", "fetch_sub", "fetch_or", "fetch_and".
const char* rmw_name(RmwOp op);

}  // namespace protmc::checker
