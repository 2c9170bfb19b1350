// Process helper of the end-to-end tests (posix_spawn + waitpid polling).
#include "tests/integration/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dynserv::test {

namespace {

/// How long `wait_for` sleeps between two waitpid(WNOHANG) calls.
constexpr auto reap_poll_interval = millis{5};

/// Owns a posix_spawn_file_actions_t.
struct file_actions {
  posix_spawn_file_actions_t value;
  file_actions() {
    posix_spawn_file_actions_init(&value);
  }
  ~file_actions() {
    posix_spawn_file_actions_destroy(&value);
  }
};

/// Owns a posix_spawnattr_t.
struct spawn_attributes {
  posix_spawnattr_t value;
  spawn_attributes() {
    posix_spawnattr_init(&value);
  }
  ~spawn_attributes() {
    posix_spawnattr_destroy(&value);
  }
};

exit_status decode(int wstatus) {
  exit_status res;
  if (WIFEXITED(wstatus)) {
    res.exited = true;
    res.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    res.signal = WTERMSIG(wstatus);
  }
  return res;
}

} // namespace

std::string exit_status::to_string() const {
  if (exited)
    return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal)
         + ")";
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::string& out_path,
                             const std::string& err_path) {
  if (argv.empty())
    throw std::runtime_error("child_process: empty argv");
  file_actions actions;
  constexpr int flags = O_WRONLY | O_CREAT | O_APPEND;
  posix_spawn_file_actions_addopen(&actions.value, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions.value, STDOUT_FILENO,
                                   out_path.c_str(), flags, 0644);
  posix_spawn_file_actions_addopen(&actions.value, STDERR_FILENO,
                                   err_path.c_str(), flags, 0644);
  // The child starts with an empty signal mask and default dispositions, so
  // that whatever the test runner set up does not change how it dies.
  spawn_attributes attrs;
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attrs.value, &empty);
  posix_spawnattr_setsigdefault(&attrs.value, &defaults);
  posix_spawnattr_setflags(&attrs.value,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto rc = posix_spawn(&pid_, args[0], &actions.value, &attrs.value,
                        args.data(), environ);
  if (rc != 0)
    throw std::runtime_error("cannot spawn " + argv[0] + ": "
                             + std::strerror(rc));
}

child_process::~child_process() {
  if (!reaped_)
    kill_and_reap();
}

bool child_process::try_reap() {
  if (reaped_)
    return true;
  int wstatus = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &wstatus, WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == pid_) {
    reaped_ = true;
    status_ = decode(wstatus);
    return true;
  }
  if (rc < 0) {
    // ECHILD: someone else reaped it; nothing more to learn.
    reaped_ = true;
    status_ = exit_status{};
    return true;
  }
  return false;
}

bool child_process::running() {
  return !try_reap();
}

bool child_process::send_signal(int sig) {
  if (reaped_)
    return false;
  return ::kill(pid_, sig) == 0;
}

bool child_process::wait_for(millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (try_reap())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    sleep_for(reap_poll_interval);
  }
}

void child_process::kill_and_reap() {
  if (reaped_)
    return;
  ::kill(pid_, SIGKILL);
  int wstatus = 0;
  pid_t rc;
  do {
    rc = waitpid(pid_, &wstatus, 0);
  } while (rc < 0 && errno == EINTR);
  reaped_ = true;
  status_ = rc == pid_ ? decode(wstatus) : exit_status{};
}

run_result run_to_completion(const std::vector<std::string>& argv,
                             const std::string& scratch_prefix,
                             millis timeout) {
  auto out_path = scratch_prefix + ".out";
  auto err_path = scratch_prefix + ".err";
  // Truncate leftovers of an earlier run with the same prefix.
  std::ofstream{out_path, std::ios::trunc};
  std::ofstream{err_path, std::ios::trunc};
  run_result res;
  {
    child_process proc{argv, out_path, err_path};
    if (!proc.wait_for(timeout)) {
      res.timed_out = true;
      proc.kill_and_reap();
    }
    res.status = proc.status();
  }
  res.out = read_file(out_path);
  res.err = read_file(err_path);
  return res;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void sleep_for(millis duration) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(duration);
  timespec req{};
  req.tv_sec = static_cast<time_t>(secs.count());
  req.tv_nsec = static_cast<long>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(duration - secs)
      .count());
  timespec rem{};
  while (nanosleep(&req, &rem) != 0 && errno == EINTR)
    req = rem;
}

} // namespace dynserv::test
