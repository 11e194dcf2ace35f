// indexer(n): n threads insert into a shared open-addressing hash table with
// compare-and-swap.
//
//   thread tid, for m = 1..inserts:  w := stride*m + tid; h := (7*w) mod 128;
//     repeat: if CAS(table[h], 0, w) succeeds: stop; else h := (h + 1) mod 128
//
// A CAS is one atomic read-modify-write event (a failed one only reads). The
// benchmark of Flanagan & Godefroid (POPL 2005) uses stride 11 and 4 inserts
// (the defaults). With those, threads tid and tid+11 share inserts-1 values
// of w, each a contested slot whose two orders are two traces, and every
// loser probes a slot nobody else touches; so for n <= 22 there are exactly
// 2^((inserts-1) * max(0, n-11)) traces (1 for n <= 11, 8 for 12, 64 for 13).
// Smaller strides create contention with few threads (used by the dfs tests).
// After the joins the main thread checks (by peek) that the table holds
// exactly the inserted values.
#include <array>
#include <string>

#include "checker/programs/catalog.hpp"

namespace protmc::checker::programs::detail {

namespace {
constexpr uint32_t kTableSize = 128;
}

ProgramInfo indexer_program() {
  ProgramInfo info;
  info.name = "indexer";
  info.description = "n threads insert into a shared hash table with CAS";
  info.params = {{"n", 13, 1, 31, "number of threads"},
                 {"stride", 11, 1, 11, "w := stride*m + tid (11 in the benchmark)"},
                 {"inserts", 4, 1, 4, "insertions per thread (4 in the benchmark)"}};
  info.expected_traces = [](const ParamValues& values) -> std::optional<uint64_t> {
    const int64_t n = param(values, "n");
    if (param(values, "stride") != 11 || n > 22) return std::nullopt;
    const int64_t contested = (param(values, "inserts") - 1) * std::max<int64_t>(0, n - 11);
    return uint64_t{1} << contested;
  };
  info.make = [](const ParamValues& values) {
    const int64_t n = param(values, "n");
    const int64_t stride = param(values, "stride");
    const int64_t inserts = param(values, "inserts");
    Names slots = indexed_names("table", kTableSize);
    Names names = numbered_names("inserter", n);
    return Program{
        program_title("indexer", values), [n, stride, inserts, slots, names](Env& env) {
          auto table = std::make_shared<std::array<VarId, kTableSize>>();
          for (uint32_t i = 0; i < kTableSize; ++i) (*table)[i] = env.make_var((*slots)[i], 0);
          std::array<ThreadId, kMaxThreads> threads;
          for (int64_t tid = 0; tid < n; ++tid) {
            threads[tid] = env.spawn((*names)[tid], [tid, stride, inserts, table](Env& e) {
              FunctionScope scope(e, "insert");
              for (int64_t m = 1; m <= inserts; ++m) {
                const uint64_t w = static_cast<uint64_t>(stride * m + tid);
                uint64_t h = (w * 7) % kTableSize;
                while (true) {
                  uint64_t expected = 0;
                  if (e.compare_exchange((*table)[h], expected, w)) break;
                  h = (h + 1) % kTableSize;
                }
              }
            });
          }
          for (int64_t tid = 0; tid < n; ++tid) env.join(threads[tid]);
          // The table holds exactly the inserted values (with multiplicity: small
          // strides insert some values twice).
          std::array<int64_t, kTableSize> count{};
          for (int64_t tid = 0; tid < n; ++tid) {
            for (int64_t m = 1; m <= inserts; ++m) ++count[stride * m + tid];
          }
          for (uint32_t i = 0; i < kTableSize; ++i) {
            const uint64_t v = env.peek((*table)[i]);
            if (v != 0 && (v >= kTableSize || count[v]-- == 0)) {
              env.fail("indexer-table", "table[" + std::to_string(i) + "] holds " +
                                            std::to_string(v) + ", which was not inserted");
            }
          }
          for (uint32_t v = 0; v < kTableSize; ++v) {
            if (count[v] != 0) {
              env.fail("indexer-table", "value " + std::to_string(v) + " is missing");
            }
          }
        }};
  };
  return info;
}

}  // namespace protmc::checker::programs::detail
