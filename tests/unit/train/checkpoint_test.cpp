// Checkpoint files (round trip, malformed and foreign files) and the run folder (keep_last, best, resume).
#include "attend/train/checkpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "attend/io/safetensors.hpp"
#include "test_util.hpp"

namespace attend::train {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::bitwise_equal;
using testing::error_of;

// A fresh folder per test, removed afterwards.
class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "attend_checkpoint_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> entries(const std::string& sub = "") const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(sub.empty() ? dir_ : dir_ / sub)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A small checkpoint whose tensor "w" holds `tag`, so saves at different steps can be told apart.
Checkpoint sample(double tag = 1.0) {
  Rng rng(7);
  Checkpoint c;
  c.model["encoder.weight"] = Tensor::randn({3, 4}, rng);
  c.model["w"] = Tensor::full({2}, tag, DType::f64);
  c.model["half"] = Tensor::randn({5}, rng).to(DType::bf16);
  c.model["empty"] = Tensor::zeros({0, 3});
  c.optimizer["state.0.exp_avg"] = Tensor::randn({3, 4}, rng);
  c.optimizer["state.0.step"] = Tensor::from_vector<int64_t>({42}, {1});
  c.optimizer["mask"] = Tensor::from_vector<uint8_t>({0, 1, 255}, {3});
  c.metadata = {{"step", "42"}, {"config", "model:\n  type: rnn-attention\n"}, {"note", "grüße"}};
  return c;
}

void expect_same_tensors(const std::map<std::string, Tensor>& got, const std::map<std::string, Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, t] : want) {
    ASSERT_TRUE(got.contains(name)) << name;
    EXPECT_TRUE(bitwise_equal(got.at(name), t)) << name;
  }
}

TEST_F(CheckpointTest, RoundTripKeepsTensorsBitwiseAndMetadata) {
  const Checkpoint c = sample();
  save_checkpoint(path("c.safetensors"), c);
  const Checkpoint back = load_checkpoint(path("c.safetensors"));
  expect_same_tensors(back.model, c.model);
  expect_same_tensors(back.optimizer, c.optimizer);
  EXPECT_EQ(back.meta("step"), "42");
  EXPECT_EQ(back.meta("note"), "grüße");
  EXPECT_EQ(back.meta("config"), c.metadata.at("config"));
  EXPECT_EQ(back.meta("format"), "attend-checkpoint");
  EXPECT_EQ(back.meta("format_version"), "1");
  EXPECT_EQ(back.source, path("c.safetensors"));
  // The file holds the prefixed names.
  const SafetensorsFile raw = read_safetensors(path("c.safetensors"));
  EXPECT_TRUE(raw.tensors.contains("model.encoder.weight"));
  EXPECT_TRUE(raw.tensors.contains("optimizer.state.0.step"));
}

TEST_F(CheckpointTest, LoadedTensorsDoNotDependOnTheFile) {
  const Checkpoint c = sample();
  save_checkpoint(path("c.safetensors"), c);
  const Checkpoint back = load_checkpoint(path("c.safetensors"));
  fs::resize_file(path("c.safetensors"), 0);  // reading a mapping of a truncated file would fault
  fs::remove(path("c.safetensors"));
  expect_same_tensors(back.model, c.model);
  expect_same_tensors(back.optimizer, c.optimizer);
}

TEST_F(CheckpointTest, MissingMetadataKeyNamesFileAndKey) {
  save_checkpoint(path("c.safetensors"), sample());
  const Checkpoint back = load_checkpoint(path("c.safetensors"));
  EXPECT_THAT(error_of([&] { back.meta("rng"); }),
              AllOf(HasSubstr(path("c.safetensors")), HasSubstr("no key 'rng'"), HasSubstr("keys: config, format")));
  EXPECT_THAT(error_of([] { Checkpoint().meta("step"); }),
              HasSubstr("checkpoint: checkpoint metadata has no key 'step'"));
}

TEST_F(CheckpointTest, TruncatedFileIsAnErrorNamingIt) {
  save_checkpoint(path("full.safetensors"), sample());
  const std::string bytes = read_bytes(path("full.safetensors"));
  uint64_t header = 0;
  for (int i = 0; i < 8; ++i) header |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const size_t data_start = 8 + header;
  ASSERT_LT(data_start, bytes.size());
  for (size_t cut : {size_t{0}, size_t{4}, size_t{8}, 8 + header / 2, data_start, data_start + 5, bytes.size() - 1}) {
    const std::string p = path("cut.safetensors");
    write_bytes(p, bytes.substr(0, cut));
    EXPECT_THAT(error_of([&] { load_checkpoint(p); }), HasSubstr(p)) << "cut at byte " << cut;
  }
}

TEST_F(CheckpointTest, ForeignSafetensorsFileIsRejected) {
  write_safetensors(path("foreign.safetensors"), {{"weight", Tensor::zeros({2})}});
  EXPECT_THAT(error_of([&] { load_checkpoint(path("foreign.safetensors")); }),
              AllOf(HasSubstr(path("foreign.safetensors")), HasSubstr("not an attend checkpoint"),
                    HasSubstr("'format' is missing")));
  write_safetensors(path("other.safetensors"), {{"model.w", Tensor::zeros({2})}}, {{"format", "pt"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(path("other.safetensors")); }),
              HasSubstr("metadata 'format' is 'pt' (expected 'attend-checkpoint')"));
}

TEST_F(CheckpointTest, NewerOrMalformedFormatVersionIsRejected) {
  const std::map<std::string, Tensor> tensors = {{"model.w", Tensor::zeros({2})}};
  write_safetensors(path("v2.safetensors"), tensors, {{"format", "attend-checkpoint"}, {"format_version", "2"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(path("v2.safetensors")); }),
              AllOf(HasSubstr(path("v2.safetensors")), HasSubstr("format_version 2 is newer than this attend reads")));
  write_safetensors(path("vx.safetensors"), tensors, {{"format", "attend-checkpoint"}, {"format_version", "one"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(path("vx.safetensors")); }),
              HasSubstr("'format_version' must be a whole number, got 'one'"));
  write_safetensors(path("v.safetensors"), tensors, {{"format", "attend-checkpoint"}});
  EXPECT_THAT(error_of([&] { load_checkpoint(path("v.safetensors")); }), HasSubstr("'format_version' is missing"));
}

TEST_F(CheckpointTest, TensorOutsideModelAndOptimizerIsRejected) {
  const std::map<std::string, std::string> marker = {{"format", "attend-checkpoint"}, {"format_version", "1"}};
  write_safetensors(path("c.safetensors"), {{"model.w", Tensor::zeros({2})}, {"encoder.w", Tensor::zeros({2})}},
                    marker);
  EXPECT_THAT(error_of([&] { load_checkpoint(path("c.safetensors")); }),
              AllOf(HasSubstr(path("c.safetensors")), HasSubstr("tensor 'encoder.w' is neither under 'model.'")));
  write_safetensors(path("e.safetensors"), {{"optimizer.", Tensor::zeros({2})}}, marker);
  EXPECT_THAT(error_of([&] { load_checkpoint(path("e.safetensors")); }),
              HasSubstr("tensor 'optimizer.' has an empty name after its prefix"));
}

TEST_F(CheckpointTest, FailedSaveLeavesNoTemporaryFileAndNamesThePath) {
  // The final name is taken by a folder, so the rename fails after the temporary file was written (even as root).
  fs::create_directory(path("taken.safetensors"));
  EXPECT_THAT(error_of([&] { save_checkpoint(path("taken.safetensors"), sample()); }),
              HasSubstr(path("taken.safetensors")));
  EXPECT_THAT(entries(), ElementsAre("taken.safetensors"));
  EXPECT_THAT(error_of([&] { save_checkpoint(path("missing/c.safetensors"), sample()); }),
              HasSubstr(path("missing/c.safetensors")));
  write_bytes(path("file"), "x");  // a path under a file: the temporary file cannot even be created
  EXPECT_THAT(error_of([&] { save_checkpoint(path("file/c.safetensors"), sample()); }),
              HasSubstr(path("file/c.safetensors")));
  EXPECT_THAT(entries(), ElementsAre("file", "taken.safetensors"));
}

TEST_F(CheckpointTest, FolderKeepsTheLastNStepCheckpoints) {
  CheckpointFolder folder(path("run"), {.keep_last = 2});
  EXPECT_EQ(folder.latest(), std::nullopt);
  write_bytes(path("run/notes.txt"), "keep me");
  write_bytes(path("run/step-abc.safetensors"), "not a step checkpoint");
  for (int64_t step : {100, 200, 300}) {
    EXPECT_EQ(folder.save(sample(static_cast<double>(step)), step), path("run/step-00000" + std::to_string(step) +
                                                                         ".safetensors"));
  }
  EXPECT_THAT(entries("run"),
              ElementsAre("notes.txt", "step-00000200.safetensors", "step-00000300.safetensors",
                          "step-abc.safetensors"));
  EXPECT_EQ(folder.latest(), path("run/step-00000300.safetensors"));
  EXPECT_EQ(folder.best(), std::nullopt);  // no metric given: no best
  EXPECT_EQ(load_checkpoint(*folder.latest()).model.at("w").to_vector<double>()[0], 300.0);
}

TEST_F(CheckpointTest, BestTracksALowerIsBetterMetric) {
  CheckpointFolder folder(path("run"), {.keep_last = 1});
  folder.save(sample(1), 1, 3.0);   // first: best
  folder.save(sample(2), 2, 2.0);   // lower: best
  folder.save(sample(3), 3, 2.5);   // worse: best stays step 2
  folder.save(sample(4), 4);        // no metric: best stays
  ASSERT_TRUE(folder.best());
  const Checkpoint best = load_checkpoint(*folder.best());
  EXPECT_EQ(best.model.at("w").to_vector<double>()[0], 2.0);
  EXPECT_EQ(best.meta("best_metric"), "2");
  EXPECT_EQ(best.meta("best_step"), "2");
  EXPECT_THAT(entries("run"), ElementsAre("best.safetensors", "step-00000004.safetensors"));
}

TEST_F(CheckpointTest, BestTracksAHigherIsBetterMetric) {
  CheckpointFolder folder(path("run"));
  folder.save(sample(1), 1, 0.5, true);
  folder.save(sample(2), 2, 0.4, true);
  folder.save(sample(3), 3, 0.9, true);
  folder.save(sample(4), 4, 0.9, true);  // equal is not better
  const Checkpoint best = load_checkpoint(*folder.best());
  EXPECT_EQ(best.model.at("w").to_vector<double>()[0], 3.0);
  EXPECT_EQ(best.meta("best_metric"), "0.9");
  EXPECT_THAT(error_of([&] { folder.save(sample(), 5, std::nan("")); }),
              HasSubstr("the metric of step 5 must be finite"));
}

TEST_F(CheckpointTest, ReopenedFolderRecoversTheBestMetric) {
  {
    CheckpointFolder folder(path("run"), {.keep_last = 3});
    folder.save(sample(1), 10, 0.25);
    folder.save(sample(2), 20, 0.125);
  }
  CheckpointFolder resumed(path("run"), {.keep_last = 3});
  EXPECT_EQ(resumed.best_metric(), 0.125);
  EXPECT_EQ(resumed.latest(), path("run/step-00000020.safetensors"));
  resumed.save(sample(3), 30, 0.2);  // worse than the recovered 0.125
  EXPECT_EQ(load_checkpoint(*resumed.best()).meta("best_step"), "20");
  resumed.save(sample(4), 40, 0.1);
  EXPECT_EQ(load_checkpoint(*resumed.best()).meta("best_step"), "40");
  EXPECT_THAT(entries("run"), ElementsAre("best.safetensors", "step-00000020.safetensors",
                                          "step-00000030.safetensors", "step-00000040.safetensors"));
}

TEST_F(CheckpointTest, ReopeningWithAnUnusableBestFileNamesIt) {
  fs::create_directory(path("run"));
  save_checkpoint(path("run/best.safetensors"), sample());  // no best_metric
  EXPECT_THAT(error_of([&] { CheckpointFolder f(path("run")); }),
              AllOf(HasSubstr(path("run/best.safetensors")), HasSubstr("'best_metric' is missing")));
  write_bytes(path("run/best.safetensors"), "trunc");
  EXPECT_THAT(error_of([&] { CheckpointFolder f(path("run")); }), HasSubstr(path("run/best.safetensors")));
}

TEST_F(CheckpointTest, FolderPathThatIsAFileOrUnderAFile) {
  write_bytes(path("file"), "x");
  EXPECT_THAT(error_of([&] { CheckpointFolder f(path("file")); }),
              AllOf(HasSubstr(path("file")), HasSubstr("is not a folder")));
  EXPECT_THAT(error_of([&] { CheckpointFolder f(path("file/run")); }),
              AllOf(HasSubstr(path("file/run")), HasSubstr("cannot create it")));
  EXPECT_THAT(error_of([&] { CheckpointFolder f(path("run"), {.keep_last = 0}); }),
              HasSubstr("keep_last must be >= 1, got 0"));
}

TEST_F(CheckpointTest, FailedFolderSaveKeepsEverythingElse) {
  CheckpointFolder folder(path("run"), {.keep_last = 1});
  folder.save(sample(1), 1, 1.0);
  fs::create_directory(path("run/step-00000002.safetensors"));  // the next name is taken by a folder
  EXPECT_THAT(error_of([&] { folder.save(sample(2), 2, 0.5); }), HasSubstr(path("run/step-00000002.safetensors")));
  // No temporary file, step 1 not pruned, best still step 1.
  EXPECT_THAT(entries("run"),
              ElementsAre("best.safetensors", "step-00000001.safetensors", "step-00000002.safetensors"));
  EXPECT_EQ(load_checkpoint(*folder.best()).meta("best_step"), "1");
}

TEST_F(CheckpointTest, SaveIntoAReadOnlyFolderLeavesNoTemporaryFile) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "root ignores folder permissions (FailedFolderSaveKeepsEverythingElse covers the failure path)";
  }
  CheckpointFolder folder(path("run"));
  folder.save(sample(1), 1);
  fs::permissions(path("run"), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THAT(error_of([&] { folder.save(sample(2), 2); }), HasSubstr(path("run/step-00000002.safetensors")));
  fs::permissions(path("run"), fs::perms::owner_all);
  EXPECT_THAT(entries("run"), ElementsAre("step-00000001.safetensors"));
}

}  // namespace
}  // namespace attend::train
