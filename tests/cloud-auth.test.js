'use strict';
/**
 * SPEC section 11, AWS IAM and GCP logins, through the agent emulator against loopback
 * stand-ins: the AWS container credentials endpoint, the EC2 instance metadata service
 * (IMDSv2, reached through AWS_EC2_METADATA_SERVICE_ENDPOINT) and the Google Cloud metadata
 * server (through GCE_METADATA_HOST). The Akeyless server accepts an AWS login only when an
 * STS-style check recomputes the signature in its `cloud-id` (tests/support/identity-services),
 * and a GCP login only with a token the metadata server minted for the audience sent. Every
 * credential, token and signature is checked to stay out of the log.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const {
  AwsContainerCredentials, InstanceMetadataService, GcpMetadataServer, StsVerifier,
} = require('./support/identity-services');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded, registeredSecrets } = require('./support/assertions');

const AWS_ID = 'p-cloudauth1w1';
const GCP_ID = 'p-cloudauth1g1';
const ENV_CREDENTIALS = {
  AccessKeyId: 'AKIAENVIRONMENT01',
  SecretAccessKey: 'env-secret-key-3c9d1e7a5b02',
  Token: 'env-session-token-8f4e2a61',
};
const CONTAINER_TOKEN = 'eks-pod-identity-token-51d0c8';

let server;
let sts;
let container;
let imds;
let gcp;
let scratch;
let closedPort;

before(async () => {
  sts = new StsVerifier();
  container = await new AwsContainerCredentials(CONTAINER_TOKEN).start();
  imds = await new InstanceMetadataService().start();
  gcp = await new GcpMetadataServer().start();
  for (const credentials of [ENV_CREDENTIALS, container.credentials, imds.credentials]) sts.know(credentials);
  server = await new AkeylessServer({
    secrets: { '/cloud/secret': 'cloud-auth-secret-value-77' },
    methods: {
      [AWS_ID]: (body) => body['access-type'] === 'aws_iam' && Boolean(sts.verify(body['cloud-id'])),
      [GCP_ID]: (body) => body['access-type'] === 'gcp'
        && gcp.minted.some(({ token, audience }) => Buffer.from(token).toString('base64') === body['cloud-id'] && audience === body['gcp-audience']),
    },
  }).start();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-auth-'));
  // A port nothing listens on: an agent outside AWS, where IMDS does not answer.
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
});

after(async () => {
  await Promise.all([server.stop(), container.stop(), imds.stop(), gcp.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Everything secret these services handed out, in every form a leak could take. */
function* cloudSecrets() {
  yield* server.sensitiveValues();
  for (const credentials of [ENV_CREDENTIALS, container.credentials, imds.credentials]) {
    yield credentials.SecretAccessKey;
    yield credentials.Token;
  }
  yield CONTAINER_TOKEN;
  if (imds.sessionToken) yield imds.sessionToken;
  for (const { token } of gcp.minted) {
    yield token;
    yield Buffer.from(token).toString('base64');
  }
  for (const { headers } of sts.verified) yield headers.Authorization[0];
}

/** A pipeline on an agent machine whose environment is `env`. */
function pipelineOn(env, accessId = AWS_ID) {
  return new Pipeline({
    env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${closedPort}`, ...env },
    connections: { conn: { url: server.url, accessId } },
    secrets: { [Symbol.iterator]: cloudSecrets },
  });
}

const auth = (inputs = {}) => ({ task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'conn', ...inputs } });

const ENV_AWS = {
  AWS_ACCESS_KEY_ID: ENV_CREDENTIALS.AccessKeyId,
  AWS_SECRET_ACCESS_KEY: ENV_CREDENTIALS.SecretAccessKey,
  AWS_SESSION_TOKEN: ENV_CREDENTIALS.Token,
};
const CONTAINER_AWS = () => ({
  AWS_CONTAINER_CREDENTIALS_FULL_URI: container.uri,
  AWS_CONTAINER_AUTHORIZATION_TOKEN: CONTAINER_TOKEN,
});
const IMDS_AWS = () => ({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.origin });

/** The access key whose signature the last AWS login carried, as STS verified it. */
function lastSigner() {
  return sts.verified.at(-1).accessKeyId;
}

describe('cloud auth: AWS IAM', () => {
  it('signs with the environment credentials; an STS-style check recomputes the signature', async () => {
    const step = await pipelineOn(ENV_AWS).run(auth());
    assertSucceeded(step);
    assert.equal(lastSigner(), ENV_CREDENTIALS.AccessKeyId);
    const { headers } = sts.verified.at(-1);
    assert.deepEqual(Object.keys(headers).sort(), ['Authorization', 'Content-Length', 'Content-Type', 'Host', 'X-Amz-Date', 'X-Amz-Security-Token']);
    assert.deepEqual(headers['X-Amz-Security-Token'], [ENV_CREDENTIALS.Token]);
    assert.deepEqual(headers.Host, ['sts.amazonaws.com']);
    const registered = registeredSecrets(step);
    for (const secret of [ENV_CREDENTIALS.SecretAccessKey, ENV_CREDENTIALS.Token, headers.Authorization[0]]) {
      assert.ok(registered.includes(secret), 'registered before anything is printed');
    }
  });

  it('takes the container credentials endpoint, with its authorization token or token file', async () => {
    assertSucceeded(await pipelineOn(CONTAINER_AWS()).run(auth()));
    assert.equal(lastSigner(), container.credentials.AccessKeyId);
    assert.equal(container.requests.at(-1).headers.authorization, CONTAINER_TOKEN);
    const tokenFile = path.join(scratch, 'token');
    fs.writeFileSync(tokenFile, `${CONTAINER_TOKEN}\n`);
    const fromFile = { AWS_CONTAINER_CREDENTIALS_FULL_URI: container.uri, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile };
    assertSucceeded(await pipelineOn(fromFile).run(auth()));
    assert.equal(container.requests.at(-1).headers.authorization, CONTAINER_TOKEN);
  });

  it('takes the EC2 instance role through IMDSv2: a session token, then the role', async () => {
    const before = imds.requests.length;
    assertSucceeded(await pipelineOn(IMDS_AWS()).run(auth()));
    assert.equal(lastSigner(), imds.credentials.AccessKeyId);
    assert.deepEqual(imds.requests.slice(before).map((r) => `${r.method} ${r.path}`), [
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/ado-agent-role',
    ]);
  });

  it('looks in the environment first, then the container endpoint, then IMDS', async () => {
    const containerBefore = container.requests.length;
    const imdsBefore = imds.requests.length;
    assertSucceeded(await pipelineOn({ ...ENV_AWS, ...CONTAINER_AWS(), ...IMDS_AWS() }).run(auth()));
    assert.equal(lastSigner(), ENV_CREDENTIALS.AccessKeyId);
    assert.equal(container.requests.length, containerBefore);
    assertSucceeded(await pipelineOn({ ...CONTAINER_AWS(), ...IMDS_AWS() }).run(auth()));
    assert.equal(lastSigner(), container.credentials.AccessKeyId);
    assert.equal(imds.requests.length, imdsBefore);
  });

  it('without credentials fails cleanly, naming every source it tried', async () => {
    const logins = server.requestsTo('/auth').length;
    const step = await pipelineOn({}).run(auth());
    const error = assertCleanFailure(step);
    assert.match(error, /^No AWS credentials were found on this agent\. Tried, in order: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; the container credentials endpoint is not configured \(AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\); the EC2 instance metadata service at http:\/\/127\.0\.0\.1:\d+ failed: Could not reach the EC2 instance metadata service at .*the connection was refused/);
    assert.equal(server.requestsTo('/auth').length, logins, 'nothing was sent to Akeyless');
  });

  it('a get task with an empty token logs in with AWS IAM by itself', async () => {
    const step = await pipelineOn(ENV_AWS).run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'conn', secretsPaths: 'cloud_secret=/cloud/secret' },
    });
    assertSucceeded(step);
    assert.equal(step.variables['Fetch.cloud_secret'].value, 'cloud-auth-secret-value-77');
    assert.equal(lastSigner(), ENV_CREDENTIALS.AccessKeyId);
  });
});

describe('cloud auth: GCP', () => {
  it('sends the ID token for akeyless.io with Metadata-Flavor: Google, base64, and the audience', async () => {
    const step = await pipelineOn({ GCE_METADATA_HOST: gcp.host }, GCP_ID).run(auth());
    assertSucceeded(step);
    const request = gcp.requests.at(-1);
    assert.equal(request.headers['metadata-flavor'], 'Google');
    assert.deepEqual(request.query, { audience: 'akeyless.io', format: 'full' });
    assert.equal(server.requestsTo('/auth').at(-1).body['gcp-audience'], 'akeyless.io');
    assert.ok(registeredSecrets(step).includes(gcp.minted.at(-1).token));
  });

  it('passes the audience of gcpAudience', async () => {
    assertSucceeded(await pipelineOn({ GCE_METADATA_HOST: gcp.host }, GCP_ID).run(auth({ gcpAudience: 'akeyless-prod' })));
    assert.equal(gcp.requests.at(-1).query.audience, 'akeyless-prod');
    assert.equal(server.requestsTo('/auth').at(-1).body['gcp-audience'], 'akeyless-prod');
  });

  it('off Google Cloud fails cleanly, naming the metadata server', async () => {
    const error = assertCleanFailure(await pipelineOn({ GCE_METADATA_HOST: `127.0.0.1:${closedPort}` }, GCP_ID).run(auth()));
    assert.match(error, /^Could not reach the Google Cloud metadata server at http:\/\/127\.0\.0\.1:\d+\/computeMetadata\/v1\/instance\/service-accounts\/default\/identity\?audience=akeyless\.io&format=full: the connection was refused .* GCP auth needs an agent on Google Cloud/);
  });
});
