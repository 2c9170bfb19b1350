// The exec provider: each operation runs a command that speaks JSON.
#pragma once

#include <string>

#include "providers/cloud_options.hpp"
#include "providers/provider.hpp"

namespace dynserv {

/// Runs `command` (argv, no shell) once per operation, writes one JSON
/// request to its stdin and reads one JSON answer from its stdout; the
/// protocol is in docs/providers.md. The command runs in its own process
/// group with the node's environment plus `env`; when it takes longer than
/// `timeout` the whole group is killed and the call fails with a transient
/// "timeout". A create whose command failed in any way after it started
/// (timeout, non-zero exit, bad output) is reported as `outcome_unknown`,
/// so the server actor looks the server up by label before creating again.
class exec_provider : public provider {
public:
  explicit exec_provider(exec_options opts);

  ~exec_provider() override;

  /// Returns "exec".
  std::string type_name() const override;

  /// Lists by labels (the command filters), deletes running servers only
  /// if the command can; assumed not.
  provider_capabilities capabilities() const override;

  provider_reply create(const create_request& req) override;

  provider_reply get(const std::string& provider_id) override;

  provider_reply list(const label_map& selector) override;

  provider_reply stop(const std::string& provider_id) override;

  provider_reply start(const std::string& provider_id) override;

  provider_reply reboot(const std::string& provider_id) override;

  provider_reply destroy(const std::string& provider_id) override;

private:
  exec_options opts_;
};

/// What one run of a command produced.
struct exec_outcome {
  /// Why it produced no usable output: "" (it exited), "not_found",
  /// "not_executable", "spawn_failed", "timeout", "too_much_output".
  std::string failure;
  /// Details of the failure.
  std::string detail;
  /// Exit status, or -1 if it did not exit normally.
  int exit_status = -1;
  /// The signal that ended it, 0 if none.
  int signal = 0;
  std::string out;
  /// The beginning of stderr (bounded).
  std::string err;
};

/// Runs `opts.command` with `input` on stdin; never throws and never blocks
/// past `opts.timeout` (plus the time to reap a killed process).
exec_outcome run_command(const exec_options& opts, const std::string& input);

} // namespace dynserv
