'use strict';
/**
 * The task host: the small part of every task that wasm cannot do.
 *
 * It takes the environment (removing the secret variables from `process.env` so no child
 * process or stray dependency can read them), loads the Rust core from `./pkg`, performs the
 * HTTP exchanges the core asks for with `node:http`/`node:https` (global `fetch` costs about
 * 160 ms to start) on the route the core chose (a forward proxy through `hpagent`'s CONNECT
 * tunnel, extra certificate authorities), writes the core's lines to stdout, and turns
 * anything unexpected into a clean task failure. Failure texts written here are fixed
 * strings: an exception message could quote a secret, so it is never printed.
 *
 * The build copies this file into every task folder with `hpagent` (MIT, no dependencies)
 * bundled in; `index.js` there calls `runTask`, and `post.js` (the post-job step) `runPostJob`. Certificates are always verified, whatever
 * NODE_TLS_REJECT_UNAUTHORIZED says.
 */

const http = require('node:http');
const path = require('node:path');

/**
 * Modules only some runs need, loaded on first use: every module loaded costs start-up time,
 * and a run needs HTTPS or a proxy or files, rarely all of them.
 */
const lazy = (load) => {
  let loaded;
  return () => {
    loaded ??= load();
    return loaded;
  };
};
const fs = lazy(() => require('node:fs'));
const crypto = lazy(() => require('node:crypto'));
const https = lazy(() => require('node:https'));
const tls = lazy(() => require('node:tls'));
const proxyAgents = lazy(() => require('hpagent'));

/**
 * Variables that carry secrets: job secrets, inputs, connection credentials, file tickets,
 * and the task variables a step hands its post-job step.
 */
const SENSITIVE_PREFIXES = ['SECRET_', 'INPUT_', 'ENDPOINT_AUTH_', 'SECUREFILE_TICKET_', 'VSTS_TASKVARIABLE_'];
/**
 * Also removed: the list of secret names, the agent's proxy password, and
 * NODE_TLS_REJECT_UNAUTHORIZED, so that nothing in this process can turn certificate checks
 * off (the core still sees it, to say so).
 */
const SENSITIVE_NAMES = ['VSTS_SECRET_VARIABLES', 'AGENT_PROXYPASSWORD', 'NODE_TLS_REJECT_UNAUTHORIZED'];

/** A reply body larger than this is refused rather than buffered. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Snapshots the environment for the core, then removes the sensitive variables from
 * `process.env`. Returns a lookup function over the snapshot.
 */
function takeEnvironment() {
  const snapshot = new Map(Object.entries(process.env));
  for (const name of Object.keys(process.env)) {
    const upper = name.toUpperCase();
    if (SENSITIVE_PREFIXES.some((prefix) => upper.startsWith(prefix)) || SENSITIVE_NAMES.includes(upper)) {
      delete process.env[name];
    }
  }
  // Windows environment names are case-insensitive; the agent's casing is not guaranteed.
  const byUpperName = process.platform === 'win32'
    ? new Map([...snapshot].map(([name, value]) => [name.toUpperCase(), value]))
    : null;
  return (name) => snapshot.get(name) ?? byUpperName?.get(name.toUpperCase());
}

/**
 * Output. Lines wait in `pendingLines` until the core's current synchronous stretch ends, then
 * go out in one write: a task setting 1,000 secrets prints 3,000 lines, and a write per line
 * would cost more than the requests. The batch is bounded: it is written as soon as it holds
 * OUTPUT_CHUNK_CHARS characters, and a longer line is written on its own, in pieces, so no
 * string or buffer grows with the size of what a task prints.
 *
 * The task ends with exactly one `task.complete`: the core's, or the host's own failure when
 * something went wrong first, or when the process is about to exit without one. A line that
 * could not be written turns the core's success into a failure: a variable may be missing.
 */
const OUTPUT_CHUNK_CHARS = 64 * 1024;
const COMPLETE_PREFIX = '##vso[task.complete';
const OUTPUT_LOST = 'The Akeyless task could not write all of its output, so a variable may be missing. Check the agent\'s disk and log.';
const NO_RESULT = 'The Akeyless task ended without reporting a result. Please report this with the pipeline\'s debug log.';
const MEMORY_RAN_OUT = 'The Akeyless task ran out of memory: a reply from the server was too large to process. Check what the requested secrets hold.';
let pendingLines = [];
let pendingChars = 0;
let completed = false;
let outputError = null;

function flushLines() {
  if (pendingLines.length === 0) return;
  const text = pendingLines.join('');
  pendingLines = [];
  pendingChars = 0;
  try {
    writeToStdout(Buffer.from(text, 'utf8'));
  } catch (error) {
    outputError ??= error;
  }
}

/**
 * Writes straight to file descriptor 1: creating `process.stdout` costs about 3 ms of start-up,
 * a tenth of Node's own. The write is synchronous, so nothing is lost at exit; a stdout left
 * non-blocking by the parent is waited for.
 */
function writeToStdout(bytes) {
  let written = 0;
  while (written < bytes.length) {
    try {
      written += fs().writeSync(1, bytes, written);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
    }
  }
}

/** Writes a long line in pieces of OUTPUT_CHUNK_CHARS, never splitting a surrogate pair. */
function writeLongLine(line) {
  flushLines();
  let start = 0;
  while (start < line.length) {
    let end = Math.min(start + OUTPUT_CHUNK_CHARS, line.length);
    const last = line.charCodeAt(end - 1);
    if (end < line.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    writeToStdout(Buffer.from(line.slice(start, end), 'utf8'));
    start = end;
  }
  writeToStdout(Buffer.from('\n', 'utf8'));
}

function queueLine(line) {
  if (line.length >= OUTPUT_CHUNK_CHARS) {
    writeLongLine(line);
    return;
  }
  queueText(line);
}

/** Queues `text`: whole lines joined by `\n`, shorter than OUTPUT_CHUNK_CHARS in all. */
function queueText(text) {
  if (pendingLines.length === 0) queueMicrotask(flushLines);
  pendingLines.push(text + '\n');
  pendingChars += text.length + 1;
  if (pendingChars >= OUTPUT_CHUNK_CHARS) flushLines();
}

/**
 * What the core writes: lines joined by `\n`, in order. A batch without a result and short
 * enough to need no splitting is queued whole (a step with 1,000 secrets sends 3,000 lines);
 * any other goes line by line, through the guards of `writeLine`.
 */
function writeLines(lines) {
  if (lines.length < OUTPUT_CHUNK_CHARS && !lines.includes(COMPLETE_PREFIX)) {
    try {
      queueText(lines);
    } catch (error) {
      outputError ??= error;
    }
    return;
  }
  for (const line of lines.split('\n')) writeLine(line);
}

/** One line the core wrote. Never throws back into the core. */
function writeLine(line) {
  try {
    if (!line.startsWith(COMPLETE_PREFIX)) {
      queueLine(line);
    } else if (outputError) {
      failTask(OUTPUT_LOST);
    } else if (!completed) {
      completed = true;
      queueLine(line);
    }
  } catch (error) {
    outputError ??= error;
  }
}

/** Ends the task as failed with a fixed `reason` (never an exception's own text), once. */
function failTask(reason) {
  if (completed) return;
  completed = true;
  try {
    queueLine(`##vso[task.logissue type=error;]${reason}`);
    queueLine(`##vso[task.complete result=Failed;]${reason}`);
  } catch (error) {
    outputError ??= error;
  }
}

/** Whatever is still queued goes out as the process exits, after a failure if no result did. */
function finishOutputAtExit() {
  flushLines();
  failTask(NO_RESULT);
  flushLines();
}

/** Keep-alive agents, one per protocol and route, so a task's requests share connections. */
const agents = new Map();

/** The certificate authorities to trust: the system's plus `caFiles`. Throws on a bad file. */
function trustedAuthorities(caFiles) {
  if (caFiles.length === 0) return undefined;
  return [...tls().rootCertificates, ...caFiles.map((file) => fs().readFileSync(file, 'utf8'))];
}

/** The agent for `protocol` ('http:' or 'https:') on `route` (see `Route` in src/host.rs). */
function agentFor(protocol, route) {
  const key = JSON.stringify([protocol, route]);
  if (agents.has(key)) return agents.get(key);
  const options = { keepAlive: true, rejectUnauthorized: true, ca: trustedAuthorities(route.caFiles) };
  let agent;
  if (route.proxy) {
    const proxy = new URL(route.proxy.url);
    if (route.proxy.username) proxy.username = encodeURIComponent(route.proxy.username);
    if (route.proxy.password) proxy.password = encodeURIComponent(route.proxy.password);
    const { HttpProxyAgent, HttpsProxyAgent } = proxyAgents();
    agent = protocol === 'https:' ? new HttpsProxyAgent({ ...options, proxy }) : new HttpProxyAgent({ ...options, proxy });
  } else {
    agent = protocol === 'https:' ? new (https().Agent)(options) : new http.Agent(options);
  }
  agents.set(key, agent);
  return agent;
}

/** A Node or hpagent error as `{code, message}`; a proxy's refusal becomes EPROXY. */
function transportError(error) {
  const refused = /^Bad response: (\d+)$/.exec(error.message || '');
  if (refused) return { code: 'EPROXY', message: `it answered HTTP ${refused[1]}` };
  if (error.message === 'Proxy timeout') return { code: 'ETIMEDOUT', message: 'the proxy did not answer' };
  return { code: error.code || error.name || 'EUNKNOWN', message: error.message || 'the request failed' };
}

/** `text` on one line: the answer's head is made of lines. */
function oneLine(text) {
  return String(text).replace(/[\r\n]+/g, ' ');
}

/**
 * Performs one HTTP exchange. Takes the core's request as JSON and its body apart (a large
 * body is not worth escaping into JSON and parsing out again), and always resolves, in UTF-8
 * bytes (which cross into wasm in one copy; a string crosses one character at a time), to
 * `response <status>`, a `<name>: <value>` line per header, an empty line and the body as it
 * came, or to `error <code>` and a line of message; see `decode_http_answer` in src/host.rs.
 */
function exchange(requestJson, requestBody) {
  return new Promise((resolve) => {
    let settled = false;
    let timer = null;
    const settle = (head, bodyChunks = []) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(Buffer.concat([Buffer.from(head, 'utf8'), ...bodyChunks]));
    };
    const failWith = (code, message) => settle(`error ${oneLine(code)}\n${oneLine(message)}`);

    let request;
    let url;
    try {
      request = JSON.parse(requestJson);
      url = new URL(request.url);
    } catch {
      failWith('EINVALIDURL', 'the request URL is not valid');
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      failWith('EINVALIDURL', `the protocol ${url.protocol} is not supported`);
      return;
    }
    let agent;
    try {
      agent = agentFor(url.protocol, request.route);
    } catch (error) {
      failWith('ECAFILE', `a certificate authority file could not be read (${error.code || error.name})`);
      return;
    }
    const transport = url.protocol === 'https:' ? https() : http;
    const body = Buffer.from(requestBody, 'utf8');
    const headers = Object.fromEntries(request.headers);
    headers['content-length'] = String(body.length);

    const closedEarly = () => failWith('ECONNRESET', 'the connection closed during the reply');
    const outgoing = transport.request(url, { method: request.method, headers, agent }, (incoming) => {
      const chunks = [];
      let received = 0;
      incoming.on('data', (chunk) => {
        received += chunk.length;
        if (received > MAX_BODY_BYTES) {
          failWith('EBODYTOOLARGE', `the reply is larger than ${MAX_BODY_BYTES} bytes`);
          outgoing.destroy();
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('end', () => {
        let head = `response ${incoming.statusCode}\n`;
        for (const [name, value] of Object.entries(incoming.headers)) {
          head += `${name}: ${oneLine(Array.isArray(value) ? value.join(', ') : value)}\n`;
        }
        settle(`${head}\n`, chunks);
      });
      incoming.on('error', closedEarly);
      incoming.on('close', () => {
        if (!incoming.complete) closedEarly();
      });
    });
    outgoing.on('error', (error) => {
      const { code, message } = transportError(error);
      failWith(code, message);
    });
    outgoing.on('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => {
        failWith('ECONNECTTIMEOUT', `no connection within ${request.connectTimeoutMs} ms`);
        outgoing.destroy();
      }, request.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    timer = setTimeout(() => {
      failWith('ETIMEDOUT', `no response within ${request.timeoutMs} ms`);
      outgoing.destroy();
    }, request.timeoutMs);
    outgoing.end(body);
  });
}

/** Runs a file operation: `undefined` when done, else Node's error code (never its message). */
function fileOperation(operation) {
  try {
    operation();
    return undefined;
  } catch (error) {
    return error.code || error.name || 'EUNKNOWN';
  }
}

/** Node's key generation (OpenSSL and its CSPRNG) for each algorithm the core may ask for. */
const KEY_ALGORITHMS = {
  ed25519: ['ed25519', {}],
  'ec-p256': ['ec', { namedCurve: 'P-256' }],
  'rsa-2048': ['rsa', { modulusLength: 2048 }],
  'rsa-4096': ['rsa', { modulusLength: 4096 }],
};

/** A new key pair as `{keyPair: {jwk, pkcs8, spki}}`, or `{error: code}`. */
function generateKeyPair(algorithm) {
  try {
    const [type, options] = KEY_ALGORITHMS[algorithm] ?? [];
    if (!type) return { error: 'EALGORITHM' };
    const { privateKey, publicKey } = crypto().generateKeyPairSync(type, options);
    return {
      keyPair: {
        jwk: privateKey.export({ format: 'jwk' }),
        pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        spki: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      },
    };
  } catch (error) {
    return { error: error.code || error.name || 'EUNKNOWN' };
  }
}

/** The Rust core, once loaded. */
let core = null;

/**
 * The wasm tier-up budgets of V8 (`--wasm-tiering-budget`, "a rough approximation of bytes
 * executed"): once a wasm function has run that much code, V8 recompiles it with its
 * optimizing compiler. Node 20's V8 (11.3) does so after 1.8 MB, Node 24's (13.6) after 13 MB.
 * A step lives for tens of milliseconds, on agents with two cores, and there Node 20's early
 * recompiling costs more than it gains: a step with 1,000 secrets spends about 3 ms more on
 * it than it saves (measured with in-process timestamps; see the README's benchmark).
 */
const NODE20_TIERING_BUDGET = 1800000;
const NODE24_TIERING_BUDGET = 13000000;

/**
 * Loads the core from `./pkg`. Under Node 20 the module is loaded with Node 24's budget,
 * which V8 reads as it loads a module, and the flag is put back at once: V8 uses its code
 * cache only under the flags it was made with, and Node compiles its own modules (those of
 * the HTTP client among them) from that cache. Node 16's V8 has no such budget; Node 24's
 * has this one.
 */
function loadCore() {
  const file = path.join(__dirname, 'pkg', 'akeyless_tasks.js');
  if (!process.versions.v8.startsWith('11.3.')) return require(file);
  const v8 = require('node:v8');
  v8.setFlagsFromString(`--wasm-tiering-budget=${NODE24_TIERING_BUDGET}`);
  try {
    return require(file);
  } finally {
    v8.setFlagsFromString(`--wasm-tiering-budget=${NODE20_TIERING_BUDGET}`);
  }
}

/** Whether the core stopped because memory ran out (see `allocationFailed` in src/lib.rs). */
function memoryRanOut() {
  return safeCall(() => core?.allocationFailed()) === true;
}

/** Why the task stopped unexpectedly, for a pipeline author. */
function unexpectedStop(error) {
  if (memoryRanOut()) return MEMORY_RAN_OUT;
  return `The Akeyless task stopped on an unexpected ${describeError(error)}. No further output was produced.`;
}

/** What the core calls back into; see `JsHost` in `src/host.rs`. */
function createHost(readEnv) {
  return {
    // Values go to the core as UTF-8 bytes: wasm-bindgen copies a string in one character at
    // a time in JavaScript, bytes at once (see `read_env` in src/host.rs).
    env: (name) => {
      const value = readEnv(name);
      return value === undefined ? undefined : Buffer.from(value, 'utf8');
    },
    writeLines,
    // process.hrtime rather than the `performance` global, which loads a module on first use.
    nowMs: () => Number(process.hrtime.bigint()) / 1e6,
    wallClockMs: () => Date.now(),
    random: () => Math.random(),
    patternMatches: (pattern, text) => {
      try {
        return new RegExp(pattern, 'i').test(text);
      } catch {
        return undefined;
      }
    },
    sleep: (ms) => new Promise((resolve) => { setTimeout(resolve, ms); }),
    readFile: (file) => {
      try {
        return JSON.stringify({ text: fs().readFileSync(file, 'utf8') });
      } catch (error) {
        return JSON.stringify({ error: error.code || error.name || 'EUNKNOWN' });
      }
    },
    // The mode is set again after creating: the umask may have taken bits away.
    createDirectory: (directory, mode) => fileOperation(() => {
      fs().mkdirSync(directory, { mode });
      fs().chmodSync(directory, mode);
    }),
    // 'wx' creates exclusively (O_CREAT | O_EXCL): an existing file or link is never opened.
    // `contents` is UTF-8 bytes, a view of the core's memory, written before it returns.
    writeNewFile: (file, contents, mode) => fileOperation(() => {
      const descriptor = fs().openSync(file, 'wx', mode);
      try {
        fs().fchmodSync(descriptor, mode);
        fs().writeFileSync(descriptor, contents);
      } finally {
        fs().closeSync(descriptor);
      }
    }),
    removeFile: (file) => fileOperation(() => fs().unlinkSync(file)),
    removeDirectory: (directory) => fileOperation(() => fs().rmdirSync(directory)),
    secureRandomHex: (count) => crypto().randomBytes(count).toString('hex'),
    generateKeyPair: (algorithm) => JSON.stringify(generateKeyPair(algorithm)),
    http: exchange,
  };
}

/** Runs the task `taskName` from the task folder this file sits in. */
function runTask(taskName) {
  return run((host) => core.runTask(taskName, host));
}

/** Runs the post-job step of the task `taskName`. */
function runPostJob(taskName) {
  return run((host) => core.runPostJob(taskName, host));
}

/** Loads the core and runs `start(host)` in it, turning anything unexpected into a failure. */
function run(start) {
  const readEnv = takeEnvironment();
  process.on('exit', finishOutputAtExit);
  process.on('uncaughtException', (error) => failTask(unexpectedStop(error)));
  process.on('unhandledRejection', (error) => failTask(unexpectedStop(error)));

  try {
    core = loadCore();
  } catch (error) {
    failTask(`The Akeyless task could not load its WebAssembly module (${describeError(error)}). Reinstall the extension.`);
    return Promise.resolve();
  }

  return Promise.resolve()
    .then(() => start(createHost(readEnv)))
    .then(
      () => {
        if (outputError) failTask(OUTPUT_LOST);
      },
      (error) => {
        if (memoryRanOut()) {
          failTask(MEMORY_RAN_OUT);
          return;
        }
        const location = safeCall(() => core.panicLocation());
        const where = location ? ` at ${location}` : '';
        failTask(`The Akeyless task stopped on an internal error (${describeError(error)}${where}). Please report this with the pipeline's debug log.`);
      },
    )
    .finally(() => {
      // The step is over and its output written (synchronously), so the process ends now,
      // the `exit` handlers still running: Node's orderly teardown of a heap that holds a
      // large step's strings costs it about 1.5 ms more. The keep-alive connections close
      // with the process; closing them one by one first (`Agent.destroy`) costs 0.4 ms.
      process.exit();
    });
}

/** An error's class and code, which never carry data; its message might. */
function describeError(error) {
  const name = error && typeof error.name === 'string' ? error.name : typeof error;
  const code = error && typeof error.code === 'string' ? ` ${error.code}` : '';
  return `${name}${code}`.replace(/[^A-Za-z0-9_ .-]/g, '');
}

function safeCall(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

module.exports = {
  runTask, runPostJob, takeEnvironment, loadCore, NODE20_TIERING_BUDGET, NODE24_TIERING_BUDGET,
};
