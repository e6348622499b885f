#!/usr/bin/env node
'use strict';
// The verifying proxy (S3, DynamoDB), the credential servers (STS, IMDSv2,
// container) and the admin API in one process, so credentials issued by the
// credential servers are accepted by the proxy.
//
// usage: node server.js CONFIG.json
// Listens on 127.0.0.1 (free ports unless the config fixes them) and writes
// {"s3":P,"dynamodb":P,"sts":P,"imds":P,"container":P,"admin":P} to
// config.portsFile once every listener is up.

const fs = require('fs');
const http = require('http');
const { Registry } = require('../lib/registry');
const { Faults, RequestLog, Counters } = require('../lib/faults');
const { Proxy } = require('../lib/proxy');
const { CredentialServers } = require('../lib/creds');
const { adminHandler } = require('../lib/admin');
const { watchdog } = require('../lib/lifetime');

function loadConfig(file) {
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  const need = ['upstream', 'keys', 'portsFile', 'spoolDir'];
  for (const k of need) if (c[k] === undefined) throw new Error(`${file}: missing "${k}"`);
  return {
    region: 'us-west-1',
    account: '123456789012',
    roles: [],
    imdsRole: 'aftomato-instance-role',
    containerRole: 'aftomato-task-role',
    containerPath: '/v2/credentials/aftomato-task',
    containerToken: null,
    webIdentityTokenFile: null,
    credentialTtlSeconds: null,
    spoolMemBytes: 8 * 1024 * 1024,
    ports: {},
    maxLifetimeSeconds: 6 * 3600,
    ...c,
  };
}

function listen(handler, port) {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => handler(req, res, false));
    server.on('checkContinue', (req, res) => handler(req, res, true));
    server.keepAliveTimeout = 30000;
    server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    server.once('error', reject);
    server.listen(port || 0, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const cfg = loadConfig(process.argv[2]);
  const registry = new Registry({ account: cfg.account });
  for (const k of cfg.keys) registry.add({ ...k, source: 'static' });
  const state = {
    registry,
    faults: new Faults(),
    log: new RequestLog(),
    counters: new Counters(),
    region: cfg.region,
    upstream: cfg.upstream,
    spoolDir: cfg.spoolDir,
    spoolMemBytes: cfg.spoolMemBytes,
    config: cfg,
    initialTtl: cfg.credentialTtlSeconds,
  };
  fs.mkdirSync(cfg.spoolDir, { recursive: true });
  const proxy = new Proxy(state);
  const creds = new CredentialServers(state);
  const ports = {};
  const servers = [];
  const handlers = {
    s3: proxy.handler('s3'),
    dynamodb: proxy.handler('dynamodb'),
    sts: creds.handler('sts'),
    imds: creds.handler('imds'),
    container: creds.handler('container'),
  };
  for (const [name, h] of Object.entries(handlers)) {
    const s = await listen(h, cfg.ports[name]);
    servers.push(s);
    ports[name] = s.address().port;
  }
  const admin = await listen(adminHandler(state, creds, ports), cfg.ports.admin);
  servers.push(admin);
  ports.admin = admin.address().port;
  const tmp = cfg.portsFile + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify(ports) + '\n');
  fs.renameSync(tmp, cfg.portsFile);
  watchdog(cfg.maxLifetimeSeconds, cfg.spoolDir, () => servers.forEach((s) => s.close()));
}

main().catch((e) => {
  process.stderr.write(`aws test server: ${e.stack || e}\n`);
  process.exit(1);
});
