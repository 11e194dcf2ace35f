#include "checker/runtime/strand.hpp"

#include <utility>

#include "checker/support/check.hpp"

namespace protmc::checker {

namespace ctx = boost::context::detail;

void Strand::start(Stack stack, Entry entry, void* arg) {
  stack_ = std::move(stack);
  entry_ = entry;
  arg_ = arg;
  context_ = ctx::make_fcontext(stack_.top(), stack_.size(), &Strand::trampoline);
#ifdef PROTMC_ASAN_FIBERS
  fake_stack_ = nullptr;
  stack_bottom_ = stack_.bottom();
  stack_size_ = stack_.size();
#endif
}

void Strand::trampoline(ctx::transfer_t transfer) {
  auto* left = static_cast<Strand*>(transfer.data);
  Strand& self = *left->target_;
  self.landed(transfer);
  self.entry_(self, self.arg_);
  CHECK_MSG(false, "a strand's entry function returned");
}

Stack Strand::reclaim_parked_stack() {
  CHECK(stack_.valid());
  context_ = nullptr;
  return std::move(stack_);
}

}  // namespace protmc::checker
