// Memory sizes on the command line: "512M", "4G", "1.5GB", "1000000" (bytes).
#pragma once

#include <cstddef>
#include <string>

namespace xct::cli {

// Binary multiples (K = 1024). Throws a usage error naming `flag` for anything else.
std::size_t parse_size(const std::string& text, const std::string& flag);

}  // namespace xct::cli
