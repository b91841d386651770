'use strict';
/**
 * `npm run bench`: measures, in one run on one loopback Akeyless-compatible server,
 * - `node -e 0` (the floor) and one bare `node:http` request (the floor of any HTTP task);
 * - each of our four tasks, launched as the agent launches them;
 * - the conventional design (azure-pipelines-task-lib + the akeyless SDK, in
 *   bench/reference) for the auth and static-secrets steps;
 * - our static-secrets task with 1, 100 and 1,000 secrets, and with JSON secrets holding
 *   80,000 and 160,000 string leaves in all (every leaf is registered with the masker);
 * then the .vsix and wasm sizes, and prints a Markdown table with the SPEC budgets.
 *
 * Each case is warmed up, then run BENCH_RUNS times (default 20), all cases interleaved so
 * that drift in the machine's load spreads evenly. Wall clock is measured from spawn to
 * exit; peak RSS is the process's own high-water mark, reported through a preloaded hook
 * that every case (the floor included) carries alike.
 */

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Pipeline, ROOT } = require('../tests/support/agent');
const { ACCESS_ID, ACCESS_KEY, bulkPaths, leafPaths } = require('./data');
const { packageExtension } = require('../js-host/package');

const RUNS = Number(process.env.BENCH_RUNS || 20);
const WARMUP = 3;
const RSS_HOOK = path.join(__dirname, 'rss.js');
const REFERENCE = path.join(__dirname, 'reference');

/** Starts bench/server.js; resolves to { url, token, stop }. */
function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'server.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout.once('data', (chunk) => {
      const { url, token } = JSON.parse(chunk.toString());
      resolve({ url, token, stop: () => new Promise((done) => { child.on('close', done); child.stdin.end(); }) });
    });
  });
}

/** One launch: resolves to { ms, rssKb, stdout, code }. */
function launch({ node, args, cwd, env }) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, args, {
      cwd,
      env: { ...env, NODE_OPTIONS: `--require ${RSS_HOOK}` },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const out = [];
    let rss = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.resume();
    child.stdio[3].on('data', (chunk) => { rss += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({
      ms: Number(process.hrtime.bigint() - started) / 1e6,
      rssKb: Number(rss),
      stdout: Buffer.concat(out).toString('utf8'),
      code,
    }));
  });
}

/** The cases, each a launch description and a check that its run did its job. */
function cases(server) {
  const pipeline = new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, BENCH_TOKEN: server.token },
    connections: { bench: { url: server.url, accessId: ACCESS_ID } },
  });
  const step = (task, inputs, script) => {
    const prepared = pipeline.prepare({ task, inputs: { connectedServiceName: 'bench', ...inputs } });
    return { node: prepared.node, args: [script ?? prepared.script], cwd: prepared.workDir, env: prepared.env };
  };
  const succeeded = (run) => run.code === 0 && /##vso\[task\.complete result=Succeeded;\]/.test(run.stdout);
  const withSecrets = (count) => (run) => succeeded(run)
    && (run.stdout.match(/##vso\[task\.setvariable variable=/g) ?? []).length === count * 2;
  const token = { token: '$(BENCH_TOKEN)' };
  const auth = { 'access-key': '$(AKEYLESS_ACCESS_KEY)' };
  const floorEnv = step('akeyless-auth@0', auth);
  const rawHttp = `require('node:http').request('${server.url}/auth', { method: 'POST', headers: { 'content-type': 'application/json' } },
    (r) => { r.resume(); r.on('end', () => process.exit(r.statusCode === 200 ? 0 : 1)); })
    .end(JSON.stringify({ 'access-type': 'access_key', 'access-id': '${ACCESS_ID}', 'access-key': '${ACCESS_KEY}' }));`;
  return [
    { name: 'node -e 0', group: 'floor', launch: { ...floorEnv, args: ['-e', '0'] }, check: (run) => run.code === 0 },
    { name: 'one bare node:http request', group: 'floor', launch: { ...floorEnv, args: ['-e', rawHttp] }, check: (run) => run.code === 0 },
    { name: 'akeyless-auth', group: 'auth', launch: step('akeyless-auth@0', auth), check: succeeded },
    { name: 'reference auth (task-lib + SDK)', group: 'auth', reference: true, launch: step('akeyless-auth@0', auth, path.join(REFERENCE, 'auth.js')), check: succeeded },
    { name: 'get-secrets, 1 secret', group: 'static', launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: 'api_key=/bench/api-key' }), check: withSecrets(1) },
    { name: 'reference get-secrets, 1 secret', group: 'static', reference: true, launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: 'api_key=/bench/api-key' }, path.join(REFERENCE, 'get-secrets.js')), check: withSecrets(1) },
    { name: 'get-secrets, 100 secrets', group: 'static100', launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: bulkPaths(100) }), check: withSecrets(100) },
    { name: 'get-secrets, 1,000 secrets', group: 'static1000', launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: bulkPaths(1000) }), check: withSecrets(1000) },
    { name: 'reference get-secrets, 1,000 secrets', group: 'static1000', reference: true, launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: bulkPaths(1000) }, path.join(REFERENCE, 'get-secrets.js')), check: withSecrets(1000) },
    { name: 'get-secrets, 80,000 JSON leaves', group: 'leaves', launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: leafPaths(80_000) }), check: withSecrets(20) },
    { name: 'get-secrets, 160,000 JSON leaves', group: 'leaves', launch: step('akeyless-get-secrets-value-task@0', { ...token, secretsPaths: leafPaths(160_000) }), check: withSecrets(40) },
    { name: 'get-dynamic-secret', group: 'dynamic', launch: step('akeyless-get-dynamic-secret-value-task@0', { ...token, name: '/bench/dynamic' }), check: succeeded },
    { name: 'get-rotated-secret', group: 'rotated', launch: step('akeyless-get-rotated-secret-value-task@0', { ...token, name: '/bench/rotated' }), check: succeeded },
  ];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function deviation(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

async function measure(allCases) {
  for (const benchCase of allCases) {
    const first = await launch(benchCase.launch);
    if (!benchCase.check(first)) {
      throw new Error(`${benchCase.name} did not do its job (exit ${first.code}):\n${first.stdout.slice(0, 2000)}`);
    }
    benchCase.ms = [];
    benchCase.rssKb = [];
  }
  for (let round = 0; round < WARMUP + RUNS; round += 1) {
    for (const benchCase of allCases) {
      const run = await launch(benchCase.launch);
      if (round >= WARMUP) {
        benchCase.ms.push(run.ms);
        benchCase.rssKb.push(run.rssKb);
      }
    }
    process.stderr.write(`\rround ${round + 1}/${WARMUP + RUNS}`);
  }
  process.stderr.write('\n');
}

function sizes() {
  const vsix = packageExtension();
  const wasm = path.join(ROOT, 'tasks', 'akeyless-auth', 'pkg', 'akeyless_tasks_bg.wasm');
  const host = path.join(ROOT, 'tasks', 'akeyless-auth', 'host.js');
  return { vsix: fs.statSync(vsix).size, wasm: fs.statSync(wasm).size, host: fs.statSync(host).size };
}

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, `
    + `${os.type()} ${os.release()}, Node ${process.version}`;
}

function report(allCases, size) {
  const floor = allCases[0];
  const floorMs = median(floor.ms);
  const floorRss = median(floor.rssKb);
  const referenceOf = (c) => allCases.find((other) => other.reference && other.group === c.group && other !== c);
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; ${RUNS} runs per case after ${WARMUP} warm-up runs, interleaved.`,
    '',
    '| case | wall median (ms) | σ (ms) | min–max (ms) | × node -e 0 | × reference | peak RSS (MB) | RSS × node -e 0 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of allCases) {
    const ms = median(c.ms);
    const rss = median(c.rssKb);
    const reference = c.reference ? null : referenceOf(c);
    lines.push(`| ${c.name} | ${ms.toFixed(1)} | ${deviation(c.ms).toFixed(1)} | ${Math.min(...c.ms).toFixed(0)}–${Math.max(...c.ms).toFixed(0)} `
      + `| ${(ms / floorMs).toFixed(2)} | ${reference ? (ms / median(reference.ms)).toFixed(2) : ''} `
      + `| ${(rss / 1024).toFixed(1)} | ${(rss / floorRss).toFixed(2)} |`);
  }
  const byName = (name) => allCases.find((c) => c.name === name);
  const ours = allCases.filter((c) => !['floor', 'static100', 'static1000', 'leaves'].includes(c.group) && !c.reference);
  const worstTime = Math.max(...ours.map((c) => median(c.ms) / floorMs));
  const worstRss = Math.max(...ours.map((c) => median(c.rssKb) / floorRss));
  const bulkRatio = median(byName('get-secrets, 1,000 secrets').ms) / median(byName('get-secrets, 1 secret').ms);
  const leafMs = (name) => median(byName(name).ms) - median(byName('get-secrets, 1 secret').ms);
  const leafRatio = leafMs('get-secrets, 160,000 JSON leaves') / leafMs('get-secrets, 80,000 JSON leaves');
  const verdict = (ok) => (ok ? 'met' : '**missed**');
  lines.push(
    '',
    `Sizes: .vsix ${(size.vsix / 1024).toFixed(0)} KB; wasm module ${(size.wasm / 1024).toFixed(0)} KB (one identical copy in each of the four task folders); host.js ${(size.host / 1024).toFixed(1)} KB.`,
    '',
    '| SPEC budget | limit | measured | |',
    '|---|---|---|---|',
    `| one task run, wall clock | ≤ 1.3 × node -e 0 | worst task ${worstTime.toFixed(2)} × | ${verdict(worstTime <= 1.3)} |`,
    `| one task run, peak memory | ≤ 1.3 × node -e 0 | worst task ${worstRss.toFixed(2)} × | ${verdict(worstRss <= 1.3)} |`,
    `| the whole .vsix | < 1 MB | ${(size.vsix / 1024).toFixed(0)} KB | ${verdict(size.vsix < 1024 * 1024)} |`,
    `| 1,000 static secrets | < 2 × the time of 1 | ${bulkRatio.toFixed(2)} × | ${verdict(bulkRatio < 2)} |`,
    '',
    `Registering JSON leaves is linear: beyond the time of 1 secret, 160,000 leaves take ${leafRatio.toFixed(2)} × what 80,000 take.`,
  );
  return lines.join('\n');
}

async function main() {
  const server = await startServer();
  try {
    const allCases = cases(server);
    await measure(allCases);
    console.log(report(allCases, sizes()));
    for (const c of allCases) fs.rmSync(c.launch.cwd, { recursive: true, force: true });
  } finally {
    await server.stop();
  }
}

if (!fs.existsSync(path.join(REFERENCE, '..', 'node_modules', 'akeyless'))) {
  spawnSync('npm', ['install', '--prefix', __dirname, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
