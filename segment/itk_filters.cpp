// Grey-level ITK filters: median, curvature diffusion, black top-hat, Hessian plate objectness.
#include <itkBlackTopHatImageFilter.h>
#include <itkCurvatureAnisotropicDiffusionImageFilter.h>
#include <itkFlatStructuringElement.h>
#include <itkHessianToObjectnessMeasureImageFilter.h>
#include <itkMedianImageFilter.h>
#include <itkMultiScaleHessianBasedMeasureImageFilter.h>
#include <itkMultiThreaderBase.h>
#include <itkSymmetricSecondRankTensor.h>

#include <algorithm>
#include <thread>

#include "core/error.hpp"
#include "segment/itk_image.hpp"
#include "segment/itk_ops.hpp"

namespace xct::seg::itk {

void set_threads(int threads) {
  const int n =
      threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ::itk::MultiThreaderBase::SetGlobalDefaultNumberOfThreads(n);
  ::itk::MultiThreaderBase::SetGlobalMaximumNumberOfThreads(std::max(n, 1));
}

HostArray<float, 3> median(HostView<const float, 3> image, int radius) {
  return guarded("median filter", [&] {
    using Filter = ::itk::MedianImageFilter<Image3<float>, Image3<float>>;
    auto filter = Filter::New();
    filter->SetInput(to_itk(image));
    Filter::InputSizeType r;
    r.Fill(static_cast<unsigned>(radius));
    filter->SetRadius(r);
    filter->Update();
    return from_itk<float>(filter->GetOutput());
  });
}

HostArray<float, 3> curvature_diffusion(HostView<const float, 3> image, int iterations,
                                        double conductance) {
  return guarded("curvature diffusion", [&] {
    using Filter = ::itk::CurvatureAnisotropicDiffusionImageFilter<Image3<float>, Image3<float>>;
    auto filter = Filter::New();
    filter->SetInput(to_itk(image));
    filter->SetNumberOfIterations(static_cast<unsigned>(iterations));
    filter->SetTimeStep(0.0625);  // 0.5 / 2^3: the stable step in 3-D at unit spacing
    filter->SetConductanceParameter(conductance);
    filter->Update();
    return from_itk<float>(filter->GetOutput());
  });
}

HostArray<float, 3> black_top_hat(HostView<const float, 3> image, int radius) {
  return guarded("black top-hat", [&] {
    using Kernel = ::itk::FlatStructuringElement<3>;
    Kernel::RadiusType r;
    r.Fill(static_cast<unsigned>(radius));
    using Filter = ::itk::BlackTopHatImageFilter<Image3<float>, Image3<float>, Kernel>;
    auto filter = Filter::New();
    filter->SetInput(to_itk(image));
    filter->SetKernel(Kernel::Box(r));  // a box decomposes: van Herk/Gil-Werman lines
    filter->SetSafeBorder(true);
    filter->Update();
    return from_itk<float>(filter->GetOutput());
  });
}

HostArray<float, 3> dark_plate_objectness(HostView<const float, 3> image,
                                          const std::vector<double>& sigmas, double gamma) {
  XCT_CHECK(!sigmas.empty(), ErrorKind::Internal, "plate objectness needs a scale");
  return guarded("Hessian plate objectness", [&] {
    using Hessian = ::itk::SymmetricSecondRankTensor<double, 3>;
    using HessianImage = ::itk::Image<Hessian, 3>;
    using Objectness = ::itk::HessianToObjectnessMeasureImageFilter<HessianImage, Image3<float>>;
    using MultiScale =
        ::itk::MultiScaleHessianBasedMeasureImageFilter<Image3<float>, HessianImage, Image3<float>>;
    auto input = to_itk(image);
    auto best = HostArray<float, 3>(image.shape(), 0.0f);
    for (double sigma : sigmas) {
      auto objectness = Objectness::New();
      objectness->SetObjectDimension(2);             // plates
      objectness->SetBrightObject(false);            // dark cracks in bright ceramic
      objectness->SetScaleObjectnessMeasure(false);  // stay in [0, 1]
      objectness->SetAlpha(0.5);
      objectness->SetBeta(0.5);
      objectness->SetGamma(gamma);
      auto multi = MultiScale::New();
      multi->SetInput(input);
      multi->SetHessianToMeasureFilter(objectness);
      multi->SetSigmaMinimum(sigma);
      multi->SetSigmaMaximum(sigma);
      multi->SetNumberOfSigmaSteps(1);
      multi->SetNonNegativeHessianBasedMeasure(true);
      multi->Update();
      const float* out = multi->GetOutput()->GetBufferPointer();
      float* b = best.data();
      for (std::size_t i = 0; i < best.size(); ++i)
        b[i] = std::max(b[i], out[i]);
    }
    return best;
  });
}

}  // namespace xct::seg::itk
