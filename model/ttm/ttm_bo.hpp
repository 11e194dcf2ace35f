// TTM on the engine: one ttm_buffer_object mapped by the model's one VMA, its
// placements, the device's memory managers, and the paths that move the BO
// and tear its user mappings down (drivers/gpu/drm/ttm/ttm_bo.c,
// ttm_bo_util.c, v5.3).
//
// State (see docs/model.md, "TTM"):
//   - bo->resv: a reservation lock (LockKind::kReservation, class "resv").
//   - bo->mem: one variable holding the BO's placement (TtmPlacement). The
//     kernel's struct ttm_mem_reg (mem_type, placement flags, bus.is_iomem,
//     bus.offset, start) is a function of the placement here, so one variable
//     stands for the whole struct. Written PLAINLY under resv by the move path
//     (`bo->mem = *mem;`, `*old_mem = *new_mem;`); read plainly, and in v5.3's
//     fault path once before the reservation is taken.
//   - man[mem_type].io_reserve_mutex: one mutex per memory manager (system,
//     tt, vram), class "io_reserve_mutex"; taken by ttm_mem_io_lock() unless
//     the manager uses the io_reserve fast path (config knob, default: taken).
//   - physical memory: every placement's backing store is its own pfn range,
//     one pfn per BO page, registered in MmState's pfn owner/kind tables. The
//     range of the current placement is owned by the BO; the others are free.
//     `tt` (TTM_PL_TT, cached) shares the pages of `system` (the same ttm_tt
//     pages bound into the GART), which is why a system<->tt move keeps user
//     mappings. The ghost expected_pfn of every VMA page is the pfn of the
//     current placement at that offset.
//
// Not modelled: the moving fence (bo->moving; moves are synchronous, so
// ttm_bo_vm_fault_idle() never waits), fault_reserve_notify (a driver moving
// the BO from its fault path), ttm_tt population/swap-in (the pages of a
// placement always exist), io reservation bookkeeping (ttm_mem_io_reserve_vm /
// ttm_mem_io_free_vm), bo->offset, LRU lists, eviction selection.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/mm/mm_state.hpp"

namespace protmc::model {

// Memory types (include/drm/ttm/ttm_placement.h, v5.3).
inline constexpr uint32_t TTM_PL_SYSTEM = 0;
inline constexpr uint32_t TTM_PL_TT = 1;
inline constexpr uint32_t TTM_PL_VRAM = 2;
inline constexpr uint32_t kTtmNumMemTypes = 3;  // the model's managers
// Placement flags.
inline constexpr uint32_t TTM_PL_FLAG_SYSTEM = 1u << TTM_PL_SYSTEM;
inline constexpr uint32_t TTM_PL_FLAG_TT = 1u << TTM_PL_TT;
inline constexpr uint32_t TTM_PL_FLAG_VRAM = 1u << TTM_PL_VRAM;
inline constexpr uint32_t TTM_PL_FLAG_CACHED = 1u << 16;
inline constexpr uint32_t TTM_PL_FLAG_UNCACHED = 1u << 17;
inline constexpr uint32_t TTM_PL_FLAG_WC = 1u << 18;
inline constexpr uint32_t TTM_PL_MASK_CACHING =
    TTM_PL_FLAG_CACHED | TTM_PL_FLAG_UNCACHED | TTM_PL_FLAG_WC;
// Memory manager flags (include/drm/ttm/ttm_bo_driver.h, v5.3).
inline constexpr uint32_t TTM_MEMTYPE_FLAG_FIXED = 1u << 0;
inline constexpr uint32_t TTM_MEMTYPE_FLAG_MAPPABLE = 1u << 1;
inline constexpr uint32_t TTM_MEMTYPE_FLAG_CMA = 1u << 3;

// Where the BO lives. The value is what the bo->mem variable holds.
enum class TtmPlacement : uint8_t {
  kSystem,     // TTM_PL_SYSTEM | CACHED: ordinary RAM pages
  kTt,         // TTM_PL_TT | CACHED: the same pages, bound into the GART
  kSystemWc,   // TTM_PL_SYSTEM | WC: RAM set_pages_wc()
  kSystemUc,   // TTM_PL_SYSTEM | UNCACHED: RAM set_pages_uc()
  kSystemDma,  // TTM_PL_TT | CACHED, pages from the DMA-coherent pool (decrypted under SEV)
  kVram,       // TTM_PL_VRAM | WC: iomem behind the BAR
};
inline constexpr std::array<TtmPlacement, 6> kAllTtmPlacements = {
    TtmPlacement::kSystem,   TtmPlacement::kTt,        TtmPlacement::kSystemWc,
    TtmPlacement::kSystemUc, TtmPlacement::kSystemDma, TtmPlacement::kVram,
};
// "system", "tt", "system-wc", "system-uc", "system-dma", "vram".
std::string_view to_string(TtmPlacement placement);
std::optional<TtmPlacement> parse_placement(std::string_view name);

// The parts of struct ttm_mem_reg the model's paths read.
struct TtmMemReg {
  uint32_t mem_type = TTM_PL_SYSTEM;
  uint32_t placement = 0;  // TTM_PL_FLAG_* (one caching flag)
  bool bus_is_iomem = false;
};
TtmMemReg ttm_mem_reg_of(TtmPlacement placement);
// man->flags of the manager of `mem_type` (system: MAPPABLE; tt: MAPPABLE;
// vram: FIXED | MAPPABLE).
uint32_t ttm_man_flags(uint32_t mem_type);
// The memory kind of a placement's backing pages.
MemoryKind memory_kind_of(TtmPlacement placement);

struct TtmConfig {
  uint32_t num_pages = 2;  // BO pages; the VMA maps the whole BO
  uint32_t pmd_pages = 2;
  // The mapping allows huge PMDs (MmConfig::transparent_hugepage); they are
  // created only when the knob ttm_huge_faults gives the VMA a ->huge_fault.
  bool transparent_hugepage = false;
  TtmPlacement initial = TtmPlacement::kVram;
  bool sev_active = false;
  KernelKnobs knobs;
  // drm_vma_node_start(&bo->vma_node): the BO's page offset in dev_mapping,
  // which is also the VMA's vm_pgoff.
  uint64_t vma_node_start = 0x10;
  // man->io_reserve_fastpath: when true ttm_mem_io_lock() takes nothing.
  bool io_reserve_fastpath = false;
  // ttm_bo_mmap(): VM_MIXEDMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP are added.
  vm_flags_t vm_flags = VM_READ | VM_WRITE | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYSHARE;
  uint64_t first_pfn = 0x100;
  uint32_t max_vmas = 0;  // MmConfig::max_vmas
};

// Backing ranges: system and tt share one.
inline constexpr uint32_t kTtmNumBackings = 5;
uint32_t ttm_backing_of(TtmPlacement placement);

struct TtmState {
  std::shared_ptr<const MmState> mm;
  // The device (struct ttm_bo_device) and its managers.
  std::array<LockId, kTtmNumMemTypes> io_reserve_mutex{};
  bool io_reserve_fastpath = false;
  // The BO.
  uint32_t num_pages = 0;
  uint64_t vma_node_start = 0;
  uint64_t owner = 1;  // the BO's owner id in the pfn owner table
  LockId resv;         // bo->resv, class "resv"
  VarId mem;           // bo->mem, the placement
  // bo->moving: 0 (NULL) or 1 (the fence of the last pipelined move); plain,
  // written and read under resv.
  VarId moving;
  // That fence (class "dma_fence"), as a lock the mover holds while the copy
  // is in flight: dma_fence_signal() is its unlock, dma_fence_wait() a lock
  // and unlock, dma_fence_is_signaled() a trylock.
  LockId moving_fence;

  // The pfn backing BO page `page` in `placement`.
  uint64_t pfn(TtmPlacement placement, uint64_t page) const {
    return mm->first_pfn + uint64_t{ttm_backing_of(placement)} * num_pages + page;
  }
};

// The MmConfig of the VMA that maps the BO and of the memory behind every
// placement.
MmConfig ttm_mm_config(const TtmConfig& config);

// Creates the mm state (make_mm_state) and the TTM state in the calling thread
// (the Program's main thread), and claims expected_pfn for the initial
// placement (marked stores: visible, but before any thread is spawned).
std::shared_ptr<const TtmState> make_ttm_state(Env& env, const TtmConfig& config);

// --- TTM helpers and paths (ttm_bo_util.c, ttm_bo.c, v5.3).

// ttm_io_prot() (ttm_bo_util.c, v5.3): cached placements unchanged; WC ->
// pgprot_writecombine; otherwise pgprot_noncached. With the knob
// ttm_decrypts_dma_pages (the 2024 TTM_TT_FLAG_DECRYPTED fix), DMA-pool pages
// are also pgprot_decrypted. Pure.
x86::pgprot_t ttm_io_prot(const TtmState& ttm, TtmPlacement placement, x86::pgprot_t tmp);

// ttm_mem_reg_is_pci() (ttm_bo.c, v5.3). Pure.
bool ttm_mem_reg_is_pci(const TtmMemReg& mem);

// ttm_mem_io_lock()/ttm_mem_io_unlock() (ttm_bo_util.c, v5.3): the manager's
// io_reserve_mutex unless io_reserve_fastpath.
void ttm_mem_io_lock(Env& env, const TtmState& ttm, uint32_t mem_type);
void ttm_mem_io_unlock(Env& env, const TtmState& ttm, uint32_t mem_type);

// bo->mem, read plainly.
TtmPlacement ttm_bo_read_mem(Env& env, const TtmState& ttm);

// ttm_bo_unmap_virtual_locked() (ttm_bo.c, v5.3): drm_vma_node_unmap() ->
// unmap_mapping_range(dev_mapping, node start, size, 1). Locks held on entry:
// resv and the old manager's io_reserve_mutex.
void ttm_bo_unmap_virtual_locked(Env& env, const TtmState& ttm);
// ttm_bo_unmap_virtual() (ttm_bo.c, v5.3): ttm_mem_io_lock(man of bo->mem),
// _locked, unlock. Locks held on entry: resv.
void ttm_bo_unmap_virtual(Env& env, const TtmState& ttm);

// ttm_bo_handle_move_mem() (ttm_bo.c, v5.3). Locks held on entry: resv.
// Zaps user mappings first when the old or new placement is "pci" (iomem or
// non-cached TT) or the caching changes, then binds/copies and sets bo->mem.
// CHECKs that a move which keeps user mappings keeps the pages.
// `pipelined`: the driver queued the copy on the GPU and finished the move
// with ttm_bo_move_accel_cleanup() (not evicting): the fence is taken
// (unsignaled) and bo->moving set before bo->mem; the caller signals it.
void ttm_bo_handle_move_mem(Env& env, const TtmState& ttm, TtmPlacement to, bool evict,
                            bool pipelined = false);

// A driver validating the BO into `to` (ttm_bo_validate() ->
// ttm_bo_move_buffer() -> ttm_bo_handle_move_mem()): dma_resv_lock, move,
// unlock. No mmap_sem. A pipelined move signals its fence (the GPU copy
// completes) after the unlock, so a fault can find bo->moving unsignaled.
void ttm_bo_move(Env& env, const TtmState& ttm, TtmPlacement to, bool pipelined = false);

// ttm_bo_swapout() (ttm_bo.c, v5.3) for this BO: trylock the reservation
// (the LRU walk never blocks on it); move to system cached if needed; then
// ttm_bo_wait() (for a pipelined move's fence), ttm_bo_unmap_virtual(); unlock.
// Returns 0 or -EBUSY. The swap-out of the
// pages themselves (ttm_tt_swapout) is not modelled: the pages stay.
int ttm_bo_swapout(Env& env, const TtmState& ttm);

// Whether a move between two placements is one TTM can make in the model:
// moves that keep user mappings (no zap) must keep the pages. Empty string:
// fine; otherwise why not.
std::string ttm_move_problem(TtmPlacement from, TtmPlacement to);

}  // namespace protmc::model
