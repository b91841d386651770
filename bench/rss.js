'use strict';
// Preloaded into every benchmarked process (NODE_OPTIONS=--require): reports the process's
// peak resident set size, in kilobytes, on file descriptor 3 as it exits.
process.on('exit', () => {
  try {
    require('node:fs').writeSync(3, String(process.resourceUsage().maxRSS));
  } catch {
    // Not launched by the benchmark (no fd 3): nothing to report.
  }
});
