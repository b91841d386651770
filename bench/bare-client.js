'use strict';
/**
 * The benchmark's bare client: what a minimal program must do to fetch the same secrets as a
 * get-secrets step, and nothing more. It sends the requests our task sends (POST
 * /get-secret-value, 500 names per request, one after the other over a keep-alive
 * `node:http` agent), parses each reply, checks that every name came back, and exits.
 *
 *   node bench/bare-client.js <server url> <token> <path>...
 */

const http = require('node:http');

const NAMES_PER_REQUEST = 500;
const [url, token, ...names] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true });

function post(body) {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/get-secret-value`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json' },
    }, (reply) => {
      const chunks = [];
      reply.on('data', (chunk) => chunks.push(chunk));
      reply.on('end', () => (reply.statusCode === 200
        ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        : reject(new Error(`HTTP ${reply.statusCode}`))));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

(async () => {
  let received = 0;
  for (let start = 0; start < names.length; start += NAMES_PER_REQUEST) {
    const chunk = names.slice(start, start + NAMES_PER_REQUEST);
    const values = await post({ names: chunk, token, 'ignore-cache': 'false', accessibility: 'regular' });
    received += chunk.filter((name) => typeof values[name] === 'string').length;
  }
  agent.destroy();
  process.exitCode = received === names.length ? 0 : 1;
})().catch(() => { process.exitCode = 1; });
