'use strict';
/**
 * The network behaviour of the real tasks over real loopback sockets: retries and their
 * limits for every fault the test server can inject, timeouts, the agent's and the
 * environment's proxy settings through a real forward proxy, and TLS with a private CA.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { describe, it } = require('node:test');
const { AkeylessServer } = require('./support/akeyless-server');
const { ForwardProxy } = require('./support/forward-proxy');
const { Pipeline } = require('./support/agent');
const { assertCleanFailure, assertSucceeded } = require('./support/assertions');

const ACCESS_ID = 'p-network0000a1b';
const ACCESS_KEY = 'network-access-key-83d2f1';
const PROXY_PASSWORD = 'proxy-pass-w0rd-5f1e';
const TLS_DIR = path.join(__dirname, 'fixtures', 'tls');
const CA_FILE = path.join(TLS_DIR, 'ca.pem');
const tlsFor = (name) => ({
  key: fs.readFileSync(path.join(TLS_DIR, `${name}-key.pem`)),
  cert: fs.readFileSync(path.join(TLS_DIR, `${name}.pem`)),
});
const SECRETS = { '/app/api-key': 'network-api-key-2a9c77' };
const DYNAMIC = { '/dynamic/db': { user: 'tmp_net_user', password: 'net-dyn-pw-6b1d0e' } };

/** Runs `body(server)` against a fresh Akeyless-compatible server, then stops it. */
async function withServer(options, body) {
  const server = await new AkeylessServer({
    accessKeys: { [ACCESS_ID]: ACCESS_KEY }, secrets: SECRETS, dynamicSecrets: DYNAMIC, ...options,
  }).start();
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

async function withProxy(credentials, body) {
  const proxy = await new ForwardProxy(credentials).start();
  try {
    return await body(proxy);
  } finally {
    await proxy.stop();
  }
}

function pipelineFor(server, options = {}) {
  return new Pipeline({
    ...options,
    secretVariables: { AKEYLESS_ACCESS_KEY: ACCESS_KEY, ...options.secretVariables },
    connections: { conn: { url: server.url, accessId: ACCESS_ID } },
    secrets: server.leakCheckSecrets,
  });
}

const AUTH = {
  task: 'akeyless-auth@0', name: 'Auth', inputs: { connectedServiceName: 'conn', 'access-key': '$(AKEYLESS_ACCESS_KEY)' },
};
const FETCH = {
  task: 'akeyless-get-secrets-value-task@0',
  name: 'Fetch',
  inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', secretsPaths: 'api_key=/app/api-key' },
};
const dynamic = (timeout = 15) => ({
  task: 'akeyless-get-dynamic-secret-value-task@0',
  name: 'Dyn',
  inputs: { connectedServiceName: 'conn', token: '$(Auth.akeylessToken)', name: '/dynamic/db', timeout },
});

/** Logs in, then runs `step`; returns the step's result. */
async function afterLogin(pipeline, step) {
  const login = await pipeline.run(AUTH);
  assert.equal(login.result, 'Succeeded', JSON.stringify(login.issues));
  return pipeline.run(step);
}

describe('network: retries', () => {
  it('a 500 then success is retried, each attempt one debug line with status and timing', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', status: 500, body: { error: 'temporary failure' } });
      const step = await afterLogin(pipelineFor(server, { debug: true }), FETCH);
      assertSucceeded(step);
      assert.equal(server.requestsTo('/get-secret-value').length, 2);
      const debug = step.lines.filter((line) => line.startsWith('##[debug]'));
      assert.match(debug[0], /^##\[debug\]POST https?:\/\/127\.0\.0\.1:\d+\/get-secret-value attempt 1: HTTP 500 in \d+ ms$/);
      assert.match(debug[1], /^##\[debug\]POST .*\/get-secret-value: trying again in \d+ ms$/);
      assert.match(debug[2], /attempt 2: HTTP 200 in \d+ ms$/);
    });
  });

  it('a 503 with Retry-After is retried after the time the server asked for', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', status: 503, headers: { 'retry-after': '1' }, body: { error: 'busy' } });
      const step = await afterLogin(pipelineFor(server, { debug: true }), FETCH);
      assertSucceeded(step);
      const [first, second] = server.requestsTo('/get-secret-value');
      assert.ok(second.receivedAt - first.receivedAt >= 950, `waited ${second.receivedAt - first.receivedAt} ms`);
      assert.ok(step.lines.some((line) => line.endsWith('trying again in 1000 ms')));
    });
  });

  it('a Retry-After date far in the future ends the step at once instead of retrying at once', async () => {
    await withServer({}, async (server) => {
      server.inject({
        operation: '/get-secret-value', status: 503, body: { error: 'maintenance' }, headers: { 'retry-after': 'Fri, 31 Dec 9223372036854775807 23:59:59 GMT' },
      });
      const error = assertCleanFailure(await afterLogin(pipelineFor(server), FETCH));
      assert.match(error, /\/get-secret-value with HTTP 503: maintenance\.$/);
      assert.equal(server.requestsTo('/get-secret-value').length, 1);
    });
  });

  it('a 429 is retried', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', status: 429, body: { error: 'Too many requests' } });
      assertSucceeded(await afterLogin(pipelineFor(server), FETCH));
      assert.equal(server.requestsTo('/get-secret-value').length, 2);
    });
  });

  it('a dropped connection is retried', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', drop: true });
      assertSucceeded(await afterLogin(pipelineFor(server), FETCH));
      assert.equal(server.requestsTo('/get-secret-value').length, 2);
    });
  });

  it('an HTML 502 page from a proxy is retried', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', status: 502, body: '<html><h1>502 Bad Gateway</h1></html>' });
      assertSucceeded(await afterLogin(pipelineFor(server), FETCH));
    });
  });

  it('truncated JSON in a 200 is final: one request, a clear failure', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', malformed: true });
      const error = assertCleanFailure(await afterLogin(pipelineFor(server), FETCH));
      assert.match(error, /with HTTP 200, but the reply is not valid JSON\.$/);
      assert.equal(server.requestsTo('/get-secret-value').length, 1);
    });
  });

  it('a server that always answers 500 gets a bounded number of attempts and a clear final error', async () => {
    await withServer({}, async (server) => {
      for (let i = 0; i < 10; i += 1) server.inject({ operation: '/get-secret-value', status: 500, body: { error: 'internal error' } });
      const error = assertCleanFailure(await afterLogin(pipelineFor(server), FETCH));
      assert.equal(server.requestsTo('/get-secret-value').length, 4);
      assert.match(error, /^Akeyless refused http:\/\/127\.0\.0\.1:\d+\/get-secret-value with HTTP 500: internal error\. Gave up after 4 attempts in \d+ s\.$/);
    });
  });

  it('a 401 is never retried', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-secret-value', status: 401, body: { error: 'token expired' } });
      assertCleanFailure(await afterLogin(pipelineFor(server), FETCH));
      assert.equal(server.requestsTo('/get-secret-value').length, 1);
    });
  });

  it('a dynamic secret is not requested twice after a 503 or a dropped connection (it could mint twice)', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-dynamic-secret-value', status: 503, body: { error: 'unavailable' } });
      assert.match(assertCleanFailure(await afterLogin(pipelineFor(server), dynamic())), /HTTP 503: unavailable\.$/);
      server.inject({ operation: '/get-dynamic-secret-value', drop: true });
      assert.match(assertCleanFailure(await afterLogin(pipelineFor(server), dynamic())), /ECONNRESET/);
      assert.equal(server.requestsTo('/get-dynamic-secret-value').length, 2);
    });
  });

  it('a dynamic secret is retried after a 429, which Akeyless sends before doing anything', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-dynamic-secret-value', status: 429, body: { error: 'rate limited' } });
      assertSucceeded(await afterLogin(pipelineFor(server), dynamic()));
      assert.equal(server.requestsTo('/get-dynamic-secret-value').length, 2);
    });
  });

  it('a response slower than the limit fails as a timeout naming the URL, without a second request', async () => {
    await withServer({}, async (server) => {
      server.inject({ operation: '/get-dynamic-secret-value', delayMs: 13_000 });
      const error = assertCleanFailure(await afterLogin(pipelineFor(server), dynamic(1)));
      assert.match(error, /^Could not reach Akeyless at http:\/\/127\.0\.0\.1:\d+\/get-dynamic-secret-value: it timed out: no response within 11 s \(ETIMEDOUT\)\.$/);
      assert.equal(server.requestsTo('/get-dynamic-secret-value').length, 1);
    });
  });
});

describe('network: one deadline for the whole step', { concurrency: true }, () => {
  const selfLogin = (timeout, extra = {}) => ({
    task: 'akeyless-get-dynamic-secret-value-task@0',
    name: 'Dyn',
    inputs: { connectedServiceName: 'conn', name: '/dynamic/db', timeout, ...extra },
  });

  it('a slow login and a slow request, each within its own limit, fail at the step limit (timeout + 15 s)', async () => {
    const apiKeyId = 'p-networkab1a3';
    await withServer({ accessKeys: { [apiKeyId]: ACCESS_KEY } }, async (server) => {
      // 8 s for the login and 9 s for the producer: each under its own limit (20 s, 11 s),
      // together over the step's 16 s.
      server.inject({ operation: '/auth', delayMs: 8_000 });
      server.inject({ operation: '/get-dynamic-secret-value', delayMs: 9_000 });
      const pipeline = new Pipeline({
        connections: { conn: { url: server.url, accessId: apiKeyId, accessKey: ACCESS_KEY } },
        secrets: server.leakCheckSecrets,
      });
      const error = assertCleanFailure(await pipeline.run(selfLogin(1)));
      assert.match(error, /\/get-dynamic-secret-value: it timed out: no response within [78] s, all that was left of this step's 16 s limit \(ETIMEDOUT\)\.$/);
    });
  });

  it('a hung identity service is given what is left of the step, and the message says what each attempt waited', async () => {
    const hung = http.createServer(() => {});
    await new Promise((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      await withServer({}, async (server) => {
        const pipeline = new Pipeline({
          env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${hung.address().port}` },
          connections: { conn: { url: server.url, accessId: 'p-network00001z1' } },
          secrets: server.leakCheckSecrets,
        });
        const error = assertCleanFailure(await pipeline.run(selfLogin(1)));
        // The metadata service's own limits (10 s per attempt, 20 s in all) would allow a
        // second attempt of 10 s; the step's 16 s leave it about 6.
        assert.match(error, /^Could not reach the Azure instance metadata service at http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token\?[^ ]+: it timed out: no response within [56] s, all that was left of this step's 16 s limit \(ETIMEDOUT\)\. Gave up after 2 attempts in 16 s; the attempts waited up to 10 s and [56] s for a response\. /);
      });
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});

describe('network: proxies', () => {
  it("carries every request through the agent's proxy", async () => {
    await withServer({}, (server) => withProxy({}, async (proxy) => {
      const pipeline = pipelineFor(server, { variables: { 'Agent.ProxyUrl': proxy.url } });
      assertSucceeded(await afterLogin(pipeline, FETCH));
      const target = server.url.replace('http://', '');
      assert.ok(proxy.tunnels.length >= 1);
      assert.ok(proxy.tunnels.every((t) => t.target === target), JSON.stringify(proxy.tunnels));
    }));
  });

  it("sends the agent's proxy credentials and never prints the password", async () => {
    await withServer({}, (server) => withProxy({ username: 'build', password: PROXY_PASSWORD }, async (proxy) => {
      const pipeline = pipelineFor(server, {
        variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': 'build' },
        secretVariables: { 'Agent.ProxyPassword': PROXY_PASSWORD },
        debug: true,
      });
      assertSucceeded(await afterLogin(pipeline, FETCH));
      assert.ok(proxy.tunnels.length >= 1 && proxy.tunnels.every((t) => t.authorized));
    }));
  });

  it('a proxy that refuses the credentials fails naming the proxy and the settings to check', async () => {
    await withServer({}, (server) => withProxy({ username: 'build', password: PROXY_PASSWORD }, async (proxy) => {
      const pipeline = pipelineFor(server, {
        variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': 'build' },
        secretVariables: { 'Agent.ProxyPassword': 'wrong-proxy-password-1' },
      });
      const error = assertCleanFailure(await pipeline.run(AUTH));
      assert.match(error, new RegExp(`through the proxy ${proxy.url.replace(/[.]/g, '\\.')}: the proxy refused the tunnel: it answered HTTP 407\\. Check the agent's proxy settings`));
      assert.equal(proxy.tunnels.length, 1, 'a refusal is not retried');
    }));
  });

  it("goes direct when the agent's bypass list matches", async () => {
    await withServer({}, (server) => withProxy({}, async (proxy) => {
      const pipeline = pipelineFor(server, {
        variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyBypassList': '["127\\\\.0\\\\.0\\\\.1"]' },
      });
      assertSucceeded(await afterLogin(pipeline, FETCH));
      assert.equal(proxy.tunnels.length, 0);
    }));
  });

  it('uses HTTP_PROXY from the environment, and NO_PROXY to go direct', async () => {
    await withServer({}, (server) => withProxy({}, async (proxy) => {
      assertSucceeded(await afterLogin(pipelineFor(server, { env: { HTTP_PROXY: proxy.url } }), FETCH));
      const tunnelled = proxy.tunnels.length;
      assert.ok(tunnelled >= 1);
      assertSucceeded(await afterLogin(pipelineFor(server, { env: { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } }), FETCH));
      assert.equal(proxy.tunnels.length, tunnelled);
    }));
  });

  it('tunnels HTTPS through HTTPS_PROXY with CONNECT, verifying the server behind it', async () => {
    await withServer({ tls: tlsFor('loopback') }, (server) => withProxy({}, async (proxy) => {
      const pipeline = pipelineFor(server, { env: { HTTPS_PROXY: proxy.url }, variables: { 'Agent.CAInfo': CA_FILE } });
      assertSucceeded(await afterLogin(pipeline, FETCH));
      assert.ok(proxy.tunnels.length >= 1);
    }));
  });
});

describe('network: TLS', () => {
  it('refuses a certificate from an unknown authority, naming the host and the reason', async () => {
    await withServer({ tls: tlsFor('loopback') }, async (server) => {
      const error = assertCleanFailure(await pipelineFor(server).run(AUTH));
      assert.match(error, /^Could not reach Akeyless at https:\/\/127\.0\.0\.1:\d+\/auth: the TLS certificate of 127\.0\.0\.1:\d+ was not accepted: unable to verify the first certificate\. If the server uses a private certificate authority, give the agent its certificate \(AGENT_CAINFO or NODE_EXTRA_CA_CERTS\) \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\.$/);
      assert.equal(server.requests.length, 0);
    });
  });

  it("trusts a private authority given as the agent's CA (AGENT_CAINFO)", async () => {
    await withServer({ tls: tlsFor('loopback') }, async (server) => {
      assertSucceeded(await afterLogin(pipelineFor(server, { variables: { 'Agent.CAInfo': CA_FILE } }), FETCH));
    });
  });

  it('trusts a private authority given in NODE_EXTRA_CA_CERTS', async () => {
    await withServer({ tls: tlsFor('loopback') }, async (server) => {
      assertSucceeded(await afterLogin(pipelineFor(server, { env: { NODE_EXTRA_CA_CERTS: CA_FILE } }), FETCH));
    });
  });

  it('refuses a certificate for another host name even from a trusted authority', async () => {
    await withServer({ tls: tlsFor('other-host') }, async (server) => {
      const error = assertCleanFailure(await pipelineFor(server, { variables: { 'Agent.CAInfo': CA_FILE } }).run(AUTH));
      assert.match(error, /the TLS certificate of 127\.0\.0\.1:\d+ was not accepted: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: .*\(ERR_TLS_CERT_ALTNAME_INVALID\)\.$/);
    });
  });

  it('still verifies when NODE_TLS_REJECT_UNAUTHORIZED=0, and says so', async () => {
    await withServer({ tls: tlsFor('loopback') }, async (server) => {
      const step = await pipelineFor(server, { env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } }).run(AUTH);
      assert.match(assertCleanFailure(step), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
      assert.ok(step.log.some((line) => line.includes('NODE_TLS_REJECT_UNAUTHORIZED=0 is set; the Akeyless tasks verify TLS certificates regardless')));
    });
  });

  it('a CA file that cannot be read fails naming the settings to check', async () => {
    await withServer({ tls: tlsFor('loopback') }, async (server) => {
      const pipeline = pipelineFor(server, { variables: { 'Agent.CAInfo': path.join(TLS_DIR, 'missing.pem') } });
      const error = assertCleanFailure(await pipeline.run(AUTH));
      assert.match(error, /: a certificate authority file could not be read \(ENOENT\)\. Check AGENT_CAINFO and NODE_EXTRA_CA_CERTS \(ECAFILE\)\.$/);
    });
  });
});
