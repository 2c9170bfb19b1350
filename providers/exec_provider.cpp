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

/// Sets why a run produced no usable output (see exec_outcome::failure).
void fail(exec_outcome& result, const char* failure, std::string detail) {
  result.failure = failure;
  result.detail = std::move(detail);
}

std::string too_much_output_detail() {
  return "more than " + std::to_string(max_output) + " bytes on stdout";
}

// -- spawning -----------------------------------------------------------------

/// The three pipes to a child: it reads in[0] and writes out[1] and err[1];
/// we hold the other ends. Whatever is still open is closed on destruction,
/// so that every early return of run_command cleans up.
struct child_pipes {
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};

  child_pipes() = default;
  child_pipes(const child_pipes&) = delete;
  child_pipes& operator=(const child_pipes&) = delete;

  ~child_pipes() {
    for (auto fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]})
      close_fd(*fd);
  }

  /// Returns false, with errno set, if a pipe could not be made. O_CLOEXEC
  /// keeps them out of children that other threads spawn meanwhile; our
  /// child gets its ends through dup2, which clears the flag.
  bool open() {
    return ::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0
           && ::pipe2(err, O_CLOEXEC) == 0;
  }

  /// After the spawn: drops the child's ends, so that we see EOF once it and
  /// its descendants are done with them, and makes ours non-blocking, so
  /// that one poll loop serves all three without ever getting stuck.
  void keep_parent_ends() {
    close_fd(in[0]);
    close_fd(out[1]);
    close_fd(err[1]);
    set_nonblocking(in[1]);
    set_nonblocking(out[0]);
    set_nonblocking(err[0]);
  }
};

/// The child's environment as "NAME=value" strings: the node's, with `env`
/// replacing or adding variables.
std::vector<std::string>
child_environment(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> env_map;
  for (auto e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv{*e};
    auto eq = kv.find('=');
    if (eq != std::string_view::npos)
      env_map.emplace(std::string{kv.substr(0, eq)},
                      std::string{kv.substr(eq + 1)});
  }
  for (const auto& [key, value] : env)
    env_map[key] = value;
  std::vector<std::string> result;
  result.reserve(env_map.size());
  for (const auto& [key, value] : env_map)
    result.push_back(key + "=" + value);
  return result;
}

/// The null-terminated pointer array that posix_spawn wants; it points into
/// `xs`, which must outlive it.
std::vector<char*> c_array(std::vector<std::string>& xs) {
  std::vector<char*> result;
  for (auto& x : xs)
    result.push_back(x.data());
  result.push_back(nullptr);
  return result;
}

/// Puts the child in its own process group, so that a timeout kills
/// everything it started, with default signal handling and an empty mask
/// whatever the spawning thread has.
void init_spawn_attributes(posix_spawnattr_t& attr) {
  posix_spawnattr_init(&attr);
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
}

/// Starts `opts.command` with the pipes as its stdin, stdout and stderr.
/// Returns 0 and sets `pid`, or the error of posix_spawn.
int spawn_child(const exec_options& opts, const child_pipes& pipes,
                pid_t& pid) {
  auto env_strings = child_environment(opts.env);
  auto envp = c_array(env_strings);
  std::vector<std::string> args = opts.command;
  auto argv = c_array(args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], 2);
  posix_spawnattr_t attr;
  init_spawn_attributes(attr);
  // Like a shell: a bare name is looked up in PATH, a path is used as is.
  auto rc
    = opts.command[0].find('/') == std::string::npos
        ? posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data())
        : posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

/// Maps an error of posix_spawn to exec_outcome::failure: a missing or
/// non-executable command is a configuration error, the rest may pass.
const char* spawn_failure(int rc) {
  return rc == ENOENT   ? "not_found"
         : rc == EACCES ? "not_executable"
                        : "spawn_failed";
}

// -- talking to the child -----------------------------------------------------

/// Writes the request to the child's stdin while reading its stdout and
/// stderr, all through one poll loop: a command may answer before it read
/// all of its input, and blocking on either side could then deadlock.
/// stdout is read up to one byte past max_output (so that too much is
/// noticed), stderr up to max_stderr; the rest of stderr is read and dropped
/// so that a chatty command does not stall on a full pipe.
class child_exchange {
public:
  child_exchange(child_pipes& pipes, const std::string& input,
                 exec_outcome& result)
    : pipes_(pipes), input_(input), result_(result) {
    if (input_.empty())
      close_fd(pipes_.in[1]); // EOF right away
  }

  /// Waits up to `wait_ms` for a pipe to be ready and serves those that
  /// are. Returns false, with errno set, if poll failed.
  bool serve(int wait_ms) {
    pollfd fds[3];
    nfds_t n = 0;
    if (pipes_.in[1] >= 0)
      fds[n++] = {pipes_.in[1], POLLOUT, 0};
    if (pipes_.out[0] >= 0)
      fds[n++] = {pipes_.out[0], POLLIN, 0};
    if (pipes_.err[0] >= 0)
      fds[n++] = {pipes_.err[0], POLLIN, 0};
    if (::poll(n > 0 ? fds : nullptr, n, wait_ms) < 0 && errno != EINTR)
      return false;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].fd == pipes_.in[1])
        write_input(fds[i].revents);
      else if (fds[i].fd == pipes_.out[0])
        read_stdout();
      else if (fds[i].fd == pipes_.err[0])
        read_stderr();
    }
    return true;
  }

  /// After the child exited: whatever it wrote before is in the pipes now.
  void drain() {
    if (pipes_.out[0] >= 0)
      read_some(pipes_.out[0], result_.out, max_output + 1, out_total_);
    if (pipes_.err[0] >= 0)
      read_some(pipes_.err[0], result_.err, max_stderr, err_total_);
  }

  bool too_much_output() const {
    return out_total_ > max_output;
  }

private:
  void write_input(short revents) {
    auto& fd = pipes_.in[1];
    if (revents & (POLLERR | POLLHUP)) {
      close_fd(fd); // it does not read its input
      return;
    }
    auto k = ::write(fd, input_.data() + written_, input_.size() - written_);
    if (k > 0)
      written_ += static_cast<size_t>(k);
    else if (k < 0 && errno != EAGAIN && errno != EINTR)
      close_fd(fd);
    if (written_ == input_.size())
      close_fd(fd); // EOF ends the request
  }

  void read_stdout() {
    if (!read_some(pipes_.out[0], result_.out, max_output + 1, out_total_))
      close_fd(pipes_.out[0]);
  }

  void read_stderr() {
    if (!read_some(pipes_.err[0], result_.err, max_stderr, err_total_))
      close_fd(pipes_.err[0]);
  }

  child_pipes& pipes_;
  const std::string& input_;
  exec_outcome& result_;
  size_t written_ = 0;
  size_t out_total_ = 0;
  size_t err_total_ = 0;
};

// -- ending the child ---------------------------------------------------------

/// Kills the child's whole process group, so that nothing it started lives
/// on either, and reaps the child. Waiting here is short: SIGKILL cannot be
/// caught.
void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    // retry
  }
}

/// Serves the exchange until the child exits; returns true then, with its
/// wait status in `status`. Returns false after killing it, with
/// `result.failure` set, when the timeout passed, poll failed or it wrote
/// too much.
bool await_exit(pid_t pid, child_exchange& io, millis timeout,
                exec_outcome& result, int& status) {
  auto deadline = steady_now_ms() + std::max<int64_t>(timeout.count(), 1);
  for (;;) {
    auto now = steady_now_ms();
    if (now >= deadline) {
      kill_and_reap(pid);
      fail(result, "timeout",
           "no answer within " + std::to_string(timeout.count()) + " ms");
      return false;
    }
    // Bounded waits, and the exit checked below rather than EOF awaited: a
    // grandchild may keep the pipes open long after the child is gone.
    auto wait = static_cast<int>(std::min<int64_t>(deadline - now, 50));
    if (!io.serve(wait)) {
      auto detail = std::string{"poll: "} + std::strerror(errno);
      kill_and_reap(pid);
      fail(result, "spawn_failed", std::move(detail));
      return false;
    }
    if (io.too_much_output()) {
      kill_and_reap(pid);
      fail(result, "too_much_output", too_much_output_detail());
      return false;
    }
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      io.drain();
      return true;
    }
  }
}

/// Records how the child ended, from its wait status.
void record_exit(int status, exec_outcome& result) {
  if (WIFEXITED(status))
    result.exit_status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.signal = WTERMSIG(status);
}

} // namespace

exec_outcome run_command(const exec_options& opts, const std::string& input) {
  exec_outcome result;
  if (opts.command.empty()) {
    fail(result, "not_found", "no command configured");
    return result;
  }
  child_pipes pipes;
  if (!pipes.open()) {
    fail(result, "spawn_failed", std::string{"pipe: "} + std::strerror(errno));
    return result;
  }
  pid_t pid = -1;
  if (auto rc = spawn_child(opts, pipes, pid); rc != 0) {
    fail(result, spawn_failure(rc), opts.command[0] + ": " + std::strerror(rc));
    return result;
  }
  pipes.keep_parent_ends();
  // A command that exits without reading its input must not kill the node.
  sigpipe_guard no_sigpipe;
  child_exchange io{pipes, input, result};
  int status = 0;
  if (!await_exit(pid, io, opts.timeout, result, status))
    return result;
  record_exit(status, result);
  // What it wrote just before exiting may have gone past the bound.
  if (io.too_much_output())
    fail(result, "too_much_output", too_much_output_detail());
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
