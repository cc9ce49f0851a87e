#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

void fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;  // durability is best effort; the rename already made the file visible
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(fs::path final_path) : final_(std::move(final_path)) {
  fs::path dir = final_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  fs::create_directories(dir, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create output folder ", dir.string(), ": ",
            ec.message());
  std::string name = ".";
  name += final_.filename().string();
  name += ".tmp-XXXXXX";
  const std::string pattern = (dir / name).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  XCT_CHECK(fd >= 0, ErrorKind::OutputIO, "cannot create a file in ", dir.string(), ": ",
            std::strerror(errno));
  ::close(fd);
  temp_ = fs::path(buf.data());
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  XCT_CHECK(!committed_, ErrorKind::Internal, "file committed twice: ", final_.string());
  fsync_path(temp_, false);
  // mkstemp creates 0600; outputs are ordinary files readable by the group and others.
  ::chmod(temp_.c_str(), 0644);
  if (std::rename(temp_.c_str(), final_.c_str()) != 0) {
    XCT_THROW(ErrorKind::OutputIO, "cannot rename ", temp_.string(), " to ", final_.string(), ": ",
              std::strerror(errno));
  }
  committed_ = true;
  fs::path dir = final_.parent_path();
  fsync_path(dir.empty() ? fs::path(".") : dir, true);
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  AtomicFile f(path);
  std::FILE* fp = std::fopen(f.temp_path().c_str(), "wb");
  XCT_CHECK(fp != nullptr, ErrorKind::OutputIO, "cannot open ", f.temp_path().string(),
            " for writing: ", std::strerror(errno));
  const std::size_t n = std::fwrite(content.data(), 1, content.size(), fp);
  const bool ok = n == content.size() && std::fflush(fp) == 0;
  const int err = errno;
  std::fclose(fp);
  XCT_CHECK(ok, ErrorKind::OutputIO, "cannot write ", path.string(), ": ", std::strerror(err));
  f.commit();
}

}  // namespace xct
