'use strict';
// The benchmark's Akeyless-compatible server, in a process of its own so that measuring
// never competes with serving. Prints `{"url": ..., "token": ...}` once listening.
const { AkeylessServer } = require('../tests/support/akeyless-server');
const { benchData } = require('./data');

(async () => {
  const server = await new AkeylessServer(benchData()).start();
  const token = 't-benchmark-token';
  server.tokens.add(token);
  process.stdout.write(`${JSON.stringify({ url: server.url, token })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => server.stop().then(() => process.exit(0)));
})();
