'use strict';
/**
 * A forward proxy on loopback for tests: it tunnels `CONNECT host:port` requests, as proxies
 * do for HTTPS (and as the tasks' proxy agent does for every request), optionally demanding
 * Basic credentials (`407` otherwise), and records every tunnel it was asked for.
 */

const http = require('node:http');
const net = require('node:net');

class ForwardProxy {
  /** @param {{username?: string, password?: string}} [credentials] required credentials */
  constructor(credentials = {}) {
    this.credentials = credentials;
    /** Every CONNECT: { target, authorized }. */
    this.tunnels = [];
    this.sockets = new Set();
    this.server = http.createServer((req, res) => {
      res.writeHead(405, { 'content-type': 'text/plain' });
      res.end('this proxy only tunnels (CONNECT)');
    });
    this.server.on('connect', (req, client, head) => this.tunnel(req, client, head));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  authorized(req) {
    const { username, password } = this.credentials;
    if (username === undefined) return true;
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return req.headers['proxy-authorization'] === expected;
  }

  tunnel(req, client, head) {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const authorized = this.authorized(req);
    this.tunnels.push({ target: req.url, authorized });
    if (!authorized) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [host, port] = req.url.split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  }
}

module.exports = { ForwardProxy };
