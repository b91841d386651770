'use strict';
/**
 * The JavaScript host: it scrubs secret variables from the environment, runs from a task
 * folder copied anywhere, and turns a broken module, a wasm trap or a stray exception into
 * one clean task failure that never quotes the exception's text.
 */

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline, ROOT } = require('./support/agent');
const { assertCleanFailure } = require('./support/assertions');
const { nodeFor } = require('./support/node-runtimes');

const ACCESS_ID = 'p-abcdefghij12a3';
const ACCESS_KEY = 'hostTestKey-4f9a1c77e2b0';
const AUTH_STEP = {
  task: 'akeyless-auth@0',
  name: 'AkeylessAuth',
  inputs: { connectedServiceName: 'mge_prod', 'access-key': '$(AKEYLESS_ACCESS_KEY)' },
};
/** Text a fake core puts in its exceptions; the host must never print it. */
const SECRET_IN_EXCEPTION = 'exception-text-with-secret-8d1f';

let server;
let scratch;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY } }).start();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'host-test-'));
});

after(async () => {
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A copy of the staged auth task folder, alone, under a new directory. */
function copyAuthTask(label) {
  const tasksDir = path.join(scratch, label);
  fs.cpSync(path.join(ROOT, 'tasks', 'akeyless-auth'), path.join(tasksDir, 'akeyless-auth'), { recursive: true });
  return tasksDir;
}

function pipelineFor(tasksDir) {
  return new Pipeline({
    tasksDir,
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
    connections: { mge_prod: { url: server.url, accessId: ACCESS_ID } },
    // Read at each step's end, so tokens issued during the step are included.
    secrets: { * [Symbol.iterator]() { yield SECRET_IN_EXCEPTION; yield* server.sensitiveValues(); } },
  });
}

describe('host: environment', () => {
  it('removes secret variables from process.env but still hands them to the core', () => {
    const hostFile = path.join(ROOT, 'tasks', 'akeyless-auth', 'host.js');
    const script = `
      const read = require(${JSON.stringify(hostFile)}).takeEnvironment();
      const names = ['SECRET_DB', 'INPUT_ACCESSKEY', 'ENDPOINT_AUTH_abc', 'ENDPOINT_AUTH_PARAMETER_abc_APITOKEN',
        'SECUREFILE_TICKET_abc', 'VSTS_SECRET_VARIABLES', 'AGENT_PROXYPASSWORD', 'VSTS_TASKVARIABLE_REVOKE',
        'ENDPOINT_URL_abc', 'ENDPOINT_DATA_abc_ACCESSID', 'KEEP_ME'];
      console.log(JSON.stringify({
        left: names.filter((n) => n in process.env),
        read: names.map((n) => read(n)),
      }));`;
    const env = {
      PATH: process.env.PATH,
      SECRET_DB: 's1', INPUT_ACCESSKEY: 's2', ENDPOINT_AUTH_abc: 's3', ENDPOINT_AUTH_PARAMETER_abc_APITOKEN: 's4',
      SECUREFILE_TICKET_abc: 's5', VSTS_SECRET_VARIABLES: '["DB"]', AGENT_PROXYPASSWORD: 's6', VSTS_TASKVARIABLE_REVOKE: 's7',
      ENDPOINT_URL_abc: 'u', ENDPOINT_DATA_abc_ACCESSID: 'p', KEEP_ME: 'k',
    };
    const { left, read } = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
    assert.deepEqual(left, ['ENDPOINT_URL_abc', 'ENDPOINT_DATA_abc_ACCESSID', 'KEEP_ME']);
    assert.deepEqual(read, ['s1', 's2', 's3', 's4', 's5', '["DB"]', 's6', 's7', 'u', 'p', 'k']);
  });
});

describe('host: child processes', () => {
  it('a child process started by the host after start-up sees none of the secret variables', () => {
    const hostFile = path.join(ROOT, 'tasks', 'akeyless-auth', 'host.js');
    const script = `
      require(${JSON.stringify(hostFile)}).takeEnvironment();
      const { execFileSync } = require('node:child_process');
      process.stdout.write(execFileSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))']));`;
    const env = {
      PATH: process.env.PATH,
      SECRET_SYSTEM_ACCESSTOKEN: 'child-secret-1',
      INPUT_ACCESSKEY: 'child-secret-2',
      ENDPOINT_AUTH_PARAMETER_abc_APITOKEN: 'child-secret-3',
      ENDPOINT_AUTH_abc: '{"parameters":{"apitoken":"child-secret-3"}}',
      SECUREFILE_TICKET_abc: 'child-secret-4',
      AGENT_PROXYPASSWORD: 'child-secret-5',
      VSTS_TASKVARIABLE_TOKEN: 'child-secret-6',
      VSTS_SECRET_VARIABLES: '["System.AccessToken"]',
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      AGENT_TEMPDIRECTORY: '/tmp',
    };
    const childEnv = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
    const sensitive = Object.keys(env).filter((name) => name !== 'PATH' && name !== 'AGENT_TEMPDIRECTORY');
    assert.deepEqual(sensitive.filter((name) => name in childEnv), []);
    assert.equal(childEnv.AGENT_TEMPDIRECTORY, '/tmp');
    for (const value of ['child-secret-1', 'child-secret-2', 'child-secret-3', 'child-secret-4', 'child-secret-5', 'child-secret-6']) {
      assert.ok(!JSON.stringify(childEnv).includes(value), value);
    }
  });
});

describe('host: V8 tier-up budget', () => {
  const hostFile = path.join(ROOT, 'tasks', 'akeyless-get-secrets-value-task', 'host.js');
  const host = require(hostFile);
  /** The default of `--wasm-tiering-budget`, as the V8 of `node` reports it. */
  const defaultBudget = (node) => {
    const options = execFileSync(node, ['--v8-options'], { encoding: 'utf8' });
    return Number(/default: --wasm-tiering-budget=(\d+)/.exec(options)[1]);
  };

  it('switches between the budgets the V8s of Node 20 and Node 24 have by default', () => {
    assert.match(process.versions.v8, /^11\.3\./, 'the tests run on Node 20');
    assert.equal(defaultBudget(process.execPath), host.NODE20_TIERING_BUDGET);
    assert.equal(defaultBudget(nodeFor('Node24')), host.NODE24_TIERING_BUDGET);
  });

  it('loading the core leaves V8\'s flags as they were, so Node keeps using its code cache', () => {
    const script = `
      const v8 = require('node:v8');
      const before = v8.cachedDataVersionTag();
      const core = require(${JSON.stringify(hostFile)}).loadCore();
      console.log(JSON.stringify({ same: v8.cachedDataVersionTag() === before, runs: typeof core.runTask }));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    assert.deepEqual(loaded, { same: true, runs: 'function' });
  });
});

describe('host: self-contained task folder', () => {
  it('a task folder copied alone to another directory still runs', async () => {
    const tasksDir = copyAuthTask('alone');
    assert.deepEqual(
      fs.readdirSync(path.join(tasksDir, 'akeyless-auth')).sort(),
      ['host.js', 'index.js', 'pkg', 'post.js', 'task.json'],
    );
    const step = await pipelineFor(tasksDir).run(AUTH_STEP);
    assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
    assert.ok(step.variables['AkeylessAuth.akeylessToken']);
  });
});

describe('host: failures outside the core', () => {
  it('a missing or corrupt wasm module fails cleanly', async () => {
    const tasksDir = copyAuthTask('corrupt');
    fs.writeFileSync(path.join(tasksDir, 'akeyless-auth', 'pkg', 'akeyless_tasks_bg.wasm'), 'not wasm');
    const step = await pipelineFor(tasksDir).run(AUTH_STEP);
    assert.match(assertCleanFailure(step), /^The Akeyless task could not load its WebAssembly module \(CompileError\)\. Reinstall the extension\.$/);
  });

  /** A task folder whose core is replaced by `source`, to drive the host into its error paths. */
  function withFakeCore(label, source) {
    const tasksDir = copyAuthTask(label);
    fs.writeFileSync(path.join(tasksDir, 'akeyless-auth', 'pkg', 'akeyless_tasks.js'), source);
    return tasksDir;
  }

  it('a wasm trap (a Rust panic) fails cleanly, naming where it happened', async () => {
    const tasksDir = withFakeCore('trap', `
      exports.runTask = async () => { throw new WebAssembly.RuntimeError(${JSON.stringify(SECRET_IN_EXCEPTION)}); };
      exports.panicLocation = () => 'src/tasks/auth.rs:42';`);
    const step = await pipelineFor(tasksDir).run(AUTH_STEP);
    assert.match(assertCleanFailure(step), /^The Akeyless task stopped on an internal error \(RuntimeError at src\/tasks\/auth\.rs:42\)\./);
  });

  it('an exception thrown later, outside any promise, fails cleanly without its text', async () => {
    const tasksDir = withFakeCore('uncaught', `
      exports.runTask = () => { setTimeout(() => { throw new TypeError(${JSON.stringify(SECRET_IN_EXCEPTION)}); }, 1); return new Promise(() => {}); };
      exports.panicLocation = () => undefined;`);
    const step = await pipelineFor(tasksDir).run(AUTH_STEP);
    assert.match(assertCleanFailure(step), /^The Akeyless task stopped on an unexpected TypeError\. No further output was produced\.$/);
  });

  it('an unhandled rejection fails cleanly without its text', async () => {
    const tasksDir = withFakeCore('rejection', `
      exports.runTask = () => { Promise.reject(new Error(${JSON.stringify(SECRET_IN_EXCEPTION)})); return new Promise((r) => setTimeout(r, 50)); };
      exports.panicLocation = () => undefined;`);
    const step = await pipelineFor(tasksDir).run(AUTH_STEP);
    assert.match(assertCleanFailure(step), /^The Akeyless task stopped on an unexpected Error\./);
  });
});
