'use strict';
// Preloaded into every benchmarked process (NODE_OPTIONS=--require): reports the process's
// peak resident set size, in kilobytes, on file descriptor 3 as it exits. On Linux it is the
// `VmHWM` of /proc/self/status, this process's own high-water mark: `maxRSS` (getrusage)
// starts from the parent's peak, which Linux carries across fork and exec, so every case
// would read at least the benchmark's own size.
process.on('exit', () => {
  const fs = require('node:fs');
  let peakKb = process.resourceUsage().maxRSS;
  try {
    peakKb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    // No /proc (not Linux): maxRSS it is.
  }
  try {
    fs.writeSync(3, String(peakKb));
  } catch {
    // Not launched by the benchmark (no fd 3): nothing to report.
  }
});
