// A scenario as the model sees it: one situation (kernel, platform, a driver
// mapping, the threads racing on it and the properties to check) under one
// locking proposal. The scenario-file reader (tools/scenario/to_config.hpp)
// fills it in; make_scenario_program() (model/scenario/program.hpp) turns it
// into an engine Program. Nothing here knows about files or JSON: the model
// never depends on tools/.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "model/kernel/knobs.hpp"
#include "model/mm/memory_kinds.hpp"
#include "model/mm/paths.hpp"
#include "model/mm/vm_flags.hpp"
#include "model/ttm/ttm_bo.hpp"
#include "model/vvar/vvar.hpp"

namespace protmc::model {

// --- The operations a scenario thread runs, one struct per kind. Pages are
// page indices in the mapping. ---

// A user access to `page`: do_user_addr_fault() with the proposal's fault path.
struct FaultOp {
  uint32_t page = 0;
  bool write = false;
};
// A driver validating the BO into `to` (ttm_bo_move: resv, move, unlock).
struct BoMoveOp {
  TtmPlacement to = TtmPlacement::kSystem;
  bool pipelined = false;  // ttm_bo_move(..., pipelined): see ttm_bo.hpp
};
// ttm_bo_swapout() of the BO.
struct BoSwapoutOp {};
// mprotect(2) of pages [first, first + count) with PROT_* bits `prot`.
struct MprotectOp {
  uint32_t first = 0;
  uint32_t count = 0;
  uint32_t prot = 0;
};
// Splitting the huge PMD that maps `page`, through `via` (split_huge_pmd_via,
// model/mm/paths.hpp, which also names the locks each caller holds).
struct SplitHugePmdOp {
  uint32_t page = 0;
  SplitCaller via = SplitCaller::kMprotect;
};
// madvise(MADV_DONTNEED) of pages [first, first + count).
struct MadviseDontneedOp {
  uint32_t first = 0;
  uint32_t count = 0;
};

using ScenarioOp =
    std::variant<FaultOp, BoMoveOp, BoSwapoutOp, MprotectOp, SplitHugePmdOp, MadviseDontneedOp>;

struct ScenarioThread {
  std::string name;
  std::vector<ScenarioOp> ops;
};

enum class ScenarioDriver : uint8_t { kTtm, kVvar };

struct ScenarioConfig {
  std::string name;  // the Program's name
  KernelKnobs knobs;
  bool sev_active = false;
  std::string proposal;  // a registered proposal's name (find_proposal)

  // The mapping.
  ScenarioDriver driver = ScenarioDriver::kTtm;
  uint32_t pages = 1;                 // ttm: BO pages; vvar: vvar_layout.size()
  std::vector<VvarPage> vvar_layout;  // vvar: the kind of each page
  bool huge = false;                  // huge PMDs may map the VMA
  uint32_t pmd_pages = 2;             // small pages per huge PMD
  // mmap's protection and sharing: any of VM_READ, VM_WRITE, VM_EXEC,
  // VM_SHARED (the VM_MAY* bits are added as mmap(2) does for a file opened
  // read-write).
  vm_flags_t vm_flags = VM_READ | VM_WRITE | VM_SHARED;

  // (vvar: the mapping is read-only whatever these say; map_vdso() sets its flags.)
  // ttm: the BO's initial placement.
  TtmPlacement placement = TtmPlacement::kSystem;

  // Pages faulted in (read faults), single-threaded, before the threads start.
  std::vector<uint32_t> initial_faulted;
  std::vector<ScenarioThread> threads;

  // The model properties installed as invariants. kernel-bug findings come
  // from the paths themselves and cannot be switched off here (the reader of
  // the results ignores them when they are not selected).
  bool check_pte_attributes = true;
  bool check_pte_permission = true;
};

}  // namespace protmc::model
