// The http_metric policy: GET, JSON pointer, count.
#include "policies/http_metric.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>

#include "http/http_client.hpp"

namespace dynserv {

namespace {

/// Prints a number without needless digits ("42", "0.5").
std::string format_value(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", x);
  return buf;
}

/// A short, printable excerpt of untrusted text for error messages.
std::string excerpt(std::string_view str, size_t max = 60) {
  std::string res;
  for (auto c : str.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    res += u < 0x20 || u >= 0x7f ? '?' : c;
  }
  if (str.size() > max)
    res += "...";
  return res;
}

const char* kind_of(const rapidjson::Value& x) {
  if (x.IsNull())
    return "null";
  if (x.IsBool())
    return "a boolean";
  if (x.IsString())
    return "a string";
  if (x.IsArray())
    return "an array";
  if (x.IsObject())
    return "an object";
  return "a number";
}

} // namespace

bool valid_json_pointer(const std::string& pointer) {
  rapidjson::Pointer p{pointer.data(), pointer.size()};
  return p.IsValid();
}

metric_sample extract_metric(std::string_view body,
                             const std::string& pointer) {
  metric_sample res;
  rapidjson::Pointer p{pointer.data(), pointer.size()};
  if (!p.IsValid()) {
    res.error = "invalid JSON pointer";
    return res;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    res.error = "the body is not JSON (at byte "
                + std::to_string(doc.GetErrorOffset()) + ": "
                + rapidjson::GetParseError_En(doc.GetParseError())
                + "; starts with \"" + excerpt(body, 40) + "\")";
    return res;
  }
  auto x = p.Get(doc);
  if (x == nullptr) {
    res.error = "nothing at " + pointer + " in the body";
    return res;
  }
  if (!x->IsNumber()) {
    res.error = pointer + " is " + kind_of(*x) + ", not a number";
    return res;
  }
  auto v = x->GetDouble();
  if (!std::isfinite(v)) {
    res.error = pointer + " is not a finite number";
    return res;
  }
  res.ok = true;
  res.value = v;
  return res;
}

int64_t metric_count(double value, double per_server, int64_t offset,
                     int64_t cap) {
  if (!(per_server > 0) || !std::isfinite(value))
    return 0;
  auto servers = std::ceil(value / per_server);
  // Clamp in floating point before converting: a huge value must not
  // overflow int64.
  auto total = servers + static_cast<double>(offset);
  if (!(total > 0))
    return 0;
  if (total >= static_cast<double>(cap))
    return cap;
  return static_cast<int64_t>(total);
}

policy_output metric_output(const http_metric_spec& spec,
                            const metric_sample& sample) {
  policy_output out;
  if (!sample.ok) {
    out.input = "metric unavailable: " + sample.error;
    return out;
  }
  out.ok = true;
  out.count = metric_count(sample.value, spec.per_server, spec.offset);
  out.input = "metric " + format_value(sample.value) + " at " + spec.pointer
              + " = ceil(" + format_value(sample.value) + " / "
              + format_value(spec.per_server) + ")"
              + (spec.offset != 0 ? (spec.offset > 0 ? " + " : " - ")
                                      + std::to_string(std::llabs(spec.offset))
                                  : std::string{})
              + " = " + std::to_string(out.count);
  return out;
}

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (auto value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

transport_factory default_transport_factory() {
  return [](const std::string& base_url, const http_metric_spec& spec,
            std::string* error) {
    http_client_options opts;
    opts.base_url = base_url;
    opts.ca_file = spec.ca_file;
    opts.connect_timeout = spec.timeout;
    opts.read_timeout = spec.timeout;
    opts.user_agent = "dynserv-policy";
    return make_http_client(opts, error);
  };
}

std::optional<std::pair<std::string, std::string>>
split_url(std::string_view url) {
  std::string_view rest;
  if (url.rfind("http://", 0) == 0)
    rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0)
    rest = url.substr(8);
  else
    return std::nullopt;
  auto slash = rest.find_first_of("/?");
  auto host = rest.substr(0, slash);
  if (host.empty())
    return std::nullopt;
  auto base_len = url.size() - rest.size() + host.size();
  std::string target{url.substr(base_len)};
  if (target.empty() || target.front() == '?')
    target.insert(0, "/");
  return std::make_pair(std::string{url.substr(0, base_len)}, target);
}

metric_sample fetch_metric(const http_metric_spec& spec, const env_lookup& env,
                           const transport_factory& make) {
  metric_sample res;
  auto parts = split_url(spec.url);
  if (!parts) {
    res.error = "invalid URL";
    return res;
  }
  http_request req;
  req.method = "GET";
  req.target = parts->second;
  req.headers.emplace_back("Accept", "application/json");
  for (const auto& [name, value] : spec.headers)
    set_header(req.headers, name, value);
  if (!spec.token_env.empty()) {
    auto token = env(spec.token_env);
    if (!token || token->empty()) {
      res.error = "environment variable " + spec.token_env + " is not set";
      return res;
    }
    set_header(req.headers, "Authorization", "Bearer " + *token);
  }
  std::string error;
  auto transport = make(parts->first, spec, &error);
  if (!transport) {
    res.error = "cannot make an HTTP client: " + error;
    return res;
  }
  auto result = transport->send(req);
  if (!result.ok()) {
    res.error = std::string{"request failed ("} + to_string(result.failure)
                + "): " + result.detail;
    return res;
  }
  const auto& rsp = result.response;
  if (rsp.status < 200 || rsp.status > 299) {
    res.error = "HTTP " + std::to_string(rsp.status) + " (body starts with \""
                + excerpt(rsp.body, 40) + "\")";
    return res;
  }
  return extract_metric(rsp.body, spec.pointer);
}

} // namespace dynserv
