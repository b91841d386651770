'use strict';
/**
 * The four SPEC pipelines, and a job with its post-job steps, on every Node the tasks declare
 * a handler for: Node 16 (Azure DevOps Server 2022.0/2022.1 agents), Node 20 and Node 24, each
 * a real binary (see support/node-runtimes.js). The same wasm module loads and runs on all.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');
const { assertSucceeded } = require('./support/assertions');
const { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4 } = require('./support/spec-examples');

const ACCESS_ID = 'p-handlersab1a2';
const JWT_ACCESS_ID = 'p-handlers1o1';
const ACCESS_KEY = 'handlers-access-key-2c7e91';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJoYW5kbGVycyJ9.aGFuZGxlcnMtc2lnbmF0dXJl';

let server;

before(async () => {
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
    secrets: {
      '/ai/agent/api-key': 'handlers-api-key-4b1f',
      '/ai/agent/model-id': 'handlers-model-id-77',
      '/ai/agent/config/endpoint': 'https://handlers.example/v1',
    },
    dynamicSecrets: { '/dynamic/postgres/credentials': { id: 'tmp_handlers', secret: { displayName: 'tmp_handlers', secretText: 'handlers-secret-text-9d' }, ttl_in_minutes: '60' } },
    rotatedSecrets: { '/rotated/pgsql/password': { username: 'handlers_user', password: 'handlers-rotated-pw-3a' } },
  }).start();
});

after(() => server.stop());

for (const handler of ['Node16', 'Node20_1', 'Node24']) {
  describe(`handlers: the SPEC examples on ${handler}`, () => {
    it('runs examples 1 to 4, and the post-job steps of a job that revokes its token', async () => {
      const pipeline = new Pipeline({
        secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
        connections: {
          mge_prod: { url: server.url, accessId: ACCESS_ID },
          mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID },
        },
        secrets: server.leakCheckSecrets,
      });
      const [auth] = EXAMPLE_1;
      const steps = [
        ...EXAMPLE_2,
        { ...auth, inputs: { ...auth.inputs, revokeTokenAtJobEnd: 'true' } },
        EXAMPLE_1[1], ...EXAMPLE_3, ...EXAMPLE_4,
      ].map((step) => ({ ...step, handler }));
      const job = await pipeline.runJob(steps);
      for (const step of [...job.steps, ...job.postJobSteps]) assertSucceeded(step);
      assert.equal(pipeline.expand('$(Fetch.api_key)'), 'handlers-api-key-4b1f');
      assert.equal(JSON.parse(pipeline.expand('$(DbRotatedSecret.rotatedSecretValue)')).value.password, 'handlers-rotated-pw-3a');
      assert.ok(job.postJobSteps.some((step) => step.log.some((line) => /revoked the Akeyless token/.test(line))));
    });
  });
}
