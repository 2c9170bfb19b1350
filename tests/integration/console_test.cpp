// Process-level tests of `dynservctl` against real `dynserv` nodes on
// loopback: every command in text and JSON, the exit codes and messages of
// errors, `events --follow` across restarts and crashes, the interactive
// console in a pseudo-terminal (tmux), and TLS.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "rapidjson/document.h"

#include "tests/integration/harness.hpp"

using namespace dynserv::test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

// -- constants ----------------------------------------------------------------

/// The variable that holds the admin token for the node and the client.
constexpr auto token_env = "DYNSERV_TEST_TOKEN";
constexpr auto test_token = "dynserv-console-test-token-0123456789";

/// A variable holding a token the node does not accept.
constexpr auto wrong_token_env = "DYNSERV_TEST_WRONG_TOKEN";
constexpr auto wrong_token = "not-the-admin-token-of-this-node";

/// Upper bound for a node to write admin.addr after it starts.
constexpr auto start_timeout = millis{30s};
/// Upper bound for a pool to reach its desired count with the fast config.
constexpr auto converge_timeout = millis{60s};
/// Upper bound for a process to exit after a signal.
constexpr auto exit_timeout = millis{30s};
/// Upper bound for a follower or a terminal to show what we wait for.
constexpr auto show_timeout = millis{20s};

/// Splits `text` at blanks.
std::vector<std::string> words(const std::string& text) {
  std::istringstream in{text};
  std::vector<std::string> res;
  for (std::string w; in >> w;)
    res.push_back(w);
  return res;
}

/// Keys of the JSON objects, in their documented order (docs/console.md).
const auto pool_keys = words("name provider desired min max provisioned "
                             "counts policy paused dry_run active expired "
                             "rollout circuit_breaker");
const auto rollout_keys = words("state max_unavailable_spec max_unavailable "
                                "started_at_ms finished_at_ms total done "
                                "skipped rebooting waiting");
const auto breaker_keys = words("state open_until_ms backoff_ms trips reason "
                                "window_creates window_failures");
const auto status_keys = words("pending starting running rebooting stopping "
                               "stopped deleting deleted errored hanging");
const auto server_keys = words(
  "id name pool provider status previous_status since since_ms created_at_ms "
  "provider_id provider_created_at_ms call_accepted create_attempts "
  "reboot_requested stop_requested retries last_error last_error_kind "
  "last_error_code last_error_message");
const auto event_keys = words("seq at at_ms reason pool server_id from to "
                              "message");
const auto scale_keys = words("pool previous_desired desired note");

// -- small helpers ------------------------------------------------------------

/// Finds `name` on $PATH (posix_spawn does not search it); empty if absent.
std::string find_program(const std::string& name) {
  auto path = std::getenv("PATH");
  std::stringstream dirs{path != nullptr ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

/// Writes `text` to `path`, replacing it.
void write_text(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + what.size()))
    ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> res;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    res.push_back(line);
  return res;
}

bool starts_with(const std::string& str, const std::string& prefix) {
  return str.compare(0, prefix.size(), prefix) == 0;
}

/// `str` with control and non-ASCII bytes as \xNN, safe for a test log.
std::string escaped(const std::string& str) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string res;
  for (auto ch : str) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n') || c >= 0x7f) {
      res += "\\x";
      res += hex[c >> 4];
      res += hex[c & 0xf];
    } else {
      res += ch;
    }
  }
  return res;
}

/// "exit code 0" plus stderr, for the log.
std::string describe(const run_result& res) {
  auto text = res.status.to_string();
  if (res.timed_out)
    text += " (timed out)";
  return text + "; stderr: " + escaped(res.err.substr(0, 2000));
}

/// Checks that a command succeeded without a word on stderr; returns stdout.
std::string expect_ok(const run_result& res, const std::string& what) {
  BOOST_CHECK_MESSAGE(res.status.exited && res.status.code == 0,
                      what << ": " << describe(res));
  BOOST_CHECK_MESSAGE(res.err.empty(), what << ": stderr " << escaped(res.err));
  return res.out;
}

/// Checks exit code `code`, an empty stdout and stderr starting with
/// `stderr_prefix`.
void expect_failure(const run_result& res, int code,
                    const std::string& stderr_prefix, const std::string& what) {
  BOOST_CHECK_MESSAGE(res.status.exited && res.status.code == code,
                      what << ": want exit code " << code << ", got "
                           << describe(res));
  BOOST_CHECK_MESSAGE(res.out.empty(), what << ": stdout " << res.out);
  BOOST_CHECK_MESSAGE(starts_with(res.err, stderr_prefix),
                      what << ": want stderr starting with \"" << stderr_prefix
                           << "\", got \"" << escaped(res.err) << "\"");
}

/// Parses one JSON document printed on one line.
rapidjson::Document parse_line(const std::string& out,
                               const std::string& what) {
  BOOST_CHECK_MESSAGE(!out.empty() && out.back() == '\n'
                        && count_of(out, "\n") == 1,
                      what << ": not one line: " << out);
  rapidjson::Document doc;
  doc.Parse(out.c_str(), out.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        what << ": not a JSON object: " << out);
  return doc;
}

/// Checks that `obj` is an object whose first members are `keys`, in this
/// order (new keys may follow).
void check_keys(const rapidjson::Value& obj,
                const std::vector<std::string>& keys, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(obj.IsObject(), what << ": not an object");
  std::vector<std::string> got;
  for (const auto& m : obj.GetObject())
    got.emplace_back(m.name.GetString(), m.name.GetStringLength());
  bool ok = got.size() >= keys.size()
            && std::equal(keys.begin(), keys.end(), got.begin());
  std::string list;
  for (const auto& k : got)
    list += k + " ";
  BOOST_CHECK_MESSAGE(ok, what << ": keys " << list);
}

const rapidjson::Value& member(const rapidjson::Value& obj, const char* key,
                               const std::string& what) {
  BOOST_REQUIRE_MESSAGE(obj.IsObject() && obj.HasMember(key),
                        what << ": no \"" << key << "\"");
  return obj[key];
}

std::string str(const rapidjson::Value& obj, const char* key,
                const std::string& what) {
  const auto& v = member(obj, key, what);
  BOOST_REQUIRE_MESSAGE(v.IsString(),
                        what << ": \"" << key << "\" is not a string");
  return {v.GetString(), v.GetStringLength()};
}

int64_t num(const rapidjson::Value& obj, const char* key,
            const std::string& what) {
  const auto& v = member(obj, key, what);
  BOOST_REQUIRE_MESSAGE(v.IsInt64(),
                        what << ": \"" << key << "\" is not an integer");
  return v.GetInt64();
}

const rapidjson::Value& array(const rapidjson::Value& obj, const char* key,
                              const std::string& what) {
  const auto& v = member(obj, key, what);
  BOOST_REQUIRE_MESSAGE(v.IsArray(),
                        what << ": \"" << key << "\" is not an array");
  return v;
}

/// Checks the keys and types of a pool object.
void check_pool_object(const rapidjson::Value& p, const std::string& what) {
  check_keys(p, pool_keys, what);
  str(p, "name", what);
  str(p, "provider", what);
  for (auto key : {"desired", "min", "max", "provisioned"})
    num(p, key, what);
  const auto& counts = member(p, "counts", what);
  check_keys(counts, status_keys, what + " counts");
  for (const auto& k : status_keys)
    num(counts, k.c_str(), what + " counts");
  for (auto key : {"active", "expired"})
    num(p, key, what);
  const auto& rollout = member(p, "rollout", what);
  check_keys(rollout, rollout_keys, what + " rollout");
  str(rollout, "state", what + " rollout");
  const auto& breaker = member(p, "circuit_breaker", what);
  check_keys(breaker, breaker_keys, what + " circuit_breaker");
  str(breaker, "state", what + " circuit_breaker");
}

/// Checks the keys and types of a server object.
void check_server_object(const rapidjson::Value& s, const std::string& what) {
  check_keys(s, server_keys, what);
  for (auto key : {"id", "name", "pool", "provider", "status",
                   "previous_status", "since", "provider_id", "last_error",
                   "last_error_kind", "last_error_code", "last_error_message"})
    str(s, key, what);
  for (auto key : {"since_ms", "created_at_ms", "provider_created_at_ms",
                   "create_attempts", "retries"})
    num(s, key, what);
  for (auto key : {"call_accepted", "reboot_requested", "stop_requested"})
    BOOST_CHECK_MESSAGE(member(s, key, what).IsBool(),
                        what << ": \"" << key << "\" is not a bool");
}

// -- events -------------------------------------------------------------------

/// The fields of an event that identify it.
struct event_row {
  uint64_t seq = 0;
  std::string reason;
  std::string pool;
  std::string server_id;
  std::string from;
  std::string to;

  bool operator==(const event_row& other) const {
    return seq == other.seq && reason == other.reason && pool == other.pool
           && server_id == other.server_id && from == other.from
           && to == other.to;
  }
};

std::ostream& operator<<(std::ostream& out, const event_row& ev) {
  return out << ev.seq << " " << ev.reason << " pool=" << ev.pool
             << " server=" << ev.server_id << " " << ev.from << "->" << ev.to;
}

event_row to_event(const rapidjson::Value& ev, const std::string& what) {
  check_keys(ev, event_keys, what);
  const auto& seq = member(ev, "seq", what);
  BOOST_REQUIRE_MESSAGE(seq.IsUint64(), what << ": seq is not an integer");
  return {seq.GetUint64(),       str(ev, "reason", what),
          str(ev, "pool", what), str(ev, "server_id", what),
          str(ev, "from", what), str(ev, "to", what)};
}

/// Parses the JSON Lines of `events --follow --json`; a last line without
/// its newline (still being written) is ignored.
std::vector<event_row> parse_follow_output(const std::string& text) {
  std::vector<event_row> res;
  size_t begin = 0;
  for (auto end = text.find('\n'); end != std::string::npos;
       begin = end + 1, end = text.find('\n', begin)) {
    auto line = text.substr(begin, end - begin);
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                          "follower printed a line that is no JSON object: "
                            << line);
    res.push_back(to_event(doc, "followed event"));
  }
  return res;
}

/// Parses the text lines of `events --follow` ("SEQ  TIME  REASON ..."); a
/// last line without its newline is ignored. Only `seq` and `reason` are
/// set.
std::vector<event_row> parse_follow_text(const std::string& text) {
  static const std::regex line_re{"(\\d+)  \\d{4}-\\d\\d-\\d\\dT\\d\\d:"
                                  "\\d\\d:\\d\\d\\.\\d{3}Z  ([A-Za-z]+).*"};
  std::vector<event_row> res;
  size_t begin = 0;
  for (auto end = text.find('\n'); end != std::string::npos;
       begin = end + 1, end = text.find('\n', begin)) {
    auto line = text.substr(begin, end - begin);
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_match(line, m, line_re),
                          "follower printed a malformed line: " << line);
    event_row ev;
    ev.seq = std::stoull(m[1].str());
    ev.reason = m[2].str();
    res.push_back(std::move(ev));
  }
  return res;
}

/// Checks that the seqs of `events` are 1, 2, 3, ... without gap or repeat.
void check_consecutive(const std::vector<event_row>& events,
                       const std::string& what) {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].seq != i + 1) {
      BOOST_ERROR(
        what << ": event #" << i << " has seq " << events[i].seq << ", want "
             << i + 1
             << (i > 0 ? " (after " + std::to_string(events[i - 1].seq) + ")"
                       : std::string{}));
      return;
    }
}

// -- the node under test ------------------------------------------------------

/// Puts the token variables into the environment, which every node and
/// client started by the case inherits, and takes them out again after it.
struct console_fixture {
  console_fixture() {
    BOOST_REQUIRE_MESSAGE(!dynservctl_binary().empty(),
                          "built without DYNSERVCTL_BINARY");
    if (auto old = std::getenv("DYNSERV_ADMIN_TOKEN"))
      saved_admin_token = old;
    ::setenv(token_env, test_token, 1);
    ::setenv(wrong_token_env, wrong_token, 1);
    ::unsetenv("DYNSERV_ADMIN_TOKEN");
  }

  ~console_fixture() {
    ::unsetenv(token_env);
    ::unsetenv(wrong_token_env);
    if (saved_admin_token)
      ::setenv("DYNSERV_ADMIN_TOKEN", saved_admin_token->c_str(), 1);
  }

  std::optional<std::string> saved_admin_token;
};

/// A sandbox with a node whose admin console listens on loopback, and the
/// means to run dynservctl against it.
class console_node {
public:
  console_node(const std::string& label, config_spec spec)
    : box_(label), spec_(std::move(spec)) {
    box_.write_config(spec_);
  }

  ~console_node() {
    // Reaps the node first so that a failing case never leaks it.
    proc_.reset();
  }

  sandbox& box() {
    return box_;
  }

  config_spec& spec() {
    return spec_;
  }

  child_process& process() {
    return *proc_;
  }

  /// "HOST:PORT" of the admin console, as written to admin.addr.
  const std::string& addr() const {
    return addr_;
  }

  /// Starts the node and waits until it has written its admin address.
  void start() {
    std::error_code err;
    fs::remove(box_.admin_addr_path(), err); // stale from an earlier run
    proc_ = box_.start_node();
    auto problem = poll_until(start_timeout, [&]() -> std::string {
      if (!proc_->running())
        return "the node exited: " + proc_->status().to_string();
      addr_ = box_.admin_addr();
      return addr_.empty() ? "no admin.addr yet" : "";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), "node did not start its admin "
                                           "console: "
                                             << problem << "\n"
                                             << box_.node_log_tail());
  }

  /// Sends `sig` and waits for the node to end: SIGTERM must end it with
  /// exit code 0.
  void stop(int sig) {
    BOOST_REQUIRE_MESSAGE(proc_ && proc_->running(),
                          "the node died on its own\n"
                            << box_.node_log_tail());
    BOOST_REQUIRE_MESSAGE(signal_and_wait(*proc_, sig, exit_timeout),
                          "the node did not end after signal "
                            << sig << "\n"
                            << box_.node_log_tail());
    if (sig == SIGTERM)
      BOOST_CHECK_MESSAGE(proc_->status().exited && proc_->status().code == 0,
                          "SIGTERM: " << proc_->status().to_string() << "\n"
                                      << box_.node_log_tail());
  }

  /// `dynservctl --connect ADDR --token-env DYNSERV_TEST_TOKEN ARGS...`.
  run_result ctl(const std::vector<std::string>& args) {
    return ctl_raw(with_options(args));
  }

  /// `dynservctl ARGS...` with no options added.
  run_result ctl_raw(const std::vector<std::string>& args) {
    std::vector<std::string> argv{dynservctl_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_to_completion(argv, scratch());
  }

  /// Runs the console reading `input` from a file (stdin not a terminal).
  run_result ctl_with_input(const std::string& input,
                            const std::vector<std::string>& args) {
    auto prefix = scratch();
    write_text(prefix + ".in", input);
    std::vector<std::string> argv{
      "/bin/sh", "-c",           "f=$1; shift; exec \"$@\" < \"$f\"",
      "sh",      prefix + ".in", dynservctl_binary()};
    auto opts = with_options(args);
    argv.insert(argv.end(), opts.begin(), opts.end());
    return run_to_completion(argv, prefix);
  }

  /// Starts a long-running dynservctl (e.g. a follower); its output goes to
  /// `<dir>/<name>.out` and `.err`.
  std::unique_ptr<child_process>
  spawn_ctl(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> argv{dynservctl_binary()};
    auto opts = with_options(args);
    argv.insert(argv.end(), opts.begin(), opts.end());
    return std::make_unique<child_process>(
      argv, box_.dir() + "/" + name + ".out", box_.dir() + "/" + name + ".err");
  }

  /// Polls until the pools reach `desired` (via `dynserv status --json` and
  /// the simulated cloud).
  void require_converged(const std::map<std::string, int64_t>& desired) {
    auto problem = wait_converged(box_, desired, converge_timeout);
    BOOST_REQUIRE_MESSAGE(problem.empty(),
                          "not converged: " << problem << "\n"
                                            << box_.node_log_tail());
  }

  /// Every event of the node, through `events --since 0 --json`.
  std::vector<event_row> all_events() {
    auto out = expect_ok(ctl({"events", "--since", "0", "--json"}),
                         "events --since 0 --json");
    auto doc = parse_line(out, "events --since 0 --json");
    std::vector<event_row> res;
    for (const auto& ev : array(doc, "events", "events").GetArray())
      res.push_back(to_event(ev, "event"));
    return res;
  }

  /// How often `text` appears in the node's output.
  size_t log_count(const std::string& text) const {
    return count_of(read_file(box_.dir() + "/node.out")
                      + read_file(box_.dir() + "/node.err"),
                    text);
  }

private:
  std::vector<std::string> with_options(const std::vector<std::string>& args) {
    std::vector<std::string> res{"--connect", addr_, "--token-env", token_env};
    res.insert(res.end(), args.begin(), args.end());
    return res;
  }

  std::string scratch() {
    return box_.dir() + "/ctl" + std::to_string(runs_++ % 4);
  }

  sandbox box_;
  config_spec spec_;
  std::unique_ptr<child_process> proc_;
  std::string addr_;
  int runs_ = 0;
};

/// The config of most cases: pools "default" and "batch" (max 2), the token
/// in $DYNSERV_TEST_TOKEN.
config_spec console_spec(int64_t default_desired = 1) {
  config_spec spec;
  spec.node_name = "ctl";
  spec.pools = {{"default", default_desired}, {"batch", 0}};
  spec.pool_max = {{"batch", 2}};
  spec.admin_token_env = token_env;
  return spec;
}

/// Ids of the servers of `pool` in `status` per `dynserv status --json`.
std::vector<std::string> store_ids(sandbox& box, const std::string& pool,
                                   const std::string& status) {
  std::string error;
  auto report = box.status(error);
  BOOST_REQUIRE_MESSAGE(report, error);
  auto ids = report->ids(pool, status);
  return {ids.begin(), ids.end()};
}

/// Waits until the follower has printed every event up to the node's
/// current last seq; returns what it printed.
std::vector<event_row> wait_caught_up(console_node& node,
                                      const std::string& out_path) {
  std::vector<event_row> printed;
  auto problem = poll_until(show_timeout, [&]() -> std::string {
    auto all = node.all_events();
    printed = parse_follow_output(read_file(out_path));
    auto want = all.empty() ? 0 : all.back().seq;
    auto got = printed.empty() ? 0 : printed.back().seq;
    if (got == want)
      return "";
    return "the follower is at seq " + std::to_string(got) + ", the node at "
           + std::to_string(want);
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
  return printed;
}

/// Waits until the file at `path` contains `text`.
void require_shows(const std::string& path, const std::string& text) {
  auto problem = poll_until(show_timeout, [&]() -> std::string {
    return read_file(path).find(text) == std::string::npos
             ? "no \"" + text + "\" in " + path + ":\n" + read_file(path)
             : "";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
}

/// SIGINT to a follower must end it with exit code 0.
void interrupt_follower(child_process& follower, const std::string& err_path) {
  BOOST_REQUIRE_MESSAGE(follower.running(), "the follower ended early: "
                                              << follower.status().to_string()
                                              << "\n"
                                              << read_file(err_path));
  BOOST_REQUIRE_MESSAGE(signal_and_wait(follower, SIGINT, exit_timeout),
                        "the follower did not end after SIGINT");
  BOOST_CHECK_MESSAGE(follower.status().exited && follower.status().code == 0,
                      "follower after SIGINT: "
                        << follower.status().to_string());
}

/// Checks the follower saw exactly the node's event log: the same events in
/// the same order, seqs 1, 2, 3, ... with no gap and no duplicate.
void check_followed_everything(const std::vector<event_row>& followed,
                               const std::vector<event_row>& all) {
  check_consecutive(followed, "follower");
  check_consecutive(all, "events --since 0");
  BOOST_CHECK_EQUAL(followed.size(), all.size());
  auto n = std::min(followed.size(), all.size());
  for (size_t i = 0; i < n; ++i)
    if (!(followed[i] == all[i])) {
      BOOST_ERROR("event #" << i << " differs: follower " << followed[i]
                            << ", node " << all[i]);
      break;
    }
}

// -- tmux ---------------------------------------------------------------------

/// A tmux server on its own socket; the destructor always kills it.
class tmux_server {
public:
  tmux_server(std::string program, std::string socket, std::string scratch)
    : program_(std::move(program)),
      socket_(std::move(socket)),
      scratch_(std::move(scratch)) {
    // nop
  }

  ~tmux_server() {
    run({"kill-server"});
    // tmux 3.3 leaves its socket file behind.
    if (!socket_path_.empty())
      ::unlink(socket_path_.c_str());
  }

  tmux_server(const tmux_server&) = delete;
  tmux_server& operator=(const tmux_server&) = delete;

  /// Starts the server with `new-session ARGS...`; returns false if tmux
  /// cannot.
  bool start(const std::vector<std::string>& args, std::string& error) {
    std::vector<std::string> cmd{"new-session"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto res = run(cmd);
    if (!res.status.exited || res.status.code != 0) {
      error = describe(res);
      return false;
    }
    socket_path_ = run({"display-message", "-p", "#{socket_path}"}).out;
    if (!socket_path_.empty() && socket_path_.back() == '\n')
      socket_path_.pop_back();
    return true;
  }

  run_result run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{program_, "-L", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_to_completion(argv, scratch_, millis{10s});
  }

  /// The pane's text including its scrollback.
  std::string capture() {
    return run({"capture-pane", "-p", "-J", "-S", "-1000", "-t", "ctl"}).out;
  }

  /// The last non-blank line of the pane (the cursor line), trailing blanks
  /// removed.
  std::string last_line() {
    auto lines = lines_of(capture());
    while (!lines.empty()
           && lines.back().find_first_not_of(' ') == std::string::npos)
      lines.pop_back();
    if (lines.empty())
      return "";
    auto line = lines.back();
    line.erase(line.find_last_not_of(' ') + 1);
    return line;
  }

  void keys(const std::vector<std::string>& keys) {
    std::vector<std::string> args{"send-keys", "-t", "ctl"};
    args.insert(args.end(), keys.begin(), keys.end());
    auto res = run(args);
    BOOST_REQUIRE_MESSAGE(res.status.exited && res.status.code == 0,
                          "tmux send-keys: " << describe(res));
  }

  /// Waits until `pred(capture())` holds; fails with the pane's text.
  void require(const std::string& what,
               const std::function<bool(const std::string&)>& pred) {
    std::string pane;
    auto problem = poll_until(show_timeout, [&]() -> std::string {
      pane = capture();
      return pred(pane) ? "" : "no " + what;
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "; the pane shows:\n"
                                                   << pane);
  }

  /// Waits until the cursor line is exactly `line`.
  void require_last_line(const std::string& line) {
    std::string got;
    auto problem = poll_until(show_timeout, [&]() -> std::string {
      got = last_line();
      return got == line ? "" : "cursor line is \"" + got + "\"";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), "want cursor line \""
                                             << line << "\": " << problem
                                             << "; the pane shows:\n"
                                             << capture());
  }

private:
  std::string program_;
  std::string socket_;
  std::string scratch_;
  std::string socket_path_;
};

// -- TLS ----------------------------------------------------------------------

/// Runs the openssl CLI in `dir`; requires success.
void openssl(const std::string& program, const std::string& dir,
             std::vector<std::string> args) {
  args.insert(args.begin(), program);
  auto res = run_to_completion(args, dir + "/openssl");
  BOOST_REQUIRE_MESSAGE(res.status.exited && res.status.code == 0,
                        "openssl " << args[1] << ": " << describe(res));
}

/// Makes a CA (`<name>.pem`, `<name>.key`) in `dir`.
void make_ca(const std::string& openssl_program, const std::string& dir,
             const std::string& name) {
  openssl(openssl_program, dir,
          {"req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           dir + "/" + name + ".key", "-out", dir + "/" + name + ".pem",
           "-days", "2", "-subj", "/CN=dynserv test " + name});
}

/// Makes `<name>.pem`/`<name>.key` signed by CA `ca` with extensions `ext`.
void make_cert(const std::string& openssl_program, const std::string& dir,
               const std::string& ca, const std::string& name,
               const std::string& cn, const std::string& ext) {
  auto base = dir + "/" + name;
  write_text(base + ".ext", ext);
  openssl(openssl_program, dir,
          {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj",
           "/CN=" + cn});
  openssl(openssl_program, dir,
          {"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".pem",
           "-CAkey", dir + "/" + ca + ".key", "-CAcreateserial", "-out",
           base + ".pem", "-days", "2", "-extfile", base + ".ext"});
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(console, console_fixture)

// -- 1. every command, one shot, text and JSON --------------------------------

BOOST_AUTO_TEST_CASE(every_command_works_one_shot_in_text_and_json) {
  console_node node{"ctl-commands", console_spec(1)};
  node.start();
  node.require_converged({{"default", 1}, {"batch", 0}});
  // help needs no node; `help COMMAND` and `COMMAND --help` print the usage.
  auto help = expect_ok(node.ctl({"help"}), "help");
  for (auto name :
       {"status", "pools", "servers", "server", "ensure", "increase",
        "decrease", "reboot", "stop", "events", "limits", "help", "quit"})
    BOOST_CHECK_MESSAGE(help.find("\n  " + std::string{name})
                          != std::string::npos,
                        "help does not list " << name << ":\n"
                                              << help);
  BOOST_CHECK(
    starts_with(expect_ok(node.ctl({"help", "ensure"}), "help ensure"),
                "usage: ensure N [POOL]"));
  BOOST_CHECK(
    starts_with(expect_ok(node.ctl({"ensure", "--help"}), "ensure --help"),
                "usage: ensure N [POOL]"));
  // status
  auto first_id = store_ids(node.box(), "default", "running").at(0);
  {
    auto out = expect_ok(node.ctl({"status"}), "status");
    auto lines = lines_of(out);
    BOOST_REQUIRE_GE(lines.size(), 6u);
    BOOST_CHECK(
      std::regex_match(lines[0], std::regex{"POOL +PROVIDER +DESIRED +MIN +MAX "
                                            "+PROVISIONED +COUNTS"}));
    BOOST_CHECK(
      std::regex_match(lines[1], std::regex{"batch +sim +0 +0 +2 +0 +-"}));
    BOOST_CHECK(std::regex_match(lines[2], std::regex{"default +sim +1 +0 +50 "
                                                      "+1 +running=1"}));
    BOOST_CHECK_EQUAL(lines[3], "");
    BOOST_CHECK(starts_with(lines[4], "ID "));
    BOOST_CHECK(
      std::regex_match(lines[5], std::regex{first_id
                                            + " +dynserv-default-\\S+ +default "
                                              "+running +\\d{4}-\\d\\d-\\d\\dT"
                                              "\\d\\d:\\d\\d:\\d\\dZ +sim-\\d+ "
                                              "+-"}));
    auto doc
      = parse_line(expect_ok(node.ctl({"status", "--json"}), "status --json"),
                   "status --json");
    check_keys(doc, {"pools", "servers"}, "status --json");
    const auto& pools = array(doc, "pools", "status");
    BOOST_REQUIRE_EQUAL(pools.Size(), 2u);
    for (const auto& p : pools.GetArray())
      check_pool_object(p, "status pool");
    BOOST_CHECK_EQUAL(str(pools[0], "name", "pool"), "batch");
    BOOST_CHECK_EQUAL(num(pools[0], "max", "pool"), 2);
    BOOST_CHECK_EQUAL(str(pools[1], "name", "pool"), "default");
    BOOST_CHECK_EQUAL(str(pools[1], "provider", "pool"), "sim");
    BOOST_CHECK_EQUAL(num(pools[1], "desired", "pool"), 1);
    BOOST_CHECK_EQUAL(num(pools[1], "provisioned", "pool"), 1);
    BOOST_CHECK_EQUAL(num(pools[1]["counts"], "running", "counts"), 1);
    const auto& servers = array(doc, "servers", "status");
    BOOST_REQUIRE_EQUAL(servers.Size(), 1u);
    check_server_object(servers[0], "status server");
    BOOST_CHECK_EQUAL(str(servers[0], "id", "server"), first_id);
    BOOST_CHECK_EQUAL(str(servers[0], "status", "server"), "running");
  }
  // pools
  {
    auto lines = lines_of(expect_ok(node.ctl({"pools"}), "pools"));
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    BOOST_CHECK(starts_with(lines[0], "POOL "));
    BOOST_CHECK(starts_with(lines[1], "batch "));
    BOOST_CHECK(starts_with(lines[2], "default "));
    auto doc = parse_line(
      expect_ok(node.ctl({"pools", "--json"}), "pools --json"), "pools --json");
    check_keys(doc, {"pools"}, "pools --json");
    BOOST_REQUIRE_EQUAL(array(doc, "pools", "pools").Size(), 2u);
    check_pool_object(doc["pools"][1], "pools pool");
    BOOST_CHECK_EQUAL(num(doc["pools"][1], "desired", "pool"), 1);
  }
  // servers [POOL] [--status S]
  {
    auto lines = lines_of(expect_ok(node.ctl({"servers"}), "servers"));
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_CHECK(starts_with(lines[1], first_id + "  "));
    BOOST_CHECK_EQUAL(expect_ok(node.ctl({"servers", "batch"}),
                                "servers batch"),
                      "(no servers)\n");
    lines = lines_of(expect_ok(node.ctl({"servers", "--status", "running"}),
                               "servers --status running"));
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_CHECK(starts_with(lines[1], first_id + "  "));
    auto doc = parse_line(expect_ok(node.ctl({"servers", "default", "--status",
                                              "running", "--json"}),
                                    "servers default --status running"),
                          "servers --json");
    check_keys(doc, {"servers"}, "servers --json");
    BOOST_REQUIRE_EQUAL(array(doc, "servers", "servers").Size(), 1u);
    check_server_object(doc["servers"][0], "servers server");
    BOOST_CHECK_EQUAL(str(doc["servers"][0], "id", "server"), first_id);
    doc = parse_line(
      expect_ok(node.ctl({"servers", "--status=stopped", "--json"}),
                "servers --status=stopped"),
      "servers --json");
    BOOST_CHECK_EQUAL(array(doc, "servers", "servers").Size(), 0u);
  }
  // server ID
  {
    auto out = expect_ok(node.ctl({"server", first_id}), "server ID");
    BOOST_CHECK_MESSAGE(out.find("id:               " + first_id + "\n")
                          != std::string::npos,
                        out);
    BOOST_CHECK_MESSAGE(
      out.find("status:           running\n") != std::string::npos, out);
    BOOST_CHECK_MESSAGE(
      out.find("pool:             default\n") != std::string::npos, out);
    auto doc = parse_line(expect_ok(node.ctl({"server", first_id, "--json"}),
                                    "server ID --json"),
                          "server --json");
    check_server_object(doc, "server --json");
    BOOST_CHECK_EQUAL(str(doc, "id", "server"), first_id);
    BOOST_CHECK_EQUAL(str(doc, "pool", "server"), "default");
    BOOST_CHECK_EQUAL(str(doc, "status", "server"), "running");
    BOOST_CHECK_EQUAL(str(doc, "last_error_kind", "server"), "none");
    BOOST_CHECK(
      std::regex_match(str(doc, "since", "server"),
                       std::regex{"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:"
                                  "\\d\\dZ"}));
    BOOST_CHECK_GT(num(doc, "since_ms", "server"), 0);
    BOOST_CHECK(!str(doc, "provider_id", "server").empty());
  }
  // ensure N [POOL], increase, decrease; then the pools converge.
  BOOST_CHECK_EQUAL(expect_ok(node.ctl({"ensure", "3"}), "ensure 3"),
                    "pool default: desired 1 -> 3\n");
  {
    auto doc
      = parse_line(expect_ok(node.ctl({"ensure", "100", "batch", "--json"}),
                             "ensure 100 batch --json"),
                   "ensure --json");
    check_keys(doc, scale_keys, "ensure --json");
    BOOST_CHECK_EQUAL(str(doc, "pool", "ensure"), "batch");
    BOOST_CHECK_EQUAL(num(doc, "previous_desired", "ensure"), 0);
    BOOST_CHECK_EQUAL(num(doc, "desired", "ensure"), 2);
    BOOST_CHECK_MESSAGE(!str(doc, "note", "ensure").empty(),
                        "no note on a clamped ensure");
  }
  BOOST_CHECK_EQUAL(expect_ok(node.ctl({"increase"}), "increase"),
                    "pool default: desired 3 -> 4\n");
  {
    auto doc = parse_line(expect_ok(node.ctl({"decrease", "--json"}),
                                    "decrease --json"),
                          "decrease --json");
    check_keys(doc, scale_keys, "decrease --json");
    BOOST_CHECK_EQUAL(str(doc, "pool", "decrease"), "default");
    BOOST_CHECK_EQUAL(num(doc, "previous_desired", "decrease"), 4);
    BOOST_CHECK_EQUAL(num(doc, "desired", "decrease"), 3);
    BOOST_CHECK_EQUAL(str(doc, "note", "decrease"), "");
    doc = parse_line(expect_ok(node.ctl({"increase", "1", "batch", "--json"}),
                               "increase 1 batch --json"),
                     "increase --json");
    BOOST_CHECK_EQUAL(num(doc, "desired", "increase"), 2);
    BOOST_CHECK_MESSAGE(!str(doc, "note", "increase").empty(),
                        "no note on a clamped increase");
  }
  node.require_converged({{"default", 3}, {"batch", 2}});
  // reboot [POOL] [--max-unavailable N|P%]: a rolling reboot, answered once
  // persisted and before its first reboot.
  BOOST_CHECK_EQUAL(
    expect_ok(node.ctl({"reboot", "batch", "--max-unavailable", "1"}),
              "reboot batch --max-unavailable 1"),
    "pool batch: rolling reboot running, 2 servers, at most 1 "
    "at a time: 0 done, 0 rebooting, 2 waiting, 0 skipped\n");
  {
    auto doc
      = parse_line(expect_ok(node.ctl({"reboot", "--json"}), "reboot --json"),
                   "reboot --json");
    auto keys = rollout_keys;
    keys.insert(keys.begin(), "pool");
    check_keys(doc, keys, "reboot --json");
    BOOST_CHECK_EQUAL(str(doc, "pool", "reboot"), "default");
    BOOST_CHECK_EQUAL(str(doc, "state", "reboot"), "running");
    // The pool's default: 25% of 3, at least 1.
    BOOST_CHECK_EQUAL(str(doc, "max_unavailable_spec", "reboot"), "25%");
    BOOST_CHECK_EQUAL(num(doc, "max_unavailable", "reboot"), 1);
    BOOST_CHECK_EQUAL(num(doc, "total", "reboot"), 3);
    BOOST_CHECK_EQUAL(array(doc, "waiting", "reboot").Size(), 3u);
  }
  // Both rollouts finish; then there is nothing to abort.
  {
    auto problem = poll_until(converge_timeout, [&]() -> std::string {
      auto out = node.ctl({"pools", "--json"});
      if (!out.status.exited || out.status.code != 0)
        return "pools --json failed: " + out.err;
      rapidjson::Document doc;
      doc.Parse(out.out.c_str());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("pools"))
        return "pools --json: " + out.out;
      for (const auto& p : doc["pools"].GetArray()) {
        std::string state = p["rollout"]["state"].GetString();
        if (state != "finished")
          return std::string{p["name"].GetString()} + ": rollout " + state;
        if (p["rollout"]["done"].GetInt64() != p["rollout"]["total"].GetInt64())
          return std::string{p["name"].GetString()}
                 + ": not every server "
                   "was rebooted: "
                 + out.out;
      }
      return "";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
  }
  expect_failure(node.ctl({"reboot", "batch", "--abort"}), 1,
                 "dynservctl: invalid_argument: pool batch has no rolling "
                 "reboot running\n",
                 "reboot batch --abort");
  node.require_converged({{"default", 3}, {"batch", 2}});
  // stop ID
  auto running = store_ids(node.box(), "default", "running");
  BOOST_REQUIRE_EQUAL(running.size(), 3u);
  {
    auto out = expect_ok(node.ctl({"stop", running[0]}), "stop ID");
    BOOST_CHECK_MESSAGE(std::regex_match(out,
                                         std::regex{"server " + running[0]
                                                    + " \\(dynserv-default-\\S+"
                                                      ", pool default\\): "
                                                      "[a-z]+\n"}),
                        "stop: " << out);
    auto doc = parse_line(expect_ok(node.ctl({"stop", running[1], "--json"}),
                                    "stop ID --json"),
                          "stop --json");
    check_server_object(doc, "stop --json");
    BOOST_CHECK_EQUAL(str(doc, "id", "stop"), running[1]);
    BOOST_CHECK_EQUAL(str(doc, "pool", "stop"), "default");
  }
  node.require_converged({{"default", 3}, {"batch", 2}});
  {
    auto deleted = store_ids(node.box(), "default", "deleted");
    for (auto i : {0, 1})
      BOOST_CHECK_MESSAGE(std::count(deleted.begin(), deleted.end(), running[i])
                            == 1,
                          "stopped server " << running[i] << " is not deleted");
  }
  // events [--pool P] [--since SEQ]
  auto all = node.all_events();
  BOOST_REQUIRE_GE(all.size(), 10u);
  check_consecutive(all, "events");
  {
    auto doc
      = parse_line(expect_ok(node.ctl({"events", "--json"}), "events --json"),
                   "events --json");
    check_keys(doc, {"events", "last_seq"}, "events --json");
    const auto& evs = array(doc, "events", "events");
    BOOST_REQUIRE_GE(evs.Size(), all.size());
    BOOST_CHECK_EQUAL(num(doc, "last_seq", "events"),
                      static_cast<int64_t>(evs.Size()));
    std::regex camel{"[A-Z][A-Za-z]+"};
    size_t reboots = 0;
    for (const auto& ev : evs.GetArray()) {
      auto row = to_event(ev, "event");
      BOOST_CHECK_MESSAGE(std::regex_match(row.reason, camel),
                          "reason " << row.reason);
      BOOST_CHECK(std::regex_match(str(ev, "at", "event"),
                                   std::regex{"\\d{4}-\\d\\d-\\d\\dT\\d\\d:"
                                              "\\d\\d:\\d\\d\\.\\d{3}Z"}));
      if (row.pool == "batch" && row.to == "rebooting")
        ++reboots;
    }
    BOOST_CHECK_EQUAL(reboots, 2u);
    // Text: "SEQ  TIME  REASON ...", one line per event.
    auto lines = lines_of(expect_ok(node.ctl({"events"}), "events"));
    BOOST_CHECK_GE(lines.size(), all.size());
    std::regex line_re{"(\\d+)  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\."
                       "\\d{3}Z  [A-Z][A-Za-z]+(  .*)?"};
    for (size_t i = 0; i < lines.size(); ++i) {
      std::smatch m;
      BOOST_REQUIRE_MESSAGE(std::regex_match(lines[i], m, line_re),
                            "event line " << lines[i]);
      BOOST_CHECK_EQUAL(m[1].str(), std::to_string(i + 1));
    }
    // --pool
    doc
      = parse_line(expect_ok(node.ctl({"events", "--pool", "batch", "--json"}),
                             "events --pool batch --json"),
                   "events --pool --json");
    size_t batch_events = 0;
    for (const auto& ev : array(doc, "events", "events").GetArray()) {
      ++batch_events;
      BOOST_CHECK_EQUAL(str(ev, "pool", "event"), "batch");
    }
    BOOST_CHECK_EQUAL(batch_events,
                      static_cast<size_t>(std::count_if(
                        all.begin(), all.end(),
                        [](const auto& ev) { return ev.pool == "batch"; })));
    // --since
    auto since = all.size() / 2;
    doc = parse_line(expect_ok(node.ctl({"events", "--since",
                                         std::to_string(since), "--json"}),
                               "events --since --json"),
                     "events --since --json");
    const auto& later = array(doc, "events", "events");
    BOOST_REQUIRE_GE(later.Size(), all.size() - since);
    for (rapidjson::SizeType i = 0; i < later.Size(); ++i)
      BOOST_CHECK_EQUAL(to_event(later[i], "event").seq, since + 1 + i);
    auto far = std::to_string(all.size() + 1000);
    BOOST_CHECK_EQUAL(expect_ok(node.ctl({"events", "--since", far}),
                                "events --since far"),
                      "(no events)\n");
    doc = parse_line(expect_ok(node.ctl({"events", "--since=" + far, "--json"}),
                               "events --since=far --json"),
                     "events --since=far --json");
    BOOST_CHECK_EQUAL(array(doc, "events", "events").Size(), 0u);
    BOOST_CHECK_EQUAL(num(doc, "last_seq", "events"),
                      static_cast<int64_t>(all.size() + 1000));
  }
  // limits
  BOOST_CHECK_EQUAL(expect_ok(node.ctl({"limits"}), "limits"),
                    "max servers:    50\n"
                    "allocated:      5\n"
                    "available:      45\n"
                    "limited pools:  -\n");
  {
    auto doc
      = parse_line(expect_ok(node.ctl({"limits", "--json"}), "limits --json"),
                   "limits --json");
    check_keys(doc, {"max_servers", "allocated", "available", "limited_pools"},
               "limits --json");
    BOOST_CHECK_EQUAL(num(doc, "max_servers", "limits"), 50);
    BOOST_CHECK_EQUAL(num(doc, "allocated", "limits"), 5);
    BOOST_CHECK_EQUAL(num(doc, "available", "limits"), 45);
    BOOST_CHECK_EQUAL(array(doc, "limited_pools", "limits").Size(), 0u);
  }
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(a_rolling_reboot_shows_in_pools_and_aborts) {
  auto spec = console_spec(0);
  spec.pools = {{"default", 0}, {"batch", 2}};
  // Long reboots: the rollout is still running when it is aborted.
  spec.sim_reboot_time = "60s";
  console_node node{"ctl-rollout", spec};
  node.start();
  node.require_converged({{"default", 0}, {"batch", 2}});
  BOOST_CHECK_EQUAL(
    expect_ok(node.ctl({"reboot", "batch", "--max-unavailable", "1"}),
              "reboot batch --max-unavailable 1"),
    "pool batch: rolling reboot running, 2 servers, at most 1 "
    "at a time: 0 done, 0 rebooting, 2 waiting, 0 skipped\n");
  // `pools` notes it under the table once the first reboot is sent.
  {
    std::string out;
    auto problem = poll_until(show_timeout, [&]() -> std::string {
      out = expect_ok(node.ctl({"pools"}), "pools");
      if (out.find("\nbatch: rolling reboot 0/2 done, 1 rebooting\n")
          == std::string::npos)
        return "pools: " + out;
      return "";
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(), problem);
    auto lines = lines_of(out);
    BOOST_CHECK_EQUAL(lines.size(), 4u);
    auto doc = parse_line(
      expect_ok(node.ctl({"pools", "--json"}), "pools --json"), "pools --json");
    const auto& batch = array(doc, "pools", "pools")[0];
    check_pool_object(batch, "pools batch");
    const auto& r = member(batch, "rollout", "batch");
    BOOST_CHECK_EQUAL(str(r, "state", "rollout"), "running");
    BOOST_CHECK_EQUAL(str(r, "max_unavailable_spec", "rollout"), "1");
    BOOST_CHECK_EQUAL(array(r, "rebooting", "rollout").Size(), 1u);
    BOOST_CHECK_EQUAL(array(r, "waiting", "rollout").Size(), 1u);
    BOOST_CHECK_EQUAL(str(member(batch, "circuit_breaker", "batch"), "state",
                          "circuit_breaker"),
                      "closed");
  }
  // --abort --json: the waiting server is skipped, the rebooting one
  // finishes.
  {
    auto doc
      = parse_line(expect_ok(node.ctl({"reboot", "batch", "--abort", "--json"}),
                             "reboot batch --abort --json"),
                   "reboot --abort --json");
    BOOST_CHECK_EQUAL(str(doc, "pool", "abort"), "batch");
    BOOST_CHECK_EQUAL(str(doc, "state", "abort"), "aborted");
    BOOST_CHECK_EQUAL(num(doc, "done", "abort"), 0);
    BOOST_CHECK_EQUAL(num(doc, "skipped", "abort"), 1);
    BOOST_CHECK_EQUAL(array(doc, "waiting", "abort").Size(), 0u);
    BOOST_CHECK_EQUAL(array(doc, "rebooting", "abort").Size(), 1u);
    BOOST_CHECK_GT(num(doc, "finished_at_ms", "abort"), 0);
  }
  BOOST_CHECK_EQUAL(lines_of(expect_ok(node.ctl({"pools"}), "pools")).size(),
                    3u);
  expect_failure(node.ctl({"reboot", "batch", "--abort"}), 1,
                 "dynservctl: invalid_argument: pool batch has no rolling "
                 "reboot running\n",
                 "reboot batch --abort again");
  // Text: a new one, aborted at once.
  expect_ok(node.ctl({"reboot", "batch", "--max-unavailable=100%"}),
            "reboot batch --max-unavailable=100%");
  auto out = expect_ok(node.ctl({"reboot", "batch", "--abort"}),
                       "reboot batch --abort");
  BOOST_CHECK_MESSAGE(
    std::regex_match(out, std::regex{"pool batch: rolling reboot aborted, 2 "
                                     "servers, at most 2 at a time: 0 done, "
                                     "\\d rebooting, 0 waiting, \\d "
                                     "skipped\n"}),
    "reboot --abort: " << out);
  size_t started = 0;
  size_t aborted = 0;
  for (const auto& ev : node.all_events()) {
    started += ev.reason == "RollingRebootStarted" && ev.pool == "batch";
    aborted += ev.reason == "RollingRebootAborted" && ev.pool == "batch";
  }
  BOOST_CHECK_EQUAL(started, 2u);
  BOOST_CHECK_EQUAL(aborted, 2u);
  node.stop(SIGTERM);
}

// -- 2. errors ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unknown_pool_or_server_is_exit_1_with_a_clear_message) {
  console_node node{"ctl-unknown", console_spec(0)};
  node.start();
  const std::string unknown_pool = "dynservctl: unknown_pool: unknown pool "
                                   "\"nope\" (known: batch, default)\n";
  for (const auto& args : std::vector<std::vector<std::string>>{
         {"servers", "nope"},
         {"ensure", "1", "nope"},
         {"ensure", "1", "nope", "--json"},
         {"increase", "nope"},
         {"decrease", "2", "nope"},
         {"reboot", "nope"},
         {"events", "--pool", "nope"},
         {"events", "--pool", "nope", "--follow"}}) {
    auto res = node.ctl(args);
    auto what = args[0] + " " + args[1];
    expect_failure(res, 1, unknown_pool, what);
    BOOST_CHECK_EQUAL(res.err, unknown_pool);
  }
  for (const auto& cmd : {"server", "stop"}) {
    auto res = node.ctl({cmd, "00000000-0000-0000-0000-000000000000"});
    expect_failure(res, 1, "dynservctl: unknown_server: ", cmd);
    BOOST_CHECK_EQUAL(count_of(res.err, "\n"), 1u);
  }
  expect_ok(node.ctl({"status"}), "status afterwards");
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(usage_errors_are_exit_2_with_the_usage_and_send_nothing) {
  console_node node{"ctl-usage", console_spec(0)};
  node.start();
  expect_ok(node.ctl({"status"}), "status");
  auto sessions = node.log_count("admin console: session opened");
  BOOST_CHECK_EQUAL(sessions, 1u);
  {
    auto res = node.ctl({"statsu"});
    expect_failure(res, 2,
                   "dynservctl: unknown command 'statsu'; did you mean "
                   "'status'?\n",
                   "statsu");
    res = node.ctl({"evnets", "--json"});
    expect_failure(res, 2,
                   "dynservctl: unknown command 'evnets'; did you mean "
                   "'events'?\n",
                   "evnets");
    res = node.ctl({"--bogus", "status"});
    expect_failure(res, 2, "dynservctl: unknown option '--bogus'", "--bogus");
  }
  struct bad_args {
    std::vector<std::string> args;
    std::string message;
  };
  for (const auto& c : std::vector<bad_args>{
         {{"ensure"}, "dynservctl: ensure: missing N\n"},
         {{"ensure", "abc"},
          "dynservctl: ensure: N must be an integer, got "
          "'abc'\n"},
         {{"ensure", "-1"},
          "dynservctl: ensure: N must be zero or more, got "
          "-1\n"},
         {{"ensure", "1.5", "batch"},
          "dynservctl: ensure: N must be an "
          "integer, got '1.5'\n"},
         {{"ensure", "99999999999999999999"},
          "dynservctl: ensure: N is out of "
          "range"},
         {{"increase", "-2"}, "dynservctl: increase: N must be zero or more"},
         {{"server"}, "dynservctl: server: missing ID\n"},
         {{"servers", "--status", "sleeping"},
          "dynservctl: servers: --status "
          "must be one of"},
         {{"events", "--since", "x"},
          "dynservctl: events: --since needs an "
          "event seq"},
         {{"reboot", "batch", "--max-unavailable", "0"},
          "dynservctl: reboot: --max-unavailable: expected a count of at "
          "least 1 (\"2\") or a percentage from 1% to 100% (\"25%\"), got "
          "\"0\"\n"},
         {{"reboot", "batch", "--max-unavailable", "101%"},
          "dynservctl: reboot: --max-unavailable: expected a count of at "
          "least 1"},
         {{"reboot", "batch", "--max-unavailable=x"},
          "dynservctl: reboot: --max-unavailable: expected a count of at "
          "least 1"},
         {{"reboot", "batch", "--abort", "--max-unavailable", "1"},
          "dynservctl: reboot: --abort takes no --max-unavailable\n"},
       }) {
    auto res = node.ctl(c.args);
    auto what = c.args[0] + (c.args.size() > 1 ? " " + c.args[1] : "");
    expect_failure(res, 2, c.message, what);
    auto usage = "usage: " + c.args[0] + " ";
    BOOST_CHECK_MESSAGE(res.err.find("\n" + usage) != std::string::npos,
                        what << ": no \"" << usage << "\" in:\n"
                             << res.err);
  }
  // None of them logged in.
  BOOST_CHECK_EQUAL(node.log_count("admin console: session opened"), sessions);
  BOOST_CHECK_EQUAL(node.log_count("admin console: ensure"), 0u);
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(oversized_and_malformed_arguments_crash_nothing) {
  console_node node{"ctl-oversized", console_spec(0)};
  node.start();
  // The longest single argument Linux passes (MAX_ARG_STRLEN is 128 KiB).
  std::string huge(131000, 'p');
  // A 1 MB pool name can only come through the console's input.
  std::string mega(1 << 20, 'q');
  std::vector<std::string> many(10000, "1");
  auto check_ends = [&](const run_result& res, int code,
                        const std::string& text, const std::string& what) {
    BOOST_CHECK_MESSAGE(res.status.exited && res.status.code == code,
                        what << ": want exit code " << code << ", got "
                             << describe(res));
    BOOST_CHECK_MESSAGE(res.err.find(text) != std::string::npos,
                        what << ": no \"" << text << "\" in stderr: "
                             << escaped(res.err.substr(0, 500)));
    BOOST_CHECK_LT(res.err.size(), 4000u);
  };
  check_ends(node.ctl({"ensure", "1", huge}), 2, "argument too long",
             "ensure 1 <128 KiB>");
  check_ends(node.ctl({"servers", huge, "--json"}), 2, "argument too long",
             "servers <128 KiB>");
  check_ends(node.ctl({"events", "--pool", huge}), 2, "argument too long",
             "events --pool <128 KiB>");
  check_ends(node.ctl({"server", huge}), 2, "argument too long",
             "server <128 KiB>");
  check_ends(node.ctl_raw({"--connect", huge, "status"}), 2, "--connect",
             "--connect <128 KiB>");
  check_ends(node.ctl_raw({"--token-env", huge, "status"}), 2, "--token-env",
             "--token-env <128 KiB>");
  {
    std::vector<std::string> args{"status"};
    args.insert(args.end(), many.begin(), many.end());
    check_ends(node.ctl(args), 2, "unexpected argument",
               "status + 10,000 args");
    args[0] = "ensure";
    check_ends(node.ctl(args), 2, "unexpected argument",
               "ensure + 10,000 args");
  }
  // Through the console (stdin is a file): a 1 MB line, 10,000 words.
  check_ends(node.ctl_with_input("ensure 1 " + mega + "\n", {}), 2,
             "line too long", "console: 1 MB pool name");
  {
    std::string line = "ensure";
    for (const auto& w : many)
      line += " " + w;
    check_ends(node.ctl_with_input(line + "\n", {}), 2, "unexpected argument",
               "console: 10,000 words");
  }
  // The longest pool name the client sends, and bytes a terminal would
  // obey: the node answers unknown_pool and the client escapes them.
  std::string longest(1024, 'x');
  check_ends(node.ctl({"ensure", "1", longest}), 1, "unknown_pool",
             "ensure 1 <1024 bytes>");
  check_ends(node.ctl({"server", longest}), 1, "unknown_server",
             "server <1024 bytes>");
  std::string nasty = "bad\x1b]0;owned\x07\x1b[2Jname\xff\xfe";
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"servers", nasty},
                                             {"ensure", "1", nasty},
                                             {"reboot", nasty},
                                             {"server", nasty}}) {
    auto res = node.ctl(args);
    check_ends(res, 1, "unknown_", args[0] + " <control bytes>");
    BOOST_CHECK_MESSAGE(res.err.find('\x1b') == std::string::npos
                          && res.err.find('\x07') == std::string::npos,
                        args[0] << " <control bytes>: raw control characters "
                                   "on stderr: "
                                << escaped(res.err));
  }
  // Nothing crashed: the node still answers.
  BOOST_REQUIRE_MESSAGE(node.process().running(),
                        "the node died\n"
                          << node.box().node_log_tail());
  auto doc
    = parse_line(expect_ok(node.ctl({"status", "--json"}), "status afterwards"),
                 "status --json");
  BOOST_CHECK_EQUAL(array(doc, "pools", "status").Size(), 2u);
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(wrong_token_is_exit_3_and_the_right_token_still_works) {
  console_node node{"ctl-token", console_spec(0)};
  node.start();
  auto refused = "dynservctl: not authenticated: wrong admin token (the node "
                 "at "
                 + node.addr() + " refused the login)\n";
  for (int i = 0; i < 2; ++i) {
    auto res = node.ctl_raw(
      {"--connect", node.addr(), "--token-env", wrong_token_env, "status"});
    expect_failure(res, 3, refused, "wrong token");
    BOOST_CHECK_EQUAL(res.err, refused);
  }
  {
    // No token at all.
    auto res = node.ctl_raw({"--connect", node.addr(), "--token-env",
                             "DYNSERV_TEST_UNSET_TOKEN", "status"});
    expect_failure(res, 3,
                   "dynservctl: not authenticated: no admin token: set "
                   "DYNSERV_TEST_UNSET_TOKEN",
                   "no token");
  }
  auto doc = parse_line(expect_ok(node.ctl({"limits", "--json"}),
                                  "limits with the right token"),
                        "limits --json");
  BOOST_CHECK_EQUAL(num(doc, "max_servers", "limits"), 50);
  BOOST_CHECK_EQUAL(node.log_count("refused a login with a wrong token"), 2u);
  // The node never logs a token.
  BOOST_CHECK_EQUAL(node.log_count(test_token), 0u);
  BOOST_CHECK_EQUAL(node.log_count(wrong_token), 0u);
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(generated_token_file_works_with_token_file) {
  auto spec = console_spec(0);
  spec.admin_token_env.clear();
  console_node node{"ctl-token-file", spec};
  node.start();
  auto path = node.box().admin_token_path();
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(path.c_str(), &st), 0);
  BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  auto doc = parse_line(
    expect_ok(node.ctl_raw({"--connect", node.addr(), "--token-file", path,
                            "pools", "--json"}),
              "pools --json with --token-file"),
    "pools --json");
  BOOST_CHECK_EQUAL(array(doc, "pools", "pools").Size(), 2u);
  // $DYNSERV_TEST_TOKEN is not this node's token.
  auto res = node.ctl({"status"});
  expect_failure(res, 3, "dynservctl: not authenticated: wrong admin token",
                 "env token against a generated one");
  // Neither --token-env nor --token-file, and DYNSERV_ADMIN_TOKEN unset.
  res = node.ctl_raw({"--connect", node.addr(), "status"});
  expect_failure(res, 3,
                 "dynservctl: not authenticated: no admin token: set "
                 "DYNSERV_ADMIN_TOKEN or use --token-file PATH",
                 "no token");
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(node_down_is_exit_3_connection_refused) {
  console_node node{"ctl-down", console_spec(0)};
  node.start();
  expect_ok(node.ctl({"status"}), "status while up");
  node.stop(SIGTERM);
  for (const auto& args : std::vector<std::vector<std::string>>{
         {"status"}, {"ensure", "1"}, {"events", "--json"}}) {
    auto res = node.ctl(args);
    BOOST_CHECK_MESSAGE(res.status.exited && res.status.code == 3,
                        args[0] << ": " << describe(res));
    BOOST_CHECK_EQUAL(res.out, "");
    BOOST_CHECK_EQUAL(res.err, "dynservctl: cannot reach node at " + node.addr()
                                 + ": connection refused\n");
  }
}

// -- 3. and 4. events --follow ------------------------------------------------

BOOST_AUTO_TEST_CASE(follow_survives_a_node_restart_without_gap_or_duplicate) {
  console_node node{"ctl-follow", console_spec(1)};
  node.start();
  // A restarted node must listen where the follower reconnects.
  node.spec().admin_listen = node.addr();
  node.box().write_config(node.spec());
  node.require_converged({{"default", 1}, {"batch", 0}});
  auto out = node.box().dir() + "/follow.out";
  auto err = node.box().dir() + "/follow.err";
  auto follower = node.spawn_ctl("follow", {"events", "--follow", "--json"});
  wait_caught_up(node, out);
  expect_ok(node.ctl({"ensure", "3"}), "ensure 3");
  node.require_converged({{"default", 3}, {"batch", 0}});
  wait_caught_up(node, out);
  node.stop(SIGTERM);
  auto lost = "dynservctl: lost connection to node at " + node.addr()
              + "; reconnecting every 500 ms (Ctrl-C stops)\n";
  require_shows(err, lost);
  // The follower prints nothing while the node is away.
  auto before = parse_follow_output(read_file(out));
  BOOST_REQUIRE(!before.empty());
  node.start();
  BOOST_REQUIRE_EQUAL(node.addr(), node.spec().admin_listen);
  require_shows(err, "dynservctl: reconnected to node at " + node.addr()
                       + "; resuming after event "
                       + std::to_string(before.back().seq) + "\n");
  expect_ok(node.ctl({"ensure", "1", "--json"}), "ensure 1");
  expect_ok(node.ctl({"increase", "batch"}), "increase batch");
  node.require_converged({{"default", 1}, {"batch", 1}});
  auto followed = wait_caught_up(node, out);
  interrupt_follower(*follower, err);
  followed = parse_follow_output(read_file(out));
  BOOST_CHECK_GT(followed.size(), before.size());
  check_followed_everything(followed, node.all_events());
  BOOST_CHECK_EQUAL(count_of(read_file(err), lost), 1u);
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_CASE(follow_notices_a_killed_node_and_resumes_after_restart) {
  console_node node{"ctl-follow-kill", console_spec(1)};
  node.start();
  node.spec().admin_listen = node.addr();
  node.box().write_config(node.spec());
  auto out = node.box().dir() + "/follow.out";
  auto err = node.box().dir() + "/follow.err";
  auto follower = node.spawn_ctl("follow", {"events", "--follow"});
  // Text lines this time: waits until the follower printed seq `seq`.
  auto require_printed = [&](uint64_t seq) {
    auto problem = poll_until(show_timeout, [&]() -> std::string {
      auto printed = parse_follow_text(read_file(out));
      auto got = printed.empty() ? 0 : printed.back().seq;
      return got >= seq ? ""
                        : "the follower is at seq " + std::to_string(got)
                            + ", want " + std::to_string(seq);
    });
    BOOST_REQUIRE_MESSAGE(problem.empty(),
                          problem << "; stderr: " << read_file(err));
  };
  auto first = node.all_events();
  BOOST_REQUIRE(!first.empty());
  require_printed(first.back().seq);
  // Kill the node while it is busy creating servers.
  expect_ok(node.ctl({"ensure", "4"}), "ensure 4");
  require_printed(node.all_events().back().seq);
  node.stop(SIGKILL);
  require_shows(err, "dynservctl: lost connection to node at " + node.addr()
                       + "; reconnecting every 500 ms (Ctrl-C stops)\n");
  BOOST_CHECK(follower->running());
  node.start();
  require_shows(err, "dynservctl: reconnected to node at " + node.addr()
                       + "; resuming after event ");
  node.require_converged({{"default", 4}, {"batch", 0}});
  expect_ok(node.ctl({"decrease", "2"}), "decrease 2");
  node.require_converged({{"default", 2}, {"batch", 0}});
  auto all = node.all_events();
  require_printed(all.back().seq);
  interrupt_follower(*follower, err);
  auto followed = parse_follow_text(read_file(out));
  check_consecutive(followed, "follower");
  check_consecutive(all, "events --since 0");
  BOOST_CHECK_EQUAL(followed.size(), all.size());
  for (size_t i = 0; i < std::min(followed.size(), all.size()); ++i)
    if (followed[i].reason != all[i].reason) {
      BOOST_ERROR("event " << all[i].seq << ": follower printed "
                           << followed[i].reason << ", node has "
                           << all[i].reason);
      break;
    }
  node.stop(SIGTERM);
}

// -- 5. the interactive console -----------------------------------------------

BOOST_AUTO_TEST_CASE(interactive_console_on_a_terminal_and_from_a_pipe) {
  console_node node{"ctl-console", console_spec(1)};
  node.start();
  node.require_converged({{"default", 1}, {"batch", 0}});
  // From a pipe: no prompt, no banner, exactly the commands' output; the
  // exit code is that of the last failure.
  auto pools = expect_ok(node.ctl({"pools", "--json"}), "pools --json");
  auto servers = expect_ok(node.ctl({"servers", "default"}), "servers default");
  auto res = node.ctl_with_input("pools --json\n"
                                 "statsu\n"
                                 "# a comment\n"
                                 "\n"
                                 "servers 'default'\n",
                                 {});
  BOOST_CHECK_MESSAGE(res.status.exited && res.status.code == 2,
                      "pipe session: " << describe(res));
  BOOST_CHECK_EQUAL(res.out, pools + servers);
  BOOST_CHECK_EQUAL(res.err, "dynservctl: unknown command 'statsu'; did you "
                             "mean 'status'?\n");
  // On a terminal: a tmux pane of 200x50 on a socket of our own.
  auto tmux = find_program("tmux");
  if (tmux.empty()) {
    std::cerr << "tmux not found: tested the console from a pipe only\n";
    return;
  }
  auto dir = node.box().dir();
  auto rc_path = dir + "/console.rc";
  auto history = dir + "/history";
  // The pane runs a script that records the console's exit code.
  write_text(dir + "/console.sh",
             "'" + dynservctl_binary() + "' --connect '" + node.addr()
               + "' --token-env " + token_env + "\necho $? > '" + rc_path
               + ".tmp' && mv '" + rc_path + ".tmp' '" + rc_path + "'\n");
  tmux_server term{tmux, "dynserv-ctltest-" + std::to_string(::getpid()),
                   dir + "/tmux"};
  std::string error;
  if (!term.start({"-d", "-x", "200", "-y", "50", "-s", "ctl", "-e",
                   "DYNSERVCTL_HISTORY=" + history,
                   "/bin/sh " + dir + "/console.sh"},
                  error)) {
    std::cerr << "tmux cannot start a session (" << error
              << "): tested the console from a pipe only\n";
    return;
  }
  term.require_last_line("dynserv>");
  BOOST_CHECK(
    starts_with(term.capture(), "connected to node at " + node.addr()));
  // help lists the commands.
  term.keys({"help", "Enter"});
  term.require("the command list", [](const std::string& pane) {
    return pane.find("quit") != std::string::npos
           && pane.find("Leaves the console") != std::string::npos;
  });
  term.require_last_line("dynserv>");
  auto pane = term.capture();
  for (auto name : {"status", "pools", "servers", "ensure", "events", "limits",
                    "help", "quit"})
    BOOST_CHECK_MESSAGE(pane.find("\n  " + std::string{name})
                          != std::string::npos,
                        "help does not list " << name);
  // Tab completes a command...
  term.keys({"sta", "Tab"});
  term.require_last_line("dynserv> status");
  term.keys({"Enter"});
  term.require("the status output", [](const std::string& pane) {
    return pane.find("PROVISIONED") != std::string::npos
           && pane.find("running=1") != std::string::npos;
  });
  term.require_last_line("dynserv>");
  // ... and a pool name.
  term.keys({"ensure 2 de", "Tab"});
  term.require_last_line("dynserv> ensure 2 default");
  term.keys({"Enter"});
  term.require("the ensure output", [](const std::string& pane) {
    return pane.find("\npool default: desired 1 -> 2\n") != std::string::npos;
  });
  term.require_last_line("dynserv>");
  term.keys({"quit", "Enter"});
  auto problem = poll_until(show_timeout, [&]() -> std::string {
    return fs::exists(rc_path) ? "" : "the console did not end";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "; the pane shows:\n"
                                                 << term.capture());
  BOOST_CHECK_EQUAL(read_file(rc_path), "0\n");
  // The history file got the commands, private to the user.
  // libedit writes blanks as \040.
  auto hist = read_file(history);
  BOOST_CHECK_MESSAGE(hist.find("ensure 2 default") != std::string::npos
                        || hist.find("ensure\\0402\\040default")
                             != std::string::npos,
                      "history: " << hist);
  struct stat st {};
  if (::stat(history.c_str(), &st) == 0)
    BOOST_CHECK_EQUAL(st.st_mode & 0777, 0600u);
  node.require_converged({{"default", 2}, {"batch", 0}});
  node.stop(SIGTERM);
}

// -- 6. TLS -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tls_client_connects_and_plain_client_is_refused) {
  auto openssl_program = find_program("openssl");
  BOOST_REQUIRE_MESSAGE(!openssl_program.empty(),
                        "the openssl command is needed to make certificates");
  sandbox certs{"ctl-certs"};
  auto dir = certs.dir();
  make_ca(openssl_program, dir, "ca");
  make_cert(openssl_program, dir, "ca", "node", "localhost",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "extendedKeyUsage=serverAuth,clientAuth\n");
  make_cert(openssl_program, dir, "ca", "client", "dynservctl",
            "extendedKeyUsage=clientAuth\n");
  // A client certificate from a CA the node does not trust.
  make_ca(openssl_program, dir, "other-ca");
  make_cert(openssl_program, dir, "other-ca", "stranger", "stranger",
            "extendedKeyUsage=clientAuth\n");
  auto spec = console_spec(0);
  spec.admin_tls = admin_tls_spec{dir + "/node.pem", dir + "/node.key",
                                  dir + "/ca.pem"};
  console_node node{"ctl-tls", spec};
  node.start();
  BOOST_CHECK_EQUAL(node.log_count("(TLS)"), 1u);
  auto tls = [&](const std::string& who) {
    return std::vector<std::string>{"--tls-ca",   dir + "/ca.pem",
                                    "--tls-cert", dir + "/" + who + ".pem",
                                    "--tls-key",  dir + "/" + who + ".key"};
  };
  auto args = tls("client");
  args.insert(args.end(), {"status", "--json"});
  auto doc = parse_line(expect_ok(node.ctl(args), "TLS status --json"),
                        "status --json");
  BOOST_CHECK_EQUAL(array(doc, "pools", "status").Size(), 2u);
  args = tls("client");
  args.insert(args.end(), {"ensure", "0", "batch"});
  BOOST_CHECK_EQUAL(expect_ok(node.ctl(args), "TLS ensure"),
                    "pool batch: desired 0 -> 0\n");
  // A plain client cannot talk to a TLS node.
  auto res = node.ctl({"status"});
  expect_failure(res, 3,
                 "dynservctl: cannot reach node at " + node.addr() + ": ",
                 "plain client against TLS");
  // Nor can a client whose certificate the node's cafile does not accept.
  args = tls("stranger");
  args.push_back("status");
  res = node.ctl(args);
  expect_failure(res, 3,
                 "dynservctl: cannot reach node at " + node.addr() + ": ",
                 "untrusted client certificate");
  // The node still serves the right client.
  args = tls("client");
  args.push_back("limits");
  expect_ok(node.ctl(args), "TLS limits afterwards");
  node.stop(SIGTERM);
}

BOOST_AUTO_TEST_SUITE_END()
