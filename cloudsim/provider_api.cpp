// Helpers shared by the simulated provider APIs.
#include "cloudsim/provider_api.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace dynserv::cloudsim {

provider_api::~provider_api() {
  // nop
}

http_response provider_api::fault_response(const fault_rule& rule,
                                           bool problem) {
  switch (rule.kind) {
    case fault_kind::quota:
      return quota(rule, problem);
    case fault_kind::unauthorized:
      return unauthorized(problem);
    case fault_kind::resource_locked:
      // Hetzner's code; hcloud-go: "The resource is locked. The caller
      // should contact support". The docs list no status for it; 423 is
      // the status of the API's other lock errors (locked, protected).
      return error(rule.status ? rule.status : 423, "resource_locked",
                   rule.message.empty()
                     ? std::string_view{"resource is locked, please contact "
                                        "support"}
                     : std::string_view{rule.message},
                   problem);
    default:
      break;
  }
  if (rule.format == "html")
    return html_error(rule.status);
  auto res = server_error(rule.status, problem || rule.format == "problem");
  if (!rule.code.empty() || !rule.message.empty()) {
    auto code = rule.code.empty() ? std::string{"custom"} : rule.code;
    auto msg = rule.message.empty() ? std::string{status_text(rule.status)}
                                    : rule.message;
    res = error(rule.status, code, msg, problem || rule.format == "problem");
  }
  return res;
}

http_response json_response(int status, std::string body) {
  http_response res;
  res.status = status;
  res.body = std::move(body);
  return res;
}

std::string_view status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    case 423:
      return "Locked";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

http_response html_error(int status) {
  auto code = std::to_string(status);
  std::string title = code + ' ' + std::string{status_text(status)};
  http_response res;
  res.status = status;
  res.body = "<html>\r\n<head><title>" + title
             + "</title></head>\r\n<body>\r\n<center><h1>" + title
             + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
               "</html>\r\n";
  set_header(res.headers, "Content-Type", "text/html");
  return res;
}

std::optional<std::string> bearer_token(const http_request& req) {
  auto h = find_header(req.headers, "Authorization");
  if (!h || h->size() < 7
      || !iequals(std::string_view{*h}.substr(0, 7), "Bearer "))
    return std::nullopt;
  auto token = h->substr(7);
  while (!token.empty() && token.front() == ' ')
    token.erase(token.begin());
  return token;
}

namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (auto c : in) {
    if (c == '=')
      break;
    auto v = base64_value(c);
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

} // namespace

std::optional<std::pair<std::string, std::string>>
basic_credentials(const http_request& req) {
  auto h = find_header(req.headers, "Authorization");
  if (!h || h->size() < 6
      || !iequals(std::string_view{*h}.substr(0, 6), "Basic "))
    return std::nullopt;
  auto decoded = base64_decode(std::string_view{*h}.substr(6));
  if (!decoded)
    return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos)
    return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool same_secret(std::string_view a, std::string_view b) {
  // An empty configured secret never matches.
  if (a.size() != b.size() || b.empty())
    return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string_view::npos)
      j = path.size();
    if (j > i)
      out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<std::string> query_value(const query_params& q,
                                       std::string_view key) {
  for (auto& [k, v] : q)
    if (k == key)
      return v;
  return std::nullopt;
}

std::vector<std::string> query_values(const query_params& q,
                                      std::string_view key) {
  std::vector<std::string> out;
  for (auto& [k, v] : q)
    if (k == key)
      out.push_back(v);
  return out;
}

std::optional<page_window> paginate(const query_params& q, size_t total,
                                    int64_t default_per_page, int64_t max,
                                    std::string* error) {
  page_window w;
  w.per_page = default_per_page;
  if (auto p = query_value(q, "page")) {
    auto n = parse_int(*p);
    if (!n || *n < 1) {
      *error = "page must be a positive integer";
      return std::nullopt;
    }
    w.page = *n;
  }
  if (auto p = query_value(q, "per_page")) {
    auto n = parse_int(*p);
    if (!n || *n < 1) {
      *error = "per_page must be a positive integer";
      return std::nullopt;
    }
    w.per_page = std::min(*n, max);
  }
  w.total = static_cast<int64_t>(total);
  w.last_page = std::max<int64_t>(1, (w.total + w.per_page - 1) / w.per_page);
  auto first = (w.page - 1) * w.per_page;
  w.first = static_cast<size_t>(std::min<int64_t>(first, w.total));
  w.end = static_cast<size_t>(std::min<int64_t>(first + w.per_page, w.total));
  return w;
}

std::string query_with_page(const query_params& q, int64_t page,
                            int64_t per_page) {
  std::string out;
  for (auto& [k, v] : q) {
    if (k == "page" || k == "per_page")
      continue;
    out += url_encode(k) + '=' + url_encode(v) + '&';
  }
  out += "page=" + std::to_string(page)
         + "&per_page=" + std::to_string(per_page);
  return out;
}

bool is_uuid(std::string_view x) {
  if (x.size() != 36)
    return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (x[i] != '-')
        return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(x[i]))) {
      return false;
    }
  }
  return true;
}

bool is_hostname(std::string_view x) {
  if (x.empty() || x.size() > 253)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    auto c = static_cast<unsigned char>(x[i]);
    if (c == '.') {
      if (label == 0 || x[i - 1] == '-')
        return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(c) && c != '-')
      return false;
    if (c == '-' && label == 0)
      return false;
    if (++label > 63)
      return false;
  }
  return label > 0 && x.back() != '-';
}

} // namespace dynserv::cloudsim
