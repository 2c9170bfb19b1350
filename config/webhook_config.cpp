// The field table of `webhooks`: receivers of signed event POSTs
// (docs/webhooks.md), their filters, timeouts and secrets.
#include "config/webhook_config.hpp"

#include <cstdlib>
#include <cstring>

#include "config/sections.hpp"
#include "messages/events.hpp"

namespace dynserv::schema {

namespace {

/// Checks the shape of a webhook URL; returns what is wrong or nothing.
/// make_http_client checks it again in full when the node starts.
std::optional<std::string> webhook_url_problem(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return "expected an http:// or https:// URL";
  std::string scheme{url.substr(0, scheme_end)};
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https")
    return "unsupported scheme " + in_quotes(scheme)
           + " (expected http or https)";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return std::string{"must not contain spaces or control characters"};
  if (url.find('#') != std::string_view::npos)
    return std::string{"must not contain a fragment ('#')"};
  auto rest = url.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos)
    return std::string{"credentials in the URL are not supported (the "
                       "signature authenticates the sender)"};
  if (authority.empty() || authority.front() == ':')
    return std::string{"missing host"};
  return std::nullopt;
}

bool webhook_url(loader& l, const std::string& p, std::string& value) {
  // The URL may hold a secret path or query: never repeat it.
  auto problem = webhook_url_problem(value);
  if (problem)
    l.fail(p, *problem);
  return !problem;
}

bool secret_text(loader& l, const std::string& p, std::string& value) {
  if (value.size() >= min_webhook_secret_length)
    return true;
  l.fail(p, "must be at least " + std::to_string(min_webhook_secret_length)
              + " characters long");
  return false;
}

void read_secret_env(loader& l, const json& v, const std::string& p,
                     webhook_config& cfg) {
  auto name = l.string(v, p);
  if (!name || !upper_env_name(l, p, *name))
    return;
  cfg.secret_env = *name;
  auto value = std::getenv(name->c_str());
  if (value == nullptr || *value == '\0')
    l.fail(p, "environment variable " + *name + " is not set");
  else if (std::strlen(value) < min_webhook_secret_length)
    l.fail(p, "environment variable " + *name + " must hold at least "
                + std::to_string(min_webhook_secret_length) + " characters");
  else
    cfg.secret = value;
}

void read_events(loader& l, const json& v, const std::string& p,
                 webhook_config& cfg) {
  if (auto list = l.string_list(v, p, "event reason", &event_reasons()))
    cfg.events = std::move(*list);
}

void read_pool_filter(loader& l, const json& v, const std::string& p,
                      webhook_config& cfg) {
  auto& names = l.refs.pool_names;
  if (auto list = l.string_list(v, p, "pool", names ? &*names : nullptr))
    cfg.pools = std::move(*list);
}

const table<webhook_config>& webhook_table() {
  using row = rows<webhook_config>;
  static const table<webhook_config> result{
    required(row::text("url", &webhook_config::url, webhook_url,
                       "http:// or https:// URL the events are POSTed to.")),
    shown_default(row::text("secret", &webhook_config::secret, secret_text,
                            "The HMAC-SHA256 key (at least 16 characters)."),
                  "see below"),
    row::custom("secret_env", read_secret_env, "string", "see below",
                "Environment variable that holds the secret."),
    row::custom("events", read_events, "array of strings", "all",
                "Event reasons to send."),
    row::custom("pools", read_pool_filter, "array of strings", "all",
                "Send only the events of these pools."),
    row::duration("timeout", &webhook_config::timeout, at_least(millis{1}),
                  "Time allowed to connect, and then for the exchange."),
    row::duration("backoff_initial", &webhook_config::backoff_initial,
                  at_least(millis{1}), "Delay after the first failure."),
    row::duration("backoff_max", &webhook_config::backoff_max,
                  at_least(millis{1}),
                  "Upper bound of the delay; at least backoff_initial."),
    row::text("ca_file", &webhook_config::ca_file, file_path,
              "PEM file with extra CA certificates for https."),
    row::flag("tls_verify", &webhook_config::tls_verify,
              "Check the receiver's certificate and host name.",
              "true or false"),
    row::choice("from", &webhook_config::from_start,
                std::vector<std::pair<std::string_view, bool>>{{"start", true},
                                                               {"end", false}},
                "Where a webhook without a stored cursor starts.",
                "must be \"start\" or \"end\", got "),
  };
  return result;
}

void read_webhook(loader& l, const json& x, const std::string& path,
                  webhook_config& cfg) {
  auto given = l.walk(x, path, webhook_table(), cfg);
  bool has_secret = given.has("secret");
  bool has_env = given.has("secret_env");
  if (has_secret && has_env)
    l.fail(join(path, "secret"), "set either secret or secret_env, not both");
  else if (!has_secret && !has_env)
    l.fail(join(path, "secret"), "missing required key (or secret_env)");
  check_backoff_order(l, path, cfg.backoff_initial, cfg.backoff_max,
                      given.has("backoff_max"));
}

} // namespace

void read_webhooks(loader& l, const json& x, const std::string& path,
                   node_config& cfg) {
  // Unlike providers and pools, an empty section is fine (no webhooks).
  if (x.IsObject() && x.MemberCount() == 0)
    return;
  l.read_entries(x, path, "webhook", cfg.webhooks, read_webhook);
}

void document_webhooks(std::vector<table_doc>& out) {
  out.push_back(document("## `webhooks`", webhook_table()));
}

} // namespace dynserv::schema
