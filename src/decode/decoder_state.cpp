// DecodingModel's default start_capturing (see the header).
#include "attend/decode/decoder_state.hpp"

#include "attend/core/error.hpp"

namespace attend::decode {

std::unique_ptr<DecoderState> DecodingModel::start_capturing(const Tensor& src, const Tensor& src_lengths,
                                                             const nn::AttentionCapture& capture) {
  ATTEND_CHECK(capture.empty(), "start_capturing: this decoding model captures no attention weights; src shape {}",
               shape_str(src.shape()));
  return start(src, src_lengths);
}

}  // namespace attend::decode
