'use strict';
/**
 * SPEC section 9, short-lived certificates, judged by the outside tools: the loopback server's
 * issuers sign with a real OpenSSH CA (`ssh-keygen -s`) and a real X.509 CA (`openssl`), and
 * the tests check what the tasks wrote with `ssh-keygen -y` / `-L` and `openssl verify` /
 * `pkey` / `x509`: each key type of each task, a supplied public key (text and file), a
 * supplied CSR, every failure ending cleanly with nothing written, and the files gone after
 * the post-job step. The leak check covers every run, the private keys' lines included.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it, before, after } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { CertificateAuthorities, run } = require('./support/certificate-authority');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');

const ACCESS_ID = 'p-certsabcd1a2';
const ACCESS_KEY = 'certificates-access-key-4e1b9c';

let server;
let authorities;

before(async () => {
  authorities = new CertificateAuthorities();
  server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY },
    certificates: { authorities, sshIssuers: ['/ssh/issuer'], pkiIssuers: ['/pki/issuer'] },
  }).start();
});

after(async () => {
  await server.stop();
  authorities.remove();
});

function pipeline() {
  return new Pipeline({
    connections: { conn: { url: server.url, accessId: ACCESS_ID, accessKey: ACCESS_KEY } },
    secrets: server.leakCheckSecrets,
  });
}

const sshStep = (inputs) => ({
  task: 'akeyless-get-ssh-certificate@0',
  name: 'Ssh',
  inputs: { connectedServiceName: 'conn', certIssuerName: '/ssh/issuer', certUsername: 'deploy, ubuntu', ...inputs },
});
const pkiStep = (inputs) => ({
  task: 'akeyless-get-pki-certificate@0',
  name: 'Pki',
  inputs: { connectedServiceName: 'conn', certIssuerName: '/pki/issuer', ...inputs },
});

/** The directories the certificate tasks made for their files (run summaries aside). */
function madeDirectories(pipe) {
  return fs.readdirSync(pipe.tempDirectory)
    .filter((name) => name.startsWith('akeyless-') && !name.startsWith('akeyless-summary-'));
}

function mode(file) {
  return fs.statSync(file).mode & 0o777;
}

/** The private key was registered before the step printed anything else. */
function assertRegisteredFirst(step, privateKeyText) {
  const firstLine = privateKeyText.split('\n').find((line) => line && !line.startsWith('-----'));
  const registered = step.commands.findIndex((c) => c.name === 'task.setsecret' && c.data === firstLine);
  assert.ok(registered >= 0, 'a line of the private key is registered');
  const firstPrinted = step.lines.findIndex((line) => !line.startsWith('##vso['));
  const registeredAt = step.lines.findIndex((line) => line === `##vso[task.setsecret]${firstLine}`);
  assert.ok(registeredAt < firstPrinted, 'registered before anything is printed');
}

describe('SSH certificates', () => {
  for (const [keyType, stem] of [['ed25519', 'id_ed25519'], ['ecdsa-p256', 'id_ecdsa']]) {
    it(`a generated ${keyType} key: ssh-keygen derives the key sent, and the certificate has the principals and validity asked for`, async () => {
      const pipe = pipeline();
      const step = await pipe.run(sshStep({ keyType, ttl: '600' }));
      assertSucceeded(step);
      const privateKeyPath = step.variables['Ssh.privateKeyPath'].value;
      const publicKeyPath = step.variables['Ssh.publicKeyPath'].value;
      const certificatePath = step.variables['Ssh.certificatePath'].value;
      const directory = path.dirname(privateKeyPath);
      assert.equal(path.basename(privateKeyPath), stem);
      assert.equal(publicKeyPath, `${privateKeyPath}.pub`);
      assert.equal(certificatePath, `${privateKeyPath}-cert.pub`);
      assert.equal(mode(directory), 0o700);
      assert.equal(mode(privateKeyPath), 0o600);
      const sent = server.issued.at(-1).body['public-key-data'];
      const derived = run('ssh-keygen', ['-y', '-f', privateKeyPath]).trim();
      const typeAndKey = (line) => line.split(' ').slice(0, 2).join(' ');
      assert.equal(typeAndKey(derived), typeAndKey(sent), 'the written private key is the one whose public key was sent');
      const listing = run('ssh-keygen', ['-L', '-f', certificatePath]);
      assert.match(listing, new RegExp(`Type: .*${keyType === 'ed25519' ? 'ssh-ed25519' : 'ecdsa-sha2-nistp256'}-cert-v01@openssh.com user certificate`));
      assert.match(listing, /Principals: \n\s+deploy\n\s+ubuntu\n/);
      const [, from, to] = /Valid: from (\S+) to (\S+)/.exec(listing);
      assert.equal((Date.parse(`${to}Z`) - Date.parse(`${from}Z`)) / 1000, 600 + 60, 'ttl seconds after a minute of clock skew');
      const caFingerprint = run('ssh-keygen', ['-l', '-f', `${authorities.sshCaKey}.pub`]).split(' ')[1];
      assert.match(listing, new RegExp(`Signing CA: ED25519 ${caFingerprint.replace(/[+/]/g, '\\$&')}`));
      assert.equal(step.variables['Ssh.certificate'].value, fs.readFileSync(certificatePath, 'utf8').trim());
      assertRegisteredFirst(step, fs.readFileSync(privateKeyPath, 'utf8'));
      const [postJob] = await pipe.runPostJobSteps();
      assertSucceeded(postJob);
      assert.ok(!fs.existsSync(directory), 'the files are gone after the job');
    });
  }

  it('a supplied public key, as text or as a .pub file, is certified and no private key is written', async () => {
    const keyFile = authorities.scratch('supplied');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'supplied-key', '-f', keyFile]);
    const line = fs.readFileSync(`${keyFile}.pub`, 'utf8').trim();
    const fingerprint = run('ssh-keygen', ['-l', '-f', `${keyFile}.pub`]).split(' ')[1];
    for (const publicKey of [line, `${keyFile}.pub`]) {
      const step = await pipeline().run(sshStep({ publicKey }));
      assertSucceeded(step);
      assert.equal(step.variables['Ssh.privateKeyPath'], undefined);
      assert.equal(server.issued.at(-1).body['public-key-data'], line);
      const listing = run('ssh-keygen', ['-L', '-f', step.variables['Ssh.certificatePath'].value]);
      assert.ok(listing.includes(`Public key: ED25519-CERT ${fingerprint}`), listing);
      assert.ok(!fs.existsSync(path.join(path.dirname(step.variables['Ssh.certificatePath'].value), 'id_ed25519')));
    }
  });

  it('an unknown issuer, bad key text and a bad key type each fail cleanly with nothing written', async () => {
    for (const [inputs, message] of [
      [{ certIssuerName: '/ssh/no-such-issuer' }, /HTTP 404: issuer not found: \/ssh\/no-such-issuer\./],
      [{ publicKey: 'ssh-ed25519 this-is-not-a-key' }, /^The input 'publicKey' is not valid: its key is not valid base64\./],
      [{ keyType: 'dsa' }, /^The input 'keyType' is not valid: it is 'dsa'; use ed25519 or ecdsa-p256\./],
    ]) {
      const pipe = pipeline();
      const error = assertCleanFailure(await pipe.run(sshStep(inputs)));
      assert.match(error, message);
      assert.deepEqual(madeDirectories(pipe), []);
    }
  });
});

describe('PKI certificates', () => {
  for (const keyType of ['ec-p256', 'rsa-2048']) {
    it(`a generated ${keyType} key: openssl verifies the certificate against the chain, and key.pem matches it`, async () => {
      const pipe = pipeline();
      const step = await pipe.run(pkiStep({
        keyType, commonName: 'app.example.com', altNames: 'app.example.com\napi.example.com', ttl: '3600', extendedKeyUsage: 'clientauth,serverauth',
      }));
      assertSucceeded(step);
      const keyPath = step.variables['Pki.privateKeyPath'].value;
      const certPath = step.variables['Pki.certificatePath'].value;
      const chainPath = step.variables['Pki.chainPath'].value;
      const fullChainPath = step.variables['Pki.fullChainPath'].value;
      assert.deepEqual([keyPath, certPath, chainPath, fullChainPath].map((p) => path.basename(p)), ['key.pem', 'cert.pem', 'chain.pem', 'fullchain.pem']);
      assert.equal(mode(keyPath), 0o600);
      assert.equal(mode(path.dirname(keyPath)), 0o700);
      assert.equal(run('openssl', ['verify', '-CAfile', chainPath, certPath]).trim(), `${certPath}: OK`);
      const certKey = run('openssl', ['x509', '-noout', '-pubkey', '-in', certPath]);
      const ourKey = run('openssl', ['pkey', '-pubout', '-in', keyPath]);
      assert.equal(certKey, ourKey, 'the key in key.pem is the certificate\'s');
      assert.match(fs.readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/, 'PKCS#8');
      const text = run('openssl', ['x509', '-noout', '-text', '-in', certPath]);
      assert.match(text, /DNS:app\.example\.com, DNS:api\.example\.com/);
      assert.match(text, /TLS Web Client Authentication, TLS Web Server Authentication/);
      assert.equal(fs.readFileSync(fullChainPath, 'utf8'), fs.readFileSync(certPath, 'utf8') + fs.readFileSync(chainPath, 'utf8'));
      const sent = server.issued.at(-1).body;
      assert.equal(sent.ttl, '3600');
      assert.equal(Buffer.from(sent['key-data-base64'], 'base64').toString('base64'), sent['key-data-base64']);
      assertRegisteredFirst(step, fs.readFileSync(keyPath, 'utf8'));
      await pipe.runPostJobSteps();
      assert.ok(!fs.existsSync(path.dirname(keyPath)));
    });
  }

  it('a supplied CSR is sent instead of a key; the certificate carries the CSR\'s key and no key.pem is written', async () => {
    const keyFile = authorities.scratch('csr.key');
    const csrFile = authorities.scratch('request.csr');
    run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-subj', '/CN=from-csr.example.com', '-out', csrFile]);
    for (const csr of [fs.readFileSync(csrFile, 'utf8'), csrFile]) {
      const step = await pipeline().run(pkiStep({ csr }));
      assertSucceeded(step);
      assert.equal(step.variables['Pki.privateKeyPath'], undefined);
      const certPath = step.variables['Pki.certificatePath'].value;
      assert.equal(run('openssl', ['x509', '-noout', '-pubkey', '-in', certPath]), run('openssl', ['pkey', '-pubout', '-in', keyFile]));
      assert.match(run('openssl', ['x509', '-noout', '-subject', '-in', certPath]), /CN\s*=\s*from-csr\.example\.com/);
      assert.equal(server.issued.at(-1).body['key-data-base64'], undefined);
    }
  });

  it('an unknown issuer, a bad key type and a bad CSR each fail cleanly with nothing written', async () => {
    for (const [inputs, message] of [
      [{ certIssuerName: '/pki/no-such-issuer' }, /HTTP 404: issuer not found: \/pki\/no-such-issuer\./],
      [{ keyType: 'rsa-1024' }, /^The input 'keyType' is not valid: it is 'rsa-1024'; use ec-p256, rsa-2048, rsa-4096\./],
      [{ csr: '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----' }, /HTTP 400: failed to issue the certificate: invalid key or CSR\./],
      [{ csr: 'not a request at all' }, /^The input 'csr' is not valid: the file not a request at all could not be read \(ENOENT\)\./],
    ]) {
      const pipe = pipeline();
      const step = await pipe.run(pkiStep(inputs));
      assert.match(assertCleanFailure(step), message);
      assert.deepEqual(madeDirectories(pipe), []);
    }
  });
});
