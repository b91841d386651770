'use strict';
/**
 * Task `akeyless-get-secrets-value-task`, run through the agent emulator against the
 * loopback Akeyless server: SPEC example 1 end to end, the options on the wire, each kind of
 * value, each failure, and 1,000 paths. The emulator's leak check covers every value the
 * server holds in every test.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');
const { EXAMPLE_1 } = require('./support/spec-examples');

const ACCESS_ID = 'p-abcdefghij12a3';
const ACCESS_KEY = 'getSecretsKey-7c41e9b0d2';
const PEM = '-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\r\n-----END PRIVATE KEY-----\r\n';
const SECRETS = {
  '/ai/agent/api-key': 'sk-live-4f1c9a2be7d04c55',
  '/ai/agent/model-id': 'model-gpt-prod-2031',
  '/ai/agent/config/endpoint': 'https://inference.internal.example:8443/v1',
  '/db/config': { username: 'app_user_prod', password: 'Pg-pass-93c1b7', port: 5432 },
  '/db/config-as-text': '{"username":"text_user_prod","password":"Txt-pass-55aa0f"}',
  '/tls/key': PEM,
  '/empty': '',
  '/hostile': 'value-with ##vso[task.setvariable variable=injected;]pwned and ##[error]fake',
  '/team a/key=with=equals': 'spaced-equals-value-1177',
};

let server;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY }, secrets: SECRETS }).start();
});

after(() => server.stop());

function newPipeline(options = {}) {
  return new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
    connections: { mge_prod: { url: server.url, accessId: ACCESS_ID } },
    secrets: server.leakCheckSecrets,
    ...options,
  });
}

/** Logs in (example 1's auth step), then runs a fetch step with `inputs`. */
async function fetchWith(inputs, pipeline = newPipeline()) {
  const login = await pipeline.run(EXAMPLE_1[0]);
  assert.equal(login.result, 'Succeeded', JSON.stringify(login.issues));
  return pipeline.run({
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', ...inputs },
  });
}

function lastSecretRequest() {
  const requests = server.requestsTo('/get-secret-value');
  return requests[requests.length - 1];
}

/** The variable was set as a secret, both as `Fetch.<name>` and as `<name>`. */
function assertBothScopes(step, name, value) {
  assert.deepEqual(step.variables[`Fetch.${name}`], { value, secret: true, output: true });
  assert.deepEqual(step.variables[name], { value, secret: true, output: false });
}

describe('get secrets: SPEC example 1', () => {
  it('fetches the three paths in one request and sets secret output and job variables', async () => {
    const pipeline = newPipeline();
    const requestsBefore = server.requestsTo('/get-secret-value').length;
    const [auth, fetch] = EXAMPLE_1;
    assertSucceeded(await pipeline.run(auth));
    const step = await pipeline.run(fetch);

    assertSucceeded(step);
    assert.equal(server.requestsTo('/get-secret-value').length, requestsBefore + 1);
    const request = lastSecretRequest();
    assert.deepEqual(request.body.names, ['/ai/agent/api-key', '/ai/agent/model-id', '/ai/agent/config/endpoint']);
    assert.ok(server.tokens.has(request.body.token));
    assert.equal(request.headers.akeylessclienttype, 'Azure-DevOps-Extension');

    assertBothScopes(step, 'api_key', SECRETS['/ai/agent/api-key']);
    assertBothScopes(step, 'model_id', SECRETS['/ai/agent/model-id']);
    assert.deepEqual(step.variables['Fetch.endpoint_config'], {
      value: SECRETS['/ai/agent/config/endpoint'], secret: true, output: true,
    });
    assert.equal(step.variables.endpoint_config, undefined, 'a reserved name is not set as a job variable');
    assert.equal(step.warnings.length, 1);
    assert.match(step.warnings[0], /'endpoint_config'.*\$\(endpoint_config\) would not work/);

    assert.equal(pipeline.expand('$(Fetch.api_key)'), SECRETS['/ai/agent/api-key']);
    assert.equal(pipeline.expand('$(api_key)'), SECRETS['/ai/agent/api-key']);
    assert.equal(
      pipeline.expand('python initialize_ai_agent.py --api-key "$(Fetch.api_key)" --model-id "$(Fetch.model_id)"'),
      `python initialize_ai_agent.py --api-key "${SECRETS['/ai/agent/api-key']}" --model-id "${SECRETS['/ai/agent/model-id']}"`,
    );
  });

  it('registers every value with the masker before setting any variable', async () => {
    const [auth, fetch] = EXAMPLE_1;
    const pipeline = newPipeline();
    await pipeline.run(auth);
    const step = await pipeline.run(fetch);
    const firstSet = step.commands.findIndex((c) => c.name === 'task.setvariable');
    for (const path of ['/ai/agent/api-key', '/ai/agent/model-id', '/ai/agent/config/endpoint']) {
      const registered = step.commands.findIndex((c) => c.name === 'task.setsecret' && c.data === SECRETS[path]);
      assert.ok(registered >= 0 && registered < firstSet, path);
    }
  });
});

describe('get secrets: the secretsPaths grammar end to end', () => {
  it('reads a newline-separated list with blank lines, spaces, = in paths and a trailing comma', async () => {
    const step = await fetchWith({
      secretsPaths: '\n  api_key = /ai/agent/api-key\n\nspaced = /team a/key=with=equals ,\n',
    });
    assertSucceeded(step);
    assert.deepEqual(lastSecretRequest().body.names, ['/ai/agent/api-key', '/team a/key=with=equals']);
    assertBothScopes(step, 'spaced', SECRETS['/team a/key=with=equals']);
  });

  it('fetches a path named twice once and sets both variables', async () => {
    const step = await fetchWith({ secretsPaths: 'first=/ai/agent/api-key,second=/ai/agent/api-key' });
    assertSucceeded(step);
    assert.deepEqual(lastSecretRequest().body.names, ['/ai/agent/api-key']);
    assertBothScopes(step, 'first', SECRETS['/ai/agent/api-key']);
    assertBothScopes(step, 'second', SECRETS['/ai/agent/api-key']);
  });

  it('rejects a bad entry before calling Akeyless, naming the input and the entry', async () => {
    const pipeline = newPipeline();
    await pipeline.run(EXAMPLE_1[0]);
    const before = server.requestsTo('/get-secret-value').length;
    const step = await pipeline.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', secretsPaths: 'a=/x\nb-c=/y' },
    });
    const error = assertCleanFailure(step);
    assert.match(error, /^The input 'secretsPaths' is not valid: entry 2 \('b-c=\/y'\) has the character '-'/);
    assert.match(error, /e\.g\. api_key=\/ai\/agent\/api-key$/);
    assert.equal(server.requestsTo('/get-secret-value').length, before);
  });

  it('rejects two names the agent maps to one environment variable (a.b and A_B)', async () => {
    const error = assertCleanFailure(await fetchWith({ secretsPaths: 'db.password=/a/b,DB_PASSWORD=/c/d' }));
    assert.match(error, /entry 2 \('DB_PASSWORD=\/c\/d'\) sets the variable 'DB_PASSWORD', which the agent treats as the same name as 'db\.password' \(entry 1\)/);
  });

  it("rejects names in the agent's own namespaces", async () => {
    for (const name of ['System.AccessToken', 'agent.TempDirectory', 'Build.SourceVersion', 'Release.ReleaseId']) {
      const error = assertCleanFailure(await fetchWith({ secretsPaths: `${name}=/a/b` }));
      assert.match(error, new RegExp(`sets '${name.replace('.', '\\.')}', a name in the agent's own namespace`), name);
    }
  });

  it('rejects a variable set twice', async () => {
    const error = assertCleanFailure(await fetchWith({ secretsPaths: 'a=/ai/agent/api-key,A=/ai/agent/model-id' }));
    assert.match(error, /entry 2 \('A=\/ai\/agent\/model-id'\) sets the variable 'A' again \(entry 1 already does\)/);
  });
});

describe('get secrets: options on the wire', () => {
  it('sends the defaults: ignore-cache "false", accessibility regular, no version', async () => {
    assertSucceeded(await fetchWith({ secretsPaths: 'a=/ai/agent/api-key' }));
    const { body } = lastSecretRequest();
    assert.equal(body['ignore-cache'], 'false');
    assert.equal(body.accessibility, 'regular');
    assert.equal('version' in body, false);
  });

  it('sends ignoreCache as the string "true", the accessibility, and version as a number', async () => {
    assertSucceeded(await fetchWith({
      secretsPaths: 'a=/ai/agent/api-key', ignoreCache: 'true', accessibility: 'sharing', version: '3',
    }));
    const { body } = lastSecretRequest();
    assert.equal(body['ignore-cache'], 'true');
    assert.equal(body.accessibility, 'sharing');
    assert.equal(body.version, 3);
  });

  it('rejects a version that is not a whole number from 1 up', async () => {
    const error = assertCleanFailure(await fetchWith({ secretsPaths: 'a=/ai/agent/api-key', version: 'latest' }));
    assert.match(error, /^The input 'version' is not valid: it is 'latest'/);
  });

  it('rejects an accessibility outside the pick list', async () => {
    const error = assertCleanFailure(await fetchWith({ secretsPaths: 'a=/ai/agent/api-key', accessibility: 'public' }));
    assert.match(error, /^The input 'accessibility' is not valid: it is 'public'; use regular, personal or sharing\.$/);
  });
});

describe('get secrets: values', () => {
  it('sets a JSON object value as compact JSON and registers its fields', async () => {
    const step = await fetchWith({ secretsPaths: 'db=/db/config' });
    assertSucceeded(step);
    assertBothScopes(step, 'db', '{"username":"app_user_prod","password":"Pg-pass-93c1b7","port":5432}');
    const registered = step.commands.filter((c) => c.name === 'task.setsecret').map((c) => c.data);
    assert.ok(registered.includes('app_user_prod'));
    assert.ok(registered.includes('Pg-pass-93c1b7'));
    assert.ok(!registered.includes('5432'), 'a short non-credential leaf is not registered');
  });

  it('keeps a JSON string value as it is and registers its fields', async () => {
    const step = await fetchWith({ secretsPaths: 'db=/db/config-as-text' });
    assertSucceeded(step);
    assertBothScopes(step, 'db', SECRETS['/db/config-as-text']);
    const registered = step.commands.filter((c) => c.name === 'task.setsecret').map((c) => c.data);
    assert.ok(registered.includes('Txt-pass-55aa0f'));
  });

  it('delivers a multi-line value base64-encoded, byte for byte, with a marker variable', async () => {
    const pipeline = newPipeline();
    const step = await fetchWith({ secretsPaths: 'tls_key=/tls/key' }, pipeline);
    assertSucceeded(step);
    const delivered = pipeline.expand('$(Fetch.tls_key)');
    assert.equal(Buffer.from(delivered, 'base64').toString('utf8'), PEM);
    assert.equal(Buffer.from(pipeline.expand('$(tls_key)'), 'base64').toString('utf8'), PEM);
    assert.deepEqual(step.variables['Fetch.tls_key_ENCODING'], { value: 'base64', secret: false, output: true });
    assert.deepEqual(step.variables.tls_key_ENCODING, { value: 'base64', secret: false, output: false });
    const registered = step.commands.filter((c) => c.name === 'task.setsecret').map((c) => c.data);
    for (const line of ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj']) {
      assert.ok(registered.includes(line), line);
    }
    assert.ok(step.log.some((line) => /'tls_key' holds line breaks/.test(line)));
  });

  it('sets an empty value as an empty secret variable and says so', async () => {
    const pipeline = newPipeline();
    const step = await fetchWith({ secretsPaths: 'nothing=/empty' }, pipeline);
    assertSucceeded(step);
    assertBothScopes(step, 'nothing', '');
    assert.equal(pipeline.expand('[$(nothing)]'), '[]');
    assert.ok(step.log.some((line) => /'nothing' is empty in Akeyless/.test(line)));
  });

  it('delivers a value holding ##vso[ intact without executing it', async () => {
    const pipeline = newPipeline();
    const step = await fetchWith({ secretsPaths: 'hostile=/hostile' }, pipeline);
    assertSucceeded(step);
    assertBothScopes(step, 'hostile', SECRETS['/hostile']);
    assert.equal(pipeline.variables.get('injected'), undefined);
    assert.equal(step.commands.filter((c) => c.name === 'task.setvariable').length, 2);
  });
});

describe('get secrets: failures', () => {
  it('a path the server reports missing fails with its error text and sets nothing', async () => {
    const step = await fetchWith({ secretsPaths: 'a=/ai/agent/api-key,b=/no/such/secret' });
    const error = assertCleanFailure(step);
    assert.match(error, /\/get-secret-value with HTTP 404: item not found: \/no\/such\/secret\.$/);
  });

  it('paths left out of the reply fail naming every one of them and set nothing', async () => {
    const absentServer = await new AkeylessServer({
      accessKeys: { [ACCESS_ID]: ACCESS_KEY }, secrets: SECRETS, missingSecrets: 'absent',
    }).start();
    try {
      const pipeline = newPipeline({ connections: { mge_prod: { url: absentServer.url, accessId: ACCESS_ID } } });
      const step = await fetchWith({ secretsPaths: 'a=/ai/agent/api-key,b=/gone/one\nc=/gone/two' }, pipeline);
      const error = assertCleanFailure(step);
      assert.match(error, /^Akeyless returned no value for 2 of the 3 requested path\(s\): \/gone\/one, \/gone\/two\. No variable was set\./);
    } finally {
      await absentServer.stop();
    }
  });

  it('a 403 fails with the server text and a hint about the access role', async () => {
    server.inject({ operation: '/get-secret-value', status: 403, body: { error: 'Access denied to /ai/agent/api-key' } });
    const error = assertCleanFailure(await fetchWith({ secretsPaths: 'a=/ai/agent/api-key' }));
    assert.match(error, /HTTP 403: Access denied to \/ai\/agent\/api-key\. Check that the auth method's access role may read this item\.$/);
  });

  it('a token the server does not know fails with a hint about the auth step', async () => {
    const pipeline = newPipeline({ secretVariables: { STALE: 't-expired0000000000' } });
    const step = await pipeline.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'mge_prod', token: '$(STALE)', secretsPaths: 'a=/ai/agent/api-key' },
    });
    assert.match(assertCleanFailure(step), /HTTP 401: .* The token was refused/);
  });

  it('an auth step with another name leaves the token unexpanded, which is explained', async () => {
    const pipeline = newPipeline();
    const step = await pipeline.run({
      task: 'akeyless-get-secrets-value-task@0',
      name: 'Fetch',
      inputs: { connectedServiceName: 'mge_prod', token: '$(Login.akeylessToken)', secretsPaths: 'a=/ai/agent/api-key' },
    });
    assert.match(assertCleanFailure(step), /'\$\(Login\.akeylessToken\)', a variable that does not exist/);
  });
});

describe('get secrets: 1,000 paths', () => {
  it('fetches 1,000 paths in chunks of 500 and sets all 2,000 variables', async () => {
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`/bulk/secret-${i}`, `bulk-value-${i}-x9`]));
    const bulkServer = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY }, secrets: many }).start();
    try {
      const pipeline = new Pipeline({
        secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY },
        connections: { mge_prod: { url: bulkServer.url, accessId: ACCESS_ID } },
        secrets: bulkServer.leakCheckSecrets,
      });
      const list = Object.keys(many).map((path, i) => `bulk_${i}=${path}`).join('\n');
      const step = await fetchWith({ secretsPaths: list }, pipeline);
      assertSucceeded(step);
      const requests = bulkServer.requestsTo('/get-secret-value');
      assert.equal(requests.length, 2);
      assert.ok(requests.every((r) => r.body.names.length === 500));
      assert.equal(new Set(requests.flatMap((r) => r.body.names)).size, 1000);
      assert.equal(Object.keys(step.variables).length, 2000);
      assert.deepEqual(step.variables.bulk_999, { value: 'bulk-value-999-x9', secret: true, output: false });
    } finally {
      await bulkServer.stop();
    }
  });
});
