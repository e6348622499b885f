#!/usr/bin/env node
'use strict';
// Runs s3rver on a free loopback port and writes the port to PORT_FILE.
// usage: node --openssl-legacy-provider s3rver.js DATA_DIR PORT_FILE [MAX_LIFETIME_S]
// (s3rver encrypts its list continuation tokens with a cipher that OpenSSL 3
// only offers through the legacy provider.)

const fs = require('fs');
const S3rver = require('s3rver');
const { watchdog } = require('../lib/lifetime');

const [dir, portFile, lifetime] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: dir,
  silent: true,
  vhostBuckets: false,
});
server.run((err, addr) => {
  if (err) {
    process.stderr.write(`s3rver: ${err.stack || err}\n`);
    process.exit(1);
  }
  fs.writeFileSync(portFile + '.tmp', String(addr.port) + '\n');
  fs.renameSync(portFile + '.tmp', portFile);
  watchdog(Number(lifetime || 6 * 3600), dir, () => server.close());
});
