'use strict';
/**
 * An emulator of the Azure Pipelines agent running our tasks, step after step, as a job does.
 *
 * For each step it reads the task's `task.json` and the manifest's `akeyless` endpoint type,
 * maps the YAML input names (or aliases) to `INPUT_*` variables exactly as the agent does
 * (every declared input present, defaults applied, literal values trimmed, then `$(...)`
 * macros expanded), resolves connection names to GUIDs with their `ENDPOINT_*` variables,
 * passes job variables and secrets (`SECRET_*`), launches the handler's target with that
 * handler's Node version from a separate working directory, and reads the `##vso` commands it prints into
 * variables, secrets, issues and a result, masking the log as the agent would.
 *
 * Every step is also checked for leaks: no secret known to the pipeline (secret variables,
 * connection credentials, values the step registered or set as secret, and any `secrets`
 * the test names, such as the tokens the Akeyless server issued), nor any form of one a
 * shell or the log reader would show (trimmed, without quotes, each part between line
 * breaks), may appear anywhere in the output except in the data of the commands that hand
 * secrets to the agent. A leak fails the step's promise, so every test gets the check.
 *
 * Output is split into lines as the agent's reader splits it (.NET `ReadLine`): at `\r\n`,
 * `\n` and a lone `\r`.
 *
 * Post-job steps run as the agent runs them (`runPostJobSteps`, or `runJob` for a whole job):
 * after all the steps, in reverse order, for every step whatever its result, with the
 * `VSTS_TASKVARIABLE_*` variables of that step's `task.settaskvariable` commands. The whole
 * job shares one `Agent.TempDirectory`.
 *
 * With `windows: true` every step runs as on a Windows agent: the Windows build of Node 20
 * under Wine (see `windows.js`), the agent's directories handed over as Windows paths
 * (`Z:\tmp\...`), and connection ids without dashes, which Wine would drop from variable names.
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseCommand, isTrue } = require('./logging-commands');
const { nodeFor } = require('./node-runtimes');
const windows = require('./windows');

const ROOT = path.resolve(__dirname, '..', '..');
const RESULT_ORDER = ['Succeeded', 'SucceededWithIssues', 'Failed', 'Canceled', 'Skipped'];
const SCHEME_NAMES = {
  'ms.vss-endpoint.endpoint-auth-scheme-none': 'None',
  'ms.vss-endpoint.endpoint-auth-scheme-token': 'Token',
};
/** The commands whose data is a secret handed to the agent, legitimately. */
const SECRET_CARRYING = new Set(['task.setvariable', 'task.setsecret', 'task.settaskvariable']);

/** Every job's temp directory, removed when the test process exits. */
const jobTempDirectories = new Set();
process.on('exit', () => {
  for (const directory of jobTempDirectories) fs.rmSync(directory, { recursive: true, force: true });
});

/** The agent's variable-name-to-environment rule (`.` and space become `_`, upper case). */
function envKey(name) {
  return name.replace(/[. ]/g, '_').toUpperCase();
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The manifest's contribution for the endpoint type `typeName`. */
function endpointType(manifest, typeName) {
  const contribution = manifest.contributions.find((c) => c.type === 'ms.vss-endpoint.service-endpoint-type'
    && c.properties.name.toLowerCase() === typeName.toLowerCase());
  if (!contribution) throw new Error(`vss-extension.json has no endpoint type '${typeName}'`);
  return contribution.properties;
}

class Pipeline {
  /**
   * @param {object} options
   * @param {Record<string,string>} [options.variables] public job variables
   * @param {Record<string,string>} [options.secretVariables] secret job variables
   * @param {Record<string,{url:string, accessId?:string, accessKey?:string}>} [options.connections]
   *   service connections by name, in the fields the Akeyless connection form shows
   * @param {string} [options.tasksDir] where the task folders are (default: the repo's tasks/)
   * @param {string} [options.manifest] path of vss-extension.json
   * @param {boolean} [options.debug] run with system.debug=true
   * @param {Iterable<string>} [options.secrets] further values that must never be printed;
   *   read at each step's end, so a live collection (the tokens a server issued) works
   * @param {Record<string,string>} [options.env] the agent machine's own environment
   *   (HTTPS_PROXY, NODE_EXTRA_CA_CERTS...), which the agent passes on to every task
   * @param {boolean} [options.windows] run every step as a Windows agent would (under Wine)
   */
  constructor({
    variables = {}, secretVariables = {}, connections = {}, tasksDir = path.join(ROOT, 'tasks'),
    manifest = path.join(ROOT, 'vss-extension.json'), debug = false, secrets = [], env = {},
    windows: onWindows = false,
  } = {}) {
    this.windows = onWindows;
    this.machineEnv = env;
    this.variables = new Map(Object.entries(variables).map(([name, value]) => [name, { value, secret: false }]));
    for (const [name, value] of Object.entries(secretVariables)) this.variables.set(name, { value, secret: true });
    this.tasksDir = tasksDir;
    this.manifest = readJson(manifest);
    this.debug = debug;
    this.maskedValues = new Set();
    this.extraSecrets = secrets;
    for (const { value, secret } of this.variables.values()) if (secret) this.maskedValues.add(value);
    this.connections = new Map();
    for (const [name, fields] of Object.entries(connections)) this.addConnection(name, fields);
    this.systemAccessToken = `sat-${crypto.randomBytes(12).toString('hex')}`;
    this.maskedValues.add(this.systemAccessToken);
    this.stepCount = 0;
    /** The job's Agent.TempDirectory, shared by every step and post-job step. */
    this.tempDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-temp-'));
    jobTempDirectories.add(this.tempDirectory);
    /** The steps of the job so far, with their task variables, for the post-job steps. */
    this.jobSteps = [];
  }

  /**
   * Registers a connection as the service would store it: URL, data, and auth scheme.
   * `idToken` is the OIDC token that newer servers add to a connection's authorization
   * parameters for the job (late-bound id token).
   */
  addConnection(name, { url, accessId, accessKey, idToken }) {
    const type = endpointType(this.manifest, 'akeyless');
    const dataIds = (type.inputDescriptors ?? []).map((d) => d.id);
    if (!dataIds.includes('accessId')) throw new Error('the akeyless endpoint type has no accessId field');
    const scheme = type.authenticationSchemes.find((s) => (accessKey === undefined
      ? s.type.endsWith('-none')
      : (s.inputDescriptors ?? []).some((d) => d.isConfidential)));
    if (!scheme) throw new Error('the akeyless endpoint type has no scheme for this connection');
    const parameters = {};
    if (accessKey !== undefined) {
      parameters[scheme.inputDescriptors.find((d) => d.isConfidential).id] = accessKey;
      this.maskedValues.add(accessKey);
    }
    if (idToken !== undefined) {
      parameters.idToken = idToken;
      this.maskedValues.add(idToken);
    }
    this.connections.set(name, {
      id: this.newConnectionId(),
      url,
      data: accessId === undefined ? {} : { accessId },
      scheme: SCHEME_NAMES[scheme.type],
      parameters,
    });
  }

  /**
   * The log a later script step makes of `output` (what it printed, such as a decoded
   * secret), as the agent reads and masks it: split where its reader splits lines, each
   * registered secret replaced by `***`.
   */
  logOf(output) {
    return splitLines(output).map((line) => maskText(line, this.maskedValues));
  }

  /** A connection's id: a GUID, without its dashes on Windows (see the class comment). */
  newConnectionId() {
    const id = crypto.randomUUID();
    return this.windows ? id.replace(/-/g, '') : id;
  }

  /** A directory or file here as the agent hands it to a task (a Windows path on Windows). */
  agentPath(file) {
    return this.windows ? windows.windowsPath(file) : file;
  }

  /** A path a task printed, as a path here. */
  hostPath(file) {
    return this.windows ? windows.hostPath(file) : file;
  }

  /** `${{ variables.X }}` (template time) and `$(X)` (run time) expanded; unknown `$(X)` kept. */
  expand(text) {
    const lookup = (name) => this.variables.get(name)?.value;
    return text
      .replace(/\$\{\{\s*variables\.([A-Za-z0-9_.]+)\s*\}\}/g, (_, name) => lookup(name) ?? '')
      .replace(/\$\(([A-Za-z0-9_.]+)\)/g, (whole, name) => lookup(name) ?? whole);
  }

  /** The environment the agent gives a step. */
  baseEnvironment(workDir) {
    const env = {
      ...this.machineEnv,
      PATH: process.env.PATH,
      AGENT_TEMPDIRECTORY: this.agentPath(this.tempDirectory),
      AGENT_WORKFOLDER: this.agentPath(workDir),
      SYSTEM_DEFAULTWORKINGDIRECTORY: this.agentPath(workDir),
      SYSTEM_DEBUG: this.debug ? 'true' : 'false',
      ENDPOINT_URL_SYSTEMVSSCONNECTION: 'https://dev.azure.com/example/',
      ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
      ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: this.systemAccessToken,
      ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({
        parameters: { AccessToken: this.systemAccessToken }, scheme: 'OAuth',
      }),
      SECRET_SYSTEM_ACCESSTOKEN: this.systemAccessToken,
    };
    const publicNames = [];
    const secretNames = ['System.AccessToken'];
    for (const [name, { value, secret }] of this.variables) {
      if (secret) {
        env[`SECRET_${envKey(name)}`] = value;
        secretNames.push(name);
      } else {
        env[envKey(name)] = value;
        publicNames.push(name);
      }
    }
    env.VSTS_PUBLIC_VARIABLES = JSON.stringify(publicNames);
    env.VSTS_SECRET_VARIABLES = JSON.stringify(secretNames);
    return env;
  }

  /** Adds the step's inputs and the variables of the connections they name. */
  addInputs(env, taskJson, inputs) {
    const declared = taskJson.inputs;
    const values = new Map(declared.map((input) => [input.name, String(input.defaultValue ?? '')]));
    for (const [yamlName, raw] of Object.entries(inputs)) {
      const input = declared.find((d) => [d.name, ...(d.aliases ?? [])]
        .some((n) => n.toLowerCase() === yamlName.toLowerCase()));
      if (!input) throw new Error(`task ${taskJson.name} has no input '${yamlName}'`);
      values.set(input.name, this.expand(String(raw).trim()));
    }
    for (const input of declared) {
      let value = values.get(input.name);
      if (input.type.toLowerCase().startsWith('connectedservice:') && value) {
        value = this.exportConnection(env, value);
      }
      env[`INPUT_${envKey(input.name)}`] = value;
    }
  }

  /** Exports the connection named `name` and returns its id, as the agent's input holds. */
  exportConnection(env, name) {
    const connection = this.connections.get(name);
    // A connection this step may not use reaches the task as an id with no variables.
    if (!connection) return this.newConnectionId();
    const { id } = connection;
    env[`ENDPOINT_URL_${id}`] = connection.url;
    env[`ENDPOINT_AUTH_${id}`] = JSON.stringify({ parameters: connection.parameters, scheme: connection.scheme });
    env[`ENDPOINT_AUTH_SCHEME_${id}`] = connection.scheme;
    for (const [key, value] of Object.entries(connection.parameters)) {
      env[`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`] = value;
    }
    env[`ENDPOINT_DATA_${id}`] = JSON.stringify(connection.data);
    for (const [key, value] of Object.entries(connection.data)) {
      env[`ENDPOINT_DATA_${id}_${key.toUpperCase()}`] = value;
    }
    return id;
  }

  /**
   * Everything the agent prepares to launch a step: the task.json, the Node binary and script
   * of the handler, a fresh working directory, and the environment.
   */
  prepare({ task, inputs = {}, handler = 'Node20_1', displayName }, phase = 'execution') {
    const taskName = task.split('@')[0];
    const taskDir = path.join(this.tasksDir, taskName);
    const taskJson = readJson(path.join(taskDir, 'task.json'));
    const execution = taskJson[phase]?.[handler];
    if (!execution) throw new Error(`task ${taskName} has no ${phase} ${handler} handler`);
    if (this.windows && handler !== 'Node20_1') throw new Error(`Windows steps run on Node 20 only, not ${handler}`);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-work-'));
    const env = this.baseEnvironment(workDir);
    this.addInputs(env, taskJson, inputs);
    env.SYSTEM_TASKDISPLAYNAME = displayName ?? taskJson.friendlyName;
    const node = this.windows ? windows.windowsNode() : nodeFor(handler);
    return { taskJson, node, script: path.join(taskDir, execution.target), workDir, env };
  }

  /**
   * Runs one step: `{ task: 'akeyless-auth@0', name: 'AkeylessAuth', inputs: {...} }`.
   * Resolves to the step's result (see `StepResult`); rejects if the step leaked a secret.
   */
  async run(step) {
    this.stepCount += 1;
    const stepName = step.name ?? `Step${this.stepCount}`;
    const jobStep = { step, name: stepName, taskVariables: {} };
    this.jobSteps.push(jobStep);
    const result = await this.launchStep(step, stepName, 'execution', {});
    jobStep.taskVariables = result.taskVariables;
    return result;
  }

  /**
   * Records `step` as skipped: it does not run (an earlier step failed), but the agent still
   * gives it a post-job step.
   */
  skip(step) {
    this.stepCount += 1;
    this.jobSteps.push({ step, name: step.name ?? `Step${this.stepCount}`, taskVariables: {} });
  }

  /**
   * Runs the post-job steps of every step so far, in reverse order, each with its step's task
   * variables, as the agent does when the job's steps are done. Resolves to their results.
   */
  async runPostJobSteps() {
    const results = [];
    for (const jobStep of [...this.jobSteps].reverse()) {
      const taskVariables = Object.fromEntries(Object.entries(jobStep.taskVariables)
        .map(([name, { value }]) => [`VSTS_TASKVARIABLE_${envKey(name)}`, value]));
      results.push(await this.launchStep(jobStep.step, `Post-job: ${jobStep.name}`, 'postjobexecution', taskVariables));
    }
    this.jobSteps = [];
    return results;
  }

  /**
   * Runs `steps` as a job: in order, each after a failed one skipped (the default condition),
   * then every post-job step. Resolves to `{ steps, postJobSteps }`.
   */
  async runJob(steps) {
    const results = [];
    for (const step of steps) {
      if (results.some((result) => result.result === 'Failed')) {
        this.skip(step);
      } else {
        results.push(await this.run(step));
      }
    }
    return { steps: results, postJobSteps: await this.runPostJobSteps() };
  }

  async launchStep(step, stepName, phase, extraEnv) {
    const { taskJson, node, script, workDir, env } = this.prepare(step, phase);
    // `nodeFlags` (V8 limits, for tests of what the host does when they are reached) go
    // before the script, as an agent started with NODE_OPTIONS-like flags would pass them.
    const args = [...(step.nodeFlags ?? []), this.agentPath(script)];
    const launched = this.windows
      ? await windows.launchUnderWine(node, args, workDir, { ...env, ...extraEnv })
      : await launch(node, args, workDir, { ...env, ...extraEnv });
    fs.rmSync(workDir, { recursive: true, force: true });
    const result = new StepResult(stepName, taskJson, launched, this);
    result.checkForLeaks([...this.maskedValues, ...this.extraSecrets]);
    return result;
  }
}

/** Starts `<node> <script>` as the agent does, collecting stdout, stderr and the exit. */
function launch(node, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({
      exitCode,
      signal,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    }));
  });
}

/** `text` with every one of `secrets` replaced by `***`, longest first, as the agent masks. */
function maskText(text, secrets) {
  let masked = text;
  const ordered = [...secrets].filter((s) => s.trim()).sort((a, b) => b.length - a.length);
  for (const secret of ordered) masked = masked.split(secret).join('***');
  return masked;
}

/** Lines as .NET's `StreamReader.ReadLine` reads them: ended by `\r\n`, `\n` or a lone `\r`. */
function splitLines(text) {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `text` without one pair of matching surrounding quotes, or null. */
function withoutQuotes(text) {
  const match = /^(["'])([\s\S]*)\1$/.exec(text);
  return match ? match[2] : null;
}

/**
 * A secret and the forms of it a log could show: trimmed, without surrounding quotes, and
 * each part between line breaks of those. Derived forms shorter than six characters are left
 * out: on their own they are not secrets (`}`, `60`).
 */
function leakForms(secret) {
  const forms = new Set([secret]);
  const addDerived = (text) => {
    const trimmed = text.trim();
    if (trimmed.length >= 6) forms.add(trimmed);
    const unquoted = withoutQuotes(trimmed)?.trim();
    if (unquoted && unquoted.length >= 6) forms.add(unquoted);
  };
  addDerived(secret);
  for (const form of [...forms]) {
    if (/[\r\n]/.test(form)) for (const part of form.split(/\r\n|\n|\r/)) addDerived(part);
  }
  return forms;
}

/** What the agent made of one step's output. */
class StepResult {
  constructor(stepName, taskJson, { exitCode, signal, stdout, stderr }, pipeline) {
    this.name = stepName;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stdout = stdout;
    this.stderr = stderr;
    /** Every output line, stdout then stderr: the agent reads both the same way. */
    this.lines = [...splitLines(stdout), ...splitLines(stderr)];
    this.commands = [];
    this.issues = [];
    /** Variables this step set: final name (`Step.var` for outputs) -> { value, secret, output }. */
    this.variables = {};
    /** Task variables this step set for its own later steps: name -> { value, secret }. */
    this.taskVariables = {};
    /** The log as the agent shows it, secrets masked. */
    this.log = [];
    /** Run summaries attached with task.uploadsummary: { name, markdown }, read when processed. */
    this.summaries = [];
    this.result = 'Succeeded';
    this.completions = 0;
    this.pipeline = pipeline;
    const outputNames = new Set((taskJson.outputVariables ?? []).map((o) => o.name.toLowerCase()));
    for (const line of this.lines) this.process(line, outputNames);
    if (exitCode !== 0) {
      this.addIssue('error', `Exit code ${exitCode} returned from process.`);
      this.mergeResult('Failed');
    }
  }

  get errors() {
    return this.issues.filter((i) => i.type === 'error').map((i) => i.message);
  }

  get warnings() {
    return this.issues.filter((i) => i.type === 'warning').map((i) => i.message);
  }

  mergeResult(result) {
    if (RESULT_ORDER.indexOf(result) > RESULT_ORDER.indexOf(this.result)) this.result = result;
  }

  addIssue(type, message) {
    this.issues.push({ type, message });
    this.log.push(this.mask(`##[${type}]${message}`));
  }

  /** A command the agent could not carry out fails the step. */
  commandFailed(reason) {
    this.addIssue('error', `Unable to process command: ${reason}`);
    this.mergeResult('Failed');
  }

  mask(text) {
    return maskText(text, this.pipeline.maskedValues);
  }

  process(line, outputNames) {
    const command = parseCommand(line);
    if (command === null) {
      this.log.push(this.mask(line));
      return;
    }
    if (command.invalid) {
      this.log.push(this.mask(line));
      this.issues.push({ type: 'warning', message: `'${this.mask(line)}' contains logging command keyword '##vso', but it's not a legal command.` });
      return;
    }
    this.commands.push(command);
    const { name, properties, data } = command;
    switch (name) {
      case 'task.setsecret':
        if (data) this.pipeline.maskedValues.add(data);
        break;
      case 'task.setvariable': {
        const accepted = this.acceptVariable(command);
        if (!accepted) return undefined;
        const { variable, secret } = accepted;
        const output = isTrue(properties.isoutput) || outputNames.has(variable.toLowerCase());
        const finalName = output ? `${this.name}.${variable}` : variable;
        this.variables[finalName] = { value: data, secret, output };
        this.pipeline.variables.set(finalName, { value: data, secret });
        break;
      }
      case 'task.settaskvariable': {
        const accepted = this.acceptVariable(command);
        if (accepted) this.taskVariables[accepted.variable] = { value: data, secret: accepted.secret };
        break;
      }
      case 'task.logissue':
      case 'task.issue': {
        const type = properties.type;
        if (type !== 'error' && type !== 'warning') return this.commandFailed(`issue type '${type}' is not valid`);
        this.addIssue(type, data);
        break;
      }
      case 'task.complete': {
        if (!RESULT_ORDER.includes(properties.result)) return this.commandFailed("Command doesn't have valid result value.");
        this.completions += 1;
        this.mergeResult(properties.result);
        break;
      }
      case 'task.uploadsummary': {
        // The agent uploads the file when it processes the command; it must exist then.
        const absolute = this.pipeline.windows ? path.win32.isAbsolute(data) : path.isAbsolute(data);
        const file = data && absolute ? this.pipeline.hostPath(data) : null;
        if (!file || !fs.existsSync(file)) return this.commandFailed(`summary file not found: ${data}`);
        this.summaries.push({ name: path.basename(file), markdown: fs.readFileSync(file, 'utf8') });
        break;
      }
      case 'task.debug':
        if (this.pipeline.debug) this.log.push(this.mask(`##[debug]${data}`));
        break;
      default:
        this.issues.push({ type: 'warning', message: `unknown logging command ${name}` });
    }
    return undefined;
  }

  /**
   * The agent's checks of setvariable and settaskvariable: a name, and a secret on one line
   * (registered with the masker). Returns `{ variable, secret }`, or null when the command
   * failed.
   */
  acceptVariable({ name, properties, data }) {
    const variable = properties.variable;
    if (!variable) {
      this.commandFailed(`${name} needs a variable name`);
      return null;
    }
    const secret = isTrue(properties.issecret);
    if (secret && data.includes('\n')) {
      this.commandFailed('Secrets cannot contain multiple lines');
      return null;
    }
    if (secret && data) this.pipeline.maskedValues.add(data);
    return { variable, secret };
  }

  /** Throws when a secret appears anywhere but in the data of a secret-carrying command. */
  checkForLeaks(secrets) {
    const summaryLines = this.summaries.flatMap(({ markdown }) => splitLines(markdown));
    const leaks = findLeaks([...this.lines, ...summaryLines], secrets).map((line) => `a secret appears in: ${this.mask(line)}`);
    if (leaks.length > 0) {
      const error = new Error(`step ${this.name} leaked secrets:\n${leaks.join('\n')}`);
      error.step = this;
      throw error;
    }
  }
}

/**
 * The output lines in which one of `secrets` appears, outside the data of the commands that
 * hand secrets to the agent (`task.setvariable`, `task.setsecret`). Commands are checked both
 * as printed and unescaped.
 */
function findLeaks(lines, secrets) {
  const wanted = [...new Set([...secrets].filter((secret) => secret).flatMap((secret) => [...leakForms(secret)]))];
  return lines.filter((line) => {
    const command = parseCommand(line);
    const carriesSecret = command && !command.invalid && SECRET_CARRYING.has(command.name);
    const visible = carriesSecret ? line.slice(0, line.indexOf(']', line.indexOf('##vso[')) + 1) : line;
    const texts = [visible];
    if (command && !command.invalid && !carriesSecret) texts.push(command.data, ...Object.values(command.properties));
    return wanted.some((secret) => texts.some((text) => text.includes(secret)));
  });
}

module.exports = { Pipeline, ROOT, findLeaks, leakForms, splitLines };
