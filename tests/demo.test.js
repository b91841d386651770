'use strict';
/**
 * `npm start`'s demo: it runs the four SPEC pipelines against the bundled server and exits
 * 0, and with AKEYLESS_URL and credentials it runs them against that endpoint instead (here a
 * second loopback server, standing in for a real Akeyless).
 */

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const path = require('node:path');
const { describe, it } = require('node:test');
const { promisify } = require('node:util');
const { AkeylessServer } = require('./support/akeyless-server');

const DEMO = path.join(__dirname, 'demo.js');

function runDemo(env) {
  return promisify(execFile)(process.execPath, [DEMO], { env: { PATH: process.env.PATH, ...env } });
}

describe('demo', () => {
  it('runs the four SPEC examples and a job with post-job clean-up against the bundled server, masked, and exits 0', async () => {
    const { stdout } = await runDemo({});
    for (const step of ['AkeylessAuth', 'Fetch', 'DbDynamicSecret', 'DbRotatedSecret', 'Post-job: AkeylessAuth', 'SshCertificate', 'ClientCertificate']) {
      assert.match(stdout, new RegExp(`##\\[section\\]Finishing: ${step}: Succeeded`));
    }
    assert.match(stdout, /Cleaned up: deleted 1 file\(s\) and their directory /);
    assert.match(stdout, /Cleaned up: deleted the credentials the step minted from the dynamic secret '\/dynamic\/postgres\/credentials'\./);
    assert.match(stdout, /Cleaned up: revoked the Akeyless token \(Akeyless reports it invalid\)\./);
    assert.match(stdout, /sets \$\(Fetch\.api_key\) \(secret: shown as \*\*\*\)/);
    assert.match(stdout, /Every step succeeded\./);
    assert.ok(!stdout.includes('sk-demo-3b8e1f0a9c2d4e67'), 'the sample secret is never printed');
  });

  it('runs against the endpoint in AKEYLESS_URL when it is set', async () => {
    const elsewhere = await new AkeylessServer({
      accessKeys: { 'p-elsewhere0001a1': 'elsewhere-key-44c1' },
      secrets: {
        '/ai/agent/api-key': 'elsewhere-api-key-91',
        '/ai/agent/model-id': 'elsewhere-model-12',
        '/ai/agent/config/endpoint': 'https://elsewhere.example',
      },
      dynamicSecrets: { '/dynamic/postgres/credentials': { user: 'u', password: 'elsewhere-pw-1' } },
      rotatedSecrets: { '/rotated/pgsql/password': { username: 'u', password: 'elsewhere-pw-2' } },
    }).start();
    try {
      const { stdout } = await runDemo({
        AKEYLESS_URL: elsewhere.gatewayUrl,
        AKEYLESS_ACCESS_ID: 'p-elsewhere0001a1',
        AKEYLESS_ACCESS_KEY: 'elsewhere-key-44c1',
      });
      assert.match(stdout, new RegExp(`Running against ${elsewhere.gatewayUrl.replace(/[.]/g, '\\.')}\\.`));
      assert.match(stdout, /SPEC example 2: JWT === skipped/);
      assert.match(stdout, /Short-lived certificates: SSH and X\.509, keys made on the agent === skipped/);
      // Example 1, and the job that leaves nothing behind.
      assert.equal(elsewhere.requestsTo('/get-secret-value').length, 2);
      assert.equal(elsewhere.requestsTo('/auth').length, 4);
      assert.equal(elsewhere.requestsTo('/revoke-creds').length, 1);
      assert.match(stdout, /Every step succeeded\./);
    } finally {
      await elsewhere.stop();
    }
  });
});
