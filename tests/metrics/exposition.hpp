// A strict reader of Prometheus text format 0.0.4 for tests: it rejects
// what promtool or a scraper would, and maps each series to its value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dynserv::test {

/// One parsed sample: metric name and its labels in the order written.
struct sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

/// The result of `parse_exposition`: samples by series key (see
/// `series_key`), the TYPE of each family, or the first problem found.
struct exposition {
  std::map<std::string, double> values;
  std::map<std::string, std::string> types;
  std::vector<sample> samples;
  /// Empty if the text is valid; else "line N: problem".
  std::string error;

  /// The value of `key`, if that series exists.
  std::optional<double> get(const std::string& key) const {
    auto i = values.find(key);
    if (i == values.end())
      return std::nullopt;
    return i->second;
  }

  /// The value of `key`, 0 if the series does not exist.
  double value_or_zero(const std::string& key) const {
    return get(key).value_or(0);
  }
};

/// `name{a="x",b="y"}` with labels sorted by name and values unescaped,
/// or just `name` without labels.
std::string series_key(const std::string& name,
                       std::vector<std::pair<std::string, std::string>> labels);

/// Parses and validates `text`: HELP/TYPE syntax, one TYPE per family before
/// its samples, families not interleaved, metric and label names, label
/// value escapes, values, duplicate series, counters not negative, histogram
/// buckets (`le` ascending, counts cumulative, `+Inf` present and equal to
/// `_count`, `_sum` present), and a final newline.
exposition parse_exposition(const std::string& text);

} // namespace dynserv::test
