// vm_area_struct::vm_flags bits, with the values of include/linux/mm.h (v5.3;
// unchanged for these bits through v5.7). Only the bits the model uses.
#pragma once

#include <cstdint>

namespace protmc::model {

using vm_flags_t = uint64_t;  // unsigned long on x86-64

inline constexpr vm_flags_t VM_NONE = 0x00000000;
inline constexpr vm_flags_t VM_READ = 0x00000001;
inline constexpr vm_flags_t VM_WRITE = 0x00000002;
inline constexpr vm_flags_t VM_EXEC = 0x00000004;
inline constexpr vm_flags_t VM_SHARED = 0x00000008;
inline constexpr vm_flags_t VM_MAYREAD = 0x00000010;
inline constexpr vm_flags_t VM_MAYWRITE = 0x00000020;
inline constexpr vm_flags_t VM_MAYEXEC = 0x00000040;
inline constexpr vm_flags_t VM_MAYSHARE = 0x00000080;
inline constexpr vm_flags_t VM_PFNMAP = 0x00000400;
inline constexpr vm_flags_t VM_IO = 0x00004000;
inline constexpr vm_flags_t VM_DONTEXPAND = 0x00040000;
inline constexpr vm_flags_t VM_DONTDUMP = 0x04000000;
inline constexpr vm_flags_t VM_MIXEDMAP = 0x10000000;
inline constexpr vm_flags_t VM_HUGEPAGE = 0x20000000;
inline constexpr vm_flags_t VM_NOHUGEPAGE = 0x40000000;

// VM_SPECIAL (include/linux/mm.h): VMAs that vma_merge() never merges.
inline constexpr vm_flags_t VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;

}  // namespace protmc::model
