'use strict';
// Fault rules (what to answer instead of the real server, for the next N
// matching requests), the request log and the per-endpoint counters.

const util = require('./util');

const BACKENDS = ['s3', 'dynamodb', 'sts', 'imds', 'container'];
const LOG_MAX = 20000;

class Faults {
  constructor() {
    this.rules = [];
    this.nextId = 1;
  }

  // spec: {backend, method?, path?, query?, target?, match_headers?: {name:
  //        regex}, count?, status?, headers?,
  //        body?, body_base64?, error?, truncate_after_bytes?,
  //        reset_after_bytes?, drop?, delay_ms?}
  add(spec) {
    if (!spec || typeof spec !== 'object') throw new Error('fault must be a JSON object');
    const backend = spec.backend || '*';
    if (backend !== '*' && !BACKENDS.includes(backend)) throw new Error(`unknown backend '${backend}'`);
    const actions = ['status', 'error', 'truncate_after_bytes', 'reset_after_bytes', 'drop', 'delay_ms'];
    if (!actions.some((a) => spec[a] !== undefined)) {
      throw new Error(`fault needs one of: ${actions.join(', ')}`);
    }
    const rule = {
      id: this.nextId++,
      backend,
      method: spec.method ? String(spec.method).toUpperCase() : '*',
      path: spec.path ? new RegExp(spec.path) : null,
      query: spec.query ? new RegExp(spec.query) : null,
      target: spec.target ? new RegExp(spec.target) : null,
      headers: Object.entries(spec.match_headers || {}).map(([n, re]) => [n.toLowerCase(), new RegExp(re)]),
      remaining: spec.count === undefined ? 1 : Number(spec.count),
      matched: 0,
      spec,
    };
    if (!Number.isInteger(rule.remaining) || rule.remaining === 0 || rule.remaining < -1) {
      throw new Error('count must be a positive integer, or -1 for every request');
    }
    this.rules.push(rule);
    return rule;
  }

  // Consumes and returns the first rule matching the request, or null.
  // info: {backend, method, rawPath, rawQuery, target, headers}
  take(info) {
    for (const r of this.rules) {
      if (r.remaining === 0) continue;
      if (r.backend !== '*' && r.backend !== info.backend) continue;
      if (r.method !== '*' && r.method !== info.method) continue;
      if (r.path && !r.path.test(info.rawPath)) continue;
      if (r.query && !r.query.test(info.rawQuery)) continue;
      if (r.target && !r.target.test(info.target || '')) continue;
      if (r.headers.some(([n, re]) => !re.test(String((info.headers || {})[n] || '')))) continue;
      if (r.remaining > 0) r.remaining--;
      r.matched++;
      return r;
    }
    return null;
  }

  remove(id) {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  clear() {
    this.rules = [];
  }

  list() {
    return this.rules.map((r) => ({ id: r.id, remaining: r.remaining, matched: r.matched, ...r.spec }));
  }
}

class RequestLog {
  constructor() {
    this.entries = [];
    this.seq = 0;
  }

  // Starts an entry; the caller fills status/verdict and calls finish().
  begin(backend, req) {
    const e = {
      seq: ++this.seq,
      time: new Date(util.nowMs()).toISOString(),
      backend,
      method: req.method,
      path: req.url,
      target: req.headers['x-amz-target'] || null,
      access_key_id: null,
      verdict: 'none',
      error_code: null,
      status: null,
      fault: null,
      request_bytes: 0,
      response_bytes: 0,
      duration_ms: null,
      note: null,
      _t0: Date.now(),
    };
    return e;
  }

  finish(e) {
    if (e._done) return;
    e._done = true;
    e.duration_ms = Date.now() - e._t0;
    this.entries.push(e);
    if (this.entries.length > LOG_MAX) this.entries.splice(0, this.entries.length - LOG_MAX);
  }

  query({ backend, since }) {
    return this.entries
      .filter((e) => (!backend || e.backend === backend) && (!since || e.seq > since))
      .map(({ _t0, _done, ...rest }) => rest);
  }

  clear() {
    this.entries = [];
  }
}

class Counters {
  constructor() {
    this.c = {};
  }

  bump(group, name) {
    this.c[group] = this.c[group] || {};
    this.c[group][name] = (this.c[group][name] || 0) + 1;
  }

  get() {
    return JSON.parse(JSON.stringify(this.c));
  }

  clear() {
    this.c = {};
  }
}

module.exports = { Faults, RequestLog, Counters, BACKENDS };
