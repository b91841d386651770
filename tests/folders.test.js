'use strict';
/**
 * SPEC section 10, whole folders in `secretsPaths`, through the agent emulator against the
 * loopback server (pages of two items, so every listing needs several): `*` and `**`, an empty
 * prefix, entries mixed with plain ones and with `file:`, collisions, an empty folder, a
 * refused listing, odd item names, and one batched value request per chunk, never one per
 * item. The leak check covers every run.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');
const { loggedInPipeline } = require('./support/spec-examples');

const ACCESS_ID = 'p-folderabcd1a2';
const ACCESS_KEY = 'folders-access-key-8d2c4e';

const SECRETS = {
  '/prod/db/password': 'folder-db-password-71c3',
  '/prod/db/user': 'folder-db-user-2a9e',
  '/prod/db/pg/password': 'folder-pg-password-5d10',
  '/prod/db/pg/replica/url': 'postgres://replica.folder.example:5432',
  '/prod/app/api-key': 'folder-app-api-key-9b4f',
  '/prod/app/my key é.v2': 'folder-odd-name-value-33',
  '/prod/keys/deploy': '-----BEGIN OPENSSH PRIVATE KEY-----\nfolder-key-line-6e2a\n-----END OPENSSH PRIVATE KEY-----\n',
  '/prod/clash/a-b': 'folder-clash-one-11',
  '/prod/clash/A_B': 'folder-clash-two-22',
  '/prod/odd/.hidden': 'folder-hidden-value-44',
  '/other/plain': 'folder-plain-value-55',
};

let server;

before(async () => {
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    secrets: SECRETS,
    dynamicSecrets: { '/prod/db/dynamic-creds': { user: 'tmp_folder', password: 'folder-dyn-pw-66' }, '/prod/only-dynamic/creds': { user: 'u', password: 'folder-dyn-pw-77' } },
    rotatedSecrets: { '/prod/app/rotated': { username: 'app', password: 'folder-rot-pw-88' } },
    listPageSize: 2,
  }).start();
});

after(() => server.stop());

async function fetchFolders(secretsPaths) {
  const pipeline = await loggedInPipeline(server, ACCESS_ID, ACCESS_KEY);
  const step = await pipeline.run({
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', secretsPaths },
  });
  return { pipeline, step };
}

/** The requests made during `body` to `operation`. */
async function requestsDuring(operation, body) {
  const before = server.requestsTo(operation).length;
  const result = await body();
  return { result, requests: server.requestsTo(operation).slice(before) };
}

describe('folders in secretsPaths', () => {
  it('/** fetches every static secret below the folder, following every page, in one batched value request', async () => {
    const listing = await requestsDuring('/list-items', async () => requestsDuring('/get-secret-value', () => fetchFolders('db_*=/prod/db/**')));
    const { result: { result: { step, pipeline }, requests: valueRequests }, requests: listRequests } = listing;
    assertSucceeded(step);
    assert.equal(pipeline.expand('$(Fetch.db_password)'), SECRETS['/prod/db/password']);
    assert.equal(pipeline.expand('$(db_user)'), SECRETS['/prod/db/user']);
    assert.equal(pipeline.expand('$(db_pg_password)'), SECRETS['/prod/db/pg/password']);
    assert.equal(pipeline.expand('$(db_pg_replica_url)'), SECRETS['/prod/db/pg/replica/url']);
    assert.ok(listRequests.length >= 3, 'pages of two items');
    assert.equal(listRequests[0].body['current-folder'], undefined);
    assert.equal(listRequests[1].body['pagination-token'], 'page-2');
    assert.equal(valueRequests.length, 1, 'one batched request, never one per item');
    assert.equal(valueRequests[0].body.names.length, 4);
    assert.ok(step.log.includes('Not fetched, as they are not static secrets: /prod/db/dynamic-creds (DYNAMIC_SECRET).'));
  });

  it('/* with an empty prefix takes only the items directly in the folder, odd names mapped to _', async () => {
    const { result: { step, pipeline }, requests } = await requestsDuring('/list-items', () => fetchFolders('*=/prod/app/*'));
    assertSucceeded(step);
    assert.equal(requests[0].body['current-folder'], true);
    assert.equal(pipeline.expand('$(api_key)'), SECRETS['/prod/app/api-key']);
    assert.equal(pipeline.expand('$(my_key__.v2)'), SECRETS['/prod/app/my key é.v2']);
    assert.ok(step.log.includes('Not fetched, as they are not static secrets: /prod/app/rotated (ROTATED_SECRET).'));
  });

  it('mixes with plain entries and with file:, one file per item', async () => {
    const { step, pipeline } = await fetchFolders('plain=/other/plain\nfile:key_*=/prod/keys/*\napp_*=/prod/app/*');
    assertSucceeded(step);
    assert.equal(pipeline.expand('$(plain)'), SECRETS['/other/plain']);
    assert.equal(pipeline.expand('$(app_api_key)'), SECRETS['/prod/app/api-key']);
    const keyPath = pipeline.expand('$(Fetch.key_deploy)');
    assert.equal(fs.readFileSync(keyPath, 'utf8'), SECRETS['/prod/keys/deploy']);
    await pipeline.runPostJobSteps();
    assert.ok(!fs.existsSync(keyPath));
  });

  it('two items that map to one name, or an item and a plain entry, fail naming both paths', async () => {
    let error = assertCleanFailure((await fetchFolders('*=/prod/clash/*')).step);
    assert.match(error, /The item \/prod\/clash\/(A_B|a-b) of \/prod\/clash\/\* maps to the variable '(A_B|a_b)', but \/prod\/clash\/(a-b|A_B) already sets/);
    error = assertCleanFailure((await fetchFolders('api_key=/other/plain,*=/prod/app/*')).step);
    assert.match(error, /The item \/prod\/app\/api-key of \/prod\/app\/\* maps to the variable 'api_key', but \/other\/plain already sets 'api_key'/);
  });

  it('a folder without static secrets fails naming it, and nothing is set', async () => {
    let error = assertCleanFailure((await fetchFolders('*=/prod/nothing-here/*')).step);
    assert.match(error, /^The folder \/prod\/nothing-here \(entry 1 of 'secretsPaths', \/prod\/nothing-here\/\*\) holds no static secret\./);
    error = assertCleanFailure((await fetchFolders('x=/other/plain\n*=/prod/only-dynamic/**')).step);
    assert.match(error, /^The folder \/prod\/only-dynamic \(entry 2 of 'secretsPaths'/);
  });

  it('a refused listing fails with the server text and nothing is set', async () => {
    server.inject({ operation: '/list-items', status: 403, body: { error: 'Unauthorized: missing list permission on /prod/db' } });
    const error = assertCleanFailure((await fetchFolders('db_*=/prod/db/**')).step);
    assert.match(error, /list-items with HTTP 403: Unauthorized: missing list permission on \/prod\/db\. Check that the auth method's access role may read this item\./);
  });

  it('an item whose name is no usable variable name fails naming it', async () => {
    const error = assertCleanFailure((await fetchFolders('*=/prod/odd/*')).step);
    assert.match(error, /^The item \/prod\/odd\/\.hidden of \/prod\/odd\/\* maps to the variable name '\.hidden', which cannot be used/);
  });
});
