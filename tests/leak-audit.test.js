'use strict';
/**
 * The leak audit: every task through every network scenario (faults, retries, a hostile
 * server echoing credentials back, proxies with and without the right password, trusted and
 * untrusted TLS), with debug output on, and every line of stdout and stderr scanned for every
 * secret, token, key and JWT in play. The only place a secret may appear is the data of the
 * commands that hand it to the agent (`task.setsecret`, `task.setvariable`).
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { ForwardProxy } = require('./support/forward-proxy');
const { Pipeline, findLeaks, splitLines } = require('./support/agent');

const ACCESS_ID = 'p-audit00000a1b2';
const ACCESS_KEY = 'audit-access-key-4e8f2a9c';
const JWT_ACCESS_ID = 'p-audit0000o1';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdWRpdCJ9.YXVkaXQtc2lnbmF0dXJlLTc3';
const PROXY_PASSWORD = 'audit-proxy-pw-0c3d5e';
const TLS_DIR = path.join(__dirname, 'fixtures', 'tls');
const TLS = { key: fs.readFileSync(path.join(TLS_DIR, 'loopback-key.pem')), cert: fs.readFileSync(path.join(TLS_DIR, 'loopback.pem')) };
const DATA = {
  secrets: {
    '/audit/api-key': 'audit-api-key-91b7c3',
    '/audit/pem': '-----BEGIN KEY-----\nYXVkaXQtcGVtLWxpbmUtb25l\n-----END KEY-----\n',
    '/audit/json': '{"user":"audit_json_user","password":"audit-json-pw-2f"}',
  },
  dynamicSecrets: {
    '/audit/dynamic': {
      id: '{"secret_name":"tmp.audit.XyZ","secret_key_id":"audit-key-id-55e1"}',
      secret: { secretText: 'audit-dynamic-text-8a0b' },
      ttl_in_minutes: '60',
    },
  },
  rotatedSecrets: { '/audit/rotated': { username: 'audit_rot_user', password: 'audit-rotated-pw-3d9f' } },
};

/** Each task: its operation and a step using it (get tasks run after an auth step). */
const TASKS = [
  {
    operation: '/auth',
    step: { task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'conn', 'access-key': '$(AKEYLESS_ACCESS_KEY)' } },
  },
  {
    operation: '/auth',
    step: { task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'jwtconn', jwt: '$(ENTRA_JWT)' } },
  },
  {
    operation: '/get-secret-value',
    step: {
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', secretsPaths: 'a=/audit/api-key\npem=/audit/pem\njson=/audit/json' },
    },
  },
  {
    operation: '/get-dynamic-secret-value',
    step: {
      task: 'akeyless-get-dynamic-secret-value-task@0',
      name: 'Dyn',
      inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', name: '/audit/dynamic', fields: 'text=secret.secretText' },
    },
  },
  {
    operation: '/get-rotated-secret-value',
    step: {
      task: 'akeyless-get-rotated-secret-value-task@0',
      name: 'Rot',
      inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', name: '/audit/rotated', fields: 'pw=value.password' },
    },
  },
];

/** A hostile server quoting back whatever credential it was sent. */
const echoCredentials = (body) => ({
  error: `denied: key ${body['access-key']} jwt ${body.jwt} token ${body.token}`,
  message: `you sent ${JSON.stringify(body)}`,
});

/** Each scenario: faults for the task's operation, and how the pipeline reaches the server. */
const SCENARIOS = [
  { name: 'a normal run' },
  { name: '500 then success', faults: [{ status: 500, body: { error: 'internal' } }] },
  { name: '503 with Retry-After then success', faults: [{ status: 503, headers: { 'retry-after': '0' }, body: { error: 'busy' } }] },
  { name: '429 then success', faults: [{ status: 429, body: { error: 'slow down' } }] },
  { name: 'a dropped connection then success', faults: [{ drop: true }] },
  { name: 'truncated JSON', faults: [{ malformed: true }] },
  { name: 'an HTML error page, always', faults: Array(4).fill({ status: 502, body: '<html><h1>502</h1></html>' }) },
  { name: 'a server that always answers 500', faults: Array(4).fill({ status: 500, body: { error: 'down' } }) },
  { name: 'a hostile server echoing the credentials', faults: [{ status: 401, body: echoCredentials }] },
  { name: 'a proxy with credentials', proxy: { credentials: true, password: PROXY_PASSWORD } },
  { name: 'a proxy refusing the password', proxy: { credentials: true, password: 'audit-wrong-proxy-pw-1' } },
  { name: 'HTTPS from an untrusted authority', tls: true },
  { name: 'HTTPS trusted through the agent CA', tls: true, trustCa: true },
];

async function runScenario(scenario, task) {
  const server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [JWT] },
    ...DATA,
    ...(scenario.tls ? { tls: TLS } : {}),
  }).start();
  const proxy = scenario.proxy ? await new ForwardProxy({ username: 'audit', password: PROXY_PASSWORD }).start() : null;
  try {
    const variables = {};
    const secretVariables = { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT: JWT };
    if (proxy) {
      Object.assign(variables, { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': 'audit' });
      secretVariables['Agent.ProxyPassword'] = scenario.proxy.password;
    }
    if (scenario.trustCa) variables['Agent.CAInfo'] = path.join(TLS_DIR, 'ca.pem');
    const pipeline = new Pipeline({
      debug: true,
      variables,
      secretVariables,
      connections: {
        conn: { url: server.url, accessId: ACCESS_ID },
        jwtconn: { url: server.url, accessId: JWT_ACCESS_ID },
      },
    });
    const steps = task.step.task.startsWith('akeyless-auth') ? [task.step] : [TASKS[0].step, task.step];
    const results = [];
    for (const step of steps) {
      if (step === task.step) for (const fault of scenario.faults ?? []) server.inject({ operation: task.operation, ...fault });
      // Runs the step; the emulator's own leak check throws on any leak, and the audit below
      // repeats the scan explicitly over stdout and stderr.
      results.push(await pipeline.run(step));
    }
    const everySecret = [
      ACCESS_KEY, JWT, PROXY_PASSWORD, scenario.proxy?.password, pipeline.systemAccessToken, ...server.sensitiveValues(),
    ].filter(Boolean);
    for (const result of results) {
      const output = [...splitLines(result.stdout), ...splitLines(result.stderr)];
      assert.deepEqual(findLeaks(output, everySecret), [], `${scenario.name}, ${result.name}`);
      assert.equal(result.exitCode, 0);
      assert.ok(['Succeeded', 'Failed'].includes(result.result));
      if (result.result === 'Failed') assert.equal(result.errors.length, 1, JSON.stringify(result.issues));
    }
    return results[results.length - 1];
  } finally {
    await server.stop();
    await proxy?.stop();
  }
}

describe('leak audit', () => {
  for (const task of TASKS) {
    it(`${task.step.task} (${Object.keys(task.step.inputs).join(', ')}) leaks nothing in any scenario`, async () => {
      for (const scenario of SCENARIOS) await runScenario(scenario, task);
    });
  }

  it('the hostile server really quoted the credentials back (so the audit tested something)', async () => {
    const step = await runScenario(SCENARIOS.find((s) => s.name.startsWith('a hostile')), TASKS[0]);
    assert.match(step.errors[0], /denied: key \*\*\* jwt undefined token undefined/);
  });
});
