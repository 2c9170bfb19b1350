// The field tables of the node's two endpoints: `admin` (the console that
// dynservctl talks to) and `http` (the HTTP API), with their `tls` objects.
#include "config/http_config.hpp"

#include <cstdlib>

#include "config/sections.hpp"

namespace dynserv::schema {

namespace {

/// Reads "HOST:PORT" or "off" into the `enabled`, `host` and `port` members
/// of an endpoint config.
template <class Endpoint>
void read_listen(loader& l, const json& v, const std::string& p,
                 Endpoint& cfg) {
  auto str = l.string(v, p);
  if (!str)
    return;
  if (*str == "off") {
    cfg.enabled = false;
    return;
  }
  auto colon = str->rfind(':');
  auto host = colon == std::string::npos ? std::string{}
                                         : str->substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_str = colon == std::string::npos ? std::string{}
                                             : str->substr(colon + 1);
  char* end = nullptr;
  auto port = std::strtol(port_str.c_str(), &end, 10);
  if (host.empty() || port_str.empty() || *end != '\0' || port < 0
      || port > 65535) {
    l.fail(p, "expected \"HOST:PORT\" (port 0 to 65535) or \"off\", got "
                + in_quotes(*str));
    return;
  }
  cfg.host = host;
  cfg.port = static_cast<uint16_t>(port);
}

/// The `listen` row of an endpoint; its default comes from `Endpoint{}`.
template <class Endpoint>
field<Endpoint> listen_row(std::string doc) {
  Endpoint defaults;
  auto def = defaults.host + ":" + std::to_string(defaults.port);
  return rows<Endpoint>::custom("listen", read_listen<Endpoint>, "string",
                                as_code(in_quotes(def)), std::move(doc));
}

/// Reports a token given twice (in the file and by variable name).
void check_one_token(loader& l, const std::string& path,
                     const std::string& token, const std::string& token_env) {
  if (!token.empty() && !token_env.empty())
    l.fail(join(path, "token"), "set either token or token_env, not both");
}

const table<admin_tls_config>& admin_tls_table() {
  using row = rows<admin_tls_config>;
  static const table<admin_tls_config> result{
    required(row::text("certificate", &admin_tls_config::certificate, file_path,
                       "PEM certificate of the node.")),
    required(row::text("key", &admin_tls_config::key, file_path,
                       "PEM private key of `certificate`.")),
    row::text("cafile", &admin_tls_config::cafile, file_path,
              "PEM CA bundle that client certificates must chain to."),
  };
  return result;
}

const table<http_tls_config>& http_tls_table() {
  using row = rows<http_tls_config>;
  static const table<http_tls_config> result{
    required(row::text("certificate", &http_tls_config::certificate, file_path,
                       "PEM certificate chain of the node.")),
    required(row::text("key", &http_tls_config::key, file_path,
                       "Unencrypted PEM private key of `certificate`.")),
  };
  return result;
}

} // namespace

const table<admin_config>& admin_table() {
  using row = rows<admin_config>;
  static const table<admin_config> result{
    listen_row<admin_config>("\"HOST:PORT\" to listen on, or \"off\"."),
    row::text("token", &admin_config::token, token_text,
              "The admin token (at least 16 characters)."),
    row::text("token_env", &admin_config::token_env, upper_env_name,
              "Environment variable that holds the token."),
    row::optional_object("tls", &admin_config::tls, admin_tls_table,
                         "TLS through CAF's OpenSSL module."),
  };
  return result;
}

void validate_admin(loader& l, const std::string& path, admin_config& cfg,
                    const walk_result&) {
  check_one_token(l, path, cfg.token, cfg.token_env);
}

const table<http_config>& http_table() {
  using row = rows<http_config>;
  static const table<http_config> result{
    listen_row<http_config>("\"HOST:PORT\" to listen on, or \"off\"."),
    row::text("token", &http_config::token, token_text,
              "The bearer token (at least 16 characters)."),
    row::text("token_env", &http_config::token_env, upper_env_name,
              "Environment variable that holds the token."),
    row::flag("public_reads", &http_config::public_reads,
              "GET requests need no token when true.", "true or false"),
    row::duration("request_timeout", &http_config::request_timeout,
                  at_least(millis{10}), "Time allowed to receive a request."),
    row::duration("idle_timeout", &http_config::idle_timeout,
                  at_least(millis{10}),
                  "An idle kept-alive connection is closed after this."),
    row::integer("body_limit", &http_config::body_limit, between(1, 64 << 20),
                 "Largest request body in bytes; larger ones get 413."),
    row::integer("max_connections", &http_config::max_connections,
                 between(1, 65536),
                 "Open connections at most; more get 503 and are closed."),
    row::optional_object("tls", &http_config::tls, http_tls_table, "HTTPS."),
  };
  return result;
}

void validate_http(loader& l, const std::string& path, http_config& cfg,
                   const walk_result&) {
  check_one_token(l, path, cfg.token, cfg.token_env);
}

void document_endpoints(std::vector<table_doc>& out) {
  out.push_back(document("## `admin`", admin_table()));
  out.push_back(document("### `admin.tls`", admin_tls_table()));
  out.push_back(document("## `http`", http_table()));
  out.push_back(document("### `http.tls`", http_tls_table()));
}

} // namespace dynserv::schema
