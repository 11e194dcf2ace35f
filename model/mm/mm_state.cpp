// Creation of the core mm state; see mm_state.hpp for the layout and the
// kernel structures it stands for (include/linux/mm_types.h, include/linux/fs.h
// and the split page-table locks of include/linux/mm.h, v5.3).
#include "model/mm/mm_state.hpp"

#include <deque>
#include <mutex>
#include <string_view>

#include "checker/support/check.hpp"

namespace protmc::model {

namespace {

// Variable and lock names must outlive the execution (Env contract); the set
// of names is small and bounded, so they are interned for the process.
std::string_view intern(std::string name) {
  static std::mutex mutex;
  static std::deque<std::string> pool;
  std::lock_guard<std::mutex> guard(mutex);
  for (const std::string& existing : pool) {
    if (existing == name) return existing;
  }
  pool.push_back(std::move(name));
  return pool.back();
}

std::string indexed(std::string_view base, uint64_t index) {
  return std::string(base) + "[" + std::to_string(index) + "]";
}

}  // namespace

std::shared_ptr<const MmState> make_mm_state(Env& env, const MmConfig& config) {
  CHECK_MSG(config.nr_pages > 0 && config.nr_pages <= 64, "the VMA has 1..64 pages");
  CHECK_MSG(config.pmd_pages >= 1 && config.pmd_pages <= 16, "a huge PMD has 1..16 pages");
  CHECK_MSG(config.first_pfn > 0, "pfn 0 is reserved for 'no pfn'");
  CHECK_MSG(config.first_pfn + config.memory.size() <= x86::kMaxPfn, "pfns fit the PFN field");

  auto mm = std::make_shared<MmState>();
  mm->nr_pages = config.nr_pages;
  mm->pmd_pages = config.pmd_pages;
  mm->nr_pmds = (config.nr_pages + config.pmd_pages - 1) / config.pmd_pages;
  mm->transparent_hugepage = config.transparent_hugepage;
  mm->sev_active = config.sev_active;
  mm->knobs = config.knobs;
  mm->first_pfn = config.first_pfn;

  // writer_blocks_readers: the kernel's rwsem fairness (the engine does not
  // implement it yet, see docs/architecture.md).
  mm->mmap_sem =
      env.make_lock(checker::LockSpec{"mm->mmap_sem", "mmap_sem", checker::LockKind::kRwSem, true});
  mm->i_mmap_rwsem = env.make_lock(checker::LockSpec{"dev_mapping->i_mmap_rwsem", "i_mmap_rwsem",
                                                     checker::LockKind::kRwSem, true});

  vm_flags_t flags = config.vm_flags & ~(VM_PFNMAP | VM_MIXEDMAP);
  if (config.vma_kind == VmaKind::kPfnMap) flags |= VM_PFNMAP | VM_IO;
  if (config.vma_kind == VmaKind::kMixedMap) flags |= VM_MIXEDMAP;
  // mmap_region(): vma->vm_page_prot = vm_get_page_prot(vm_flags), then the
  // driver's ->mmap may change it (initial_page_prot).
  const x86::pgprot_t prot = config.has_initial_page_prot
                                 ? config.initial_page_prot
                                 : x86::vm_get_page_prot(flags, config.sev_active);
  mm->vm_file = config.vm_file && config.vma_kind != VmaKind::kAnonymous;
  mm->mmap_pgoff = config.vm_pgoff;
  const uint32_t slots = config.max_vmas == 0 ? config.nr_pages : config.max_vmas;
  CHECK_MSG(slots >= 1 && slots <= 64, "the mm has 1..64 VMA slots");
  // mmap_region() -> vma_link(): the VMA [0, nr_pages) in slot 0, on the
  // mm->mmap list and (a file mapping) in the i_mmap tree. The other slots
  // are unused until vm_area_dup() hands them out.
  mm->mmap = env.make_var("mm->mmap", 1);
  mm->map_count = env.make_var("mm->map_count", 1);
  mm->i_mmap = env.make_var("dev_mapping->i_mmap", mm->vm_file ? 1 : 0);
  for (VmaId id = 0; id < slots; ++id) {
    const bool used = id == 0;
    const std::string vma = id == 0 ? "vma->" : "vma" + std::to_string(id) + "->";
    VmAreaStruct slot;
    slot.id = id;
    slot.kind = config.vma_kind;
    slot.vm_start = env.make_var(intern(vma + "vm_start"), 0);
    slot.vm_end = env.make_var(intern(vma + "vm_end"), used ? config.nr_pages : 0);
    slot.vm_pgoff = env.make_var(intern(vma + "vm_pgoff"), used ? config.vm_pgoff : 0);
    slot.vm_flags = env.make_var(intern(vma + "vm_flags"), used ? flags : 0);
    slot.vm_page_prot =
        env.make_var(intern(vma + "vm_page_prot"), used ? x86::pgprot_val(prot) : 0);
    slot.vm_next = env.make_var(intern(vma + "vm_next"), 0);
    slot.vm_prev = env.make_var(intern(vma + "vm_prev"), 0);
    mm->vmas.push_back(slot);
  }

  mm->pmd_lock = env.make_lock(
      checker::LockSpec{"pmd_lockptr(pmd table)", "ptl", checker::LockKind::kSpinlock, false});
  for (uint32_t slot = 0; slot < mm->nr_pmds; ++slot) {
    mm->pmd.push_back(env.make_var(intern(indexed("pmd", slot)), 0));
    mm->pte_lock.push_back(
        env.make_lock(checker::LockSpec{intern(indexed("pte_lockptr(pmd", slot) + ")"), "ptl",
                                        checker::LockKind::kSpinlock, false}));
  }
  for (uint32_t page = 0; page < config.nr_pages; ++page) {
    mm->pte.push_back(env.make_var(intern(indexed("pte", page)), 0));
    mm->expected_pfn.push_back(env.make_var(intern(indexed("ghost:expected_pfn", page)), 0));
    mm->committed_vm_flags.push_back(
        env.make_var(intern(indexed("ghost:committed_vm_flags", page)), flags));
  }
  for (size_t i = 0; i < config.memory.size(); ++i) {
    const uint64_t pfn = config.first_pfn + i;
    mm->pfn_owner.push_back(
        env.make_var(intern(indexed("pfn_owner", pfn)), config.memory[i].owner));
    mm->pfn_kind.push_back(env.make_var(intern(indexed("pfn_kind", pfn)),
                                        static_cast<uint64_t>(config.memory[i].kind)));
  }
  return mm;
}

LockId install_vm_prot_lock(Env& env, const MmState& mm) {
  for (const VmAreaStruct& vma : mm.vmas) {
    if (vma.vm_prot_lock) continue;
    // A mutex, not a spinlock: the fault path holds it across vmf_insert_*(),
    // whose pte_alloc() may sleep (GFP_KERNEL), and __split_huge_pmd() takes
    // it in the sleepable context of its callers, before pmd_lock.
    const std::string name = vma.id == 0 ? std::string("vma->vm_prot_lock")
                                         : "vma" + std::to_string(vma.id) + "->vm_prot_lock";
    vma.vm_prot_lock = env.make_lock(
        checker::LockSpec{intern(name), "vm_prot_lock", checker::LockKind::kMutex, false});
  }
  return *mm.vmas.front().vm_prot_lock;
}

void set_pfn_owner(Env& env, const MmState& mm, uint64_t pfn, uint64_t owner) {
  CHECK_MSG(mm.pfn_known(pfn), "set_pfn_owner of a pfn outside the model's memory");
  env.store(mm.pfn_owner[mm.pfn_index(pfn)], owner, checker::Access::kMarked);
}

void set_pfn_kind(Env& env, const MmState& mm, uint64_t pfn, MemoryKind kind) {
  CHECK_MSG(mm.pfn_known(pfn), "set_pfn_kind of a pfn outside the model's memory");
  env.store(mm.pfn_kind[mm.pfn_index(pfn)], static_cast<uint64_t>(kind), checker::Access::kMarked);
}

void set_expected_pfn(Env& env, const MmState& mm, uint64_t page, uint64_t pfn) {
  CHECK_MSG(page < mm.nr_pages, "set_expected_pfn outside the VMA");
  env.store(mm.expected_pfn[page], pfn, checker::Access::kMarked);
}

x86::pte_t peek_pte(const Env& env, const MmState& mm, uint64_t page) {
  return x86::pte_t{env.peek(mm.pte.at(page))};
}

x86::pmd_t peek_pmd(const Env& env, const MmState& mm, uint32_t slot) {
  return x86::pmd_t{env.peek(mm.pmd.at(slot))};
}

x86::pgprot_t peek_vm_page_prot(const Env& env, const MmState& mm, VmaId vma) {
  return x86::pgprot_t{env.peek(mm.vma(vma).vm_page_prot)};
}

VmaView peek_vma_view(const Env& env, const MmState& mm, VmaId vma) {
  const VmAreaStruct& area = mm.vma(vma);
  return VmaView{&area, env.peek(area.vm_start), env.peek(area.vm_end)};
}

std::vector<VmaId> peek_vma_list(const Env& env, const MmState& mm) {
  std::vector<VmaId> list;
  for (uint64_t next = env.peek(mm.mmap); next != 0 && list.size() <= mm.vmas.size();
       next = env.peek(mm.vma(static_cast<VmaId>(next - 1)).vm_next)) {
    list.push_back(static_cast<VmaId>(next - 1));
  }
  return list;
}

MemoryKind peek_pfn_kind(const Env& env, const MmState& mm, uint64_t pfn) {
  return static_cast<MemoryKind>(env.peek(mm.pfn_kind.at(mm.pfn_index(pfn))));
}

}  // namespace protmc::model
