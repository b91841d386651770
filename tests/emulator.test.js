'use strict';
/**
 * The agent emulator itself: it must parse commands by the agent's rules and catch a task
 * that prints a secret, or every other test's guarantees are hollow.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it } = require('node:test');
const { parseCommand } = require('./support/logging-commands');
const { execFileSync } = require('node:child_process');
const { Pipeline } = require('./support/agent');
const { nodeFor } = require('./support/node-runtimes');

describe('emulator: logging command parsing', () => {
  it('finds the prefix anywhere in the line and ends the command at the first ]', () => {
    assert.deepEqual(parseCommand('text ##vso[task.setsecret]a]b'), {
      name: 'task.setsecret', properties: {}, data: 'a]b',
    });
  });

  it('unescapes %AZP25 last, so an escaped percent never becomes another escape', () => {
    assert.equal(parseCommand('##vso[task.debug]%AZP250A and %0A').data, '%0A and \n');
  });

  it('reads properties case-insensitively and drops items without a value', () => {
    const command = parseCommand('##vso[task.setvariable variable=a%3Bb;isOutput=true;issecret=;junk]x');
    assert.deepEqual(command.properties, { variable: 'a;b', isoutput: 'true' });
  });

  it('does not trim property keys, as the agent does not', () => {
    assert.deepEqual(parseCommand('##vso[task.setvariable variable=a; issecret=true]x').properties, {
      variable: 'a', ' issecret': 'true',
    });
  });

  it('reports a prefix without a legal command as invalid', () => {
    assert.deepEqual(parseCommand('##vso[nodot]x'), { invalid: true });
    assert.deepEqual(parseCommand('##vso[task.debug'), { invalid: true });
    assert.equal(parseCommand('plain'), null);
  });
});

describe('emulator: handler runtimes', () => {
  it('runs Node20_1 tasks on Node 20, Node24 tasks on the agent\'s Node 24 and Node16 tasks on Node 16', () => {
    const version = (handler) => execFileSync(nodeFor(handler), ['--version'], { encoding: 'utf8' }).trim();
    assert.match(version('Node20_1'), /^v20\./);
    assert.equal(version('Node24'), 'v24.18.1');
    assert.equal(version('Node16'), 'v16.20.2');
  });
});

describe('emulator: leak check', () => {
  /** A throwaway task whose index.js is `body`. */
  function fakeTask(body) {
    const tasksDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-task-'));
    const dir = path.join(tasksDir, 'fake-task');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'task.json'), JSON.stringify({
      name: 'fake-task',
      inputs: [{ name: 'value', type: 'string' }],
      execution: { Node20_1: { target: 'index.js' } },
    }));
    fs.writeFileSync(path.join(dir, 'index.js'), body);
    return tasksDir;
  }

  it('rejects a step that prints a secret variable in a plain line', async () => {
    const tasksDir = fakeTask("console.log('value is ' + process.env.INPUT_VALUE);");
    const pipeline = new Pipeline({ tasksDir, secretVariables: { PW: 'pw-5531-secret' } });
    await assert.rejects(pipeline.run({ task: 'fake-task@0', inputs: { value: '$(PW)' } }), /leaked secrets/);
  });

  it('rejects a step that puts a secret it registered into an error issue', async () => {
    const tasksDir = fakeTask(`
      console.log('##vso[task.setvariable variable=x;issecret=true;]fresh-secret-77');
      console.log('##vso[task.logissue type=error;]failed with fresh-secret-77');`);
    await assert.rejects(new Pipeline({ tasksDir }).run({ task: 'fake-task@0' }), /leaked secrets/);
  });

  it('accepts a secret only in the data of setsecret and setvariable, and masks the log', async () => {
    const tasksDir = fakeTask(`
      console.log('##vso[task.setsecret]fresh-secret-88');
      console.log('##vso[task.setvariable variable=x;issecret=true;]fresh-secret-88');`);
    const step = await new Pipeline({ tasksDir }).run({ task: 'fake-task@0', name: 'Fake' });
    assert.equal(step.variables.x.value, 'fresh-secret-88');
    assert.equal(step.variables.x.secret, true);
  });

  it('fails a step that sets a multi-line secret variable, as the agent does', async () => {
    const tasksDir = fakeTask("console.log('##vso[task.setvariable variable=x;issecret=true;]a%0Ab');");
    const step = await new Pipeline({ tasksDir }).run({ task: 'fake-task@0' });
    assert.equal(step.result, 'Failed');
    assert.match(step.errors[0], /Secrets cannot contain multiple lines/);
  });
});
