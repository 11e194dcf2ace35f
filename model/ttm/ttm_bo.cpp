// The TTM buffer object, its placements and the move / unmap paths; see
// ttm_bo.hpp.
//
// Kernel sources read (torvalds/linux has no v5.3 tag in the index; read from
// trees and patches of that era): ttm_bo.c and ttm_bo_util.c copies of the
// v5.0-v5.3 era (struct reservation_object, bo->resv, bo->vma_node; renamed
// dma_resv / bo->base in v5.4): ttm_mem_reg_is_pci(),
// ttm_bo_unmap_virtual_locked() ("drm_vma_node_unmap(&bo->vma_node,
// bdev->dev_mapping); ttm_mem_io_free_vm(bo);"), ttm_bo_unmap_virtual(),
// ttm_bo_handle_move_mem(), ttm_bo_swapout(), ttm_mem_io_lock()/unlock(),
// ttm_mem_io_evict(), ttm_bo_move_memcpy(), ttm_bo_move_accel_cleanup() and
// ttm_io_prot() ("/* Cached mappings need no adjustment */"); the 2024
// TTM_TT_FLAG_DECRYPTED change to ttm_io_prot() from its patch mail.
#include "model/ttm/ttm_bo.hpp"

#include "checker/support/check.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;

std::string_view to_string(TtmPlacement placement) {
  switch (placement) {
    case TtmPlacement::kSystem:
      return "system";
    case TtmPlacement::kTt:
      return "tt";
    case TtmPlacement::kSystemWc:
      return "system-wc";
    case TtmPlacement::kSystemUc:
      return "system-uc";
    case TtmPlacement::kSystemDma:
      return "system-dma";
    case TtmPlacement::kVram:
      return "vram";
  }
  return "?";
}

std::optional<TtmPlacement> parse_placement(std::string_view name) {
  for (TtmPlacement p : kAllTtmPlacements) {
    if (to_string(p) == name) return p;
  }
  return std::nullopt;
}

TtmMemReg ttm_mem_reg_of(TtmPlacement placement) {
  switch (placement) {
    case TtmPlacement::kSystem:
      return {TTM_PL_SYSTEM, TTM_PL_FLAG_SYSTEM | TTM_PL_FLAG_CACHED, false};
    case TtmPlacement::kTt:
      return {TTM_PL_TT, TTM_PL_FLAG_TT | TTM_PL_FLAG_CACHED, false};
    case TtmPlacement::kSystemWc:
      return {TTM_PL_SYSTEM, TTM_PL_FLAG_SYSTEM | TTM_PL_FLAG_WC, false};
    case TtmPlacement::kSystemUc:
      return {TTM_PL_SYSTEM, TTM_PL_FLAG_SYSTEM | TTM_PL_FLAG_UNCACHED, false};
    case TtmPlacement::kSystemDma:
      return {TTM_PL_TT, TTM_PL_FLAG_TT | TTM_PL_FLAG_CACHED, false};
    case TtmPlacement::kVram:
      return {TTM_PL_VRAM, TTM_PL_FLAG_VRAM | TTM_PL_FLAG_WC, true};
  }
  return {};
}

uint32_t ttm_man_flags(uint32_t mem_type) {
  return mem_type == TTM_PL_VRAM ? TTM_MEMTYPE_FLAG_FIXED | TTM_MEMTYPE_FLAG_MAPPABLE
                                 : TTM_MEMTYPE_FLAG_MAPPABLE;
}

MemoryKind memory_kind_of(TtmPlacement placement) {
  switch (placement) {
    case TtmPlacement::kSystem:
    case TtmPlacement::kTt:
      return MemoryKind::kSystemCached;
    case TtmPlacement::kSystemWc:
      return MemoryKind::kSystemWc;
    case TtmPlacement::kSystemUc:
      return MemoryKind::kSystemUc;
    case TtmPlacement::kSystemDma:
      return MemoryKind::kDmaCoherentCached;
    case TtmPlacement::kVram:
      return MemoryKind::kIomemWc;
  }
  return MemoryKind::kSystemCached;
}

uint32_t ttm_backing_of(TtmPlacement placement) {
  switch (placement) {
    case TtmPlacement::kSystem:
    case TtmPlacement::kTt:
      return 0;
    case TtmPlacement::kSystemWc:
      return 1;
    case TtmPlacement::kSystemUc:
      return 2;
    case TtmPlacement::kSystemDma:
      return 3;
    case TtmPlacement::kVram:
      return 4;
  }
  return 0;
}

namespace {

// One placement per backing range, for the memory table.
constexpr std::array<TtmPlacement, kTtmNumBackings> kBackingPlacement = {
    TtmPlacement::kSystem, TtmPlacement::kSystemWc, TtmPlacement::kSystemUc,
    TtmPlacement::kSystemDma, TtmPlacement::kVram};

}  // namespace

MmConfig ttm_mm_config(const TtmConfig& config) {
  CHECK_MSG(config.num_pages >= 1 && config.num_pages <= 16, "a BO has 1..16 pages");
  CHECK_MSG(config.vm_flags & VM_SHARED, "TTM mappings are modelled as shared (no COW faults)");
  MmConfig mm;
  mm.nr_pages = config.num_pages;
  mm.pmd_pages = config.pmd_pages;
  mm.transparent_hugepage = config.transparent_hugepage;
  mm.vma_kind = VmaKind::kMixedMap;
  mm.vm_flags = config.vm_flags | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
  mm.vm_pgoff = config.vma_node_start;
  mm.max_vmas = config.max_vmas;
  mm.sev_active = config.sev_active;
  mm.knobs = config.knobs;
  mm.first_pfn = config.first_pfn;
  const uint32_t initial = ttm_backing_of(config.initial);
  for (uint32_t b = 0; b < kTtmNumBackings; ++b) {
    for (uint32_t page = 0; page < config.num_pages; ++page) {
      mm.memory.push_back({memory_kind_of(kBackingPlacement[b]), b == initial ? 1u : kPfnFree});
    }
  }
  return mm;
}

std::shared_ptr<const TtmState> make_ttm_state(Env& env, const TtmConfig& config) {
  auto ttm = std::make_shared<TtmState>();
  ttm->mm = make_mm_state(env, ttm_mm_config(config));
  ttm->io_reserve_fastpath = config.io_reserve_fastpath;
  static constexpr std::array<std::string_view, kTtmNumMemTypes> kManNames = {
      "man[TTM_PL_SYSTEM].io_reserve_mutex", "man[TTM_PL_TT].io_reserve_mutex",
      "man[TTM_PL_VRAM].io_reserve_mutex"};
  for (uint32_t t = 0; t < kTtmNumMemTypes; ++t) {
    ttm->io_reserve_mutex[t] = env.make_lock(
        checker::LockSpec{kManNames[t], "io_reserve_mutex", checker::LockKind::kMutex, false});
  }
  ttm->num_pages = config.num_pages;
  ttm->vma_node_start = config.vma_node_start;
  ttm->owner = 1;
  ttm->resv =
      env.make_lock(checker::LockSpec{"bo->resv", "resv", checker::LockKind::kReservation, false});
  ttm->mem = env.make_var("bo->mem", static_cast<uint64_t>(config.initial));
  ttm->moving = env.make_var("bo->moving", 0);
  ttm->moving_fence = env.make_lock(
      checker::LockSpec{"bo->moving fence", "dma_fence", checker::LockKind::kMutex, false});
  for (uint32_t page = 0; page < config.num_pages; ++page) {
    set_expected_pfn(env, *ttm->mm, page, ttm->pfn(config.initial, page));
  }
  return ttm;
}

// ttm_io_prot(caching_flags, tmp) (ttm_bo_util.c, v5.3), x86:
//   /* Cached mappings need no adjustment */
//   if (caching_flags & TTM_PL_FLAG_CACHED) return tmp;
//   if (caching_flags & TTM_PL_FLAG_WC) tmp = pgprot_writecombine(tmp);
//   else if (boot_cpu_data.x86 > 3) tmp = pgprot_noncached(tmp);
//   return tmp;
// With the knob ttm_decrypts_dma_pages, the 2024 fix (TTM_TT_FLAG_DECRYPTED):
// the cached return becomes "goto check_encryption", and at the end
//   check_encryption: if (tt_page_flags & TTM_TT_FLAG_DECRYPTED) tmp = pgprot_decrypted(tmp);
// so pages the DMA API decrypted are mapped decrypted whatever their caching.
x86::pgprot_t ttm_io_prot(const TtmState& ttm, TtmPlacement placement, x86::pgprot_t tmp) {
  const uint32_t caching_flags = ttm_mem_reg_of(placement).placement;
  if (!(caching_flags & TTM_PL_FLAG_CACHED)) {
    if (caching_flags & TTM_PL_FLAG_WC) {
      tmp = x86::pgprot_writecombine(tmp);
    } else {
      tmp = x86::pgprot_noncached(tmp);  // boot_cpu_data.x86 > 3
    }
  }
  if (ttm.mm->knobs.ttm_decrypts_dma_pages && placement == TtmPlacement::kSystemDma) {
    tmp = x86::pgprot_decrypted(tmp);  // check_encryption
  }
  return tmp;
}

// ttm_mem_reg_is_pci() (ttm_bo.c, v5.3):
//   if (!(man->flags & TTM_MEMTYPE_FLAG_FIXED)) {
//     if (mem->mem_type == TTM_PL_SYSTEM) return false;
//     if (man->flags & TTM_MEMTYPE_FLAG_CMA) return false;
//     if (mem->placement & TTM_PL_FLAG_CACHED) return false;
//   }
//   return true;
bool ttm_mem_reg_is_pci(const TtmMemReg& mem) {
  const uint32_t flags = ttm_man_flags(mem.mem_type);
  if (!(flags & TTM_MEMTYPE_FLAG_FIXED)) {
    if (mem.mem_type == TTM_PL_SYSTEM) return false;
    if (flags & TTM_MEMTYPE_FLAG_CMA) return false;
    if (mem.placement & TTM_PL_FLAG_CACHED) return false;
  }
  return true;
}

// ttm_mem_io_lock(man, interruptible) (ttm_bo_util.c, v5.3):
//   if (likely(man->io_reserve_fastpath)) return 0;
//   mutex_lock(&man->io_reserve_mutex);   (interruptible: never interrupted here)
void ttm_mem_io_lock(Env& env, const TtmState& ttm, uint32_t mem_type) {
  if (ttm.io_reserve_fastpath) return;
  FunctionScope scope(env, "ttm_mem_io_lock");
  env.lock(ttm.io_reserve_mutex.at(mem_type));
}

void ttm_mem_io_unlock(Env& env, const TtmState& ttm, uint32_t mem_type) {
  if (ttm.io_reserve_fastpath) return;
  FunctionScope scope(env, "ttm_mem_io_unlock");
  env.unlock(ttm.io_reserve_mutex.at(mem_type));
}

TtmPlacement ttm_bo_read_mem(Env& env, const TtmState& ttm) {
  return static_cast<TtmPlacement>(env.load(ttm.mem, Access::kPlain));
}

// ttm_bo_unmap_virtual_locked() (ttm_bo.c, v5.3):
//   drm_vma_node_unmap(&bo->vma_node, bdev->dev_mapping);
//     // unmap_mapping_range(mapping, drm_vma_node_offset_addr(node),
//     //                     drm_vma_node_size(node) << PAGE_SHIFT, 1)
//   ttm_mem_io_free_vm(bo);   // io reservation bookkeeping: not modelled
// Locks held on entry: resv, the old manager's io_reserve_mutex.
void ttm_bo_unmap_virtual_locked(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "ttm_bo_unmap_virtual_locked");
  unmap_mapping_range(env, *ttm.mm, ttm.vma_node_start, ttm.num_pages, /*even_cows=*/true);
}

// ttm_bo_unmap_virtual() (ttm_bo.c, v5.3):
//   struct ttm_mem_type_manager *man = &bdev->man[bo->mem.mem_type];
//   ttm_mem_io_lock(man, false); ttm_bo_unmap_virtual_locked(bo); ttm_mem_io_unlock(man);
// Locks held on entry: resv.
void ttm_bo_unmap_virtual(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "ttm_bo_unmap_virtual");
  const uint32_t mem_type = ttm_mem_reg_of(ttm_bo_read_mem(env, ttm)).mem_type;
  ttm_mem_io_lock(env, ttm, mem_type);
  ttm_bo_unmap_virtual_locked(env, ttm);
  ttm_mem_io_unlock(env, ttm, mem_type);
}

namespace {

bool move_zaps(const TtmMemReg& old_mem, const TtmMemReg& new_mem) {
  return ttm_mem_reg_is_pci(old_mem) || ttm_mem_reg_is_pci(new_mem) ||
         (new_mem.placement & old_mem.placement & TTM_PL_MASK_CACHING) == 0;
}

}  // namespace

std::string ttm_move_problem(TtmPlacement from, TtmPlacement to) {
  if (!move_zaps(ttm_mem_reg_of(from), ttm_mem_reg_of(to)) &&
      ttm_backing_of(from) != ttm_backing_of(to)) {
    return "a move from " + std::string(to_string(from)) + " to " + std::string(to_string(to)) +
           " keeps user mappings (no zap) but would change the pages: TTM keeps a BO's ttm_tt "
           "pages across such moves";
  }
  return "";
}

namespace {

// ttm_bo_wait(bo, interruptible = false, no_wait = false) (ttm_bo.c, v5.3):
//   timeout = reservation_object_wait_timeout_rcu(bo->resv, true, interruptible, timeout);
//   ...
//   reservation_object_add_excl_fence(bo->resv, NULL);
// The model's BO has one fence, the pipelined move's exclusive fence (the
// one bo->moving points to): waiting is taking and releasing it. bo->moving
// itself is left alone, as in the kernel. Locks held on entry: resv.
void ttm_bo_wait(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "ttm_bo_wait");
  env.lock(ttm.moving_fence);
  env.unlock(ttm.moving_fence);
}

}  // namespace

// ttm_bo_handle_move_mem() (ttm_bo.c, v5.3):
//   old_is_pci = ttm_mem_reg_is_pci(bdev, &bo->mem); new_is_pci = ...(mem);
//   old_man = &bdev->man[bo->mem.mem_type]; new_man = &bdev->man[mem->mem_type];
//   if (old_is_pci || new_is_pci ||
//       ((mem->placement & bo->mem.placement & TTM_PL_MASK_CACHING) == 0)) {
//     ttm_mem_io_lock(old_man, true);
//     ttm_bo_unmap_virtual_locked(bo);
//     ttm_mem_io_unlock(old_man);
//   }
//   ... ttm_tt_set_placement_caching(), ttm_tt_bind(), then
//   bo->mem = *mem  (or ttm_bo_move_ttm/_memcpy: *old_mem = *new_mem)
// Locks held on entry: resv. The copy and the caching change of the pages are
// ghost updates here: the new backing becomes the BO's, bo->mem is written
// (plain), the expected mapping moves to the new pfns and the old backing is
// freed. Every path that inserts holds resv, so these steps are atomic to them.
//
// Pipelined (ttm_bo_move_accel_cleanup(bo, fence, evict = false, new_mem),
// ttm_bo_util.c, v5.3, in place of the memcpy):
//   reservation_object_add_excl_fence(bo->resv, fence);
//   dma_fence_put(bo->moving); bo->moving = dma_fence_get(fence);
//   ... ttm_buffer_object_transfer() (the ghost keeps the old pages) ...
//   *old_mem = *new_mem;
// The old pages are freed when the fence signals; the model frees them here,
// since nothing maps them any more.
void ttm_bo_handle_move_mem(Env& env, const TtmState& ttm, TtmPlacement to, bool evict,
                            bool pipelined) {
  FunctionScope scope(env, "ttm_bo_handle_move_mem");
  (void)evict;
  const MmState& mm = *ttm.mm;
  const TtmPlacement from = ttm_bo_read_mem(env, ttm);
  const std::string problem = ttm_move_problem(from, to);
  CHECK_MSG(problem.empty(), problem.c_str());
  const TtmMemReg old_mem = ttm_mem_reg_of(from);
  const TtmMemReg new_mem = ttm_mem_reg_of(to);
  if (move_zaps(old_mem, new_mem)) {
    ttm_mem_io_lock(env, ttm, old_mem.mem_type);
    ttm_bo_unmap_virtual_locked(env, ttm);
    ttm_mem_io_unlock(env, ttm, old_mem.mem_type);
  }
  const bool new_pages = ttm_backing_of(from) != ttm_backing_of(to);
  if (new_pages) {
    for (uint32_t page = 0; page < ttm.num_pages; ++page) {
      set_pfn_owner(env, mm, ttm.pfn(to, page), ttm.owner);
    }
  }
  {
    FunctionScope move(env, pipelined ? "ttm_bo_move_accel_cleanup" : "ttm_bo_move_memcpy");
    if (pipelined) {
      env.lock(ttm.moving_fence);  // the copy is queued: the fence is unsignaled
      env.store(ttm.moving, 1, Access::kPlain);
    } else {
      // ttm_bo_move_memcpy() starts with ttm_bo_wait(bo, ctx->interruptible,
      // ctx->no_wait_gpu): an earlier pipelined move's copy must be done.
      ttm_bo_wait(env, ttm);
    }
    env.store(ttm.mem, static_cast<uint64_t>(to), Access::kPlain);
    if (env.recording()) {
      env.annotate("bo->mem: " + std::string(to_string(from)) + " -> " +
                   std::string(to_string(to)));
    }
  }
  if (new_pages) {
    for (uint32_t page = 0; page < ttm.num_pages && page < mm.nr_pages; ++page) {
      set_expected_pfn(env, mm, page, ttm.pfn(to, page));
    }
    for (uint32_t page = 0; page < ttm.num_pages; ++page) {
      set_pfn_owner(env, mm, ttm.pfn(from, page), kPfnFree);
    }
  }
}

// ttm_bo_validate() -> ttm_bo_move_buffer() -> ttm_bo_handle_move_mem(), with
// the reservation taken by the driver (an ioctl or eviction): no mmap_sem.
void ttm_bo_move(Env& env, const TtmState& ttm, TtmPlacement to, bool pipelined) {
  {
    FunctionScope scope(env, "ttm_bo_validate");
    env.lock(ttm.resv);
    ttm_bo_handle_move_mem(env, ttm, to, /*evict=*/false, pipelined);
    env.unlock(ttm.resv);
  }
  if (pipelined) {
    FunctionScope signal(env, "dma_fence_signal");  // the GPU finishes the copy
    env.unlock(ttm.moving_fence);
  }
}

// ttm_bo_swapout(glob, ctx) (ttm_bo.c, v5.3), for this BO:
//   ttm_bo_evict_swapout_allowable(bo, ctx, &locked)   // reservation_object_trylock(bo->resv)
//   ...
//   if (bo->mem.mem_type != TTM_PL_SYSTEM ||
//       bo->ttm->caching_state != tt_cached) {
//     evict_mem = bo->mem; evict_mem.mm_node = NULL;
//     evict_mem.placement = TTM_PL_FLAG_SYSTEM | TTM_PL_FLAG_CACHED;
//     evict_mem.mem_type = TTM_PL_SYSTEM;
//     ret = ttm_bo_handle_move_mem(bo, &evict_mem, true, &ctx);
//   }
//   /* Make sure BO is idle. */
//   ret = ttm_bo_wait(bo, false, false);
//   ttm_bo_unmap_virtual(bo);
//   ret = ttm_tt_swapout(bo->ttm, bo->persistent_swap_storage);  // not modelled: the pages stay
//   if (locked) reservation_object_unlock(bo->resv);
// Deviation: a system-dma BO (TT, cached) is not moved to SYSTEM (see below).
int ttm_bo_swapout(Env& env, const TtmState& ttm) {
  FunctionScope scope(env, "ttm_bo_swapout");
  if (!env.try_lock(ttm.resv)) return -16;  // -EBUSY: the LRU walk skips it
  const TtmPlacement mem = ttm_bo_read_mem(env, ttm);
  // A DMA-pool BO keeps its pool pages wherever it is bound (the model's
  // system-dma placement stands for TT-bound pool pages; moved to SYSTEM they
  // are the same pages with the same attributes), so it is not moved here.
  if (mem != TtmPlacement::kSystem && mem != TtmPlacement::kSystemDma) {
    ttm_bo_handle_move_mem(env, ttm, TtmPlacement::kSystem, /*evict=*/true);
  }
  // Waits for a pipelined move still in flight (another thread's ttm_bo_move
  // with "pipelined", which signals its fence after unreserving).
  ttm_bo_wait(env, ttm);
  ttm_bo_unmap_virtual(env, ttm);
  env.unlock(ttm.resv);
  return 0;
}

}  // namespace protmc::model
