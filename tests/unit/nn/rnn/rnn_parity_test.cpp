// The recurrent parity runners (src/parity/rnn_runners.cpp) on the fixtures of scripts/golden/rnn.py: padded
// positions are compared as zeros, the output is narrowed to pad_packed_sequence's max(lengths), and kwargs attend
// cannot honour are reported instead of ignored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "attend/io/safetensors.hpp"
#include "attend/parity/parity.hpp"

namespace attend::parity {
namespace {

SafetensorsFile fixture(const std::string& name) {
  return read_safetensors(std::string(ATTEND_SOURCE_DIR) + "/tests/golden/" + name + ".safetensors");
}

// Output element (t, b, 0) of a time-first output, flat index.
size_t flat_index(const Tensor& t, int64_t step, int64_t item) { return (step * t.size(1) + item) * t.size(2); }

TEST(RNNParity, PaddedOutputsAreComparedAsZerosAfterNarrowingToMaxLength) {
  const SafetensorsFile file = fixture("lstm_lengths_short");  // lengths {2, 4, 3}, T = 5: output has 4 steps
  const Tensor& want = file.tensors.at("output.output");
  ASSERT_EQ(want.size(0), 4);
  ASSERT_EQ(run_parity(file, "lstm_lengths_short").status, Status::pass);
  std::vector<float> values = want.to_vector<float>();
  ASSERT_EQ(values[flat_index(want, 3, 0)], 0.0f);  // item 0 (2 steps) is padding at step 3
  values[flat_index(want, 3, 0)] = 0.5f;
  SafetensorsFile changed = file;
  changed.tensors["output.output"] = Tensor::from_vector(values, want.shape());
  const FileReport r = run_parity(changed, "changed");
  EXPECT_EQ(r.status, Status::fail);
  ASSERT_FALSE(r.tensors.empty());
  EXPECT_EQ(r.tensors[0].name, "output.output");
  EXPECT_FALSE(r.tensors[0].pass);
}

TEST(RNNParity, EveryModuleIsRegistered) {
  const std::vector<std::string> modules = parity_modules();
  for (const char* m : {"torch.nn.RNN", "torch.nn.LSTM", "torch.nn.GRU", "torch.nn.RNNCell", "torch.nn.LSTMCell",
                        "torch.nn.GRUCell"}) {
    EXPECT_NE(std::find(modules.begin(), modules.end(), m), modules.end()) << m;
  }
}

TEST(RNNParity, KwargsAttendCannotHonourAreReported) {
  SafetensorsFile file = fixture("rnn_basic");
  file.metadata["kwargs"] =
      R"({"input_size": 3, "hidden_size": 4, "num_layers": 1, "bias": true, "batch_first": false,
          "bidirectional": false, "nonlinearity": "sigmoid"})";
  FileReport r = run_parity(file, "rnn_sigmoid");
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, ::testing::HasSubstr("nonlinearity \"sigmoid\" (expected tanh or relu)"));

  SafetensorsFile gru = fixture("gru_basic");  // GRU has no nonlinearity argument: it must not be silently ignored
  gru.metadata["kwargs"] = R"({"input_size": 3, "hidden_size": 4, "nonlinearity": "relu"})";
  r = run_parity(gru, "gru_nonlinearity");
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, ::testing::HasSubstr("nonlinearity"));

  SafetensorsFile cell = fixture("cell_gru_basic");
  cell.metadata["kwargs"] = R"({"input_size": 4, "hidden_size": 5, "device": "cuda"})";
  r = run_parity(cell, "cell_device");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, ::testing::HasSubstr("device"));
}

}  // namespace
}  // namespace attend::parity
