// Placeholder until the Beast server lands (branch h-http).
#include "http/http_server.hpp"

namespace dynserv {

http_stream::~http_stream() = default;
http_exchange::~http_exchange() = default;
http_server::~http_server() = default;

std::unique_ptr<http_server> start_http_server(const http_server_options&,
                                               http_handler,
                                               std::string* error) {
  if (error)
    *error = "HTTP server not implemented yet";
  return nullptr;
}

} // namespace dynserv
