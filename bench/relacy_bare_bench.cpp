// Relacy's own cost per execution, without protmc's backend: readers(n)
// written directly as a Relacy test suite (thread 0 stores x with relaxed
// order, threads 1..n load it; no main thread, no race shadows, no Env) and
// explored with Relacy's fair full search. The yardstick for issue 6's
// "per-execution cost within 2x of Relacy's" next to programs_bench's
// dpor/readers(n=5) (docs/performance.md).
//
//   relacy_bare_bench [N ...]   (default: 3 4 5)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <relacy/relacy.hpp>
#include <sstream>
#include <vector>

namespace {

template <int kReaders>
struct BareReaders : rl::test_suite<BareReaders<kReaders>, kReaders + 1> {
  rl::atomic<int> x;
  void before() { x.store(0, rl::mo_relaxed, $); }
  void thread(unsigned index) {
    if (index == 0) {
      x.store(42, rl::mo_relaxed, $);
    } else {
      (void)x.load(rl::mo_relaxed, $);
    }
  }
};

template <int kReaders>
void run() {
  std::ostringstream sink;
  rl::test_params params;
  params.search_type = rl::sched_full;
  params.iteration_count = ~0ULL;
  params.output_stream = &sink;
  params.progress_stream = &sink;
  const auto start = std::chrono::steady_clock::now();
  const bool ok = rl::simulate<BareReaders<kReaders>>(params);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto executions = static_cast<unsigned long long>(params.stop_iteration);
  std::printf("| readers(%d), bare Relacy | %s | %llu | %.3f s | %.3f us |\n", kReaders,
              ok ? "pass" : "FAILED", executions, seconds,
              executions ? 1e6 * seconds / static_cast<double>(executions) : 0.0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {3, 4, 5};
  std::printf("| program | verdict | executions | wall | per execution |\n|---|---|---|---|---|\n");
  for (const int n : sizes) {
    switch (n) {
      case 2:
        run<2>();
        break;
      case 3:
        run<3>();
        break;
      case 4:
        run<4>();
        break;
      case 5:
        run<5>();
        break;
      default:
        std::fprintf(stderr, "relacy_bare_bench: sizes 2..5 only, not %d\n", n);
        return 2;
    }
  }
  return 0;
}
