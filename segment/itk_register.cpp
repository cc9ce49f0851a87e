// The ITK v4 side of register_rigid(): one stage (translation or versor rigid) over the levels
// of the pyramid that register.cpp builds, with the mean squares metric on the sampled points
// and the regular-step gradient descent whose steps are sized in voxels.
#include <itkImage.h>
#include <itkImageFunction.h>
#include <itkMeanSquaresImageToImageMetricv4.h>
#include <itkRegistrationParameterScalesFromPhysicalShift.h>
#include <itkRegularStepGradientDescentOptimizerv4.h>
#include <itkTranslationTransform.h>
#include <itkVersorRigid3DTransform.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "segment/itk_image.hpp"
#include "segment/itk_ops.hpp"
#include "segment/register.hpp"

namespace xct::seg::register_detail {
namespace {

using Image = itk::Image3<float>;
using Metric = ::itk::MeanSquaresImageToImageMetricv4<Image, Image>;
using Optimizer = ::itk::RegularStepGradientDescentOptimizerv4<double>;
using ScalesEstimator = ::itk::RegistrationParameterScalesFromPhysicalShift<Metric>;
using Translation = ::itk::TranslationTransform<double, 3>;
using Rigid = ::itk::VersorRigid3DTransform<double>;

int thread_count(int threads) {
  return threads > 0 ? threads
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Image::Pointer level_image(const HostArray<float, 3>& a, int shrink) {
  auto image = itk::to_itk(a.cview());
  Image::SpacingType spacing;
  spacing.Fill(static_cast<double>(shrink));
  image->SetSpacing(spacing);  // origin 0: voxel i at the full grid's point shrink * i
  return image;
}

// The moving image's gradient for the metric, interpolated (trilinear) from the level's
// precomputed gradient images (the level smoothed by one voxel, differenced): about what ITK's
// default gradient filter gives (a recursive Gaussian of one level voxel) without its image of
// double vectors, which costs more than the iterations at the finest level; central
// differences of the linear interpolator instead are rough enough to stop the optimiser early.
class PrecomputedGradient final
    : public ::itk::ImageFunction<Image, ::itk::CovariantVector<double, 3>, double> {
 public:
  using Self = PrecomputedGradient;
  using Superclass = ::itk::ImageFunction<Image, ::itk::CovariantVector<double, 3>, double>;
  using Pointer = ::itk::SmartPointer<Self>;
  using ConstPointer = ::itk::SmartPointer<const Self>;
  itkNewMacro(Self);
  itkTypeMacro(PrecomputedGradient, ImageFunction);

  void set(const std::array<HostArray<float, 3>, 3>* gradient, int shrink) {
    gradient_ = gradient;
    shrink_ = static_cast<double>(shrink);
  }

  OutputType Evaluate(const PointType& p) const override {
    return at(p[0] / shrink_, p[1] / shrink_, p[2] / shrink_);
  }
  OutputType EvaluateAtIndex(const IndexType& i) const override {
    return at(static_cast<double>(i[0]), static_cast<double>(i[1]), static_cast<double>(i[2]));
  }
  OutputType EvaluateAtContinuousIndex(const ContinuousIndexType& i) const override {
    return at(i[0], i[1], i[2]);
  }

 private:
  OutputType at(double x, double y, double z) const {
    const auto& g = *gradient_;
    const long n[3] = {static_cast<long>(g[0].extent(2)), static_cast<long>(g[0].extent(1)),
                       static_cast<long>(g[0].extent(0))};
    const double q[3] = {std::clamp(x, 0.0, static_cast<double>(n[0] - 1)),
                         std::clamp(y, 0.0, static_cast<double>(n[1] - 1)),
                         std::clamp(z, 0.0, static_cast<double>(n[2] - 1))};
    long i0[3], i1[3];
    double t[3];
    for (int d = 0; d < 3; ++d) {
      i0[d] = static_cast<long>(q[d]);
      i1[d] = std::min(i0[d] + 1, n[d] - 1);
      t[d] = q[d] - static_cast<double>(i0[d]);
    }
    OutputType out;
    for (unsigned c = 0; c < 3; ++c) {
      const float* v = g[c].data();
      auto val = [&](long xi, long yi, long zi) {
        return static_cast<double>(v[(zi * n[1] + yi) * n[0] + xi]);
      };
      const double c00 = (1 - t[0]) * val(i0[0], i0[1], i0[2]) + t[0] * val(i1[0], i0[1], i0[2]);
      const double c10 = (1 - t[0]) * val(i0[0], i1[1], i0[2]) + t[0] * val(i1[0], i1[1], i0[2]);
      const double c01 = (1 - t[0]) * val(i0[0], i0[1], i1[2]) + t[0] * val(i1[0], i0[1], i1[2]);
      const double c11 = (1 - t[0]) * val(i0[0], i1[1], i1[2]) + t[0] * val(i1[0], i1[1], i1[2]);
      out[c] =
          (1 - t[2]) * ((1 - t[1]) * c00 + t[1] * c10) + t[2] * ((1 - t[1]) * c01 + t[1] * c11);
    }
    return out;
  }

  const std::array<HostArray<float, 3>, 3>* gradient_ = nullptr;
  double shrink_ = 1;
};

// The metric on one level: fixed and moving images, the sampled points, the moving gradient
// from the level's gradient images.
Metric::Pointer make_metric(const PyramidLevel& level, int threads) {
  auto metric = Metric::New();
  metric->SetFixedImage(level_image(level.fixed, level.shrink));
  metric->SetMovingImage(level_image(level.moving, level.shrink));
  auto points = Metric::FixedSampledPointSetType::New();
  auto container = Metric::FixedSampledPointSetType::PointsContainer::New();
  container->Reserve(level.samples.size());
  for (std::size_t i = 0; i < level.samples.size(); ++i) {
    Metric::FixedSampledPointSetType::PointType p;
    for (unsigned d = 0; d < 3; ++d)
      p[d] = level.samples[i][d];
    container->SetElement(i, p);
  }
  points->SetPoints(container);
  metric->SetFixedSampledPointSet(points);
  metric->SetUseSampledPointSet(true);
  metric->SetUseFixedImageGradientFilter(false);  // mean squares uses the moving gradient only
  metric->SetUseMovingImageGradientFilter(false);
  auto gradient = PrecomputedGradient::New();
  gradient->set(&level.moving_gradient, level.shrink);
  metric->SetMovingImageGradientCalculator(gradient);
  metric->SetMaximumNumberOfWorkUnits(static_cast<::itk::ThreadIdType>(thread_count(threads)));
  return metric;
}

Rigid::Pointer make_rigid(const RigidTransform& t) {
  auto rigid = Rigid::New();
  Rigid::InputPointType centre;
  Rigid::OutputVectorType translation;
  for (unsigned d = 0; d < 3; ++d) {
    centre[d] = t.centre[d];
    translation[d] = t.translation[d];
  }
  rigid->SetCenter(centre);
  const double angle = t.angle_deg() * std::numbers::pi / 180;
  if (angle > 0) {
    const auto a = t.axis();
    Rigid::AxisType axis;
    for (unsigned d = 0; d < 3; ++d)
      axis[d] = a[d];
    rigid->SetRotation(axis, angle);
  }
  rigid->SetTranslation(translation);
  return rigid;
}

RigidTransform from_rigid(const Rigid& rigid) {
  RigidTransform t;
  const auto& m = rigid.GetMatrix();
  for (unsigned i = 0; i < 3; ++i)
    for (unsigned j = 0; j < 3; ++j)
      t.rotation[3 * i + j] = m(i, j);
  for (unsigned d = 0; d < 3; ++d) {
    t.centre[d] = rigid.GetCenter()[d];
    t.translation[d] = rigid.GetTranslation()[d];
  }
  return t;
}

Translation::Pointer make_translation(const RigidTransform& t) {
  auto translation = Translation::New();
  Translation::ParametersType p(3);
  // A pure translation: p -> p + offset; with a centre and an identity rotation the offset is
  // the translation.
  for (unsigned d = 0; d < 3; ++d)
    p[d] = t.translation[d];
  translation->SetParameters(p);
  return translation;
}

}  // namespace

StageOutcome itk_optimise(const std::vector<PyramidLevel>& levels, bool rigid,
                          const RigidTransform& start, std::array<bool, 3> held,
                          const RegisterParams& params, int max_iterations, Logger& log) {
  return itk::guarded(rigid ? "rigid registration" : "translation registration", [&] {
    itk::set_threads(params.threads);
    StageOutcome out;
    out.transform = start;
    for (std::size_t li = 0; li < levels.size(); ++li) {
      const PyramidLevel& level = levels[li];
      auto metric = make_metric(level, params.threads);
      Rigid::Pointer rigid_t;
      Translation::Pointer translation_t;
      if (rigid) {
        rigid_t = make_rigid(out.transform);
        metric->SetMovingTransform(rigid_t);
      } else {
        translation_t = make_translation(out.transform);
        metric->SetMovingTransform(translation_t);
      }
      metric->Initialize();

      auto scales = ScalesEstimator::New();
      scales->SetMetric(metric);
      scales->SetTransformForward(true);

      const double shrink = static_cast<double>(level.shrink);
      const double step = params.step_px * shrink;
      const double tolerance = params.tolerance_px * shrink;
      auto optimizer = Optimizer::New();
      optimizer->SetMetric(metric);
      optimizer->SetScalesEstimator(scales);
      optimizer->SetDoEstimateScales(true);
      if (rigid && (held[0] || held[1] || held[2])) {
        // Versor components 0..2 rotate about x, y, z: a weight of 0 keeps one where it is.
        Optimizer::ScalesType weights(6);
        weights.Fill(1.0);
        for (unsigned k = 0; k < 3; ++k)
          if (held[k]) weights[k] = 0.0;
        optimizer->SetWeights(weights);
      }
      // Each iteration's learning rate makes the largest voxel shift of the step equal to
      // relaxation * step: a step in voxels whatever mix of rotation and translation it is.
      optimizer->SetDoEstimateLearningRateAtEachIteration(true);
      optimizer->SetMaximumStepSizeInPhysicalUnits(step);
      optimizer->SetLearningRate(1.0);
      optimizer->SetRelaxationFactor(0.5);
      optimizer->SetMinimumStepLength(0.0);  // the tolerance below ends the level instead
      optimizer->SetGradientMagnitudeTolerance(1e-30);  // only a gradient of exactly zero
      optimizer->SetNumberOfIterations(static_cast<::itk::SizeValueType>(max_iterations));
      optimizer->SetNumberOfWorkUnits(
          static_cast<::itk::ThreadIdType>(thread_count(params.threads)));
      bool reached_tolerance = false;
      optimizer->AddObserver(::itk::IterationEvent(), [&](const ::itk::EventObject&) {
        if (optimizer->GetCurrentLearningRateRelaxation() * step < tolerance) {
          reached_tolerance = true;
          optimizer->StopOptimization();
        }
      });
      optimizer->StartOptimization();

      const int iterations = static_cast<int>(optimizer->GetCurrentIteration());
      out.iterations += iterations;
      if (rigid) {
        out.transform = from_rigid(*rigid_t);
      } else {
        for (unsigned d = 0; d < 3; ++d)
          out.transform.translation[d] = translation_t->GetParameters()[d];
      }
      out.value_last = metric->GetValue();
      out.converged = reached_tolerance;
      std::ostringstream stop;
      if (reached_tolerance) {
        stop << "step below " << tolerance << " voxel after " << iterations << " iterations";
      } else {
        stop << optimizer->GetStopConditionDescription();
      }
      out.stop = stop.str();
      const auto& t = out.transform.translation;
      const double angle = out.transform.angle_deg();
      const auto axis = out.transform.axis();
      log.debug("register ", rigid ? "rigid" : "translation", " level ", li + 1, "/", levels.size(),
                " (shrink ", level.shrink, ", ", level.samples.size(), " points): ", out.stop,
                "; metric ", out.value_last, "; translation (", t[0], ", ", t[1], ", ", t[2],
                ") voxel, rotation (", angle * axis[0], ", ", angle * axis[1], ", ",
                angle * axis[2], ") deg");
    }
    return out;
  });
}

double itk_metric_value(const PyramidLevel& level, const RigidTransform& t, int threads) {
  return itk::guarded("registration metric", [&] {
    itk::set_threads(threads);
    auto metric = make_metric(level, threads);
    auto rigid = make_rigid(t);
    metric->SetMovingTransform(rigid);
    metric->Initialize();
    return metric->GetValue();
  });
}

}  // namespace xct::seg::register_detail
