// validate(TrainConfig): every enumeration lists its values, every range and cross-option rule names the option,
// the corpus is given exactly one way; and every file of examples/configs/ loads and validates.
#include "attend/train/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "attend/train/option_table.hpp"
#include "test_util.hpp"

namespace attend::train {
namespace {

using attend::testing::error_of;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The defaults, with the given options set (name, value pairs).
TrainConfig with(std::initializer_list<std::pair<const char*, const char*>> options) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  for (const auto& [name, value] : options) t.set(name, value, "test");
  return cfg;
}

std::string error_with(std::initializer_list<std::pair<const char*, const char*>> options, bool need_data = false) {
  const TrainConfig cfg = with(options);
  return error_of([&] { validate(cfg, need_data); });
}

TEST(ValidateConfig, DefaultsAreValidWithoutData) {
  EXPECT_NO_THROW(validate(TrainConfig{}, /*need_data=*/false));
  EXPECT_NO_THROW(validate(with({{"data.train", "x.tsv"}})));
}

struct EnumCase {
  const char* option;
  const char* values;  // as the message lists them
};

TEST(ValidateConfig, EveryEnumerationListsItsValues) {
  const EnumCase cases[] = {
      {"model.type", "rnn-attention, transformer"},
      {"model.cell", "gru, lstm, rnn_tanh, rnn_relu"},
      {"model.scorer", "dot, scaled_dot, general, additive, mlp"},
      {"model.placement", "bahdanau, luong"},
      {"model.fusion", "concat, weighted_sum, gate"},
      {"model.bridge", "zeros, copy, linear"},
      {"model.activation", "relu, gelu"},
      {"model.positional", "sinusoidal, learned"},
      {"data.tokenizer", "char, word, sentencepiece"},
      {"optim.optimizer", "adam, adamw, sgd"},
      {"optim.schedule", "constant, step, linear_warmup, warmup_inverse_sqrt, cosine"},
      {"train.metric", "loss, token_accuracy, exact_match, bleu"},
      {"train.on_nan", "skip, stop"},
  };
  for (const EnumCase& c : cases) {
    EXPECT_THAT(error_with({{c.option, "bogus"}}),
                HasSubstr(std::string(c.option) + " must be one of " + c.values + "; got 'bogus'"));
  }
  // ...and each listed value is accepted.
  for (const EnumCase& c : cases) {
    std::string values = c.values;
    for (size_t start = 0; start < values.size();) {
      const size_t end = std::min(values.find(", ", start), values.size());
      const std::string v = values.substr(start, end - start);
      TrainConfig cfg = with({{c.option, v.c_str()}});
      if (v == "warmup_inverse_sqrt") cfg.optim.warmup_steps = 10;
      if (v == "copy") cfg.model.bidirectional = false;
      EXPECT_NO_THROW(validate(cfg, false)) << c.option << " = " << v;
      start = end + 2;
    }
  }
}

struct RangeCase {
  const char* option;
  const char* value;
  const char* message;
};

TEST(ValidateConfig, RangesNameTheOptionAndTheValue) {
  const RangeCase cases[] = {
      {"model.embedding", "0", "model.embedding must be a positive integer, got 0"},
      {"model.hidden", "-4", "model.hidden must be a positive integer, got -4"},
      {"model.layers", "0", "model.layers must be a positive integer"},
      {"model.dropout", "1", "model.dropout must be in [0, 1), got 1"},
      {"model.dropout", "-0.1", "model.dropout must be in [0, 1), got -0.1"},
      {"model.d_model", "0", "model.d_model must be a positive integer"},
      {"model.heads", "0", "model.heads must be a positive integer"},
      {"model.heads", "3", "model.heads must divide model.d_model (d_model 256 is not a multiple of 3)"},
      {"model.ffn", "0", "model.ffn must be a positive integer"},
      {"model.encoder_layers", "0", "model.encoder_layers must be a positive integer"},
      {"model.decoder_layers", "-1", "model.decoder_layers must be a positive integer"},
      {"model.max_positions", "0", "model.max_positions must be a positive integer"},
      {"data.sentencepiece_vocab", "0", "data.sentencepiece_vocab must be a positive integer"},
      {"data.vocab_size", "-1", "data.vocab_size must be >= 0, got -1"},
      {"data.min_frequency", "0", "data.min_frequency must be a positive integer"},
      {"data.max_length", "0", "data.max_length must be a positive integer"},
      {"data.batch_tokens", "0", "data.batch_tokens must be a positive integer"},
      {"data.max_batch_size", "0", "data.max_batch_size must be a positive integer"},
      {"optim.lr", "0", "optim.lr must be a finite number > 0, got 0"},
      {"optim.lr", "-0.1", "optim.lr must be a finite number > 0"},
      {"optim.beta1", "1", "optim.beta1 must be in [0, 1), got 1"},
      {"optim.beta2", "-0.5", "optim.beta2 must be in [0, 1)"},
      {"optim.eps", "-1e-8", "optim.eps must be a finite number >= 0"},
      {"optim.weight_decay", "-1", "optim.weight_decay must be a finite number >= 0"},
      {"optim.warmup_steps", "-1", "optim.warmup_steps must be >= 0"},
      {"optim.step_size", "0", "optim.step_size must be a positive integer"},
      {"optim.gamma", "0", "optim.gamma must be a finite number > 0, got 0"},
      {"optim.min_lr", "-1", "optim.min_lr must be a finite number >= 0"},
      {"optim.min_lr", "0.5", "optim.min_lr (0.5) must not exceed optim.lr (0.001)"},
      {"optim.clip_norm", "-1", "optim.clip_norm must be a finite number >= 0"},
      {"optim.clip_value", "-2", "optim.clip_value must be a finite number >= 0"},
      {"optim.label_smoothing", "1", "optim.label_smoothing must be in [0, 1), got 1"},
      {"optim.coverage_weight", "-1", "optim.coverage_weight must be a finite number >= 0"},
      {"train.steps", "-1", "train.steps must be >= 0"},
      {"train.epochs", "-1", "train.epochs must be >= 0"},
      {"train.seconds", "-1", "train.seconds must be a finite number >= 0, got -1"},
      {"train.target", "-0.5", "train.target must be a finite number >= 0"},
      {"train.valid_every", "0", "train.valid_every must be a positive integer"},
      {"train.log_every", "0", "train.log_every must be a positive integer"},
      {"train.patience", "-1", "train.patience must be >= 0"},
      {"train.valid_beam", "0", "train.valid_beam must be a positive integer, got 0"},
      {"train.threads", "-1", "train.threads must be >= 0"},
      {"train.out", "", "train.out must name a checkpoint folder"},
      {"train.keep_last", "0", "train.keep_last must be a positive integer, got 0"},
  };
  for (const RangeCase& c : cases) {
    EXPECT_THAT(error_with({{c.option, c.value}}), HasSubstr(c.message)) << c.option << " = " << c.value;
  }
}

TEST(ValidateConfig, CrossOptionRules) {
  EXPECT_THAT(error_with({{"train.steps", "0"}, {"train.epochs", "0"}}),
              HasSubstr("train.steps and train.epochs are both 0"));
  EXPECT_THAT(error_with({{"model.coverage", "true"}, {"model.scorer", "dot"}}),
              HasSubstr("model.coverage needs model.scorer additive"));
  EXPECT_NO_THROW(validate(with({{"model.coverage", "true"}, {"optim.coverage_weight", "0.5"}}), false));
  EXPECT_THAT(error_with({{"model.bridge", "copy"}, {"model.bidirectional", "true"}}),
              HasSubstr("model.bridge copy needs a unidirectional encoder"));
  EXPECT_THAT(error_with({{"optim.coverage_weight", "0.5"}}),
              HasSubstr("optim.coverage_weight is 0.5 but there is no coverage to penalize"));
  EXPECT_THAT(error_with({{"optim.optimizer", "sgd"}, {"optim.nesterov", "true"}}),
              HasSubstr("optim.nesterov needs optim.momentum > 0"));
  EXPECT_NO_THROW(validate(with({{"optim.optimizer", "sgd"}, {"optim.nesterov", "true"}, {"optim.momentum", "0.9"}}),
                           false));
  EXPECT_THAT(error_with({{"optim.momentum", "0.9"}}),
              HasSubstr("optim.momentum is an sgd option, but optim.optimizer is 'adam'"));
  EXPECT_THAT(error_with({{"optim.optimizer", "adamw"}, {"optim.nesterov", "true"}}),
              HasSubstr("optim.nesterov is an sgd option, but optim.optimizer is 'adamw'"));
  EXPECT_THAT(error_with({{"optim.schedule", "warmup_inverse_sqrt"}}),
              HasSubstr("optim.schedule warmup_inverse_sqrt needs optim.warmup_steps > 0"));
  EXPECT_THAT(error_with({{"optim.warmup_steps", "100"}}),
              HasSubstr("optim.warmup_steps is 100 but optim.schedule 'constant' has no warmup"));
  EXPECT_NO_THROW(validate(with({{"optim.schedule", "cosine"}, {"optim.warmup_steps", "100"}}), false));
  // Transformer options are checked whatever the model type (the defaults always pass).
  EXPECT_THAT(error_with({{"model.type", "transformer"}, {"model.d_model", "100"}, {"model.heads", "8"}}),
              HasSubstr("model.heads must divide model.d_model"));
}

TEST(ValidateConfig, TrainingCorpusIsGivenExactlyOneWay) {
  EXPECT_THAT(error_with({}, /*need_data=*/true),
              AllOf(HasSubstr("no training corpus"), HasSubstr("data.train"), HasSubstr("data.train_src")));
  EXPECT_NO_THROW(validate(with({{"data.train", "a.tsv"}}), true));
  EXPECT_NO_THROW(validate(with({{"data.train_src", "a.de"}, {"data.train_tgt", "a.en"}}), true));
  EXPECT_THAT(error_with({{"data.train", "a.tsv"}, {"data.train_src", "a.de"}, {"data.train_tgt", "a.en"}}, true),
              HasSubstr("data.train and data.train_src/data.train_tgt are both given"));
  EXPECT_THAT(error_with({{"data.train_src", "a.de"}}, true),
              HasSubstr("data.train_src is given but data.train_tgt is not"));
  EXPECT_THAT(error_with({{"data.train_tgt", "a.en"}}, true),
              HasSubstr("data.train_tgt is given but data.train_src is not"));
  // A half pair is wrong even when no data is needed.
  EXPECT_THAT(error_with({{"data.train_src", "a.de"}}, false), HasSubstr("data.train_tgt is not"));
}

TEST(ValidateConfig, ValidationCorpusIsOptionalButNotAmbiguous) {
  EXPECT_NO_THROW(validate(with({{"data.train", "a.tsv"}, {"data.valid", "v.tsv"}}), true));
  EXPECT_NO_THROW(validate(with({{"data.train", "a.tsv"}, {"data.valid_src", "v.de"}, {"data.valid_tgt", "v.en"}}),
                           true));
  EXPECT_THAT(error_with({{"data.train", "a.tsv"}, {"data.valid", "v.tsv"}, {"data.valid_src", "v.de"}}, true),
              AllOf(HasSubstr("data.valid and data.valid_src/data.valid_tgt are both given"),
                    HasSubstr("validation corpus")));
  EXPECT_THAT(error_with({{"data.train", "a.tsv"}, {"data.valid_tgt", "v.en"}}, true),
              HasSubstr("data.valid_tgt is given but data.valid_src is not"));
}

// --- examples/configs: every file loads and validates, so the examples never rot -------------------------------------

TEST(ExampleConfigs, EveryFileLoadsAndValidates) {
  const std::filesystem::path dir = std::filesystem::path(ATTEND_SOURCE_DIR) / "examples" / "configs";
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    TrainConfig cfg;
    OptionTable t = train_option_table(cfg);
    EXPECT_NO_THROW(t.read_yaml_file(entry.path().string()));
    EXPECT_NO_THROW(validate(cfg, /*need_data=*/false));
    EXPECT_NO_THROW(validate(cfg, /*need_data=*/true)) << "an example names its corpus";
    ++count;
  }
  EXPECT_GE(count, 3u);
}

TEST(ExampleConfigs, EachShowsWhatItsNameSays) {
  const std::string dir = std::string(ATTEND_SOURCE_DIR) + "/examples/configs/";
  TrainConfig rnn, luong, transformer;
  train_option_table(rnn).read_yaml_file(dir + "dates-rnn.yaml");
  train_option_table(luong).read_yaml_file(dir + "luong-lstm.yaml");
  train_option_table(transformer).read_yaml_file(dir + "transformer.yaml");

  EXPECT_EQ(rnn.model.type, "rnn-attention");
  EXPECT_EQ(rnn.model.cell, "gru");
  EXPECT_TRUE(rnn.model.bidirectional);
  EXPECT_EQ(rnn.model.scorer, "additive");
  EXPECT_EQ(rnn.model.placement, "bahdanau");
  EXPECT_FALSE(rnn.data.train.empty());  // a TSV corpus

  EXPECT_EQ(luong.model.cell, "lstm");
  EXPECT_EQ(luong.model.scorer, "general");
  EXPECT_EQ(luong.model.placement, "luong");
  EXPECT_TRUE(luong.model.input_feeding);
  EXPECT_FALSE(luong.model.coverage);

  EXPECT_EQ(transformer.model.type, "transformer");
  EXPECT_EQ(transformer.optim.schedule, "warmup_inverse_sqrt");
  EXPECT_GT(transformer.optim.warmup_steps, 0);
}

}  // namespace
}  // namespace attend::train
