// Array views and owners shared by CPU and CUDA code.
//
// A View is a non-owning pointer + shape + strides (in elements). The memory space is part of
// the type, so a host view cannot be handed to a kernel launcher that takes device views and
// the other way round. Owners (HostArray here, device buffers in cuda/) are separate types
// that hand out views. Axis order follows the project conventions: projections
// (angle, row, col), sinograms (row, angle, col), volumes (z, y, x).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__CUDACC__)
#define XCT_HD __host__ __device__
#else
#define XCT_HD
#endif

namespace xct {

enum class MemSpace { Host, Device };

template <typename T, std::size_t Rank, MemSpace Space = MemSpace::Host>
class View {
 public:
  static_assert(Rank >= 1, "a view has at least one axis");
  using value_type = T;
  using Shape = std::array<std::size_t, Rank>;
  using Strides = std::array<std::ptrdiff_t, Rank>;
  static constexpr std::size_t rank = Rank;
  static constexpr MemSpace space = Space;

  View() = default;
  // A contiguous (row-major) view of `shape` starting at `data`.
  XCT_HD View(T* data, const Shape& shape) : data_(data), shape_(shape) {
    std::ptrdiff_t s = 1;
    for (std::size_t i = Rank; i-- > 0;) {
      strides_[i] = s;
      s *= static_cast<std::ptrdiff_t>(shape_[i]);
    }
  }
  XCT_HD View(T* data, const Shape& shape, const Strides& strides)
      : data_(data), shape_(shape), strides_(strides) {}

  // A view of const T from a view of T.
  template <typename U, typename = std::enable_if_t<std::is_same_v<const U, T>>>
  XCT_HD View(const View<U, Rank, Space>& other)
      : data_(other.data()), shape_(other.shape()), strides_(other.strides()) {}

  XCT_HD T* data() const { return data_; }
  XCT_HD const Shape& shape() const { return shape_; }
  XCT_HD const Strides& strides() const { return strides_; }
  XCT_HD std::size_t extent(std::size_t axis) const { return shape_[axis]; }
  XCT_HD std::ptrdiff_t stride(std::size_t axis) const { return strides_[axis]; }

  XCT_HD std::size_t size() const {
    std::size_t n = 1;
    for (std::size_t i = 0; i < Rank; ++i)
      n *= shape_[i];
    return n;
  }
  XCT_HD bool empty() const { return size() == 0; }

  XCT_HD bool is_contiguous() const {
    std::ptrdiff_t s = 1;
    for (std::size_t i = Rank; i-- > 0;) {
      if (shape_[i] != 1 && strides_[i] != s) return false;
      s *= static_cast<std::ptrdiff_t>(shape_[i]);
    }
    return true;
  }

  // Element access; on the host only for host views, on the device only for device views.
  template <typename... I>
  XCT_HD T& operator()(I... idx) const {
    static_assert(sizeof...(I) == Rank, "one index per axis");
#if !defined(__CUDA_ARCH__)
    static_assert(Space == MemSpace::Host, "device memory cannot be read on the host");
#endif
    const std::size_t ii[] = {static_cast<std::size_t>(idx)...};
    std::ptrdiff_t off = 0;
    for (std::size_t i = 0; i < Rank; ++i)
      off += static_cast<std::ptrdiff_t>(ii[i]) * strides_[i];
    return data_[off];
  }

  // The sub-view [begin, end) along axis 0 (a slab of rows, a range of angles, ...).
  XCT_HD View slab(std::size_t begin, std::size_t end) const {
    Shape s = shape_;
    s[0] = end - begin;
    return View(data_ + static_cast<std::ptrdiff_t>(begin) * strides_[0], s, strides_);
  }

  // The view with axis 0 fixed at index i (one fewer axis).
  template <std::size_t R = Rank, typename = std::enable_if_t<(R > 1)>>
  XCT_HD View<T, Rank - 1, Space> operator[](std::size_t i) const {
    typename View<T, Rank - 1, Space>::Shape s{};
    typename View<T, Rank - 1, Space>::Strides st{};
    for (std::size_t a = 1; a < Rank; ++a) {
      s[a - 1] = shape_[a];
      st[a - 1] = strides_[a];
    }
    return View<T, Rank - 1, Space>(data_ + static_cast<std::ptrdiff_t>(i) * strides_[0], s, st);
  }

 private:
  T* data_ = nullptr;
  Shape shape_{};
  Strides strides_{};
};

template <typename T, std::size_t Rank>
using HostView = View<T, Rank, MemSpace::Host>;
template <typename T, std::size_t Rank>
using DeviceView = View<T, Rank, MemSpace::Device>;

// Owning, contiguous, 64-byte aligned host array. Move-only: copies are explicit (clone()).
template <typename T, std::size_t Rank>
class HostArray {
 public:
  static_assert(std::is_trivially_copyable_v<T>, "host arrays hold plain numbers");
  using Shape = typename HostView<T, Rank>::Shape;

  HostArray() = default;
  explicit HostArray(const Shape& shape) : shape_(shape) {
    const std::size_t n = count(shape);
    if (n > 0) {
      void* p = ::operator new (n * sizeof(T), std::align_val_t{kAlign});
      data_.reset(static_cast<T*>(p));
    }
  }
  HostArray(const Shape& shape, T fill) : HostArray(shape) {
    for (std::size_t i = 0; i < size(); ++i)
      data_.get()[i] = fill;
  }

  HostArray(HostArray&&) noexcept = default;
  HostArray& operator=(HostArray&&) noexcept = default;
  HostArray(const HostArray&) = delete;
  HostArray& operator=(const HostArray&) = delete;

  HostArray clone() const {
    HostArray out(shape_);
    if (size() > 0) std::memcpy(out.data(), data(), size() * sizeof(T));
    return out;
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  const Shape& shape() const { return shape_; }
  std::size_t extent(std::size_t axis) const { return shape_[axis]; }
  std::size_t size() const { return count(shape_); }
  bool empty() const { return size() == 0; }

  HostView<T, Rank> view() { return HostView<T, Rank>(data(), shape_); }
  HostView<const T, Rank> view() const { return HostView<const T, Rank>(data(), shape_); }
  HostView<const T, Rank> cview() const { return view(); }

  template <typename... I>
  T& operator()(I... idx) {
    return view()(idx...);
  }
  template <typename... I>
  const T& operator()(I... idx) const {
    return view()(idx...);
  }

  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }

 private:
  static constexpr std::size_t kAlign = 64;
  struct AlignedDelete {
    void operator()(T* p) const { ::operator delete (p, std::align_val_t{kAlign}); }
  };
  static std::size_t count(const Shape& s) {
    std::size_t n = 1;
    for (auto e : s)
      n *= e;
    return n;
  }

  Shape shape_{};
  std::unique_ptr<T, AlignedDelete> data_;
};

}  // namespace xct
