'use strict';
/**
 * SPEC section 8, nothing outlives the job: whole jobs through the agent emulator, post-job
 * steps included, against the loopback server. Token revocation on and off (and a server that
 * ignores it, fails it, or is gone), a self-login get task revoking its own token, dynamic
 * credentials deleted in both reply forms and with `host`, the order of the clean-ups, and
 * `file:` entries checked byte for byte, with their modes, and gone after the job. The leak
 * check covers every step and every post-job step.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');
const { assertSucceeded } = require('./support/assertions');

const ACCESS_ID = 'p-jobendabc1a2';
const ACCESS_KEY = 'job-end-access-key-6b2f0d9e';
const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACD4jobend\n-----END OPENSSH PRIVATE KEY-----\n';
const KUBECONFIG = 'apiVersion: v1\nclusters:\n- name: prod-ünïcode-集群\n  cluster:\n    server: https://k8s.example\n';
const DB_CREDENTIALS = { id: 'tmp_jobend_user_1', user: 'tmp_jobend_user_1', password: 'job-end-db-pw-83c1e0' };

let server;

before(async () => {
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    secrets: { '/ssh/deploy-key': PEM, '/k8s/kubeconfig': KUBECONFIG, '/app/api-key': 'job-end-api-key-5a1c' },
    dynamicSecrets: {
      '/dynamic/db': DB_CREDENTIALS,
      '/dynamic/db-wrapped': { value: JSON.stringify({ ...DB_CREDENTIALS, id: 'tmp_jobend_user_2' }), error: '' },
      '/dynamic/no-id': { user: 'tmp_without_id', password: 'job-end-no-id-pw-11' },
    },
  }).start();
});

after(() => server.stop());

function pipeline(options = {}) {
  return new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
    connections: { conn: { url: server.url, accessId: ACCESS_ID, accessKey: ACCESS_KEY } },
    secrets: server.leakCheckSecrets,
    ...options,
  });
}

const auth = (inputs = {}) => ({
  task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'conn', 'access-key': '$(AKEYLESS_ACCESS_KEY)', ...inputs },
});
const dynamic = (inputs = {}) => ({
  task: 'akeyless-get-dynamic-secret-value-task@0',
  name: 'Dyn',
  inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', name: '/dynamic/db', ...inputs },
});
const fetch = (inputs = {}) => ({
  task: 'akeyless-get-secrets-value-task@0',
  name: 'Fetch',
  inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', secretsPaths: 'api_key=/app/api-key', ...inputs },
});

/** The job succeeded: every step and every post-job step. */
function assertJobSucceeded({ steps, postJobSteps }) {
  for (const step of [...steps, ...postJobSteps]) assertSucceeded(step);
}

/** The text the step ended with (its `task.complete`). */
function summaryOf(step) {
  return step.commands.find((c) => c.name === 'task.complete').data;
}

describe('job end: the emulator runs post-job steps as the agent does', () => {
  it('after all steps, in reverse order, also after a failed step, each with its own task variables', async () => {
    const job = await pipeline().runJob([
      auth({ revokeTokenAtJobEnd: 'true' }),
      fetch({ secretsPaths: 'missing=/no/such/path' }),
      dynamic(),
    ]);
    assert.deepEqual(job.steps.map((s) => s.result), ['Succeeded', 'Failed']);
    assert.deepEqual(job.postJobSteps.map((s) => s.name), ['Post-job: Dyn', 'Post-job: Fetch', 'Post-job: Auth']);
    for (const step of job.postJobSteps) assertSucceeded(step);
    assert.match(job.postJobSteps[0].stdout, /Nothing to clean up/);
    assert.match(job.postJobSteps[2].stdout, /revoked the Akeyless token/);
    assert.ok(job.steps[0].taskVariables.AKEYLESS_CLEANUP.secret);
  });
});

describe('job end: tokens', () => {
  it('revokeTokenAtJobEnd revokes the token in the post-job step, confirmed by validate-token', async () => {
    const job = await pipeline().runJob([auth({ revokeTokenAtJobEnd: 'true' }), fetch()]);
    assertJobSucceeded(job);
    const token = job.steps[0].variables['Auth.akeylessToken'].value;
    assert.ok(server.revokedTokens.has(token));
    assert.ok(!server.tokens.has(token));
    assert.equal(summaryOf(job.postJobSteps[1]), 'Cleaned up: revoked the Akeyless token (Akeyless reports it invalid).');
    const revoke = server.requestsTo('/revoke-creds').at(-1);
    assert.deepEqual(revoke.body, { token });
  });

  it('by default the token outlives the job, for later jobs', async () => {
    const job = await pipeline().runJob([auth(), fetch()]);
    assertJobSucceeded(job);
    const token = job.steps[0].variables['Auth.akeylessToken'].value;
    assert.ok(server.tokens.has(token));
    assert.match(summaryOf(job.postJobSteps[1]), /^Nothing to clean up/);
    assert.deepEqual(job.postJobSteps[1].log, [summaryOf(job.postJobSteps[1])], 'one line');
  });

  it('a server that accepts the revocation but keeps the token valid gets a warning, not "revoked"', async () => {
    server.revocationIgnored = true;
    try {
      const job = await pipeline().runJob([auth({ revokeTokenAtJobEnd: 'true' })]);
      assertJobSucceeded(job);
      const [postJob] = job.postJobSteps;
      assert.equal(postJob.warnings.length, 1);
      assert.match(postJob.warnings[0], /still reports it valid, so it stays valid until it expires \(2030-01-01 00:00:00 \+0000 UTC\)\.$/);
      assert.ok(!postJob.stdout.includes('revoked the'));
    } finally {
      server.revocationIgnored = false;
    }
  });

  it('a revocation refused with 500 is a warning and the job does not fail', async () => {
    const pipe = pipeline();
    await pipe.run(auth({ revokeTokenAtJobEnd: 'true' }));
    for (let i = 0; i < 4; i += 1) server.inject({ operation: '/revoke-creds', status: 500, body: { error: 'internal error' } });
    const [postJob] = await pipe.runPostJobSteps();
    assertSucceeded(postJob);
    assert.equal(postJob.warnings.length, 1);
    assert.match(postJob.warnings[0], /^The Akeyless token could not be revoked: .*HTTP 500: internal error\. Gave up after 4 attempts in \d+ s\. It stays valid until it expires/);
  });

  it('an unreachable server at job end is a warning and the job does not fail', async () => {
    const gone = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY } }).start();
    const pipe = new Pipeline({
      secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
      connections: { conn: { url: gone.url, accessId: ACCESS_ID } },
      secrets: gone.leakCheckSecrets,
    });
    assertSucceeded(await pipe.run(auth({ revokeTokenAtJobEnd: 'true' })));
    await gone.stop();
    const [postJob] = await pipe.runPostJobSteps();
    assertSucceeded(postJob);
    assert.match(postJob.warnings[0], /could not be revoked: Could not reach Akeyless at .*\/revoke-creds: the connection was refused/);
  });

  it('a get task that logged in by itself revokes its own token after its other clean-up', async () => {
    const pipe = pipeline();
    const job = await pipe.runJob([dynamic({ token: '', revokeAtJobEnd: 'true' })]);
    assertJobSucceeded(job);
    const token = server.requestsTo('/get-dynamic-secret-value').at(-1).body.token;
    assert.ok(server.revokedTokens.has(token));
    const order = server.requests.filter((r) => r.body?.token === token).map((r) => r.operation);
    assert.deepEqual(order.slice(-3), ['/dynamic-secret-tmp-creds-delete', '/revoke-creds', '/validate-token']);
  });
});

describe('job end: dynamic secret credentials', () => {
  it('revokeAtJobEnd deletes exactly the credentials minted, in both reply forms and with host', async () => {
    for (const [name, id] of [['/dynamic/db', 'tmp_jobend_user_1'], ['/dynamic/db-wrapped', 'tmp_jobend_user_2']]) {
      const before = server.deletedCredentials.length;
      const job = await pipeline().runJob([auth(), dynamic({ name, revokeAtJobEnd: 'true', host: 'db1.internal' })]);
      assertJobSucceeded(job);
      assert.deepEqual(server.deletedCredentials.slice(before), [{ name, id, host: 'db1.internal', revokeAll: undefined }]);
      assert.equal(summaryOf(job.postJobSteps[0]), `Cleaned up: deleted the credentials the step minted from the dynamic secret '${name}'.`);
    }
  });

  it("the auth step's revocation comes after the dynamic step's clean-up", async () => {
    const job = await pipeline().runJob([auth({ revokeTokenAtJobEnd: 'true' }), dynamic({ revokeAtJobEnd: 'true' })]);
    assertJobSucceeded(job);
    const operations = server.requests.slice(-3).map((r) => r.operation);
    assert.deepEqual(operations, ['/dynamic-secret-tmp-creds-delete', '/revoke-creds', '/validate-token']);
  });

  it('a reply without an id warns at mint time that the credentials live until their TTL', async () => {
    const job = await pipeline().runJob([auth(), dynamic({ name: '/dynamic/no-id', revokeAtJobEnd: 'true' })]);
    assertJobSucceeded(job);
    assert.match(job.steps[1].warnings[0], /has no 'id', so these credentials cannot be deleted when the job ends \(revokeAtJobEnd\); they live until their TTL ends\./);
    assert.match(summaryOf(job.postJobSteps[0]), /^Nothing to clean up/);
  });

  it('by default the credentials outlive the job', async () => {
    const before = server.deletedCredentials.length;
    assertJobSucceeded(await pipeline().runJob([auth(), dynamic()]));
    assert.equal(server.deletedCredentials.length, before);
  });
});

describe('job end: secrets as files', () => {
  it('file: entries are written byte for byte, private, set as plain paths, and gone after the job', async () => {
    const pipe = pipeline();
    await pipe.run(auth());
    const step = await pipe.run(fetch({ secretsPaths: 'file:deploy_key=/ssh/deploy-key\nfile:kubeconfig=/k8s/kubeconfig\napi_key=/app/api-key' }));
    assertSucceeded(step);
    const keyPath = pipe.expand('$(Fetch.deploy_key)');
    const configPath = pipe.expand('$(kubeconfig)');
    assert.deepEqual(step.variables.deploy_key, { value: keyPath, secret: false, output: false });
    assert.deepEqual(step.variables['Fetch.deploy_key'], { value: keyPath, secret: false, output: true });
    const directory = path.dirname(keyPath);
    assert.equal(path.dirname(directory), pipe.tempDirectory);
    assert.match(path.basename(directory), /^akeyless-[0-9a-f]{32}$/);
    assert.equal(path.dirname(configPath), directory);
    assert.ok(fs.readFileSync(keyPath).equals(Buffer.from(PEM, 'utf8')), 'the PEM, byte for byte, trailing newline included');
    assert.ok(fs.readFileSync(configPath).equals(Buffer.from(KUBECONFIG, 'utf8')), 'non-ASCII text, byte for byte');
    assert.equal(fs.statSync(directory).mode & 0o777, 0o700);
    assert.equal(fs.statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(fs.statSync(configPath).mode & 0o777, 0o600);
    assert.ok(step.commands.some((c) => c.name === 'task.setsecret' && c.data === 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'), 'each line still registered');
    const [fetchPostJob] = await pipe.runPostJobSteps();
    assertSucceeded(fetchPostJob);
    assert.equal(summaryOf(fetchPostJob), `Cleaned up: deleted 2 file(s) and their directory ${directory}.`);
    assert.ok(!fs.existsSync(directory));
  });

  it('a file: field of a dynamic secret is written too', async () => {
    const pipe = pipeline();
    await pipe.run(auth());
    const step = await pipe.run(dynamic({ fields: 'file:db_password=password' }));
    assertSucceeded(step);
    assert.equal(fs.readFileSync(pipe.expand('$(Dyn.db_password)'), 'utf8'), DB_CREDENTIALS.password);
    await pipe.runPostJobSteps();
    assert.ok(!fs.existsSync(pipe.expand('$(Dyn.db_password)')));
  });
});
