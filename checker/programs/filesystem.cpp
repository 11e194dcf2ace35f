// filesystem(n): n threads each allocate a disk block for their inode, with
// a mutex per inode and per block (Flanagan & Godefroid, POPL 2005).
//
//   thread tid:  i := tid mod 32; lock(li[i]);
//     if inode[i] == 0:  b := (2*i) mod 26; up to 26 times:
//       lock(lb[b]); if busy[b] == 0 { busy[b] := 1; inode[i] := b+1; unlock(lb[b]); break }
//       unlock(lb[b]); b := (b+1) mod 26
//     unlock(li[i])
//
// (32 and 26 are the parameters `inodes` and `blocks`.) Every shared access is
// under its lock, so the variables are plain: the program must be free of data
// races. With the defaults, threads i and i+13 want the same first block and
// the loser moves to an odd block nobody else wants; so for n <= 26 there are
// exactly 2^max(0, n-13) traces (1 up to n = 13). After the joins the main
// thread checks (by peek) that no block was given to two inodes.
#include <array>
#include <string>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

namespace {
constexpr int64_t kMaxInodes = 32;
constexpr int64_t kMaxBlocks = 26;

struct Objects {
  std::array<VarId, kMaxInodes> inode;
  std::array<VarId, kMaxBlocks> busy;
  std::array<LockId, kMaxInodes> li;
  std::array<LockId, kMaxBlocks> lb;
};

void allocate(Env& env, const Objects& o, int64_t tid, int64_t inodes, int64_t blocks) {
  FunctionScope scope(env, "allocate_block");
  const int64_t i = tid % inodes;
  env.lock(o.li[i]);
  if (env.load(o.inode[i], Access::kPlain) == 0) {
    int64_t b = (2 * i) % blocks;
    for (int64_t attempt = 0; attempt < blocks; ++attempt) {
      env.lock(o.lb[b]);
      if (env.load(o.busy[b], Access::kPlain) == 0) {
        env.store(o.busy[b], 1, Access::kPlain);
        env.store(o.inode[i], static_cast<uint64_t>(b + 1), Access::kPlain);
        env.unlock(o.lb[b]);
        break;
      }
      env.unlock(o.lb[b]);
      b = (b + 1) % blocks;
    }
  }
  env.unlock(o.li[i]);
}

}  // namespace

ProgramInfo filesystem_program() {
  ProgramInfo info;
  info.name = "filesystem";
  info.description = "n threads allocate disk blocks under per-inode and per-block mutexes";
  info.params = {{"n", 14, 1, 31, "number of threads"},
                 {"inodes", 32, 1, kMaxInodes, "number of inodes (32 in the benchmark)"},
                 {"blocks", 26, 1, kMaxBlocks, "number of blocks (26 in the benchmark)"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    const int64_t n = param(values, "n");
    if (param(values, "inodes") != 32 || param(values, "blocks") != 26 || n > 26) {
      return std::nullopt;
    }
    return uint64_t{1} << std::max<int64_t>(0, n - 13);
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    const int64_t inodes = param(values, "inodes");
    const int64_t blocks = param(values, "blocks");
    Names inode_names = indexed_names("inode", inodes);
    Names busy_names = indexed_names("busy", blocks);
    Names li_names = indexed_names("li", inodes);
    Names lb_names = indexed_names("lb", blocks);
    Names thread_names = numbered_names("fs", n);
    return Program{
        program_title("filesystem", values), [=](Env& env) {
          auto objects = std::make_shared<Objects>();
          for (int64_t i = 0; i < inodes; ++i) {
            objects->inode[i] = env.make_var((*inode_names)[i], 0);
            objects->li[i] = env.make_lock({.name = (*li_names)[i], .lock_class = "li"});
          }
          for (int64_t b = 0; b < blocks; ++b) {
            objects->busy[b] = env.make_var((*busy_names)[b], 0);
            objects->lb[b] = env.make_lock({.name = (*lb_names)[b], .lock_class = "lb"});
          }
          std::array<ThreadId, kMaxThreads> threads;
          for (int64_t tid = 0; tid < n; ++tid) {
            threads[tid] = env.spawn((*thread_names)[tid],
                                     [=](Env& e) { allocate(e, *objects, tid, inodes, blocks); });
          }
          for (int64_t tid = 0; tid < n; ++tid) env.join(threads[tid]);
          // No block belongs to two inodes, and every allocated block is busy.
          std::array<int64_t, kMaxBlocks> owner;
          owner.fill(-1);
          for (int64_t i = 0; i < inodes; ++i) {
            const uint64_t v = env.peek(objects->inode[i]);
            if (v == 0) continue;
            const int64_t b = static_cast<int64_t>(v) - 1;
            if (b >= blocks) {
              env.fail(
                  "filesystem-allocation",
                  "inode " + std::to_string(i) + " holds nonexistent block " + std::to_string(b));
            }
            if (env.peek(objects->busy[b]) != 1 || owner[b] != -1) {
              env.fail("filesystem-allocation",
                       "block " + std::to_string(b) + " of inode " + std::to_string(i) +
                           " is free or also owned by inode " + std::to_string(owner[b]));
            }
            owner[b] = i;
          }
        }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
