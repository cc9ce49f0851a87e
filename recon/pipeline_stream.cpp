#include "recon/pipeline_stream.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "cuda/device.hpp"
#include "cuda/pinned.hpp"
#include "recon/fbp_device.hpp"
#include "recon/stripe_device.hpp"

namespace xct::recon {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A blocking queue between threads; pop returns nothing once it is closed and empty.
template <typename T>
class Channel {
 public:
  void push(T v) {
    {
      std::lock_guard lock(m_);
      if (closed_) return;
      q_.push_back(std::move(v));
    }
    cv_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return closed_ || !q_.empty(); });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    return v;
  }
  // Pending items stay to be popped; a closed channel takes no more.
  void close() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Drops what is queued too (on failure).
  void abort() {
    {
      std::lock_guard lock(m_);
      closed_ = true;
      q_.clear();
    }
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool closed_ = false;
};

// Up to `capacity` buffers made on first need: a free one is handed out if there is one, a new
// one is made while fewer than `capacity` exist, else the caller waits. Making them lazily
// spreads the cost of page-locking (about a second for several GB) over the first slabs,
// where it overlaps the reading and the GPU's work, instead of delaying the start.
template <typename T>
class BufferPool {
 public:
  BufferPool(std::size_t capacity, std::function<T()> make)
      : make_(std::move(make)), buffers_(capacity) {}
  // The index of a buffer to use, or nothing once aborted.
  std::optional<std::size_t> acquire() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return aborted_ || !free_.empty() || made_ < buffers_.size(); });
    if (aborted_) return std::nullopt;
    if (!free_.empty()) {
      const std::size_t i = free_.back();
      free_.pop_back();
      return i;
    }
    const std::size_t i = made_++;
    lock.unlock();
    buffers_[i] = make_();  // slot i is this caller's alone until released
    return i;
  }
  void release(std::size_t i) {
    {
      std::lock_guard lock(m_);
      free_.push_back(i);
    }
    cv_.notify_one();
  }
  void abort() {
    {
      std::lock_guard lock(m_);
      aborted_ = true;
    }
    cv_.notify_all();
  }
  T& operator[](std::size_t i) { return buffers_[i]; }

 private:
  std::function<T()> make_;
  std::vector<T> buffers_;
  std::vector<std::size_t> free_;
  std::size_t made_ = 0;
  bool aborted_ = false;
  std::mutex m_;
  std::condition_variable cv_;
};

// The page-locked buffers of one slab's input.
struct InBuffer {
  cuda::PinnedBuffer counts, dark, denom;
};

struct Slab {
  std::size_t index = 0;  // slab number: output slices index * rows ...
  std::size_t buffer = 0;
};

std::uint64_t in_bytes(std::size_t rows, std::size_t a, std::size_t c) {
  return rows * (a * c * 2 + 2 * c * 4);
}
std::uint64_t out_bytes(std::size_t rows, std::size_t n) {
  return rows * n * n * 4;
}
// Buffers in rotation: two per worker (one computing, one uploading or downloading) and two
// more for the reader (or the writer) to work on meanwhile.
std::size_t buffers_for(std::size_t workers) {
  return 2 * workers + 2;
}

}  // namespace

bool stream_route_applies(const ScanInfo& info, const PreprocessParams& p) {
  const auto policy = p.flat.nonpositive;
  return raw_slabs_apply(info, p) &&
         (policy == NonPositivePolicy::HalfCount || policy == NonPositivePolicy::One) &&
         (!p.zinger || !p.zinger->check_size) && rings_on_device(p.rings);
}

cuda::RawChain raw_chain(const PreprocessParams& p, std::size_t n_angles, std::size_t n_cols) {
  cuda::RawChain chain;
  chain.policy = p.flat.nonpositive == NonPositivePolicy::One ? cuda::NonPositive::One
                                                              : cuda::NonPositive::HalfCount;
  if (p.zinger) {
    XCT_CHECK(std::isfinite(p.zinger->threshold) && p.zinger->threshold > 0, ErrorKind::Usage,
              "zinger threshold must be a positive number");
    XCT_CHECK(p.zinger->size >= 1, ErrorKind::Usage, "zinger size must be at least 1 pixel");
    chain.zinger = cuda::ZingerSetup{p.zinger->threshold, p.zinger->size, p.zinger->frame_check};
  }
  if (canonical_ring_method(p.rings.method) != "none")
    chain.stripes = stripe_device_setup(p.rings, n_angles, n_cols);
  return chain;
}

StreamPlan plan_stream(const std::vector<int>& devices, const cuda::FbpSetup& setup,
                       const cuda::RawChain& chain, std::size_t max_rows,
                       std::uint64_t max_gpu_memory, std::uint64_t host_budget) {
  XCT_CHECK(!devices.empty(), ErrorKind::Internal, "plan_stream: no device");
  const auto visible = cuda::visible_devices();
  std::uint64_t free_bytes = ~0ull;
  for (int d : devices) {
    const auto it = std::find_if(visible.begin(), visible.end(),
                                 [&](const cuda::DeviceInfo& v) { return v.index == d; });
    XCT_CHECK(it != visible.end(), ErrorKind::DeviceUnavailable, "CUDA device ", d,
              " is not visible (", visible.size(), " visible)");
    // Workers sharing a device share its memory.
    const auto sharing = static_cast<std::uint64_t>(std::count(devices.begin(), devices.end(), d));
    free_bytes = std::min<std::uint64_t>(free_bytes, it->free_memory_bytes / sharing);
  }
  std::uint64_t limit = free_bytes / 10 * 9;
  if (max_gpu_memory > 0) limit = std::min(limit, max_gpu_memory);
  const std::size_t a = setup.n_angles, c = setup.n_cols, n = setup.n;
  const std::size_t k = buffers_for(devices.size());
  StreamPlan plan;
  plan.devices = devices;
  plan.rows = std::max<std::size_t>(max_rows, 1);
  auto device_need = [&](std::size_t rows) {
    return static_cast<std::uint64_t>(cuda::FbpEngine::stream_bytes(setup, chain, rows));
  };
  auto host_need = [&](std::size_t rows) {
    return k * (in_bytes(rows, a, c) + out_bytes(rows, n));
  };
  while (plan.rows > 1 && (device_need(plan.rows) > limit || host_need(plan.rows) > host_budget))
    plan.rows = (plan.rows + 1) / 2;
  plan.device_bytes = device_need(plan.rows);
  plan.host_bytes = host_need(plan.rows);
  XCT_CHECK(plan.device_bytes <= limit, ErrorKind::DeviceUnavailable, "one row of this scan needs ",
            plan.device_bytes >> 20, " MiB of GPU memory but ", limit >> 20, " MiB may be used",
            max_gpu_memory > 0 ? " (--max-gpu-memory)" : " (90 % of the free memory)");
  XCT_CHECK(plan.host_bytes <= host_budget, ErrorKind::Usage, "--max-memory ", host_budget >> 20,
            " MiB is too small for the transfer buffers of one row (", plan.host_bytes >> 20,
            " MiB)");
  return plan;
}

StreamReport stream_reconstruct(ScanReader& reader, Range rows, Range proj,
                                const std::vector<double>& angles, const PreprocessParams& prep,
                                const FbpParams& fbp, const StreamPlan& plan,
                                const std::vector<double>& centres, float scale, SlabSink& sink,
                                PreprocessReport& prep_report, Progress& progress, Logger& log) {
  const ScanInfo& info = reader.info();
  const std::size_t a = proj.size(), c = info.n_cols(), n_slices = rows.size();
  const cuda::FbpSetup setup = fbp_device_setup(angles, c, fbp);
  const std::size_t n = setup.n, slab_rows = plan.rows;
  const std::size_t n_slabs = (n_slices + slab_rows - 1) / slab_rows;
  XCT_CHECK(centres.size() == n_slices, ErrorKind::Internal, "one centre per row is needed");
  const cuda::RawChain chain = raw_chain(prep, a, c);
  const std::size_t workers = plan.devices.size(), k = buffers_for(workers);

  BufferPool<InBuffer> ins(k, [&] {
    InBuffer b;
    b.counts = cuda::PinnedBuffer(a * slab_rows * c * sizeof(std::uint16_t));
    b.dark = cuda::PinnedBuffer(slab_rows * c * sizeof(float));
    b.denom = cuda::PinnedBuffer(slab_rows * c * sizeof(float));
    return b;
  });
  BufferPool<cuda::PinnedBuffer> outs(k,
                                      [&] { return cuda::PinnedBuffer(out_bytes(slab_rows, n)); });
  auto slab_range = [&](std::size_t s) {
    const std::size_t z0 = s * slab_rows;
    return std::pair{z0, std::min(slab_rows, n_slices - z0)};
  };
  // The slabs to compute: those the sink does not hold from an interrupted run.
  std::vector<std::size_t> todo;
  for (std::size_t s = 0; s < n_slabs; ++s) {
    const auto [z0, nr] = slab_range(s);
    if (sink.holds(z0, nr)) {
      progress.advance(nr);
    } else {
      todo.push_back(s);
    }
  }

  Channel<Slab> ready, written;
  std::mutex error_mutex;
  std::exception_ptr error;
  auto fail = [&](std::exception_ptr e) {
    {
      std::lock_guard lock(error_mutex);
      if (!error) error = e;
    }
    ins.abort();
    outs.abort();
    ready.abort();
    written.abort();
  };

  StreamReport rep;
  rep.workers = workers;
  rep.devices = plan.devices;
  rep.rows_per_slab = slab_rows;
  rep.slabs = n_slabs;
  std::vector<cuda::StreamTiming> timings(workers);
  std::vector<cuda::RawCounts> counts(workers);
  const auto t0 = Clock::now();

  std::thread read_thread([&] {
    try {
      for (const std::size_t s : todo) {
        const auto b = ins.acquire();
        if (!b) return;
        const auto t = Clock::now();
        const auto [z0, nr] = slab_range(s);
        InBuffer& in = ins[*b];
        if (s == todo.front() && !in.counts.pinned())
          log.warn("transfer buffers could not be page-locked: copies are slower");
        read_raw_slab(reader, Range{rows.begin + z0, rows.begin + z0 + nr}, prep, prep_report, proj,
                      HostView<std::uint16_t, 3>(in.counts.as<std::uint16_t>(), {a, nr, c}),
                      HostView<float, 2>(in.dark.as<float>(), {nr, c}),
                      HostView<float, 2>(in.denom.as<float>(), {nr, c}));
        rep.seconds_read += seconds_since(t);
        ready.push(Slab{s, *b});
      }
      ready.close();
    } catch (...) {
      fail(std::current_exception());
    }
  });

  std::vector<std::thread> gpu_threads;
  for (std::size_t w = 0; w < workers; ++w) {
    gpu_threads.emplace_back([&, w] {
      try {
        cuda::FbpEngine engine(setup, slab_rows, plan.devices[w]);
        // The input and output buffers of each slab in flight, by slab number.
        std::map<std::size_t, std::pair<std::size_t, std::size_t>> held;
        auto next = [&](cuda::RawSlab& slab) {
          const auto in = ready.pop();
          if (!in) return false;
          const auto out = outs.acquire();
          if (!out) return false;
          const auto [z0, nr] = slab_range(in->index);
          held[in->index] = {in->buffer, *out};
          slab.index = in->index;
          slab.rows = nr;
          slab.counts = ins[in->buffer].counts.as<std::uint16_t>();
          slab.dark = ins[in->buffer].dark.as<float>();
          slab.denom = ins[in->buffer].denom.as<float>();
          slab.centres.assign(centres.begin() + static_cast<std::ptrdiff_t>(z0),
                              centres.begin() + static_cast<std::ptrdiff_t>(z0 + nr));
          slab.scale = scale;
          slab.slices = outs[*out].as<float>();
          return true;
        };
        auto done = [&](cuda::RawSlab& slab) {
          const auto [in, out] = held.at(slab.index);
          held.erase(slab.index);
          ins.release(in);
          written.push(Slab{slab.index, out});
        };
        engine.stream_raw(chain, next, done, counts[w], timings[w]);
      } catch (...) {
        fail(std::current_exception());
      }
    });
  }

  std::thread write_thread([&] {
    try {
      std::size_t n_written = 0;
      while (n_written < todo.size()) {
        const auto slab = written.pop();
        if (!slab) return;
        const auto t = Clock::now();
        const auto [z0, nr] = slab_range(slab->index);
        sink.write_slab(z0, HostView<const float, 3>(outs[slab->buffer].as<float>(), {nr, n, n}));
        rep.seconds_write += seconds_since(t);
        outs.release(slab->buffer);
        progress.advance(nr);
        ++n_written;
      }
    } catch (...) {
      fail(std::current_exception());
    }
  });

  read_thread.join();
  for (auto& t : gpu_threads)
    t.join();
  written.close();
  write_thread.join();
  if (error) std::rethrow_exception(error);
  rep.wall = seconds_since(t0);

  for (std::size_t w = 0; w < workers; ++w) {
    const cuda::StreamTiming& t = timings[w];
    cuda::StreamTiming& s = rep.timing;
    s.upload += t.upload, s.flat_field += t.flat_field, s.zingers += t.zingers;
    s.rings += t.rings, s.log += t.log, s.filter += t.filter, s.back_project += t.back_project;
    s.download += t.download, s.compute += t.compute, s.waiting_for_input += t.waiting_for_input;
    s.wall = std::max(s.wall, t.wall);
    s.slabs += t.slabs;
    rep.busy.push_back(t.wall > 0 ? t.compute / t.wall : 0.0);
    rep.counts.nonpositive_samples += counts[w].nonpositive_samples;
    rep.counts.log_clamped_samples += counts[w].log_clamped_samples;
    rep.counts.zingers_replaced += counts[w].zingers_replaced;
    rep.counts.stripe_columns_flagged += counts[w].stripe_columns_flagged;
  }
  prep_report.counts.nonpositive_samples += rep.counts.nonpositive_samples;
  prep_report.counts.log_clamped_samples += rep.counts.log_clamped_samples;
  prep_report.zingers_replaced += rep.counts.zingers_replaced;
  prep_report.stripe_columns_flagged += rep.counts.stripe_columns_flagged;
  return rep;
}

}  // namespace xct::recon
