'use strict';
// The secrets and credentials the benchmark's server holds.
const ACCESS_ID = 'p-benchmark00a1';
const ACCESS_KEY = 'benchmark-access-key-3f9c2e';
const BULK = 1000;

const secrets = { '/bench/api-key': 'bench-api-key-value-71d2' };
for (let i = 0; i < BULK; i += 1) secrets[`/bench/bulk/secret-${i}`] = `bulk-value-${i}-a7c3e9`;

const BENCH_DATA = {
  accessKeys: { [ACCESS_ID]: ACCESS_KEY },
  secrets,
  dynamicSecrets: { '/bench/dynamic': { id: 'tmp_bench', user: 'tmp_bench', password: 'bench-dynamic-pw-42', ttl_in_minutes: '60' } },
  rotatedSecrets: { '/bench/rotated': { username: 'bench_user', password: 'bench-rotated-pw-17' } },
};

/** `count` entries of the bulk secrets, newline-separated, as secretsPaths. */
function bulkPaths(count) {
  return Array.from({ length: count }, (_, i) => `bulk_${i}=/bench/bulk/secret-${i}`).join('\n');
}

module.exports = { ACCESS_ID, ACCESS_KEY, BENCH_DATA, bulkPaths };
