'use strict';
/**
 * `npm start`: runs the four SPEC pipelines, a job that leaves nothing behind (a token
 * revoked, dynamic credentials deleted and a secret file removed by the post-job steps), and
 * a job that issues an SSH and an X.509 certificate for keys made on the agent, through the
 * agent emulator, and prints the log as the agent would show it (secrets masked), ending
 * with what each step produced.
 *
 * With no configuration it starts the bundled Akeyless-compatible server on loopback with
 * sample secrets. With `AKEYLESS_URL`, `AKEYLESS_ACCESS_ID` and `AKEYLESS_ACCESS_KEY` set it
 * runs the same steps against that Akeyless endpoint instead (the SPEC's paths must exist
 * there); example 2 also needs `AKEYLESS_JWT_ACCESS_ID` and `AKEYLESS_JWT`, and the
 * certificates job `AKEYLESS_SSH_ISSUER` and `AKEYLESS_PKI_ISSUER`; each is skipped without
 * them. The bundled server's issuers sign with real CAs made by ssh-keygen and openssl.
 * Exits 1 if any step failed.
 */

const { AkeylessServer } = require('./support/akeyless-server');
const { CertificateAuthorities } = require('./support/certificate-authority');
const { Pipeline } = require('./support/agent');
const { EXAMPLE_1, EXAMPLE_2, EXAMPLE_3, EXAMPLE_4 } = require('./support/spec-examples');

const SAMPLE = {
  accessId: 'p-demo00000001a1',
  accessKey: 'demo-access-key-Zx8vT2kq0LrP4sW9',
  jwtAccessId: 'p-demo000001o1',
  jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.ZGVtby1zaWduYXR1cmU',
};
const SAMPLE_DATA = {
  secrets: {
    '/ai/agent/api-key': 'sk-demo-3b8e1f0a9c2d4e67',
    '/ai/agent/model-id': 'model-demo-2031',
    '/ai/agent/config/endpoint': 'https://inference.demo.example/v1',
  },
  dynamicSecrets: {
    '/dynamic/postgres/credentials': {
      id: '{"secret_name":"tmp.p-demo.AbCdE","secret_key_id":"3f1c0d2e-demo"}',
      secret: { displayName: 'tmp.p-demo.AbCdE', secretText: 'demo-secret-text-9a7c0e2d' },
      ttl_in_minutes: '60',
    },
  },
  rotatedSecrets: {
    '/rotated/pgsql/password': { username: 'demo_app_user', password: 'demo-rotated-pw-5b1e' },
  },
};

const [AUTH_STEP] = EXAMPLE_1;
/** SPEC section 8: the same steps with every clean-up asked for, and a secret as a file. */
const JOB_END = [
  { ...AUTH_STEP, inputs: { ...AUTH_STEP.inputs, revokeTokenAtJobEnd: 'true' } },
  { ...EXAMPLE_3[0], inputs: { ...EXAMPLE_3[0].inputs, revokeAtJobEnd: 'true' } },
  {
    ...EXAMPLE_1[1],
    inputs: { ...EXAMPLE_1[1].inputs, secretsPaths: 'file:api_key_file=/ai/agent/api-key,model_id=/ai/agent/model-id' },
  },
];
/** SPEC section 9: an SSH certificate and an X.509 client certificate, keys made on the agent. */
const CERTIFICATES = (where) => [
  AUTH_STEP,
  {
    task: 'akeyless-get-ssh-certificate@0',
    name: 'SshCertificate',
    inputs: { connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', certIssuerName: where.sshIssuer, certUsername: 'deploy', ttl: '600' },
  },
  {
    task: 'akeyless-get-pki-certificate@0',
    name: 'ClientCertificate',
    inputs: {
      connectedServiceName: 'mge_prod', token: '$(AkeylessAuth.akeylessToken)', certIssuerName: where.pkiIssuer, commonName: 'deploy-agent', extendedKeyUsage: 'clientauth', ttl: '3600',
    },
  },
];
const RUNS = [
  { title: 'SPEC example 1: API key + static secrets', steps: EXAMPLE_1 },
  { title: 'SPEC example 2: JWT', steps: EXAMPLE_2, needsJwt: true },
  { title: 'SPEC example 3: dynamic secret', steps: [AUTH_STEP, ...EXAMPLE_3] },
  { title: 'SPEC example 4: rotated secret', steps: [AUTH_STEP, ...EXAMPLE_4] },
  { title: 'Nothing outlives the job: post-job steps revoke, delete and remove', steps: JOB_END },
  { title: 'Short-lived certificates: SSH and X.509, keys made on the agent', steps: CERTIFICATES, needsIssuers: true },
];

/** Where to run: a real endpoint from the environment, or the bundled server. */
async function target() {
  const env = process.env;
  if (env.AKEYLESS_URL) {
    if (!env.AKEYLESS_ACCESS_ID || !env.AKEYLESS_ACCESS_KEY) {
      throw new Error('AKEYLESS_URL is set: also set AKEYLESS_ACCESS_ID and AKEYLESS_ACCESS_KEY.');
    }
    console.log(`Running against ${env.AKEYLESS_URL}.\n`);
    return {
      url: env.AKEYLESS_URL,
      accessId: env.AKEYLESS_ACCESS_ID,
      accessKey: env.AKEYLESS_ACCESS_KEY,
      jwtAccessId: env.AKEYLESS_JWT_ACCESS_ID,
      jwt: env.AKEYLESS_JWT,
      sshIssuer: env.AKEYLESS_SSH_ISSUER,
      pkiIssuer: env.AKEYLESS_PKI_ISSUER,
      stop: async () => {},
    };
  }
  const authorities = new CertificateAuthorities();
  const server = await new AkeylessServer({
    accessKeys: { [SAMPLE.accessId]: SAMPLE.accessKey },
    jwts: { [SAMPLE.jwtAccessId]: [SAMPLE.jwt] },
    certificates: { authorities, sshIssuers: ['/ssh/deploy-issuer'], pkiIssuers: ['/pki/client-issuer'] },
    ...SAMPLE_DATA,
  }).start();
  console.log(`Running against the bundled Akeyless-compatible server at ${server.url}.\n`);
  return {
    ...SAMPLE,
    url: server.url,
    sshIssuer: '/ssh/deploy-issuer',
    pkiIssuer: '/pki/client-issuer',
    stop: async () => {
      await server.stop();
      authorities.remove();
    },
  };
}

async function runPipeline({ title, steps: stepsOf }, where) {
  const steps = typeof stepsOf === 'function' ? stepsOf(where) : stepsOf;
  console.log(`=== ${title} ===`);
  const pipeline = new Pipeline({
    secretVariables: { AKEYLESS_ACCESS_KEY: where.accessKey, ENTRA_JWT: where.jwt ?? '' },
    connections: {
      mge_prod: { url: where.url, accessId: where.accessId },
      mge_prod_jwt: { url: where.url, accessId: where.jwtAccessId ?? '' },
    },
  });
  const { steps: results, postJobSteps } = await pipeline.runJob(steps);
  for (const [index, result] of [...results, ...postJobSteps].entries()) {
    const step = steps[index];
    console.log(`##[section]Starting: ${result.name}${step ? ` (${step.task})` : ''}`);
    for (const line of result.log) console.log(line);
    console.log(`##[section]Finishing: ${result.name}: ${result.result}`);
    for (const [name, { secret }] of Object.entries(result.variables)) {
      console.log(`  sets $(${name})${secret ? ' (secret: shown as ***)' : ''}`);
    }
    for (const { name, markdown } of result.summaries) {
      console.log(`  attaches the run summary "${name}":`);
      for (const line of markdown.trimEnd().split('\n')) console.log(`    ${line}`);
    }
  }
  console.log('');
  return [...results, ...postJobSteps].every((result) => result.result === 'Succeeded')
    && results.length === steps.length;
}

async function main() {
  const where = await target();
  let failed = 0;
  try {
    for (const run of RUNS) {
      if (run.needsJwt && !(where.jwt && where.jwtAccessId)) {
        console.log(`=== ${run.title} === skipped: set AKEYLESS_JWT_ACCESS_ID and AKEYLESS_JWT to run it.\n`);
        continue;
      }
      if (run.needsIssuers && !(where.sshIssuer && where.pkiIssuer)) {
        console.log(`=== ${run.title} === skipped: set AKEYLESS_SSH_ISSUER and AKEYLESS_PKI_ISSUER to run it.\n`);
        continue;
      }
      if (!await runPipeline(run, where)) failed += 1;
    }
  } finally {
    await where.stop();
  }
  console.log(failed === 0 ? 'Every step succeeded.' : `${failed} pipeline(s) failed.`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
