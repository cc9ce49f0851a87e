// Copies between xct arrays (z, y, x) and ITK images (x, y, z), unit spacing. Only for
// segment/itk_*.cpp.
#pragma once

#include <itkImage.h>

#include <algorithm>
#include <cstring>

#include "core/array.hpp"
#include "core/error.hpp"

namespace xct::seg::itk {

template <typename T>
using Image3 = ::itk::Image<T, 3>;

// Runs `f`, turning ITK's exceptions into xct's one-line errors.
template <typename F>
auto guarded(const char* what, F&& f) {
  try {
    return f();
  } catch (const ::itk::ExceptionObject& e) {
    XCT_THROW(ErrorKind::Internal, what, " failed in ITK: ", e.GetDescription());
  }
}

template <typename T>
typename Image3<T>::Pointer to_itk(HostView<const T, 3> view) {
  auto image = Image3<T>::New();
  typename Image3<T>::SizeType size;
  size[0] = view.extent(2);
  size[1] = view.extent(1);
  size[2] = view.extent(0);
  typename Image3<T>::RegionType region;
  region.SetSize(size);
  image->SetRegions(region);
  image->Allocate();
  T* out = image->GetBufferPointer();
  if (view.is_contiguous()) {
    std::memcpy(out, view.data(), view.size() * sizeof(T));
  } else {
    std::size_t i = 0;
    for (std::size_t z = 0; z < view.extent(0); ++z)
      for (std::size_t y = 0; y < view.extent(1); ++y)
        for (std::size_t x = 0; x < view.extent(2); ++x)
          out[i++] = view(z, y, x);
  }
  return image;
}

template <typename T>
HostArray<T, 3> from_itk(const Image3<T>* image) {
  const auto size = image->GetLargestPossibleRegion().GetSize();
  HostArray<T, 3> out({size[2], size[1], size[0]});
  std::memcpy(out.data(), image->GetBufferPointer(), out.size() * sizeof(T));
  return out;
}

}  // namespace xct::seg::itk
