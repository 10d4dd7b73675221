// Seq2Seq and Transformer as DecodingModels: thin wrappers over their step APIs, run without gradients and in
// evaluation mode.
#include "attend/decode/model_adapters.hpp"

#include "attend/autograd/var.hpp"
#include "attend/core/error.hpp"

namespace attend::decode {

namespace {

// Evaluation mode for the guard's lifetime, then the model's previous mode; no gradients either.
class EvalGuard {
 public:
  explicit EvalGuard(nn::Module& model) : model_(model), was_training_(model.is_training()) {
    if (was_training_) model_.eval();
  }
  ~EvalGuard() {
    if (was_training_) model_.train(true);
  }
  EvalGuard(const EvalGuard&) = delete;
  EvalGuard& operator=(const EvalGuard&) = delete;

 private:
  nn::Module& model_;
  bool was_training_;
  NoGradGuard no_grad_;
};

void check_index(const Tensor& index, int64_t rows, const char* op) {
  ATTEND_CHECK(index.defined() && index.dtype() == DType::i64 && index.dim() == 1,
               "{}::reorder: index must be i64 [N'] with values in [0, {}), got {} with shape {}", op, rows,
               index.defined() ? dtype_name(index.dtype()) : "undefined", shape_str(index.shape()));
}

// An RNN-attention model has one kind of attention, rnn, with 1 layer of 1 head.
void check_rnn_capture(const nn::AttentionCapture& capture) {
  for (nn::CaptureKind kind : nn::kCaptureKinds) {
    const bool rnn = kind == nn::CaptureKind::rnn;
    capture.check("rnn-attention model", kind, rnn ? 1 : 0, rnn ? 1 : 0);
  }
}

class Seq2SeqDecoderState final : public DecoderState {
 public:
  Seq2SeqDecoderState(nn::Seq2Seq& model, nn::Seq2SeqState state, bool capture_rnn)
      : model_(model), state_(std::move(state)), capture_rnn_(capture_rnn) {}

  StepOutput step(const Tensor& prev_tokens) override {
    EvalGuard guard(model_);
    nn::Seq2SeqStep st = model_.step(state_, prev_tokens);
    state_ = std::move(st.state);
    StepOutput out{.log_probs = st.log_probs.value(), .attention = st.attention.value()};  // [N, V], [N, Ts]
    if (capture_rnn_) out.captured.rnn = {out.attention.reshape({out.attention.size(0), 1, out.attention.size(1)})};
    return out;  // captured.rnn [N, 1, Ts]
  }
  void reorder(const Tensor& index) override {
    check_index(index, rows(), "Seq2Seq decoder state");
    state_ = nn::Seq2Seq::reorder(state_, index);  // N' rows
  }
  int64_t rows() const override { return state_.memory.memory.size(0); }

 private:
  nn::Seq2Seq& model_;
  nn::Seq2SeqState state_;
  bool capture_rnn_;
};

class Seq2SeqDecodingModel final : public DecodingModel {
 public:
  explicit Seq2SeqDecodingModel(nn::Seq2Seq& model) : model_(model) {}
  std::unique_ptr<DecoderState> start(const Tensor& src, const Tensor& src_lengths) override {
    return start_capturing(src, src_lengths, {});
  }
  std::unique_ptr<DecoderState> start_capturing(const Tensor& src, const Tensor& src_lengths,
                                                const nn::AttentionCapture& capture) override {
    check_rnn_capture(capture);
    EvalGuard guard(model_);
    return std::make_unique<Seq2SeqDecoderState>(model_, model_.init(src, src_lengths), !capture.rnn.empty());
  }
  int64_t vocab_size() const override { return model_.options().tgt_vocab_size; }

 private:
  nn::Seq2Seq& model_;
};

class TransformerDecoderState final : public DecoderState {
 public:
  TransformerDecoderState(nn::Transformer& model, nn::TransformerState state)
      : model_(model), state_(std::move(state)) {}

  StepOutput step(const Tensor& prev_tokens) override {
    EvalGuard guard(model_);
    nn::TransformerStepOutput st = model_.step(state_, prev_tokens);
    StepOutput out{.log_probs = st.log_probs.value(), .attention = st.attention.value()};  // [N, V], [N, Ts]
    for (nn::CaptureKind kind : {nn::CaptureKind::decoder_self, nn::CaptureKind::cross}) {
      for (const Tensor& w : st.captured.of(kind)) out.captured.of(kind).push_back(w.select(2, 0));  // [N, h, K]
    }
    return out;
  }
  std::vector<Tensor> encoder_attention() const override { return state_.encoder_captured; }
  void reorder(const Tensor& index) override {
    check_index(index, rows(), "Transformer decoder state");
    state_.reorder(index);  // N' rows
  }
  int64_t rows() const override { return state_.memory.size(0); }

 private:
  nn::Transformer& model_;
  nn::TransformerState state_;
};

class TransformerDecodingModel final : public DecodingModel {
 public:
  explicit TransformerDecodingModel(nn::Transformer& model) : model_(model) {}
  std::unique_ptr<DecoderState> start(const Tensor& src, const Tensor& src_lengths) override {
    return start_capturing(src, src_lengths, {});
  }
  std::unique_ptr<DecoderState> start_capturing(const Tensor& src, const Tensor& src_lengths,
                                                const nn::AttentionCapture& capture) override {
    EvalGuard guard(model_);
    return std::make_unique<TransformerDecoderState>(model_, model_.start(src, src_lengths, capture));
  }
  int64_t vocab_size() const override { return model_.options().tgt_vocab; }

 private:
  nn::Transformer& model_;
};

}  // namespace

std::unique_ptr<DecodingModel> decoding_model(nn::Seq2Seq& model) {
  return std::make_unique<Seq2SeqDecodingModel>(model);
}

std::unique_ptr<DecodingModel> decoding_model(nn::Transformer& model) {
  return std::make_unique<TransformerDecodingModel>(model);
}

}  // namespace attend::decode
