// validate(TrainConfig): every enumeration, range and cross-option rule, checked before anything is built, so a
// mistake in a config file is reported by option name rather than deep inside a model constructor.
#include "attend/train/config.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "attend/core/error.hpp"

namespace attend::train {

namespace {

void check_one_of(const char* name, const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return;
  }
  throw Error(fmt::format("{} must be one of {}; got '{}'", name, fmt::join(allowed, ", "), value));
}

void check_positive(const char* name, int64_t value) {
  ATTEND_CHECK(value > 0, "{} must be a positive integer, got {}", name, value);
}

void check_non_negative(const char* name, int64_t value) {
  ATTEND_CHECK(value >= 0, "{} must be >= 0, got {}", name, value);
}

void check_non_negative(const char* name, double value) {
  ATTEND_CHECK(std::isfinite(value) && value >= 0.0, "{} must be a finite number >= 0, got {}", name, value);
}

// [0, 1): probabilities that must leave something (dropout, label smoothing) and moment decays.
void check_unit_interval(const char* name, double value) {
  ATTEND_CHECK(value >= 0.0 && value < 1.0, "{} must be in [0, 1), got {}", name, value);
}

// A corpus is given as one TSV file or as an aligned pair of files, never both, never half a pair.
// Returns whether any form was given.
bool check_corpus(const char* what, const std::string& tsv, const std::string& src, const std::string& tgt) {
  const bool pair = !src.empty() || !tgt.empty();
  ATTEND_CHECK(tsv.empty() || !pair,
               "data.{0} and data.{0}_src/data.{0}_tgt are both given; give the {1} corpus one way: a TSV file "
               "(data.{0}) or two aligned files (data.{0}_src and data.{0}_tgt)",
               what, what == std::string("train") ? "training" : "validation");
  ATTEND_CHECK(!pair || !src.empty(), "data.{0}_tgt is given but data.{0}_src is not; the pair needs both files",
               what);
  ATTEND_CHECK(!pair || !tgt.empty(), "data.{0}_src is given but data.{0}_tgt is not; the pair needs both files",
               what);
  return !tsv.empty() || pair;
}

void validate_model(const ModelConfig& m) {
  check_one_of("model.type", m.type, {"rnn-attention", "transformer"});
  check_one_of("model.cell", m.cell, {"gru", "lstm", "rnn_tanh", "rnn_relu"});
  check_one_of("model.scorer", m.scorer, {"dot", "scaled_dot", "general", "additive", "mlp"});
  check_one_of("model.placement", m.placement, {"bahdanau", "luong"});
  check_one_of("model.fusion", m.fusion, {"concat", "weighted_sum", "gate"});
  check_one_of("model.bridge", m.bridge, {"zeros", "copy", "linear"});
  check_one_of("model.activation", m.activation, {"relu", "gelu"});
  check_one_of("model.positional", m.positional, {"sinusoidal", "learned"});
  check_positive("model.embedding", m.embedding);
  check_positive("model.hidden", m.hidden);
  check_positive("model.layers", m.layers);
  check_unit_interval("model.dropout", m.dropout);
  check_positive("model.d_model", m.d_model);
  check_positive("model.heads", m.heads);
  check_positive("model.ffn", m.ffn);
  check_positive("model.encoder_layers", m.encoder_layers);
  check_positive("model.decoder_layers", m.decoder_layers);
  check_positive("model.max_positions", m.max_positions);
  ATTEND_CHECK(m.d_model % m.heads == 0, "model.heads must divide model.d_model (d_model {} is not a multiple of {})",
               m.d_model, m.heads);
  if (m.type == "rnn-attention") {
    ATTEND_CHECK(!m.coverage || m.scorer == "additive",
                 "model.coverage needs model.scorer additive (the coverage vector enters the additive score), got "
                 "'{}'",
                 m.scorer);
    ATTEND_CHECK(m.bridge != "copy" || !m.bidirectional,
                 "model.bridge copy needs a unidirectional encoder (a bidirectional one ends with 2 x model.hidden "
                 "values, the decoder has model.hidden); use bridge linear or zeros, or bidirectional false");
  }
}

void validate_data(const DataConfig& d, bool need_data) {
  check_one_of("data.tokenizer", d.tokenizer, {"char", "word", "sentencepiece"});
  check_positive("data.sentencepiece_vocab", d.sentencepiece_vocab);
  check_non_negative("data.vocab_size", d.vocab_size);
  check_positive("data.min_frequency", d.min_frequency);
  check_positive("data.max_length", d.max_length);
  check_positive("data.batch_tokens", d.batch_tokens);
  check_positive("data.max_batch_size", d.max_batch_size);
  const bool has_train = check_corpus("train", d.train, d.train_src, d.train_tgt);
  check_corpus("valid", d.valid, d.valid_src, d.valid_tgt);
  ATTEND_CHECK(has_train || !need_data,
               "no training corpus: set data.train (a TSV file, 'source<TAB>target' per line) or data.train_src "
               "and data.train_tgt (two aligned files)");
}

void validate_optim(const OptimConfig& o, const ModelConfig& m) {
  check_one_of("optim.optimizer", o.optimizer, {"adam", "adamw", "sgd"});
  check_one_of("optim.schedule", o.schedule, {"constant", "step", "linear_warmup", "warmup_inverse_sqrt", "cosine"});
  ATTEND_CHECK(std::isfinite(o.lr) && o.lr > 0.0, "optim.lr must be a finite number > 0, got {}", o.lr);
  check_unit_interval("optim.beta1", o.beta1);
  check_unit_interval("optim.beta2", o.beta2);
  check_non_negative("optim.eps", o.eps);
  check_non_negative("optim.weight_decay", o.weight_decay);
  check_non_negative("optim.momentum", o.momentum);
  if (o.optimizer == "sgd") {
    ATTEND_CHECK(!o.nesterov || o.momentum > 0.0, "optim.nesterov needs optim.momentum > 0, got momentum {}",
                 o.momentum);
  } else {
    ATTEND_CHECK(o.momentum == 0.0, "optim.momentum is an sgd option, but optim.optimizer is '{}' (got momentum {})",
                 o.optimizer, o.momentum);
    ATTEND_CHECK(!o.nesterov, "optim.nesterov is an sgd option, but optim.optimizer is '{}'", o.optimizer);
  }
  check_non_negative("optim.warmup_steps", o.warmup_steps);
  ATTEND_CHECK(o.schedule != "warmup_inverse_sqrt" || o.warmup_steps > 0,
               "optim.schedule warmup_inverse_sqrt needs optim.warmup_steps > 0 (the peak is at the end of warmup)");
  ATTEND_CHECK((o.schedule != "constant" && o.schedule != "step") || o.warmup_steps == 0,
               "optim.warmup_steps is {} but optim.schedule '{}' has no warmup; use linear_warmup, "
               "warmup_inverse_sqrt or cosine, or set warmup_steps to 0",
               o.warmup_steps, o.schedule);
  check_positive("optim.step_size", o.step_size);
  ATTEND_CHECK(std::isfinite(o.gamma) && o.gamma > 0.0, "optim.gamma must be a finite number > 0, got {}", o.gamma);
  check_non_negative("optim.min_lr", o.min_lr);
  ATTEND_CHECK(o.min_lr <= o.lr, "optim.min_lr ({}) must not exceed optim.lr ({})", o.min_lr, o.lr);
  check_non_negative("optim.clip_norm", o.clip_norm);
  check_non_negative("optim.clip_value", o.clip_value);
  check_unit_interval("optim.label_smoothing", o.label_smoothing);
  check_non_negative("optim.coverage_weight", o.coverage_weight);
  ATTEND_CHECK(o.coverage_weight == 0.0 || (m.coverage && m.type == "rnn-attention"),
               "optim.coverage_weight is {} but there is no coverage to penalize; set model.coverage true "
               "(rnn-attention) or the weight to 0",
               o.coverage_weight);
}

void validate_loop(const LoopConfig& l) {
  check_one_of("train.metric", l.metric, {"loss", "token_accuracy", "exact_match", "bleu"});
  check_one_of("train.on_nan", l.on_nan, {"skip", "stop"});
  check_non_negative("train.steps", l.steps);
  check_non_negative("train.epochs", l.epochs);
  ATTEND_CHECK(l.steps > 0 || l.epochs > 0, "train.steps and train.epochs are both 0; set one of them");
  check_non_negative("train.seconds", l.seconds);
  check_non_negative("train.target", l.target);
  check_positive("train.valid_every", l.valid_every);
  check_positive("train.log_every", l.log_every);
  check_non_negative("train.patience", l.patience);
  check_positive("train.valid_beam", l.valid_beam);
  check_non_negative("train.threads", l.threads);
  ATTEND_CHECK(!l.out.empty(), "train.out must name a checkpoint folder, got ''");
  check_positive("train.keep_last", l.keep_last);
}

}  // namespace

void validate(const TrainConfig& config, bool need_data) {
  validate_model(config.model);
  validate_data(config.data, need_data);
  validate_optim(config.optim, config.model);
  validate_loop(config.train);
}

}  // namespace attend::train
