'use strict';
/**
 * Logging in without a stored secret, through the agent emulator against loopback stand-ins
 * of every service involved: the pipeline's OIDC token (from the agent's endpoint or handed
 * over with the connection), an Azure managed identity, Kubernetes, Universal Identity and a
 * client certificate; and the get tasks logging in by themselves when `token` is empty. No
 * request leaves loopback; every token minted on the way is checked to stay out of the log.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { OidcTokenEndpoint, AzureMetadataService } = require('./support/identity-services');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure } = require('./support/assertions');

const API_KEY_ID = 'p-methods00001a1';
const JWT_ID = 'p-method0001o1';
const AZURE_ID = 'p-methods00001z1';
const K8S_ID = 'p-methods00001k1';
const UID_ID = 'p-methods00001u1';
const CERT_ID = 'p-methods00001c1';
const ACCESS_KEY = 'methods-stored-access-key-5d2e';
const UID_TOKEN = 'u-universal-identity-token-77ab';
const SA_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.k8s-service-account.c2ln';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIBcertificatebody\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIEprivatekeybodyline\n-----END PRIVATE KEY-----\n';
const b64 = (text) => Buffer.from(text).toString('base64');

let server;
let oidc;
let metadata;
let scratch;
let expectedOidcTokens;

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'methods-'));
  fs.writeFileSync(path.join(scratch, 'sa-token'), `${SA_TOKEN}\n`);
  fs.writeFileSync(path.join(scratch, 'client-key.pem'), KEY_PEM);
  oidc = await new OidcTokenEndpoint('set-per-pipeline').start();
  metadata = await new AzureMetadataService().start();
  expectedOidcTokens = new Set();
  server = await new AkeylessServer({
    accessKeys: { [API_KEY_ID]: ACCESS_KEY },
    secrets: { '/methods/secret': 'methods-secret-value-19c4' },
    methods: {
      [JWT_ID]: (body) => body['access-type'] === 'jwt' && (oidc.minted.includes(body.jwt) || expectedOidcTokens.has(body.jwt)),
      [AZURE_ID]: (body) => body['access-type'] === 'azure_ad' && metadata.minted.map(b64).includes(body['cloud-id']),
      [K8S_ID]: { 'access-type': 'k8s', 'k8s-auth-config-name': 'ado-agents', 'k8s-service-account-token': b64(SA_TOKEN), 'gateway-url': 'GATEWAY' },
      [UID_ID]: { 'access-type': 'universal_identity', 'uid-token': UID_TOKEN },
      // The agent trims input values, so an inline PEM arrives without its final line break.
      [CERT_ID]: { 'access-type': 'cert', 'cert-data': b64(CERT_PEM.trim()), 'key-data': b64(KEY_PEM) },
    },
  }).start();
  // The gateway root is the server's own URL: only known once it listens.
  server.methods[K8S_ID]['gateway-url'] = server.url;
});

after(async () => {
  await Promise.all([server.stop(), oidc.stop(), metadata.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A pipeline whose connection `conn` has `accessId`, with the identity services wired in. */
function pipelineWith(accessId, options = {}) {
  const pipeline = new Pipeline({
    ...options,
    variables: { 'System.OidcRequestUri': oidc.requestUri, ...options.variables },
    secretVariables: { UID_TOKEN, ...options.secretVariables },
    env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: metadata.origin, ...options.env },
    connections: { conn: { url: `${server.gatewayUrl}/`, accessId, ...options.connection } },
    secrets: {
      * [Symbol.iterator]() {
        yield* server.sensitiveValues();
        yield* oidc.minted;
        yield* metadata.minted;
        yield* metadata.minted.map(b64);
        yield* [UID_TOKEN, SA_TOKEN, b64(SA_TOKEN), 'MIIEprivatekeybodyline', b64(KEY_PEM)];
      },
    },
  });
  oidc.expectedBearer = pipeline.systemAccessToken;
  return pipeline;
}

function auth(inputs = {}) {
  return { task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'conn', ...inputs } };
}

function lastAuthBody() {
  const requests = server.requestsTo('/auth');
  return requests[requests.length - 1].body;
}

function assertLoggedIn(step) {
  assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
  assert.ok(server.tokens.has(step.variables['Auth.akeylessToken'].value));
}

describe('auth methods: pipeline OIDC', () => {
  it('a JWT method with no jwt input asks the agent for the OIDC token of this connection', async () => {
    const pipeline = pipelineWith(JWT_ID);
    const before = oidc.requests.length;
    const step = await pipeline.run(auth());
    assertLoggedIn(step);
    const request = oidc.requests[before];
    assert.equal(request.method, 'POST');
    assert.equal(request.headers.authorization, `Bearer ${pipeline.systemAccessToken}`);
    assert.equal(request.query.serviceConnectionId, pipeline.connections.get('conn').id);
    assert.equal(request.query['api-version'], '7.1');
    assert.deepEqual(lastAuthBody(), { 'access-type': 'jwt', 'access-id': JWT_ID, jwt: oidc.minted[oidc.minted.length - 1] });
    assert.ok(step.commands.some((c) => c.name === 'task.setsecret' && c.data === oidc.minted[oidc.minted.length - 1]));
    assert.match(step.log.join('\n'), /with the pipeline's OIDC token for this service connection, issued by Azure DevOps/);
  });

  it('uses the idToken handed over with the connection without calling the endpoint', async () => {
    const lateBound = 'eyJhbGciOiJSUzI1NiJ9.late-bound.c2lnbmF0dXJl';
    expectedOidcTokens.add(lateBound);
    const before = oidc.requests.length;
    const step = await pipelineWith(JWT_ID, { connection: { idToken: lateBound } }).run(auth());
    assertLoggedIn(step);
    assert.equal(lastAuthBody().jwt, lateBound);
    assert.equal(oidc.requests.length, before);
  });

  it('without an OIDC endpoint, fails naming jwt and System.OidcRequestUri', async () => {
    const step = await pipelineWith(JWT_ID, { variables: { 'System.OidcRequestUri': '' } }).run(auth());
    assert.match(assertCleanFailure(step), /is a JWT auth method: set the input 'jwt', or run on an agent that issues the pipeline's OIDC token \(System\.OidcRequestUri\)/);
  });
});

describe('auth methods: Azure AD managed identity', () => {
  it('sends the metadata service token base64-encoded as cloud-id', async () => {
    const before = metadata.requests.length;
    const step = await pipelineWith(AZURE_ID).run(auth());
    assertLoggedIn(step);
    const request = metadata.requests[before];
    assert.equal(request.method, 'GET');
    assert.equal(request.headers.metadata, 'true');
    assert.equal(request.query.resource, 'https://management.azure.com/');
    assert.equal(request.query['api-version'], '2018-02-01');
    assert.equal(request.query.client_id, undefined);
    const body = lastAuthBody();
    assert.equal(body['access-type'], 'azure_ad');
    assert.equal(body['cloud-id'], b64(metadata.minted[metadata.minted.length - 1]));
  });

  it('asks for a user-assigned identity by its client id', async () => {
    const before = metadata.requests.length;
    assertLoggedIn(await pipelineWith(AZURE_ID).run(auth({ azureClientId: '5e6f7a8b-client' })));
    assert.equal(metadata.requests[before].query.client_id, '5e6f7a8b-client');
  });

  it('without a metadata service, fails saying what Azure AD auth needs', async () => {
    const step = await pipelineWith(AZURE_ID, { env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' } }).run(auth());
    assert.match(assertCleanFailure(step), /^Could not reach the Azure instance metadata service at http:\/\/127\.0\.0\.1:9\/metadata\/identity\/oauth2\/token\?.*Azure AD auth needs an agent on an Azure VM or scale set with a managed identity/);
  });
});

describe('auth methods: Kubernetes, Universal Identity, certificate', () => {
  it('Kubernetes sends the config name, the token file base64-encoded and the gateway root', async () => {
    const step = await pipelineWith(K8S_ID).run(auth({
      k8sAuthConfigName: 'ado-agents', k8sServiceAccountTokenPath: path.join(scratch, 'sa-token'),
    }));
    assertLoggedIn(step);
    assert.deepEqual(lastAuthBody(), {
      'access-type': 'k8s', 'access-id': K8S_ID, 'k8s-auth-config-name': 'ado-agents',
      'k8s-service-account-token': b64(SA_TOKEN), 'gateway-url': server.url,
    });
  });

  it('Universal Identity sends uid-token', async () => {
    const step = await pipelineWith(UID_ID).run(auth({ accessType: 'universal_identity', uidToken: '$(UID_TOKEN)' }));
    assertLoggedIn(step);
    assert.deepEqual(lastAuthBody(), { 'access-type': 'universal_identity', 'access-id': UID_ID, 'uid-token': UID_TOKEN });
  });

  it('a certificate sends cert-data and key-data, the key read from a file', async () => {
    const step = await pipelineWith(CERT_ID).run(auth({
      accessType: 'cert', certificate: CERT_PEM, privateKey: path.join(scratch, 'client-key.pem'),
    }));
    assertLoggedIn(step);
    assert.deepEqual(lastAuthBody(), { 'access-type': 'cert', 'access-id': CERT_ID, 'cert-data': b64(CERT_PEM.trim()), 'key-data': b64(KEY_PEM) });
  });

  it('a private key that is neither PEM nor a readable file is never quoted', async () => {
    const pastedKey = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCpasted-without-pem-lines';
    const pipeline = pipelineWith(CERT_ID, { secretVariables: { PASTED_KEY: pastedKey }, connection: {} });
    const step = await pipeline.run(auth({ accessType: 'cert', certificate: CERT_PEM, privateKey: '$(PASTED_KEY)' }));
    const error = assertCleanFailure(step);
    assert.equal(
      error,
      "The input 'privateKey' is not valid: it is neither PEM text (no '-----BEGIN' line) nor the path of a file that can be read (ENOENT). Pass the key's PEM text from a secret variable, or the path of a downloaded secure file.",
    );
    assert.equal(step.commands[0].name, 'task.setsecret');
  });

  it('a kind letter the task does not know fails naming accessType', async () => {
    const step = await pipelineWith('p-methods00001x1').run(auth());
    assert.match(assertCleanFailure(step), /kind letter 'x' is not one of a \(access key\).*Set the input 'accessType'/);
  });
});

describe('auth methods: get tasks with an empty token', () => {
  const fetch = {
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    inputs: { connectedServiceName: 'conn', secretsPaths: 'value=/methods/secret' },
  };

  it('log in with the Access Key stored in the connection and fetch the secrets', async () => {
    const authBefore = server.requestsTo('/auth').length;
    const step = await pipelineWith(API_KEY_ID, { connection: { accessKey: ACCESS_KEY } }).run(fetch);
    assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
    assert.equal(step.variables.value.value, 'methods-secret-value-19c4');
    assert.equal(server.requestsTo('/auth').length, authBefore + 1);
    assert.deepEqual(lastAuthBody(), { 'access-type': 'access_key', 'access-id': API_KEY_ID, 'access-key': ACCESS_KEY });
    assert.ok(server.tokens.has(server.requestsTo('/get-secret-value').at(-1).body.token));
  });

  it('log in with the pipeline OIDC token when the connection is a JWT method', async () => {
    const step = await pipelineWith(JWT_ID).run(fetch);
    assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
    assert.equal(step.variables.value.value, 'methods-secret-value-19c4');
  });

  it('fail clearly when the connection cannot log in by itself', async () => {
    const step = await pipelineWith(API_KEY_ID).run(fetch);
    assert.match(assertCleanFailure(step), /is an API key auth method: set the input 'access-key'/);
  });
});
