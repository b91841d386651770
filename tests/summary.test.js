'use strict';
/**
 * SPEC section 12, the run summary: whole jobs through the agent emulator against the loopback
 * server. The emulator reads each `task.uploadsummary` file when it processes the command, as
 * the agent does, and its leak check covers every summary line. The tests read the tables
 * back: what each step fetched, issued, wrote and revoked; never a value; `summary: false`
 * attaching nothing; a failure after the login ending the table, and a step that failed on
 * its inputs attaching none.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { CertificateAuthorities } = require('./support/certificate-authority');
const { Pipeline } = require('./support/agent');
const { assertSucceeded } = require('./support/assertions');

const ACCESS_ID = 'p-summaryab1a2';
const ACCESS_KEY = 'summary-access-key-0c7d3f';
const SECRETS = {
  '/prod/db/user': 'summary-db-user-51af',
  '/prod/db/password': 'summary-db-password-93be',
  '/prod/api-key': 'summary-api-key-7e02',
  '/prod/tls/key': 'summary-private-key-line-1\nsummary-private-key-line-2\n',
};
const DB_CREDENTIALS = { id: 'tmp_summary_user', user: 'tmp_summary_user', password: 'summary-dyn-pw-2d4f' };

let server;
let authorities;

before(async () => {
  authorities = new CertificateAuthorities();
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    secrets: SECRETS,
    dynamicSecrets: { '/dynamic/db': DB_CREDENTIALS },
    certificates: { authorities, sshIssuers: ['/ssh/issuer'], pkiIssuers: [] },
  }).start();
});

after(async () => {
  await server.stop();
  authorities.remove();
});

function pipeline() {
  return new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
    connections: {
      conn: { url: server.url, accessId: ACCESS_ID },
      stored: { url: server.url, accessId: ACCESS_ID, accessKey: ACCESS_KEY },
    },
    secrets: server.leakCheckSecrets,
  });
}

const auth = (inputs = {}) => ({
  task: 'akeyless-auth@0',
  name: 'Auth',
  displayName: 'Log in to Akeyless',
  inputs: { connectedServiceName: 'conn', 'access-key': '$(AKEYLESS_ACCESS_KEY)', revokeTokenAtJobEnd: 'true', ...inputs },
});
const fetch = (inputs = {}) => ({
  task: 'akeyless-get-secrets-value-task@0',
  name: 'Fetch',
  displayName: 'Fetch: prod secrets',
  inputs: {
    connectedServiceName: 'conn',
    token: '$(Auth.akeylessToken)',
    secretsPaths: 'db_*=/prod/db/*\napi_key=/prod/api-key\nsecret_key=/prod/api-key\nfile:TLS_KEY=/prod/tls/key',
    ...inputs,
  },
});
const dynamic = (inputs = {}) => ({
  task: 'akeyless-get-dynamic-secret-value-task@0',
  name: 'Dyn',
  inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', name: '/dynamic/db', revokeAtJobEnd: 'true', ...inputs },
});

/** The rows of a summary table as [what, details], Markdown escapes undone. */
function rowsOf(markdown) {
  const lines = markdown.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['| What | Details |', '|---|---|']);
  return lines.slice(2).map((line) => {
    const cells = line.slice(2, -2).split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\(.)/g, '$1'));
    assert.equal(cells.length, 2, `one row, two cells: ${line}`);
    return cells;
  });
}

/** The one summary a step attached, as { name, rows }. */
function summaryOf(step) {
  assert.equal(step.summaries.length, 1, `${step.name} attaches one summary`);
  const [{ name, markdown }] = step.summaries;
  return { name, rows: rowsOf(markdown), markdown };
}

const detailsOf = (rows, what) => rows.filter(([w]) => w === what).map(([, details]) => details);

describe('run summary', () => {
  it('each step and post-job step shows what it fetched, wrote and took back, and no value', async () => {
    const job = await pipeline().runJob([auth(), fetch(), dynamic()]);
    for (const step of [...job.steps, ...job.postJobSteps]) assertSucceeded(step);
    const [authStep, fetchStep, dynStep] = job.steps;

    const login = summaryOf(authStep);
    assert.equal(login.name, 'Log in to Akeyless.md');
    assert.deepEqual(login.rows, [
      ['Authenticated', `as ${ACCESS_ID} (access_key) with the access key from the 'access-key' input`],
      ['Token expires', '2030-01-01 00:00:00 +0000 UTC'],
      ['Token', 'revoked when the job ends'],
    ]);

    const fetched = summaryOf(fetchStep);
    assert.equal(fetched.name, 'Fetch_ prod secrets.md', 'the step name, made a safe file name');
    assert.deepEqual(detailsOf(fetched.rows, 'Folder /prod/db/*'), ['2 static secret(s)']);
    assert.deepEqual(detailsOf(fetched.rows, '$(db_user)'), ['/prod/db/user']);
    assert.deepEqual(detailsOf(fetched.rows, '$(db_password)'), ['/prod/db/password']);
    assert.deepEqual(detailsOf(fetched.rows, '$(api_key)'), ['/prod/api-key']);
    assert.deepEqual(detailsOf(fetched.rows, '$(<step name>.secret_key)'), ['/prod/api-key'], 'a reserved name is only an output');
    const [filePath] = detailsOf(fetched.rows, 'File written');
    assert.equal(fetchStep.variables['Fetch.TLS_KEY'].value, filePath);
    assert.deepEqual(detailsOf(fetched.rows, '$(TLS_KEY)'), [`/prod/tls/key, written to the file ${filePath}`]);

    const minted = summaryOf(dynStep);
    assert.equal(minted.name, 'Akeyless get dynamic secret.md', "without a displayName, the task's friendly name");
    assert.deepEqual(detailsOf(minted.rows, 'Dynamic secret'), ['/dynamic/db: the credentials are deleted when the job ends']);
    assert.deepEqual(detailsOf(minted.rows, '$(<step name>.dynamicSecretValue)'), ['the whole reply, as JSON']);

    // Post-job steps run in reverse order: Dyn, Fetch, Auth.
    const [dynEnd, fetchEnd, authEnd] = job.postJobSteps.map(summaryOf);
    assert.deepEqual(dynEnd.rows, [['At job end', "deleted the credentials the step minted from the dynamic secret '/dynamic/db'"]]);
    assert.equal(fetchEnd.name, 'Fetch_ prod secrets (job end).md');
    assert.match(fetchEnd.rows[0][1], /^deleted 1 file\(s\) and their directory /);
    assert.deepEqual(authEnd.rows, [['At job end', 'revoked the Akeyless token (Akeyless reports it invalid)']]);

    const everything = [...job.steps, ...job.postJobSteps].flatMap((step) => step.summaries.map((s) => s.markdown)).join('\n');
    for (const secret of [ACCESS_KEY, ...Object.values(SECRETS).flatMap((v) => v.split('\n')).filter(Boolean), DB_CREDENTIALS.password]) {
      assert.ok(!everything.includes(secret), 'no value appears in any summary');
    }
  });

  it('summary: false attaches nothing, in the step or its post-job step', async () => {
    const job = await pipeline().runJob([auth({ summary: 'false' }), fetch({ summary: 'False' })]);
    for (const step of [...job.steps, ...job.postJobSteps]) {
      assertSucceeded(step);
      assert.deepEqual(step.summaries, [], step.name);
      assert.ok(!step.commands.some((c) => c.name === 'task.uploadsummary'), step.name);
    }
  });

  it('a failure after the login ends the table; a failure on the inputs attaches none', async () => {
    const pipe = pipeline();
    const missing = await pipe.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'SelfLogin',
      inputs: { connectedServiceName: 'stored', secretsPaths: 'x=/no/such/secret' },
    });
    assert.equal(missing.result, 'Failed');
    const { rows } = summaryOf(missing);
    assert.equal(rows[0][0], 'Authenticated');
    const [failedWhat, failedDetails] = rows.at(-1);
    assert.equal(failedWhat, 'Failed');
    assert.equal(failedDetails, missing.errors[0]);

    const badInput = await pipe.run(fetch({ secretsPaths: '=oops' }));
    assert.equal(badInput.result, 'Failed');
    assert.deepEqual(badInput.summaries, []);
  });

  it('an SSH certificate shows its principals, issuer and expiry', async () => {
    const before = Date.now();
    const job = await pipeline().runJob([auth(), {
      task: 'akeyless-get-ssh-certificate@0',
      name: 'Ssh',
      inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', certIssuerName: '/ssh/issuer', certUsername: 'deploy, ubuntu', ttl: '600' },
    }]);
    const ssh = job.steps[1];
    assertSucceeded(ssh);
    const { rows } = summaryOf(ssh);
    const [details] = detailsOf(rows, 'SSH certificate');
    const match = details.match(/^for deploy,ubuntu from \/ssh\/issuer, expires about (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$/);
    assert.ok(match, details);
    const expires = Date.parse(`${match[1].replace(' ', 'T')}Z`);
    assert.ok(expires >= Math.floor(before / 1000) * 1000 + 600_000 && expires <= Date.now() + 600_000, 'now + ttl');
    const written = detailsOf(rows, 'File written');
    assert.deepEqual(written, [ssh.variables['Ssh.privateKeyPath'].value, ssh.variables['Ssh.publicKeyPath'].value, ssh.variables['Ssh.certificatePath'].value]);
  });
});
