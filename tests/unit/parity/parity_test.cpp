#include "attend/parity/parity.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attend/nn/linear.hpp"
#include "attend/ops/elementwise.hpp"

namespace attend::parity {
namespace {

using ::testing::HasSubstr;

std::string golden(const std::string& name) {
  return std::string(ATTEND_SOURCE_DIR) + "/tests/golden/" + name + ".safetensors";
}

// A golden fixture read into memory with its tensors copied, so a test can change them.
SafetensorsFile load_golden(const std::string& name) {
  SafetensorsFile f = read_safetensors(golden(name));
  for (auto& [key, t] : f.tensors) t = t.clone();
  return f;
}

const TensorReport* find(const FileReport& r, const std::string& name) {
  for (const auto& t : r.tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

TEST(Parity, GoldenFixturePassesWithEveryTensorCompared) {
  const FileReport r = run_parity_file(golden("linear_bias_3d"));
  ASSERT_EQ(r.status, Status::pass) << r.error;
  EXPECT_EQ(r.module, "torch.nn.Linear");
  ASSERT_EQ(r.tensors.size(), 4u);
  for (const char* name : {"output.output", "grad.input.input", "grad.param.weight", "grad.param.bias"}) {
    const TensorReport* t = find(r, name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_TRUE(t->pass);
    EXPECT_LE(t->max_abs, 1e-5);
  }
  EXPECT_EQ(parity_exit_code({r}), 0);
}

TEST(Parity, PerturbedOutputIsAMismatch) {
  SafetensorsFile f = load_golden("layer_norm_3d");
  Tensor out = f.tensors.at("output.output");
  out.data<float>()[3] += 0.01f;
  const FileReport r = run_parity(f, "perturbed");
  EXPECT_EQ(r.status, Status::fail);
  const TensorReport* t = find(r, "output.output");
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->pass);
  EXPECT_NEAR(t->max_abs, 0.01, 1e-4);
  EXPECT_TRUE(find(r, "grad.param.weight")->pass);  // the other tensors still compare fine
  EXPECT_EQ(parity_exit_code({r}), 1);
}

TEST(Parity, PerturbedGradientIsAMismatchAndTolerancesComeFromMetadata) {
  SafetensorsFile f = load_golden("embedding_pad0");
  f.tensors.at("grad.param.weight").data<float>()[0] += 1e-3f;  // row 0 is the padding row: torch gives 0
  EXPECT_FALSE(find(run_parity(f, "perturbed"), "grad.param.weight")->pass);
  f.metadata["atol"] = "1e-2";
  const FileReport loose = run_parity(f, "loose");
  EXPECT_EQ(loose.status, Status::pass);
  EXPECT_EQ(find(loose, "grad.param.weight")->atol, 1e-2);
}

TEST(Parity, UnknownModuleIsUnsupported) {
  SafetensorsFile f = load_golden("linear_bias_2d");
  f.metadata["module"] = "torch.nn.Bilinear";
  const FileReport r = run_parity(f, "bilinear");
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("unknown module \"torch.nn.Bilinear\""));
  EXPECT_THAT(r.error, HasSubstr("torch.nn.Linear"));  // lists what is supported
  EXPECT_EQ(parity_exit_code({r}), 2);
}

TEST(Parity, MissingTensorsAreNamed) {
  for (const char* key : {"param.bias", "output.output", "input.input", "cotangent.output"}) {
    SafetensorsFile f = load_golden("linear_bias_2d");
    f.tensors.erase(key);
    const FileReport r = run_parity(f, "missing");
    EXPECT_EQ(r.status, Status::error) << key;
    EXPECT_EQ(r.error_kind, ErrorKind::missing_tensor) << key;
    EXPECT_THAT(r.error, HasSubstr(std::string("'") + key + "'"));
  }
}

TEST(Parity, MetadataProblemsAreClassified) {
  SafetensorsFile f = load_golden("linear_bias_2d");
  f.metadata.erase("format");
  EXPECT_EQ(run_parity(f, "x").error_kind, ErrorKind::not_a_fixture);
  f.metadata["format"] = "attend-parity-0";
  EXPECT_EQ(run_parity(f, "x").error_kind, ErrorKind::not_a_fixture);
  f.metadata["format"] = kFixtureFormat;
  f.metadata["kwargs"] = "{\"in_features\": 5,";
  const FileReport bad_json = run_parity(f, "x");
  EXPECT_EQ(bad_json.error_kind, ErrorKind::bad_metadata);
  EXPECT_THAT(bad_json.error, HasSubstr("kwargs"));
  f.metadata["kwargs"] = R"({"in_features": "five", "out_features": 3})";
  EXPECT_EQ(run_parity(f, "x").error_kind, ErrorKind::bad_metadata);
  f.metadata["kwargs"] = R"({"in_features": 5, "out_features": 3, "device": "meta"})";
  const FileReport unknown_kwarg = run_parity(f, "x");
  EXPECT_EQ(unknown_kwarg.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(unknown_kwarg.error, HasSubstr("device"));
  f.metadata["kwargs"] = R"({"in_features": 5, "out_features": 3, "bias": false})";  // but param.bias is stored
  EXPECT_EQ(run_parity(f, "x").error_kind, ErrorKind::unsupported);
  f.metadata["kwargs"] = R"({"in_features": 5, "out_features": 3, "device": null, "dtype": null})";  // None: default
  EXPECT_EQ(run_parity(f, "x").status, Status::pass);
  f.metadata["atol"] = "tiny";
  EXPECT_EQ(run_parity(f, "x").error_kind, ErrorKind::bad_metadata);
}

TEST(Parity, ShapeMismatchesAreErrorsNotCrashes) {
  SafetensorsFile f = load_golden("linear_bias_2d");
  f.tensors["output.output"] = Tensor::zeros({4, 4});
  const FileReport out = run_parity(f, "x");
  EXPECT_EQ(out.error_kind, ErrorKind::shape_mismatch);
  EXPECT_THAT(out.error, HasSubstr("[4, 3]"));
  f = load_golden("linear_bias_2d");
  f.tensors["param.weight"] = Tensor::zeros({3, 4});
  const FileReport param = run_parity(f, "x");
  EXPECT_EQ(param.error_kind, ErrorKind::shape_mismatch);
  EXPECT_THAT(param.error, HasSubstr("param.weight"));
  f = load_golden("linear_bias_2d");
  f.tensors["input.input"] = Tensor::zeros({4, 7});  // the module itself rejects it
  EXPECT_EQ(run_parity(f, "x").status, Status::error);
}

TEST(Parity, UnsupportedEmbeddingOptionsAndUnreadableFiles) {
  SafetensorsFile f = load_golden("embedding_2d");
  f.metadata["kwargs"] = R"({"num_embeddings": 10, "embedding_dim": 4, "max_norm": 1.0})";
  const FileReport r = run_parity(f, "x");
  EXPECT_EQ(r.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(r.error, HasSubstr("max_norm"));
  const FileReport missing = run_parity_file("no/such/fixture.safetensors");
  EXPECT_EQ(missing.error_kind, ErrorKind::unreadable);
  EXPECT_EQ(missing.file, "no/such/fixture.safetensors");
  EXPECT_THAT(missing.error, HasSubstr("cannot open"));
}

TEST(Parity, RegisteredRunnersExtendTheRegistry) {
  register_parity_module("test.Scale", [](ParityCase& c) {
    const double factor = c.kwargs().get_double("factor", 1.0);
    return ParityOutputs{.values = {{"output", c.input("x") * factor}}, .excluded = {}};
  });
  const auto modules = parity_modules();
  EXPECT_NE(std::find(modules.begin(), modules.end(), "test.Scale"), modules.end());
  SafetensorsFile f;
  f.metadata = {{"format", kFixtureFormat}, {"module", "test.Scale"}, {"kwargs", R"({"factor": 3.0})"},
                {"inputs", R"(["x"])"}, {"outputs", R"(["output"])"}, {"grad", "1"}, {"dtype", "f64"}};
  f.tensors["input.x"] = Tensor::from_vector<double>({1, 2}, {2});
  f.tensors["output.output"] = Tensor::from_vector<double>({3, 6}, {2});
  f.tensors["cotangent.output"] = Tensor::from_vector<double>({1, -1}, {2});
  f.tensors["grad.input.x"] = Tensor::from_vector<double>({3, -3}, {2});
  const FileReport ok = run_parity(f, "scale");
  EXPECT_EQ(ok.status, Status::pass) << ok.error;
  EXPECT_EQ(ok.tensors.size(), 2u);
  f.tensors["grad.input.x"] = Tensor::from_vector<double>({3, 3}, {2});
  EXPECT_FALSE(find(run_parity(f, "scale"), "grad.input.x")->pass);
  f.metadata["inputs"] = R"(["x", "mask"])";  // an input the runner never reads
  f.tensors["input.mask"] = Tensor::zeros({2}, DType::u8);
  const FileReport unused = run_parity(f, "scale");
  EXPECT_EQ(unused.error_kind, ErrorKind::unsupported);
  EXPECT_THAT(unused.error, HasSubstr("mask"));
}

TEST(Parity, ExcludedElementsAreNotCompared) {
  register_parity_module("test.Masked", [](ParityCase& c) {
    return ParityOutputs{.values = {{"output", c.input("x")}},
                         .excluded = {{"output", Tensor::from_vector<uint8_t>({0, 1}, {2})}}};
  });
  SafetensorsFile f;
  f.metadata = {{"format", kFixtureFormat}, {"module", "test.Masked"}, {"inputs", R"(["x"])"},
                {"outputs", R"(["output"])"}};
  f.tensors["input.x"] = Tensor::from_vector<float>({1, 2}, {2});
  f.tensors["output.output"] = Tensor::from_vector<float>({1, 99}, {2});
  EXPECT_EQ(run_parity(f, "masked").status, Status::pass);
}

TEST(Parity, ExitCodeErrorWinsAndJsonReport) {
  const FileReport pass = run_parity_file(golden("linear_bias_1d"));
  SafetensorsFile f = load_golden("linear_bias_1d");
  f.tensors.at("output.output").data<float>()[0] += 1.0f;
  const FileReport fail = run_parity(f, "perturbed");
  const FileReport error = run_parity_file("missing.safetensors");
  EXPECT_EQ(parity_exit_code({pass, fail}), 1);
  EXPECT_EQ(parity_exit_code({fail, error, pass}), 2);
  const auto json = nlohmann::json::parse(reports_to_json({pass, fail, error}));
  EXPECT_EQ(json["summary"]["exit_code"], 2);
  EXPECT_EQ(json["summary"]["failed"], 1);
  EXPECT_EQ(json["files"][1]["status"], "FAIL");
  EXPECT_EQ(json["files"][1]["tensors"][0]["name"], "output.output");
  EXPECT_EQ(json["files"][1]["tensors"][0]["status"], "FAIL");
  EXPECT_EQ(json["files"][2]["error"]["kind"], "unreadable");
  EXPECT_FALSE(json["files"][0].contains("error"));
}

}  // namespace
}  // namespace attend::parity
