// OptionTable: strict parsing of each type, YAML reading with every error path (file, line, key, hint), to_yaml
// round trip, and the table of `attend train` covering every TrainConfig field exactly once.
#include "attend/train/option_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "test_util.hpp"

namespace attend::train {
namespace {

using attend::testing::error_of;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// --- strict parsing by type ---------------------------------------------------------------------------------------

TEST(OptionTableSet, IntegerRejectsTrailingJunkNamingOptionSourceAndType) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.set("model.hidden", "12x", "--model.hidden"); }),
              AllOf(HasSubstr("--model.hidden"), HasSubstr("option model.hidden"), HasSubstr("expected an integer"),
                    HasSubstr("'12x'")));
  for (const char* bad : {"", " 12", "12 ", "1.5", "0x10", "+-3", "twelve"}) {
    EXPECT_THAT(error_of([&] { t.set("model.hidden", bad, "f.yaml:3"); }),
                AllOf(HasSubstr("f.yaml:3"), HasSubstr("expected an integer")))
        << "value '" << bad << "'";
  }
  EXPECT_THAT(error_of([&] { t.set("model.hidden", "99999999999999999999", "--model.hidden"); }),
              HasSubstr("out of range"));
  EXPECT_EQ(cfg.model.hidden, 128);  // failed sets change nothing
  t.set("model.hidden", "-7", "x");
  EXPECT_EQ(cfg.model.hidden, -7);   // parsing is about syntax; validate() judges the range
}

TEST(OptionTableSet, UnsignedRejectsNegative) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.set("train.seed", "-1", "--train.seed"); }),
              AllOf(HasSubstr("--train.seed"), HasSubstr("expected a non-negative integer"), HasSubstr("'-1'")));
  t.set("train.seed", "18446744073709551615", "x");
  EXPECT_EQ(cfg.train.seed, std::numeric_limits<uint64_t>::max());
}

TEST(OptionTableSet, FloatParsesExactlyAndRejectsJunkAndNonFinite) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  t.set("optim.lr", "3e-3", "x");
  EXPECT_EQ(cfg.optim.lr, 3e-3);
  t.set("optim.lr", "0.30000000000000004", "x");
  EXPECT_EQ(cfg.optim.lr, 0.1 + 0.2);
  EXPECT_THAT(error_of([&] { t.set("optim.lr", "0.1.2", "--optim.lr"); }),
              AllOf(HasSubstr("--optim.lr"), HasSubstr("option optim.lr"), HasSubstr("expected a number")));
  for (const char* bad : {"nan", "inf", "-inf"}) {
    EXPECT_THAT(error_of([&] { t.set("optim.lr", bad, "x"); }), HasSubstr("expected a finite number")) << bad;
  }
  EXPECT_THAT(error_of([&] { t.set("optim.lr", "1e999", "x"); }), HasSubstr("out of range"));
}

TEST(OptionTableSet, BoolAcceptsTheUsualSpellingsAnyCase) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  for (const char* yes : {"true", "yes", "on", "1", "TRUE", "Yes", "On"}) {
    cfg.model.coverage = false;
    t.set("model.coverage", yes, "x");
    EXPECT_TRUE(cfg.model.coverage) << yes;
  }
  for (const char* no : {"false", "no", "off", "0", "False", "NO", "OFF"}) {
    cfg.model.coverage = true;
    t.set("model.coverage", no, "x");
    EXPECT_FALSE(cfg.model.coverage) << no;
  }
  EXPECT_THAT(error_of([&] { t.set("model.coverage", "maybe", "--model.coverage"); }),
              AllOf(HasSubstr("--model.coverage"), HasSubstr("expected a boolean"), HasSubstr("yes/no"),
                    HasSubstr("'maybe'")));
}

TEST(OptionTableSet, UnknownOptionSuggestsTheClosestName) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.set("model.hiden", "3", "--model.hiden"); }),
              AllOf(HasSubstr("--model.hiden"), HasSubstr("unknown option 'model.hiden'"),
                    HasSubstr("did you mean 'model.hidden'?")));
  EXPECT_THAT(error_of([&] { t.set("zzz.qqqqq", "3", "x"); }), Not(HasSubstr("did you mean")));
}

TEST(OptionTableAdd, RejectsBadAndDuplicateNames) {
  int64_t a = 0;
  OptionTable t;
  t.add("s.a", &a, "help");
  EXPECT_THAT(error_of([&] { t.add("s.a", &a, "again"); }), HasSubstr("option 's.a' is declared twice"));
  for (const char* bad : {"nodot", ".a", "s.", "s.a.b"}) {
    EXPECT_THAT(error_of([&] { t.add(bad, &a, "h"); }), HasSubstr("must be 'section.key'")) << bad;
  }
}

// --- YAML in --------------------------------------------------------------------------------------------------------

TEST(OptionTableYaml, SetsKnownKeysAndKeepsTheRest) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  t.read_yaml("model:\n  hidden: 32\n  cell: lstm\n  coverage: yes\noptim:\n  lr: 1.0e-4\ntrain:\n  seed: 7\n"
              "data:\n  valid:\n",
              "run.yaml");
  EXPECT_EQ(cfg.model.hidden, 32);
  EXPECT_EQ(cfg.model.cell, "lstm");
  EXPECT_TRUE(cfg.model.coverage);
  EXPECT_EQ(cfg.optim.lr, 1e-4);
  EXPECT_EQ(cfg.train.seed, 7u);
  EXPECT_EQ(cfg.data.valid, "");       // "valid:" with no value is the empty string
  EXPECT_EQ(cfg.model.embedding, 64);  // untouched
}

TEST(OptionTableYaml, EmptyDocumentAndEmptySectionKeepDefaults) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  const std::string before = t.to_yaml();
  t.read_yaml("", "a.yaml");
  t.read_yaml("# only a comment\n", "b.yaml");
  t.read_yaml("train:\n  # steps: 3\n", "c.yaml");
  EXPECT_EQ(t.to_yaml(), before);
}

TEST(OptionTableYaml, UnknownSectionNamesSourceLineAndHint) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: 3\nmodle:\n  cell: gru\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:3:"), HasSubstr("unknown section 'modle'"),
                    HasSubstr("known sections: model, data, optim, train"), HasSubstr("did you mean 'model'?")));
  EXPECT_THAT(error_of([&] { t.read_yaml("decoding:\n  beam: 4\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:1:"), HasSubstr("unknown section 'decoding'"), Not(HasSubstr("did you mean"))));
}

TEST(OptionTableYaml, UnknownKeyNamesSourceLineKeyAndHint) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("# header\nmodel:\n  cell: gru\n  hiden: 3\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:4:"), HasSubstr("unknown key 'hiden' in section 'model'"),
                    HasSubstr("did you mean 'hidden'?")));
  // A key of another section is pointed there.
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  lr: 0.1\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:2:"), HasSubstr("unknown key 'lr' in section 'model'"),
                    HasSubstr("did you mean 'optim.lr' (section 'optim')?")));
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  flux_capacitor: 1\n", "run.yaml"); }),
              AllOf(HasSubstr("unknown key 'flux_capacitor'"), Not(HasSubstr("did you mean"))));
}

TEST(OptionTableYaml, NonScalarWhereAValueBelongsIsAnError) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: [1, 2]\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:2:"), HasSubstr("option model.hidden expects a single int value"),
                    HasSubstr("got a sequence")));
  EXPECT_THAT(error_of([&] { t.read_yaml("data:\n  train:\n    path: x.tsv\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:2:"), HasSubstr("option data.train expects a single string value"),
                    HasSubstr("got a mapping")));
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden:\n", "run.yaml"); }),
              AllOf(HasSubstr("option model.hidden expects a single int value"), HasSubstr("got nothing")));
  EXPECT_THAT(error_of([&] { t.read_yaml("model: 3\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:1:"), HasSubstr("section 'model' must be a mapping"), HasSubstr("'3'")));
  EXPECT_THAT(error_of([&] { t.read_yaml("- model\n- data\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:1:"), HasSubstr("must be a mapping of sections"), HasSubstr("a sequence")));
  EXPECT_THAT(error_of([&] { t.read_yaml("just text\n", "run.yaml"); }), HasSubstr("must be a mapping of sections"));
}

TEST(OptionTableYaml, BadValueNamesFileLineAndExpectedType) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  cell: gru\n  hidden: 12x\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:3: option model.hidden: expected an integer, got '12x'")));
  EXPECT_THAT(error_of([&] { t.read_yaml("optim:\n  nesterov: perhaps\n", "run.yaml"); }),
              HasSubstr("run.yaml:2: option optim.nesterov: expected a boolean"));
}

TEST(OptionTableYaml, MalformedYamlNamesLineAndColumn) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: 3\n  cell: [gru\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:"), HasSubstr("malformed YAML")));
  const std::string msg = error_of([&] { t.read_yaml("model:\n  hidden: 3\n   cell: gru\n", "bad.yaml"); });
  EXPECT_THAT(msg, AllOf(HasSubstr("bad.yaml:3:"), HasSubstr("malformed YAML")));
  EXPECT_THAT(error_of([&] { t.read_yaml("model: {hidden: 3\n", "run.yaml"); }), HasSubstr("malformed YAML"));
}

TEST(OptionTableYaml, DuplicateKeysAndSeveralDocumentsAreErrors) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: 3\n  hidden: 4\n", "run.yaml"); }),
              AllOf(HasSubstr("run.yaml:3:"), HasSubstr("option model.hidden is given twice (first on line 2)")));
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: 3\n---\nmodel:\n  hidden: 4\n", "run.yaml"); }),
              HasSubstr("run.yaml: expected one YAML document, found 2"));
}

TEST(OptionTableYaml, AFailedReadLeavesTheConfigUnchanged) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  const std::string before = t.to_yaml();
  EXPECT_THAT(error_of([&] { t.read_yaml("model:\n  hidden: 3\n  cell: lstm\noptim:\n  lr: bad\n", "run.yaml"); }),
              HasSubstr("run.yaml:5"));
  EXPECT_EQ(cfg.model.hidden, 128);
  EXPECT_EQ(cfg.model.cell, "gru");
  EXPECT_EQ(t.to_yaml(), before);
}

TEST(OptionTableYaml, FileErrorsNameThePath) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  const std::string missing = ::testing::TempDir() + "attend_no_such_config.yaml";
  EXPECT_THAT(error_of([&] { t.read_yaml_file(missing); }),
              AllOf(HasSubstr("cannot open config file '" + missing + "'"), HasSubstr("No such file")));
  EXPECT_THAT(error_of([&] { t.read_yaml_file(::testing::TempDir()); }), HasSubstr("is a directory"));

  const std::string path = ::testing::TempDir() + "attend_option_table_test.yaml";
  {
    std::ofstream out(path);
    out << "model:\n  hidden: 48\n  hidn: 1\n";
  }
  EXPECT_THAT(error_of([&] { t.read_yaml_file(path); }), HasSubstr(path + ":3: unknown key 'hidn'"));
  {
    std::ofstream out(path);
    out << "model:\n  hidden: 48\n";
  }
  t.read_yaml_file(path);
  EXPECT_EQ(cfg.model.hidden, 48);
  std::remove(path.c_str());
}

// --- YAML out -------------------------------------------------------------------------------------------------------

TEST(OptionTableToYaml, GroupsBySectionInOrder) {
  TrainConfig cfg;
  const std::string yaml = train_option_table(cfg).to_yaml();
  const size_t model = yaml.find("model:\n"), data = yaml.find("\ndata:\n"), optim = yaml.find("\noptim:\n"),
               train = yaml.find("\ntrain:\n");
  EXPECT_EQ(model, 0u);
  EXPECT_LT(model, data);
  EXPECT_LT(data, optim);
  EXPECT_LT(optim, train);
  EXPECT_NE(train, std::string::npos);
  EXPECT_THAT(yaml, HasSubstr("\n  hidden: 128\n"));
  EXPECT_THAT(yaml, HasSubstr("\n  lr: 0.001\n"));
  EXPECT_THAT(yaml, HasSubstr("\n  bidirectional: true\n"));
  EXPECT_THAT(yaml, HasSubstr("\n  eps: 1e-08\n"));
}

TEST(OptionTableToYaml, NonDefaultConfigRoundTripsExactly) {
  TrainConfig a;
  a.model.type = "transformer";
  a.model.hidden = 77;
  a.model.dropout = 0.1 + 0.2;            // 0.30000000000000004: needs all 17 digits
  a.model.bidirectional = false;
  a.data.train = "dir with space/train #1.tsv";
  a.data.valid = "null";                  // YAML would read a plain null as nothing
  a.data.valid_src = "a: b";
  a.data.tokenizer = "";
  a.optim.lr = 1.0 / 3.0;
  a.optim.eps = 1e-300;
  a.optim.min_lr = 5e-324;                // the smallest subnormal
  a.optim.nesterov = true;
  a.train.seed = std::numeric_limits<uint64_t>::max();
  a.train.threads = -3;
  a.train.out = "'quoted' \"and\" \\ slashes";
  const std::string yaml = train_option_table(a).to_yaml();

  TrainConfig b;
  OptionTable tb = train_option_table(b);
  tb.read_yaml(yaml, "round-trip");
  EXPECT_EQ(tb.to_yaml(), yaml);
  EXPECT_EQ(b.model.type, "transformer");
  EXPECT_EQ(b.model.hidden, 77);
  EXPECT_EQ(b.model.dropout, 0.1 + 0.2);
  EXPECT_FALSE(b.model.bidirectional);
  EXPECT_EQ(b.data.train, a.data.train);
  EXPECT_EQ(b.data.valid, "null");
  EXPECT_EQ(b.data.valid_src, "a: b");
  EXPECT_EQ(b.data.tokenizer, "");
  EXPECT_EQ(b.optim.lr, 1.0 / 3.0);
  EXPECT_EQ(b.optim.eps, 1e-300);
  EXPECT_EQ(b.optim.min_lr, 5e-324);
  EXPECT_TRUE(b.optim.nesterov);
  EXPECT_EQ(b.train.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(b.train.threads, -3);
  EXPECT_EQ(b.train.out, a.train.out);
}

// --- the table of `attend train` ------------------------------------------------------------------------------------

// Number of members of an aggregate, found by brace-initializing it with ever more "anything" values.
struct AnyValue {
  template <class T>
  operator T() const;  // NOLINT: unevaluated only
};
template <class T, class... A>
constexpr size_t field_count() {
  if constexpr (requires { T{A{}..., AnyValue{}}; }) {
    return field_count<T, A..., AnyValue>();
  } else {
    return sizeof...(A);
  }
}

size_t options_in(const OptionTable& t, const std::string& section) {
  size_t n = 0;
  for (const OptionEntry& e : t.entries()) n += e.name.rfind(section + ".", 0) == 0 ? 1 : 0;
  return n;
}

TEST(TrainOptionTable, OneOptionPerFieldOfEachSection) {
  static_assert(field_count<TrainConfig>() == 4);
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  EXPECT_EQ(options_in(t, "model"), field_count<ModelConfig>());
  EXPECT_EQ(options_in(t, "data"), field_count<DataConfig>());
  EXPECT_EQ(options_in(t, "optim"), field_count<OptimConfig>());
  EXPECT_EQ(options_in(t, "train"), field_count<LoopConfig>());
  EXPECT_EQ(t.entries().size(), field_count<ModelConfig>() + field_count<DataConfig>() +
                                    field_count<OptimConfig>() + field_count<LoopConfig>());
  EXPECT_EQ(t.entries().size(), 68u);  // update with config.hpp
}

// A value of the entry's type that differs from `current`.
std::string other_value(const OptionEntry& e, const std::string& current) {
  if (e.type == "bool") return current == "true" ? "false" : "true";
  if (e.type == "string") return current + "_changed";
  if (e.type == "float") return current == "0.125" ? "0.25" : "0.125";
  return current == "3" ? "5" : "3";
}

TEST(TrainOptionTable, EachOptionBindsItsOwnFieldOfTheConfig) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  const auto& entries = t.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    std::vector<std::string> before;
    for (const OptionEntry& e : entries) before.push_back(e.get());
    const std::string v = other_value(entries[i], before[i]);
    entries[i].set(v, "test");
    EXPECT_EQ(entries[i].get(), v) << entries[i].name;
    for (size_t j = 0; j < entries.size(); ++j) {
      if (j != i) {
        EXPECT_EQ(entries[j].get(), before[j]) << entries[i].name << " also changed " << entries[j].name;
      }
    }
  }
  // Every value lives in `cfg` itself: a table over a copy reads the same values.
  TrainConfig copy = cfg;
  OptionTable tc = train_option_table(copy);
  TrainConfig defaults;
  OptionTable td = train_option_table(defaults);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(tc.entries()[i].get(), entries[i].get()) << entries[i].name;
    EXPECT_NE(td.entries()[i].get(), entries[i].get()) << entries[i].name << " did not move away from its default";
  }
}

TEST(TrainOptionTable, NamesTypesHelpAndDefaults) {
  TrainConfig cfg;
  OptionTable t = train_option_table(cfg);
  const std::set<std::string> types = {"int", "uint", "float", "bool", "string"};
  std::set<std::string> names;
  for (const OptionEntry& e : t.entries()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_TRUE(types.count(e.type)) << e.name << ": " << e.type;
    EXPECT_GE(e.help.size(), 10u) << e.name << " has no real help";
    EXPECT_EQ(e.default_value, e.get()) << e.name;
  }
  EXPECT_EQ(t.entries().front().name, "model.type");
  EXPECT_EQ(t.entries().back().name, "train.on_nan");
}

}  // namespace
}  // namespace attend::train
