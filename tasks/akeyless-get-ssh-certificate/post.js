'use strict';
// Post-job entry point the agent runs after the job's steps (see task.json postjobexecution):
// it takes back what the main step left (tokens, dynamic credentials, files).
require('./host.js').runPostJob('akeyless-get-ssh-certificate');
