// The C++ side of `attnxai bench torch`: the same matmul loops as the C# benchmark, written directly on libtorch.
// Prints one line per size: "matmul N median_us".
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  if (threads > 0) at::set_num_threads(threads);
  at::manual_seed(0);
  for (int n : {64, 1024}) {
    at::Tensor a = at::randn({n, n});
    at::Tensor b = at::randn({n, n});
    const int inner = n <= 64 ? 2000 : 5;
    const int runs = 7;
    std::vector<double> per_op;
    for (int warm = 0; warm < 2; ++warm) (void)at::matmul(a, b);
    for (int r = 0; r < runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      for (int k = 0; k < inner; ++k) {
        at::Tensor c = at::matmul(a, b);
      }
      auto t1 = std::chrono::steady_clock::now();
      per_op.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / inner);
    }
    std::sort(per_op.begin(), per_op.end());
    std::printf("matmul %d %.3f\n", n, per_op[per_op.size() / 2]);
  }
  return 0;
}
