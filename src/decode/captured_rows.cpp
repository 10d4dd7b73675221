// The captured attention of greedy and beam search: one flat row of floats per produced token and hypothesis
// (cheap to keep in a prefix tree), turned into per-layer tensors when the hypothesis is done (search_common.hpp).
#include <algorithm>

#include "attend/core/error.hpp"
#include "search_common.hpp"

namespace attend::decode::detail {

namespace {

// The kinds a step returns, in the order of a captured row.
constexpr nn::CaptureKind kStepKinds[] = {nn::CaptureKind::decoder_self, nn::CaptureKind::cross,
                                          nn::CaptureKind::rnn};

}  // namespace

void check_captured(const char* op, StepOutput& out, int64_t rows, const SearchSetup& setup, int64_t step) {
  for (nn::CaptureKind kind : kStepKinds) {
    const nn::LayerHeads& want = setup.capture.of(kind);
    std::vector<Tensor>& got = out.captured.of(kind);
    const size_t layers = want.empty() ? 0 : want.layers.size();
    ATTEND_CHECK(got.size() == layers, "{}: step {}: the model captured {} layers of {} attention, {} were asked for",
                 op, step, got.size(), nn::capture_kind_name(kind), layers);
    const int64_t keys = kind == nn::CaptureKind::decoder_self ? step + 1 : setup.src_time;
    for (Tensor& w : got) {
      ATTEND_CHECK(w.defined() && w.dim() == 3 && w.size(0) == rows && w.size(1) == want.heads.size() &&
                       w.size(2) == keys,
                   "{}: step {}: captured {} weights must be [N, h, K] = [{}, {}, {}], got shape {}", op, step,
                   nn::capture_kind_name(kind), rows, want.heads.size(), keys,
                   w.defined() ? shape_str(w.shape()) : std::string("undefined"));
      w = w.to(DType::f32).contiguous();
    }
  }
}

void append_captured_row(const StepOutput& out, int64_t row, int64_t src_length, std::vector<float>& into) {
  for (nn::CaptureKind kind : kStepKinds) {
    for (const Tensor& w : out.captured.of(kind)) {  // [N, h, K]
      const int64_t h = w.size(1), K = w.size(2);
      const int64_t used = kind == nn::CaptureKind::decoder_self ? K : src_length;
      const float* p = w.data<float>() + row * h * K;
      for (int64_t j = 0; j < h; ++j) into.insert(into.end(), p + j * K, p + j * K + used);
    }
  }
}

std::vector<std::vector<Tensor>> encoder_attention_per_source(const DecoderState& state, const SearchSetup& setup) {
  std::vector<std::vector<Tensor>> per_source(static_cast<size_t>(setup.batch));
  if (setup.capture.encoder_self.empty()) return per_source;
  const std::vector<Tensor> layers = state.encoder_attention();  // [B, h, Ts, Ts] each
  ATTEND_CHECK(layers.size() == setup.capture.encoder_self.layers.size(),
               "search: the model captured {} encoder-self layers, {} were asked for", layers.size(),
               setup.capture.encoder_self.layers.size());
  for (int64_t i = 0; i < setup.batch; ++i) {
    const int64_t len = setup.src_lengths[static_cast<size_t>(i)];
    for (const Tensor& w : layers) {
      per_source[static_cast<size_t>(i)].push_back(
          w.select(0, i).narrow(1, 0, len).narrow(2, 0, len).to(DType::f32).contiguous());  // [h, Ts_i, Ts_i]
    }
  }
  return per_source;
}

nn::CapturedAttention captured_of(const std::vector<float>& rows, int64_t T, int64_t src_length,
                                  const nn::AttentionCapture& capture, const std::vector<Tensor>& encoder) {
  nn::CapturedAttention c;
  c.encoder_self = encoder;
  struct Layer {
    std::vector<float> data;  // [h, T, width]
    int64_t heads, width;
    bool self;
  };
  std::vector<Layer> layers;
  for (nn::CaptureKind kind : kStepKinds) {
    const nn::LayerHeads& s = capture.of(kind);
    if (s.empty()) continue;
    const bool self = kind == nn::CaptureKind::decoder_self;
    const int64_t width = self ? T : src_length, h = s.heads.size();
    for (size_t l = 0; l < s.layers.size(); ++l) {
      layers.push_back({std::vector<float>(static_cast<size_t>(h * T * width), 0.0f), h, width, self});
    }
  }
  size_t pos = 0;
  for (int64_t t = 0; t < T; ++t) {
    for (Layer& layer : layers) {
      const int64_t K = layer.self ? t + 1 : layer.width;
      for (int64_t j = 0; j < layer.heads; ++j) {
        ATTEND_CHECK(pos + static_cast<size_t>(K) <= rows.size(), "search: captured rows end early at token {}", t);
        std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(pos), K,
                    layer.data.begin() + (j * T + t) * layer.width);
        pos += static_cast<size_t>(K);
      }
    }
  }
  size_t next = 0;
  for (nn::CaptureKind kind : kStepKinds) {
    const nn::LayerHeads& s = capture.of(kind);
    if (s.empty()) continue;
    for (size_t l = 0; l < s.layers.size(); ++l, ++next) {
      Layer& layer = layers[next];
      c.of(kind).push_back(Tensor::from_vector<float>(layer.data, {layer.heads, T, layer.width}));  // [h, T, K]
    }
  }
  return c;
}

}  // namespace attend::decode::detail
