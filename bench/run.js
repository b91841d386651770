'use strict';
/**
 * `npm run bench`: measures, in one run on one loopback Akeyless-compatible server, under
 * Node 20 and Node 24 (the Node20_1 and Node24 handlers' runtimes) alike:
 * - the floors: `node -e 0` (memory) and a fresh Node sending one bare `node:http` request
 *   to the same server (time; SPEC section 7);
 * - auth and the three get tasks with one secret, launched as the agent launches them, run
 *   summary included (its default);
 * - 1,000 static secrets in one get-secrets step, and the bare client (bench/bare-client.js)
 *   sending the same requests and parsing the replies;
 * and under Node 20 only the conventional design (azure-pipelines-task-lib + the akeyless
 * SDK, in bench/reference) and JSON secrets of 80,000 and 160,000 string leaves in all
 * (every leaf is registered with the masker). Then the .vsix and each task folder's wasm
 * module, and a Markdown table with the SPEC budgets.
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
const crypto = require('node:crypto');
const { Pipeline, ROOT } = require('../tests/support/agent');
const { ACCESS_ID, ACCESS_KEY, bulkNames, bulkPaths, leafPaths } = require('./data');
const { packageExtension } = require('../js-host/package');
const { taskFolders } = require('../js-host/build');

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

/** The Node versions every budget is checked under: the handlers' runtimes. */
const RUNTIMES = [
  { handler: 'Node20_1', label: 'Node 20' },
  { handler: 'Node24', label: 'Node 24' },
];

/**
 * The cases, each a launch description and a check that its run did its job. `group` ties a
 * case to its floor: under each runtime, `node -e 0` (the memory floor) and one bare request
 * (the time floor); the 1,000-secret case is compared with the bare client.
 */
function cases(server) {
  const pipeline = new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, BENCH_TOKEN: server.token },
    connections: { bench: { url: server.url, accessId: ACCESS_ID } },
  });
  const succeeded = (run) => run.code === 0 && /##vso\[task\.complete result=Succeeded;\]/.test(run.stdout);
  const withSecrets = (count) => (run) => succeeded(run)
    && (run.stdout.match(/##vso\[task\.setvariable variable=/g) ?? []).length === count * 2;
  const token = { token: '$(BENCH_TOKEN)' };
  const auth = { 'access-key': '$(AKEYLESS_ACCESS_KEY)' };
  const bareRequest = `require('node:http').request('${server.url}/auth', { method: 'POST', headers: { 'content-type': 'application/json' } },
    (r) => { r.resume(); r.on('end', () => process.exit(r.statusCode === 200 ? 0 : 1)); })
    .end(JSON.stringify({ 'access-type': 'access_key', 'access-id': '${ACCESS_ID}', 'access-key': '${ACCESS_KEY}' }));`;
  const all = [];
  for (const { handler, label } of RUNTIMES) {
    const step = (task, inputs, script) => {
      const prepared = pipeline.prepare({ task, handler, inputs: { connectedServiceName: 'bench', ...inputs } });
      return { node: prepared.node, args: [script ?? prepared.script], cwd: prepared.workDir, env: prepared.env };
    };
    const floorEnv = step('akeyless-auth@0', auth);
    const ours = (name, task, inputs, check, extra = {}) => ({
      name: `${label}: ${name}`, runtime: label, budget: true, launch: step(task, inputs), check, ...extra,
    });
    all.push(
      { name: `${label}: node -e 0`, runtime: label, floor: 'memory', launch: { ...floorEnv, args: ['-e', '0'] }, check: (run) => run.code === 0 },
      { name: `${label}: one bare request`, runtime: label, floor: 'time', launch: { ...floorEnv, args: ['-e', bareRequest] }, check: (run) => run.code === 0 },
      ours('akeyless-auth', 'akeyless-auth@0', auth, succeeded),
      ours('get-secrets, 1 secret', 'akeyless-get-secrets-value-task@0', { ...token, secretsPaths: 'api_key=/bench/api-key' }, withSecrets(1)),
      ours('get-dynamic-secret', 'akeyless-get-dynamic-secret-value-task@0', { ...token, name: '/bench/dynamic' }, succeeded),
      ours('get-rotated-secret', 'akeyless-get-rotated-secret-value-task@0', { ...token, name: '/bench/rotated' }, succeeded),
      {
        name: `${label}: bare client, 1,000 secrets`, runtime: label, bareClient: true,
        launch: { ...floorEnv, args: [path.join(__dirname, 'bare-client.js'), server.url, server.token, ...bulkNames(1000)] },
        check: (run) => run.code === 0,
      },
      ours('get-secrets, 1,000 secrets', 'akeyless-get-secrets-value-task@0', { ...token, secretsPaths: bulkPaths(1000) }, withSecrets(1000), { budget: false, bulk: true }),
    );
    if (handler === 'Node20_1') {
      const reference = (name, task, inputs, script, check) => ({
        name: `${label}: ${name}`, runtime: label, reference: true, launch: step(task, inputs, path.join(REFERENCE, script)), check,
      });
      all.push(
        reference('reference auth (task-lib + SDK)', 'akeyless-auth@0', auth, 'auth.js', succeeded),
        reference('reference get-secrets, 1 secret', 'akeyless-get-secrets-value-task@0', { ...token, secretsPaths: 'api_key=/bench/api-key' }, 'get-secrets.js', withSecrets(1)),
        { ...ours('get-secrets, 80,000 JSON leaves', 'akeyless-get-secrets-value-task@0', { ...token, secretsPaths: leafPaths(80_000) }, withSecrets(20)), budget: false },
        { ...ours('get-secrets, 160,000 JSON leaves', 'akeyless-get-secrets-value-task@0', { ...token, secretsPaths: leafPaths(160_000) }, withSecrets(40)), budget: false },
      );
    }
  }
  return all;
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

/** The .vsix, each task folder's wasm module (they must all differ), and the host. */
function sizes() {
  const vsix = packageExtension();
  const modules = taskFolders().map((dir) => {
    const bytes = fs.readFileSync(path.join(dir, 'pkg', 'akeyless_tasks_bg.wasm'));
    return { task: path.basename(dir), size: bytes.length, digest: crypto.createHash('sha256').update(bytes).digest('hex') };
  });
  const host = path.join(ROOT, 'tasks', 'akeyless-auth', 'host.js');
  return { vsix: fs.statSync(vsix).size, modules, host: fs.statSync(host).size };
}

function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, `
    + `${os.type()} ${os.release()}, Node ${process.version}`;
}

function report(allCases, size) {
  const ms = (c) => median(c.ms);
  const rss = (c) => median(c.rssKb);
  const floorOf = (c, kind) => allCases.find((other) => other.runtime === c.runtime && other.floor === kind);
  const timeRatio = (c) => ms(c) / ms(floorOf(c, 'time'));
  const memoryRatio = (c) => rss(c) / rss(floorOf(c, 'memory'));
  const bareClientOf = (c) => allCases.find((other) => other.runtime === c.runtime && other.bareClient);
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; ${RUNS} runs per case after ${WARMUP} warm-up runs, interleaved.`,
    '',
    '| case | wall median (ms) | σ (ms) | min–max (ms) | × bare request | × bare client | peak RSS (MB) | RSS × node -e 0 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of allCases) {
    const vsClient = c.bulk ? (ms(c) / ms(bareClientOf(c))).toFixed(2) : '';
    lines.push(`| ${c.name} | ${ms(c).toFixed(1)} | ${deviation(c.ms).toFixed(1)} | ${Math.min(...c.ms).toFixed(0)}–${Math.max(...c.ms).toFixed(0)} `
      + `| ${timeRatio(c).toFixed(2)} | ${vsClient} | ${(rss(c) / 1024).toFixed(1)} | ${memoryRatio(c).toFixed(2)} |`);
  }
  const verdict = (ok) => (ok ? 'met' : '**missed**');
  const worst = (values) => Math.max(...values);
  const budgetCases = allCases.filter((c) => c.budget);
  const references = allCases.filter((c) => c.reference);
  const byName = (name) => allCases.find((c) => c.name === name);
  const leafMs = (n) => ms(byName(`Node 20: get-secrets, ${n} JSON leaves`)) - ms(byName('Node 20: get-secrets, 1 secret'));
  const distinctModules = new Set(size.modules.map((m) => m.digest)).size;
  lines.push(
    '',
    `Sizes: .vsix ${(size.vsix / 1024).toFixed(0)} KB; host.js ${(size.host / 1024).toFixed(1)} KB; wasm per task folder: `
      + `${size.modules.map((m) => `${m.task} ${(m.size / 1024).toFixed(0)} KB`).join(', ')}.`,
    '',
    '| SPEC budget | limit | measured | |',
    '|---|---|---|---|',
  );
  for (const { label } of RUNTIMES) {
    const here = budgetCases.filter((c) => c.runtime === label);
    const time = worst(here.map(timeRatio));
    const memory = worst(here.map(memoryRatio));
    const bulk = allCases.find((c) => c.runtime === label && c.bulk);
    const bulkRatio = ms(bulk) / ms(bareClientOf(bulk));
    lines.push(
      `| one task run, wall clock, ${label} | ≤ 1.4 × bare request | worst task ${time.toFixed(2)} × | ${verdict(time <= 1.4)} |`,
      `| one task run, peak memory, ${label} | ≤ 1.3 × node -e 0 | worst task ${memory.toFixed(2)} × | ${verdict(memory <= 1.3)} |`,
      `| 1,000 static secrets, ${label} | ≤ 1.5 × bare client | ${bulkRatio.toFixed(2)} × | ${verdict(bulkRatio <= 1.5)} |`,
    );
  }
  lines.push(
    `| each task folder's wasm holds only its task | all differ | ${distinctModules} distinct of ${size.modules.length} | ${verdict(distinctModules === size.modules.length)} |`,
    `| the whole .vsix | < 1 MB | ${(size.vsix / 1024).toFixed(0)} KB | ${verdict(size.vsix < 1024 * 1024)} |`,
    '',
    `Reference (task-lib + SDK, Node 20): ${references.map((c) => `${c.name.replace(/^Node 20: /, '')} ${timeRatio(c).toFixed(1)} × bare request, ${memoryRatio(c).toFixed(1)} × node -e 0 memory`).join('; ')}.`,
    `Registering JSON leaves is linear: beyond the time of 1 secret, 160,000 leaves take ${(leafMs('160,000') / leafMs('80,000')).toFixed(2)} × what 80,000 take.`,
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
