'use strict';
// Reference only (see bench/README in the main README): akeyless-auth written the
// conventional way, with azure-pipelines-task-lib and the akeyless SDK.
const tl = require('azure-pipelines-task-lib/task');
const akeyless = require('akeyless');

async function main() {
  const connection = tl.getInput('connectedServiceName', true);
  const api = new akeyless.V2Api(Object.assign(new akeyless.ApiClient(), {
    basePath: tl.getEndpointUrl(connection, false).replace(/\/+$/, ''),
  }));
  const reply = await api.auth(akeyless.Auth.constructFromObject({
    'access-type': 'access_key',
    'access-id': tl.getEndpointDataParameter(connection, 'accessId', false),
    'access-key': tl.getInput('accessKey', true),
  }));
  tl.setVariable('akeylessToken', reply.token, true, true);
  tl.setResult(tl.TaskResult.Succeeded, 'Authenticated');
}

main().catch((error) => tl.setResult(tl.TaskResult.Failed, `Login failed: ${error.status || error.message}`));
