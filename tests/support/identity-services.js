'use strict';
/**
 * Loopback stand-ins for the identity services a task may ask for a credential:
 * the agent's OIDC token endpoint (System.OidcRequestUri), the Azure instance metadata
 * service, the AWS container credentials endpoint, the EC2 instance metadata service (IMDSv2)
 * and the Google Cloud metadata server. Each records every request and answers as the real
 * one does. `StsVerifier` checks a `cloud-id` the way STS would check the request in it: it
 * recomputes the Signature Version 4 signature with node:crypto from the signed headers and
 * the secret key it knows.
 */

const http = require('node:http');
const crypto = require('node:crypto');

class LoopbackService {
  constructor(handler) {
    this.requests = [];
    this.server = http.createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const url = new URL(req.url, 'http://x');
      this.requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const [status, body] = handler.call(this, req, url);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * The agent's OIDC endpoint: `POST <requestUri>?api-version=...&serviceConnectionId=<id>`
 * with `Authorization: Bearer <System.AccessToken>`, answering `{"oidcToken": "<jwt>"}` for
 * the expected bearer and 401 otherwise. Each token it mints is kept in `minted`.
 */
class OidcTokenEndpoint extends LoopbackService {
  constructor(expectedBearer) {
    super(function answer(req) {
      if (req.method !== 'POST') return [405, { message: 'POST only' }];
      if (req.headers.authorization !== `Bearer ${this.expectedBearer}`) return [401, { message: 'bad bearer' }];
      const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ iss: 'https://vstoken.dev.azure.com/org', sub: 'sc://org/project/conn' })).toString('base64url')}.${crypto.randomBytes(12).toString('hex')}`;
      this.minted.push(token);
      return [200, { oidcToken: token }];
    });
    this.expectedBearer = expectedBearer;
    this.minted = [];
  }

  /** System.OidcRequestUri for a job. */
  get requestUri() {
    return `${this.origin}/org/project/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken`;
  }
}

/** The Azure instance metadata service's managed-identity token endpoint. */
class AzureMetadataService extends LoopbackService {
  constructor() {
    super(function answer(req, url) {
      if (url.pathname !== '/metadata/identity/oauth2/token') return [404, { error: 'not_found' }];
      if (req.headers.metadata !== 'true') return [400, { error: 'invalid_request', error_description: 'Required metadata header not specified' }];
      const token = `aad-access-token-${crypto.randomBytes(12).toString('hex')}`;
      this.minted.push(token);
      return [200, { access_token: token, expires_on: '1900000000', resource: url.searchParams.get('resource'), token_type: 'Bearer' }];
    });
    this.minted = [];
  }
}

/** AWS credentials as the container endpoint and IMDS hand them out. */
function awsCredentials(label) {
  return {
    AccessKeyId: `ASIA${label.toUpperCase()}${crypto.randomBytes(4).toString('hex').toUpperCase()}`,
    SecretAccessKey: `${label}-secret-${crypto.randomBytes(12).toString('hex')}`,
    Token: `${label}-session-${crypto.randomBytes(12).toString('hex')}`,
    Expiration: '2030-01-01T00:00:00Z',
  };
}

/** The ECS/EKS container credentials endpoint: GET, with `Authorization` when one is set. */
class AwsContainerCredentials extends LoopbackService {
  constructor(authorization) {
    super(function answer(req) {
      if (req.method !== 'GET') return [405, { message: 'GET only' }];
      if (this.authorization && req.headers.authorization !== this.authorization) return [401, { message: 'bad authorization' }];
      return [200, this.credentials];
    });
    this.authorization = authorization;
    this.credentials = awsCredentials('container');
  }

  get uri() {
    return `${this.origin}/v1/credentials`;
  }
}

/** The EC2 instance metadata service, IMDSv2 only: a session token first, then the role. */
class InstanceMetadataService extends LoopbackService {
  constructor() {
    super(function answer(req, url) {
      if (url.pathname === '/latest/api/token') {
        if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return [400, 'token requests are PUT with a TTL'];
        this.sessionToken = `imds-${crypto.randomBytes(12).toString('hex')}`;
        return [200, this.sessionToken];
      }
      if (req.headers['x-aws-ec2-metadata-token'] !== this.sessionToken) return [401, 'missing or wrong session token'];
      if (url.pathname === '/latest/meta-data/iam/security-credentials/') return [200, 'ado-agent-role'];
      if (url.pathname === '/latest/meta-data/iam/security-credentials/ado-agent-role') return [200, { Code: 'Success', ...this.credentials }];
      return [404, 'not found'];
    });
    this.credentials = awsCredentials('instance');
  }
}

/** The Google Cloud metadata server's identity endpoint; refuses requests without the header. */
class GcpMetadataServer extends LoopbackService {
  constructor() {
    super(function answer(req, url) {
      if (req.headers['metadata-flavor'] !== 'Google') return [403, 'Missing Metadata-Flavor:Google header.'];
      if (url.pathname !== '/computeMetadata/v1/instance/service-accounts/default/identity') return [404, 'not found'];
      const claims = { aud: url.searchParams.get('audience'), format: url.searchParams.get('format'), n: crypto.randomBytes(6).toString('hex') };
      const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${crypto.randomBytes(16).toString('base64url')}`;
      this.minted.push({ token, audience: claims.aud });
      return [200, token];
    });
    this.minted = [];
  }

  /** GCE_METADATA_HOST for this server: host and port, no scheme. */
  get host() {
    return this.origin.replace('http://', '');
  }
}

/**
 * What STS does with a request Akeyless replays: reads the `cloud-id` an `aws_iam` login
 * sent and recomputes its Signature Version 4 signature over the signed headers and the body,
 * with the secret key of the access key id named in it. Returns the access key id when the
 * signature holds, else throws saying why.
 */
class StsVerifier {
  constructor() {
    /** access key id -> secret access key */
    this.secrets = new Map();
    this.verified = [];
  }

  know({ AccessKeyId, SecretAccessKey }) {
    this.secrets.set(AccessKeyId, SecretAccessKey);
  }

  verify(cloudId) {
    const decode = (text) => Buffer.from(text, 'base64').toString('utf8');
    const document = JSON.parse(decode(cloudId));
    const headers = JSON.parse(decode(document.sts_request_headers));
    const url = decode(document.sts_request_url);
    const body = decode(document.sts_request_body);
    if (document.sts_request_method !== 'POST' || url !== 'https://sts.amazonaws.com/') throw new Error('not the STS request');
    if (body !== 'Action=GetCallerIdentity&Version=2011-06-15') throw new Error('not GetCallerIdentity');
    const single = (name) => {
      if (!Array.isArray(headers[name]) || headers[name].length !== 1) throw new Error(`header ${name} is not a one-value list`);
      return headers[name][0];
    };
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/
      .exec(single('Authorization'));
    if (!match) throw new Error('malformed Authorization');
    const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
    if (region !== 'us-east-1' || service !== 'sts') throw new Error(`signed for ${region}/${service}`);
    const secret = this.secrets.get(accessKeyId);
    if (!secret) throw new Error(`unknown access key ${accessKeyId}`);
    const byLowerName = new Map(Object.keys(headers).map((name) => [name.toLowerCase(), name]));
    const canonicalHeaders = signedHeaders.split(';')
      .map((name) => `${name}:${single(byLowerName.get(name)).trim().replace(/\s+/g, ' ')}\n`).join('');
    const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');
    const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
    const amzDate = single('X-Amz-Date');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    let key = Buffer.from(`AWS4${secret}`);
    for (const part of [date, region, service, 'aws4_request']) key = crypto.createHmac('sha256', key).update(part).digest();
    const expected = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
    if (expected !== signature) throw new Error('the signature does not verify');
    for (const required of ['host', 'x-amz-date']) if (!signedHeaders.split(';').includes(required)) throw new Error(`${required} is not signed`);
    this.verified.push({ accessKeyId, headers });
    return accessKeyId;
  }
}

module.exports = {
  OidcTokenEndpoint, AzureMetadataService, AwsContainerCredentials, InstanceMetadataService, GcpMetadataServer, StsVerifier,
};
