// The segmentation flags `xct segment` and `xct track` share: the fields of seg::SegmentParams
// a user tunes, in one flag group (a config's table takes the same long names).
#pragma once

#include <string>

#include "segment/segment.hpp"

namespace CLI {
class App;
}

namespace xct::cli {

// Adds --median-radius ... --void-split-h, --memory-budget (into `memory_budget`, for
// parse_size) and --threads to `cmd`, in `group`.
void add_segmentation_flags(CLI::App& cmd, seg::SegmentParams& p, std::string& memory_budget,
                            const char* group);

}  // namespace xct::cli
