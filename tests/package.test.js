'use strict';
/**
 * The .vsix: `npm run package`'s packing step on the built wasm, unzipped, holds exactly the
 * six task folders with only what they need, and all four SPEC examples run from the
 * extracted folders alone (with the packed manifest's service connection type).
 */

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline, ROOT } = require('./support/agent');
const { unzip } = require('./support/unzip');
const { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4 } = require('./support/spec-examples');
const { extensionVersion, packageExtension } = require('../js-host/package');

const TASK_NAMES = [
  'akeyless-auth',
  'akeyless-get-dynamic-secret-value-task',
  'akeyless-get-pki-certificate',
  'akeyless-get-rotated-secret-value-task',
  'akeyless-get-secrets-value-task',
  'akeyless-get-ssh-certificate',
];
const TASK_FILES = ['host.js', 'icon.png', 'index.js', 'pkg/', 'pkg/akeyless_tasks.js', 'pkg/akeyless_tasks_bg.wasm', 'post.js', 'task.json'];

const ACCESS_ID = 'p-vsix000000a1b2';
const JWT_ACCESS_ID = 'p-vsix0000o1';
const ACCESS_KEY = 'vsix-access-key-1f9e2d3c';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2c2l4In0.dnNpeC1zaWduYXR1cmU';

let extracted;
let entries;
let vsix;
let server;

before(async () => {
  vsix = packageExtension();
  extracted = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-'));
  entries = unzip(vsix, extracted);
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
    secrets: {
      '/ai/agent/api-key': 'vsix-api-key-5e7d9c',
      '/ai/agent/model-id': 'vsix-model-id-2b4a',
      '/ai/agent/config/endpoint': 'https://vsix.example/v1',
    },
    dynamicSecrets: {
      '/dynamic/postgres/credentials': { secret: { displayName: 'tmp.vsix.name', secretText: 'vsix-secret-text-77' }, ttl_in_minutes: '60' },
    },
    rotatedSecrets: { '/rotated/pgsql/password': { username: 'vsix_user', password: 'vsix-rotated-pw-31' } },
  }).start();
});

after(async () => {
  await server.stop();
  fs.rmSync(extracted, { recursive: true, force: true });
});

function pipeline() {
  return new Pipeline({
    tasksDir: path.join(extracted, 'tasks'),
    manifest: path.join(extracted, 'extension.vsomanifest'),
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
    connections: {
      mge_prod: { url: server.url, accessId: ACCESS_ID },
      mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID },
    },
    secrets: server.leakCheckSecrets,
  });
}

async function runAll(steps) {
  const run = pipeline();
  for (const step of steps) {
    const result = await run.run(step);
    assert.equal(result.result, 'Succeeded', `${step.name}: ${JSON.stringify(result.issues)}`);
  }
  return run;
}

describe('the .vsix', () => {
  it('is named for the publisher, id and Cargo.toml version', () => {
    assert.equal(path.basename(vsix), `akeyless-tasks.akeyless-secrets-${extensionVersion()}.vsix`);
  });

  it('holds exactly the six tasks, each with only what it needs to run', () => {
    const taskFolders = entries.filter((e) => /^tasks\/[^/]+\/$/.test(e)).map((e) => e.split('/')[1]).sort();
    assert.deepEqual(taskFolders, TASK_NAMES);
    for (const name of TASK_NAMES) {
      const files = entries.filter((e) => e.startsWith(`tasks/${name}/`) && e !== `tasks/${name}/`)
        .map((e) => e.slice(`tasks/${name}/`.length)).sort();
      assert.deepEqual(files, TASK_FILES, name);
    }
    const outside = entries.filter((e) => !e.startsWith('tasks/')).sort();
    assert.deepEqual(outside, [
      '[Content_Types].xml', 'extension.vsixmanifest', 'extension.vsomanifest', 'images/', 'images/extension-icon.png', 'overview.md',
    ]);
  });

  it('ships no absolute path of the build machine in any wasm module (judged by binutils strings)', () => {
    const home = os.homedir();
    const buildDirectories = [
      ROOT, home, process.env.CARGO_HOME || path.join(home, '.cargo'), process.env.RUSTUP_HOME || path.join(home, '.rustup'),
    ];
    for (const task of TASK_NAMES) {
      const wasm = path.join(extracted, 'tasks', task, 'pkg', 'akeyless_tasks_bg.wasm');
      const printable = execFileSync('strings', ['-n', '4', wasm], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n');
      // Source paths (panic locations) must be relative. The standard library is prebuilt by
      // the Rust project with its paths remapped to /rustc/<commit>/ and /rust/deps/: the
      // same on every machine, naming none of them.
      const sources = printable.flatMap((text) => text.match(/\S*\/[\w.+-]+\.rs/g) ?? []);
      assert.ok(sources.length > 0, 'the module holds source paths to check');
      const absolute = sources.filter((source) => source.startsWith('/')
        && !/^\/rustc\/[0-9a-f]{40}\/library\//.test(source) && !source.startsWith('/rust/deps/'));
      assert.deepEqual(absolute, [], `${task}: absolute source paths`);
      assert.deepEqual(printable.filter((text) => /\/(root|home|Users)\//.test(text)), [], `${task}: home directories`);
      for (const directory of buildDirectories) {
        assert.ok(printable.every((text) => !text.includes(directory)), `${task} names ${directory}`);
      }
    }
  });

  it('declares no command restrictions: the run summary needs task.uploadsummary, which restricted mode refuses', () => {
    for (const task of TASK_NAMES) {
      const taskJson = JSON.parse(fs.readFileSync(path.join(extracted, 'tasks', task, 'task.json'), 'utf8'));
      assert.equal(taskJson.restrictions, undefined, task);
    }
  });

  it('stamps the Cargo.toml version into every packed task.json', () => {
    const [Major, Minor, Patch] = extensionVersion().split('.').map(Number);
    for (const name of TASK_NAMES) {
      const task = JSON.parse(fs.readFileSync(path.join(extracted, 'tasks', name, 'task.json'), 'utf8'));
      assert.deepEqual(task.version, { Major, Minor, Patch }, name);
    }
    assert.match(fs.readFileSync(path.join(extracted, 'extension.vsixmanifest'), 'utf8'), new RegExp(`Version="${extensionVersion()}"`));
  });

  it('runs SPEC example 1 from the extracted folders', async () => {
    const run = await runAll(EXAMPLE_1);
    assert.equal(run.expand('$(Fetch.api_key)'), 'vsix-api-key-5e7d9c');
  });

  it('runs SPEC example 2 from the extracted folders', async () => {
    const run = await runAll(EXAMPLE_2);
    assert.ok(server.tokens.has(run.expand('$(AkeylessAuth.akeylessToken)')));
  });

  it('runs SPEC example 3 from the extracted folders', async () => {
    const run = await runAll([EXAMPLE_1[0], ...EXAMPLE_3]);
    assert.equal(JSON.parse(run.expand('$(DbDynamicSecret.dynamicSecretValue)')).secret.secretText, 'vsix-secret-text-77');
  });

  it('runs SPEC example 4 from the extracted folders', async () => {
    const run = await runAll([EXAMPLE_1[0], ...EXAMPLE_4]);
    const value = JSON.parse(run.expand('$(DbRotatedSecret.rotatedSecretValue)')).value;
    assert.deepEqual([value.username, value.password], ['vsix_user', 'vsix-rotated-pw-31']);
  });
});
