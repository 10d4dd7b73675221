// attend bench softmax: the no-grad attend::softmax(x, dim=-1) on an f32 tensor of --shape (a fresh output each
// call, as torch.softmax(x, -1)); with --out, the row kernel (kernels::softmax_rows) into a preallocated output, as
// bench/anchors/softmax.py --out. Keys as that script: bench, shape, dim, out, threads, ms_*, samples, gbs_median
// (bytes read + written per call / time), peak_rss_mib.
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "attend/core/rng.hpp"
#include "attend/core/threads.hpp"
#include "attend/tensor/kernels/softmax.hpp"
#include "attend/tensor/softmax.hpp"
#include "bench_common.hpp"

namespace attend::cli::bench {

namespace {

struct SoftmaxOptions {
  CommonOptions common;
  std::string shape = "8,8,512,512";
  bool out = false;
};

// "8,8,512,512" -> {8, 8, 512, 512}; empty on any malformed or non-positive extent.
Shape parse_shape(const std::string& text) {
  Shape shape;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    int64_t v = 0;
    const char* first = text.data() + pos;
    const char* last = text.data() + comma;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (first == last || ec != std::errc() || ptr != last || v <= 0) return {};
    shape.push_back(v);
    pos = comma + 1;
  }
  return shape;
}

const CLI::Validator kShapeValidator(
    [](std::string& text) -> std::string {
      const Shape s = parse_shape(text);
      if (s.empty()) return "must be comma-separated positive integers like 8,8,512,512, got '" + text + "'";
      double elements = 1.0;
      for (int64_t e : s) elements *= static_cast<double>(e);
      if (elements > 4e9) return "has " + std::to_string(elements) + " elements; at most 4e9";
      return {};
    },
    "DIMS", "shape");

int run_softmax(const SoftmaxOptions& o) {
  set_num_threads(o.common.threads);
  const Shape shape = parse_shape(o.shape);
  Rng rng(0);
  const Tensor x = Tensor::randn(shape, rng);
  std::vector<double> ms;
  if (o.out) {
    const Tensor y = Tensor::empty(shape);
    const int64_t cols = shape.back();
    ms = time_calls([&] { kernels::softmax_rows(x.data<float>(), y.data<float>(), x.numel() / cols, cols); },
                    o.common);
  } else {
    ms = time_calls([&] { (void)softmax(x, -1); }, o.common);
  }
  nlohmann::json rec = {
      {"bench", "softmax"}, {"shape", shape}, {"dim", -1}, {"out", o.out}, {"threads", o.common.threads}};
  rec.update(stats_ms(ms));
  const double bytes = 2.0 * static_cast<double>(x.numel()) * sizeof(float);
  rec["gbs_median"] = bytes / (rec["ms_median"].get<double>() * 1e-3) / 1e9;
  rec["peak_rss_mib"] = peak_rss_mib();
  emit(rec);
  return 0;
}

}  // namespace

void add_softmax(CLI::App& bench, CommandTable& table) {
  auto opts = std::make_shared<SoftmaxOptions>();
  CLI::App* cmd = bench.add_subcommand("softmax", "attend::softmax(x, -1) over the last dim of an f32 tensor");
  cmd->add_option("--shape", opts->shape, "Tensor shape, comma-separated (the softmax runs over the last dim)")
      ->check(kShapeValidator)
      ->capture_default_str();
  cmd->add_flag("--out", opts->out, "Time the row kernel into a preallocated output (no allocation per call)");
  add_common_options(*cmd, opts->common);
  cmd->callback([&table, opts] { table.selected = [opts] { return run_softmax(*opts); }; });
}

}  // namespace attend::cli::bench
