// The `dynservctl` binary: the admin console client of a dynserv node, for
// one command (scripts) or as an interactive console.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <pthread.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "openssl/err.h"
#include "openssl/ssl.h"

#include "actors/admin_endpoint.hpp"
#include "actors/node.hpp"
#include "tools/console/console_client.hpp"
#include "tools/console/console_commands.hpp"
#include "tools/console/console_output.hpp"
#include "tools/console/line_editor.hpp"

using namespace dynserv;
using namespace dynserv::console;

namespace {

// -- signals ------------------------------------------------------------------

/// Set by SIGINT while a handler is installed (follow mode, the console).
volatile std::sig_atomic_t interrupted = 0;

/// When >= 0, a second SIGINT exits at once with this code (for a follower
/// stuck in a blocking connect).
volatile std::sig_atomic_t second_sigint_exit = -1;

extern "C" void on_sigint(int) {
  if (interrupted != 0 && second_sigint_exit >= 0)
    _exit(second_sigint_exit);
  interrupted = 1;
}

/// Makes SIGINT set `interrupted` instead of ending the process. No
/// SA_RESTART, so a blocking read returns EINTR.
void catch_sigint() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
}

/// Sleeps for `d` unless SIGINT arrives first; returns false if it did.
bool sleep_unless_interrupted(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (interrupted)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return !interrupted;
}

// -- output -------------------------------------------------------------------

void print(const std::string& text) {
  std::cout << text << std::flush;
}

int report(const failure& f) {
  // Node errors echo user input (pool names, ids): never raw to a terminal.
  std::cerr << "dynservctl: " << dynserv::console::sanitize(f.message)
            << std::endl;
  return exit_code_of(f.kind);
}

int report_usage(const usage_error& err) {
  std::cerr << "dynservctl: " << dynserv::console::sanitize(err.message)
            << "\n";
  if (!err.usage.empty())
    std::cerr << err.usage;
  std::cerr << std::flush;
  return exit_usage;
}

// -- token and TLS ------------------------------------------------------------

/// Reads the admin token from --token-file or the environment. The token is
/// never printed, not even in part.
std::optional<std::string> read_token(const cli_options& opts,
                                      std::string& error) {
  std::string token;
  if (!opts.token_file.empty()) {
    std::ifstream in{opts.token_file};
    if (!in) {
      error = "not authenticated: cannot read token file " + opts.token_file
              + ": " + std::strerror(errno);
      return std::nullopt;
    }
    std::getline(in, token);
  } else {
    auto value = std::getenv(opts.token_env.c_str());
    if (value == nullptr || *value == '\0') {
      error = "not authenticated: no admin token: set " + opts.token_env
              + " or use --token-file PATH (a node without admin.token and "
                "admin.token_env keeps its token in <data_dir>/admin.token)";
      return std::nullopt;
    }
    token = value;
  }
  while (!token.empty()
         && (token.back() == '\r' || token.back() == '\n' || token.back() == ' '
             || token.back() == '\t'))
    token.pop_back();
  if (token.empty()) {
    error = "not authenticated: the admin token in "
            + (opts.token_file.empty() ? opts.token_env : opts.token_file)
            + " is empty";
    return std::nullopt;
  }
  if (token.size() > 4096) {
    error = "not authenticated: the admin token in "
            + (opts.token_file.empty() ? opts.token_env : opts.token_file)
            + " is too long";
    return std::nullopt;
  }
  return token;
}

extern "C" int refuse_passphrase(char*, int, int, void*) {
  return 0; // never prompt: encrypted keys are not supported
}

/// The first error in OpenSSL's queue as text.
std::string openssl_reason() {
  char buf[256] = "unknown error";
  if (auto code = ERR_get_error())
    ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

/// Loads the TLS files the way CAF's OpenSSL module will, so that a bad file
/// is a usage error here rather than an exception inside CAF (which aborts
/// or hangs the connection attempt).
std::optional<usage_error> check_tls_files(const cli_options& opts) {
  if (!opts.tls())
    return std::nullopt;
  for (auto [flag, path] : {std::pair{"--tls-ca", &opts.tls_ca},
                            std::pair{"--tls-cert", &opts.tls_cert},
                            std::pair{"--tls-key", &opts.tls_key}}) {
    if (path->empty())
      continue;
    std::ifstream in{*path};
    if (!in)
      return usage_error{std::string{"cannot read "} + flag + " "
                           + printable(*path, 200) + ": "
                           + std::strerror(errno),
                         ""};
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{
    SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  if (!ctx)
    return usage_error{"TLS: " + openssl_reason(), ""};
  SSL_CTX_set_default_passwd_cb(ctx.get(), refuse_passphrase);
  auto bad = [](const char* flag, const std::string& path, const char* what) {
    return usage_error{std::string{flag} + " " + printable(path, 200) + ": "
                         + what + " (" + openssl_reason() + ")",
                       ""};
  };
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), opts.tls_cert.c_str()) != 1)
    return bad("--tls-cert", opts.tls_cert, "not a PEM certificate");
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), opts.tls_key.c_str(),
                                  SSL_FILETYPE_PEM)
      != 1)
    return bad("--tls-key", opts.tls_key,
               "unusable private key (not PEM, encrypted, or not the key of "
               "--tls-cert)");
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return bad("--tls-key", opts.tls_key, "does not match --tls-cert");
  if (!opts.tls_ca.empty()
      && SSL_CTX_load_verify_locations(ctx.get(), opts.tls_ca.c_str(), nullptr)
           != 1)
    return bad("--tls-ca", opts.tls_ca, "no PEM CA certificates");
  return std::nullopt;
}

// -- running commands ---------------------------------------------------------

/// What the commands share: the connection, output mode and completion data.
struct console_state {
  client& node;
  /// --json on the command line.
  bool json = false;
  /// True for the interactive console (help lists commands, not options).
  bool interactive = false;
  completion_data completion;
};

/// Remembers pool names and server ids for tab completion.
void remember(console_state& st, const std::vector<pool_status>& pools) {
  st.completion.pools.clear();
  st.completion.servers.clear();
  for (const auto& p : pools) {
    st.completion.pools.push_back(p.name);
    for (const auto& s : p.servers)
      if (s.status != server_status::deleted)
        st.completion.servers.push_back(s.id);
  }
}

/// Runs `f` on a connected client. Reads (`retry` set) are retried once
/// after reconnecting when the session or connection was gone; commands
/// that change something are not, since they may have taken effect.
template <class F>
auto with_node(console_state& st, bool retry, F f) -> decltype(f()) {
  if (!st.node.connected()) {
    if (auto err = st.node.connect()) {
      decltype(f()) res;
      res.error = *err;
      return res;
    }
  }
  auto res = f();
  if (!res && res.error.kind == failure_kind::lost && retry
      && !st.node.connect())
    res = f();
  return res;
}

/// Checks that `pool` exists (for filters, which the node does not check).
std::optional<failure> check_pool(console_state& st, const std::string& pool) {
  auto pools = with_node(st, true, [&] { return st.node.status(); });
  if (!pools)
    return pools.error;
  remember(st, *pools.value);
  if (auto msg = unknown_pool_message(*pools.value, pool))
    return failure{failure_kind::node_error, *msg};
  return std::nullopt;
}

/// `events --follow`: polls every 250 ms and prints each new event once.
/// When the node goes away it reconnects every 500 ms (one notice on stderr
/// per outage) and resumes after the last seq printed: no gap, no repeat.
int follow_events(console_state& st, const command& cmd, bool json) {
  auto& node = st.node;
  uint64_t last = cmd.since;
  bool outage = false;
  auto wait_after_failure = [&] {
    if (!outage) {
      outage = true;
      std::cerr << "dynservctl: lost connection to node at "
                << to_string(node.node())
                << "; reconnecting every 500 ms (Ctrl-C stops)" << std::endl;
    }
    return sleep_unless_interrupted(std::chrono::milliseconds{500});
  };
  for (;;) {
    if (interrupted)
      return exit_ok;
    // A session that is still up is kept (no new login per retry); a gone
    // one is replaced.
    if (!node.connected()) {
      if (auto err = node.connect()) {
        if (err->kind == failure_kind::unauthorized)
          return report(*err);
        if (!wait_after_failure())
          return exit_ok;
        continue;
      }
    }
    auto page = node.events(last, 1000, caf::timespan{poll_timeout});
    if (!page) {
      if (page.error.kind == failure_kind::interrupted)
        return exit_ok;
      if (page.error.kind == failure_kind::node_error)
        return report(page.error);
      if (!wait_after_failure())
        return exit_ok;
      continue;
    }
    if (outage) {
      outage = false;
      std::cerr << "dynservctl: reconnected to node at "
                << to_string(node.node()) << "; resuming after event " << last
                << std::endl;
    }
    for (const auto& ev : *page.value) {
      if (ev.seq <= last)
        continue; // never print an event twice
      last = ev.seq;
      if (!cmd.pool.empty() && ev.pool != cmd.pool)
        continue;
      print(format_event_line(ev, json));
    }
    if (page.value->size() >= 1000)
      continue; // more are waiting
    if (!sleep_unless_interrupted(std::chrono::milliseconds{250}))
      return exit_ok;
  }
}

int run_events(console_state& st, const command& cmd, bool json) {
  if (!cmd.pool.empty())
    if (auto err = check_pool(st, cmd.pool))
      return report(*err);
  if (cmd.follow)
    return follow_events(st, cmd, json);
  std::vector<event_record> events;
  uint64_t after = cmd.since;
  for (;;) {
    auto page = with_node(st, true,
                          [&] { return st.node.events(after, 1000); });
    if (!page)
      return report(page.error);
    auto& xs = *page.value;
    for (auto& ev : xs) {
      if (ev.seq <= after)
        continue;
      after = ev.seq;
      if (cmd.pool.empty() || ev.pool == cmd.pool)
        events.push_back(std::move(ev));
    }
    if (xs.size() < 1000 || xs.empty())
      break;
  }
  print(format_events(events, cmd.since, json));
  return exit_ok;
}

/// Reports the failure of `res`, or prints what `format` makes of its value.
template <class T, class Format>
int print_outcome(const outcome<T>& res, Format format) {
  if (!res)
    return report(res.error);
  print(format(*res.value));
  return exit_ok;
}

/// `help [COMMAND]`: the usage of COMMAND, else the commands (console) or
/// the full usage (command line).
int run_help(const console_state& st, const command& cmd) {
  if (!cmd.topic.empty())
    print(usage_of(*find_command(cmd.topic)));
  else
    print(st.interactive ? commands_help() : cli_usage());
  return exit_ok;
}

/// `status`, `pools` and `servers`: one status query, three views of it.
int run_listing(console_state& st, const command& cmd, bool json) {
  auto pools = with_node(st, true, [&] { return st.node.status(); });
  if (!pools)
    return report(pools.error);
  remember(st, *pools.value);
  if (cmd.kind == command_kind::status) {
    print(format_status(*pools.value, json));
  } else if (cmd.kind == command_kind::pools) {
    print(format_pools(*pools.value, json));
  } else {
    if (!cmd.pool.empty())
      if (auto msg = unknown_pool_message(*pools.value, cmd.pool))
        return report({failure_kind::node_error, *msg});
    print(format_servers(
      select_servers(*pools.value, cmd.pool, cmd.status_filter), json));
  }
  return exit_ok;
}

int run_server(console_state& st, const command& cmd, bool json) {
  auto rec = with_node(st, true, [&] { return st.node.server(cmd.server_id); });
  return print_outcome(rec, [&](auto& x) { return format_server(x, json); });
}

/// `ensure`, `increase` and `decrease`.
int run_scale(console_state& st, const command& cmd, bool json) {
  auto reply = with_node(st, false, [&] {
    return st.node.scale(cmd.kind, cmd.pool, cmd.count);
  });
  return print_outcome(reply, [&](auto& x) { return format_scale(x, json); });
}

/// `reboot`, with or without `--abort`.
int run_reboot(console_state& st, const command& cmd, bool json) {
  auto n = with_node(st, false, [&] {
    return cmd.abort ? st.node.abort_reboot(cmd.pool)
                     : st.node.reboot(cmd.pool, cmd.max_unavailable);
  });
  return print_outcome(n, [&](auto& x) {
    return format_rollout(cmd.pool, x, json);
  });
}

int run_stop(console_state& st, const command& cmd, bool json) {
  auto rec = with_node(st, false, [&] { return st.node.stop(cmd.server_id); });
  return print_outcome(rec, [&](auto& x) { return format_stop(x, json); });
}

int run_limits(console_state& st, bool json) {
  auto info = with_node(st, true, [&] { return st.node.limits(); });
  return print_outcome(info, [&](auto& x) { return format_limits(x, json); });
}

int run_webhooks(console_state& st, bool json) {
  auto hooks = with_node(st, true, [&] { return st.node.webhooks(); });
  return print_outcome(hooks,
                       [&](auto& x) { return format_webhooks(x, json); });
}

int run_decisions(console_state& st, const command& cmd, bool json) {
  auto ds = with_node(st, true, [&] {
    return st.node.decisions(cmd.pool, static_cast<uint32_t>(cmd.count));
  });
  return print_outcome(ds, [&](auto& x) {
    return format_decisions(cmd.pool, x, json);
  });
}

/// `pause` and `resume`.
int run_pause(console_state& st, const command& cmd, bool json) {
  auto p = with_node(st, false, [&] {
    return st.node.pause(cmd.pool, cmd.kind == command_kind::pause);
  });
  return print_outcome(p, [&](auto& x) { return format_pause(x, json); });
}

/// Runs one parsed command and returns its exit code.
int run_command(console_state& st, const command& cmd) {
  bool json = st.json || cmd.json;
  switch (cmd.kind) {
    case command_kind::help:
      return run_help(st, cmd);
    case command_kind::quit:
      return exit_ok;
    case command_kind::status:
    case command_kind::pools:
    case command_kind::servers:
      return run_listing(st, cmd, json);
    case command_kind::server:
      return run_server(st, cmd, json);
    case command_kind::ensure:
    case command_kind::increase:
    case command_kind::decrease:
      return run_scale(st, cmd, json);
    case command_kind::reboot:
      return run_reboot(st, cmd, json);
    case command_kind::stop:
      return run_stop(st, cmd, json);
    case command_kind::events:
      return run_events(st, cmd, json);
    case command_kind::limits:
      return run_limits(st, json);
    case command_kind::webhooks:
      return run_webhooks(st, json);
    case command_kind::decisions:
      return run_decisions(st, cmd, json);
    case command_kind::pause:
    case command_kind::resume:
      return run_pause(st, cmd, json);
  }
  return exit_ok;
}

// -- the console --------------------------------------------------------------

/// Where the console keeps its history: $DYNSERVCTL_HISTORY (empty: none),
/// else ~/.dynservctl_history.
std::string history_file() {
  if (auto path = std::getenv("DYNSERVCTL_HISTORY"))
    return path;
  if (auto home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string{home} + "/.dynservctl_history";
  return "";
}

/// Longest console line accepted.
constexpr size_t max_line_size = 64 * 1024;

/// Reads commands from a terminal (with a prompt) or from a pipe (without).
/// Returns 0 if every command succeeded, else the code of the last failure.
int run_console(console_state& st) {
  bool terminal = ::isatty(STDIN_FILENO) == 1;
  line_editor editor{terminal, terminal ? history_file() : "", &interrupted};
  editor.set_completer(
    [&st](std::string_view line) { return complete(line, st.completion); });
  if (terminal)
    print("connected to node at " + to_string(st.node.node())
          + "; type 'help' for the commands, 'quit' to leave\n");
  // Pool names and server ids for completion.
  if (auto pools = st.node.status())
    remember(st, *pools.value);
  int result = exit_ok;
  std::string line;
  for (;;) {
    interrupted = 0;
    auto got = editor.read_line("dynserv> ", line);
    if (got == line_editor::status::eof) {
      if (terminal)
        print("\n");
      break;
    }
    if (got == line_editor::status::interrupted) {
      if (!terminal)
        return 130;
      continue;
    }
    int rc = exit_ok;
    if (line.size() > max_line_size) {
      rc = report_usage({"line too long (" + std::to_string(line.size())
                           + " characters; at most "
                           + std::to_string(max_line_size) + ")",
                         ""});
    } else {
      auto words = split_line(line);
      if (auto err = std::get_if<usage_error>(&words)) {
        rc = report_usage(*err);
      } else if (auto& ws = std::get<std::vector<std::string>>(words);
                 !ws.empty()) {
        auto parsed = parse_command(ws);
        if (auto err = std::get_if<usage_error>(&parsed)) {
          rc = report_usage(*err);
        } else {
          const auto& cmd = std::get<command>(parsed);
          if (cmd.kind == command_kind::quit)
            break;
          rc = run_command(st, cmd);
          if (interrupted && terminal)
            print("\n");
        }
      }
    }
    if (rc != exit_ok)
      result = rc;
  }
  return result;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed_cli = parse_cli(args);
  if (auto err = std::get_if<usage_error>(&parsed_cli)) {
    report_usage(*err);
    std::cerr << "Run 'dynservctl --help' for the usage.\n";
    return exit_usage;
  }
  auto& opts = std::get<cli_options>(parsed_cli);
  if (opts.help) {
    print(cli_usage());
    return exit_ok;
  }
  if (opts.version) {
    print(std::string{"dynservctl "} + DYNSERV_VERSION + "\n");
    return exit_ok;
  }
  // Parse the command before connecting: bad input never costs a login.
  std::optional<command> cmd;
  if (!opts.words.empty()) {
    auto parsed = parse_command(opts.words);
    if (auto err = std::get_if<usage_error>(&parsed))
      return report_usage(*err);
    cmd = std::get<command>(parsed);
    if (cmd->kind == command_kind::help) {
      print(cmd->topic.empty() ? cli_usage()
                               : usage_of(*find_command(cmd->topic)));
      return exit_ok;
    }
    if (cmd->kind == command_kind::quit)
      return exit_ok;
  }
  if (auto err = check_tls_files(opts))
    return report_usage(*err);
  std::string token_error;
  auto token = read_token(opts, token_error);
  if (!token) {
    std::cerr << "dynservctl: " << token_error << std::endl;
    return exit_unreachable;
  }
  // CAF's threads inherit this mask, so SIGINT always reaches the main
  // thread (its default action, or our handler in follow mode and the
  // console).
  sigset_t sigint;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigint, nullptr);
  bool follow = cmd && cmd->kind == command_kind::events && cmd->follow;
  if (!cmd || follow)
    catch_sigint();
  if (follow)
    second_sigint_exit = exit_ok;
  else if (!cmd)
    second_sigint_exit = 130;
  int rc = exit_ok;
  {
    caf::actor_system_config sys_cfg;
    add_dynserv_types(sys_cfg);
    // A client needs little: two workers sharing one queue, which sleep
    // when idle (the default work-stealing workers poll busily after each
    // wake-up, which a follower polling every 250 ms pays for all along).
    sys_cfg.set("scheduler.max-threads", 2);
    sys_cfg.set("scheduler.policy", caf::atom("sharing"));
    admin_tls_config tls{opts.tls_cert, opts.tls_key, opts.tls_ca};
    configure_remoting(sys_cfg, opts.tls() ? &tls : nullptr);
    caf::actor_system sys{sys_cfg};
    pthread_sigmask(SIG_UNBLOCK, &sigint, nullptr);
    client node{sys, opts.connect, std::move(*token), opts.tls(), &interrupted};
    console_state st{node, opts.json, !cmd, {}};
    if (auto err = node.connect()) {
      rc = err->kind == failure_kind::interrupted && follow ? exit_ok
                                                            : report(*err);
    } else if (cmd) {
      rc = run_command(st, *cmd);
    } else {
      rc = run_console(st);
    }
  }
  return rc;
}
