#!/usr/bin/env node
'use strict';
// Runs dynalite in memory on a free loopback port and writes the port to
// PORT_FILE.
// usage: node dynalite.js PORT_FILE [MAX_LIFETIME_S]

const fs = require('fs');
const path = require('path');
const dynalite = require('dynalite');
const { watchdog } = require('../lib/lifetime');

const [portFile, lifetime] = process.argv.slice(2);
// No "path" option: dynalite keeps its tables in memory. Table and index
// transitions are immediate so fixtures do not wait.
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port) + '\n');
  fs.renameSync(portFile + '.tmp', portFile);
  watchdog(Number(lifetime || 6 * 3600), path.dirname(portFile), () => server.close());
});
