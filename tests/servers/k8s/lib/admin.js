'use strict';
// The admin endpoint (plain HTTP, loopback): fault injection, RBAC switch,
// token expiry and reads of the request log. See README.md for the API.

const http = require('http');
const { errors } = require('./util');

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const t = Buffer.concat(chunks).toString();
      try {
        resolve(t ? JSON.parse(t) : {});
      } catch (e) {
        reject(errors.badRequest(`bad JSON: ${e.message}`));
      }
    });
    req.on('error', reject);
  });
}

function createAdminServer(ctx) {
  const { cluster, auth, faults, api, kubelet, config } = ctx;
  const routes = {
    'GET /healthz': () => 'ok',
    'GET /state': () => ({
      resourceVersion: cluster.store.rv,
      oldestResourceVersion: cluster.store.oldestRv,
      faults: faults.state(),
      rbac: auth.rules,
      watches: api.watches.size,
      tokens: [...auth.tokens.values()].map((t) => ({ user: t.user, expired: t.expired })),
      pods: [...kubelet.runs.values()].map((r) => ({ namespace: r.ns, name: r.name, uid: r.uid, dir: r.dir })),
      config,
    }),
    'GET /requests': (b, url) => {
      const since = Number(url.searchParams.get('since') || 0);
      const method = url.searchParams.get('method');
      const re = url.searchParams.get('path') ? new RegExp(url.searchParams.get('path')) : null;
      return faults.requests.filter((r) => r.seq > since && (!method || r.method === method.toUpperCase()) && (!re || re.test(r.path)));
    },
    'DELETE /requests': () => {
      faults.requests = [];
      return { ok: true };
    },
    'POST /faults/http': (b) => {
      faults.addHttp(b);
      return faults.state();
    },
    'POST /faults/cut': (b) => {
      faults.addCut(b);
      return faults.state();
    },
    'POST /faults/expire': (b) => {
      cluster.store.compact();
      if (b.next) faults.forceExpire += Number(b.next);
      if (b.closeWatches) api.closeWatches();
      return { resourceVersion: cluster.store.rv, oldestResourceVersion: cluster.store.oldestRv };
    },
    'POST /faults/reset': () => {
      faults.reset();
      return faults.state();
    },
    'POST /watches/close': () => {
      const n = api.watches.size;
      api.closeWatches();
      return { closed: n };
    },
    'POST /rbac/forbid': (b) => {
      auth.forbid(b);
      return auth.rules;
    },
    'POST /rbac/allow': (b) => {
      auth.allow(b);
      return auth.rules;
    },
    'POST /rbac/reset': () => {
      auth.reset();
      return auth.rules;
    },
    'POST /tokens': (b) => {
      if (!b.token || !b.user) throw errors.badRequest('token and user are required');
      auth.addToken(b);
      return { ok: true };
    },
    'POST /tokens/expire': (b) => ({ expired: auth.expire(b) }),
    'POST /config': (b) => {
      for (const k of ['bookmarkIntervalMs', 'splitProbability', 'startDelayMs']) {
        if (b[k] !== undefined) config[k] = Number(b[k]);
      }
      kubelet.opts.startDelayMs = config.startDelayMs;
      return config;
    },
    'POST /reset': () => {
      faults.reset();
      auth.reset();
      faults.requests = [];
      return { ok: true };
    },
  };
  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const fn = routes[`${req.method} ${url.pathname.replace(/\/+$/, '')}`];
    try {
      if (!fn) throw Object.assign(errors.pathNotFound(), {});
      const body = req.method === 'POST' ? await readJson(req) : {};
      const out = await fn(body, url);
      const text = typeof out === 'string' ? out : JSON.stringify(out);
      res.writeHead(200, { 'Content-Type': typeof out === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    } catch (e) {
      const code = e.code && Number.isInteger(e.code) ? e.code : 500;
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: e.message }));
    }
  });
}

module.exports = { createAdminServer };
