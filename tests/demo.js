'use strict';
/**
 * `npm start`: runs the SPEC's pipeline steps that exist so far through the agent emulator
 * against the bundled Akeyless-compatible server on loopback, and prints the log the way the
 * agent would show it (secrets masked), ending with what each step produced.
 */

const { AkeylessServer } = require('./support/akeyless-server');
const { Pipeline } = require('./support/agent');
const { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4 } = require('./support/spec-examples');

const ACCESS_ID = 'p-demo00000001a1';
const JWT_ACCESS_ID = 'p-demo000001o1';
const ACCESS_KEY = 'demo-access-key-Zx8vT2kq0LrP4sW9';
const ENTRA_JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.ZGVtby1zaWduYXR1cmU';
const SAMPLE_SECRETS = {
  '/ai/agent/api-key': 'sk-demo-3b8e1f0a9c2d4e67',
  '/ai/agent/model-id': 'model-demo-2031',
  '/ai/agent/config/endpoint': 'https://inference.demo.example/v1',
};

const SAMPLE_DYNAMIC_SECRETS = {
  '/dynamic/postgres/credentials': {
    id: '{"secret_name":"tmp.p-demo.AbCdE","secret_key_id":"3f1c0d2e-demo"}',
    secret: { displayName: 'tmp.p-demo.AbCdE', secretText: 'demo-secret-text-9a7c0e2d' },
    ttl_in_minutes: '60',
  },
};
const SAMPLE_ROTATED_SECRETS = {
  '/rotated/pgsql/password': { username: 'demo_app_user', password: 'demo-rotated-pw-5b1e' },
};

const [AUTH_STEP] = EXAMPLE_1;
const RUNS = [
  { title: 'SPEC example 1: API key + static secrets', steps: EXAMPLE_1 },
  { title: 'SPEC example 2: JWT', steps: EXAMPLE_2 },
  { title: 'SPEC example 3: dynamic secret', steps: [AUTH_STEP, ...EXAMPLE_3] },
  { title: 'SPEC example 4: rotated secret', steps: [AUTH_STEP, ...EXAMPLE_4] },
];

async function main() {
  const server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    jwts: { [JWT_ACCESS_ID]: [ENTRA_JWT] },
    secrets: SAMPLE_SECRETS,
    dynamicSecrets: SAMPLE_DYNAMIC_SECRETS,
    rotatedSecrets: SAMPLE_ROTATED_SECRETS,
  }).start();
  let failed = false;
  try {
    for (const { title, steps } of RUNS) {
      console.log(`=== ${title} ===`);
      const pipeline = new Pipeline({
        secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ENTRA_JWT },
        connections: {
          mge_prod: { url: server.url, accessId: ACCESS_ID },
          mge_prod_jwt: { url: server.gatewayUrl, accessId: JWT_ACCESS_ID },
        },
      });
      for (const step of steps) {
        console.log(`##[section]Starting: ${step.name} (${step.task})`);
        const result = await pipeline.run(step);
        for (const line of result.log) console.log(line);
        console.log(`##[section]Finishing: ${step.name}: ${result.result}`);
        for (const [name, { secret }] of Object.entries(result.variables)) {
          console.log(`  sets $(${name})${secret ? ' (secret: shown as ***)' : ''}`);
        }
        failed ||= result.result !== 'Succeeded';
      }
      console.log('');
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
