'use strict';
/**
 * What a task prints, whatever it is handed: every run ends with exactly one `task.complete`,
 * output of any size is written in bounded pieces, a value too large for a variable fails the
 * step before it is registered or printed, and memory running out is named as such. The real
 * tasks run through the agent emulator against the loopback server; the host's own guards are
 * driven with stand-in cores that misbehave on purpose.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline, ROOT } = require('./support/agent');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');

const ACCESS_ID = 'p-outputab12a3';
const ACCESS_KEY = 'output-access-key-5d0c2e';
/** The largest value a variable is set to (MAX_VALUE_BYTES in src/tasks/delivery.rs). */
const MAX_VALUE_BYTES = 64 * 1024;

let server;
let scratch;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY } }).start();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'output-test-'));
});

after(async () => {
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function pipeline(tasksDir) {
  return new Pipeline({
    tasksDir,
    connections: { conn: { url: server.url, accessId: ACCESS_ID, accessKey: ACCESS_KEY } },
    secrets: server.leakCheckSecrets,
  });
}

/** A get-secrets step that logs in by itself and fetches `paths` (variable -> path). */
function fetchStep(paths, extra = {}) {
  const list = Object.entries(paths).map(([variable, secretPath]) => `${variable}=${secretPath}`).join('\n');
  return {
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    ...extra,
    inputs: { connectedServiceName: 'conn', secretsPaths: list },
  };
}

/** A deterministic pseudo-random generator (mulberry32), so a failing case can be replayed. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Characters that need escaping, break lines, take several bytes, or are controls. (A value
 * holding `##vso[` is tested on its own: as a registered secret, it would make the leak
 * check flag every command line.)
 */
const ALPHABET = ['%', '\r', '\n', '\r\n', ';', ']', '#', '[', '"', "'", ' ', '\t', 'a', 'Z', '9', 'é', '→', '😀', '\u001b[31m', '\u202e', '{', '}'];

/**
 * A value of at least `length` characters (none for 0) that starts with eight random letters,
 * so that neither it nor any part of it between line breaks occurs by chance in what a task
 * prints (the leak check looks for them).
 */
function randomValue(next, length) {
  if (length === 0) return '';
  let value = '';
  while (value.length < 8) value += String.fromCharCode(97 + Math.floor(next() * 26));
  while (value.length < length) {
    const piece = ALPHABET[Math.floor(next() * ALPHABET.length)];
    value += /[\r\n]/.test(piece) ? `${piece}${String.fromCharCode(65 + Math.floor(next() * 26)).repeat(7)}` : piece;
  }
  return value;
}

/** The value a later step reads from the variable, decoded where it was delivered base64. */
function delivered(pipe, variable) {
  const value = pipe.expand(`$(Fetch.${variable})`);
  return pipe.expand(`$(Fetch.${variable}_ENCODING)`) === 'base64' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

describe('output: exactly one task.complete, whatever the output', () => {
  it('a 30 MiB secret of characters that need escaping fails the step clearly instead of succeeding with nothing set', async () => {
    server.secrets['/huge/percent'] = '%'.repeat(30 * 1024 * 1024);
    const step = await pipeline().run(fetchStep({ huge: '/huge/percent' }));
    delete server.secrets['/huge/percent'];
    const error = assertCleanFailure(step);
    assert.equal(
      error,
      "The secret '/huge/percent' is 30720 KiB, more than the 64 KiB a pipeline variable can carry (the agent passes variables to later steps in their environment, where Linux allows 128 KiB at most). No variable was set.",
    );
    assert.ok(step.stdout.length < 100_000, 'the value was neither registered nor printed');
  });

  it('for random output sizes and contents, every run ends with exactly one task.complete (property)', async () => {
    const next = random(20261130);
    const outcomes = { Succeeded: 0, Failed: 0 };
    const sizes = [0, 8, 100, 4096, MAX_VALUE_BYTES - 8, MAX_VALUE_BYTES + 1, 300_000, 3 * 1024 * 1024];
    for (let run = 0; run < 24; run += 1) {
      const count = 1 + Math.floor(next() * 3);
      const paths = {};
      for (let index = 0; index < count; index += 1) {
        const size = next() < 0.5 ? sizes[Math.floor(next() * sizes.length)] : Math.floor(next() * 20_000);
        const secretPath = `/property/${run}/${index}`;
        server.secrets[secretPath] = randomValue(next, size);
        paths[`v${index}`] = secretPath;
      }
      const pipe = pipeline();
      const step = await pipe.run(fetchStep(paths));
      const context = `run ${run}: sizes ${Object.values(paths).map((p) => server.secrets[p].length).join(', ')}`;
      const values = Object.fromEntries(Object.values(paths).map((p) => [p, server.secrets[p]]));
      // Kept small, so each step's leak check looks for this run's values only.
      for (const secretPath of Object.values(paths)) delete server.secrets[secretPath];
      assert.equal(step.exitCode, 0, context);
      assert.equal(step.completions, 1, context);
      const fits = Object.values(values).every((value) => Buffer.byteLength(value) <= MAX_VALUE_BYTES);
      assert.equal(step.result, fits ? 'Succeeded' : 'Failed', `${context}: ${JSON.stringify(step.issues)}`);
      outcomes[step.result] += 1;
      if (fits) {
        for (const [variable, secretPath] of Object.entries(paths)) {
          assert.equal(delivered(pipe, variable), values[secretPath], `${context}: ${variable} round-trips`);
        }
      } else {
        assert.deepEqual(Object.keys(step.variables), [], context);
      }
    }
    assert.ok(outcomes.Succeeded > 3 && outcomes.Failed > 3, `both outcomes were tried: ${JSON.stringify(outcomes)}`);
  });

  it('random dynamic and rotated replies of any size end with exactly one task.complete too', async () => {
    const next = random(11);
    for (let run = 0; run < 10; run += 1) {
      const size = next() < 0.5 ? Math.floor(next() * 20_000) : MAX_VALUE_BYTES + Math.floor(next() * 100_000);
      const credentials = { user: `user-${run}-name`, password: randomValue(next, size) };
      const cases = [
        ['akeyless-get-dynamic-secret-value-task@0', server.dynamicSecrets, credentials],
        ['akeyless-get-rotated-secret-value-task@0', server.rotatedSecrets, { value: credentials }],
      ];
      for (const [task, store, reply] of cases) {
        store['/property/reply'] = task.includes('rotated') ? credentials : reply;
        const step = await pipeline().run({ task, name: 'Get', inputs: { connectedServiceName: 'conn', name: '/property/reply' } });
        delete store['/property/reply'];
        const fits = Buffer.byteLength(JSON.stringify(reply)) <= MAX_VALUE_BYTES;
        const context = `${task}, ${size} characters: ${JSON.stringify(step.issues)}`;
        assert.equal(step.exitCode, 0, context);
        assert.equal(step.completions, 1, context);
        assert.equal(step.result, fits ? 'Succeeded' : 'Failed', context);
      }
    }
  });
});

describe('output: the host keeps the invariant when the core does not', () => {
  /** A copy of the staged get-secrets task whose core is replaced by `source`. */
  function withStandInCore(label, source) {
    const tasksDir = path.join(scratch, label);
    const name = 'akeyless-get-secrets-value-task';
    fs.cpSync(path.join(ROOT, 'tasks', name), path.join(tasksDir, name), { recursive: true });
    fs.writeFileSync(path.join(tasksDir, name, 'pkg', 'akeyless_tasks.js'), source);
    return tasksDir;
  }

  const STAND_IN_STEP = fetchStep({ a: '/x' });

  it('a core that ends without a result gets one failure from the host', async () => {
    const tasksDir = withStandInCore('no-result', `
      exports.runTask = async (name, host) => { host.writeLines('working'); };
      exports.panicLocation = () => undefined;
      exports.allocationFailed = () => false;`);
    const error = assertCleanFailure(await pipeline(tasksDir).run(STAND_IN_STEP));
    assert.equal(error, "The Akeyless task ended without reporting a result. Please report this with the pipeline's debug log.");
  });

  it('a second task.complete from the core is dropped', async () => {
    const tasksDir = withStandInCore('two-results', `
      exports.runTask = async (name, host) => {
        host.writeLines('##vso[task.complete result=Succeeded;]done\\n##vso[task.complete result=Failed;]again');
      };
      exports.panicLocation = () => undefined;
      exports.allocationFailed = () => false;`);
    const step = await pipeline(tasksDir).run(STAND_IN_STEP);
    assert.equal(step.completions, 1);
    assert.equal(step.result, 'Succeeded');
  });

  it('lines far longer than a write are written whole, in pieces, and the result follows them', async () => {
    const tasksDir = withStandInCore('long-lines', `
      exports.runTask = async (name, host) => {
        for (let i = 0; i < 4; i += 1) host.writeLines('line-' + i + ':' + 'é😀%'.repeat(1_000_000));
        host.writeLines('##vso[task.complete result=Succeeded;]done');
      };
      exports.panicLocation = () => undefined;
      exports.allocationFailed = () => false;`);
    const step = await pipeline(tasksDir).run(STAND_IN_STEP);
    assertSucceeded(step);
    assert.equal(step.completions, 1);
    const long = step.lines.filter((line) => line.startsWith('line-'));
    assert.equal(long.length, 4);
    for (const line of long) assert.equal(line, line.slice(0, 7) + 'é😀%'.repeat(1_000_000));
  });

  it('a core that runs out of memory is named as such, not as an internal error', async () => {
    server.secrets['/large/reply'] = 'x'.repeat(8 * 1024 * 1024);
    // V8's cap on wasm memory (4 MiB here) stands in for a reply too large for any memory.
    const step = await pipeline().run(fetchStep({ large: '/large/reply' }, { nodeFlags: ['--wasm-max-mem-pages=64'] }));
    delete server.secrets['/large/reply'];
    assert.equal(
      assertCleanFailure(step),
      'The Akeyless task ran out of memory: a reply from the server was too large to process. Check what the requested secrets hold.',
    );
  });
});
