// Date corpus: a table of format patterns, a renderer that records field spans, Hinnant's civil-date arithmetic.
#include "attend/data/date_corpus.hpp"

#include <fmt/format.h>

#include <string_view>

#include "attend/core/error.hpp"
#include "attend/core/rng.hpp"

namespace attend::data {

namespace {

// The first twelve are the reference generator's formats (the PyTorch anchor of the demo), in its order.
constexpr const char* kFormats[] = {
    "{d} {Mon} {yyyy}",                  // 24 Nov 2026
    "{Month} {dth}, {yyyy}",             // November 24th, 2026
    "{mm}/{dd}/{yy}",                    // 11/24/26
    "{m}/{d}/{yyyy}",                    // 11/24/2026
    "{Weekday}, {d} {Month} {yyyy}",     // Tuesday, 24 November 2026
    "{d} {mois} {yyyy}",                 // 24 novembre 2026
    "{d} de {mes} de {yyyy}",            // 24 de noviembre de 2026
    "{dd}.{mm}.{yyyy}",                  // 24.11.2026
    "{MON} {dd} {yyyy}",                 // NOV 24 2026
    "{yyyy}/{mm}/{dd}",                  // 2026/11/24
    "{Wkd} {Mon} {d} {yyyy}",            // Tue Nov 24 2026
    "the {dth} of {Month}, {yyyy}",      // the 24th of November, 2026
    "{mm}/{dd}/{yyyy}",                  // 11/24/2026
    "{m}/{d}/{yy}",                      // 11/24/26
    "{d}.{m}.{yy}",                      // 24.11.26
    "{dd}-{mm}-{yyyy}",                  // 24-11-2026
    "{yyyy}-{mm}-{dd}",                  // 2026-11-24
    "{yyyy}.{m}.{d}",                    // 2026.11.24
    "{yyyy}{mm}{dd}",                    // 20261124
    "{Month} {d}, {yyyy}",               // November 24, 2026
    "{d} {Month} {yyyy}",                // 24 November 2026
    "{month} {d} {yyyy}",                // november 24 2026
    "{MONTH} {d}, {yyyy}",               // NOVEMBER 24, 2026
    "{dd}-{Mon}-{yyyy}",                 // 24-Nov-2026
    "{mon} {d}, '{yy}",                  // nov 24, '26
    "{dth} {Month} {yyyy}",              // 24th November 2026
    "{Weekday}, {Month} {dth}, {yyyy}",  // Tuesday, November 24th, 2026
    "{Wkd}, {d} {Mon} {yyyy}",           // Tue, 24 Nov 2026
    "{WEEKDAY} {dd} {MON} {yyyy}",       // TUESDAY 24 NOV 2026
    "{jour} {d_fr} {mois} {yyyy}",       // mardi 24 novembre 2026, dimanche 1er mars 2026
    "le {d_fr} {mois} {yyyy}",           // le 1er août 2026
    "{d_fr} {mois_abr} {yyyy}",          // 24 nov. 2026, 3 févr. 2026
    "{dia}, {d} de {mes} de {yyyy}",     // martes, 24 de noviembre de 2026
    "{d} {mes_abr} {yyyy}",              // 24 nov 2026, 5 ago 2026
};
constexpr int kFormatCount = static_cast<int>(sizeof(kFormats) / sizeof(kFormats[0]));

constexpr const char* kEnglishMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kEnglishMonthsUpper[] = {"JANUARY", "FEBRUARY", "MARCH",     "APRIL",   "MAY",      "JUNE",
                                               "JULY",    "AUGUST",   "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"};
constexpr const char* kEnglishMonthsLower[] = {"january", "february", "march",     "april",   "may",      "june",
                                               "july",    "august",   "september", "october", "november", "december"};
constexpr const char* kFrenchMonths[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                         "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
constexpr const char* kFrenchMonthsShort[] = {"janv.", "févr.", "mars",  "avr.", "mai",  "juin",
                                              "juil.", "août",  "sept.", "oct.", "nov.", "déc."};
constexpr const char* kSpanishMonths[] = {"enero", "febrero", "marzo",      "abril",   "mayo",      "junio",
                                          "julio", "agosto",  "septiembre", "octubre", "noviembre", "diciembre"};
constexpr const char* kSpanishMonthsShort[] = {"ene", "feb", "mar", "abr", "may", "jun",
                                               "jul", "ago", "sep", "oct", "nov", "dic"};
constexpr const char* kEnglishWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                            "Sunday"};
constexpr const char* kEnglishWeekdaysUpper[] = {"MONDAY", "TUESDAY",  "WEDNESDAY", "THURSDAY",
                                                 "FRIDAY", "SATURDAY", "SUNDAY"};
constexpr const char* kFrenchWeekdays[] = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"};
constexpr const char* kSpanishWeekdays[] = {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"};

constexpr int kDay = 0, kMonth = 1, kYear = 2, kNoField = -1;

std::string english_ordinal(int d) {
  const int mod100 = d % 100;
  const char* suffix = "th";
  if (mod100 < 11 || mod100 > 13) {
    if (d % 10 == 1) suffix = "st";
    if (d % 10 == 2) suffix = "nd";
    if (d % 10 == 3) suffix = "rd";
  }
  return fmt::format("{}{}", d, suffix);
}

// The text of one placeholder and the field it writes (kNoField for a weekday).
std::pair<std::string, int> placeholder(std::string_view name, const CalendarDate& t, int weekday) {
  const int m = t.month - 1;
  if (name == "d") return {fmt::format("{}", t.day), kDay};
  if (name == "dd") return {fmt::format("{:02d}", t.day), kDay};
  if (name == "dth") return {english_ordinal(t.day), kDay};
  if (name == "d_fr") return {t.day == 1 ? std::string("1er") : fmt::format("{}", t.day), kDay};
  if (name == "m") return {fmt::format("{}", t.month), kMonth};
  if (name == "mm") return {fmt::format("{:02d}", t.month), kMonth};
  if (name == "Month") return {kEnglishMonths[m], kMonth};
  if (name == "month") return {kEnglishMonthsLower[m], kMonth};
  if (name == "MONTH") return {kEnglishMonthsUpper[m], kMonth};
  if (name == "Mon") return {std::string(kEnglishMonths[m], 3), kMonth};
  if (name == "mon") return {std::string(kEnglishMonthsLower[m], 3), kMonth};
  if (name == "MON") return {std::string(kEnglishMonthsUpper[m], 3), kMonth};
  if (name == "mois") return {kFrenchMonths[m], kMonth};
  if (name == "mois_abr") return {kFrenchMonthsShort[m], kMonth};
  if (name == "mes") return {kSpanishMonths[m], kMonth};
  if (name == "mes_abr") return {kSpanishMonthsShort[m], kMonth};
  if (name == "yyyy") return {fmt::format("{}", t.year), kYear};
  if (name == "yy") return {fmt::format("{:02d}", t.year % 100), kYear};
  if (name == "Weekday") return {kEnglishWeekdays[weekday], kNoField};
  if (name == "Wkd") return {std::string(kEnglishWeekdays[weekday], 3), kNoField};
  if (name == "WEEKDAY") return {kEnglishWeekdaysUpper[weekday], kNoField};
  if (name == "jour") return {kFrenchWeekdays[weekday], kNoField};
  if (name == "dia") return {kSpanishWeekdays[weekday], kNoField};
  ATTEND_ASSERT(false, "date_corpus: unknown placeholder {{{}}}", name);
  return {};
}

// Code points of UTF-8 text: every byte that is not a continuation byte (10xxxxxx) starts one.
int64_t code_points(std::string_view s) {
  int64_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

void check_format(const char* op, int format) {
  ATTEND_CHECK(format >= 0 && format < kFormatCount, "{}: format must be in [0, {}), got {}", op, kFormatCount,
               format);
}

}  // namespace

int64_t days_from_civil(CalendarDate date) {
  const int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                                             // [0, 399]
  const int64_t doy = (153 * (date.month > 2 ? date.month - 3 : date.month + 9) + 2) / 5 + date.day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                                     // [0, 146096]
  return era * 146097 + doe - 719468;
}

CalendarDate civil_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
}

int day_of_week(CalendarDate date) {
  const int64_t days = days_from_civil(date);  // 1970-01-01 was a Thursday (3)
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}

int date_format_count() { return kFormatCount; }

const char* date_format_pattern(int format) {
  check_format("date_format_pattern", format);
  return kFormats[format];
}

DateExample format_date(CalendarDate date, int format) {
  check_format("format_date", format);
  ATTEND_CHECK(date.month >= 1 && date.month <= 12 && date.day >= 1 &&
                   date.day <= days_in_month(date.year, date.month),
               "format_date: {:04d}-{:02d}-{:02d} is not a calendar date", date.year, date.month, date.day);
  const int64_t days = days_from_civil(date);
  ATTEND_CHECK(days >= days_from_civil(kFirstDate) && days <= days_from_civil(kLastDate),
               "format_date: {:04d}-{:02d}-{:02d} is outside 1950-01-01 .. 2049-12-31 (the window of two-digit years)",
               date.year, date.month, date.day);
  const int weekday = day_of_week(date);
  DateExample e;
  e.format = format;
  e.target = fmt::format("{:04d}-{:02d}-{:02d}", date.year, date.month, date.day);
  int64_t at = 0;  // code points written so far
  const std::string_view pattern = kFormats[format];
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '{') {
      const size_t next = pattern.find('{', i);
      const std::string_view literal = pattern.substr(i, next == std::string_view::npos ? next : next - i);
      e.source += literal;
      at += code_points(literal);
      i += literal.size();
      continue;
    }
    const size_t close = pattern.find('}', i);
    ATTEND_ASSERT(close != std::string_view::npos, "date_corpus: unclosed placeholder in {}", pattern);
    const auto [text, field] = placeholder(pattern.substr(i + 1, close - i - 1), date, weekday);
    const int64_t n = code_points(text);
    if (field != kNoField) e.spans.field[static_cast<size_t>(field)] = {at, at + n};
    e.source += text;
    at += n;
    i = close + 1;
  }
  return e;
}

std::vector<DateExample> generate_dates(uint64_t seed, int64_t count) {
  ATTEND_CHECK(count >= 0, "generate_dates: count must be non-negative, got {}", count);
  const int64_t first = days_from_civil(kFirstDate);
  const uint64_t span = static_cast<uint64_t>(days_from_civil(kLastDate) - first + 1);
  std::vector<DateExample> out;
  out.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    Rng rng(seed, /*stream=*/0, /*offset=*/4 * static_cast<uint64_t>(i));  // example i: words [4i, 4i + 4)
    const int64_t day = first + static_cast<int64_t>(rng.next_below(span));
    const int format = static_cast<int>(rng.next_below(static_cast<uint64_t>(kFormatCount)));
    out.push_back(format_date(civil_from_days(day), format));
  }
  return out;
}

}  // namespace attend::data
