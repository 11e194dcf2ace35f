// The mm's VMAs: find_vma(), the mm->mmap list, the i_mmap interval tree,
// vma_merge() and split_vma() -> __split_vma() -> vma_adjust() ->
// __vma_adjust() (mm/mmap.c).
//
// Kernel sources read (the index holds no v5.3 tag of mm/mmap.c): a
// v5.11-v5.14-era mm/mmap.c (0day-ci/linux, commit 04b27ee6af56: mmap_lock,
// vm_ops->may_split, vma_next(), adjust_next in bytes) for __split_vma(),
// split_vma(), __vma_adjust(), __vma_link_file(), __vma_link_list(),
// __insert_vm_struct(), find_vma_links() and vma_merge(); __vma_link_list()
// (v5.3's form, with rb_parent) and find_vma()'s rb walk ("if (tmp->vm_end >
// addr) { vma = tmp; if (tmp->vm_start <= addr) break; ...}") from a research
// project's user-space port of v5.x mm/mmap.c, which copies them. The lines
// modelled here are those of v5.3 but for the names: v5.3 has mmap_sem,
// vm_ops->split (renamed may_split in v5.11) and adjust_next in pages; none of
// them matters here (no model VMA has ->split, adjust_next is always 0).
//
// Modelled as the kernel does it, with the same locks:
//   - split_vma() checks mm->map_count against sysctl_max_map_count (the
//     number of model VMA slots), __split_vma() copies the VMA
//     (vm_area_dup(): *new = *vma), cuts the copy, runs vm_ops->open (TTM's
//     ttm_bo_vm_open takes a BO reference: not modelled) and calls
//     vma_adjust() with the copy as `insert`;
//   - __vma_adjust() with `insert` (the split case): vma_adjust_trans_huge()
//     under mmap_sem (write) alone, then, for a file mapping, i_mmap_rwsem
//     (write) around __vma_link_file(insert), vma_interval_tree_remove(vma),
//     the new vm_start/vm_end/vm_pgoff, vma_interval_tree_insert(vma) and
//     __insert_vm_struct(mm, insert) (list link, map_count++).
// Simplified: the rb-tree mm->mm_rb is modelled by the address-ordered list
// it indexes (vm_next/vm_prev, mm->mmap): find_vma() and find_vma_links()
// walk the list, reading vm_end (and vm_start) of each VMA passed, where the
// kernel walks the tree reading the same fields of the nodes on its path
// (same result); no vmacache (per-thread, a cache of find_vma()'s result); no
// rb_subtree_gap/highest_vm_end bookkeeping, anon_vma, mempolicy, uprobes,
// file refcounts or accounting. vm_area_dup() takes the slot numbered
// mm->map_count: slots are never freed (no munmap, and vma_merge() never
// merges a VM_SPECIAL VMA), so that one is the first unused. The i_mmap tree
// is one variable, the set of VMAs in it; vma_interval_tree_foreach() reads
// it and each member's vm_pgoff/vm_start/vm_end, then visits the members
// overlapping the range in vm_pgoff order, as the tree walk does.
// vma_merge() is modelled by its first test, "if (vm_flags & VM_SPECIAL)
// return NULL": every model VMA (TTM: VM_MIXEDMAP|VM_IO|VM_DONTEXPAND, vvar:
// VM_PFNMAP|VM_IO) is VM_SPECIAL, so mprotect back to equal flags leaves the
// parts split, as in the kernel.
#include <algorithm>
#include <string>
#include <vector>

#include "checker/support/check.hpp"
#include "model/mm/paths.hpp"

namespace protmc::model {

using checker::Access;
using checker::FunctionScope;
using checker::LockMode;

namespace {

std::optional<VmaId> as_vma(uint64_t link) {
  if (link == 0) return std::nullopt;
  return static_cast<VmaId>(link - 1);
}

uint64_t link_of(std::optional<VmaId> vma) { return vma ? uint64_t{*vma} + 1 : 0; }

uint64_t load(Env& env, VarId var) { return env.load(var, Access::kPlain); }
void store(Env& env, VarId var, uint64_t value) { env.store(var, value, Access::kPlain); }

// vma_interval_tree_insert(vma, &mapping->i_mmap) / _remove(): the tree's
// nodes are rewritten plainly. Locks held on entry: i_mmap_rwsem (write).
void vma_interval_tree_insert(Env& env, const MmState& mm, const VmAreaStruct& vma) {
  FunctionScope scope(env, "vma_interval_tree_insert");
  store(env, mm.i_mmap, load(env, mm.i_mmap) | (uint64_t{1} << vma.id));
}

void vma_interval_tree_remove(Env& env, const MmState& mm, const VmAreaStruct& vma) {
  FunctionScope scope(env, "vma_interval_tree_remove");
  store(env, mm.i_mmap, load(env, mm.i_mmap) & ~(uint64_t{1} << vma.id));
}

// __vma_link_file(vma) (mm/mmap.c): for a VMA with a file,
// vma_interval_tree_insert(vma, &mapping->i_mmap). (mapping_allow_writable()
// and the dcache-flush locks of arm/parisc are not modelled.)
// Locks held on entry: mmap_sem (write), i_mmap_rwsem (write).
void __vma_link_file(Env& env, const MmState& mm, const VmAreaStruct& vma) {
  FunctionScope scope(env, "__vma_link_file");
  if (mm.vm_file) vma_interval_tree_insert(env, mm, vma);
}

// find_vma_links(mm, addr, end, &prev, ...) (mm/mmap.c): the VMA before
// [addr, end); an existing VMA overlapping it is -ENOMEM, which
// __insert_vm_struct() turns into BUG(). Walks the list (see the header).
// Locks held on entry: mmap_sem (write).
std::optional<VmaId> find_vma_links(Env& env, const MmState& mm, uint64_t addr, uint64_t end) {
  FunctionScope scope(env, "find_vma_links");
  std::optional<VmaId> prev;
  for (std::optional<VmaId> tmp = as_vma(load(env, mm.mmap)); tmp;) {
    const VmAreaStruct& vma = mm.vma(*tmp);
    if (load(env, vma.vm_end) > addr) {
      if (load(env, vma.vm_start) < end) {
        env.fail("kernel-bug", "BUG() in __insert_vm_struct(): find_vma_links() found VMA " +
                                   std::to_string(vma.id) + " overlapping the inserted one");
      }
      break;
    }
    prev = tmp;
    tmp = as_vma(load(env, vma.vm_next));
  }
  return prev;
}

// __vma_link_list(mm, vma, prev, rb_parent) (mm/mmap.c, v5.3):
//   vma->vm_prev = prev;
//   if (prev) { next = prev->vm_next; prev->vm_next = vma; }
//   else { mm->mmap = vma; next = rb_parent ? rb_entry(rb_parent, ...) : NULL; }
//   vma->vm_next = next;
//   if (next) next->vm_prev = vma;
// Without a prev the model reads the old head of mm->mmap for the rb_parent
// (the first VMA, the one rb_parent is in that case). Locks held on entry:
// mmap_sem (write).
void __vma_link_list(Env& env, const MmState& mm, const VmAreaStruct& vma,
                     std::optional<VmaId> prev) {
  FunctionScope scope(env, "__vma_link_list");
  store(env, vma.vm_prev, link_of(prev));
  std::optional<VmaId> next;
  if (prev) {
    next = as_vma(load(env, mm.vma(*prev).vm_next));
    store(env, mm.vma(*prev).vm_next, link_of(vma.id));
  } else {
    next = as_vma(load(env, mm.mmap));
    store(env, mm.mmap, link_of(vma.id));
  }
  store(env, vma.vm_next, link_of(next));
  if (next) store(env, mm.vma(*next).vm_prev, link_of(vma.id));
}

// __insert_vm_struct(mm, vma) (mm/mmap.c): "insert a vma into the mm's list
// and rbtree. It has already been inserted into the interval tree."
//   if (find_vma_links(mm, vma->vm_start, vma->vm_end, &prev, ...)) BUG();
//   __vma_link(mm, vma, prev, rb_link, rb_parent);   (list and rb-tree)
//   mm->map_count++;
// Locks held on entry: mmap_sem (write), i_mmap_rwsem (write) for a file.
void __insert_vm_struct(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t vm_start,
                        uint64_t vm_end) {
  FunctionScope scope(env, "__insert_vm_struct");
  const std::optional<VmaId> prev = find_vma_links(env, mm, vm_start, vm_end);
  __vma_link_list(env, mm, vma, prev);
  store(env, mm.map_count, load(env, mm.map_count) + 1);
}

// __vma_adjust(vma, start, end, pgoff, insert, expand = NULL) (mm/mmap.c) for
// split_vma()'s case, `insert` set (so the "next && !insert" merge branch is
// not taken and adjust_next is 0):
//   vma_adjust_trans_huge(orig_vma, start, end, adjust_next);
//   if (file) { mapping = file->f_mapping; root = &mapping->i_mmap;
//     i_mmap_lock_write(mapping);
//     if (insert) __vma_link_file(insert); }
//   if (file) { flush_dcache_mmap_lock(mapping); vma_interval_tree_remove(vma, root); }
//   if (start != vma->vm_start) { vma->vm_start = start; start_changed = true; }
//   if (end != vma->vm_end) { vma->vm_end = end; end_changed = true; }
//   vma->vm_pgoff = pgoff;
//   if (file) { vma_interval_tree_insert(vma, root); flush_dcache_mmap_unlock(mapping); }
//   ... else if (insert) __insert_vm_struct(mm, insert);
//   if (file) i_mmap_unlock_write(mapping);
// The insert's range (set by __split_vma() before) is passed in.
// Locks held on entry: mmap_sem (write).
int __vma_adjust(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t start, uint64_t end,
                 uint64_t pgoff, const VmAreaStruct& insert, uint64_t insert_start,
                 uint64_t insert_end) {
  FunctionScope scope(env, "__vma_adjust");
  vma_adjust_trans_huge(env, mm, vma, start, end, /*adjust_next=*/0);
  const bool file = mm.vm_file;
  if (file) {
    env.lock(mm.i_mmap_rwsem, LockMode::kExclusive);  // i_mmap_lock_write()
    __vma_link_file(env, mm, insert);
    vma_interval_tree_remove(env, mm, vma);
  }
  if (start != load(env, vma.vm_start)) store(env, vma.vm_start, start);
  if (end != load(env, vma.vm_end)) store(env, vma.vm_end, end);
  store(env, vma.vm_pgoff, pgoff);
  if (env.recording()) {
    env.annotate("VMA " + std::to_string(vma.id) + " is now [" + std::to_string(start) + ", " +
                 std::to_string(end) + "), pgoff " + std::to_string(pgoff));
  }
  if (file) vma_interval_tree_insert(env, mm, vma);
  __insert_vm_struct(env, mm, insert, insert_start, insert_end);
  if (file) env.unlock(mm.i_mmap_rwsem, LockMode::kExclusive);  // i_mmap_unlock_write()
  return 0;
}

// __split_vma(mm, vma, addr, new_below) (mm/mmap.c, v5.3):
//   if (vma->vm_ops && vma->vm_ops->split) { ... }   // neither TTM's nor vvar's has one
//   new = vm_area_dup(vma);                            // *new = *vma
//   if (new_below) new->vm_end = addr;
//   else { new->vm_start = addr; new->vm_pgoff += ((addr - vma->vm_start) >> PAGE_SHIFT); }
//   ... vma_dup_policy, anon_vma_clone, get_file(new->vm_file) ...
//   if (new->vm_ops && new->vm_ops->open) new->vm_ops->open(new);
//   if (new_below)
//     err = vma_adjust(vma, addr, vma->vm_end, vma->vm_pgoff +
//                      ((addr - new->vm_start) >> PAGE_SHIFT), new);
//   else
//     err = vma_adjust(vma, vma->vm_start, addr, vma->vm_pgoff, new);
// vm_area_dup() reads the fields of the VMA once (plainly) and writes the
// copy's (plainly: the copy is not visible to anyone yet); the vma_adjust()
// arguments reuse the values read. `slot` is the copy's slot.
// Locks held on entry: mmap_sem (write).
int __split_vma(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t addr, bool new_below,
                VmaId slot) {
  FunctionScope scope(env, "__split_vma");
  const VmAreaStruct& copy = mm.vma(slot);
  uint64_t vm_start = 0;
  uint64_t vm_end = 0;
  uint64_t vm_pgoff = 0;
  {
    FunctionScope dup(env, "vm_area_dup");
    vm_start = load(env, vma.vm_start);
    vm_end = load(env, vma.vm_end);
    vm_pgoff = load(env, vma.vm_pgoff);
    const uint64_t vm_flags = load(env, vma.vm_flags);
    const uint64_t vm_page_prot = load(env, vma.vm_page_prot);
    store(env, copy.vm_start, vm_start);
    store(env, copy.vm_end, vm_end);
    store(env, copy.vm_pgoff, vm_pgoff);
    store(env, copy.vm_flags, vm_flags);
    store(env, copy.vm_page_prot, vm_page_prot);
  }
  uint64_t new_start = vm_start;
  uint64_t new_end = vm_end;
  if (new_below) {
    new_end = addr;
    store(env, copy.vm_end, addr);
  } else {
    new_start = addr;
    store(env, copy.vm_start, addr);
    store(env, copy.vm_pgoff, vm_pgoff + (addr - vm_start));
  }
  if (env.recording()) {
    env.annotate("VMA " + std::to_string(slot) + " [" + std::to_string(new_start) + ", " +
                 std::to_string(new_end) + ") split from VMA " + std::to_string(vma.id));
  }
  if (new_below) {
    return __vma_adjust(env, mm, vma, addr, vm_end, vm_pgoff + (addr - new_start), copy, new_start,
                        new_end);
  }
  return __vma_adjust(env, mm, vma, vm_start, addr, vm_pgoff, copy, new_start, new_end);
}

}  // namespace

// find_vma(mm, addr) (mm/mmap.c, v5.3): the first VMA with addr < vm_end (the
// vmacache is not modelled; the rb walk is the list walk, see the header).
// Locks held on entry: mmap_sem (read or write).
// The walk reads vm_end of each VMA passed and vm_start of the one found
// ("if (tmp->vm_end > addr) { vma = tmp; if (tmp->vm_start <= addr) break; }").
std::optional<VmaView> find_vma(Env& env, const MmState& mm, uint64_t addr) {
  FunctionScope scope(env, "find_vma");
  for (std::optional<VmaId> tmp = as_vma(load(env, mm.mmap)); tmp;) {
    const VmAreaStruct& vma = mm.vma(*tmp);
    const uint64_t vm_end = load(env, vma.vm_end);
    if (vm_end > addr) return VmaView{&vma, load(env, vma.vm_start), vm_end};
    tmp = as_vma(load(env, vma.vm_next));
  }
  return std::nullopt;
}

VmaView read_vma(Env& env, const MmState& mm, VmaId id) {
  const VmAreaStruct& vma = mm.vma(id);
  const uint64_t vm_start = load(env, vma.vm_start);
  return VmaView{&vma, vm_start, load(env, vma.vm_end)};
}

std::optional<VmaId> vma_next(Env& env, const MmState& /*mm*/, const VmAreaStruct& vma) {
  return as_vma(load(env, vma.vm_next));
}

std::optional<VmaId> vma_prev(Env& env, const MmState& /*mm*/, const VmAreaStruct& vma) {
  return as_vma(load(env, vma.vm_prev));
}

// vma_merge(mm, prev, addr, end, vm_flags, ...) (mm/mmap.c, v5.3):
//   /* We later require that vma->vm_flags == vm_flags,
//    * so this tests vma->vm_flags & VM_SPECIAL, too. */
//   if (vm_flags & VM_SPECIAL) return NULL;
// Every model VMA is VM_SPECIAL (a driver or special mapping); merging
// anything else is not modelled (CHECK). Locks held on entry: mmap_sem (write).
std::optional<VmaId> vma_merge(Env& env, const MmState& /*mm*/, std::optional<VmaId> /*prev*/,
                               uint64_t /*addr*/, uint64_t /*end*/, vm_flags_t vm_flags) {
  FunctionScope scope(env, "vma_merge");
  CHECK_MSG(vm_flags & VM_SPECIAL, "vma_merge() of a VMA without VM_SPECIAL is not modelled");
  return std::nullopt;
}

// split_vma(mm, vma, addr, new_below) (mm/mmap.c, v5.3):
//   if (mm->map_count >= sysctl_max_map_count) return -ENOMEM;
//   return __split_vma(mm, vma, addr, new_below);
// sysctl_max_map_count is the number of model VMA slots.
// Locks held on entry: mmap_sem (write).
int split_vma(Env& env, const MmState& mm, const VmAreaStruct& vma, uint64_t addr, bool new_below) {
  FunctionScope scope(env, "split_vma");
  const uint64_t map_count = load(env, mm.map_count);
  if (map_count >= mm.vmas.size()) return -12;  // -ENOMEM
  return __split_vma(env, mm, vma, addr, new_below, static_cast<VmaId>(map_count));
}

// vma_interval_tree_foreach(vma, &mapping->i_mmap, first_index, last_index)
// (include/linux/mm.h, mm/interval_tree.c): the VMAs of the tree mapping a
// file page in [first_index, last_index] (vm_pgoff .. vm_pgoff +
// vma_pages(vma) - 1), in vm_pgoff order. Plain reads of the tree and of the
// VMAs' fields. Locks held on entry: i_mmap_rwsem.
void vma_interval_tree_foreach(Env& env, const MmState& mm, uint64_t first_index,
                               uint64_t last_index,
                               const std::function<void(const VmaView&, uint64_t)>& body) {
  FunctionScope scope(env, "vma_interval_tree_foreach");
  const uint64_t members = load(env, mm.i_mmap);
  std::vector<std::pair<uint64_t, VmaView>> found;
  for (const VmAreaStruct& vma : mm.vmas) {
    if (!(members & (uint64_t{1} << vma.id))) continue;
    const uint64_t pgoff = load(env, vma.vm_pgoff);
    const VmaView view = read_vma(env, mm, vma.id);
    const uint64_t pages = view.vm_end - view.vm_start;
    if (pgoff <= last_index && first_index <= pgoff + pages - 1) found.emplace_back(pgoff, view);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [pgoff, view] : found) body(view, pgoff);
}

}  // namespace protmc::model
