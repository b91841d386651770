'use strict';
// The secrets and credentials the benchmark's server holds.
const ACCESS_ID = 'p-benchmark00a1';
const ACCESS_KEY = 'benchmark-access-key-3f9c2e';
const BULK = 1000;

/** JSON secrets of this many string leaves each, to measure registering many leaves. */
const LEAVES_PER_SECRET = 4000;
const LEAF_SECRETS = 40;

/**
 * What the server holds. Built on demand, in the server's process only: the measuring process
 * must stay small, because a child process starts with its parent's peak RSS as its own.
 */
function benchData() {
  const secrets = { '/bench/api-key': 'bench-api-key-value-71d2' };
  for (let i = 0; i < BULK; i += 1) secrets[`/bench/bulk/secret-${i}`] = `bulk-value-${i}-a7c3e9`;
  for (let i = 0; i < LEAF_SECRETS; i += 1) {
    const leaves = Array.from({ length: LEAVES_PER_SECRET }, (_, n) => `s${i}-l${String(n).padStart(5, '0')}`);
    secrets[`/bench/leaves/secret-${i}`] = JSON.stringify(leaves);
  }
  return {
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    secrets,
    dynamicSecrets: { '/bench/dynamic': { id: 'tmp_bench', user: 'tmp_bench', password: 'bench-dynamic-pw-42', ttl_in_minutes: '60' } },
    rotatedSecrets: { '/bench/rotated': { username: 'bench_user', password: 'bench-rotated-pw-17' } },
  };
}

/** `count` entries of the bulk secrets, newline-separated, as secretsPaths. */
function bulkPaths(count) {
  return Array.from({ length: count }, (_, i) => `bulk_${i}=/bench/bulk/secret-${i}`).join('\n');
}

/** The paths of `count` bulk secrets, as the bare client takes them. */
function bulkNames(count) {
  return Array.from({ length: count }, (_, i) => `/bench/bulk/secret-${i}`);
}

/** secretsPaths for JSON secrets holding `leaves` string leaves in all. */
function leafPaths(leaves) {
  const count = leaves / LEAVES_PER_SECRET;
  return Array.from({ length: count }, (_, i) => `leaves_${i}=/bench/leaves/secret-${i}`).join('\n');
}

module.exports = { ACCESS_ID, ACCESS_KEY, benchData, bulkNames, bulkPaths, leafPaths };
