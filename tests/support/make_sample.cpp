// Writes the sample scan kept in sample_data/ (see sample_data/README.md):
//   xct_make_sample OUTPUT.h5
#include <cstdio>
#include <exception>

#include "tests/support/sample_scan.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: xct_make_sample OUTPUT.h5\n");
    return 2;
  }
  try {
    const auto scan = xct::test::write_sample_scan(argv[1]);
    std::printf("wrote %s: %zu projections of %zu x %zu, centre %.2f\n", argv[1],
                scan.projections.extent(0), scan.projections.extent(1), scan.projections.extent(2),
                scan.center_col);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xct_make_sample: %s\n", e.what());
    return 1;
  }
}
