// Files written under a temporary name in the destination folder and renamed into place only
// when complete, so that a crash leaves either the previous file or nothing, never a
// truncated file under the final name.
#pragma once

#include <filesystem>
#include <string>

namespace xct {

class AtomicFile {
 public:
  // Reserves a unique temporary path beside `final_path` (".<name>.tmp-XXXXXX"). Creates the
  // destination folder when missing. Throws ErrorKind::OutputIO when it cannot.
  explicit AtomicFile(std::filesystem::path final_path);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write the content.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }

  // fsyncs the temporary file, renames it over the final name and fsyncs the folder.
  void commit();
  bool committed() const { return committed_; }

 private:
  std::filesystem::path final_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

}  // namespace xct
