'use strict';
// Test helpers: a private server instance (start.sh/stop.sh) and small
// HTTPS clients for the API (token or client certificate) and the admin port.

const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const http = require('http');
const { execFileSync } = require('child_process');

const HERE = path.resolve(__dirname, '..');

class Instance {
  constructor(dir) {
    this.dir = dir;
    this.env = JSON.parse(fs.readFileSync(path.join(dir, 'env.json'), 'utf8'));
    this.ca = fs.readFileSync(this.env.K8S_TEST_CA);
    this.url = new URL(this.env.K8S_TEST_URL);
    this.token = this.env.K8S_TEST_TOKEN;
    this.ns = this.env.K8S_TEST_NAMESPACE;
    this.agent = new https.Agent({ ca: this.ca, keepAlive: false });
  }

  stop() {
    execFileSync(path.join(HERE, 'stop.sh'), [this.dir], { stdio: 'inherit' });
  }

  // Low-level request; resolves with {status, headers, text, json}.
  // o: {body, headers, token (null for none), cert: true for client cert}
  request(method, p, o) {
    o = o || {};
    const headers = Object.assign({ Accept: 'application/json' }, o.headers);
    const token = o.token === undefined ? this.token : o.token;
    if (token && !o.cert) headers.Authorization = `Bearer ${token}`;
    let data;
    if (o.body !== undefined) {
      data = Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
      if (!headers['Content-Type']) headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = data.length; // DELETE is not chunked by default
    }
    const opts = { method, hostname: this.url.hostname, port: this.url.port, path: p, headers, ca: this.ca, agent: false };
    if (o.cert) {
      opts.cert = fs.readFileSync(this.env.K8S_TEST_CLIENT_CERT);
      opts.key = fs.readFileSync(this.env.K8S_TEST_CLIENT_KEY);
    }
    return new Promise((resolve, reject) => {
      const req = https.request(opts, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch (e) {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  get(p, o) {
    return this.request('GET', p, o);
  }

  post(p, body, o) {
    return this.request('POST', p, Object.assign({ body }, o));
  }

  del(p, body, o) {
    return this.request('DELETE', p, Object.assign({ body }, o));
  }

  // Opens a streaming GET; returns {chunks, done} where done resolves with
  // {complete: bool, error} once the response ends or the connection dies.
  stream(p, o) {
    o = o || {};
    const headers = Object.assign({ Accept: 'application/json', Authorization: `Bearer ${this.token}` }, o.headers);
    const chunks = [];
    let req;
    const done = new Promise((resolve) => {
      req = https.request({ method: 'GET', hostname: this.url.hostname, port: this.url.port, path: p, headers, ca: this.ca, agent: false }, (res) => {
        const out = { status: res.statusCode, complete: false, error: null };
        res.on('data', (d) => {
          chunks.push(d);
          if (o.onData) o.onData(d, chunks);
        });
        res.on('end', () => {
          out.complete = res.complete;
          resolve(out);
        });
        res.on('aborted', () => {
          out.error = 'aborted';
        });
        res.on('error', (e) => {
          out.error = e.code || e.message;
          resolve(out);
        });
        res.on('close', () => {
          out.complete = res.complete;
          resolve(out);
        });
      });
      req.on('error', (e) => resolve({ status: 0, complete: false, error: e.code || e.message }));
      req.end();
    });
    return { chunks, done, abort: () => req.destroy(), text: () => Buffer.concat(chunks).toString() };
  }

  admin(method, p, body) {
    const u = new URL(this.env.K8S_TEST_ADMIN_URL);
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request({ method, hostname: u.hostname, port: u.port, path: p, headers: data ? { 'Content-Type': 'application/json' } : {} }, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch (e) {
            json = text;
          }
          resolve({ status: res.statusCode, json });
        });
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }

  nsPath(resource, name, group) {
    const base = group ? `/apis/${group}/v1` : '/api/v1';
    return `${base}/namespaces/${this.ns}/${resource}${name ? '/' + name : ''}`;
  }

  // Polls fn until it returns a truthy value (or throws after timeoutMs).
  async until(fn, timeoutMs, what) {
    const end = Date.now() + (timeoutMs || 15000);
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what || 'condition'}`);
      await sleep(50);
    }
  }

  async job(name, spec) {
    const r = await this.post(this.nsPath('jobs', null, 'batch'), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec });
    if (r.status !== 201) throw new Error(`create job ${name}: ${r.status} ${r.text}`);
    return r.json;
  }

  async podsOf(jobName) {
    const r = await this.get(`${this.nsPath('pods')}?labelSelector=${encodeURIComponent('job-name=' + jobName)}`);
    return r.json.items;
  }

  async jobDone(name, timeoutMs) {
    return this.until(async () => {
      const r = await this.get(this.nsPath('jobs', name, 'batch'));
      const c = ((r.json.status || {}).conditions || []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
      return c ? r.json : null;
    }, timeoutMs, `job ${name} to finish`);
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function tmpBase() {
  return process.env.AFT_TEST_TMP || os.tmpdir();
}

// Starts a private instance in a fresh directory; extra server args allowed.
function start(name, args) {
  fs.mkdirSync(tmpBase(), { recursive: true });
  const dir = fs.mkdtempSync(path.join(tmpBase(), `k8s-${name}-`));
  execFileSync(path.join(HERE, 'start.sh'), [dir].concat(args || []), { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Instance(dir);
}

function simpleJob(script, extra) {
  return Object.assign({
    backoffLimit: 0,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'build', image: 'busybox', command: ['/bin/sh', '-c', script] }] } },
  }, extra);
}

module.exports = { start, sleep, simpleJob, Instance };
