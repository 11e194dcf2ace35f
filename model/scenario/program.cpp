// make_scenario_program(): a scenario under one proposal as an engine Program.
#include "model/scenario/program.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "checker/support/check.hpp"
#include "model/mm/paths.hpp"
#include "model/mm/properties.hpp"
#include "model/proposals/proposal.hpp"
#include "model/ttm/ttm_bo.hpp"
#include "model/vvar/vvar.hpp"

namespace protmc::model {

namespace {

// The model's TTM BO has 1..16 pages (ttm_mm_config).
constexpr uint32_t kMaxTtmPages = 16;

// Every placement the BO can be in during an execution: the initial one, the
// targets of the moves, and system after a swap-out (threads interleave, so
// any of them can precede any move).
std::set<TtmPlacement> reachable_placements(const ScenarioConfig& config) {
  std::set<TtmPlacement> placements = {config.placement};
  for (const ScenarioThread& thread : config.threads) {
    for (const ScenarioOp& op : thread.ops) {
      if (const auto* move = std::get_if<BoMoveOp>(&op)) placements.insert(move->to);
      if (std::holds_alternative<BoSwapoutOp>(op)) placements.insert(TtmPlacement::kSystem);
    }
  }
  return placements;
}

std::string op_unsupported(const ScenarioConfig& config, const ScenarioOp& op,
                           const std::set<TtmPlacement>& placements) {
  return std::visit(
      [&](const auto& o) -> std::string {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, MprotectOp>) {
          if (o.count == 0 || o.first + o.count > config.pages) {
            return "mprotect of pages outside the mapping";  // the loader refuses it first
          }
        } else if constexpr (std::is_same_v<T, SplitHugePmdOp>) {
          if (!config.huge) return "split_huge_pmd needs a mapping with \"huge\": true";
        } else if constexpr (std::is_same_v<T, BoMoveOp> || std::is_same_v<T, BoSwapoutOp>) {
          const TtmPlacement to = [&] {
            if constexpr (std::is_same_v<T, BoMoveOp>) {
              return o.to;
            } else {
              return TtmPlacement::kSystem;  // ttm_bo_swapout() moves to system first
            }
          }();
          for (TtmPlacement from : placements) {
            if (std::string problem = ttm_move_problem(from, to); !problem.empty()) {
              return (std::is_same_v<T, BoSwapoutOp> ? "bo_swapout: " : "bo_move: ") + problem +
                     " (not modelled)";
            }
          }
        }
        return "";
      },
      op);
}

// The VMA slots a scenario can need (sysctl_max_map_count of its mm): mmap's
// VMA plus two per mprotect of part of the mapping (split_vma() at each end),
// at most one per page. So no split of a scenario fails for lack of a slot,
// and a scenario without partial mprotects keeps the one VMA it always had.
uint32_t vma_slots(const ScenarioConfig& config, uint32_t pages) {
  uint32_t slots = 1;
  for (const ScenarioThread& thread : config.threads) {
    for (const ScenarioOp& op : thread.ops) {
      if (const auto* mprotect = std::get_if<MprotectOp>(&op)) {
        if (mprotect->first != 0 || mprotect->count != pages) slots += 2;
      }
    }
  }
  return std::min(slots, pages);
}

// The selected mm properties as invariants, watching what they read.
void install_selected_properties(Env& env, const std::shared_ptr<const MmState>& mm,
                                 const ScenarioConfig& config) {
  install_mm_properties(env, mm, config.check_pte_attributes, config.check_pte_permission);
}

// mmap(2) of a file opened read-write: VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC,
// plus VM_MAYSHARE for MAP_SHARED (mm/mmap.c do_mmap, v5.3).
vm_flags_t mmap_vm_flags(vm_flags_t flags) {
  flags |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (flags & VM_SHARED) flags |= VM_MAYSHARE;
  return flags;
}

void run_op(Env& env, const TtmState& ttm, const Proposal& proposal, const ScenarioOp& op) {
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, FaultOp>) {
          ttm_user_fault(env, ttm, proposal, o.page, o.write);
        } else if constexpr (std::is_same_v<T, BoMoveOp>) {
          ttm_bo_move(env, ttm, o.to, o.pipelined);
        } else if constexpr (std::is_same_v<T, BoSwapoutOp>) {
          ttm_bo_swapout(env, ttm);
        } else if constexpr (std::is_same_v<T, MprotectOp>) {
          do_mprotect_pkey(env, *ttm.mm, o.first, uint64_t{o.first} + o.count, o.prot);
        } else if constexpr (std::is_same_v<T, MadviseDontneedOp>) {
          do_madvise_dontneed(env, *ttm.mm, o.first, uint64_t{o.first} + o.count);
        } else if constexpr (std::is_same_v<T, SplitHugePmdOp>) {
          split_huge_pmd_via(env, *ttm.mm, o.page, o.via);
        }
      },
      op);
}

std::string vvar_unsupported(const ScenarioConfig& config, const Proposal& proposal) {
  if (proposal.vvar_fault == nullptr) {
    return "the vvar driver is not modelled yet for the proposal " + config.proposal +
           " (it has no vvar fault path)";
  }
  if (config.vvar_layout.empty() || config.vvar_layout.size() > kMaxTtmPages) {
    return "a vvar mapping of " + std::to_string(config.vvar_layout.size()) +
           " pages is not modelled: 1.." + std::to_string(kMaxTtmPages) + " pages";
  }
  if (config.huge) return "huge PMDs in the vvar mapping are not modelled";
  if (config.vm_flags != VM_READ) {
    return "the vvar mapping is read-only: its flags must be [\"read\"]";
  }
  for (const ScenarioThread& thread : config.threads) {
    for (const ScenarioOp& op : thread.ops) {
      if (const auto* fault = std::get_if<FaultOp>(&op)) {
        if (fault->write) {
          return "thread " + thread.name + ": a write fault on the read-only vvar mapping";
        }
      } else if (const auto* mprotect = std::get_if<MprotectOp>(&op)) {
        if (mprotect->count == 0 || mprotect->first + mprotect->count > config.vvar_layout.size()) {
          return "thread " + thread.name + ": mprotect of pages outside the mapping";
        }
      } else if (!std::holds_alternative<MadviseDontneedOp>(op)) {
        return "thread " + thread.name + ": this operation needs a ttm mapping";
      }
    }
  }
  return "";
}

void run_vvar_op(Env& env, const VvarState& vvar, const Proposal& proposal, const ScenarioOp& op) {
  if (const auto* fault = std::get_if<FaultOp>(&op)) {
    vvar_user_fault(env, vvar, proposal, fault->page);
  } else if (const auto* mprotect = std::get_if<MprotectOp>(&op)) {
    do_mprotect_pkey(env, *vvar.mm, mprotect->first, uint64_t{mprotect->first} + mprotect->count,
                     mprotect->prot);
  } else if (const auto* madvise = std::get_if<MadviseDontneedOp>(&op)) {
    do_madvise_dontneed(env, *vvar.mm, madvise->first, uint64_t{madvise->first} + madvise->count);
  } else {
    CHECK_MSG(false, "vvar_unsupported() refuses the other operations");
  }
}

checker::Program make_vvar_program(const std::shared_ptr<const ScenarioConfig>& shared,
                                   const Proposal* proposal) {
  VvarConfig vvar_config;
  vvar_config.layout = shared->vvar_layout;
  vvar_config.sev_active = shared->sev_active;
  vvar_config.knobs = shared->knobs;
  vvar_config.pmd_pages = shared->pmd_pages;
  vvar_config.max_vmas = vma_slots(*shared, static_cast<uint32_t>(shared->vvar_layout.size()));
  return checker::Program{
      shared->name, [shared, proposal, vvar_config](Env& env) {
        const std::shared_ptr<const VvarState> vvar = make_vvar_state(env, vvar_config);
        vvar_install_special_mapping(env, *vvar, *proposal);
        install_selected_properties(env, vvar->mm, *shared);
        for (uint32_t page : shared->initial_faulted) {
          vvar_user_fault(env, *vvar, *proposal, page);
        }
        std::vector<checker::ThreadId> threads;
        threads.reserve(shared->threads.size());
        for (const ScenarioThread& thread : shared->threads) {
          const ScenarioThread* t = &thread;  // owned by `shared`, which outlives the threads
          threads.push_back(env.spawn(thread.name, [shared, vvar, proposal, t](Env& e) {
            for (const ScenarioOp& op : t->ops) run_vvar_op(e, *vvar, *proposal, op);
          }));
        }
        for (checker::ThreadId thread : threads) env.join(thread);
      }};
}

}  // namespace

std::string scenario_unsupported(const ScenarioConfig& config) {
  const Proposal* proposal = find_proposal(config.proposal);
  if (proposal == nullptr) return "the proposal " + config.proposal + " is not modelled yet";
  if (config.driver == ScenarioDriver::kVvar) return vvar_unsupported(config, *proposal);
  if (proposal->ttm_fault == nullptr) {
    return "the proposal " + config.proposal + " has no TTM fault path yet";
  }
  if (config.pages < 1 || config.pages > kMaxTtmPages) {
    return "a TTM mapping of " + std::to_string(config.pages) +
           " pages is not modelled: the model's buffer object has 1.." +
           std::to_string(kMaxTtmPages) + " pages";
  }
  if (config.pmd_pages < 1 || config.pmd_pages > 16) {
    return "a huge PMD of " + std::to_string(config.pmd_pages) +
           " pages is not modelled: 1..16 pages";
  }
  if (!(config.vm_flags & VM_SHARED)) {
    return "a private TTM mapping is not modelled (no COW faults): add \"shared\" to the "
           "mapping's flags";
  }
  for (uint32_t page : config.initial_faulted) {
    if (page >= config.pages) return "initial page " + std::to_string(page) + " is out of range";
  }
  const std::set<TtmPlacement> placements = reachable_placements(config);
  for (const ScenarioThread& thread : config.threads) {
    for (const ScenarioOp& op : thread.ops) {
      if (std::string problem = op_unsupported(config, op, placements); !problem.empty()) {
        return "thread " + thread.name + ": " + problem;
      }
    }
  }
  return "";
}

checker::Program make_scenario_program(const ScenarioConfig& config) {
  const std::string problem = scenario_unsupported(config);
  CHECK_MSG(problem.empty(), problem.c_str());
  const Proposal* proposal = find_proposal(config.proposal);

  TtmConfig ttm_config;
  ttm_config.num_pages = config.pages;
  ttm_config.pmd_pages = config.pmd_pages;
  ttm_config.transparent_hugepage = config.huge;
  ttm_config.initial = config.placement;
  ttm_config.sev_active = config.sev_active;
  ttm_config.knobs = config.knobs;
  ttm_config.vm_flags = mmap_vm_flags(config.vm_flags);
  ttm_config.max_vmas = vma_slots(config, config.pages);

  auto shared = std::make_shared<const ScenarioConfig>(config);
  if (config.driver == ScenarioDriver::kVvar) return make_vvar_program(shared, proposal);
  return checker::Program{
      config.name, [shared, proposal, ttm_config](Env& env) {
        const std::shared_ptr<const TtmState> ttm = make_ttm_state(env, ttm_config);
        ttm_mmap_region(env, *ttm, *proposal);
        install_selected_properties(env, ttm->mm, *shared);
        for (uint32_t page : shared->initial_faulted) {
          ttm_user_fault(env, *ttm, *proposal, page, /*write=*/false);
        }
        std::vector<checker::ThreadId> threads;
        threads.reserve(shared->threads.size());
        for (const ScenarioThread& thread : shared->threads) {
          const ScenarioThread* t = &thread;  // owned by `shared`, which outlives the threads
          threads.push_back(env.spawn(thread.name, [shared, ttm, proposal, t](Env& e) {
            for (const ScenarioOp& op : t->ops) run_op(e, *ttm, *proposal, op);
          }));
        }
        for (checker::ThreadId thread : threads) env.join(thread);
      }};
}

}  // namespace protmc::model
