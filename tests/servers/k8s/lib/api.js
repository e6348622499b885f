'use strict';
// The Kubernetes REST API: routing, authentication/authorisation, fault
// injection hooks, discovery, CRUD, list paging, watch and pod logs.

const crypto = require('crypto');
const R = require('./resources');
const D = require('./discovery');
const { Store } = require('./store');
const { StreamOut } = require('./faults');
const { WatchStream } = require('./watch');
const { toTable, wantsTable } = require('./table');
const { serveLog } = require('./logs');
const { decodeObject } = require('./protobuf');
const { parseLabelSelector, parseFieldSelector } = require('./selectors');
const { ApiError, errors, parseTimeNs, nowNs } = require('./util');

const MAX_BODY = 3 * 1024 * 1024;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (d) => {
      n += d.length;
      if (n <= MAX_BODY) chunks.push(d);
    });
    req.on('end', () => (n > MAX_BODY ? reject(errors.tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function parseJson(buf) {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw errors.badRequest(`the body of the request could not be decoded: ${e.message}`);
  }
}

function withKind(res, obj) {
  return Object.assign({ kind: res.kind, apiVersion: res.apiVersion }, obj);
}

// Streams go out as soon as written (HTTP/1.1 responses are chunked).
function noDelay(res) {
  try {
    if (res.socket && !res.stream) res.socket.setNoDelay(true);
  } catch (e) {
    /* not a plain socket */
  }
}

function boolParam(v) {
  return v === 'true' || v === '1';
}

function intParam(q, name) {
  const v = q.get(name);
  if (v === null || v === '') return null;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${v}`);
  return Number(v);
}

class Api {
  // ctx: {cluster, kubelet, auth, faults, config: {bookmarkIntervalMs,
  // splitProbability, seed}, serverAddress}
  constructor(ctx) {
    Object.assign(this, ctx);
    this.store = ctx.cluster.store;
    this.watches = new Set();
    this.rng = require('./util').prng(ctx.config.seed || 1);
  }

  send(res, code, body, headers) {
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(code, Object.assign({
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'Audit-Id': crypto.randomUUID(),
      'Cache-Control': 'no-cache, private',
    }, headers));
    res.end(text);
  }

  sendError(res, err) {
    if (!(err instanceof ApiError)) {
      process.stderr.write(`k8s-server: internal error: ${err && err.stack}\n`);
      err = new ApiError(500, 'InternalError', `Internal error occurred: ${err && err.message}`);
    }
    this.send(res, err.code, err.status(), err.headers);
  }

  async handle(req, res) {
    const url = new URL(req.url, 'https://localhost');
    const entry = { time: new Date().toISOString(), method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), user: null, status: 0 };
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    res.on('close', () => {
      if (!entry.status) entry.status = res.statusCode;
    });
    this.faults.logRequest(entry);
    try {
      const who = this.auth.authenticate(req);
      entry.user = who.user;
      let body;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const raw = await readBody(req);
        const ct = (entry.contentType = req.headers['content-type'] || '');
        if (ct.includes('protobuf') || ct.includes('cbor')) {
          body = { unsupportedContentType: ct.split(';')[0], raw };
        } else {
          body = raw.length ? parseJson(raw) : undefined;
          if (raw.length <= 65536) entry.body = body;
        }
      }
      const injected = this.faults.takeHttp(req.method, req.url);
      if (injected) throw injected;
      await this.route(req, res, url, who, body);
    } catch (e) {
      this.sendError(res, e);
    }
  }

  async route(req, res, url, who, body) {
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const accept = req.headers.accept || '';
    const nonResource = (fn) => {
      if (req.method !== 'GET') throw errors.methodNotAllowed();
      this.auth.authorize(who, { verb: 'get', path: p });
      return fn();
    };
    if (p === '/version') return nonResource(() => this.send(res, 200, D.VERSION));
    if (p === '/healthz' || p === '/livez' || p === '/readyz') {
      return nonResource(() => {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('ok');
      });
    }
    if (p === '/api' || p === '/apis') {
      return nonResource(() => {
        const which = D.wantsAggregated(accept);
        if (which) {
          const type = which === 'v2' ? D.AGGREGATED_TYPE : D.AGGREGATED_TYPE_V2BETA1;
          return this.send(res, 200, D.aggregated(p === '/api', which), { 'Content-Type': type, Vary: 'Accept' });
        }
        return this.send(res, 200, p === '/api' ? D.apiVersions(this.serverAddress) : D.apiGroupList(), { Vary: 'Accept' });
      });
    }
    if (p.startsWith('/openapi/v3')) {
      return nonResource(() => {
        if (p === '/openapi/v3') return this.send(res, 200, D.openapiRoot());
        const doc = D.openapiFor(p.slice('/openapi/v3/'.length));
        if (!doc) throw errors.pathNotFound();
        return this.send(res, 200, doc, { 'Cache-Control': 'public, immutable', Etag: `"${crypto.createHash('sha1').update(p).digest('hex')}"` });
      });
    }
    const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
    let group;
    let version;
    let rest;
    if (parts[0] === 'api' && parts.length >= 2) {
      group = '';
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 2) {
      group = parts[1];
      if (parts.length === 2) {
        return nonResource(() => {
          if (!R.groups().has(group)) throw errors.pathNotFound();
          return this.send(res, 200, Object.assign({ kind: 'APIGroup', apiVersion: 'v1' }, D.apiGroup(group)));
        });
      }
      version = parts[2];
      rest = parts.slice(3);
    } else {
      throw errors.pathNotFound();
    }
    if (!(R.groups().get(group) || new Set()).has(version)) throw errors.pathNotFound();
    if (rest.length === 0) return nonResource(() => this.send(res, 200, D.apiResourceList(group, version)));
    return this.resourceRequest(req, res, url, who, body, group, version, rest);
  }

  async resourceRequest(req, res, url, who, body, group, version, rest) {
    let ns = '';
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
      ns = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 3) throw errors.pathNotFound();
    const [resource, name, sub] = rest;
    const r = R.find(group, version, resource);
    if (!r || (ns && !r.namespaced)) throw errors.pathNotFound();
    if (r.namespaced && !ns && name) throw errors.pathNotFound();
    if (sub && !r.subresources.includes(sub)) throw errors.pathNotFound();
    const q = url.searchParams;
    const watch = boolParam(q.get('watch'));
    const verbOf = { GET: name ? 'get' : watch ? 'watch' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name ? 'delete' : 'deletecollection' };
    const verb = verbOf[req.method];
    if (!verb || (req.method === 'POST' && name)) throw errors.methodNotAllowed();
    if (sub === 'log' && req.method !== 'GET') throw errors.methodNotAllowed();
    this.auth.authorize(who, { verb, group, resource, subresource: sub, namespace: ns, name });
    if (body && body.unsupportedContentType && (verb === 'create' || verb === 'update') && body.unsupportedContentType.includes('protobuf')) {
      const decoded = decodeObject(body.raw, r.kind);
      if (decoded) body = decoded;
    }
    if (body && body.unsupportedContentType) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${body.unsupportedContentType})`);
    }
    const dryRun = q.getAll('dryRun').includes('All');
    const accept = req.headers.accept || '';
    switch (verb) {
      case 'get': {
        if (sub === 'log') return this.logs(req, res, q, ns, name);
        const obj = this.cluster.mustGet(r, ns, name);
        if (wantsTable(accept)) return this.send(res, 200, toTable(r, [obj], { resourceVersion: obj.metadata.resourceVersion }, q.get('includeObject') || 'Metadata'));
        return this.send(res, 200, withKind(r, obj));
      }
      case 'list':
        return this.list(res, r, ns, q, accept);
      case 'watch':
        return this.watch(res, r, ns, q, accept);
      case 'create': {
        const created = this.cluster.createObject(r, ns, body, { dryRun });
        return this.send(res, 201, withKind(r, created));
      }
      case 'update':
        return this.send(res, 200, withKind(r, this.cluster.updateObject(r, ns, name, body, { subresource: sub, dryRun })));
      case 'patch': {
        const ct = req.headers['content-type'] || '';
        let patch = body;
        if (ct.startsWith('application/apply-patch+yaml') && !this.store.get(r, ns, name)) {
          const created = this.cluster.createObject(r, ns, patch, { dryRun });
          return this.send(res, 201, withKind(r, created));
        }
        if (patch === undefined) patch = {};
        return this.send(res, 200, withKind(r, this.cluster.patchObject(r, ns, name, ct, patch, { subresource: sub, dryRun })));
      }
      case 'delete':
        return this.remove(res, r, ns, name, q, body, dryRun);
      case 'deletecollection':
        return this.removeCollection(res, r, ns, q, body, dryRun);
      default:
        throw errors.methodNotAllowed();
    }
  }

  deleteOptions(q, body) {
    const o = Object.assign({}, body || {});
    if (q.get('propagationPolicy')) o.propagationPolicy = q.get('propagationPolicy');
    if (q.get('gracePeriodSeconds') !== null) o.gracePeriodSeconds = intParam(q, 'gracePeriodSeconds');
    if (q.get('orphanDependents') !== null) o.orphanDependents = boolParam(q.get('orphanDependents'));
    return o;
  }

  remove(res, r, ns, name, q, body, dryRun) {
    const opts = this.deleteOptions(q, body);
    opts.dryRun = dryRun || (opts.dryRun || []).includes('All');
    const out = this.cluster.deleteObject(r, ns, name, opts);
    if (out.removed) {
      return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: r.group || undefined, kind: r.resource, uid: out.obj.metadata.uid } });
    }
    return this.send(res, 200, withKind(r, out.obj));
  }

  removeCollection(res, r, ns, q, body, dryRun) {
    const filter = this.filterOf(r, ns, q);
    const items = this.store.list(r, ns).filter((o) => Store.matches(filter, o));
    const opts = this.deleteOptions(q, body);
    opts.dryRun = dryRun;
    for (const o of items) {
      try {
        this.cluster.deleteObject(r, o.metadata.namespace, o.metadata.name, opts);
      } catch (e) {
        /* raced with another delete */
      }
    }
    return this.send(res, 200, { kind: `${r.kind}List`, apiVersion: r.apiVersion, metadata: { resourceVersion: String(this.store.rv) }, items });
  }

  filterOf(r, ns, q) {
    return { ns, labels: parseLabelSelector(q.get('labelSelector') || ''), fields: parseFieldSelector(q.get('fieldSelector') || '', r) };
  }

  list(res, r, ns, q, accept) {
    const filter = this.filterOf(r, ns, q);
    const limit = intParam(q, 'limit');
    let listRv = this.store.rv;
    let after = null;
    const cont = q.get('continue');
    if (cont) {
      let tok;
      try {
        tok = JSON.parse(Buffer.from(cont, 'base64').toString());
      } catch (e) {
        throw errors.badRequest('continue key is not valid: illegal base64 data');
      }
      if (typeof tok.rv !== 'number' || typeof tok.start !== 'string') throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      if (tok.rv < this.store.oldestRv) {
        throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      listRv = tok.rv;
      after = tok.start;
    }
    let items = this.store.list(r, ns).filter((o) => Store.matches(filter, o));
    if (after !== null) items = items.filter((o) => Store.keyOf(o) >= after);
    const meta = { resourceVersion: String(listRv) };
    if (limit !== null && limit > 0 && items.length > limit) {
      const restItems = items.slice(limit);
      items = items.slice(0, limit);
      meta.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: listRv, start: Store.keyOf(restItems[0]) })).toString('base64');
      meta.remainingItemCount = restItems.length;
    }
    if (wantsTable(accept)) return this.send(res, 200, toTable(r, items, meta, q.get('includeObject') || 'Metadata'));
    return this.send(res, 200, { kind: `${r.kind}List`, apiVersion: r.apiVersion, metadata: meta, items });
  }

  watch(res, r, ns, q, accept) {
    const filter = this.filterOf(r, ns, q);
    const rvText = q.get('resourceVersion');
    const timeoutSeconds = intParam(q, 'timeoutSeconds');
    const bookmarks = boolParam(q.get('allowWatchBookmarks'));
    const initial = boolParam(q.get('sendInitialEvents'));
    if (rvText && rvText !== '0' && !/^\d+$/.test(rvText)) throw errors.badRequest(`invalid resource version: ${rvText}`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Audit-Id': crypto.randomUUID() });
    noDelay(res);
    const out = new StreamOut(res, this.faults.takeCut('watch'));
    const ws = new WatchStream(out, {
      res: r, table: wantsTable(accept), includeObject: q.get('includeObject') || 'Metadata', rng: this.rng,
      splitProbability: this.config.splitProbability, bookmarks, bookmarkIntervalMs: this.config.bookmarkIntervalMs,
      timeoutMs: Math.min(timeoutSeconds !== null && timeoutSeconds > 0 ? timeoutSeconds : 1800, 3600) * 1000,
      store: this.store, onClose: (w) => this.watches.delete(w),
    });
    this.watches.add(ws);
    const deliver = (type, obj) => ws.send(type, obj);
    if (!rvText || rvText === '0' || initial) {
      for (const o of this.store.list(r, ns)) if (Store.matches(filter, o)) ws.send('ADDED', o);
      if (initial && bookmarks) ws.bookmark({ 'k8s.io/initial-events-end': 'true' });
      ws.watcher = this.store.watch(r, filter, null, deliver);
      return;
    }
    const fromRv = Number(rvText);
    try {
      if (this.faults.takeForceExpire()) {
        const e = new Error('expired');
        e.expired = true;
        e.oldest = this.store.rv;
        throw e;
      }
      ws.watcher = this.store.watch(r, filter, fromRv, deliver);
    } catch (e) {
      if (!e.expired) throw e;
      ws.error(errors.expired(`too old resource version: ${fromRv} (${e.oldest})`).status());
    }
  }

  // Ends every open watch (admin: clients must re-watch).
  closeWatches() {
    for (const w of [...this.watches]) w.close();
  }

  logs(req, res, q, ns, name) {
    const pods = R.find('', 'v1', 'pods');
    const pod = this.cluster.mustGet(pods, ns, name);
    const names = pod.spec.containers.map((c) => c.name);
    let container = q.get('container');
    if (!container) {
      if (names.length !== 1) throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
      container = names[0];
    }
    if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
    if (boolParam(q.get('previous'))) throw errors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    if (!pod.spec.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
    const cs = ((pod.status && pod.status.containerStatuses) || []).find((c) => c.name === container);
    const log = this.kubelet.logFor(pod, container);
    const waiting = !cs || cs.state.waiting || !log;
    if (waiting) {
      const reason = (cs && cs.state.waiting && cs.state.waiting.reason) || 'ContainerCreating';
      const text = { ErrImagePull: "image can't be pulled", ImagePullBackOff: 'trying and failing to pull image' }[reason] || reason;
      throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${text}`);
    }
    const sinceTime = q.get('sinceTime');
    const sinceSeconds = intParam(q, 'sinceSeconds');
    if (sinceTime && sinceSeconds !== null) {
      throw errors.invalid({ kind: 'PodLogOptions', group: '' }, '', [{ field: 'sinceSeconds', type: 'Forbidden', detail: 'at most one of `sinceTime` or `sinceSeconds` may be specified' }]);
    }
    const opts = { follow: boolParam(q.get('follow')), timestamps: boolParam(q.get('timestamps')), tailLines: intParam(q, 'tailLines'), limitBytes: intParam(q, 'limitBytes'), sinceNs: null, minNs: null };
    if (sinceTime) {
      const ns0 = parseTimeNs(sinceTime);
      if (ns0 === null) throw errors.badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
      opts.sinceNs = (ns0 / 1000000000n) * 1000000000n; // one-second resolution
    }
    if (sinceSeconds !== null) {
      if (sinceSeconds < 1) throw errors.invalid({ kind: 'PodLogOptions', group: '' }, '', [{ field: 'sinceSeconds', type: 'Invalid value', detail: 'must be greater than 0' }]);
      opts.minNs = nowNs() - BigInt(sinceSeconds) * 1000000000n;
      opts.sinceNs = opts.minNs;
    }
    if (opts.limitBytes !== null && opts.limitBytes < 1) throw errors.badRequest('limitBytes must be greater than 0');
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    noDelay(res);
    const out = new StreamOut(res, this.faults.takeCut('log'));
    return serveLog(log, out, opts);
  }
}

module.exports = { Api };
