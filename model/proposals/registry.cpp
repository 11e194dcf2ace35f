// The proposal registry; see proposal.hpp.
#include <string>

#include "checker/support/check.hpp"
#include "model/proposals/proposal.hpp"

// One line per proposal: the function (defined in the proposal's own file)
// that returns its Proposal. Order is the listing order.
#define PROTMC_PROPOSALS(X)         \
  X(make_fake_vma_proposal)         \
  X(make_per_page_prot_proposal)    \
  X(make_write_once_proposal)       \
  X(make_dma_mmap_prepare_proposal) \
  X(make_vm_prot_lock_proposal)

namespace protmc::model {

#define PROTMC_DECLARE_PROPOSAL(make) Proposal make();
PROTMC_PROPOSALS(PROTMC_DECLARE_PROPOSAL)
#undef PROTMC_DECLARE_PROPOSAL

namespace {

struct Registry {
  std::vector<Proposal> proposals;
  bool looked_up = false;  // after the first lookup, pointers into `proposals` are out
};

Registry& registry() {
#define PROTMC_CALL_PROPOSAL(make) make(),
  static Registry r{{PROTMC_PROPOSALS(PROTMC_CALL_PROPOSAL)}};
#undef PROTMC_CALL_PROPOSAL
  return r;
}

}  // namespace

const std::vector<Proposal>& all_proposals() {
  Registry& r = registry();
  r.looked_up = true;
  return r.proposals;
}

void register_proposal(const Proposal& proposal) {
  Registry& r = registry();
  CHECK_MSG(!r.looked_up, "register_proposal() after proposals were looked up");
  for (const Proposal& existing : r.proposals) {
    CHECK_MSG(existing.name != proposal.name, "a proposal of that name is already registered");
  }
  r.proposals.push_back(proposal);
}

const Proposal* find_proposal(std::string_view name) {
  for (const Proposal& proposal : all_proposals()) {
    if (proposal.name == name) return &proposal;
  }
  return nullptr;
}

void ttm_mmap_region(Env& env, const TtmState& ttm, const Proposal& proposal) {
  checker::FunctionScope scope(env, "mmap_region");
  env.lock(ttm.mm->mmap_sem, checker::LockMode::kExclusive);
  if (proposal.ttm_mmap != nullptr) {
    checker::FunctionScope mmap(env, "call_mmap");
    proposal.ttm_mmap(env, ttm);
  }
  vma_set_page_prot(env, *ttm.mm, ttm.mm->vma(0));
  env.unlock(ttm.mm->mmap_sem, checker::LockMode::kExclusive);
}

vm_fault_t ttm_user_fault(Env& env, const TtmState& ttm, const Proposal& proposal, uint64_t address,
                          bool write) {
  const TtmFaultFn fault = proposal.ttm_fault;
  const TtmFaultFn huge_fault = ttm.mm->knobs.ttm_huge_faults ? proposal.ttm_huge_fault : nullptr;
  HugeFaultHandler huge_handler;
  if (huge_fault != nullptr) {
    huge_handler = [&ttm, huge_fault](Env& e, VmFault& vmf) { return huge_fault(e, ttm, vmf); };
  }
  return do_user_addr_fault(
      env, *ttm.mm, address, write,
      [&ttm, fault](Env& e, VmFault& vmf) { return fault(e, ttm, vmf); }, huge_handler);
}

void vvar_install_special_mapping(Env& env, const VvarState& vvar, const Proposal& proposal) {
  checker::FunctionScope scope(env, "_install_special_mapping");
  env.lock(vvar.mm->mmap_sem, checker::LockMode::kExclusive);
  if (proposal.vvar_mmap != nullptr) proposal.vvar_mmap(env, vvar);
  env.unlock(vvar.mm->mmap_sem, checker::LockMode::kExclusive);
}

vm_fault_t vvar_user_fault(Env& env, const VvarState& vvar, const Proposal& proposal,
                           uint64_t address) {
  CHECK_MSG(proposal.vvar_fault != nullptr, "the proposal has no vvar variant");
  const VvarFaultFn fault = proposal.vvar_fault;
  return do_user_addr_fault(env, *vvar.mm, address, /*write=*/false,
                            [&vvar, fault](Env& e, VmFault& vmf) {
                              checker::FunctionScope special(e, "special_mapping_fault");
                              return fault(e, vvar, vmf);
                            });
}

}  // namespace protmc::model
