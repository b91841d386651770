'use strict';
/**
 * An Akeyless-compatible API server on loopback, for tests.
 *
 * It serves `/auth`, `/get-secret-value`, `/get-dynamic-secret-value`,
 * `/get-rotated-secret-value`, and the clean-up operations `/revoke-creds`, `/validate-token`
 * and `/dynamic-secret-tmp-creds-delete` under both base forms (`http://127.0.0.1:<port>` and
 * `.../api/v2`), over HTTP or (given a key and certificate) HTTPS, checks request bodies the
 * way the API reference describes them (key names and JSON types), records every request,
 * and can be told to misbehave for the next matching request: answer with a status, headers
 * and body, wait, send malformed JSON, or drop the connection.
 */

const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');

const OPERATIONS = [
  '/auth', '/get-secret-value', '/get-dynamic-secret-value', '/get-rotated-secret-value',
  '/revoke-creds', '/validate-token', '/dynamic-secret-tmp-creds-delete',
  '/get-ssh-certificate', '/get-pki-certificate', '/list-items',
];
/** The extended key usages the PKI issuer takes, as OpenSSL names them. */
const KEY_USAGES = { serverauth: 'serverAuth', clientauth: 'clientAuth', codesigning: 'codeSigning' };
const GATEWAY_PREFIX = '/api/v2';

class AkeylessServer {
  /**
   * @param {object} data
   * @param {Record<string,string>} [data.accessKeys] access id -> access key (access_key methods)
   * @param {Record<string,string[]>} [data.jwts] access id -> JWTs it accepts (jwt methods)
   * @param {Record<string,unknown>} [data.secrets] static secret path -> value
   * @param {Record<string,object>} [data.dynamicSecrets] dynamic secret name -> reply body
   * @param {Record<string,object>} [data.rotatedSecrets] rotated secret name -> `value` object
   * @param {'error'|'absent'} [data.missingSecrets] how /get-secret-value treats an unknown
   *   path: the whole request fails with 404 (default), or the path is left out of the reply
   *   (the API reference lists both as possible)
   * @param {{key: string, cert: string}} [data.tls] serve HTTPS with this key and certificate
   * @param {Record<string,object|function>} [data.methods] access id -> the exact `/auth`
   *   fields its auth method accepts (e.g. `{'access-type': 'azure_ad', 'cloud-id': ...}`),
   *   or a function of the body saying whether it accepts it
   * @param {boolean} [data.revocationIgnored] `/revoke-creds` answers `{}` but the token stays
   *   valid (the API does not document whether it honours the token it is sent)
   * @param {object} [data.certificates] `{ authorities, sshIssuers, pkiIssuers }`: real
   *   certificate authorities (support/certificate-authority.js) and the names of the SSH and
   *   PKI certificate issuers that sign with them
   */
  constructor({
    accessKeys = {}, jwts = {}, secrets = {}, dynamicSecrets = {}, rotatedSecrets = {}, missingSecrets = 'error', tls,
    methods = {}, revocationIgnored = false, certificates, listPageSize = 1000,
  } = {}) {
    /** How many items one /list-items page holds. */
    this.listPageSize = listPageSize;
    this.certificates = certificates;
    /** Certificates issued: { kind, issuer, request body }. */
    this.issued = [];
    this.accessKeys = accessKeys;
    this.methods = methods;
    this.missingSecrets = missingSecrets;
    this.jwts = jwts;
    this.secrets = secrets;
    this.dynamicSecrets = dynamicSecrets;
    this.rotatedSecrets = rotatedSecrets;
    /** Every request received: { base, operation, method, headers, rawBody, body }. */
    this.requests = [];
    /** Tokens issued by /auth, which the get operations accept. */
    this.tokens = new Set();
    /** Tokens revoked with /revoke-creds, and every token issued (for the leak check). */
    this.revokedTokens = new Set();
    this.issuedTokens = new Set();
    this.revocationIgnored = revocationIgnored;
    /** Credentials deleted with /dynamic-secret-tmp-creds-delete: { name, id, host }. */
    this.deletedCredentials = [];
    this.faults = [];
    const handler = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.scheme = tls ? 'https' : 'http';
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address();
    /** The bare base URL (SaaS form). */
    this.url = `${this.scheme}://127.0.0.1:${port}`;
    /** The gateway base URL form. */
    this.gatewayUrl = `${this.url}${GATEWAY_PREFIX}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * Makes the next request to `operation` (or to any operation when omitted) misbehave:
   * `{ status, body, headers }` answers with that status, body (an object is sent as JSON;
   * a function is called with the parsed request body) and extra headers;
   * `{ delayMs }` waits first; `{ malformed: true }` sends truncated JSON with status 200;
   * `{ drop: true }` closes the connection without an answer.
   */
  inject(fault) {
    this.faults.push(fault);
  }

  /**
   * Every secret this server holds or handed out, in the forms a leak could take: tokens,
   * whole values, their lines and their JSON leaves (see `forms`).
   */
  * sensitiveValues() {
    yield* this.issuedTokens;
    // A wrapped dynamic reply's `error` is the producer's explanation, meant to be shown.
    const dynamicCredentials = Object.values(this.dynamicSecrets).map(({ error, ...credentials }) => credentials);
    const values = [
      ...Object.values(this.secrets),
      ...dynamicCredentials,
      ...Object.values(this.rotatedSecrets),
    ];
    for (const value of values) yield* forms(value);
  }

  /** `sensitiveValues()` as a live collection, for the agent emulator's `secrets` option. */
  get leakCheckSecrets() {
    return { [Symbol.iterator]: () => this.sensitiveValues() };
  }

  /** The requests made to `operation`, such as '/auth'. */
  requestsTo(operation) {
    return this.requests.filter((request) => request.operation === operation);
  }

  async handle(req, res) {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const receivedAt = Date.now();
    const pathname = new URL(req.url, 'http://x').pathname;
    const base = pathname.startsWith(GATEWAY_PREFIX + '/') ? GATEWAY_PREFIX : '';
    const operation = pathname.slice(base.length);
    let body;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    this.requests.push({ base, operation, method: req.method, headers: req.headers, rawBody, body, receivedAt });

    const faultIndex = this.faults.findIndex((fault) => !fault.operation || fault.operation === operation);
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : null;
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }
    if (fault?.malformed) {
      send(res, 200, '{"token": "t-trunc');
      return;
    }
    if (fault?.status) {
      const faultBody = typeof fault.body === 'function' ? fault.body(body ?? {}) : fault.body;
      send(res, fault.status, faultBody ?? '', fault.headers);
      return;
    }

    if (!OPERATIONS.includes(operation)) {
      send(res, 404, '404 page not found');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: `method ${req.method} not allowed` });
      return;
    }
    if (!isObject(body)) {
      send(res, 400, { error: 'InvalidParam', message: 'the request body is not a JSON object' });
      return;
    }
    const [status, reply] = this.answer(operation, body);
    send(res, status, reply);
  }

  /** The API's answer to a well-formed request: [status, body]. */
  answer(operation, body) {
    if (operation === '/auth') return this.auth(body);
    if (!this.tokens.has(body.token)) return [401, { error: 'Unauthorized: the token is invalid or expired' }];
    if (operation === '/get-secret-value') return this.getSecretValue(body);
    if (operation === '/get-dynamic-secret-value') return this.getDynamicSecretValue(body);
    if (operation === '/revoke-creds') return this.revokeCreds(body);
    if (operation === '/validate-token') return [200, { is_valid: true, expiration: '2030-01-01 00:00:00 +0000 UTC', ttl: 3600 }];
    if (operation === '/dynamic-secret-tmp-creds-delete') return this.deleteTmpCreds(body);
    if (operation === '/list-items') return this.listItems(body);
    if (operation === '/get-ssh-certificate') return this.getSshCertificate(body);
    if (operation === '/get-pki-certificate') return this.getPkiCertificate(body);
    return this.getRotatedSecretValue(body);
  }

  /** Every item under `path` (directly in it with `current-folder`), a page at a time. */
  listItems(body) {
    const problem = typeProblem(body, { path: 'string', 'current-folder': 'boolean', 'pagination-token': 'string', token: 'string' });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    const folder = `${(body.path ?? '/').replace(/\/+$/, '')}/`;
    const all = [
      ...Object.keys(this.secrets).map((name) => [name, 'STATIC_SECRET']),
      ...Object.keys(this.dynamicSecrets).map((name) => [name, 'DYNAMIC_SECRET']),
      ...Object.keys(this.rotatedSecrets).map((name) => [name, 'ROTATED_SECRET']),
    ].filter(([name]) => name.startsWith(folder) && !(body['current-folder'] && name.slice(folder.length).includes('/')));
    const start = body['pagination-token'] ? Number(body['pagination-token'].replace('page-', '')) : 0;
    const page = all.slice(start, start + this.listPageSize);
    const hasNext = start + this.listPageSize < all.length;
    return [200, {
      items: page.map(([item_name, item_type]) => ({ item_name, item_type, item_id: 1, is_enabled: true })),
      folders: [],
      next_page: hasNext ? `page-${start + this.listPageSize}` : '',
      has_next: hasNext,
    }];
  }

  getSshCertificate(body) {
    const problem = typeProblem(body, {
      'cert-issuer-name': 'string', 'cert-username': 'string', 'public-key-data': 'string', ttl: 'integer', 'legacy-signing-alg-name': 'boolean', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!this.certificates?.sshIssuers.includes(body['cert-issuer-name'])) return [404, { error: `issuer not found: ${body['cert-issuer-name']}` }];
    try {
      const data = this.certificates.authorities.signSsh(body['public-key-data'], body['cert-username'], body.ttl ?? 3600);
      this.issued.push({ kind: 'ssh', body });
      return [200, { data, path: `/ssh-certs/${crypto.randomBytes(4).toString('hex')}` }];
    } catch {
      return [400, { error: 'failed to sign the public key: invalid public-key-data' }];
    }
  }

  getPkiCertificate(body) {
    const problem = typeProblem(body, {
      'cert-issuer-name': 'string', 'key-data-base64': 'string', 'csr-data-base64': 'string', 'common-name': 'string',
      'alt-names': 'string', 'uri-sans': 'string', ttl: 'string', 'extended-key-usage': 'string', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!this.certificates?.pkiIssuers.includes(body['cert-issuer-name'])) return [404, { error: `issuer not found: ${body['cert-issuer-name']}` }];
    const list = (key) => (body[key] ? body[key].split(',').filter(Boolean) : []);
    try {
      const data = this.certificates.authorities.issueX509({
        spkiDer: body['key-data-base64'] && Buffer.from(body['key-data-base64'], 'base64'),
        csrDer: body['csr-data-base64'] && Buffer.from(body['csr-data-base64'], 'base64'),
        commonName: body['common-name'],
        names: list('alt-names'),
        uris: list('uri-sans'),
        usages: list('extended-key-usage').map((usage) => KEY_USAGES[usage]),
        ttl: body.ttl === undefined ? undefined : Number(body.ttl),
      });
      this.issued.push({ kind: 'pki', body });
      return [200, { data, parent_cert: this.certificates.authorities.x509CaPem, cert_display_id: crypto.randomBytes(4).toString('hex') }];
    } catch {
      return [400, { error: 'failed to issue the certificate: invalid key or CSR' }];
    }
  }

  revokeCreds(body) {
    const problem = typeProblem(body, { token: 'string', 'uid-token': 'string' });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!this.revocationIgnored) {
      this.tokens.delete(body.token);
      this.revokedTokens.add(body.token);
    }
    return [200, {}];
  }

  deleteTmpCreds(body) {
    const problem = typeProblem(body, {
      name: 'string', 'tmp-creds-id': 'string', host: 'string', 'revoke-all': 'boolean', 'soft-delete': 'boolean', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!body.name || !body['tmp-creds-id']) return [400, { error: 'InvalidParam', message: 'name and tmp-creds-id are required' }];
    if (!(body.name in this.dynamicSecrets)) return [404, { error: `item not found: ${body.name}` }];
    this.deletedCredentials.push({ name: body.name, id: body['tmp-creds-id'], host: body.host, revokeAll: body['revoke-all'] });
    return [201, ''];
  }

  auth(body) {
    const problem = typeProblem(body, {
      'access-type': 'string', 'access-id': 'string', 'access-key': 'string', jwt: 'string', 'cloud-id': 'string',
      'k8s-auth-config-name': 'string', 'k8s-service-account-token': 'string', 'gateway-url': 'string',
      'uid-token': 'string', 'cert-data': 'string', 'key-data': 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    const accessType = body['access-type'] ?? 'access_key';
    const accessId = body['access-id'];
    if (!accessId) return [400, { error: 'InvalidParam', message: 'Missing required parameter - AccessId' }];
    let accepted = false;
    const method = this.methods[accessId];
    if (method) {
      accepted = typeof method === 'function'
        ? method(body)
        : Object.entries(method).every(([key, value]) => body[key] === value)
          && Object.keys(body).every((key) => key in method || key === 'access-id');
    } else if (accessType === 'access_key') {
      accepted = this.accessKeys[accessId] !== undefined && this.accessKeys[accessId] === body['access-key'];
    } else if (accessType === 'jwt') {
      accepted = (this.jwts[accessId] ?? []).includes(body.jwt);
    } else {
      return [400, { error: 'InvalidParam', message: `access type ${accessType} is not configured` }];
    }
    if (!accepted) return [401, { error: `Authentication failed for access id ${accessId}` }];
    const token = `t-${crypto.randomBytes(16).toString('hex')}`;
    this.tokens.add(token);
    this.issuedTokens.add(token);
    return [200, {
      token,
      expiration: '2030-01-01 00:00:00 +0000 UTC',
      creds: { access_id: accessId, expiry: 1893456000 },
    }];
  }

  getSecretValue(body) {
    const problem = typeProblem(body, {
      names: 'array', 'ignore-cache': 'string', accessibility: 'string', version: 'integer', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    const names = body.names ?? [];
    if (names.length === 0 || !names.every((name) => typeof name === 'string')) {
      return [400, { error: 'InvalidParam', message: 'names must be a non-empty array of strings' }];
    }
    const missing = names.filter((name) => !(name in this.secrets));
    if (missing.length > 0 && this.missingSecrets === 'error') return [404, { error: `item not found: ${missing[0]}` }];
    const found = names.filter((name) => name in this.secrets);
    return [200, Object.fromEntries(found.map((name) => [name, this.secrets[name]]))];
  }

  getDynamicSecretValue(body) {
    const problem = typeProblem(body, {
      name: 'string', target: 'string', timeout: 'integer', args: 'array', host: 'string', json: 'boolean', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!(body.name in this.dynamicSecrets)) return [404, { error: `item not found: ${body.name}` }];
    return [200, this.dynamicSecrets[body.name]];
  }

  getRotatedSecretValue(body) {
    const problem = typeProblem(body, {
      names: 'string', 'ignore-cache': 'string', version: 'integer', host: 'string', json: 'boolean', token: 'string',
    });
    if (problem) return [400, { error: 'InvalidParam', message: problem }];
    if (!(body.names in this.rotatedSecrets)) return [404, { error: `item not found: ${body.names}` }];
    return [200, { value: this.rotatedSecrets[body.names] }];
  }
}

/**
 * A value, its lines, and (for JSON, also JSON held in strings) its leaves. Lines and leaves
 * shorter than six characters are left out: they are not secrets on their own (`}`, `"60"`).
 */
function* forms(value, leaf = false) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.trim().length >= (leaf ? 6 : 1)) yield text;
  for (const line of text.split(/\r\n|\n|\r/)) if (line.trim().length >= 6) yield line.trim();
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return;
    }
  }
  if (typeof parsed === 'object' && parsed !== null) {
    for (const field of Object.values(parsed)) {
      if (typeof field === 'string' || (typeof field === 'object' && field !== null)) yield* forms(field, true);
    }
  }
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first field of `body` whose JSON type differs from `types`, described; or null. */
function typeProblem(body, types) {
  for (const [key, type] of Object.entries(types)) {
    const value = body[key];
    if (value === undefined) continue;
    const ok = type === 'array' ? Array.isArray(value)
      : type === 'integer' ? Number.isInteger(value)
        : typeof value === type;
    if (!ok) return `${key} must be of type ${type}`;
  }
  return null;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
}

module.exports = { AkeylessServer };
