'use strict';
/**
 * Task `akeyless-get-rotated-secret-value-task` through the agent emulator against the
 * loopback Akeyless server: SPEC example 4, the three rotator shapes, the request fields on
 * the wire, failures, and `fields`.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { assertCleanFailure, assertSucceeded, registeredSecrets } = require('./support/assertions');
const { EXAMPLE_4, loggedInPipeline } = require('./support/spec-examples');

const ACCESS_ID = 'p-abcdefghij12a3';
const ACCESS_KEY = 'rotatedKey-3e8d1b6f0a44';

const ROTATED_SECRETS = {
  '/rotated/pgsql/password': {
    username: 'pg_app_user', password: 'Rot-pw-6d2e90c1b7', expiration_date: '2026-12-29 22:00:00 UTC',
  },
  '/rotated/custom': { payload: '{"api_key":"custom-api-key-71c0e5","client":"billing-service"}' },
  '/rotated/target': { target_value: { user: 'svc_target_user', secret: 'Tgt-secret-0b9f3a' } },
};

let server;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY }, rotatedSecrets: ROTATED_SECRETS }).start();
});

after(() => server.stop());

const loggedIn = () => loggedInPipeline(server, ACCESS_ID, ACCESS_KEY);

async function rotatedStep(inputs, pipeline) {
  return (pipeline ?? await loggedIn()).run({
    task: 'akeyless-get-rotated-secret-value-task@0',
    name: 'Rot',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', ...inputs },
  });
}

function lastRequest() {
  const requests = server.requestsTo('/get-rotated-secret-value');
  return requests[requests.length - 1];
}

describe('rotated secret: SPEC example 4', () => {
  it('sets rotatedSecretValue so that .value.username and .value.password work', async () => {
    const pipeline = await loggedIn();
    const step = await pipeline.run(EXAMPLE_4[0]);
    assertSucceeded(step);

    const output = step.variables['DbRotatedSecret.rotatedSecretValue'];
    assert.equal(output.secret, true);
    assert.equal(output.output, true);
    const received = JSON.parse(pipeline.expand('$(DbRotatedSecret.rotatedSecretValue)'));
    assert.equal(received.value.username, 'pg_app_user');
    assert.equal(received.value.password, 'Rot-pw-6d2e90c1b7');

    const { body } = lastRequest();
    assert.equal(body.names, '/rotated/pgsql/password');
    assert.equal(body['ignore-cache'], 'false');
    assert.equal('version' in body, false);
    assert.equal('host' in body, false);
    assert.ok(registeredSecrets(step).includes('Rot-pw-6d2e90c1b7'));
    assert.ok(registeredSecrets(step).includes('pg_app_user'));
  });
});

describe('rotated secret: rotator shapes', () => {
  it('a custom rotator payload holding JSON is published and its leaves registered', async () => {
    const pipeline = await loggedIn();
    const step = await rotatedStep({ name: '/rotated/custom', fields: 'api_key=value.payload.api_key' }, pipeline);
    assertSucceeded(step);
    const received = JSON.parse(pipeline.expand('$(Rot.rotatedSecretValue)'));
    assert.equal(JSON.parse(received.value.payload).api_key, 'custom-api-key-71c0e5');
    assert.ok(registeredSecrets(step).includes('custom-api-key-71c0e5'));
    assert.equal(pipeline.expand('$(api_key)'), 'custom-api-key-71c0e5');
  });

  it('a target_value rotator is published and its fields can be exported', async () => {
    const pipeline = await loggedIn();
    const step = await rotatedStep({
      name: '/rotated/target', fields: 'user=value.target_value.user\nsecret_value=value.target_value.secret',
    }, pipeline);
    assertSucceeded(step);
    assert.deepEqual(JSON.parse(pipeline.expand('$(Rot.rotatedSecretValue)')), { value: ROTATED_SECRETS['/rotated/target'] });
    assert.equal(pipeline.expand('$(Rot.user)'), 'svc_target_user');
    assert.deepEqual(step.variables['Rot.secret_value'], { value: 'Tgt-secret-0b9f3a', secret: true, output: true });
    assert.equal(step.variables.secret_value, undefined, 'secret* names are output variables only');
    assert.match(step.warnings[0], /'secret_value' starts with a prefix the agent reserves/);
  });
});

describe('rotated secret: request fields and failures', () => {
  it('sends ignoreCache as a string, version as a number and host as a string', async () => {
    assertSucceeded(await rotatedStep({
      name: '/rotated/pgsql/password', ignoreCache: 'true', version: '4', host: 'db2.internal',
    }));
    const { body } = lastRequest();
    assert.equal(body['ignore-cache'], 'true');
    assert.equal(body.version, 4);
    assert.equal(body.host, 'db2.internal');
  });

  it('an unknown rotated secret fails with the server text', async () => {
    const error = assertCleanFailure(await rotatedStep({ name: '/rotated/nope' }));
    assert.match(error, /get-rotated-secret-value with HTTP 404: item not found: \/rotated\/nope\.$/);
  });

  it('a reply without value fails', async () => {
    server.inject({ operation: '/get-rotated-secret-value', status: 200, body: { other: 'x' } });
    const error = assertCleanFailure(await rotatedStep({ name: '/rotated/pgsql/password' }));
    assert.equal(error, "Akeyless answered for the rotated secret '/rotated/pgsql/password' without a value. No variable was set.");
  });

  it('an empty value, an empty object or a reported error fails and sets nothing', async () => {
    const replies = [
      [{ value: '' }, 'with an empty value'],
      [{ value: {} }, 'with an empty value'],
      [{ value: { username: '', password: '' } }, 'with an empty value'],
      [{ value: { username: 'app', password: 'rot-pw-51c2e9' }, error: 'rotation is failing' }, 'with an error: rotation is failing'],
    ];
    for (const [body, problem] of replies) {
      server.inject({ operation: '/get-rotated-secret-value', status: 200, body });
      const error = assertCleanFailure(await rotatedStep({ name: '/rotated/pgsql/password' }));
      assert.equal(error, `Akeyless answered for the rotated secret '/rotated/pgsql/password' ${problem}. No variable was set.`);
    }
  });

  it('malformed JSON fails without quoting the body', async () => {
    server.inject({ operation: '/get-rotated-secret-value', malformed: true });
    const error = assertCleanFailure(await rotatedStep({ name: '/rotated/pgsql/password' }));
    assert.match(error, /but the reply is not valid JSON\.$/);
  });

  it('a missing field fails listing the keys under value', async () => {
    const error = assertCleanFailure(await rotatedStep({ name: '/rotated/pgsql/password', fields: 'pw=value.pass' }));
    assert.match(error, /under 'value' the keys are username, password, expiration_date\. No variable was set\.$/);
  });
});
