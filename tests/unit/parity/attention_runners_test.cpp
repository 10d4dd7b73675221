// The attend.* parity runners (src/parity/attention_runners.cpp) on the fixtures of scripts/golden/attention.py,
// changed the way other generators might write them: other input names, 3-D outputs for a one-step query, masked
// scores stored as a fill value; and what they refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "attend/io/safetensors.hpp"
#include "attend/parity/parity.hpp"

namespace attend::parity {
namespace {

using ::testing::HasSubstr;

SafetensorsFile load(const std::string& name) {
  SafetensorsFile f = read_safetensors(std::string(ATTEND_SOURCE_DIR) + "/tests/golden/" + name + ".safetensors");
  for (auto& [key, t] : f.tensors) t = t.clone();
  return f;
}

void rename_input(SafetensorsFile& f, const std::string& from, const std::string& to) {
  for (const char* prefix : {"input.", "grad.input."}) {
    auto it = f.tensors.find(prefix + from);
    if (it == f.tensors.end()) continue;
    f.tensors[prefix + to] = it->second;
    f.tensors.erase(std::string(prefix) + from);
  }
  std::string& inputs = f.metadata.at("inputs");
  inputs.replace(inputs.find("\"" + from + "\""), from.size() + 2, "\"" + to + "\"");
}

TEST(AttentionParity, AcceptsOtherNamesForTheMemoryAndTheLengths) {
  SafetensorsFile f = load("attend_global_mlp_b3_step_mask");
  rename_input(f, "memory", "key");
  rename_input(f, "src_lengths", "memory_lengths");
  const FileReport r = run_parity(f, "renamed");
  EXPECT_EQ(r.status, Status::pass) << r.error;
  bool memory_grad = false;
  for (const auto& t : r.tensors) memory_grad = memory_grad || t.name == "grad.input.key";
  EXPECT_TRUE(memory_grad);
  SafetensorsFile s = load("attend_dot_scaled_d7_b3_mask_softmax");
  rename_input(s, "memory", "keys");
  EXPECT_EQ(run_parity(s, "renamed").status, Status::pass);
}

TEST(AttentionParity, OneStepOutputsMayKeepTheQueryDim) {
  SafetensorsFile f = load("attend_global_general_b3_step_mask");
  for (const char* out : {"attn_h", "align"}) {
    for (const char* prefix : {"output.", "cotangent."}) {
      Tensor& t = f.tensors.at(std::string(prefix) + out);
      t = t.unsqueeze(1);  // [B, D] -> [B, 1, D]
    }
  }
  const FileReport r = run_parity(f, "unsqueezed");
  EXPECT_EQ(r.status, Status::pass) << r.error;
  EXPECT_EQ(r.tensors.front().shape.size(), 3u);
}

TEST(AttentionParity, ScoresAreComparedAtUnmaskedPositionsOnly) {
  const SafetensorsFile f = load("attend_general_d5_b1_mask_forward");
  ASSERT_EQ(run_parity(f, "as is").status, Status::pass);
  const Tensor& score = f.tensors.at("output.score");  // [1, Tq, Tk]
  const int64_t len = f.tensors.at("input.src_lengths").to_vector<int64_t>()[0], tk = score.size(2);
  ASSERT_LT(len, tk);
  // Masked scores stored as anything: still equal.
  for (double fill : {-1e9, -static_cast<double>(INFINITY), 123.0}) {
    SafetensorsFile copy = f;
    Tensor s = score.clone();
    for (int64_t i = 0; i < score.size(1); ++i) {
      for (int64_t j = len; j < tk; ++j) s.data<float>()[i * tk + j] = static_cast<float>(fill);
    }
    copy.tensors["output.score"] = s;
    EXPECT_EQ(run_parity(copy, "filled").status, Status::pass) << fill;
  }
  SafetensorsFile changed = f;
  Tensor s = score.clone();
  s.data<float>()[len - 1] += 0.01f;  // an unmasked score of query 0
  changed.tensors["output.score"] = s;
  EXPECT_EQ(run_parity(changed, "changed").status, Status::fail);
}

// A fixture that stored its masked scores as -inf (masked_fill: no gradient flows there) needs attend to fill them
// too, or the gradients differ; the runner reads the convention from the stored scores.
TEST(AttentionParity, MaskedScoresStoredAsMinusInfinityAreFilledSoGradientsAgree) {
  const SafetensorsFile f = load("attend_dot_d5_b3_mask_fill_inf");
  ASSERT_EQ(run_parity(f, "as is").status, Status::pass);
  SafetensorsFile raw = f;
  Tensor s = f.tensors.at("output.score").clone();
  int64_t filled = 0;
  for (int64_t i = 0; i < s.numel(); ++i) {
    if (std::isinf(s.data<float>()[i])) {
      s.data<float>()[i] = 5.0f;
      ++filled;
    }
  }
  ASSERT_GT(filled, 0);
  raw.tensors["output.score"] = s;  // now looks like raw scores: attend returns raw ones and the gradients disagree
  const FileReport r = run_parity(raw, "raw");
  EXPECT_EQ(r.status, Status::fail);
  for (const auto& t : r.tensors) {
    if (t.name == "output.score" || t.name == "grad.input.query") {
      EXPECT_EQ(t.pass, t.name == "output.score") << t.name;
    }
  }
}

// A zero src_length: PyTorch gives NaN for that item, attend zeros; those rows are skipped, the others compared.
TEST(AttentionParity, QueriesWithNoKeyAreNotCompared) {
  SafetensorsFile f = load("attend_global_mlp_b3_mask_forward");
  f.tensors.at("input.src_lengths").data<int64_t>()[1] = 0;
  for (const char* out : {"output.attn_h", "output.align"}) {
    f.tensors.at(out).select(0, 1).fill_(NAN);  // item 1, as PyTorch leaves it
  }
  const FileReport r = run_parity(f, "zero length");
  EXPECT_EQ(r.status, Status::pass) << r.error;
  f.tensors.at("output.attn_h").data<float>()[0] += 0.01f;  // item 0 is still compared
  EXPECT_EQ(run_parity(f, "changed").status, Status::fail);
  SafetensorsFile s = load("attend_general_d5_b1_mask_forward");
  s.tensors.at("input.src_lengths").data<int64_t>()[0] = 0;
  for (const char* out : {"output.align", "output.context"}) s.tensors.at(out).fill_(NAN);
  EXPECT_EQ(run_parity(s, "zero length").status, Status::pass);
}

FileReport with_kwargs(const std::string& name, const std::string& kwargs) {
  SafetensorsFile f = load(name);
  f.metadata["kwargs"] = kwargs;
  return run_parity(f, name);
}

TEST(AttentionParity, RefusesWhatAttendCannotHonour) {
  FileReport r = with_kwargs("attend_global_dot_b1", R"({"dim": 5, "attn_type": "dot", "coverage": true})");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("coverage=true"));
  r = with_kwargs("attend_global_dot_b1", R"({"dim": 5, "attn_type": "dot", "dropout": 0.1})");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("dropout=0.1"));
  r = with_kwargs("attend_global_dot_b1", R"({"dim": 5, "attn_type": "luong"})");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("attn_type \"luong\""));
  r = with_kwargs("attend_mlp_tanh_q5_k7_h9_b1",
                  R"({"dim_query": 5, "dim_key": 7, "hidden": 9, "activation": "gelu"})");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("activation \"gelu\""));
  r = with_kwargs("attend_dot_d5_b1", R"({"dim": 5, "dim_key": 6})");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  r = with_kwargs("attend_general_q7_k13_b1", R"({"dim": 7, "dim_key": 13})");
  EXPECT_EQ(r.error_kind, ErrorKind::bad_metadata);
  EXPECT_THAT(r.error, HasSubstr("kwargs dim=7 disagrees with dim_query=7, dim_key=13"));
  // The same widths through dim_query / dim_key pass.
  EXPECT_EQ(with_kwargs("attend_general_q7_k13_b1", R"({"dim_query": 7, "dim_key": 13})").status, Status::pass);
}

TEST(AttentionParity, MissingOrMistypedInputsAreErrors) {
  SafetensorsFile f = load("attend_additive_d7_b3_mask");
  f.metadata["inputs"] = R"(["query", "src_lengths"])";
  FileReport r = run_parity(f, "no memory");
  EXPECT_EQ(r.error_kind, ErrorKind::bad_metadata);
  EXPECT_THAT(r.error, HasSubstr("need inputs 'query' and 'memory'"));
  SafetensorsFile g = load("attend_additive_d7_b3_mask");
  g.tensors["input.src_lengths"] = g.tensors.at("input.src_lengths").to(DType::f32);
  r = run_parity(g, "float lengths");
  EXPECT_EQ(r.error_kind, ErrorKind::bad_metadata);
  EXPECT_THAT(r.error, HasSubstr("input 'src_lengths' must hold integer lengths, got f32"));
}

}  // namespace
}  // namespace attend::parity
