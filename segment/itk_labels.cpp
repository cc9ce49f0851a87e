// ITK label and statistics filters: multi-Otsu, connected components, distance maps, watershed.
#include <itkConnectedComponentImageFilter.h>
#include <itkHistogram.h>
#include <itkMorphologicalWatershedImageFilter.h>
#include <itkOtsuMultipleThresholdsCalculator.h>
#include <itkRelabelComponentImageFilter.h>
#include <itkSignedMaurerDistanceMapImageFilter.h>

#include <algorithm>

#include "core/error.hpp"
#include "segment/itk_image.hpp"
#include "segment/itk_ops.hpp"

namespace xct::seg::itk {

namespace {

Components relabelled(Image3<std::uint32_t>* ids) {
  using Relabel = ::itk::RelabelComponentImageFilter<Image3<std::uint32_t>, Image3<std::uint32_t>>;
  auto relabel = Relabel::New();
  relabel->SetInput(ids);
  relabel->SetSortByObjectSize(true);
  relabel->Update();
  Components out;
  out.ids = from_itk<std::uint32_t>(relabel->GetOutput());
  for (auto n : relabel->GetSizeOfObjectsInPixels())
    out.sizes.push_back(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::vector<double> multi_otsu(const std::vector<double>& counts, double low, double bin_width,
                               int n, bool valley_emphasis) {
  return guarded("multi-Otsu", [&] {
    using Histogram = ::itk::Statistics::Histogram<double>;
    auto histogram = Histogram::New();
    Histogram::SizeType size(1);
    size[0] = counts.size();
    Histogram::MeasurementVectorType lower(1), upper(1);
    lower[0] = low;
    upper[0] = low + bin_width * static_cast<double>(counts.size());
    histogram->SetMeasurementVectorSize(1);
    histogram->Initialize(size, lower, upper);
    for (std::size_t i = 0; i < counts.size(); ++i)
      histogram->SetFrequency(i, counts[i]);
    using Calculator = ::itk::OtsuMultipleThresholdsCalculator<Histogram>;
    auto calculator = Calculator::New();
    calculator->SetInputHistogram(histogram);
    calculator->SetNumberOfThresholds(static_cast<unsigned>(n));
    calculator->SetValleyEmphasis(valley_emphasis);
    calculator->Compute();
    std::vector<double> out(calculator->GetOutput().begin(), calculator->GetOutput().end());
    std::sort(out.begin(), out.end());
    return out;
  });
}

Components connected_components(HostView<const std::uint8_t, 3> mask, bool fully_connected) {
  return guarded("connected components", [&] {
    using Filter =
        ::itk::ConnectedComponentImageFilter<Image3<std::uint8_t>, Image3<std::uint32_t>>;
    auto filter = Filter::New();
    filter->SetInput(to_itk(mask));
    filter->SetFullyConnected(fully_connected);
    filter->SetBackgroundValue(0);
    filter->Update();
    return relabelled(filter->GetOutput());
  });
}

HostArray<float, 3> inside_distance(HostView<const std::uint8_t, 3> mask) {
  return guarded("distance map", [&] {
    using Filter = ::itk::SignedMaurerDistanceMapImageFilter<Image3<std::uint8_t>, Image3<float>>;
    auto filter = Filter::New();
    filter->SetInput(to_itk(mask));
    filter->SetInsideIsPositive(true);
    filter->SetSquaredDistance(false);
    filter->SetUseImageSpacing(false);
    filter->SetBackgroundValue(0);
    filter->Update();
    auto out = from_itk<float>(filter->GetOutput());
    for (auto& v : out)
      v = std::max(v, 0.0f);
    return out;
  });
}

Components split_touching(HostView<const std::uint8_t, 3> mask, double h) {
  return guarded("watershed split", [&] {
    auto distance = inside_distance(mask);
    for (auto& v : distance)
      v = -v;
    using Watershed =
        ::itk::MorphologicalWatershedImageFilter<Image3<float>, Image3<std::uint32_t>>;
    auto watershed = Watershed::New();
    watershed->SetInput(to_itk(distance.cview()));
    watershed->SetLevel(h);
    watershed->SetMarkWatershedLine(false);
    watershed->SetFullyConnected(false);
    watershed->Update();
    // Basins cover the whole image: keep them inside the mask only.
    auto* ids = watershed->GetOutput();
    std::uint32_t* p = ids->GetBufferPointer();
    const std::uint8_t* m = mask.data();
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (!m[i]) p[i] = 0;
    return relabelled(ids);
  });
}

}  // namespace xct::seg::itk
