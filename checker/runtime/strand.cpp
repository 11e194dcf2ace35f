#include "checker/runtime/strand.hpp"

#include <utility>

#include "checker/support/check.hpp"

#ifdef PROTMC_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

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

void Strand::switch_to(Strand& from, Strand& to) {
  CHECK(&from != &to && to.context_ != nullptr);
  // `to` learns who left from transfer.data; a fresh strand learns itself
  // from the leaving strand's target_.
  from.target_ = &to;
#ifdef PROTMC_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&from.fake_stack_, to.stack_bottom_, to.stack_size_);
#endif
  const ctx::fcontext_t target = std::exchange(to.context_, nullptr);
  from.landed(ctx::jump_fcontext(target, &from));
}

void Strand::landed(ctx::transfer_t transfer) {
  auto* left = static_cast<Strand*>(transfer.data);
  left->context_ = transfer.fctx;
#ifdef PROTMC_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake_stack_, &left->stack_bottom_, &left->stack_size_);
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
