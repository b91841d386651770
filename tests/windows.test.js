'use strict';
/**
 * Windows agents: the tasks run by the Windows build of the agent's Node 20 under Wine (see
 * support/windows.js), through the agent emulator, with the agent's directories handed over
 * as Windows paths. The SPEC examples and a job whose post-job steps revoke its token; a
 * failure; `file:` entries (a PEM with CRLF line breaks and a Windows device name among
 * them) with their deletion at job end; a get task that logs in by itself and revokes its
 * token; and the SSH certificate task, whose files `ssh-keygen` judges. The emulator's leak
 * check covers every run. When Wine or the Windows build of Node cannot be had, the suite
 * fails and says which.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { CertificateAuthorities, run } = require('./support/certificate-authority');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');
const { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4 } = require('./support/spec-examples');
const windows = require('./support/windows');

const ACCESS_ID = 'p-windowsab1a2';
const JWT_ACCESS_ID = 'p-windows1o1';
const ACCESS_KEY = 'windows-access-key-5d2e80';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3aW5kb3dzIn0.d2luZG93cy1zaWduYXR1cmU';
const CRLF_PEM = '-----BEGIN PRIVATE KEY-----\r\nMC4CAQAwBQYDK2VwBCIEIHdpbmRvd3MtY3JsZi1wZW0\r\n-----END PRIVATE KEY-----\r\n';
const KUBECONFIG = 'apiVersion: v1\nclusters:\n- name: prod-ünïcode-集群\n';

let server;
let authorities;

before(async () => {
  // Set up first, so that a machine without Wine or the Windows Node fails here, saying which.
  windows.windowsNode();
  authorities = new CertificateAuthorities();
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
    secrets: {
      '/ai/agent/api-key': 'windows-api-key-8c3f',
      '/ai/agent/model-id': 'windows-model-id-19',
      '/ai/agent/config/endpoint': 'https://windows.example/v1',
      '/tls/client-key': CRLF_PEM,
      '/k8s/kubeconfig': KUBECONFIG,
    },
    dynamicSecrets: { '/dynamic/postgres/credentials': { id: 'tmp_windows', secret: { displayName: 'tmp_windows', secretText: 'windows-secret-text-4a' }, ttl_in_minutes: '60' } },
    rotatedSecrets: { '/rotated/pgsql/password': { username: 'windows_user', password: 'windows-rotated-pw-7e' } },
    certificates: { authorities, sshIssuers: ['/ssh/issuer'], pkiIssuers: [] },
  }).start();
});

after(async () => {
  await server?.stop();
  authorities?.remove();
});

/** A pipeline whose steps run as on a Windows agent. */
function windowsPipeline() {
  return new Pipeline({
    windows: true,
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
    connections: {
      mge_prod: { url: server.url, accessId: ACCESS_ID, accessKey: ACCESS_KEY },
      mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID },
    },
    secrets: server.leakCheckSecrets,
  });
}

/** The pipeline's temp directory as the Windows tasks were given it. */
function windowsTemp(pipe) {
  return windows.windowsPath(pipe.tempDirectory);
}

describe('Windows: the SPEC examples', () => {
  it('examples 1 to 4 and the post-job steps of a job that revokes its token, each step with its run summary', async () => {
    const pipe = windowsPipeline();
    const [auth] = EXAMPLE_1;
    const job = await pipe.runJob([
      ...EXAMPLE_2,
      { ...auth, inputs: { ...auth.inputs, revokeTokenAtJobEnd: 'true' } },
      EXAMPLE_1[1], ...EXAMPLE_3, ...EXAMPLE_4,
    ]);
    for (const step of [...job.steps, ...job.postJobSteps]) assertSucceeded(step);
    assert.equal(pipe.expand('$(Fetch.api_key)'), 'windows-api-key-8c3f');
    assert.equal(JSON.parse(pipe.expand('$(DbDynamicSecret.dynamicSecretValue)')).secret.secretText, 'windows-secret-text-4a');
    assert.equal(JSON.parse(pipe.expand('$(DbRotatedSecret.rotatedSecretValue)')).value.password, 'windows-rotated-pw-7e');
    assert.ok(job.postJobSteps.some((step) => step.log.some((line) => /revoked the Akeyless token/.test(line))));
    for (const step of job.steps) {
      const [upload] = step.commands.filter((c) => c.name === 'task.uploadsummary');
      assert.ok(upload.data.startsWith(`${windowsTemp(pipe)}\\akeyless-summary-`), upload.data);
      assert.equal(step.summaries.length, 1);
    }
  });
});

describe('Windows: a failure', () => {
  it('a path Akeyless does not have fails the step cleanly, naming it, with nothing set', async () => {
    const pipe = windowsPipeline();
    await pipe.run(EXAMPLE_1[0]);
    const step = await pipe.run({ ...EXAMPLE_1[1], inputs: { ...EXAMPLE_1[1].inputs, secretsPaths: 'a=/ai/agent/api-key, b=/no/such/secret' } });
    assert.match(assertCleanFailure(step), /^Akeyless refused http:\/\/127\.0\.0\.1:\d+\/get-secret-value with HTTP 404: item not found: \/no\/such\/secret\.$/);
  });
});

describe('Windows: files', () => {
  it('file: entries are written byte for byte (CRLF kept) under the Windows temp directory and gone after the job', async () => {
    const pipe = windowsPipeline();
    await pipe.run(EXAMPLE_1[0]);
    const step = await pipe.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', secretsPaths: 'file:client_key=/tls/client-key\nfile:kubeconfig=/k8s/kubeconfig\nfile:nul=/ai/agent/model-id' },
    });
    assertSucceeded(step);
    const keyPath = pipe.expand('$(Fetch.client_key)');
    const configPath = pipe.expand('$(kubeconfig)');
    const directory = path.win32.dirname(keyPath);
    assert.equal(path.win32.dirname(directory), windowsTemp(pipe));
    assert.match(path.win32.basename(directory), /^akeyless-[0-9a-f]{32}$/);
    assert.equal(configPath, `${directory}\\kubeconfig`);
    // A device name on Windows (`nul` would be the null device there): the file gets a `_`.
    assert.equal(pipe.expand('$(nul)'), `${directory}\\_nul`);
    assert.equal(fs.readFileSync(pipe.hostPath(pipe.expand('$(nul)')), 'utf8'), 'windows-model-id-19');
    assert.ok(fs.readFileSync(pipe.hostPath(keyPath)).equals(Buffer.from(CRLF_PEM, 'utf8')), 'the PEM, CRLF and all');
    assert.ok(fs.readFileSync(pipe.hostPath(configPath)).equals(Buffer.from(KUBECONFIG, 'utf8')), 'non-ASCII text, byte for byte');
    const [fetchPostJob] = await pipe.runPostJobSteps();
    assertSucceeded(fetchPostJob);
    assert.ok(fetchPostJob.log.some((line) => line.includes(`deleted 3 file(s) and their directory ${directory}`)), fetchPostJob.log.join('\n'));
    assert.ok(!fs.existsSync(pipe.hostPath(directory)));
  });
});

describe('Windows: a get task that logs in by itself', () => {
  it('revokes its own token at job end', async () => {
    const pipe = windowsPipeline();
    const job = await pipe.runJob([{ ...EXAMPLE_4[0], inputs: { ...EXAMPLE_4[0].inputs, token: '' } }]);
    for (const step of [...job.steps, ...job.postJobSteps]) assertSucceeded(step);
    const token = server.requestsTo('/get-rotated-secret-value').at(-1).body.token;
    assert.ok(server.revokedTokens.has(token));
    assert.ok(job.postJobSteps[0].log.some((line) => /revoked the Akeyless token/.test(line)), job.postJobSteps[0].log.join('\n'));
  });
});

describe('Windows: SSH certificates', () => {
  it('the key, public key and certificate files pass ssh-keygen and are gone after the job', async () => {
    const pipe = windowsPipeline();
    const step = await pipe.run({
      task: 'akeyless-get-ssh-certificate@0',
      name: 'Ssh',
      inputs: { connectedServiceName: 'mge_prod', certIssuerName: '/ssh/issuer', certUsername: 'deploy', ttl: '600' },
    });
    assertSucceeded(step);
    const privateKeyPath = step.variables['Ssh.privateKeyPath'].value;
    assert.equal(path.win32.dirname(path.win32.dirname(privateKeyPath)), windowsTemp(pipe));
    assert.equal(step.variables['Ssh.publicKeyPath'].value, `${privateKeyPath}.pub`);
    assert.equal(step.variables['Ssh.certificatePath'].value, `${privateKeyPath}-cert.pub`);
    const [key, publicKey, certificate] = ['', '.pub', '-cert.pub'].map((suffix) => pipe.hostPath(`${privateKeyPath}${suffix}`));
    for (const file of [key, publicKey, certificate]) {
      assert.ok(!fs.readFileSync(file, 'utf8').includes('\r'), `${file} has LF line breaks, as OpenSSH writes them`);
    }
    const sent = server.issued.at(-1).body['public-key-data'];
    const typeAndKey = (line) => line.split(' ').slice(0, 2).join(' ');
    // Windows has no file modes, and Wine shows the file as 0644 here, which ssh-keygen
    // refuses for a private key: it reads a private copy instead.
    const privateCopy = authorities.scratch('windows-key');
    fs.copyFileSync(key, privateCopy);
    fs.chmodSync(privateCopy, 0o600);
    assert.equal(typeAndKey(run('ssh-keygen', ['-y', '-f', privateCopy]).trim()), typeAndKey(sent));
    assert.equal(typeAndKey(fs.readFileSync(publicKey, 'utf8')), typeAndKey(sent));
    assert.match(run('ssh-keygen', ['-L', '-f', certificate]), /Principals: \n\s+deploy\n/);
    const [postJob] = await pipe.runPostJobSteps();
    assertSucceeded(postJob);
    assert.ok(!fs.existsSync(path.dirname(key)), 'the files are gone after the job');
  });
});
