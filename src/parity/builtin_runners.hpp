// Private: the runners attend ships, one registration function per family of modules. A new family (attention,
// recurrent, transformer) adds its function here and one call in registry.cpp.
#pragma once

#include <map>
#include <string>

#include "attend/parity/parity.hpp"

namespace attend::parity {

/// torch.nn.Linear, torch.nn.LayerNorm, torch.nn.Embedding (src/parity/nn_runners.cpp).
void register_nn_runners(std::map<std::string, ParityRunner>& runners);
/// attend.DotScore, attend.GeneralScore, attend.AdditiveScore, attend.MlpScore, attend.GlobalAttention
/// (src/parity/attention_runners.cpp).
void register_attention_runners(std::map<std::string, ParityRunner>& runners);
/// torch.nn.MultiheadAttention (src/parity/multi_head_attention_runners.cpp).
void register_multi_head_attention_runners(std::map<std::string, ParityRunner>& runners);
/// torch.nn.TransformerEncoderLayer, torch.nn.TransformerDecoderLayer (src/parity/transformer_runners.cpp).
void register_transformer_runners(std::map<std::string, ParityRunner>& runners);
/// torch.nn.RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell (src/parity/rnn_runners.cpp).
void register_rnn_runners(std::map<std::string, ParityRunner>& runners);
/// attend.AttentionDecoder (src/parity/decoder_runners.cpp).
void register_decoder_runners(std::map<std::string, ParityRunner>& runners);

/// The runner for `module`; throws ParityError (unsupported) listing the known names.
ParityRunner find_parity_runner(const std::string& module);

}  // namespace attend::parity
