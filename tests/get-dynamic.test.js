'use strict';
/**
 * Task `akeyless-get-dynamic-secret-value-task` through the agent emulator against the
 * loopback Akeyless server: SPEC example 3, both reply forms, producer shapes, the request
 * fields on the wire, failures, and `fields`.
 */

const assert = require('node:assert/strict');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { assertCleanFailure, assertSucceeded, registeredSecrets } = require('./support/assertions');
const { EXAMPLE_3, loggedInPipeline } = require('./support/spec-examples');

const ACCESS_ID = 'p-abcdefghij12a3';
const ACCESS_KEY = 'dynamicKey-90ab3c1d77e2';

/** An Entra ID app-secret producer: nested `secret`, and `id` as a JSON string. */
const ENTRA_APP_SECRET = {
  id: '{"secret_name":"tmp.p-abcd.XyZ12","secret_key_id":"9b0f6c1e-0d55-4a7e-b2f1-3c9e7a1d4b20"}',
  msg: 'User has been added successfully. Expires on 2026-12-01 12:00:00',
  secret: {
    appId: '2f4e6a8c-1b3d-4f5e-9a7c-0e2d4f6a8b1c',
    displayName: 'tmp.p-abcd.XyZ12',
    endDateTime: '2026-12-01T12:00:00.0000000Z',
    keyId: '9b0f6c1e-0d55-4a7e-b2f1-3c9e7a1d4b20',
    secretText: 'Qx8~entra-secret-text-4f1c9a2be7d0',
    tenantId: '7c1e9a3b-5d2f-4e6a-8b0c-1d3f5e7a9c2b',
  },
  ttl_in_minutes: '60',
};
const DB_CREDENTIALS = { id: 'tmp_user_7f3a', user: 'tmp_user_7f3a', password: 'Db-pw-1c9e77aa04', ttl_in_minutes: '60' };
const TLS_MATERIAL = {
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
  certificate: 'cert-line-only-8e2a',
};

const DYNAMIC_SECRETS = {
  '/dynamic/postgres/credentials': ENTRA_APP_SECRET,
  '/dynamic/db/flat': DB_CREDENTIALS,
  '/dynamic/db/wrapped': { value: JSON.stringify(DB_CREDENTIALS), error: '' },
  '/dynamic/broken': { value: '', error: 'failed to create user: connection refused by 10.0.0.5' },
  '/dynamic/tls': TLS_MATERIAL,
  '/dynamic/error-and-extra': { value: JSON.stringify(DB_CREDENTIALS), error: 'quota exceeded for this role', id: 'tmp-1' },
  '/dynamic/value-null': { value: null, error: '' },
  '/dynamic/value-empty': { value: '', error: '' },
  '/dynamic/value-empty-object': { value: '{}', error: '' },
  '/dynamic/value-blank-fields': { value: '{"user":"","password":" "}', error: '' },
  '/dynamic/empty-object': {},
  '/dynamic/error-quotes-password': {
    value: '{"user":"tmp_user_quoted","password":"Gen3rated-Pw-6d1f0a"}',
    error: 'could not grant tmp_user_quoted: password Gen3rated-Pw-6d1f0a rejected by policy',
  },
};

let server;

before(async () => {
  server = await new AkeylessServer({ accessKeys: { [ACCESS_ID]: ACCESS_KEY }, dynamicSecrets: DYNAMIC_SECRETS }).start();
});

after(() => server.stop());

const loggedIn = () => loggedInPipeline(server, ACCESS_ID, ACCESS_KEY);

async function dynamicStep(inputs, pipeline) {
  return (pipeline ?? await loggedIn()).run({
    task: 'akeyless-get-dynamic-secret-value-task@0',
    name: 'Dyn',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', ...inputs },
  });
}

function lastRequest() {
  const requests = server.requestsTo('/get-dynamic-secret-value');
  return requests[requests.length - 1];
}

describe('dynamic secret: SPEC example 3', () => {
  it('sets dynamicSecretValue to one-line JSON a script can read the fields from', async () => {
    const pipeline = await loggedIn();
    const step = await pipeline.run(EXAMPLE_3[0]);
    assertSucceeded(step);

    const output = step.variables['DbDynamicSecret.dynamicSecretValue'];
    assert.equal(output.secret, true);
    assert.equal(output.output, true);
    assert.ok(!output.value.includes('\n'));
    const received = JSON.parse(pipeline.expand('$(DbDynamicSecret.dynamicSecretValue)'));
    assert.equal(received.secret.secretText, ENTRA_APP_SECRET.secret.secretText);
    assert.equal(received.secret.displayName, ENTRA_APP_SECRET.secret.displayName);
    assert.equal(received.ttl_in_minutes, '60');
    assert.deepEqual(JSON.parse(received.id), JSON.parse(ENTRA_APP_SECRET.id));

    const { body, headers } = lastRequest();
    assert.deepEqual(body, {
      name: '/dynamic/postgres/credentials', token: body.token, timeout: 30, json: true,
    });
    assert.ok(server.tokens.has(body.token));
    assert.equal(headers.akeylessclienttype, 'Azure-DevOps-Extension');
  });

  it('registers every leaf, inside the JSON-in-string id too, but not the short ttl', async () => {
    const step = await (await loggedIn()).run(EXAMPLE_3[0]);
    const secrets = registeredSecrets(step);
    for (const leaf of ['Qx8~entra-secret-text-4f1c9a2be7d0', 'tmp.p-abcd.XyZ12', '9b0f6c1e-0d55-4a7e-b2f1-3c9e7a1d4b20']) {
      assert.ok(secrets.includes(leaf), leaf);
    }
    assert.ok(!secrets.includes('60'));
    const firstSet = step.commands.findIndex((c) => c.name === 'task.setvariable');
    const lastRegistered = step.commands.map((c) => c.name).lastIndexOf('task.setsecret');
    assert.ok(lastRegistered < firstSet, 'all registered before the output is set');
  });
});

describe('dynamic secret: reply forms and producers', () => {
  it('a database producer in the plain form is published as it is', async () => {
    const pipeline = await loggedIn();
    const step = await dynamicStep({ name: '/dynamic/db/flat' }, pipeline);
    assertSucceeded(step);
    assert.deepEqual(JSON.parse(pipeline.expand('$(Dyn.dynamicSecretValue)')), DB_CREDENTIALS);
  });

  it('the wrapped form {"value":"<json>","error":""} is published as the inner object', async () => {
    const pipeline = await loggedIn();
    const step = await dynamicStep({ name: '/dynamic/db/wrapped' }, pipeline);
    assertSucceeded(step);
    assert.equal(pipeline.expand('$(Dyn.dynamicSecretValue)'), JSON.stringify(DB_CREDENTIALS));
    assert.ok(registeredSecrets(step).includes('Db-pw-1c9e77aa04'));
  });

  it('a non-empty error fails quoting the producer and sets nothing', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/broken' }));
    assert.equal(
      error,
      "Akeyless could not produce the dynamic secret '/dynamic/broken': the producer reported: failed to create user: connection refused by 10.0.0.5. No variable was set.",
    );
  });

  it('a reply that reports an error beside other fields, or carries no credentials, fails and sets nothing', async () => {
    const expected = {
      '/dynamic/error-and-extra': 'the producer reported: quota exceeded for this role',
      '/dynamic/value-null': 'the reply holds no credentials',
      '/dynamic/value-empty': 'the reply holds no credentials',
      '/dynamic/value-empty-object': 'the reply holds no credentials',
      '/dynamic/value-blank-fields': 'the reply holds no credentials',
      '/dynamic/empty-object': 'the reply holds no credentials',
    };
    for (const [name, problem] of Object.entries(expected)) {
      const error = assertCleanFailure(await dynamicStep({ name }));
      assert.equal(error, `Akeyless could not produce the dynamic secret '${name}': ${problem}. No variable was set.`);
    }
  });

  it('an error text that quotes the generated password is printed only after the reply is registered', async () => {
    const step = await dynamicStep({ name: '/dynamic/error-quotes-password' });
    const error = assertCleanFailure(step);
    assert.equal(
      error,
      "Akeyless could not produce the dynamic secret '/dynamic/error-quotes-password': the producer reported: could not grant ***: password *** rejected by policy. No variable was set.",
    );
    const names = step.commands.map((c) => c.name);
    const registered = step.commands.findIndex((c) => c.name === 'task.setsecret' && c.data === 'Gen3rated-Pw-6d1f0a');
    assert.ok(registered >= 0 && registered < names.indexOf('task.logissue'));
  });

  it('malformed JSON fails without quoting the body', async () => {
    server.inject({ operation: '/get-dynamic-secret-value', malformed: true });
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat' }));
    assert.match(error, /get-dynamic-secret-value with HTTP 200, but the reply is not valid JSON\.$/);
  });

  it('an unknown name fails with the server text', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/nope' }));
    assert.match(error, /HTTP 404: item not found: \/dynamic\/nope\.$/);
  });
});

describe('dynamic secret: request fields on the wire', () => {
  it('splits args on commas and line breaks into a string array', async () => {
    assertSucceeded(await dynamicStep({
      name: '/dynamic/db/flat', args: 'common_name=myapp.example.com, alt_names=a.example=b\nttl=30,',
    }));
    assert.deepEqual(lastRequest().body.args, ['common_name=myapp.example.com', 'alt_names=a.example=b', 'ttl=30']);
  });

  it('sends target and host as strings and timeout as a number; default timeout 15', async () => {
    assertSucceeded(await dynamicStep({ name: '/dynamic/db/flat', target: 'pg-prod-target', host: 'db1.internal' }));
    const { body } = lastRequest();
    assert.equal(body.target, 'pg-prod-target');
    assert.equal(body.host, 'db1.internal');
    assert.equal(body.timeout, 15);
    assert.equal('args' in body, false);
  });

  it('rejects args entries that are not key=value, naming the entry by its position only', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat', args: 'ok=1,password Hunter2-arg' }));
    assert.match(error, /^The input 'args' is not valid: entry 2 has no '='.*e\.g\. common_name=myapp\.example\.com$/);
    assert.ok(!error.includes('Hunter2-arg'), error);
  });

  it('rejects a timeout that is not whole seconds from 1 to 600', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat', timeout: '90s' }));
    assert.match(error, /^The input 'timeout' is not valid: it is '90s'/);
  });

  it('waits for a producer slower than the default HTTP limit when its timeout allows', async () => {
    server.inject({ operation: '/get-dynamic-secret-value', delayMs: 500 });
    assertSucceeded(await dynamicStep({ name: '/dynamic/db/flat', timeout: '1' }));
  });
});

describe('dynamic secret: fields', () => {
  it('exports the named fields as secret output and job variables', async () => {
    const pipeline = await loggedIn();
    const step = await dynamicStep({
      name: '/dynamic/postgres/credentials',
      fields: 'username=secret.displayName,password=secret.secretText\nkey_id=id.secret_key_id',
    }, pipeline);
    assertSucceeded(step);
    assert.deepEqual(step.variables['Dyn.password'], { value: ENTRA_APP_SECRET.secret.secretText, secret: true, output: true });
    assert.deepEqual(step.variables.password, { value: ENTRA_APP_SECRET.secret.secretText, secret: true, output: false });
    assert.equal(pipeline.expand('$(username)'), 'tmp.p-abcd.XyZ12');
    assert.equal(pipeline.expand('$(Dyn.key_id)'), '9b0f6c1e-0d55-4a7e-b2f1-3c9e7a1d4b20');
    assert.ok(step.variables['Dyn.dynamicSecretValue']);
  });

  it('delivers a multi-line field base64-encoded with its marker', async () => {
    const pipeline = await loggedIn();
    const step = await dynamicStep({ name: '/dynamic/tls', fields: 'tls_key=private_key' }, pipeline);
    assertSucceeded(step);
    assert.equal(Buffer.from(pipeline.expand('$(Dyn.tls_key)'), 'base64').toString('utf8'), TLS_MATERIAL.private_key);
    assert.equal(pipeline.expand('$(tls_key_ENCODING)'), 'base64');
  });

  it('a missing field fails naming the path and the keys at that level, never values', async () => {
    const step = await dynamicStep({ name: '/dynamic/postgres/credentials', fields: 'u=secret.username' });
    const error = assertCleanFailure(step);
    assert.equal(
      error,
      "The field 'secret.username' (entry 1 of 'fields') does not exist in the reply: under 'secret' the keys are appId, displayName, endDateTime, keyId, secretText, tenantId. No variable was set.",
    );
  });

  it('a path through a plain string fails saying it is a string', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/postgres/credentials', fields: 'm=msg.text' }));
    assert.match(error, /under 'msg' is a string, which has no keys/);
  });

  it('a malformed fields list fails naming the entry', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat', fields: 'user=user,pass word=password' }));
    assert.match(error, /^The input 'fields' is not valid: entry 2 \('pass word=password'\) has the character ' '.*VARIABLE=json\.path/);
  });

  it('an empty key in a field path fails', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat', fields: 'u=secret..x' }));
    assert.match(error, /entry 1 \('u=secret\.\.x'\) has an empty key in its path/);
  });

  it('a field named like the task output fails', async () => {
    const error = assertCleanFailure(await dynamicStep({ name: '/dynamic/db/flat', fields: 'dynamicSecretValue=user' }));
    assert.match(error, /sets 'dynamicSecretValue', the task's own output variable/);
  });
});
