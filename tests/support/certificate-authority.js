'use strict';
/**
 * Real certificate authorities for the loopback Akeyless server's certificate issuers: an
 * OpenSSH CA that signs with `ssh-keygen -s`, and an X.509 CA made and run with `openssl`.
 * The tests then judge what the tasks wrote with the same outside tools.
 */

const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...options });
}

class CertificateAuthorities {
  constructor() {
    this.directory = fs.mkdtempSync(path.join(os.tmpdir(), 'test-ca-'));
    this.sshCaKey = path.join(this.directory, 'ssh_ca');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'akeyless-test-ssh-ca', '-f', this.sshCaKey]);
    this.sshCaPublicKey = fs.readFileSync(`${this.sshCaKey}.pub`, 'utf8').trim();
    this.x509CaKey = path.join(this.directory, 'ca.key');
    this.x509CaCert = path.join(this.directory, 'ca.pem');
    run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.x509CaKey,
      '-out', this.x509CaCert, '-subj', '/CN=Akeyless Test Issuing CA', '-days', '2',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    this.x509CaPem = fs.readFileSync(this.x509CaCert, 'utf8');
  }

  remove() {
    fs.rmSync(this.directory, { recursive: true, force: true });
  }

  scratch(name) {
    return path.join(this.directory, `${crypto.randomBytes(6).toString('hex')}-${name}`);
  }

  /** Signs an OpenSSH public key line for `principals` (comma-separated) for `ttl` seconds. */
  signSsh(publicKeyLine, principals, ttl) {
    const keyFile = this.scratch('key.pub');
    fs.writeFileSync(keyFile, `${publicKeyLine}\n`);
    run('ssh-keygen', ['-q', '-s', this.sshCaKey, '-I', 'akeyless-test', '-n', principals, '-V', `-1m:+${ttl}s`, keyFile]);
    return fs.readFileSync(keyFile.replace(/\.pub$/, '-cert.pub'), 'utf8').trim();
  }

  /**
   * Issues an X.509 certificate for a public key (DER SubjectPublicKeyInfo) or a CSR (DER),
   * signed by the test CA. `names` are the subject alternative names, `usages` the extended
   * key usages as OpenSSL names them.
   */
  issueX509({ spkiDer, csrDer, commonName, names = [], uris = [], usages = [], ttl }) {
    const extensions = this.scratch('ext.cnf');
    const sans = [...names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)), ...uris.map((u) => `URI:${u}`)];
    const lines = ['basicConstraints=CA:FALSE'];
    if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
    if (usages.length > 0) lines.push(`extendedKeyUsage=${usages.join(',')}`);
    fs.writeFileSync(extensions, `${lines.join('\n')}\n`);
    const days = String(Math.max(1, Math.ceil((ttl ?? 86400) / 86400)));
    const out = this.scratch('cert.pem');
    const csr = this.scratch('request.csr');
    const common = ['-CA', this.x509CaCert, '-CAkey', this.x509CaKey, '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`,
      '-days', days, '-extfile', extensions, '-out', out];
    if (csrDer) {
      fs.writeFileSync(csr, csrDer);
      run('openssl', ['x509', '-req', '-inform', 'DER', '-in', csr, ...common]);
    } else {
      // The key is given bare: a throwaway request carries the subject, and -force_pubkey
      // puts the given key in the certificate.
      const pub = this.scratch('pub.pem');
      fs.writeFileSync(pub, crypto.createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }));
      run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', this.scratch('throwaway.key'),
        '-subj', `/CN=${commonName ?? 'akeyless-client'}`, '-out', csr]);
      run('openssl', ['x509', '-req', '-in', csr, '-force_pubkey', pub, ...common]);
    }
    return fs.readFileSync(out, 'utf8');
  }
}

module.exports = { CertificateAuthorities, run };
