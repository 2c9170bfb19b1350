// A small helper to run the `dynserv` binary from end-to-end tests: spawn it
// with its output in files, send it signals, wait for it with a deadline.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dynserv::test {

using millis = std::chrono::milliseconds;

/// How a child process ended.
struct exit_status {
  /// True if the process called exit(); false if a signal killed it.
  bool exited = false;
  /// The exit code when `exited`, otherwise -1.
  int code = -1;
  /// The signal that killed the process when `!exited`, otherwise 0.
  int signal = 0;

  /// Returns e.g. "exit code 2" or "killed by signal 9 (Killed)".
  std::string to_string() const;
};

/// A running child process. The destructor kills (SIGKILL) and reaps a child
/// that is still running, so a failed assertion never leaks a node.
class child_process {
public:
  /// Starts `argv[0]` with arguments `argv`; stdin is /dev/null, stdout and
  /// stderr are appended to the files `out_path` and `err_path`. Throws
  /// std::runtime_error if the process cannot be started.
  child_process(const std::vector<std::string>& argv,
                const std::string& out_path, const std::string& err_path);

  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const {
    return pid_;
  }

  /// Returns whether the process has not been reaped yet (it reaps it if it
  /// has ended in the meantime).
  bool running();

  /// Sends `sig` to the process; returns false if it is already reaped.
  bool send_signal(int sig);

  /// Waits until the process ends or `timeout` passes, polling waitpid with
  /// WNOHANG; returns false on timeout.
  bool wait_for(millis timeout);

  /// The status, valid after `running()` returned false or `wait_for()`
  /// returned true.
  const exit_status& status() const {
    return status_;
  }

  /// Sends SIGKILL and waits until the process is gone.
  void kill_and_reap();

private:
  /// Calls waitpid(WNOHANG) once; returns true if the process is reaped.
  bool try_reap();

  pid_t pid_ = -1;
  bool reaped_ = false;
  exit_status status_;
};

/// Output and status of a process run to completion.
struct run_result {
  exit_status status;
  std::string out;
  std::string err;
  /// True if the process did not end within the timeout (it was killed).
  bool timed_out = false;
};

/// Runs `argv` to completion (killed after `timeout`), capturing its stdout
/// and stderr through files named `<scratch_prefix>.out` / `.err`.
run_result run_to_completion(const std::vector<std::string>& argv,
                             const std::string& scratch_prefix,
                             millis timeout = std::chrono::seconds{30});

/// Returns the contents of the file at `path` (empty if it cannot be read).
std::string read_file(const std::string& path);

/// Sleeps for `duration` (nanosleep, resumed after signals).
void sleep_for(millis duration);

} // namespace dynserv::test
