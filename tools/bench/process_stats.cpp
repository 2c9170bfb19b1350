// CPU time and resident memory of the benchmark process, from getrusage and
// /proc/self/status.
#include "tools/bench/process_stats.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <sys/resource.h>

namespace dynserv {

namespace {

/// A "Vm...:  1234 kB" line of /proc/self/status in kB; -1 if missing.
long proc_status_kib(const std::string& key) {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size()
        && line[key.size()] == ':')
      return std::stol(line.substr(key.size() + 1));
  return -1;
}

/// Whether a reset succeeded once: getrusage's ru_maxrss cannot be reset,
/// VmHWM can.
bool hwm_reset = false;

/// The largest peak a reset lowered.
long peak_before_resets = 0;

} // namespace

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

long peak_rss_mib() {
  if (hwm_reset) {
    auto kib = proc_status_kib("VmHWM");
    if (kib >= 0)
      return kib / 1024;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

long run_peak_rss_mib() {
  return std::max(peak_before_resets, peak_rss_mib());
}

long current_rss_mib() {
  auto kib = proc_status_kib("VmRSS");
  return kib < 0 ? -1 : kib / 1024;
}

bool reset_peak_rss() {
  peak_before_resets = run_peak_rss_mib();
  // "5" resets the peak RSS (VmHWM) to the current RSS; see proc(5).
  std::ofstream out{"/proc/self/clear_refs"};
  out << "5";
  out.flush();
  if (!out)
    return false;
  hwm_reset = true;
  return true;
}

} // namespace dynserv
