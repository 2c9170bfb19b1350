// The exec provider: each operation runs a command that speaks JSON.
#include "providers/exec_provider.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "providers/http_provider_support.hpp"

extern char** environ;

namespace dynserv {

using namespace http_support;

namespace {

/// A command writing more than this to stdout is killed.
constexpr size_t max_output = 16 * 1024 * 1024;

/// Only this much of stderr is kept (the rest is read and dropped).
constexpr size_t max_stderr = 4096;

/// Longest stderr line quoted in an error message.
constexpr size_t max_stderr_line = 300;

// -- process handling ---------------------------------------------------------

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Closes the descriptors it owns.
struct fd_set_guard {
  std::vector<int*> fds;

  ~fd_set_guard() {
    for (auto fd : fds)
      if (*fd >= 0) {
        ::close(*fd);
        *fd = -1;
      }
  }
};

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

bool set_nonblocking(int fd) {
  auto flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/// Reads what is available; returns false at EOF or on a hard error.
bool read_some(int fd, std::string& into, size_t keep, size_t& total) {
  char buf[16384];
  for (;;) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      total += static_cast<size_t>(n);
      if (into.size() < keep)
        into.append(buf, std::min(static_cast<size_t>(n), keep - into.size()));
      continue;
    }
    if (n == 0)
      return false;
    if (errno == EINTR)
      continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

/// Blocks SIGPIPE for this thread while it writes to a pipe whose reader may
/// be gone, and swallows a SIGPIPE raised meanwhile, so that a command that
/// does not read its stdin cannot kill the node.
class sigpipe_guard {
public:
  sigpipe_guard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }

  ~sigpipe_guard() {
    if (!was_pending_) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
        // drained
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
  sigset_t old_;
  bool was_pending_ = false;
};

std::string join(const std::vector<std::string>& argv) {
  std::string result;
  for (const auto& arg : argv) {
    if (!result.empty())
      result += ' ';
    result += arg;
  }
  return result;
}

} // namespace

exec_outcome run_command(const exec_options& opts, const std::string& input) {
  exec_outcome result;
  if (opts.command.empty()) {
    result.failure = "not_found";
    result.detail = "no command configured";
    return result;
  }
  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  fd_set_guard guard{{&in_pipe[0], &in_pipe[1], &out_pipe[0], &out_pipe[1],
                      &err_pipe[0], &err_pipe[1]}};
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0
      || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.failure = "spawn_failed";
    result.detail = std::string{"pipe: "} + std::strerror(errno);
    return result;
  }
  // Environment: the node's, with `env` replacing or adding variables.
  std::map<std::string, std::string> env_map;
  for (auto e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv{*e};
    auto eq = kv.find('=');
    if (eq != std::string_view::npos)
      env_map.emplace(std::string{kv.substr(0, eq)},
                      std::string{kv.substr(eq + 1)});
  }
  for (const auto& [key, value] : opts.env)
    env_map[key] = value;
  std::vector<std::string> env_strings;
  env_strings.reserve(env_map.size());
  for (const auto& [key, value] : env_map)
    env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& x : env_strings)
    envp.push_back(x.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = opts.command;
  std::vector<char*> argv;
  for (auto& x : args)
    argv.push_back(x.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills everything it started; default
  // signal handling and an empty mask whatever the node's thread has.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                    | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  auto rc
    = opts.command[0].find('/') == std::string::npos
        ? posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data())
        : posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.failure = rc == ENOENT   ? "not_found"
                     : rc == EACCES ? "not_executable"
                                    : "spawn_failed";
    result.detail = opts.command[0] + ": " + std::strerror(rc);
    return result;
  }
  close_fd(in_pipe[0]);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  set_nonblocking(in_pipe[1]);
  set_nonblocking(out_pipe[0]);
  set_nonblocking(err_pipe[0]);
  sigpipe_guard no_sigpipe;
  auto deadline = steady_now_ms() + std::max<int64_t>(opts.timeout.count(), 1);
  size_t written = 0;
  size_t out_total = 0;
  size_t err_total = 0;
  if (input.empty())
    close_fd(in_pipe[1]);
  int status = 0;
  auto kill_group = [&] {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      // retry
    }
  };
  for (;;) {
    auto now = steady_now_ms();
    if (now >= deadline) {
      kill_group();
      result.failure = "timeout";
      result.detail = "no answer within " + std::to_string(opts.timeout.count())
                      + " ms";
      return result;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (in_pipe[1] >= 0)
      fds[n++] = {in_pipe[1], POLLOUT, 0};
    if (out_pipe[0] >= 0)
      fds[n++] = {out_pipe[0], POLLIN, 0};
    if (err_pipe[0] >= 0)
      fds[n++] = {err_pipe[0], POLLIN, 0};
    // Bounded waits so that an exit is noticed while a grandchild keeps a
    // pipe open.
    auto wait = static_cast<int>(std::min<int64_t>(deadline - now, 50));
    if (::poll(n > 0 ? fds : nullptr, n, wait) < 0 && errno != EINTR) {
      kill_group();
      result.failure = "spawn_failed";
      result.detail = std::string{"poll: "} + std::strerror(errno);
      return result;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].fd == in_pipe[1]) {
        if (fds[i].revents & (POLLERR | POLLHUP)) {
          close_fd(in_pipe[1]); // it does not read its input
          continue;
        }
        auto k = ::write(in_pipe[1], input.data() + written,
                         input.size() - written);
        if (k > 0)
          written += static_cast<size_t>(k);
        else if (k < 0 && errno != EAGAIN && errno != EINTR)
          close_fd(in_pipe[1]);
        if (written == input.size())
          close_fd(in_pipe[1]);
      } else if (fds[i].fd == out_pipe[0]) {
        if (!read_some(out_pipe[0], result.out, max_output + 1, out_total))
          close_fd(out_pipe[0]);
      } else if (fds[i].fd == err_pipe[0]) {
        if (!read_some(err_pipe[0], result.err, max_stderr, err_total))
          close_fd(err_pipe[0]);
      }
    }
    if (out_total > max_output) {
      kill_group();
      result.failure = "too_much_output";
      result.detail = "more than " + std::to_string(max_output)
                      + " bytes on stdout";
      return result;
    }
    auto w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      // Whatever it wrote before exiting is in the pipes now.
      if (out_pipe[0] >= 0)
        read_some(out_pipe[0], result.out, max_output + 1, out_total);
      if (err_pipe[0] >= 0)
        read_some(err_pipe[0], result.err, max_stderr, err_total);
      break;
    }
  }
  if (WIFEXITED(status))
    result.exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
  if (out_total > max_output) {
    result.failure = "too_much_output";
    result.detail = "more than " + std::to_string(max_output)
                    + " bytes on stdout";
  }
  return result;
}

namespace {

// -- protocol -----------------------------------------------------------------

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(writer_t& w, const std::string& x) {
  w.String(x.data(), static_cast<rapidjson::SizeType>(x.size()));
}

void write_labels(writer_t& w, const label_map& labels) {
  w.StartObject();
  for (const auto& [key, value] : labels) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    write_string(w, value);
  }
  w.EndObject();
}

std::string request_for(const char* op, const std::string& provider_id) {
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  w.StartObject();
  w.Key("op");
  w.String(op);
  w.Key("provider_id");
  write_string(w, provider_id);
  w.EndObject();
  return std::string{buf.GetString(), buf.GetSize()} + "\n";
}

bool state_from_string(std::string_view x, cloud_state& out) {
  static constexpr std::pair<const char*, cloud_state> table[] = {
    {"provisioning", cloud_state::provisioning},
    {"running", cloud_state::running},
    {"stopping", cloud_state::stopping},
    {"stopped", cloud_state::stopped},
    {"rebooting", cloud_state::rebooting},
    {"deleting", cloud_state::deleting},
    {"error", cloud_state::error},
    {"unknown", cloud_state::unknown},
  };
  for (const auto& [name, state] : table)
    if (x == name) {
      out = state;
      return true;
    }
  return false;
}

bool kind_from_string(std::string_view x, error_kind& out) {
  static constexpr std::pair<const char*, error_kind> table[] = {
    {"transient", error_kind::transient},
    {"rate_limited", error_kind::rate_limited},
    {"conflict", error_kind::conflict},
    {"not_found", error_kind::not_found},
    {"outcome_unknown", error_kind::outcome_unknown},
    {"permanent", error_kind::permanent},
  };
  for (const auto& [name, kind] : table)
    if (x == name) {
      out = kind;
      return true;
    }
  return false;
}

/// Parses one answer; returns what is wrong with it, empty if fine.
std::string parse_answer(const std::string& out, provider_reply& reply) {
  rapidjson::Document doc;
  if (!parse_json(out, doc))
    return out.find_first_not_of(" \t\r\n") == std::string::npos ? "no output"
                                                                 : "not JSON";
  if (!doc.IsObject())
    return "not a JSON object";
  if (auto err = member(&doc, "error")) {
    if (!err->IsObject())
      return "\"error\" is not an object";
    auto kind = as_string(member(err, "kind"));
    if (!kind)
      return "error.kind is missing or not a string";
    if (!kind_from_string(*kind, reply.error.kind))
      return "error.kind \"" + excerpt(*kind, 40)
             + "\" is not one of "
               "transient, rate_limited, conflict, not_found, outcome_unknown, "
               "permanent";
    auto code = member(err, "code");
    auto message = member(err, "message");
    auto wait = member(err, "retry_after_ms");
    if ((code && !code->IsString()) || (message && !message->IsString()))
      return "error.code and error.message must be strings";
    if (wait && (!wait->IsInt64() || wait->GetInt64() < 0))
      return "error.retry_after_ms must be a non-negative integer";
    reply.error.code = as_string(code).value_or(*kind);
    reply.error.message = as_string(message).value_or("");
    reply.error.retry_after_ms = wait ? wait->GetInt64() : 0;
    return {};
  }
  auto servers = member(&doc, "servers");
  if (servers == nullptr)
    return "neither \"servers\" nor \"error\"";
  if (!servers->IsArray())
    return "\"servers\" is not a list";
  for (rapidjson::SizeType i = 0; i < servers->Size(); ++i) {
    const auto& item = (*servers)[i];
    auto where = "servers[" + std::to_string(i) + "]";
    if (!item.IsObject())
      return where + " is not an object";
    cloud_server srv;
    auto id = as_string(member(&item, "provider_id"));
    if (!id || id->empty())
      return where + ".provider_id is missing or not a non-empty string";
    srv.provider_id = std::move(*id);
    auto name = member(&item, "name");
    if (name && !name->IsString())
      return where + ".name is not a string";
    srv.name = as_string(name).value_or("");
    auto labels = member(&item, "labels");
    if (labels) {
      if (!labels->IsObject())
        return where + ".labels is not an object";
      for (auto m = labels->MemberBegin(); m != labels->MemberEnd(); ++m)
        if (!m->value.IsString())
          return where + ".labels values must be strings";
      srv.labels = as_label_object(labels);
    }
    auto state = as_string(member(&item, "state"));
    if (!state)
      return where + ".state is missing or not a string";
    if (!state_from_string(*state, srv.state))
      return where + ".state \"" + excerpt(*state, 40) + "\" is unknown";
    auto raw = member(&item, "raw_state");
    if (raw && !raw->IsString())
      return where + ".raw_state is not a string";
    srv.raw_state = as_string(raw).value_or(*state);
    auto created = member(&item, "created_at_ms");
    if (created && !created->IsInt64())
      return where + ".created_at_ms is not an integer";
    srv.created_at_ms = created ? created->GetInt64() : 0;
    reply.servers.push_back(std::move(srv));
  }
  return {};
}

std::string first_line(const std::string& x) {
  auto start = x.find_first_not_of(" \t\r\n");
  if (start == std::string::npos)
    return {};
  auto end = x.find('\n', start);
  return excerpt(x.substr(start, end == std::string::npos ? end : end - start),
                 max_stderr_line);
}

/// Runs one operation. `expect_one`: the answer must hold one server.
provider_reply run(const exec_options& opts, const char* op,
                   const std::string& request, bool expect_one) {
  auto reply = fresh_reply();
  reply.requests = 1;
  auto is_create = std::string_view{op} == "create";
  // Once the command ran, a create may have happened whatever went wrong.
  auto after_start = is_create ? error_kind::outcome_unknown
                               : error_kind::transient;
  // The command line is only quoted; inline scripts can be long.
  auto cmd = excerpt(join(opts.command), 120);
  auto outcome = run_command(opts, request);
  if (outcome.failure == "not_found" || outcome.failure == "not_executable") {
    reply.error = make_error(error_kind::permanent,
                             outcome.failure == "not_found"
                               ? "command_not_found"
                               : "command_not_executable",
                             outcome.detail);
    return reply;
  }
  if (outcome.failure == "spawn_failed") {
    reply.error = make_error(error_kind::transient, "spawn_failed",
                             outcome.detail);
    return reply;
  }
  if (outcome.failure == "timeout") {
    reply.error = make_error(after_start, "timeout",
                             std::string{op} + ": " + cmd + ": "
                               + outcome.detail + "; killed");
    return reply;
  }
  if (outcome.failure == "too_much_output") {
    reply.error
      = make_error(after_start, "bad_output",
                   std::string{op} + ": " + cmd + ": " + outcome.detail);
    return reply;
  }
  if (outcome.exit_status != 0) {
    auto how = outcome.signal != 0
                 ? "killed by signal " + std::to_string(outcome.signal)
                 : "exited with status " + std::to_string(outcome.exit_status);
    auto line = first_line(outcome.err);
    reply.error = make_error(after_start, "exit_status",
                             std::string{op} + ": " + cmd + " " + how
                               + (line.empty() ? "" : ": " + line));
    return reply;
  }
  auto problem = parse_answer(outcome.out, reply);
  if (problem.empty() && reply.ok() && expect_one && reply.servers.size() != 1)
    problem = "expected exactly one server, got "
              + std::to_string(reply.servers.size());
  if (!problem.empty()) {
    reply.servers.clear();
    reply.error = make_error(after_start, "bad_output",
                             std::string{op} + ": " + cmd + ": " + problem
                               + "; output: " + excerpt(outcome.out));
  }
  return reply;
}

} // namespace

exec_provider::exec_provider(exec_options opts) : opts_(std::move(opts)) {
  // nop
}

exec_provider::~exec_provider() = default;

std::string exec_provider::type_name() const {
  return "exec";
}

provider_capabilities exec_provider::capabilities() const {
  provider_capabilities result;
  result.list_by_labels = true;
  result.delete_running = false;
  result.start_stopped = true;
  result.reboot = true;
  return result;
}

provider_reply exec_provider::create(const create_request& req) {
  rapidjson::Document spec;
  spec_problems problems;
  if (!parse_spec(req.spec, spec, problems)) {
    auto reply = fresh_reply();
    reply.error = invalid_spec(problems);
    return reply;
  }
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  w.StartObject();
  w.Key("op");
  w.String("create");
  w.Key("request");
  w.StartObject();
  w.Key("server_id");
  write_string(w, req.server_id);
  w.Key("name");
  write_string(w, req.name);
  w.Key("pool");
  write_string(w, req.pool);
  w.Key("labels");
  write_labels(w, req.labels);
  w.Key("spec");
  spec.Accept(w);
  w.EndObject();
  w.EndObject();
  return run(opts_, "create",
             std::string{buf.GetString(), buf.GetSize()} + "\n", true);
}

provider_reply exec_provider::get(const std::string& provider_id) {
  return run(opts_, "get", request_for("get", provider_id), true);
}

provider_reply exec_provider::list(const label_map& selector) {
  rapidjson::StringBuffer buf;
  writer_t w{buf};
  w.StartObject();
  w.Key("op");
  w.String("list");
  w.Key("selector");
  write_labels(w, selector);
  w.EndObject();
  auto reply = run(opts_, "list",
                   std::string{buf.GetString(), buf.GetSize()} + "\n", false);
  // The command is asked to filter; a sloppy one must not make dynserv
  // adopt servers that are not its own.
  auto& xs = reply.servers;
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [&](const cloud_server& srv) {
                            return !has_labels(srv.labels, selector);
                          }),
           xs.end());
  return reply;
}

provider_reply exec_provider::stop(const std::string& provider_id) {
  return run(opts_, "stop", request_for("stop", provider_id), false);
}

provider_reply exec_provider::start(const std::string& provider_id) {
  return run(opts_, "start", request_for("start", provider_id), false);
}

provider_reply exec_provider::reboot(const std::string& provider_id) {
  return run(opts_, "reboot", request_for("reboot", provider_id), false);
}

provider_reply exec_provider::destroy(const std::string& provider_id) {
  return run(opts_, "delete", request_for("delete", provider_id), false);
}

} // namespace dynserv
