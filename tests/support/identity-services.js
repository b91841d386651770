'use strict';
/**
 * Loopback stand-ins for the identity services a task may ask for a credential:
 * the agent's OIDC token endpoint (System.OidcRequestUri) and the Azure instance metadata
 * service. Both record every request and answer as the real ones do.
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
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
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

module.exports = { OidcTokenEndpoint, AzureMetadataService };
