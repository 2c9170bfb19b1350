// Command-line parsing of dynserv-cloudsim.
#include "cloudsim/cloudsim_options.hpp"

#include <cmath>
#include <functional>
#include <map>

#include "cloudsim/sim_json.hpp"

namespace dynserv::cloudsim {

std::string cloudsim_usage() {
  return R"(Usage: dynserv-cloudsim [OPTIONS]

A loopback simulator of the UpCloud, Hetzner Cloud and DigitalOcean APIs
used by dynserv. Base URLs: http://HOST:PORT/upcloud/1.3,
http://HOST:PORT/hetzner/v1, http://HOST:PORT/digitalocean/v2; control API
at http://HOST:PORT/_sim/ (see docs/cloudsim.md). Prints one line
"dynserv-cloudsim listening on http[s]://HOST:PORT" once ready and serves
until SIGINT or SIGTERM.

Options (--opt VALUE and --opt=VALUE both work):
  --listen HOST:PORT          address to bind (default 127.0.0.1:0 = any
                              free port)
  --seed N                    seed of the random generator (default 1)
  --time-scale X              virtual seconds per real second (default 1;
                              0 freezes time, POST /_sim/advance moves it)
  --tls-cert FILE             PEM certificate; serve HTTPS (needs --tls-key)
  --tls-key FILE              PEM private key (needs --tls-cert)
  --upcloud-user U            UpCloud API user (default "dynserv")
  --upcloud-password P        UpCloud API password (default "secret")
  --upcloud-token T           UpCloud Bearer token (default "test-token")
  --hetzner-token T           Hetzner project token (default "test-token")
  --digitalocean-token T      DigitalOcean token (default "test-token")
  --rate-limits on|off        enforce rate limits (default on)
  --hetzner-rate-limit C/R    token bucket capacity C and refill R per
                              second (default 3600/1)
  --digitalocean-rate-limit H/M
                              requests per sliding hour H and per sliding
                              minute M (default 5000/250)
  --upcloud-rate-limit RPS    requests per second for UpCloud (default: no
                              limit; UpCloud publishes none)
  --latency on|off            add HTTP response latency of 50-400 ms (2% at
                              2-10 s), divided by the time scale (default on)
  --consistency-delay [PROVIDER=]SECONDS
                              new servers stay invisible (404, absent from
                              lists) for SECONDS virtual seconds; PROVIDER
                              defaults to digitalocean (default 0)
  --max-servers [PROVIDER=]N  account quota: at most N servers (all
                              providers if PROVIDER is omitted)
  --request-log N             request log entries kept (default 100000)
  --help                      show this text and exit

Bad options print an error naming the option and exit with status 2.
)";
}

namespace {

bool parse_on_off(const std::string& v, bool& out) {
  if (v == "on" || v == "true" || v == "1") {
    out = true;
    return true;
  }
  if (v == "off" || v == "false" || v == "0") {
    out = false;
    return true;
  }
  return false;
}

/// Splits "A/B" into two non-negative numbers.
bool parse_pair(const std::string& v, double& a, double& b) {
  auto slash = v.find('/');
  if (slash == std::string::npos)
    return false;
  auto x = parse_number(v.substr(0, slash));
  auto y = parse_number(v.substr(slash + 1));
  if (!x || !y || *x < 0 || *y < 0)
    return false;
  a = *x;
  b = *y;
  return true;
}

/// Splits "[provider=]value"; an empty provider means "default".
bool split_provider(const std::string& v, std::optional<provider_kind>& p,
                    std::string& value) {
  auto eq = v.find('=');
  if (eq == std::string::npos) {
    p.reset();
    value = v;
    return true;
  }
  p = parse_provider(v.substr(0, eq));
  value = v.substr(eq + 1);
  return p.has_value();
}

/// Handlers by option name; false means the value is invalid.
using option_map
  = std::map<std::string, std::function<bool(const std::string&)>>;

/// Options of the process: address, seed, time scale, TLS.
void add_server_options(option_map& options, cloudsim_cli& cli) {
  auto& sim = cli.sim;
  options.insert({
    {"--listen",
     [&](const std::string& v) {
       auto colon = v.rfind(':');
       if (colon == std::string::npos || colon == 0)
         return false;
       auto port = parse_int(v.substr(colon + 1));
       if (!port || *port < 0 || *port > 65535)
         return false;
       cli.host = v.substr(0, colon);
       if (cli.host.size() > 2 && cli.host.front() == '['
           && cli.host.back() == ']')
         cli.host = cli.host.substr(1, cli.host.size() - 2);
       cli.port = static_cast<uint16_t>(*port);
       return true;
     }},
    {"--seed",
     [&](const std::string& v) {
       auto n = parse_int(v);
       if (!n || *n < 0)
         return false;
       sim.seed = static_cast<uint64_t>(*n);
       return true;
     }},
    {"--time-scale",
     [&](const std::string& v) {
       auto x = parse_number(v);
       if (!x || *x < 0 || *x > 1e6)
         return false;
       sim.time_scale = *x;
       return true;
     }},
    {"--tls-cert",
     [&](const std::string& v) {
       cli.tls_cert = v;
       return !v.empty();
     }},
    {"--tls-key",
     [&](const std::string& v) {
       cli.tls_key = v;
       return !v.empty();
     }},
  });
}

/// The credentials each API accepts.
void add_credentials_options(option_map& options, cloudsim_cli& cli) {
  auto& creds = cli.sim.credentials;
  options.insert({
    {"--upcloud-user",
     [&](const std::string& v) {
       creds.upcloud_user = v;
       return !v.empty();
     }},
    {"--upcloud-password",
     [&](const std::string& v) {
       creds.upcloud_password = v;
       return !v.empty();
     }},
    {"--upcloud-token",
     [&](const std::string& v) {
       creds.upcloud_token = v;
       return !v.empty();
     }},
    {"--hetzner-token",
     [&](const std::string& v) {
       creds.hetzner_token = v;
       return !v.empty();
     }},
    {"--digitalocean-token",
     [&](const std::string& v) {
       creds.digitalocean_token = v;
       return !v.empty();
     }},
  });
}

/// Rate limits and response latency.
void add_limits_options(option_map& options, cloudsim_cli& cli) {
  auto& sim = cli.sim;
  options.insert({
    {"--rate-limits",
     [&](const std::string& v) {
       return parse_on_off(v, sim.rate_limits.enabled);
     }},
    {"--latency",
     [&](const std::string& v) {
       return parse_on_off(v, sim.response_latency);
     }},
    {"--hetzner-rate-limit",
     [&](const std::string& v) {
       return parse_pair(v, sim.rate_limits.hetzner_capacity,
                         sim.rate_limits.hetzner_refill_per_second);
     }},
    {"--digitalocean-rate-limit",
     [&](const std::string& v) {
       double h = 0;
       double m = 0;
       if (!parse_pair(v, h, m) || h != std::floor(h) || m != std::floor(m))
         return false;
       sim.rate_limits.digitalocean_per_hour = static_cast<int64_t>(h);
       sim.rate_limits.digitalocean_per_minute = static_cast<int64_t>(m);
       return true;
     }},
    {"--upcloud-rate-limit",
     [&](const std::string& v) {
       auto x = parse_number(v);
       if (!x || *x <= 0)
         return false;
       sim.rate_limits.upcloud_rps = *x;
       return true;
     }},
  });
}

/// Eventual consistency, quotas and the request log.
void add_world_options(option_map& options, cloudsim_cli& cli) {
  auto& sim = cli.sim;
  options.insert({
    {"--consistency-delay",
     [&](const std::string& v) {
       std::optional<provider_kind> p;
       std::string value;
       if (!split_provider(v, p, value))
         return false;
       auto x = parse_number(value);
       if (!x || *x < 0 || *x > 86400)
         return false;
       sim.consistency_delay_ms[index_of(
         p.value_or(provider_kind::digitalocean))]
         = static_cast<int64_t>(std::llround(*x * 1000));
       return true;
     }},
    {"--max-servers",
     [&](const std::string& v) {
       std::optional<provider_kind> p;
       std::string value;
       if (!split_provider(v, p, value))
         return false;
       auto n = parse_int(value);
       if (!n || *n < 0)
         return false;
       for (auto q : all_providers)
         if (!p || *p == q)
           sim.max_servers[index_of(q)] = static_cast<size_t>(*n);
       return true;
     }},
    {"--request-log",
     [&](const std::string& v) {
       auto n = parse_int(v);
       if (!n || *n < 1 || *n > 10000000)
         return false;
       sim.request_log_capacity = static_cast<size_t>(*n);
       return true;
     }},
  });
}

} // namespace

std::optional<cloudsim_cli>
parse_cloudsim_args(const std::vector<std::string>& args, std::string* error) {
  cloudsim_cli cli;
  auto& sim = cli.sim;
  option_map options;
  add_server_options(options, cli);
  add_credentials_options(options, cli);
  add_limits_options(options, cli);
  add_world_options(options, cli);
  auto fail = [&](std::string msg) -> std::optional<cloudsim_cli> {
    *error = std::move(msg);
    return std::nullopt;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    auto arg = args[i];
    if (arg == "--help" || arg == "-h") {
      cli.help = true;
      continue;
    }
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto h = options.find(arg);
    if (h == options.end())
      return fail("unknown option " + arg + " (see --help)");
    if (!inline_value) {
      if (i + 1 >= args.size())
        return fail("option " + arg + " needs a value");
      value = args[++i];
    }
    if (!h->second(value)) {
      // Never echo credential values back.
      bool secret = arg.find("password") != std::string::npos
                    || arg.find("token") != std::string::npos;
      return fail("invalid value for " + arg
                  + (secret ? std::string{} : ": \"" + value + "\""));
    }
  }
  if (cli.tls_cert.empty() != cli.tls_key.empty())
    return fail(cli.tls_cert.empty() ? "option --tls-key needs --tls-cert"
                                     : "option --tls-cert needs --tls-key");
  sim.tls = !cli.tls_cert.empty();
  return cli;
}

} // namespace dynserv::cloudsim
