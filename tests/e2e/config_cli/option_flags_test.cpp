// OptionFlags on a small CLI::App shaped like `attend train`: one flag per option, generated --help, flags override
// the YAML file, bare booleans, repeated flags, and errors that name the flag.
#include "option_flags.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "attend/train/option_table.hpp"
#include "test_util.hpp"

namespace attend::cli {
namespace {

using attend::testing::error_of;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// `attend train --config FILE [flags]` in miniature.
struct TrainCommand {
  CLI::App app{"attend"};
  CLI::App* train = app.add_subcommand("train", "Train a model");
  std::string config_path;
  train::TrainConfig cfg;
  train::OptionTable table = train::train_option_table(cfg);
  std::unique_ptr<OptionFlags> flags;

  TrainCommand() {
    train->add_option("--config", config_path, "YAML config");
    flags = std::make_unique<OptionFlags>(*train, table);
  }
  void parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"attend", "train"});
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
  }
};

TEST(OptionFlags, OneFlagPerOptionWithTypeDefaultAndSectionInHelp) {
  TrainCommand c;
  for (const train::OptionEntry& e : c.table.entries()) {
    EXPECT_NE(c.train->get_option_no_throw("--" + e.name), nullptr) << e.name;
  }
  const std::string help = c.train->help();
  EXPECT_THAT(help, AllOf(HasSubstr("model options:"), HasSubstr("data options:"), HasSubstr("optim options:"),
                          HasSubstr("train options:")));
  EXPECT_THAT(help, HasSubstr("--model.hidden INT"));
  EXPECT_THAT(help, HasSubstr("(default: 128)"));
  EXPECT_THAT(help, HasSubstr("--optim.lr FLOAT"));
  EXPECT_THAT(help, HasSubstr("(default: 0.001)"));
  EXPECT_THAT(help, HasSubstr("--train.seed UINT"));
  EXPECT_THAT(help, HasSubstr("--model.coverage [BOOL]"));
  EXPECT_THAT(help, HasSubstr("--data.train TEXT"));
  EXPECT_THAT(help, HasSubstr("(default: none)"));
  for (const train::OptionEntry& e : c.table.entries()) {
    EXPECT_THAT(help, HasSubstr(e.help)) << e.name;
  }
}

TEST(OptionFlags, FlagsOverrideTheYamlFileAndOnlyGivenFlagsApply) {
  TrainCommand c;
  c.parse({"--config", "run.yaml", "--model.hidden", "64", "--optim.lr=3e-3", "--data.train", "big.tsv"});
  EXPECT_EQ(c.config_path, "run.yaml");
  // The command reads the file first, then applies the flags.
  c.table.read_yaml("model:\n  hidden: 32\n  cell: lstm\noptim:\n  lr: 0.01\n  beta2: 0.98\n", c.config_path);
  c.flags->apply();
  EXPECT_EQ(c.cfg.model.hidden, 64);       // flag over file
  EXPECT_EQ(c.cfg.optim.lr, 3e-3);         // flag over file
  EXPECT_EQ(c.cfg.data.train, "big.tsv");  // flag over default
  EXPECT_EQ(c.cfg.model.cell, "lstm");     // file over default, no flag
  EXPECT_EQ(c.cfg.optim.beta2, 0.98);
  EXPECT_EQ(c.cfg.model.embedding, 64);    // default
  EXPECT_THAT(c.flags->given(), ElementsAre("model.hidden", "data.train", "optim.lr"));
}

TEST(OptionFlags, BareBooleanMeansTrueAndAValueIsParsed) {
  TrainCommand c;
  c.parse({"--model.coverage", "--model.bidirectional", "off", "--data.bucketing=no", "--model.norm_first", "1"});
  c.flags->apply();
  EXPECT_TRUE(c.cfg.model.coverage);
  EXPECT_FALSE(c.cfg.model.bidirectional);
  EXPECT_FALSE(c.cfg.data.bucketing);
  EXPECT_TRUE(c.cfg.model.norm_first);
}

TEST(OptionFlags, ARepeatedFlagKeepsTheLastValue) {
  TrainCommand c;
  c.parse({"--model.hidden", "16", "--model.hidden", "-5", "--optim.lr", "-1e-3"});
  c.flags->apply();
  EXPECT_EQ(c.cfg.model.hidden, -5);  // negative numbers are values, not flags (validate() rejects them later)
  EXPECT_EQ(c.cfg.optim.lr, -1e-3);
}

TEST(OptionFlags, BadValueNamesTheFlagAndTheExpectedType) {
  TrainCommand c;
  c.parse({"--model.hidden", "12x"});
  EXPECT_THAT(error_of([&] { c.flags->apply(); }),
              AllOf(HasSubstr("--model.hidden: option model.hidden: expected an integer, got '12x'")));
  TrainCommand d;
  d.parse({"--model.coverage", "sometimes"});
  EXPECT_THAT(error_of([&] { d.flags->apply(); }),
              HasSubstr("--model.coverage: option model.coverage: expected a boolean"));
}

TEST(OptionFlags, UnknownOrValuelessFlagsAreParseErrors) {
  TrainCommand c;
  EXPECT_THROW(c.parse({"--model.hiden", "3"}), CLI::ParseError);
  TrainCommand d;
  EXPECT_THROW(d.parse({"--model.hidden"}), CLI::ParseError);
}

TEST(OptionFlags, NothingGivenChangesNothing) {
  TrainCommand c;
  const std::string before = c.table.to_yaml();
  c.parse({});
  c.flags->apply();
  EXPECT_EQ(c.table.to_yaml(), before);
  EXPECT_TRUE(c.flags->given().empty());
}

}  // namespace
}  // namespace attend::cli
