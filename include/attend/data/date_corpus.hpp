// Date-normalization corpus: human-written dates ("24 Nov 2026", "November 24th, 2026", "11/24/26",
// "mardi 24 novembre 2026", "24 de noviembre de 2026") paired with their ISO 8601 form "2026-11-24", the character
// seq2seq task of `attend demo` (the classic attention demo; cf. Bahdanau et al. 2015 for the model it trains).
//
// Dates are uniform over 1950-01-01 .. 2049-12-31 (36,525 days); two-digit years map into that window (50-99 ->
// 19xx, 00-49 -> 20xx), so every source denotes exactly one date. The formats (date_format_pattern) cover numeric
// orders with various separators (US m/d only with '/', European d.m with '.' or '-', year-first ISO-like), English
// month names full, abbreviated, upper and lower case, English ordinals, English weekdays (always the right one),
// French ("mardi 1er décembre 2026") and Spanish ("martes, 24 de noviembre de 2026"). Sources are valid UTF-8.
// For each example the spans of the day, month and year fields are recorded in code points of the source (the unit
// of a character tokenizer); a weekday is not a field. Example i depends only on (seed, i): Philox stream 0, words
// [4i, 4i + 4), so the corpus is the same on every machine and a shorter corpus is a prefix of a longer one.
//
// Usage:
//   auto examples = generate_dates(/*seed=*/2026, 50000);   // [0]: "10/18/89" -> "1989-10-18"
//   DateExample e = format_date({2026, 11, 24}, 4);         // "Tuesday, 24 November 2026"
//   // e.spans.field: day {9, 11} ("24"), month {12, 20} ("November"), year {21, 25} ("2026")
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attend::data {

/// Character spans [begin, end) in code points of the source where each field of the date is written.
struct DateSpans {
  std::array<std::pair<int64_t, int64_t>, 3> field;  ///< 0 day, 1 month, 2 year
};

struct DateExample {
  std::string source;  ///< the human form, UTF-8
  std::string target;  ///< ISO "YYYY-MM-DD"
  DateSpans spans;
  int format = 0;      ///< index into the format table, [0, date_format_count())
};

/// A proleptic Gregorian calendar date.
struct CalendarDate {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
};

inline constexpr CalendarDate kFirstDate = {1950, 1, 1};
inline constexpr CalendarDate kLastDate = {2049, 12, 31};

/// `count` examples from `seed`, deterministic on every machine (Philox, not std:: distributions): the date uniform
/// in [kFirstDate, kLastDate], the format uniform over the table. Throws when count is negative.
std::vector<DateExample> generate_dates(uint64_t seed, int64_t count);

/// `date` written in format `format`. Throws naming the argument when the format is out of range, the date is not a
/// valid calendar date, or it lies outside [kFirstDate, kLastDate] (two-digit years could not denote it).
DateExample format_date(CalendarDate date, int format);

/// Number of formats.
int date_format_count();
/// The pattern of a format, e.g. "{Weekday}, {d} {Month} {yyyy}" (placeholders: {d} {dd} {dth} {d_fr}, {m} {mm}
/// {Month} {month} {MONTH} {Mon} {mon} {MON} {mois} {mois_abr} {mes} {mes_abr}, {yyyy} {yy}, weekdays {Weekday} {Wkd}
/// {WEEKDAY} {jour} {dia}). Throws when the format is out of range.
const char* date_format_pattern(int format);

/// Day of the week of `date`: 0 Monday .. 6 Sunday (as Python's date.weekday()).
int day_of_week(CalendarDate date);
/// Days since 1970-01-01 (negative before), and its inverse.
int64_t days_from_civil(CalendarDate date);
CalendarDate civil_from_days(int64_t days);

}  // namespace attend::data
