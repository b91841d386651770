'use strict';
/**
 * SPEC section 4 against what a log really shows: each part of a value split by a lone `\r`,
 * the forms a shell prints (trimmed, without quotes), a server that echoes a secret in a long
 * error body, control characters and ANSI sequences in server text, and a reply with
 * thousands of leaves. Later script steps are emulated by `Pipeline.logOf`, which reads and
 * masks their output as the agent does.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded, registeredSecrets } = require('./support/assertions');
const { loggedInPipeline } = require('./support/spec-examples');

const ACCESS_ID = 'p-maskingab12a3';
const ACCESS_KEY = 'Zq7x-masking-access-key-9c31d07a5e8f4b26';

const SECRETS = {
  '/lone/cr': 'first-line-4b1e\rsecond-line-9d2c',
  '/quoted': '"Qu0ted-Value-7e"',
  '/padded': '  padded-value-3f\t',
  '/both': "' quoted and padded-51 '",
};

let server;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY }, secrets: SECRETS }).start();
});

after(() => server.stop());

const loggedIn = () => loggedInPipeline(server, ACCESS_ID, ACCESS_KEY);

async function fetch(pipeline, secretsPaths) {
  const step = await pipeline.run({
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', secretsPaths },
  });
  assertSucceeded(step);
  return step;
}

describe('masking: what the agent log reader and a shell show', () => {
  it('each part of a value split by a lone CR is registered, so a script printing it shows only ***', async () => {
    const pipeline = await loggedIn();
    const step = await fetch(pipeline, 'cr=/lone/cr');
    const registered = registeredSecrets(step);
    assert.ok(registered.includes('first-line-4b1e'), JSON.stringify(registered));
    assert.ok(registered.includes('second-line-9d2c'));
    const decoded = Buffer.from(pipeline.expand('$(Fetch.cr)'), 'base64').toString('utf8');
    assert.equal(decoded, SECRETS['/lone/cr']);
    assert.deepEqual(pipeline.logOf(`value: ${decoded}`), ['value: ***', '***']);
  });

  it('the trimmed and quote-stripped forms that `echo $(Fetch.x)` prints are masked', async () => {
    const pipeline = await loggedIn();
    await fetch(pipeline, 'quoted=/quoted,padded=/padded,both=/both');
    // What bash prints for echo $(Fetch.quoted), $(Fetch.padded) and $(Fetch.both).
    assert.deepEqual(pipeline.logOf('Qu0ted-Value-7e'), ['***']);
    assert.deepEqual(pipeline.logOf('padded-value-3f'), ['***']);
    assert.deepEqual(pipeline.logOf('quoted and padded-51'), ['***']);
  });
});

describe('masking: server text', () => {
  it('a secret echoed at the cut of a long error body is replaced before the cut: no part of it shows', async () => {
    // The key starts at character 190 of the body; a cut at 200 would show its first ten.
    const body = `${'x'.repeat(190)}${ACCESS_KEY} was refused for this client`;
    server.inject({ operation: '/auth', status: 401, body, headers: { 'content-type': 'text/plain' } });
    const pipeline = new Pipeline({
      secretVariables: { KEY: ACCESS_KEY },
      connections: { mge_prod: { url: server.url, accessId: ACCESS_ID } },
      secrets: server.leakCheckSecrets,
    });
    const step = await pipeline.run({
      task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'mge_prod', 'access-key': '$(KEY)' },
    });
    const error = assertCleanFailure(step);
    assert.match(error, /HTTP 401: x{190}\*\*\* was re\.\.\./);
    const printed = step.lines.filter((line) => !line.startsWith('##vso[task.setsecret]'));
    for (let length = 4; length <= ACCESS_KEY.length; length += 1) {
      const prefix = ACCESS_KEY.slice(0, length);
      assert.ok(printed.every((line) => !line.includes(prefix)), `a ${length}-character prefix of the key shows`);
    }
  });

  it('control characters and ANSI escape sequences in server text are shown escaped', async () => {
    server.inject({
      operation: '/get-secret-value',
      status: 403,
      body: { error: '\u001b[2K\u001b[32mAccess granted\u001b[0m\u0008\u0007 \u202eevil\rrewritten' },
    });
    const pipeline = await loggedIn();
    const step = await pipeline.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', secretsPaths: 'a=/quoted' },
    });
    const error = assertCleanFailure(step);
    assert.match(error, /HTTP 403: \\x1B\[2K\\x1B\[32mAccess granted\\x1B\[0m\\x08\\x07 \\u\{202E\}evil\nrewritten/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(step.stdout, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
  });
});

describe('masking: large replies', () => {
  it('a rotated secret with 5,000 leaves has every leaf registered', async () => {
    const leaves = Array.from({ length: 5000 }, (_, n) => `lf${String(n).padStart(5, '0')}`);
    server.rotatedSecrets['/rotated/many'] = { keys: leaves };
    const pipeline = await loggedIn();
    const step = await pipeline.run({
      task: 'akeyless-get-rotated-secret-value-task@0',
      name: 'Rot',
      inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', name: '/rotated/many' },
    });
    assertSucceeded(step);
    const registered = new Set(registeredSecrets(step));
    assert.ok(leaves.every((leaf) => registered.has(leaf)));
  });
});
