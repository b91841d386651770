'use strict';
/**
 * The pipeline steps of SPEC section 1, verbatim, for the tests and the demo. Only the
 * connections' URLs and the secret values are the tests' own.
 */

const assert = require('node:assert/strict');
const { Pipeline } = require('./agent');

/** Example 1: API key + static secrets. */
const EXAMPLE_1 = [
  {
    task: 'akeyless-auth@0',
    name: 'AkeylessAuth',
    inputs: {
      connectedServiceName: 'mge_prod',
      'access-key': '${{ variables.AKEYLESS_ACCESS_KEY }}',
    },
  },
  {
    task: 'akeyless-get-secrets-value-task@0',
    name: 'Fetch',
    inputs: {
      connectedServiceName: 'mge_prod',
      token: '$(AkeylessAuth.akeylessToken)',
      secretsPaths: 'api_key=/ai/agent/api-key,model_id=/ai/agent/model-id,endpoint_config=/ai/agent/config/endpoint',
    },
  },
];

/** Example 2: JWT (obtained by an earlier step) + static secrets. */
const EXAMPLE_2 = [
  {
    task: 'akeyless-auth@0',
    name: 'AkeylessAuth',
    inputs: {
      connectedServiceName: 'mge_prod_jwt',
      jwt: '$(ENTRA_JWT)',
    },
  },
];

/** Example 3: dynamic secret; the script reads .secret.displayName, .secret.secretText, .ttl_in_minutes. */
const EXAMPLE_3 = [
  {
    task: 'akeyless-get-dynamic-secret-value-task@0',
    name: 'DbDynamicSecret',
    inputs: {
      connectedServiceName: 'mge_prod',
      token: '$(AkeylessAuth.akeylessToken)',
      name: '/dynamic/postgres/credentials',
      timeout: 30,
    },
  },
];

/** Example 4: rotated secret; the script reads .value.username and .value.password. */
const EXAMPLE_4 = [
  {
    task: 'akeyless-get-rotated-secret-value-task@0',
    name: 'DbRotatedSecret',
    inputs: {
      connectedServiceName: 'mge_prod',
      token: '$(AkeylessAuth.akeylessToken)',
      name: '/rotated/pgsql/password',
    },
  },
];

/**
 * A pipeline with the connection `mge_prod` to `server`, whose example 1 auth step has run,
 * so later steps can use `$(AkeylessAuth.akeylessToken)`. Every value the server holds is
 * checked to stay out of the log.
 */
async function loggedInPipeline(server, accessId, accessKey) {
  const pipeline = new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: accessKey },
    connections: { mge_prod: { url: server.url, accessId } },
    secrets: server.leakCheckSecrets,
  });
  const login = await pipeline.run(EXAMPLE_1[0]);
  assert.equal(login.result, 'Succeeded', JSON.stringify(login.issues));
  return pipeline;
}

module.exports = { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4, loggedInPipeline };
