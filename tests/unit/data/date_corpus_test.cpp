// Date corpus: calendar arithmetic against known dates, the reference generator's formats verbatim, spans that point
// at the fields, correct weekdays in three languages, valid UTF-8, determinism.
#include "attend/data/date_corpus.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <set>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace attend::data {
namespace {

using attend::testing::error_of;
using ::testing::HasSubstr;

// Byte offset where each code point starts, plus the end; empty when `s` is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid).
std::vector<size_t> utf8_boundaries(const std::string& s) {
  std::vector<size_t> at;
  for (size_t i = 0; i < s.size();) {
    at.push_back(i);
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return {};
    uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return {};
      cp = (cp << 6) | (c & 0x3F);
    }
    const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
    i += n;
  }
  at.push_back(s.size());
  return at;
}

// The text of code points [begin, end) of `s`.
std::string code_point_slice(const std::string& s, std::pair<int64_t, int64_t> span) {
  const auto at = utf8_boundaries(s);
  return s.substr(at[static_cast<size_t>(span.first)], at[static_cast<size_t>(span.second)] -
                                                           at[static_cast<size_t>(span.first)]);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Tomohiko Sakamoto's weekday formula (independent of the library's day counting): 0 Monday .. 6 Sunday.
int sakamoto_weekday(int y, int m, int d) {
  constexpr int kT[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  if (m < 3) y -= 1;
  const int sunday0 = (y + y / 4 - y / 100 + y / 400 + kT[m - 1] + d) % 7;
  return (sunday0 + 6) % 7;
}

// Every name a month may be written with in the corpus (lower case, no trailing period), English/French/Spanish.
const std::vector<std::vector<std::string>> kMonthNames = {
    {"january", "janvier", "enero"},      {"february", "février", "febrero"}, {"march", "mars", "marzo"},
    {"april", "avril", "abril"},          {"may", "mai", "mayo"},             {"june", "juin", "junio"},
    {"july", "juillet", "julio"},         {"august", "août", "agosto"},       {"september", "septembre", "septiembre"},
    {"october", "octobre", "octubre"},    {"november", "novembre", "noviembre"},
    {"december", "décembre", "diciembre"}};

// Months (1-based) of which `text` (ASCII-lowered, trailing '.' dropped, at least 3 bytes) is a prefix of a name.
std::set<int> months_named(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (!text.empty() && text.back() == '.') text.pop_back();
  std::set<int> out;
  if (text.size() < 3) return out;
  for (size_t m = 0; m < kMonthNames.size(); ++m) {
    for (const auto& name : kMonthNames[m]) {
      if (name.compare(0, text.size(), text) == 0) out.insert(static_cast<int>(m) + 1);
    }
  }
  return out;
}

std::string english_suffix(int d) {
  if (d % 100 >= 11 && d % 100 <= 13) return "th";
  return d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
}

// Checks everything an example promises: ISO target in range, valid UTF-8, spans on the fields, the right weekday.
void expect_consistent(const DateExample& e) {
  SCOPED_TRACE("format " + std::to_string(e.format) + ": \"" + e.source + "\" -> " + e.target);
  ASSERT_EQ(e.target.size(), 10u);
  ASSERT_TRUE(all_digits(e.target.substr(0, 4)) && e.target[4] == '-' && all_digits(e.target.substr(5, 2)) &&
              e.target[7] == '-' && all_digits(e.target.substr(8, 2)));
  const int year = std::stoi(e.target.substr(0, 4)), month = std::stoi(e.target.substr(5, 2)),
            day = std::stoi(e.target.substr(8, 2));
  ASSERT_GE(year, 1950);
  ASSERT_LE(year, 2049);
  ASSERT_GE(month, 1);
  ASSERT_LE(month, 12);
  const int month_days[] = {31, (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28, 31, 30, 31, 30,
                            31, 31, 30, 31, 30, 31};
  ASSERT_GE(day, 1);
  ASSERT_LE(day, month_days[month - 1]);

  const auto bounds = utf8_boundaries(e.source);
  ASSERT_FALSE(bounds.empty()) << "invalid UTF-8";
  const auto length = static_cast<int64_t>(bounds.size()) - 1;
  std::vector<bool> in_field(static_cast<size_t>(length), false);
  for (const auto& [begin, end] : e.spans.field) {
    ASSERT_LE(0, begin);
    ASSERT_LT(begin, end);
    ASSERT_LE(end, length);
    for (int64_t k = begin; k < end; ++k) {
      ASSERT_FALSE(in_field[static_cast<size_t>(k)]) << "fields overlap at code point " << k;
      in_field[static_cast<size_t>(k)] = true;
    }
  }
  // Every digit of the source lies inside a field: nothing numeric is left outside the spans.
  for (int64_t k = 0; k < length; ++k) {
    const char c = e.source[bounds[static_cast<size_t>(k)]];
    if (c >= '0' && c <= '9') {
      EXPECT_TRUE(in_field[static_cast<size_t>(k)]) << "digit outside fields at " << k;
    }
  }

  // Day: the number, optionally with its ordinal suffix (English, or the French "1er").
  const std::string day_text = code_point_slice(e.source, e.spans.field[0]);
  size_t digits = 0;
  while (digits < day_text.size() && std::isdigit(static_cast<unsigned char>(day_text[digits]))) ++digits;
  ASSERT_GT(digits, 0u) << "day span \"" << day_text << "\"";
  EXPECT_EQ(std::stoi(day_text.substr(0, digits)), day) << "day span \"" << day_text << "\"";
  const std::string suffix = day_text.substr(digits);
  EXPECT_TRUE(suffix.empty() || suffix == english_suffix(day) || (suffix == "er" && day == 1))
      << "day span \"" << day_text << "\"";

  // Month: its number, or a name (or abbreviation) that names this month and no other.
  const std::string month_text = code_point_slice(e.source, e.spans.field[1]);
  if (all_digits(month_text)) {
    EXPECT_EQ(std::stoi(month_text), month) << "month span \"" << month_text << "\"";
  } else {
    EXPECT_EQ(months_named(month_text), std::set<int>{month}) << "month span \"" << month_text << "\"";
  }

  // Year: four digits, or its last two.
  const std::string year_text = code_point_slice(e.source, e.spans.field[2]);
  ASSERT_TRUE(all_digits(year_text)) << "year span \"" << year_text << "\"";
  ASSERT_TRUE(year_text.size() == 4 || year_text.size() == 2) << "year span \"" << year_text << "\"";
  EXPECT_EQ(std::stoi(year_text), year_text.size() == 4 ? year : year % 100);

  // A weekday, when written, is the right one: it precedes the fields in every format that has one.
  const std::string pattern = date_format_pattern(e.format);
  const int64_t first_field = std::min({e.spans.field[0].first, e.spans.field[1].first, e.spans.field[2].first});
  const std::string before = e.source.substr(0, bounds[static_cast<size_t>(first_field)]);
  const int w = sakamoto_weekday(year, month, day);
  const char* english[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
  const char* english_upper[] = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"};
  const char* french[] = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"};
  const char* spanish[] = {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"};
  const std::pair<const char*, std::string> written[] = {{"{Weekday}", english[w]},
                                                          {"{Wkd}", std::string(english[w], 3)},
                                                          {"{WEEKDAY}", english_upper[w]},
                                                          {"{jour}", french[w]},
                                                          {"{dia}", spanish[w]}};
  for (const auto& [placeholder, name] : written) {
    if (pattern.find(placeholder) != std::string::npos) {
      EXPECT_THAT(before, HasSubstr(name)) << placeholder;
    }
  }
}

TEST(DateCorpus, CalendarArithmeticMatchesKnownDates) {
  // Weekdays from Python's datetime.date(...).weekday().
  EXPECT_EQ(day_of_week({2026, 11, 24}), 1);  // a Tuesday
  EXPECT_EQ(day_of_week({1970, 1, 1}), 3);
  EXPECT_EQ(day_of_week({2000, 1, 1}), 5);
  EXPECT_EQ(day_of_week({1950, 1, 1}), 6);
  EXPECT_EQ(day_of_week({2049, 12, 31}), 4);
  EXPECT_EQ(day_of_week({2000, 2, 29}), 1);
  EXPECT_EQ(day_of_week({1966, 8, 1}), 0);
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({2049, 12, 31}) - days_from_civil({1950, 1, 1}) + 1, 36525);  // 100 years, 25 leap days
  // Walking day by day through the window: round trip, consecutive dates, weekdays as Sakamoto's formula.
  CalendarDate prev = civil_from_days(days_from_civil(kFirstDate) - 1);
  EXPECT_EQ(prev.year, 1949);
  for (int64_t d = days_from_civil(kFirstDate); d <= days_from_civil(kLastDate); ++d) {
    const CalendarDate t = civil_from_days(d);
    ASSERT_EQ(days_from_civil(t), d);
    const bool next_day = t.year == prev.year && t.month == prev.month && t.day == prev.day + 1;
    const bool next_month = t.year == prev.year && t.month == prev.month + 1 && t.day == 1;
    const bool next_year = t.year == prev.year + 1 && t.month == 1 && t.day == 1 && prev.month == 12;
    ASSERT_TRUE(next_day || next_month || next_year) << t.year << "-" << t.month << "-" << t.day;
    ASSERT_EQ(day_of_week(t), sakamoto_weekday(t.year, t.month, t.day));
    prev = t;
  }
  EXPECT_EQ(prev.year, 2049);
}

TEST(DateCorpus, ReferenceFormatsAreTheAnchorsVerbatim) {
  // The FORMATS of the PyTorch anchor (date_demo.py), evaluated there for these dates.
  const std::vector<std::pair<CalendarDate, std::vector<std::string>>> expected = {
      {{2026, 11, 24},
       {"24 Nov 2026", "November 24th, 2026", "11/24/26", "11/24/2026", "Tuesday, 24 November 2026",
        "24 novembre 2026", "24 de noviembre de 2026", "24.11.2026", "NOV 24 2026", "2026/11/24", "Tue Nov 24 2026",
        "the 24th of November, 2026"}},
      {{1966, 8, 1},
       {"1 Aug 1966", "August 1st, 1966", "08/01/66", "8/1/1966", "Monday, 1 August 1966", "1 août 1966",
        "1 de agosto de 1966", "01.08.1966", "AUG 01 1966", "1966/08/01", "Mon Aug 1 1966",
        "the 1st of August, 1966"}},
      {{2000, 2, 29},
       {"29 Feb 2000", "February 29th, 2000", "02/29/00", "2/29/2000", "Tuesday, 29 February 2000", "29 février 2000",
        "29 de febrero de 2000", "29.02.2000", "FEB 29 2000", "2000/02/29", "Tue Feb 29 2000",
        "the 29th of February, 2000"}},
      {{2012, 12, 3},
       {"3 Dec 2012", "December 3rd, 2012", "12/03/12", "12/3/2012", "Monday, 3 December 2012", "3 décembre 2012",
        "3 de diciembre de 2012", "03.12.2012", "DEC 03 2012", "2012/12/03", "Mon Dec 3 2012",
        "the 3rd of December, 2012"}},
  };
  for (const auto& [date, sources] : expected) {
    for (size_t f = 0; f < sources.size(); ++f) {
      const DateExample e = format_date(date, static_cast<int>(f));
      EXPECT_EQ(e.source, sources[f]) << "format " << f;
      expect_consistent(e);
    }
  }
}

TEST(DateCorpus, EveryFormatRendersAsDocumented) {
  ASSERT_GE(date_format_count(), 24);
  const std::vector<std::string> tuesday = {
      "24 Nov 2026", "November 24th, 2026", "11/24/26", "11/24/2026", "Tuesday, 24 November 2026",
      "24 novembre 2026", "24 de noviembre de 2026", "24.11.2026", "NOV 24 2026", "2026/11/24", "Tue Nov 24 2026",
      "the 24th of November, 2026", "11/24/2026", "11/24/26", "24.11.26", "24-11-2026", "2026-11-24", "2026.11.24",
      "20261124", "November 24, 2026", "24 November 2026", "november 24 2026", "NOVEMBER 24, 2026", "24-Nov-2026",
      "nov 24, '26", "24th November 2026", "Tuesday, November 24th, 2026", "Tue, 24 Nov 2026",
      "TUESDAY 24 NOV 2026", "mardi 24 novembre 2026", "le 24 novembre 2026", "24 nov. 2026",
      "martes, 24 de noviembre de 2026", "24 nov 2026"};
  ASSERT_EQ(static_cast<int>(tuesday.size()), date_format_count());
  for (int f = 0; f < date_format_count(); ++f) {
    const DateExample e = format_date({2026, 11, 24}, f);
    EXPECT_EQ(e.source, tuesday[static_cast<size_t>(f)]) << "format " << f << " " << date_format_pattern(f);
    EXPECT_EQ(e.target, "2026-11-24");
    EXPECT_EQ(e.format, f);
    expect_consistent(e);
  }
  // The non-ASCII and special cases: "1er", accented months and weekdays, code-point (not byte) spans.
  const DateExample fr = format_date({2026, 3, 1}, 29);
  EXPECT_EQ(fr.source, "dimanche 1er mars 2026");
  EXPECT_EQ(fr.spans.field[0], std::make_pair(int64_t{9}, int64_t{12}));
  const DateExample aout = format_date({1999, 8, 1}, 30);
  EXPECT_EQ(aout.source, "le 1er août 1999");
  EXPECT_EQ(aout.spans.field[1], std::make_pair(int64_t{7}, int64_t{11}));   // "août": 4 code points, 5 bytes
  EXPECT_EQ(aout.spans.field[2], std::make_pair(int64_t{12}, int64_t{16}));  // after it, in code points
  EXPECT_EQ(format_date({2049, 12, 15}, 31).source, "15 déc. 2049");
  EXPECT_EQ(format_date({1950, 2, 3}, 31).source, "3 févr. 1950");
  EXPECT_EQ(format_date({2025, 12, 31}, 32).source, "miércoles, 31 de diciembre de 2025");
  EXPECT_EQ(format_date({1950, 1, 7}, 32).source, "sábado, 7 de enero de 1950");
  EXPECT_EQ(format_date({2011, 11, 11}, 25).source, "11th November 2011");
  EXPECT_EQ(format_date({2022, 1, 22}, 1).source, "January 22nd, 2022");
  EXPECT_EQ(format_date({2049, 5, 5}, 24).source, "may 5, '49");
  EXPECT_EQ(format_date({1950, 5, 5}, 13).source, "5/5/50");
  EXPECT_EQ(format_date({2004, 8, 9}, 33).source, "9 ago 2004");
  for (int f = 0; f < date_format_count(); ++f) {
    for (const CalendarDate t : {CalendarDate{1950, 1, 1}, CalendarDate{2049, 12, 31}, CalendarDate{1999, 8, 1},
                                 CalendarDate{2000, 2, 29}, CalendarDate{2013, 9, 13}, CalendarDate{2021, 10, 22}}) {
      expect_consistent(format_date(t, f));
    }
  }
}

TEST(DateCorpus, GeneratedCorpusIsConsistentAndCoversEveryFormat) {
  const auto examples = generate_dates(7, 6000);
  ASSERT_EQ(examples.size(), 6000u);
  std::vector<int> per_format(static_cast<size_t>(date_format_count()), 0);
  std::vector<int> per_decade(10, 0);
  std::set<std::string> targets;
  for (const auto& e : examples) {
    ASSERT_GE(e.format, 0);
    ASSERT_LT(e.format, date_format_count());
    ++per_format[static_cast<size_t>(e.format)];
    expect_consistent(e);
    if (::testing::Test::HasFailure()) return;
    ++per_decade[static_cast<size_t>((std::stoi(e.target.substr(0, 4)) - 1950) / 10)];
    targets.insert(e.target);
    // The source is the example's date in its format: the generator adds nothing of its own.
    const CalendarDate t{std::stoi(e.target.substr(0, 4)), std::stoi(e.target.substr(5, 2)),
                         std::stoi(e.target.substr(8, 2))};
    EXPECT_EQ(format_date(t, e.format).source, e.source);
  }
  const double expected_per_format = 6000.0 / date_format_count();  // ~176
  for (int f = 0; f < date_format_count(); ++f) {
    EXPECT_GT(per_format[static_cast<size_t>(f)], 0.6 * expected_per_format) << "format " << f;
    EXPECT_LT(per_format[static_cast<size_t>(f)], 1.4 * expected_per_format) << "format " << f;
  }
  for (int d = 0; d < 10; ++d) {
    EXPECT_GT(per_decade[static_cast<size_t>(d)], 480) << "decade " << 1950 + 10 * d;  // 600 expected
    EXPECT_LT(per_decade[static_cast<size_t>(d)], 720) << "decade " << 1950 + 10 * d;
  }
  EXPECT_GT(targets.size(), 5400u);  // 6000 draws from 36,525 days: ~5,530 distinct
}

// A source never denotes two dates (no d/m vs m/d, two-digit year or language clash), so a model can reach 100%.
// Every day of the years whose two digits can pass for a day or month (2000-2012, 2031) and of the edge years, in
// every format (a full sweep of the window, 1.2M sources, also finds none).
TEST(DateCorpus, NoSourceDenotesTwoDates) {
  std::unordered_map<std::string, std::string> target_of;
  for (const int year : {1950, 1999, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 2007, 2008, 2009, 2010, 2011, 2012,
                         2031, 2049}) {
    for (int64_t d = days_from_civil({year, 1, 1}); d <= days_from_civil({year, 12, 31}); ++d) {
      for (int f = 0; f < date_format_count(); ++f) {
        DateExample e = format_date(civil_from_days(d), f);
        const auto [it, inserted] = target_of.emplace(std::move(e.source), e.target);
        ASSERT_TRUE(inserted || it->second == e.target) << "\"" << it->first << "\" is " << it->second << " and "
                                                        << e.target;
      }
    }
  }
  EXPECT_GT(target_of.size(), 170000u);
}

TEST(DateCorpus, DeterministicFromTheSeedAndPrefixStable) {
  const auto a = generate_dates(123, 300);
  const auto b = generate_dates(123, 300);
  const auto prefix = generate_dates(123, 40);
  const auto other = generate_dates(124, 300);
  int same_as_other = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].source, b[i].source);
    EXPECT_EQ(a[i].target, b[i].target);
    EXPECT_EQ(a[i].spans.field, b[i].spans.field);
    if (i < prefix.size()) {
      EXPECT_EQ(a[i].source, prefix[i].source);
    }
    same_as_other += a[i].source == other[i].source;
  }
  EXPECT_LT(same_as_other, 3);
  EXPECT_TRUE(generate_dates(123, 0).empty());
  // Pinned: the same on every machine (Philox words and the format table, no std:: distribution).
  const auto pinned = generate_dates(2026, 3);
  const std::vector<std::string> expected_sources = {"10/18/89", "Thursday, July 20th, 1961", "September 24th, 2021"};
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(pinned[i].source, expected_sources[i]) << "example " << i;
}

TEST(DateCorpus, BadArgumentsAreErrorsNamingThem) {
  EXPECT_THAT(error_of([] { generate_dates(1, -5); }), HasSubstr("generate_dates: count must be non-negative, got -5"));
  EXPECT_THAT(error_of([] { format_date({2026, 11, 24}, -1); }), HasSubstr("format_date: format must be in [0, "));
  EXPECT_THAT(error_of([] { format_date({2026, 11, 24}, date_format_count()); }),
              HasSubstr("got " + std::to_string(date_format_count())));
  EXPECT_THAT(error_of([] { date_format_pattern(99); }), HasSubstr("date_format_pattern: format must be in"));
  EXPECT_THAT(error_of([] { format_date({2026, 2, 29}, 0); }),
              HasSubstr("format_date: 2026-02-29 is not a calendar date"));
  EXPECT_THAT(error_of([] { format_date({2026, 13, 1}, 0); }), HasSubstr("2026-13-01 is not a calendar date"));
  EXPECT_THAT(error_of([] { format_date({1949, 12, 31}, 2); }),
              HasSubstr("format_date: 1949-12-31 is outside 1950-01-01 .. 2049-12-31"));
  EXPECT_THAT(error_of([] { format_date({2050, 1, 1}, 2); }), HasSubstr("2050-01-01 is outside"));
}

}  // namespace
}  // namespace attend::data
