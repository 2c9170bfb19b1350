// Parser and matcher for Hetzner label selectors.
#include "cloudsim/label_selector.hpp"

#include <algorithm>
#include <cctype>

namespace dynserv::cloudsim {

namespace {

std::string_view trim(std::string_view x) {
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.front())))
    x.remove_prefix(1);
  while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back())))
    x.remove_suffix(1);
  return x;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
         || c == '.';
}

bool is_name(std::string_view x) {
  if (x.empty() || x.size() > 63)
    return false;
  if (!std::isalnum(static_cast<unsigned char>(x.front()))
      || !std::isalnum(static_cast<unsigned char>(x.back())))
    return false;
  return std::all_of(x.begin(), x.end(), name_char);
}

/// Splits at commas outside parentheses.
std::optional<std::vector<std::string_view>> split_terms(std::string_view x) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] == '(')
      ++depth;
    else if (x[i] == ')' && --depth < 0)
      return std::nullopt;
    else if (x[i] == ',' && depth == 0) {
      out.push_back(x.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0)
    return std::nullopt;
  out.push_back(x.substr(start));
  return out;
}

const std::string* find_label(const label_list& labels, const std::string& k) {
  for (auto& [key, value] : labels)
    if (key == k)
      return &value;
  return nullptr;
}

/// Parses "word (a, b)" after `key` for in/notin; `rest` starts after the
/// operator word.
std::optional<std::vector<std::string>> parse_set(std::string_view rest) {
  rest = trim(rest);
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')')
    return std::nullopt;
  rest = rest.substr(1, rest.size() - 2);
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == ',') {
      auto v = trim(rest.substr(start, i - start));
      if (!is_label_value(v) || v.empty())
        return std::nullopt;
      out.emplace_back(v);
      start = i + 1;
    }
  }
  return out;
}

} // namespace

bool is_label_key(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos)
    return is_name(key);
  auto prefix = key.substr(0, slash);
  auto name = key.substr(slash + 1);
  if (prefix.empty() || prefix.size() > 253 || !is_name(name))
    return false;
  return std::all_of(prefix.begin(), prefix.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool is_label_value(std::string_view value) {
  return value.empty() || is_name(value);
}

std::optional<label_selector> label_selector::parse(std::string_view text,
                                                    std::string* error) {
  auto fail = [&](std::string msg) -> std::optional<label_selector> {
    *error = std::move(msg);
    return std::nullopt;
  };
  label_selector out;
  auto terms = split_terms(text);
  if (!terms)
    return fail("unbalanced parentheses");
  for (auto raw : *terms) {
    auto term = trim(raw);
    if (term.empty())
      return fail("empty requirement");
    label_requirement req;
    if (term.front() == '!') {
      req.kind = label_requirement::op::not_exists;
      req.key = std::string{trim(term.substr(1))};
    } else if (auto p = term.find("!="); p != std::string_view::npos) {
      req.kind = label_requirement::op::not_equals;
      req.key = std::string{trim(term.substr(0, p))};
      req.values.emplace_back(trim(term.substr(p + 2)));
    } else if (auto p = term.find("=="); p != std::string_view::npos) {
      req.kind = label_requirement::op::equals;
      req.key = std::string{trim(term.substr(0, p))};
      req.values.emplace_back(trim(term.substr(p + 2)));
    } else if (auto p = term.find('='); p != std::string_view::npos) {
      req.kind = label_requirement::op::equals;
      req.key = std::string{trim(term.substr(0, p))};
      req.values.emplace_back(trim(term.substr(p + 1)));
    } else if (auto p = term.find(' '); p != std::string_view::npos) {
      req.key = std::string{term.substr(0, p)};
      auto rest = trim(term.substr(p));
      std::string_view word;
      if (rest.substr(0, 5) == "notin") {
        req.kind = label_requirement::op::not_in;
        word = rest.substr(5);
      } else if (rest.substr(0, 2) == "in") {
        req.kind = label_requirement::op::in;
        word = rest.substr(2);
      } else {
        return fail("unexpected \"" + std::string{rest} + "\"");
      }
      auto set = parse_set(word);
      if (!set)
        return fail("malformed value set in \"" + std::string{term} + "\"");
      req.values = std::move(*set);
    } else {
      req.kind = label_requirement::op::exists;
      req.key = std::string{term};
    }
    if (!is_label_key(req.key))
      return fail("invalid label key \"" + req.key + "\"");
    for (auto& v : req.values)
      if (!is_label_value(v))
        return fail("invalid label value \"" + v + "\"");
    out.reqs_.push_back(std::move(req));
  }
  return out;
}

bool label_selector::matches(const label_list& labels) const {
  for (auto& req : reqs_) {
    auto value = find_label(labels, req.key);
    auto in_set = [&] {
      return value != nullptr
             && std::find(req.values.begin(), req.values.end(), *value)
                  != req.values.end();
    };
    bool ok = false;
    switch (req.kind) {
      case label_requirement::op::equals:
      case label_requirement::op::in:
        ok = in_set();
        break;
      case label_requirement::op::not_equals:
      case label_requirement::op::not_in:
        ok = !in_set();
        break;
      case label_requirement::op::exists:
        ok = value != nullptr;
        break;
      case label_requirement::op::not_exists:
        ok = value == nullptr;
        break;
    }
    if (!ok)
      return false;
  }
  return true;
}

} // namespace dynserv::cloudsim
