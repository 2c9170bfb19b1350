// Token sources, constant-time comparison and throttling shared by the admin
// console and the HTTP API.
#include "api/access_control.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sys/stat.h>

#include "messages/errors.hpp"

namespace dynserv {

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Always walk the longer string so the time does not depend on where the
  // first difference is.
  auto n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string loggable(const std::string& str) {
  std::string out;
  for (size_t i = 0; i < str.size() && i < 200; ++i) {
    auto c = static_cast<unsigned char>(str[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (str.size() > 200)
    out += "...";
  return out;
}

millis login_refusal_delay(uint32_t failures) {
  auto shift = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 5);
  return std::min(millis{250} * (1 << shift), millis{8000});
}

caf::expected<std::string> resolve_token(const token_source& src) {
  if (!src.token.empty())
    return src.token;
  if (!src.token_env.empty()) {
    auto value = std::getenv(src.token_env.c_str());
    if (value == nullptr || std::string{value}.size() < 16)
      return make_error(ec::invalid_config,
                        src.section + ".token_env: environment variable "
                          + src.token_env
                          + " is not set or shorter than 16 characters");
    return std::string{value};
  }
  if (std::ifstream in{src.file}) {
    std::string token;
    std::getline(in, token);
    if (token.size() >= 16)
      return token;
  }
  // No token configured: make one that only the node's user can read.
  std::random_device rd;
  std::string token;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i)
    token += hex[rd() % 16];
  auto old_mask = ::umask(077);
  std::ofstream out{src.file, std::ios::trunc};
  out << token << "\n";
  out.close();
  ::umask(old_mask);
  if (!out)
    return make_error(ec::storage_failure, "cannot write " + src.file);
  ::chmod(src.file.c_str(), 0600);
  return token;
}

bool write_file_atomically(const std::string& path,
                           const std::string& content) {
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    out << content;
    out.close();
    if (!out)
      return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

} // namespace dynserv
