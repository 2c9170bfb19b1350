// The `dynserv` binary: run a node, or report on its store and its cloud.
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <pthread.h>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "spdlog/spdlog.h"

#include "actors/admin_endpoint.hpp"
#include "actors/node.hpp"
#include "actors/webhook_actor.hpp"
#include "api/http_api.hpp"
#include "config/node_config.hpp"
#include "messages/errors.hpp"
#include "telemetry/metrics.hpp"
#include "tools/node/reports.hpp"
#include "web/web_assets.hpp"

namespace {

constexpr const char* usage_text = R"(usage:
  dynserv run --config FILE
      Runs a node. SIGINT/SIGTERM stop it cleanly; SIGHUP re-reads the pools'
      desired counts from FILE.
  dynserv status --data-dir DIR [--json]
      Prints pools and servers from the node's store (works while it runs).
  dynserv provider-servers --config FILE [--json] [--history]
      Lists the servers the providers hold with this node's labels and whether
      the store knows each one. --history (simulated provider only) also lists
      deleted servers.
  dynserv --help | --version
)";

/// How long requests in flight may take to finish on shutdown.
constexpr auto http_shutdown_grace = std::chrono::seconds{5};

int usage_error(const std::string& msg) {
  std::cerr << "dynserv: " << msg << "\n" << usage_text;
  return 2;
}

/// Parses `--flag VALUE` / `--flag` options after the subcommand.
struct options {
  std::string config;
  std::string data_dir;
  bool json = false;
  bool history = false;
};

bool parse_options(const std::vector<std::string>& args, options& opts,
                   std::string& error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) {
        error = a + " needs a value";
        return false;
      }
      out = args[++i];
      return true;
    };
    if (a == "--config") {
      if (!value(opts.config))
        return false;
    } else if (a == "--data-dir") {
      if (!value(opts.data_dir))
        return false;
    } else if (a == "--json") {
      opts.json = true;
    } else if (a == "--history") {
      opts.history = true;
    } else {
      error = "unknown option " + a;
      return false;
    }
  }
  return true;
}

std::optional<dynserv::node_config> load_or_report(const std::string& path) {
  auto res = dynserv::load_config_file(path);
  for (const auto& err : res.errors)
    std::cerr << "dynserv: config error: " << err.to_string() << "\n";
  return res.config;
}

void set_log_level(const std::string& level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

/// The admin console's and the HTTP API's tokens (empty when disabled).
struct api_tokens {
  std::string admin;
  std::string http;
};

std::optional<api_tokens> read_tokens(const dynserv::node_config& cfg) {
  api_tokens out;
  if (cfg.admin.enabled) {
    auto tok = dynserv::admin_token(cfg);
    if (!tok) {
      std::cerr << "dynserv: " << dynserv::describe(tok.error()) << "\n";
      return std::nullopt;
    }
    out.admin = std::move(*tok);
  }
  if (cfg.http.enabled) {
    auto tok = dynserv::http_token(cfg);
    if (!tok) {
      std::cerr << "dynserv: " << dynserv::describe(tok.error()) << "\n";
      return std::nullopt;
    }
    out.http = std::move(*tok);
  }
  return out;
}

/// Spawns the webhooks and hands them to the node; false after reporting a
/// bad URL or an unreadable CA file (found when making the HTTP client).
bool start_webhooks_or_report(caf::actor_system& sys,
                              const dynserv::node_config& cfg,
                              dynserv::node_runtime& node) {
  auto hooks = dynserv::start_webhooks(sys, cfg, node.snapshots);
  if (hooks) {
    dynserv::attach_webhooks(node, std::move(*hooks));
    return true;
  }
  auto& err = hooks.error();
  if (err.category() == dynserv::error_category
      && err.code() == static_cast<uint8_t>(dynserv::ec::invalid_config)
      && err.context().match_elements<std::string>())
    std::cerr << "dynserv: config error: "
              << err.context().get_as<std::string>(0) << "\n";
  else
    std::cerr << "dynserv: " << dynserv::describe(err) << "\n";
  return false;
}

/// Re-reads the pools' desired counts from `config_path` and hands them to
/// the supervisor (SIGHUP).
void reload_desired_counts(caf::actor_system& sys,
                           const dynserv::node_runtime& node,
                           const std::string& config_path) {
  auto reloaded = load_or_report(config_path);
  if (!reloaded) {
    spdlog::error("SIGHUP: {} is invalid; keeping the running counts",
                  config_path);
    return;
  }
  std::vector<dynserv::pool_record> declared;
  for (const auto& [name, pool] : reloaded->pools) {
    dynserv::pool_record rec;
    rec.name = name;
    rec.desired = pool.desired;
    rec.file_desired = pool.desired;
    declared.push_back(std::move(rec));
  }
  caf::scoped_actor self{sys};
  self
    ->request(node.supervisor, std::chrono::seconds{30},
              dynserv::atom::reload_v, declared)
    .receive(
      [](const std::vector<dynserv::scale_reply>& replies) {
        for (const auto& r : replies)
          spdlog::info("SIGHUP: pool {} desired {} -> {} {}", r.pool,
                       r.previous_desired, r.desired, r.note);
      },
      [&](const caf::error& err) {
        spdlog::error("SIGHUP: reload failed: {}", sys.render(err));
      });
}

/// The node's network endpoints: the admin console and the HTTP API (each
/// only when enabled). Stopping them ends the node's intake.
struct endpoints {
  dynserv::admin_gate_actor admin_gate;
  std::unique_ptr<dynserv::http_endpoint> http;

  /// The API goes first: requests in flight get their answers from the node
  /// (up to the grace period), event streams end.
  void stop() {
    if (http)
      http->stop(http_shutdown_grace);
    if (admin_gate)
      caf::anon_send_exit(admin_gate, caf::exit_reason::user_shutdown);
  }
};

/// Publishes the admin console and starts the HTTP API; false after
/// reporting why one of them could not start (`eps` holds what did).
bool start_endpoints(caf::actor_system& sys, const dynserv::node_config& cfg,
                     const api_tokens& tokens, dynserv::node_runtime& node,
                     endpoints& eps) {
  if (cfg.admin.enabled) {
    auto endpoint = dynserv::publish_admin(sys, cfg, tokens.admin,
                                           node.supervisor);
    if (!endpoint) {
      std::cerr << "dynserv: " << dynserv::describe(endpoint.error()) << "\n";
      return false;
    }
    eps.admin_gate = endpoint->gate;
    if (cfg.admin.token.empty() && cfg.admin.token_env.empty())
      spdlog::info("admin console token is in {}",
                   dynserv::admin_token_file(cfg));
  }
  if (cfg.http.enabled) {
    auto endpoint = dynserv::start_http_endpoint(
      sys, cfg, tokens.http, node.supervisor, dynserv::render_prometheus,
      [](const dynserv::http_request& req, dynserv::http_response& res) {
        return dynserv::serve_web_asset(req, res);
      });
    if (!endpoint) {
      std::cerr << "dynserv: " << dynserv::describe(endpoint.error()) << "\n";
      return false;
    }
    eps.http = std::move(*endpoint);
    if (cfg.http.token.empty() && cfg.http.token_env.empty())
      spdlog::info("http api token is in {}", dynserv::http_token_file(cfg));
  }
  return true;
}

int run(const options& opts) {
  if (opts.config.empty())
    return usage_error("run needs --config FILE");
  auto cfg = load_or_report(opts.config);
  if (!cfg)
    return 2;
  set_log_level(cfg->log_level);
  std::error_code fs_err;
  std::filesystem::create_directories(cfg->data_dir, fs_err);
  if (fs_err) {
    std::cerr << "dynserv: cannot create node.data_dir " << cfg->data_dir
              << ": " << fs_err.message() << "\n";
    return 1;
  }
  // Signals are handled by sigwait() in this thread; block them before CAF
  // starts its threads so that they inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto tokens = read_tokens(*cfg);
  if (!tokens)
    return 2;
  caf::actor_system_config sys_cfg;
  dynserv::add_dynserv_types(sys_cfg);
  if (cfg->admin.enabled)
    dynserv::configure_remoting(sys_cfg,
                                cfg->admin.tls ? &*cfg->admin.tls : nullptr);
  caf::actor_system sys{sys_cfg};
  auto node = dynserv::start_node(sys, *cfg, {});
  if (!node) {
    std::cerr << "dynserv: cannot start node: " << sys.render(node.error())
              << "\n";
    return 1;
  }
  if (!start_webhooks_or_report(sys, *cfg, *node)) {
    dynserv::stop_node(*node);
    return 2;
  }
  endpoints eps;
  if (!start_endpoints(sys, *cfg, *tokens, *node, eps)) {
    eps.stop();
    dynserv::stop_node(*node);
    return 1;
  }
  spdlog::info("node {} running with data in {} ({} pools, max_servers {})",
               cfg->name, cfg->data_dir, cfg->pools.size(), cfg->max_servers);
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != SIGHUP) {
      spdlog::info("received {}, shutting down", strsignal(sig));
      break;
    }
    reload_desired_counts(sys, *node, opts.config);
  }
  eps.stop();
  dynserv::stop_node(*node);
  // The actor system's destructor waits for every actor to finish; every
  // transition is already durable, so servers resume on the next start.
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return usage_error("missing command");
  auto command = args.front();
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage_text;
    return 0;
  }
  if (command == "--version") {
    std::cout << "dynserv " << DYNSERV_VERSION << "\n";
    return 0;
  }
  options opts;
  std::string error;
  if (!parse_options({args.begin() + 1, args.end()}, opts, error))
    return usage_error(error);
  if (command == "run") {
    int rc = run(opts);
    if (rc == 0)
      spdlog::info("node stopped");
    return rc;
  }
  if (command == "status") {
    if (opts.data_dir.empty())
      return usage_error("status needs --data-dir DIR");
    return dynserv::print_status(opts.data_dir, opts.json, std::cout,
                                 std::cerr);
  }
  if (command == "provider-servers") {
    if (opts.config.empty())
      return usage_error("provider-servers needs --config FILE");
    auto cfg = load_or_report(opts.config);
    if (!cfg)
      return 2;
    spdlog::set_level(spdlog::level::warn);
    return dynserv::print_provider_servers(*cfg, opts.json, opts.history,
                                           std::cout, std::cerr);
  }
  return usage_error("unknown command " + command);
}
