// TrainConfig: everything `attend train` needs, as one plain struct with defaults, read from YAML and overridden by
// flags through the option table (option_table.hpp). Sections mirror the YAML file:
//
//   model:  {type: rnn-attention, cell: gru, hidden: 256, scorer: additive, placement: bahdanau, ...}
//   data:   {train: corpus.tsv, valid: dev.tsv, tokenizer: char, batch_tokens: 4096, ...}
//   optim:  {optimizer: adam, lr: 0.001, schedule: warmup_inverse_sqrt, warmup_steps: 4000, clip_norm: 1.0, ...}
//   train:  {steps: 10000, valid_every: 500, out: run/, keep_last: 3, seed: 1, ...}
//
// Every field below has exactly one option named "<section>.<field>" (e.g. "model.hidden"); the flag is
// `--model.hidden 128`. Enumerations are strings checked when the config is validated (validate()).
//
// Usage:
//   TrainConfig cfg;
//   OptionTable table = train_option_table(cfg);
//   table.read_yaml_file("examples/configs/dates.yaml");   table.set("train.steps", "200", "--train.steps");
//   validate(cfg);
#pragma once

#include <cstdint>
#include <string>

namespace attend::train {

struct ModelConfig {
  std::string type = "rnn-attention";  ///< rnn-attention | transformer
  int64_t embedding = 64;              ///< E (rnn-attention)
  int64_t hidden = 128;                ///< H of the decoder (rnn-attention); the encoder's per direction
  int64_t layers = 1;                  ///< encoder layers (rnn-attention)
  std::string cell = "gru";            ///< gru | lstm | rnn_tanh | rnn_relu
  bool bidirectional = true;           ///< of the encoder
  std::string scorer = "additive";     ///< dot | scaled_dot | general | additive | mlp
  std::string placement = "bahdanau";  ///< bahdanau | luong
  std::string fusion = "concat";       ///< concat | weighted_sum | gate
  bool input_feeding = false;
  bool coverage = false;
  std::string bridge = "linear";       ///< zeros | copy | linear
  double dropout = 0.0;
  // transformer
  int64_t d_model = 256;
  int64_t heads = 4;
  int64_t ffn = 1024;
  int64_t encoder_layers = 3;
  int64_t decoder_layers = 3;
  bool norm_first = false;
  std::string activation = "relu";       ///< relu | gelu
  std::string positional = "sinusoidal";  ///< sinusoidal | learned
  bool tie_embeddings = false;
  int64_t max_positions = 1024;          ///< learned positions only
};

struct DataConfig {
  std::string train;      ///< TSV "source<TAB>target" per line; or the pair below
  std::string train_src;  ///< one sentence per line, aligned with train_tgt
  std::string train_tgt;
  std::string valid;      ///< as train (optional)
  std::string valid_src;
  std::string valid_tgt;
  std::string tokenizer = "char";  ///< char | word | sentencepiece
  int64_t sentencepiece_vocab = 8000;  ///< pieces per side when training SentencePiece
  int64_t vocab_size = 0;          ///< most frequent tokens kept per side (0: all)
  int64_t min_frequency = 1;       ///< rarer tokens become <unk>
  int64_t max_length = 200;        ///< longer examples (tokens, either side) are skipped and counted
  int64_t batch_tokens = 4096;     ///< token budget per batch (padded source + target)
  int64_t max_batch_size = 256;    ///< examples per batch at most
  bool bucketing = true;           ///< group examples of similar length
};

struct OptimConfig {
  std::string optimizer = "adam";  ///< adam | adamw | sgd
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;  ///< sgd
  bool nesterov = false;  ///< sgd
  std::string schedule = "constant";  ///< constant | step | linear_warmup | warmup_inverse_sqrt | cosine
  int64_t warmup_steps = 0;
  int64_t step_size = 1000;  ///< step schedule: multiply by gamma every step_size steps
  double gamma = 0.5;
  double min_lr = 0.0;       ///< cosine floor
  double clip_norm = 0.0;    ///< global gradient norm limit (0: off)
  double clip_value = 0.0;   ///< per-element gradient limit (0: off)
  double label_smoothing = 0.0;
  double coverage_weight = 0.0;  ///< λ of the coverage loss (model.coverage)
};

struct LoopConfig {
  int64_t steps = 0;        ///< optimizer steps (0: use epochs)
  int64_t epochs = 10;
  double seconds = 0;       ///< stop after this much training time (0: no limit)
  double target = 0;        ///< stop when the validation metric reaches this value (0: never)
  int64_t valid_every = 500;
  int64_t log_every = 50;   ///< plain log line period when stdout is not a terminal
  int64_t patience = 0;     ///< validations without improvement before stopping (0: never)
  std::string metric = "loss";  ///< loss | token_accuracy | exact_match | bleu (what "best" means)
  int64_t valid_beam = 1;   ///< beam size of the validation decoding
  uint64_t seed = 1;
  int64_t threads = 0;      ///< 0: the library default
  std::string out = "run";  ///< checkpoint folder
  int64_t keep_last = 3;
  std::string on_nan = "skip";  ///< skip (the batch, counted) | stop (with the last good checkpoint)
};

struct TrainConfig {
  ModelConfig model;
  DataConfig data;
  OptimConfig optim;
  LoopConfig train;
};

/// Checks every enumeration and range; throws attend::Error naming the option ("model.cell must be one of gru,
/// lstm, rnn_tanh, rnn_relu; got 'gur'"), and that a training corpus is given exactly one way when `need_data`.
void validate(const TrainConfig& config, bool need_data = true);

}  // namespace attend::train
