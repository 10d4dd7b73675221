// The torch.nn.MultiheadAttention parity runner (src/parity/multi_head_attention_runners.cpp), on the checked-in
// fixtures made by scripts/golden/multi_head_attention.py.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "attend/io/safetensors.hpp"
#include "attend/parity/parity.hpp"

namespace attend::parity {
namespace {

// The *_forward fixtures have queries whose keys are all masked, where PyTorch gives NaN. The runner must exclude
// exactly those positions: replacing PyTorch's NaNs by anything still passes, changing any other element fails.
TEST(MultiHeadAttentionParity, ExcludesExactlyThePositionsPyTorchLeavesNaN) {
  const std::string dir = std::string(ATTEND_SOURCE_DIR) + "/tests/golden/";
  for (const char* name : {"mha_fully_masked_kpm_forward", "mha_fully_masked_head_rows_forward",
                           "mha_fully_masked_float_row_forward", "mha_fully_masked_bias_kv_forward"}) {
    const SafetensorsFile file = read_safetensors(dir + name + ".safetensors");
    ASSERT_EQ(run_parity(file, name).status, Status::pass) << name;
    int64_t nans = 0;
    for (const char* out : {"output.output", "output.attn_weights"}) {
      const Tensor& want = file.tensors.at(out);
      const std::vector<double> w = want.to_vector<double>();
      auto with = [&](std::vector<double> values) {
        SafetensorsFile copy = file;
        copy.tensors[out] = Tensor::from_vector<double>(values, want.shape()).to(want.dtype());
        return run_parity(copy, name).status;
      };
      std::vector<double> filled = w;
      for (double& x : filled) nans += std::isnan(x) ? 1 : 0, x = std::isnan(x) ? 1e3 : x;
      EXPECT_EQ(with(filled), Status::pass) << name << " " << out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (std::isnan(w[i])) continue;
        std::vector<double> changed = w;
        changed[i] += 0.01;
        ASSERT_EQ(with(changed), Status::fail) << name << " " << out << " element " << i;
      }
    }
    if (std::string(name) != "mha_fully_masked_bias_kv_forward") EXPECT_GT(nans, 0) << name;
    else EXPECT_EQ(nans, 0);
  }
}

}  // namespace
}  // namespace attend::parity
