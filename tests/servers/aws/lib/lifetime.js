'use strict';
// Test servers stop by themselves: on SIGTERM/SIGINT, after a maximum
// lifetime, or when their state directory disappears (a removed build tree),
// so an interrupted test run never leaves them behind for long.

const fs = require('fs');

function watchdog(maxLifetimeSeconds, dir, close) {
  const started = Date.now();
  const stop = (code) => {
    try {
      close();
    } catch (e) {
      // closing is best effort; the process exits anyway
    }
    setTimeout(() => process.exit(code), 200).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  setInterval(() => {
    if (Date.now() - started > maxLifetimeSeconds * 1000) {
      process.stderr.write('test server: maximum lifetime reached, exiting\n');
      stop(0);
    } else if (!fs.existsSync(dir)) {
      process.stderr.write(`test server: ${dir} is gone, exiting\n`);
      stop(0);
    }
  }, 5000);
}

module.exports = { watchdog };
