'use strict';
/**
 * `npm start`: runs the SPEC's pipeline steps that exist so far through the agent emulator
 * against the bundled Akeyless-compatible server on loopback, and prints the log the way the
 * agent would show it (secrets masked), ending with what each step produced.
 */

const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');

const ACCESS_ID = 'p-demo00000001a1';
const JWT_ACCESS_ID = 'p-demo000001o1';
const ACCESS_KEY = 'demo-access-key-Zx8vT2kq0LrP4sW9';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.ZGVtby1zaWduYXR1cmU';

const STEPS = [
  {
    title: 'SPEC example 1: API key',
    step: {
      task: 'akeyless-auth@0',
      name: 'AkeylessAuth',
      inputs: { connectedServiceName: 'mge_prod', 'access-key': '${{ variables.AKEYLESS_ACCESS_KEY }}' },
    },
  },
  {
    title: 'SPEC example 2: JWT',
    step: {
      task: 'akeyless-auth@0',
      name: 'AkeylessAuth',
      inputs: { connectedServiceName: 'mge_prod_jwt', jwt: '$(ENTRA_JWT)' },
    },
  },
];

async function main() {
  const server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
  }).start();
  const pipeline = new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
    connections: {
      mge_prod: { url: server.url, accessId: ACCESS_ID },
      mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID },
    },
  });
  let failed = false;
  try {
    for (const { title, step } of STEPS) {
      console.log(`##[section]Starting: ${title} (${step.task}, name: ${step.name})`);
      const result = await pipeline.run(step);
      for (const line of result.log) console.log(line);
      console.log(`##[section]Finishing: ${title}: ${result.result}`);
      for (const [name, { secret }] of Object.entries(result.variables)) {
        console.log(`  sets $(${name})${secret ? ' (secret: shown as ***)' : ''}`);
      }
      console.log('');
      failed ||= result.result !== 'Succeeded';
    }
  } finally {
    await server.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
