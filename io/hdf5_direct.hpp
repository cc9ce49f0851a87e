// Direct reads of uncompressed HDF5 frame stacks. HDF5's serial build reads on one thread and
// cannot be called from several, which caps a slab read at the speed of one copy loop. Where
// the bytes in the file are exactly the samples wanted (no filter, the same little-endian type,
// contiguous storage or chunks spanning every column, a plain file), the rows of each frame lie
// at known offsets: DirectStack finds them with HDF5 on the calling thread (the chunk addresses
// are cached) and then reads them with pread(2) on OpenMP threads from a descriptor of its own.
// Whatever does not fit is left to H5Dread by the caller. Internal to io/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/dtype.hpp"
#include "io/hdf5.hpp"

namespace xct::h5 {

class DirectStack {
 public:
  // Inspects `dataset`, a frame stack of rank 3 (frames, rows, cols) or one frame of rank 2
  // (rows, cols), and opens the file that holds it (behind an external link, the linked file)
  // read-only. Calls HDF5, so only on the thread that uses the dataset. Never throws for a
  // dataset that does not qualify: usable() is then false and reason() says why.
  explicit DirectStack(std::shared_ptr<const Dataset> dataset);
  ~DirectStack();
  DirectStack(const DirectStack&) = delete;
  DirectStack& operator=(const DirectStack&) = delete;

  bool usable() const { return usable_; }
  // Why the dataset is read through HDF5 ("filtered (compressed)", "big-endian" ...); empty
  // when usable.
  const std::string& reason() const { return reason_; }
  // The stored sample type (meaningful when usable).
  DType dtype() const { return dtype_; }

  // Reads rows [row_begin, row_end) of every stack frame in `frames`, all columns, into `out`
  // (frames.size() x rows x cols samples of `dtype`, frame after frame). Returns false without
  // touching `out` when the direct path does not serve this request: the dataset does not
  // qualify, `dtype` is not the stored type, or a chunk involved is not allocated (its samples
  // are the fill value); the caller then reads through HDF5. Throws Usage for frames or rows
  // outside the stack and BadData ("cannot read <file>:<dataset>: ...") when the file cannot
  // be read or ends early. Not safe to call from several threads at once.
  bool read(std::span<const std::size_t> frames, std::size_t row_begin, std::size_t row_end,
            DType dtype, void* out);

  // How many read() calls the direct path served (for tests and logs).
  std::size_t reads() const { return reads_; }

 private:
  // The file address of the chunk at chunk coordinates (frame block, row block); kUnallocated
  // for a chunk that was never written. Looked up once through HDF5, then cached.
  std::uint64_t chunk_address(std::size_t frame_block, std::size_t row_block);
  // Checks every condition of the direct path and opens the file; give_up() on the first
  // that fails.
  void inspect();
  void give_up(std::string why);

  std::shared_ptr<const Dataset> dataset_;
  bool usable_ = false;
  std::string reason_;
  std::string where_;      // "<file>:<dataset>" for messages
  std::string file_name_;  // the file that holds the samples
  int fd_ = -1;
  DType dtype_ = DType::UInt16;
  std::size_t sample_bytes_ = 0;
  std::size_t n_frames_ = 0, n_rows_ = 0, n_cols_ = 0;
  bool rank2_ = false;
  // Contiguous storage: the address of the first sample. Chunked: chunk extents and the
  // address of every chunk looked up so far (0: not looked up yet).
  bool chunked_ = false;
  std::uint64_t contiguous_address_ = 0;
  std::size_t chunk_frames_ = 1, chunk_rows_ = 0, row_blocks_ = 0;
  std::size_t chunk_bytes_ = 0;
  std::vector<std::uint64_t> chunk_addresses_;
  std::size_t reads_ = 0;
};

}  // namespace xct::h5
