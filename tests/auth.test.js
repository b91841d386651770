'use strict';
/**
 * Task `akeyless-auth`, run through the agent emulator against the loopback Akeyless server:
 * SPEC examples 1 and 2, the connection's stored key, and every way a login can fail.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline, ROOT } = require('./support/agent');
const { assertCleanFailure } = require('./support/assertions');
const { EXAMPLE_1, EXAMPLE_2 } = require('./support/spec-examples');

const API_KEY_ACCESS_ID = 'p-abcdefghij12a3';
const JWT_ACCESS_ID = 'p-abcdefghijo1';
const ACCESS_KEY = 'Zx8vT2+kq0LrP4sW9yBnA7cE1fH3jM5u/Qw==';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwaXBlbGluZSJ9.c2lnbmF0dXJlLXBhcnQ';
const CRATE_VERSION = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8').match(/^version = "(.+)"$/m)[1];

const [EXAMPLE_1_AUTH] = EXAMPLE_1;
const [EXAMPLE_2_AUTH] = EXAMPLE_2;

let server;

before(async () => {
  server = await new AkeylessServer({
    accessKeys: { [API_KEY_ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
  }).start();
});

after(() => server.stop());

function pipelineWith(connections, options = {}) {
  return new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
    connections,
    secrets: server.leakCheckSecrets,
    ...options,
  });
}

function lastAuthRequest() {
  const requests = server.requestsTo('/auth');
  return requests[requests.length - 1];
}

function assertTokenOutput(step) {
  assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
  const token = step.variables['AkeylessAuth.akeylessToken'];
  assert.ok(token, `variables: ${Object.keys(step.variables)}`);
  assert.equal(token.secret, true);
  assert.equal(token.output, true);
  assert.ok(server.tokens.has(token.value), 'the token is one the server issued');
  const setVariable = step.commands.find((c) => c.name === 'task.setvariable');
  assert.equal(setVariable.properties.issecret, 'true');
  assert.equal(setVariable.properties.isoutput, 'true');
  return token.value;
}

for (const handler of ['Node16', 'Node20_1', 'Node24']) {
  describe(`akeyless-auth: SPEC examples on the ${handler} handler`, () => {
    it('example 1 logs in with the access key and sets akeylessToken as a secret output', async () => {
      const pipeline = pipelineWith({ mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } });
      const step = await pipeline.run({ ...EXAMPLE_1_AUTH, handler });

      const token = assertTokenOutput(step);
      const request = lastAuthRequest();
      assert.equal(request.method, 'POST');
      assert.equal(request.base, '');
      assert.deepEqual(request.body, {
        'access-type': 'access_key',
        'access-id': API_KEY_ACCESS_ID,
        'access-key': ACCESS_KEY,
      });
      assert.equal(request.headers.akeylessclienttype, 'Azure-DevOps-Extension');
      assert.equal(request.headers.akeylessclientversion, CRATE_VERSION);
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(pipeline.expand('$(AkeylessAuth.akeylessToken)'), token);
      assert.equal(pipeline.expand('$(akeylessToken)'), '$(akeylessToken)', 'an output is not a job variable');
    });

    it('example 2 logs in with the JWT', async () => {
      const pipeline = pipelineWith({ mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID } });
      const step = await pipeline.run({ ...EXAMPLE_2_AUTH, handler });

      assertTokenOutput(step);
      const request = lastAuthRequest();
      assert.equal(request.base, '/api/v2');
      assert.deepEqual(request.body, { 'access-type': 'jwt', 'access-id': JWT_ACCESS_ID, jwt: ENTRA_JWT });
      assert.equal(request.headers.akeylessclienttype, 'Azure-DevOps-Extension');
      assert.equal(request.headers.akeylessclientversion, CRATE_VERSION);
    });

    it('a refused login fails cleanly', async () => {
      const pipeline = pipelineWith(
        { mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } },
        { secretVariables: { AKEYLESS_ACCESS_KEY: 'not-the-right-key-000' } },
      );
      const error = assertCleanFailure(await pipeline.run({ ...EXAMPLE_1_AUTH, handler }));
      assert.match(error, /HTTP 401/);
    });
  });
}

describe('akeyless-auth: task.json handlers', () => {
  it('Node16, Node20_1 and Node24 run the same entry point', () => {
    const taskJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'tasks/akeyless-auth/task.json'), 'utf8'));
    assert.deepEqual(taskJson.execution.Node24, taskJson.execution.Node20_1);
    assert.deepEqual(taskJson.execution.Node16, taskJson.execution.Node20_1);
  });
});

describe('akeyless-auth: where the credential and URL come from', () => {
  it('uses the Access Key stored in the connection when no input is set', async () => {
    const pipeline = pipelineWith({
      stored: { url: server.url, accessId: API_KEY_ACCESS_ID, accessKey: ACCESS_KEY },
    });
    const step = await pipeline.run({ task: 'akeyless-auth@0', name: 'AkeylessAuth', inputs: { connectedServiceName: 'stored' } });
    assertTokenOutput(step);
    assert.equal(lastAuthRequest().body['access-key'], ACCESS_KEY);
    assert.match(step.log.join('\n'), /stored in the service connection/);
  });

  it('accepts the input under its schema name accessKey too', async () => {
    const pipeline = pipelineWith({ mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } });
    const step = await pipeline.run({
      task: 'akeyless-auth@0', name: 'AkeylessAuth', inputs: { connectedServiceName: 'mge_prod', accessKey: '$(AKEYLESS_ACCESS_KEY)' },
    });
    assertTokenOutput(step);
  });

  it('joins a gateway URL with a trailing slash without doubling it', async () => {
    const pipeline = pipelineWith({ gw: { url: `${server.gatewayUrl}/`, accessId: API_KEY_ACCESS_ID } });
    const step = await pipeline.run({ ...EXAMPLE_1_AUTH, inputs: { ...EXAMPLE_1_AUTH.inputs, connectedServiceName: 'gw' } });
    assertTokenOutput(step);
    assert.equal(lastAuthRequest().base, '/api/v2');
    assert.equal(lastAuthRequest().operation, '/auth');
  });

  it('waits for a slow reply', async () => {
    server.inject({ operation: '/auth', delayMs: 400 });
    const pipeline = pipelineWith({ mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } });
    assertTokenOutput(await pipeline.run(EXAMPLE_1_AUTH));
  });

  it('prints debug lines with the URL, status and timing only when system.debug is set', async () => {
    const connections = { mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } };
    const quiet = await pipelineWith(connections).run(EXAMPLE_1_AUTH);
    assert.ok(!quiet.lines.some((line) => line.startsWith('##[debug]')));

    const verbose = await pipelineWith(connections, { debug: true }).run(EXAMPLE_1_AUTH);
    const debug = verbose.lines.filter((line) => line.startsWith('##[debug]'));
    assert.equal(debug.length, 1);
    assert.match(debug[0], /^##\[debug\]POST http:\/\/127\.0\.0\.1:\d+\/auth attempt 1: HTTP 200 in \d+ ms$/);
  });
});

describe('akeyless-auth: failures', () => {
  const connections = () => ({ mge_prod: { url: server.url, accessId: API_KEY_ACCESS_ID } });

  it('a wrong access key fails with the status and the server text', async () => {
    const pipeline = pipelineWith(connections(), { secretVariables: { AKEYLESS_ACCESS_KEY: 'not-the-right-key-000' } });
    const step = await pipeline.run(EXAMPLE_1_AUTH);
    const error = assertCleanFailure(step);
    assert.match(error, /\/auth with HTTP 401: Authentication failed for access id p-abcdefghij12a3\./);
    assert.match(error, /Check that p-abcdefghij12a3 is the Access ID/);
  });

  it('an unreachable URL fails naming the URL and the reason', async () => {
    const closedPort = await freePort();
    const pipeline = pipelineWith({ mge_prod: { url: `http://127.0.0.1:${closedPort}`, accessId: API_KEY_ACCESS_ID } });
    const error = assertCleanFailure(await pipeline.run(EXAMPLE_1_AUTH));
    assert.match(
      error,
      new RegExp(`^Could not reach Akeyless at http://127\\.0\\.0\\.1:${closedPort}/auth: the connection was refused \\(nothing is listening there\\) \\(ECONNREFUSED\\)\\. Gave up after 4 attempts in \\d+ s\\.$`),
    );
  });

  it('a gateway URL with a trailing slash but the wrong path fails with a hint about the URL', async () => {
    const pipeline = pipelineWith({ gw: { url: `${server.url}/gateway/`, accessId: API_KEY_ACCESS_ID } });
    const step = await pipeline.run({ ...EXAMPLE_1_AUTH, inputs: { ...EXAMPLE_1_AUTH.inputs, connectedServiceName: 'gw' } });
    const error = assertCleanFailure(step);
    assert.match(error, /\/gateway\/auth with HTTP 404: 404 page not found\./);
    assert.match(error, /Check the service connection's URL/);
  });

  it('a URL that is not http(s) fails naming the connection URL', async () => {
    const pipeline = pipelineWith({ mge_prod: { url: 'api.akeyless.io', accessId: API_KEY_ACCESS_ID } });
    const error = assertCleanFailure(await pipeline.run(EXAMPLE_1_AUTH));
    assert.match(error, /Akeyless API Base URL 'api.akeyless.io' cannot be used: it must start with https:\/\//);
  });

  it('a URL with a user name and password fails without printing either', async () => {
    const url = server.url.replace('http://', 'http://ado-admin:Pa55-w0rd-77@');
    const pipeline = pipelineWith({ mge_prod: { url, accessId: API_KEY_ACCESS_ID } }, { secrets: ['Pa55-w0rd-77', 'ado-admin'] });
    const step = await pipeline.run(EXAMPLE_1_AUTH);
    const error = assertCleanFailure(step);
    assert.match(error, /^The service connection's Akeyless API Base URL 'http:\/\/127\.0\.0\.1:\d+' cannot be used: it must not contain a user name or password\./);
  });

  it('server error text holding a logging command is shown but never executed', async () => {
    server.inject({
      operation: '/auth',
      status: 401,
      body: { error: 'denied ##vso[task.setvariable variable=injected;issecret=false]pwned ##[error]fake' },
    });
    const pipeline = pipelineWith(connections());
    const step = await pipeline.run(EXAMPLE_1_AUTH);
    const error = assertCleanFailure(step);
    assert.match(error, /HTTP 401: denied /);
    assert.equal(pipeline.variables.get('injected'), undefined);
    for (const line of step.lines) {
      assert.ok(line.split('##vso[').length <= 2, `one command at most per line: ${line}`);
      assert.ok(!line.includes('##['), line);
    }
  });

  it('a connection the step cannot use fails naming connectedServiceName', async () => {
    const pipeline = pipelineWith(connections());
    const step = await pipeline.run({ ...EXAMPLE_1_AUTH, inputs: { ...EXAMPLE_1_AUTH.inputs, connectedServiceName: 'not_shared' } });
    assert.match(assertCleanFailure(step), /given in the input 'connectedServiceName' is not available to this step/);
  });

  it('no connection at all fails naming connectedServiceName', async () => {
    const pipeline = pipelineWith(connections());
    const step = await pipeline.run({ task: 'akeyless-auth@0', name: 'AkeylessAuth', inputs: { 'access-key': '$(AKEYLESS_ACCESS_KEY)' } });
    assert.equal(assertCleanFailure(step), "The input 'connectedServiceName' is required but was not set.");
  });

  it('neither credential fails naming access-key and jwt, without calling Akeyless', async () => {
    const before = server.requests.length;
    const pipeline = pipelineWith(connections());
    const step = await pipeline.run({ task: 'akeyless-auth@0', name: 'AkeylessAuth', inputs: { connectedServiceName: 'mge_prod' } });
    const error = assertCleanFailure(step);
    assert.match(error, /'access-key'/);
    assert.match(error, /'jwt'/);
    assert.equal(server.requests.length, before);
  });

  it('both credentials at once fail naming both inputs', async () => {
    const pipeline = pipelineWith(connections());
    const step = await pipeline.run({
      ...EXAMPLE_1_AUTH, inputs: { ...EXAMPLE_1_AUTH.inputs, jwt: '$(ENTRA_JWT)' },
    });
    assert.match(assertCleanFailure(step), /Both 'access-key' and 'jwt' are set/);
  });

  it('a connection without an Access ID fails saying so', async () => {
    const pipeline = pipelineWith({ mge_prod: { url: server.url } });
    assert.match(assertCleanFailure(await pipeline.run(EXAMPLE_1_AUTH)), /has no Access ID/);
  });

  it('a malformed reply fails without quoting it', async () => {
    server.inject({ operation: '/auth', malformed: true });
    const step = await pipelineWith(connections()).run(EXAMPLE_1_AUTH);
    const error = assertCleanFailure(step);
    assert.match(error, /answered http:\/\/127\.0\.0\.1:\d+\/auth with HTTP 200, but the reply is not valid JSON\./);
    assert.ok(!step.stdout.includes('t-trunc'));
  });

  it('a token with a line break, a space or a control character fails instead of being set', async () => {
    for (const token of ['t-4f1c2a9e\nd7b3e601', 't-4f1c2a9e\rd7b3e601', 't-4f1c2a9e d7b3e601', 't-4f1c2a9e\u0000d7b3e601']) {
      server.inject({ operation: '/auth', status: 200, body: { token, expiration: '2030-01-01' } });
      const pipeline = pipelineWith(connections(), { secrets: ['t-4f1c2a9e', 'd7b3e601'] });
      const step = await pipeline.run(EXAMPLE_1_AUTH);
      assert.equal(
        assertCleanFailure(step),
        'Akeyless accepted the login, but the token in its reply contains a line break, a space or a control character, so no pipeline variable could carry it. No variable was set.',
        JSON.stringify(token),
      );
    }
  });

  it('a connection that keeps dropping fails saying the connection closed', async () => {
    for (let i = 0; i < 4; i += 1) server.inject({ operation: '/auth', drop: true });
    const error = assertCleanFailure(await pipelineWith(connections()).run(EXAMPLE_1_AUTH));
    assert.match(error, /the connection was closed before a complete response arrived \(ECONNRESET\)\. Gave up after 4 attempts/);
  });

  it('an HTML error page from a proxy is described, not quoted', async () => {
    server.inject({ operation: '/auth', status: 403, body: '<html><body><h1>403 Forbidden</h1></body></html>' });
    const error = assertCleanFailure(await pipelineWith(connections()).run(EXAMPLE_1_AUTH));
    assert.match(error, /HTTP 403: an HTML page, not an API reply\./);
  });
});

/** A loopback port with nothing listening on it. */
async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
