// Direct reads of uncompressed frame stacks: the plan (which bytes of the file land where in
// the output) is made with HDF5 on the calling thread, the bytes are read with pread(2) on
// OpenMP threads.
#include "io/hdf5_direct.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace xct::h5 {

namespace {

constexpr std::uint64_t kNotLookedUp = 0;  // no chunk lies at address 0 (the superblock does)
constexpr std::uint64_t kUnallocated = HADDR_UNDEF;

// Reads longer than this are split so that one large run still spreads over the threads.
constexpr std::size_t kMaxPieceBytes = std::size_t{1} << 20;

// One pread: `bytes` bytes at `offset` in the file into `dst`.
struct Piece {
  std::uint64_t offset = 0;
  std::size_t bytes = 0;
  unsigned char* dst = nullptr;
};

using FileHandle = Handle<&H5Fclose>;

// The stored type as a scan sample type, when it is exactly the native (little-endian) type
// that HDF5 would convert it to.
std::optional<DType> same_native_type(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return std::nullopt;
  if (H5Tget_order(type) != H5T_ORDER_LE) return std::nullopt;
  for (DType d : {DType::UInt8, DType::UInt16, DType::Float32}) {
    if (H5Tget_size(type) == dtype_size(d) && H5Tequal(type, native_type(d)) > 0) return d;
  }
  return std::nullopt;
}

// Reads all of `p`, retrying after signals and partial reads. Returns 0, or the errno of a
// failed read, or -1 when the file ends first.
int read_piece(int fd, const Piece& p) {
  std::size_t done = 0;
  while (done < p.bytes) {
    const ssize_t n = ::pread(fd, p.dst + done, p.bytes - done,
                              static_cast<off_t>(p.offset + static_cast<std::uint64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return -1;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

DirectStack::DirectStack(std::shared_ptr<const Dataset> dataset) : dataset_(std::move(dataset)) {
  init();
  where_ = describe(dataset_->id());
  inspect();
}

void DirectStack::inspect() {
  const hid_t id = dataset_->id();
  if constexpr (std::endian::native != std::endian::little) {
    give_up("the machine is not little-endian");
    return;
  }
  Dataspace space(H5Dget_space(id));
  Datatype type(H5Dget_type(id));
  PropList dcpl(H5Dget_create_plist(id));
  if (!space.valid() || !type.valid() || !dcpl.valid()) return give_up("cannot inspect it");
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank != 2 && rank != 3) return give_up("rank " + std::to_string(rank));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) != rank) {
    return give_up("cannot read its shape");
  }
  rank2_ = rank == 2;
  n_frames_ = rank2_ ? 1 : static_cast<std::size_t>(dims[0]);
  n_rows_ = static_cast<std::size_t>(dims[rank2_ ? 0 : 1]);
  n_cols_ = static_cast<std::size_t>(dims[rank2_ ? 1 : 2]);

  const auto stored = same_native_type(type.id());
  if (!stored) return give_up("the stored type is not a little-endian uint8, uint16 or float32");
  dtype_ = *stored;
  sample_bytes_ = dtype_size(dtype_);

  if (H5Pget_nfilters(dcpl.id()) != 0) return give_up("filtered (compressed)");
  if (H5Pget_external_count(dcpl.id()) != 0) return give_up("stored in external raw files");
  const H5D_layout_t layout = H5Pget_layout(dcpl.id());
  if (layout == H5D_CONTIGUOUS) {
    const haddr_t address = H5Dget_offset(id);
    if (address == HADDR_UNDEF) return give_up("storage not allocated");
    contiguous_address_ = address;
  } else if (layout == H5D_CHUNKED) {
#if H5_VERSION_GE(1, 10, 5)
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    if (H5Pget_chunk(dcpl.id(), rank, chunk.data()) != rank) return give_up("cannot read chunks");
    chunked_ = true;
    chunk_frames_ = rank2_ ? 1 : static_cast<std::size_t>(chunk[0]);
    chunk_rows_ = static_cast<std::size_t>(chunk[rank2_ ? 0 : 1]);
    if (static_cast<std::size_t>(chunk[rank2_ ? 1 : 2]) != n_cols_ || chunk_frames_ == 0 ||
        chunk_rows_ == 0) {
      return give_up("chunks do not span all columns");
    }
    chunk_bytes_ = chunk_frames_ * chunk_rows_ * n_cols_ * sample_bytes_;
    row_blocks_ = (n_rows_ + chunk_rows_ - 1) / chunk_rows_;
#else
    return give_up("HDF5 older than 1.10.5 cannot tell chunk addresses");
#endif
  } else {
    return give_up("neither contiguous nor chunked");
  }

  // The file that holds the dataset: a plain file (sec2 driver) without a user block (chunk
  // addresses are relative to the end of a user block).
  FileHandle file(H5Iget_file_id(id));
  if (!file.valid()) return give_up("cannot tell its file");
  PropList fapl(H5Fget_access_plist(file.id()));
  PropList fcpl(H5Fget_create_plist(file.id()));
  if (!fapl.valid() || !fcpl.valid()) return give_up("cannot inspect its file");
  if (H5Pget_driver(fapl.id()) != H5FD_SEC2) return give_up("not a plain file (sec2 driver)");
  hsize_t userblock = 0;
  if (H5Pget_userblock(fcpl.id(), &userblock) < 0 || userblock != 0) {
    return give_up("the file has a user block");
  }
  file_name_ = file_name_of(id);
  if (file_name_.empty()) return give_up("cannot tell its file's name");
  fd_ = ::open(file_name_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return give_up("cannot open " + file_name_ + ": " + std::strerror(errno));
  // The name is the one HDF5 opened, possibly relative to an earlier current directory: make
  // sure it is the same file HDF5 reads.
  void* handle = nullptr;
  struct stat ours {};
  struct stat theirs {};
  if (H5Fget_vfd_handle(file.id(), fapl.id(), &handle) < 0 || handle == nullptr ||
      ::fstat(fd_, &ours) != 0 || ::fstat(*static_cast<int*>(handle), &theirs) != 0 ||
      ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino) {
    return give_up(file_name_ + " is not the file HDF5 has open");
  }
  usable_ = true;
}

DirectStack::~DirectStack() {
  if (fd_ >= 0) ::close(fd_);
}

void DirectStack::give_up(std::string why) {
  H5Eclear2(H5E_DEFAULT);
  usable_ = false;
  reason_ = std::move(why);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  chunk_addresses_ = {};
}

std::uint64_t DirectStack::chunk_address(std::size_t frame_block, std::size_t row_block) {
#if H5_VERSION_GE(1, 10, 5)
  if (chunk_addresses_.empty()) {
    const std::size_t frame_blocks = (n_frames_ + chunk_frames_ - 1) / chunk_frames_;
    chunk_addresses_.assign(frame_blocks * row_blocks_, kNotLookedUp);
  }
  std::uint64_t& cached = chunk_addresses_[frame_block * row_blocks_ + row_block];
  if (cached != kNotLookedUp) return cached;
  hsize_t coord[3] = {};
  if (rank2_) {
    coord[0] = row_block * chunk_rows_;
  } else {
    coord[0] = frame_block * chunk_frames_;
    coord[1] = row_block * chunk_rows_;
  }
  unsigned filter_mask = 0;
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  if (H5Dget_chunk_info_by_coord(dataset_->id(), coord, &filter_mask, &address, &size) < 0) {
    give_up("cannot look up a chunk");
    return kUnallocated;
  }
  if (address == HADDR_UNDEF || size == 0) {
    cached = kUnallocated;
  } else if (size != chunk_bytes_ || address == kNotLookedUp) {
    give_up("a chunk of unexpected size");
    return kUnallocated;
  } else {
    cached = address;
  }
  return cached;
#else
  (void)frame_block;
  (void)row_block;
  return kUnallocated;
#endif
}

bool DirectStack::read(std::span<const std::size_t> frames, std::size_t row_begin,
                       std::size_t row_end, DType dtype, void* out) {
  if (!usable_ || dtype != dtype_) return false;
  XCT_CHECK(row_begin <= row_end && row_end <= n_rows_, ErrorKind::Usage, "rows ", row_begin, "..",
            row_end, " lie outside ", where_, " (", n_rows_, " rows)");
  for (std::size_t f : frames) {
    XCT_CHECK(f < n_frames_, ErrorKind::Usage, "frame ", f, " lies outside ", where_, " (",
              n_frames_, " frames)");
  }
  const std::size_t n_rows = row_end - row_begin;
  if (frames.empty() || n_rows == 0 || n_cols_ == 0) {
    ++reads_;
    return true;
  }
  const std::size_t row_bytes = n_cols_ * sample_bytes_;
  auto* dst = static_cast<unsigned char*>(out);

  // The plan, in output order; neighbours that continue each other in the file and in `out`
  // become one read.
  std::vector<Piece> plan;
  const auto add = [&](std::uint64_t offset, std::size_t bytes, unsigned char* to) {
    if (!plan.empty() && plan.back().offset + plan.back().bytes == offset &&
        plan.back().dst + plan.back().bytes == to) {
      plan.back().bytes += bytes;
    } else {
      plan.push_back({offset, bytes, to});
    }
  };
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const std::size_t f = frames[k];
    unsigned char* frame_out = dst + k * n_rows * row_bytes;
    if (!chunked_) {
      add(contiguous_address_ + (static_cast<std::uint64_t>(f) * n_rows_ + row_begin) * row_bytes,
          n_rows * row_bytes, frame_out);
      continue;
    }
    const std::size_t frame_block = f / chunk_frames_;
    const std::size_t frame_in_chunk = f % chunk_frames_;
    for (std::size_t rb = row_begin / chunk_rows_; rb * chunk_rows_ < row_end; ++rb) {
      const std::uint64_t address = chunk_address(frame_block, rb);
      if (!usable_ || address == kUnallocated) return false;
      const std::size_t first = std::max(row_begin, rb * chunk_rows_);
      const std::size_t last = std::min(row_end, (rb + 1) * chunk_rows_);
      const std::size_t row_in_chunk = frame_in_chunk * chunk_rows_ + (first - rb * chunk_rows_);
      add(address + static_cast<std::uint64_t>(row_in_chunk) * row_bytes,
          (last - first) * row_bytes, frame_out + (first - row_begin) * row_bytes);
    }
  }
  // Long runs are split so that every thread gets a share.
  std::vector<Piece> pieces;
  pieces.reserve(plan.size());
  for (const Piece& p : plan) {
    for (std::size_t done = 0; done < p.bytes; done += kMaxPieceBytes) {
      pieces.push_back({p.offset + done, std::min(kMaxPieceBytes, p.bytes - done), p.dst + done});
    }
  }
  constexpr auto kMaxOffset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
  for (const Piece& p : pieces) {
    XCT_CHECK(p.offset <= kMaxOffset - p.bytes, ErrorKind::BadData, "cannot read ", where_,
              ": a sample address lies beyond what a file can hold");
  }

  // Each thread reads its pieces with its own pread on the shared descriptor; the first
  // failure is kept and reported once all threads are done.
  const long n_pieces = static_cast<long>(pieces.size());
  std::atomic<long> failed_piece{n_pieces};
  std::atomic<int> failed_error{0};
#pragma omp parallel for schedule(dynamic, 1) if (n_pieces > 1)
  for (long i = 0; i < n_pieces; ++i) {
    if (failed_piece.load(std::memory_order_relaxed) < n_pieces) continue;
    const int error = read_piece(fd_, pieces[static_cast<std::size_t>(i)]);
    if (error != 0) {
      long expected = n_pieces;
      if (failed_piece.compare_exchange_strong(expected, i)) failed_error.store(error);
    }
  }
  if (const long i = failed_piece.load(); i < n_pieces) {
    const Piece& p = pieces[static_cast<std::size_t>(i)];
    const int error = failed_error.load();
    if (error < 0) {
      struct stat st {};
      const long long size = ::fstat(fd_, &st) == 0 ? static_cast<long long>(st.st_size) : -1;
      XCT_THROW(ErrorKind::BadData, "cannot read ", where_, ": ", file_name_, " ends at byte ",
                size, ", before the ", p.bytes, " bytes at byte ", p.offset);
    }
    XCT_THROW(ErrorKind::BadData, "cannot read ", where_, ": ", std::strerror(error), " (reading ",
              p.bytes, " bytes at byte ", p.offset, " of ", file_name_, ")");
  }
  ++reads_;
  return true;
}

}  // namespace xct::h5
