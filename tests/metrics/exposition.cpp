// Strict Prometheus text format 0.0.4 reader used by the metrics tests.
#include "tests/metrics/exposition.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace dynserv::test {

namespace {

bool is_name_start(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || (colon_ok && c == ':');
}

bool is_name_char(char c, bool colon_ok) {
  return is_name_start(c, colon_ok) || (c >= '0' && c <= '9');
}

bool valid_name(const std::string& x, bool colon_ok) {
  if (x.empty() || !is_name_start(x[0], colon_ok))
    return false;
  return std::all_of(x.begin(), x.end(),
                     [&](char c) { return is_name_char(c, colon_ok); });
}

std::optional<double> parse_value(const std::string& x) {
  if (x == "+Inf" || x == "Inf")
    return HUGE_VAL;
  if (x == "-Inf")
    return -HUGE_VAL;
  if (x == "NaN")
    return NAN;
  if (x.empty())
    return std::nullopt;
  char* end = nullptr;
  auto v = std::strtod(x.c_str(), &end);
  if (end != x.c_str() + x.size())
    return std::nullopt;
  return v;
}

/// The family a sample name belongs to, given the declared types.
std::string family_of(const std::string& name,
                      const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s{suffix};
    if (name.size() > s.size()
        && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto base = name.substr(0, name.size() - s.size());
      auto i = types.find(base);
      if (i != types.end() && i->second == "histogram")
        return base;
    }
  }
  return name;
}

struct histogram_series {
  std::vector<std::pair<double, double>> buckets; // le, count
  std::optional<double> sum;
  std::optional<double> count;
};

} // namespace

std::string
series_key(const std::string& name,
           std::vector<std::pair<std::string, std::string>> labels) {
  if (labels.empty())
    return name;
  std::sort(labels.begin(), labels.end());
  std::string res = name + "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0)
      res += ',';
    res += labels[i].first + "=\"" + labels[i].second + "\"";
  }
  return res + "}";
}

exposition parse_exposition(const std::string& text) {
  exposition res;
  std::map<std::string, std::string> helps;
  std::set<std::string> finished; // families whose block has ended
  std::string current;            // family of the previous line
  std::map<std::string, histogram_series> histograms;
  auto fail = [&](size_t line, const std::string& what) {
    res.error = "line " + std::to_string(line) + ": " + what;
    return res;
  };
  if (!text.empty() && text.back() != '\n')
    return fail(0, "text does not end with a newline");
  std::istringstream in{text};
  std::string line;
  size_t n = 0;
  auto enter = [&](const std::string& fam) -> bool {
    if (fam == current)
      return true;
    if (finished.count(fam))
      return false; // interleaved with another family
    if (!current.empty())
      finished.insert(current);
    current = fam;
    return true;
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty())
      continue;
    if (line[0] == '#') {
      std::istringstream words{line};
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (hash != "#" || (kind != "HELP" && kind != "TYPE"))
        continue; // a plain comment
      if (!valid_name(name, true))
        return fail(n, "bad metric name in " + kind + ": '" + name + "'");
      if (!enter(name))
        return fail(n, "family " + name + " is interleaved");
      auto rest = line.substr(
        std::min(line.size(), 2 + kind.size() + 1 + name.size() + 1));
      if (kind == "HELP") {
        if (helps.count(name))
          return fail(n, "second HELP for " + name);
        for (size_t i = 0; i < rest.size(); ++i)
          if (rest[i] == '\\'
              && (i + 1 >= rest.size()
                  || (rest[i + 1] != '\\' && rest[i + 1] != 'n')))
            return fail(n, "bad escape in HELP of " + name);
          else if (rest[i] == '\\')
            ++i;
        helps[name] = rest;
      } else {
        if (res.types.count(name))
          return fail(n, "second TYPE for " + name);
        static const std::set<std::string> known{
          "counter", "gauge", "histogram", "summary", "untyped"};
        if (!known.count(rest))
          return fail(n, "unknown TYPE '" + rest + "'");
        for (const auto& s : res.samples)
          if (family_of(s.name, {{name, rest}}) == name)
            return fail(n, "TYPE of " + name + " after its samples");
        res.types[name] = rest;
      }
      continue;
    }
    // name{labels} value [timestamp]
    sample s;
    size_t i = 0;
    while (i < line.size() && is_name_char(line[i], true))
      ++i;
    s.name = line.substr(0, i);
    if (!valid_name(s.name, true))
      return fail(n, "bad metric name '" + s.name + "'");
    if (i < line.size() && line[i] == '{') {
      ++i;
      std::set<std::string> seen;
      while (i < line.size() && line[i] != '}') {
        auto start = i;
        while (i < line.size() && is_name_char(line[i], false))
          ++i;
        auto lname = line.substr(start, i - start);
        if (!valid_name(lname, false) || lname.rfind("__", 0) == 0)
          return fail(n, "bad label name '" + lname + "'");
        if (!seen.insert(lname).second)
          return fail(n, "label " + lname + " twice");
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          return fail(n, "expected =\" after label " + lname);
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size())
            return fail(n, "unterminated label value");
          auto c = line[i++];
          if (c == '"')
            break;
          if (c == '\\') {
            if (i >= line.size())
              return fail(n, "unterminated escape");
            auto e = line[i++];
            if (e == '\\')
              value += '\\';
            else if (e == '"')
              value += '"';
            else if (e == 'n')
              value += '\n';
            else
              return fail(n, std::string{"bad escape \\"} + e);
          } else {
            value += c;
          }
        }
        s.labels.emplace_back(lname, value);
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i >= line.size() || line[i] != '}')
          return fail(n, "expected , or } after a label");
      }
      if (i >= line.size())
        return fail(n, "unterminated label set");
      ++i; // '}'
    }
    if (i >= line.size() || line[i] != ' ')
      return fail(n, "expected a blank before the value");
    ++i;
    auto rest = line.substr(i);
    auto blank = rest.find(' ');
    auto v = parse_value(rest.substr(0, blank));
    if (!v)
      return fail(n, "bad value '" + rest.substr(0, blank) + "'");
    if (blank != std::string::npos) {
      auto ts = rest.substr(blank + 1);
      if (ts.empty()
          || !std::all_of(ts.begin() + (ts[0] == '-' ? 1 : 0), ts.end(),
                          [](char c) { return c >= '0' && c <= '9'; }))
        return fail(n, "bad timestamp '" + ts + "'");
    }
    s.value = *v;
    auto fam = family_of(s.name, res.types);
    if (!enter(fam))
      return fail(n, "family " + fam + " is interleaved");
    auto type = res.types.count(fam) ? res.types[fam] : "untyped";
    if (type == "counter" && (s.value < 0 || std::isnan(s.value)))
      return fail(n, "counter " + s.name + " is " + rest);
    auto key = series_key(s.name, s.labels);
    if (!res.values.emplace(key, s.value).second)
      return fail(n, "duplicate series " + key);
    if (type == "histogram") {
      auto labels = s.labels;
      std::optional<double> le;
      auto j = std::find_if(labels.begin(), labels.end(),
                            [](const auto& l) { return l.first == "le"; });
      if (s.name == fam + "_bucket") {
        if (j == labels.end())
          return fail(n, "bucket without le");
        le = parse_value(j->second);
        if (!le)
          return fail(n, "bad le '" + j->second + "'");
        labels.erase(j);
      } else if (j != labels.end()) {
        return fail(n, "le on " + s.name);
      }
      auto& h = histograms[series_key(fam, labels)];
      if (le)
        h.buckets.emplace_back(*le, s.value);
      else if (s.name == fam + "_sum")
        h.sum = s.value;
      else if (s.name == fam + "_count")
        h.count = s.value;
      else
        return fail(n, "histogram sample " + s.name);
    }
    res.samples.push_back(std::move(s));
  }
  for (const auto& [key, h] : histograms) {
    if (h.buckets.empty() || !std::isinf(h.buckets.back().first))
      return fail(0, key + " has no +Inf bucket last");
    for (size_t k = 1; k < h.buckets.size(); ++k) {
      if (!(h.buckets[k].first > h.buckets[k - 1].first))
        return fail(0, key + " buckets not in ascending le order");
      if (h.buckets[k].second < h.buckets[k - 1].second)
        return fail(0, key + " bucket counts not cumulative");
    }
    if (!h.sum || !h.count)
      return fail(0, key + " lacks _sum or _count");
    if (*h.count != h.buckets.back().second)
      return fail(0, key + " _count differs from the +Inf bucket");
  }
  return res;
}

} // namespace dynserv::test
