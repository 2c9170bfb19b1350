// Reading console lines: libedit (prompt, line editing, history, completion)
// on a terminal, plain line-by-line reading otherwise.
#pragma once

#include <csignal>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dynserv::console {

/// Reads the lines of the interactive console. On a terminal it uses
/// libedit's readline-compatible API; on anything else it reads lines without
/// a prompt, so that scripts can pipe commands in. Only one instance may
/// exist at a time (libedit's readline API is global).
class line_editor {
public:
  /// Candidates for the word under the cursor, given the line up to it.
  using completer
    = std::function<std::vector<std::string>(std::string_view line)>;

  /// What `read_line` got.
  enum class status {
    /// A line (without its newline).
    line,
    /// End of input (Ctrl-D on an empty line, end of file).
    eof,
    /// SIGINT (Ctrl-C) arrived while reading; the line was dropped.
    interrupted,
  };

  /// Uses libedit when `terminal` is true. `history_file` (may be empty)
  /// is loaded now and saved by the destructor. `interrupted` is the flag
  /// the program's SIGINT handler sets.
  line_editor(bool terminal, std::string history_file,
              const volatile std::sig_atomic_t* interrupted);

  ~line_editor();

  line_editor(const line_editor&) = delete;
  line_editor& operator=(const line_editor&) = delete;

  /// Shows `prompt` (terminal only) and reads one line into `out`.
  status read_line(const std::string& prompt, std::string& out);

  /// Sets the completion function (terminal only).
  void set_completer(completer f);

  /// True if lines come from a terminal through libedit.
  bool terminal() const {
    return terminal_;
  }

private:
  bool terminal_;
  std::string history_file_;
  const volatile std::sig_atomic_t* interrupted_;
  std::string last_entry_;
};

} // namespace dynserv::console
