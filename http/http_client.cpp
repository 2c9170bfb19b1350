// Placeholder until the Beast client lands (branch h-http).
#include "http/http_client.hpp"

namespace dynserv {

http_transport::~http_transport() = default;

const char* to_string(http_failure x) {
  switch (x) {
    case http_failure::none:
      return "none";
    case http_failure::invalid:
      return "invalid";
    case http_failure::connect:
      return "connect";
    case http_failure::lost:
      return "lost";
    case http_failure::protocol:
      return "protocol";
  }
  return "unknown";
}

std::unique_ptr<http_transport> make_http_client(const http_client_options&,
                                                 std::string* error) {
  if (error)
    *error = "HTTP client not implemented yet";
  return nullptr;
}

} // namespace dynserv
