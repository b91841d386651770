'use strict';
/** Assertions and readings shared by the task suites, phrased as the SPEC states the rules. */

const assert = require('node:assert/strict');

/**
 * The step failed as SPEC section 5 says: exit code 0, exactly one error issue, one
 * `task.complete result=Failed`, nothing on stderr, and no variable set. Returns the error.
 */
function assertCleanFailure(step) {
  assert.equal(step.exitCode, 0, step.stderr);
  assert.equal(step.result, 'Failed');
  assert.equal(step.errors.length, 1, JSON.stringify(step.issues));
  assert.equal(step.completions, 1);
  assert.equal(step.stderr, '');
  assert.deepEqual(Object.keys(step.variables), []);
  return step.errors[0];
}

/** The step succeeded: exit code 0, result Succeeded. */
function assertSucceeded(step) {
  assert.equal(step.exitCode, 0, step.stderr);
  assert.equal(step.result, 'Succeeded', JSON.stringify(step.issues));
}

/** The values the step registered with `task.setsecret`, in order. */
function registeredSecrets(step) {
  return step.commands.filter((c) => c.name === 'task.setsecret').map((c) => c.data);
}

module.exports = { assertCleanFailure, assertSucceeded, registeredSecrets };
