'use strict';
// Reference only: akeyless-get-secrets-value-task written the conventional way, with
// azure-pipelines-task-lib and the akeyless SDK.
const tl = require('azure-pipelines-task-lib/task');
const akeyless = require('akeyless');

async function main() {
  const connection = tl.getInput('connectedServiceName', true);
  const api = new akeyless.V2Api(Object.assign(new akeyless.ApiClient(), {
    basePath: tl.getEndpointUrl(connection, false).replace(/\/+$/, ''),
  }));
  const entries = tl.getInput('secretsPaths', true).split(/[,\r\n]+/).map((e) => e.trim()).filter(Boolean)
    .map((entry) => entry.split('=', 2).map((part) => part.trim()));
  const values = await api.getSecretValue(akeyless.GetSecretValue.constructFromObject({
    names: [...new Set(entries.map(([, secretPath]) => secretPath))],
    token: tl.getInput('token', true),
  }));
  for (const [name, secretPath] of entries) {
    tl.setVariable(name, values[secretPath], true, true);
    tl.setVariable(name, values[secretPath], true);
  }
  tl.setResult(tl.TaskResult.Succeeded, `Fetched ${entries.length} secrets`);
}

main().catch((error) => tl.setResult(tl.TaskResult.Failed, `Fetch failed: ${error.status || error.message}`));
