'use strict';
// Entry point the agent runs; host.js and pkg/ are staged beside it by `npm run build`.
require('./host.js').runTask('akeyless-get-pki-certificate');
