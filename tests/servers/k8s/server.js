#!/usr/bin/env node
'use strict';
// Kubernetes-API-compatible test server. Usage:
//   node server.js --state-dir DIR [--port 0] [--admin-port 0] [--seed N]
//        [--start-delay-ms 200] [--bookmark-interval-ms 2000]
//        [--split-probability 0.3] [--history 5000] [--no-http2]
// Generates a CA, server and client certificates and a token (openssl CLI)
// in DIR, listens on 127.0.0.1 (HTTPS API + plain HTTP admin endpoint) and
// writes DIR/kubeconfig, DIR/kubeconfig-inline, DIR/env and DIR/ready.

const fs = require('fs');
const path = require('path');
const http2 = require('http2');
const https = require('https');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const R = require('./lib/resources');
const { Cluster, NAMESPACES } = require('./lib/cluster');
const { Kubelet } = require('./lib/kubelet');
const { JobController } = require('./lib/jobcontroller');
const { Auth } = require('./lib/auth');
const { Faults } = require('./lib/faults');
const { Api } = require('./lib/api');
const { createAdminServer } = require('./lib/admin');

function parseArgs(argv) {
  const o = { port: 0, adminPort: 0, seed: 0, startDelayMs: 200, bookmarkIntervalMs: 2000, splitProbability: 0.3, history: 5000, host: '127.0.0.1', http2: true };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const take = () => {
      i++;
      return v;
    };
    if (a === '--state-dir') o.stateDir = path.resolve(take());
    else if (a === '--port') o.port = Number(take());
    else if (a === '--admin-port') o.adminPort = Number(take());
    else if (a === '--seed') o.seed = Number(take());
    else if (a === '--start-delay-ms') o.startDelayMs = Number(take());
    else if (a === '--bookmark-interval-ms') o.bookmarkIntervalMs = Number(take());
    else if (a === '--split-probability') o.splitProbability = Number(take());
    else if (a === '--history') o.history = Number(take());
    else if (a === '--no-http2') o.http2 = false;
    else {
      process.stderr.write(`k8s-server: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (!o.stateDir) {
    process.stderr.write('k8s-server: --state-dir is required\n');
    process.exit(2);
  }
  if (!o.seed) o.seed = crypto.randomInt(1, 2 ** 31);
  return o;
}

function openssl(args, dir) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

// CA, server certificate (SAN 127.0.0.1, localhost) and a client
// certificate for user "certuser" (group "aftomato:testers"), EC P-256.
function makeCerts(dir) {
  if (fs.existsSync(path.join(dir, 'client.crt'))) return;
  const key = (name) => openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name], dir);
  key('ca.key');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=aftomato-test-ca', '-days', '3650', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], dir);
  const sign = (name, subj, ext) => {
    key(`${name}.key`);
    openssl(['req', '-new', '-key', `${name}.key`, '-subj', subj, '-out', `${name}.csr`], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650',
      '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
    fs.rmSync(path.join(dir, `${name}.csr`));
    fs.rmSync(path.join(dir, `${name}.ext`));
  };
  sign('server', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  sign('client', '/O=aftomato:testers/CN=certuser', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
}

function makeTokens(dir) {
  const file = path.join(dir, 'tokens.csv');
  if (!fs.existsSync(file)) {
    const t1 = crypto.randomBytes(24).toString('hex');
    const t2 = crypto.randomBytes(24).toString('hex');
    fs.writeFileSync(file, `${t1},tester,1001,"aftomato:testers"\n${t2},other,1002,"aftomato:others"\n`, { mode: 0o600 });
  }
  return file;
}

function kubeconfig(dir, url, token, inline) {
  const b64 = (f) => fs.readFileSync(path.join(dir, f)).toString('base64');
  const ca = inline ? `certificate-authority-data: ${b64('ca.crt')}` : `certificate-authority: ${path.join(dir, 'ca.crt')}`;
  const cert = inline ? `client-certificate-data: ${b64('client.crt')}` : `client-certificate: ${path.join(dir, 'client.crt')}`;
  const key = inline ? `client-key-data: ${b64('client.key')}` : `client-key: ${path.join(dir, 'client.key')}`;
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${url}
    ${ca}
contexts:
- name: test
  context:
    cluster: test
    user: tester
    namespace: aftomato
- name: certuser
  context:
    cluster: test
    user: certuser
    namespace: aftomato
current-context: test
users:
- name: tester
  user:
    token: ${token}
- name: certuser
  user:
    ${cert}
    ${key}
preferences: {}
`;
}

function writeFiles(o, apiPort, adminPort) {
  const dir = o.stateDir;
  const url = `https://127.0.0.1:${apiPort}`;
  const tokens = fs.readFileSync(path.join(dir, 'tokens.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')[0]);
  fs.writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig(dir, url, tokens[0], false), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'kubeconfig-inline'), kubeconfig(dir, url, tokens[0], true), { mode: 0o600 });
  const env = {
    K8S_TEST_URL: url,
    K8S_TEST_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
    K8S_TEST_TOKEN: tokens[0],
    K8S_TEST_USER: 'tester',
    K8S_TEST_TOKEN_OTHER: tokens[1],
    K8S_TEST_CA: path.join(dir, 'ca.crt'),
    K8S_TEST_CLIENT_CERT: path.join(dir, 'client.crt'),
    K8S_TEST_CLIENT_KEY: path.join(dir, 'client.key'),
    K8S_TEST_CERT_USER: 'certuser',
    K8S_TEST_NAMESPACE: 'aftomato',
    K8S_TEST_KUBECONFIG: path.join(dir, 'kubeconfig'),
    K8S_TEST_STATE_DIR: dir,
    K8S_TEST_PID: String(process.pid),
    KUBECONFIG: path.join(dir, 'kubeconfig'),
  };
  fs.writeFileSync(path.join(dir, 'env'), Object.entries(env).map(([k, v]) => `export ${k}='${v}'\n`).join(''));
  fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify(env, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'ready'), `${process.pid}\n`);
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

async function main() {
  const o = parseArgs(process.argv);
  fs.mkdirSync(o.stateDir, { recursive: true });
  fs.rmSync(path.join(o.stateDir, 'ready'), { force: true });
  fs.rmSync(path.join(o.stateDir, 'pods'), { recursive: true, force: true }); // state is in memory only
  makeCerts(o.stateDir);
  const tokenFile = makeTokens(o.stateDir);
  const config = { bookmarkIntervalMs: o.bookmarkIntervalMs, splitProbability: o.splitProbability, startDelayMs: o.startDelayMs, seed: o.seed };
  const caPem = fs.readFileSync(path.join(o.stateDir, 'ca.crt'), 'utf8');
  const cluster = new Cluster({ historyMax: o.history, caPem });
  const auth = new Auth(tokenFile);
  const faults = new Faults();
  const kubeletOpts = { stateDir: o.stateDir, startDelayMs: o.startDelayMs, apiHost: o.host, apiPort: 0 };
  const kubelet = new Kubelet(cluster, kubeletOpts);
  new JobController(cluster, {}); // eslint-disable-line no-new
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'aftomato']) {
    cluster.createObject(NAMESPACES, '', { metadata: { name: ns } });
  }
  const api = new Api({ cluster, kubelet, auth, faults, config, serverAddress: '' });
  // HTTP/2 (ALPN h2) like a real API server, HTTP/1.1 for clients without
  // it; --no-http2 serves HTTP/1.1 only.
  const tlsOpts = {
    allowHTTP1: true,
    key: fs.readFileSync(path.join(o.stateDir, 'server.key')),
    cert: fs.readFileSync(path.join(o.stateDir, 'server.crt')),
    ca: caPem,
    requestCert: true,
    rejectUnauthorized: false,
  };
  const handler = (req, res) => api.handle(req, res);
  const server = o.http2 ? http2.createSecureServer(tlsOpts, handler) : https.createServer(tlsOpts, handler);
  const apiPort = await listen(server, o.port, o.host);
  kubeletOpts.apiPort = apiPort;
  api.serverAddress = `${o.host}:${apiPort}`;
  const admin = createAdminServer({ cluster, auth, faults, api, kubelet, config });
  const adminPort = await listen(admin, o.adminPort, o.host);
  writeFiles(o, apiPort, adminPort);
  process.stdout.write(`k8s-server: listening on https://${o.host}:${apiPort} (admin http://${o.host}:${adminPort}, seed ${o.seed})\n`);
  const stop = () => {
    kubelet.shutdown();
    api.closeWatches();
    server.close();
    admin.close();
    setTimeout(() => {
      // pod work dirs and logs die with the in-memory state
      fs.rmSync(path.join(o.stateDir, 'pods'), { recursive: true, force: true });
      process.exit(0);
    }, 200);
  };
  // A bug in one handler must not take the shared fixture down: log it.
  process.on('uncaughtException', (e) => process.stderr.write(`k8s-server: uncaught: ${e.stack || e}\n`));
  process.on('unhandledRejection', (e) => process.stderr.write(`k8s-server: unhandled rejection: ${(e && e.stack) || e}\n`));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`k8s-server: ${e.stack || e}\n`);
  process.exit(1);
});

module.exports = { R };
