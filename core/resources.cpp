#include "core/resources.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace xct {

namespace {

// The value after "key:" in a /proc file of "key: value [kB]" lines, scaled to bytes when the
// line says kB.
std::optional<std::uint64_t> proc_value(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0 || line.size() <= key.size() ||
        line[key.size()] != ':')
      continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::uint64_t value = 0;
    std::string unit;
    if (!(fields >> value)) return std::nullopt;
    fields >> unit;
    return unit == "kB" ? value * 1024 : value;
  }
  return std::nullopt;
}

}  // namespace

IoCounters process_io() {
  IoCounters c;
  c.read_bytes = proc_value("/proc/self/io", "rchar").value_or(0);
  c.write_bytes = proc_value("/proc/self/io", "wchar").value_or(0);
  return c;
}

std::uint64_t current_rss_bytes() {
  return proc_value("/proc/self/status", "VmRSS").value_or(0);
}

std::uint64_t peak_rss_bytes() {
  return proc_value("/proc/self/status", "VmHWM").value_or(0);
}

std::optional<std::uint64_t> available_memory_bytes() {
  return proc_value("/proc/meminfo", "MemAvailable");
}

}  // namespace xct
