// Time zones from the system's TZif files (/usr/share/zoneinfo, Debian's
// tzdata), with the POSIX TZ rule of the file's footer for times after its
// last transition. No dependency beyond the C++ standard library.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynserv {

/// Where `load_time_zone` looks for zone files by default.
constexpr const char* default_zoneinfo_dir = "/usr/share/zoneinfo";

/// A wall-clock time in some zone.
struct local_time {
  /// Days since 1970-01-01 in local time.
  int64_t days = 0;
  /// 0 = Sunday ... 6 = Saturday.
  int weekday = 0;
  /// Minutes since local midnight (0 to 1439).
  int minute_of_day = 0;
  /// Offset from UTC in seconds (east positive).
  int32_t utc_offset_s = 0;
  bool dst = false;
};

/// A daylight-saving rule from a POSIX TZ string such as
/// "CET-1CEST,M3.5.0,M10.5.0/3".
struct posix_tz_rule {
  /// Standard offset from UTC in seconds, east positive.
  int32_t std_offset_s = 0;
  /// False for zones without daylight saving time.
  bool has_dst = false;
  int32_t dst_offset_s = 0;
  /// A transition date: `Mm.w.d` (kind 'M'), `Jn` (kind 'J', 1-365 without
  /// Feb 29) or `n` (kind 'D', 0-365 counting Feb 29), at `time_s` seconds
  /// after local midnight (may be negative or beyond 24 h).
  struct date_rule {
    char kind = 'M';
    int month = 0;
    int week = 0;
    int day = 0;
    int32_t time_s = 7200;
  };
  date_rule start;
  date_rule end;
};

/// Parses a POSIX TZ string (as found in TZif footers); nullopt if invalid.
std::optional<posix_tz_rule> parse_posix_tz(std::string_view str);

/// A time zone: UTC offsets by transition time plus the footer rule.
class time_zone {
public:
  /// The UTC zone.
  time_zone();

  /// Parses the bytes of a TZif file (versions 1 to 4); nullopt and the
  /// reason in `*error` if they are malformed.
  static std::optional<time_zone>
  from_tzif(std::string_view name, std::string_view bytes, std::string* error);

  /// The zone's name, e.g. "Europe/Berlin".
  const std::string& name() const {
    return name_;
  }

  /// Offset from UTC (east positive) and DST flag at `utc_s` (seconds since
  /// the epoch).
  std::pair<int32_t, bool> offset_at(int64_t utc_s) const;

  /// Converts `utc_ms` (ms since the epoch) to local wall-clock time.
  local_time to_local(int64_t utc_ms) const;

private:
  struct type_info {
    int32_t offset_s = 0;
    bool dst = false;
  };

  std::string name_ = "UTC";
  /// Transition times (UTC seconds), ascending, with the type in force from
  /// each one on.
  std::vector<int64_t> transitions_;
  std::vector<uint8_t> transition_types_;
  std::vector<type_info> types_;
  std::optional<posix_tz_rule> footer_;
};

/// True for names that may name a zone file: letters, digits, '/', '_',
/// '-', '+', no leading '/', no "." or ".." component.
bool valid_zone_name(std::string_view name);

/// Loads zone `name` (e.g. "Europe/Berlin") from `dir`. "UTC" always
/// works, even without tzdata. Returns nullptr with the reason in `*error`.
std::shared_ptr<const time_zone>
load_time_zone(const std::string& name, std::string* error,
               const std::string& dir = default_zoneinfo_dir);

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

/// The date of `days` since 1970-01-01: {year, month 1-12, day 1-31}.
void civil_from_days(int64_t days, int64_t& year, unsigned& month,
                     unsigned& day);

} // namespace dynserv
