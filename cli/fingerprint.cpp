#include "cli/fingerprint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace fs = std::filesystem;

namespace xct::cli {

using json = nlohmann::ordered_json;

json fingerprint(const fs::path& input) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    for (const auto& e : fs::recursive_directory_iterator(input, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(input);
  }
  Fnv sum;
  std::uintmax_t size = 0;
  long long mtime = 0;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) continue;
    size += static_cast<std::uintmax_t>(st.st_size);
    mtime = std::max<long long>(
        mtime, static_cast<long long>(st.st_mtim.tv_sec) * 1000000000ll + st.st_mtim.tv_nsec);
    sum.add(
        fs::relative(f, input.has_parent_path() ? input.parent_path() : fs::path(".")).string());
    const int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) continue;
    constexpr std::size_t kEdge = 64 * 1024;
    std::vector<char> buf(kEdge);
    const ssize_t head = ::pread(fd, buf.data(), kEdge, 0);
    if (head > 0) sum.add(buf.data(), static_cast<std::size_t>(head));
    if (st.st_size > static_cast<off_t>(kEdge)) {
      const ssize_t tail = ::pread(fd, buf.data(), kEdge,
                                   std::max<off_t>(0, st.st_size - static_cast<off_t>(kEdge)));
      if (tail > 0) sum.add(buf.data(), static_cast<std::size_t>(tail));
    }
    ::close(fd);
  }
  return {{"size", size}, {"mtime_ns", mtime}, {"checksum", sum.hex()}};
}

}  // namespace xct::cli
