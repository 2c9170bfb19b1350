// TZif parsing (RFC 8536) and POSIX TZ rules for local-time conversion.
#include "policies/time_zone.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dynserv {

namespace {

constexpr int64_t seconds_per_day = 86400;

/// Floor division for possibly negative numerators.
int64_t floor_div(int64_t a, int64_t b) {
  auto q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/// 0 = Sunday.
int weekday_of(int64_t days) {
  auto wd = (days + 4) % 7; // 1970-01-01 was a Thursday
  return static_cast<int>(wd < 0 ? wd + 7 : wd);
}

// -- POSIX TZ strings ---------------------------------------------------------

class tz_parser {
public:
  explicit tz_parser(std::string_view str) : str_(str) {
    // nop
  }

  std::optional<posix_tz_rule> run() {
    posix_tz_rule rule;
    if (!name())
      return std::nullopt;
    auto std_off = offset();
    if (!std_off)
      return std::nullopt;
    rule.std_offset_s = -*std_off; // POSIX offsets are west positive
    if (done())
      return rule;
    if (!name())
      return std::nullopt;
    rule.has_dst = true;
    rule.dst_offset_s = rule.std_offset_s + 3600;
    if (!done() && peek() != ',') {
      auto dst_off = offset();
      if (!dst_off)
        return std::nullopt;
      rule.dst_offset_s = -*dst_off;
    }
    // Without rules POSIX leaves them to the implementation; the usual
    // default is the US rule.
    if (done()) {
      rule.start = {'M', 3, 2, 0, 7200};
      rule.end = {'M', 11, 1, 0, 7200};
      return rule;
    }
    if (!eat(',') || !date(rule.start) || !eat(',') || !date(rule.end)
        || !done())
      return std::nullopt;
    return rule;
  }

private:
  bool done() const {
    return pos_ >= str_.size();
  }

  char peek() const {
    return done() ? '\0' : str_[pos_];
  }

  bool eat(char c) {
    if (peek() != c)
      return false;
    ++pos_;
    return true;
  }

  bool name() {
    if (eat('<')) {
      auto close = str_.find('>', pos_);
      if (close == std::string_view::npos || close - pos_ < 3)
        return false;
      pos_ = close + 1;
      return true;
    }
    auto first = pos_;
    while (
      !done()
      && ((peek() >= 'a' && peek() <= 'z') || (peek() >= 'A' && peek() <= 'Z')))
      ++pos_;
    return pos_ - first >= 3;
  }

  std::optional<int64_t> number(int max_digits) {
    auto first = pos_;
    int64_t x = 0;
    while (!done() && peek() >= '0' && peek() <= '9'
           && static_cast<int>(pos_ - first) < max_digits)
      x = x * 10 + (str_[pos_++] - '0');
    if (pos_ == first)
      return std::nullopt;
    return x;
  }

  /// [+-]hh[:mm[:ss]] in seconds.
  std::optional<int32_t> offset() {
    int sign = 1;
    if (eat('-'))
      sign = -1;
    else
      eat('+');
    auto h = number(3);
    if (!h || *h > 167)
      return std::nullopt;
    int64_t total = *h * 3600;
    if (eat(':')) {
      auto m = number(2);
      if (!m || *m > 59)
        return std::nullopt;
      total += *m * 60;
      if (eat(':')) {
        auto s = number(2);
        if (!s || *s > 59)
          return std::nullopt;
        total += *s;
      }
    }
    return static_cast<int32_t>(sign * total);
  }

  bool date(posix_tz_rule::date_rule& d) {
    if (eat('M')) {
      auto m = number(2);
      if (!m || *m < 1 || *m > 12 || !eat('.'))
        return false;
      auto w = number(1);
      if (!w || *w < 1 || *w > 5 || !eat('.'))
        return false;
      auto wd = number(1);
      if (!wd || *wd > 6)
        return false;
      d = {'M', static_cast<int>(*m), static_cast<int>(*w),
           static_cast<int>(*wd), 7200};
    } else if (eat('J')) {
      auto n = number(3);
      if (!n || *n < 1 || *n > 365)
        return false;
      d = {'J', 0, 0, static_cast<int>(*n), 7200};
    } else {
      auto n = number(3);
      if (!n || *n > 365)
        return false;
      d = {'D', 0, 0, static_cast<int>(*n), 7200};
    }
    if (eat('/')) {
      auto t = offset();
      if (!t)
        return false;
      d.time_s = *t;
    }
    return true;
  }

  std::string_view str_;
  size_t pos_ = 0;
};

/// Local midnight (as days since the epoch) of the rule's date in `year`.
int64_t rule_day(const posix_tz_rule::date_rule& d, int64_t year) {
  auto jan1 = days_from_civil(year, 1, 1);
  switch (d.kind) {
    case 'J': {
      // 1-365, Feb 29 never counted.
      auto n = d.day;
      auto days = jan1 + n - 1;
      if (is_leap(year) && n >= 60)
        ++days;
      return days;
    }
    case 'D':
      return jan1 + d.day;
    default: {
      auto m = static_cast<unsigned>(d.month);
      auto first = days_from_civil(year, m, 1);
      auto day = 1 + (d.day - weekday_of(first) + 7) % 7 + (d.week - 1) * 7;
      while (day > static_cast<int>(days_in_month(year, m)))
        day -= 7;
      return first + day - 1;
    }
  }
}

/// Offset and DST flag of a footer rule at `utc_s`.
std::pair<int32_t, bool> rule_offset(const posix_tz_rule& r, int64_t utc_s) {
  if (!r.has_dst)
    return {r.std_offset_s, false};
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(floor_div(utc_s + r.std_offset_s, seconds_per_day), year,
                  month, day);
  // The start is given in standard time, the end in daylight time.
  auto start = rule_day(r.start, year) * seconds_per_day + r.start.time_s
               - r.std_offset_s;
  auto end = rule_day(r.end, year) * seconds_per_day + r.end.time_s
             - r.dst_offset_s;
  bool dst = start < end ? (utc_s >= start && utc_s < end)
                         : !(utc_s >= end && utc_s < start);
  return {dst ? r.dst_offset_s : r.std_offset_s, dst};
}

// -- TZif ---------------------------------------------------------------------

class byte_reader {
public:
  explicit byte_reader(std::string_view bytes) : bytes_(bytes) {
    // nop
  }

  bool has(size_t n) const {
    return bytes_.size() - pos_ >= n;
  }

  size_t pos() const {
    return pos_;
  }

  void skip(size_t n) {
    pos_ += n;
  }

  uint8_t u8() {
    return static_cast<uint8_t>(bytes_[pos_++]);
  }

  int64_t be(size_t n) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i)
      x = (x << 8) | u8();
    // Sign-extend n-byte two's complement.
    if (n < 8 && (x >> (n * 8 - 1)) != 0)
      x |= ~uint64_t{0} << (n * 8);
    return static_cast<int64_t>(x);
  }

  std::string_view rest() const {
    return bytes_.substr(pos_);
  }

private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

struct tzif_header {
  char version = 0;
  int64_t isutcnt = 0;
  int64_t isstdcnt = 0;
  int64_t leapcnt = 0;
  int64_t timecnt = 0;
  int64_t typecnt = 0;
  int64_t charcnt = 0;
};

bool read_header(byte_reader& r, tzif_header& h) {
  if (!r.has(44))
    return false;
  auto magic = r.rest().substr(0, 4);
  if (magic != "TZif")
    return false;
  r.skip(4);
  h.version = static_cast<char>(r.u8());
  r.skip(15);
  h.isutcnt = r.be(4);
  h.isstdcnt = r.be(4);
  h.leapcnt = r.be(4);
  h.timecnt = r.be(4);
  h.typecnt = r.be(4);
  h.charcnt = r.be(4);
  return h.isutcnt >= 0 && h.isstdcnt >= 0 && h.leapcnt >= 0 && h.timecnt >= 0
         && h.typecnt > 0 && h.typecnt <= 256 && h.charcnt >= 0;
}

size_t block_size(const tzif_header& h, size_t time_size) {
  return static_cast<size_t>(h.timecnt) * time_size
         + static_cast<size_t>(h.timecnt) + static_cast<size_t>(h.typecnt) * 6
         + static_cast<size_t>(h.charcnt)
         + static_cast<size_t>(h.leapcnt) * (time_size + 4)
         + static_cast<size_t>(h.isstdcnt) + static_cast<size_t>(h.isutcnt);
}

} // namespace

// -- calendar -----------------------------------------------------------------

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  auto era = floor_div(y, 400);
  auto yoe = static_cast<unsigned>(y - era * 400);
  auto doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  auto doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t days, int64_t& year, unsigned& month,
                     unsigned& day) {
  // Howard Hinnant's algorithm: eras of 400 years starting on 0000-03-01.
  auto z = days + 719468;
  auto era = floor_div(z, 146097);
  auto doe = static_cast<unsigned>(z - era * 146097);
  auto yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  auto doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  auto mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

// -- posix rules --------------------------------------------------------------

std::optional<posix_tz_rule> parse_posix_tz(std::string_view str) {
  return tz_parser{str}.run();
}

// -- time_zone ----------------------------------------------------------------

time_zone::time_zone() {
  types_.push_back({0, false});
}

std::optional<time_zone> time_zone::from_tzif(std::string_view name,
                                              std::string_view bytes,
                                              std::string* error) {
  auto fail = [error](std::string why) -> std::optional<time_zone> {
    if (error)
      *error = std::move(why);
    return std::nullopt;
  };
  byte_reader r{bytes};
  tzif_header h;
  if (!read_header(r, h))
    return fail("not a TZif file");
  size_t time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block; the 64-bit one after the second header has
    // the same data without the 2038 limit.
    auto v1 = block_size(h, 4);
    if (!r.has(v1))
      return fail("truncated TZif file");
    r.skip(v1);
    if (!read_header(r, h))
      return fail("malformed second TZif header");
    time_size = 8;
  }
  if (!r.has(block_size(h, time_size)))
    return fail("truncated TZif file");
  time_zone tz;
  tz.name_ = std::string{name};
  tz.types_.clear();
  for (int64_t i = 0; i < h.timecnt; ++i)
    tz.transitions_.push_back(r.be(time_size));
  for (int64_t i = 0; i < h.timecnt; ++i) {
    auto idx = r.u8();
    if (idx >= h.typecnt)
      return fail("transition type out of range");
    tz.transition_types_.push_back(idx);
  }
  for (int64_t i = 0; i < h.typecnt; ++i) {
    auto off = static_cast<int32_t>(r.be(4));
    auto dst = r.u8() != 0;
    r.u8(); // abbreviation index
    if (off < -25 * 3600 || off > 26 * 3600)
      return fail("UTC offset out of range");
    tz.types_.push_back({off, dst});
  }
  if (!std::is_sorted(tz.transitions_.begin(), tz.transitions_.end()))
    return fail("transition times out of order");
  r.skip(static_cast<size_t>(h.charcnt)
         + static_cast<size_t>(h.leapcnt) * (time_size + 4)
         + static_cast<size_t>(h.isstdcnt) + static_cast<size_t>(h.isutcnt));
  if (time_size == 8) {
    auto footer = r.rest();
    if (footer.size() >= 2 && footer.front() == '\n') {
      auto end = footer.find('\n', 1);
      if (end != std::string_view::npos && end > 1) {
        auto rule = parse_posix_tz(footer.substr(1, end - 1));
        if (!rule)
          return fail("malformed TZ rule in the footer");
        tz.footer_ = rule;
      }
    }
  }
  return tz;
}

std::pair<int32_t, bool> time_zone::offset_at(int64_t utc_s) const {
  if (transitions_.empty() || utc_s < transitions_.front()) {
    if (transitions_.empty() && footer_)
      return rule_offset(*footer_, utc_s);
    // Before the first transition: the first standard-time type (RFC 8536
    // says type 0).
    return {types_.front().offset_s, types_.front().dst};
  }
  if (utc_s >= transitions_.back() && footer_)
    return rule_offset(*footer_, utc_s);
  auto i = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  auto idx = static_cast<size_t>(i - transitions_.begin()) - 1;
  const auto& t = types_[transition_types_[idx]];
  return {t.offset_s, t.dst};
}

local_time time_zone::to_local(int64_t utc_ms) const {
  auto utc_s = floor_div(utc_ms, 1000);
  auto [off, dst] = offset_at(utc_s);
  auto local_s = utc_s + off;
  local_time res;
  res.days = floor_div(local_s, seconds_per_day);
  res.weekday = weekday_of(res.days);
  res.minute_of_day
    = static_cast<int>((local_s - res.days * seconds_per_day) / 60);
  res.utc_offset_s = off;
  res.dst = dst;
  return res;
}

// -- loading ------------------------------------------------------------------

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '/'
      || name.back() == '/')
    return false;
  for (auto c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-'
          || c == '+'))
      return false;
  // No "." or ".." components (the character set has no '.').
  return name.find("//") == std::string_view::npos;
}

std::shared_ptr<const time_zone> load_time_zone(const std::string& name,
                                                std::string* error,
                                                const std::string& dir) {
  auto fail = [error](std::string why) {
    if (error)
      *error = std::move(why);
    return nullptr;
  };
  if (!valid_zone_name(name))
    return fail("invalid time zone name");
  auto path = dir + "/" + name;
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    if (name == "UTC" || name == "Etc/UTC")
      return std::make_shared<time_zone>();
    auto why = std::string{std::strerror(errno)};
    return fail("unknown time zone (cannot read " + path + ": " + why
                + "; is tzdata installed?)");
  }
  std::string bytes;
  char buf[4096];
  size_t n = 0;
  // Zone files are a few KB; refuse anything absurdly large.
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0
         && bytes.size() < (1u << 20))
    bytes.append(buf, n);
  std::fclose(file);
  std::string why;
  auto tz = time_zone::from_tzif(name, bytes, &why);
  if (!tz)
    return fail("cannot read time zone " + path + ": " + why);
  return std::make_shared<time_zone>(std::move(*tz));
}

} // namespace dynserv
