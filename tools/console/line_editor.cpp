// Reading console lines through libedit's readline-compatible API.
#include "tools/console/line_editor.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sys/stat.h>

// libedit (BSD licence) rather than GNU readline (GPL); its readline.h needs
// stdio.h first.
#include <editline/readline.h>

namespace dynserv::console {

namespace {

/// libedit's readline API is global, so is the completion state.
line_editor::completer current_completer;
std::vector<std::string> current_matches;
size_t next_match = 0;

char* match_generator(const char*, int state) {
  if (state == 0)
    next_match = 0;
  if (next_match >= current_matches.size())
    return nullptr;
  // readline frees each match with free().
  return strdup(current_matches[next_match++].c_str());
}

char** attempt_completion(const char* text, int start, int) {
  rl_attempted_completion_over = 1; // never fall back to file names
  current_matches.clear();
  if (!current_completer)
    return nullptr;
  std::string line;
  if (rl_line_buffer != nullptr && start > 0)
    line.assign(rl_line_buffer, strnlen(rl_line_buffer, start));
  line += text;
  current_matches = current_completer(line);
  if (current_matches.empty())
    return nullptr;
  return rl_completion_matches(text, match_generator);
}

} // namespace

line_editor::line_editor(bool terminal, std::string history_file,
                         const volatile std::sig_atomic_t* interrupted)
  : terminal_(terminal),
    history_file_(std::move(history_file)),
    interrupted_(interrupted) {
  if (!terminal_)
    return;
  rl_readline_name = "dynservctl";
  // The program's own SIGINT handler interrupts read(); libedit must not
  // re-raise signals to the whole process group.
  rl_catch_signals = 0;
  rl_initialize();
  // Words are separated by blanks only, so "--status=ru" completes whole.
  // (libedit reads rl_basic_word_break_characters, GNU readline the other.)
  static char word_breaks[] = " \t\n";
  rl_basic_word_break_characters = word_breaks;
  rl_completer_word_break_characters = word_breaks;
  rl_attempted_completion_function = attempt_completion;
  using_history();
  stifle_history(1000);
  if (!history_file_.empty())
    read_history(history_file_.c_str());
}

line_editor::~line_editor() {
  if (!terminal_ || history_file_.empty())
    return;
  auto old_mask = ::umask(077);
  write_history(history_file_.c_str());
  ::umask(old_mask);
}

void line_editor::set_completer(completer f) {
  current_completer = std::move(f);
}

line_editor::status line_editor::read_line(const std::string& prompt,
                                           std::string& out) {
  out.clear();
  if (!terminal_) {
    if (std::getline(std::cin, out))
      return status::line;
    if (*interrupted_)
      return status::interrupted;
    return status::eof;
  }
  char* raw = readline(prompt.c_str());
  if (raw == nullptr) {
    if (*interrupted_) {
      // Leave the dropped line visibly, as shells do.
      std::fputs("\n", stdout);
      std::fflush(stdout);
      return status::interrupted;
    }
    return status::eof;
  }
  out = raw;
  std::free(raw);
  if (*interrupted_) {
    out.clear();
    return status::interrupted;
  }
  auto entry = out.substr(0, out.find_last_not_of(" \t") + 1);
  if (!entry.empty() && entry != last_entry_) {
    add_history(entry.c_str());
    last_entry_ = entry;
  }
  return status::line;
}

} // namespace dynserv::console
