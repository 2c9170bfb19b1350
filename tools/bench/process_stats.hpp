// CPU time and resident memory of the benchmark process itself.
#pragma once

namespace dynserv {

/// User plus system CPU seconds of the process so far (all threads).
double process_cpu_seconds();

/// Peak resident set size of the process in MiB: since the start, or since
/// the last successful `reset_peak_rss`.
long peak_rss_mib();

/// Peak resident set size of the process in MiB over the whole run, resets
/// or not.
long run_peak_rss_mib();

/// Current resident set size in MiB (-1 if /proc cannot be read).
long current_rss_mib();

/// Lowers the peak to the current resident set size (Linux >= 4.0, through
/// /proc/self/clear_refs), so that `peak_rss_mib` covers one phase only.
/// Returns false if the kernel refused; the peak then covers the whole run.
bool reset_peak_rss();

} // namespace dynserv
