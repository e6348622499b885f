'use strict';
// Fault injection (error answers, cut streams, forced 410s) and the request log.

const { ApiError, REASON_OF_CODE } = require('./util');

class Faults {
  constructor() {
    this.httpRules = []; // {method, pathRe, path, status, remaining, retryAfterSeconds, message}
    this.cutRules = []; // {kind: log|watch|any, remaining, afterBytes}
    this.forceExpire = 0; // next N watches with a resourceVersion get 410
    this.requests = [];
    this.requestSeq = 0;
    this.requestMax = 20000;
  }

  reset() {
    this.httpRules = [];
    this.cutRules = [];
    this.forceExpire = 0;
  }

  addHttp(rule) {
    const status = Number(rule.status || 500);
    this.httpRules.push({
      method: rule.method ? String(rule.method).toUpperCase() : '*',
      path: rule.path || '.*',
      pathRe: new RegExp(rule.path || '.*'),
      status,
      remaining: Number(rule.count || 1),
      retryAfterSeconds: rule.retryAfterSeconds === undefined ? (status === 429 ? 1 : undefined) : Number(rule.retryAfterSeconds),
      message: rule.message,
    });
  }

  addCut(rule) {
    this.cutRules.push({
      kind: rule.kind || 'any',
      remaining: Number(rule.count || 1),
      afterBytes: Number(rule.afterBytes || 0),
    });
  }

  // Returns an ApiError for the request when an error rule matches it.
  takeHttp(method, url) {
    for (const r of this.httpRules) {
      if (r.remaining <= 0) continue;
      if (r.method !== '*' && r.method !== method) continue;
      if (!r.pathRe.test(url)) continue;
      r.remaining--;
      this.httpRules = this.httpRules.filter((x) => x.remaining > 0);
      const reason = REASON_OF_CODE[r.status] || 'InternalError';
      let msg = r.message;
      if (!msg) {
        if (r.status === 429) msg = 'Too many requests, please try again later.';
        else if (r.status === 500) msg = 'Internal error occurred: injected fault';
        else msg = `injected fault (${r.status})`;
      }
      const err = new ApiError(r.status, reason, msg,
        r.retryAfterSeconds !== undefined ? { retryAfterSeconds: r.retryAfterSeconds } : undefined);
      if (r.retryAfterSeconds !== undefined) err.headers['Retry-After'] = String(r.retryAfterSeconds);
      return err;
    }
    return null;
  }

  // Byte budget for a new stream of the kind, or -1 for no cut.
  takeCut(kind) {
    for (const r of this.cutRules) {
      if (r.remaining <= 0 || (r.kind !== 'any' && r.kind !== kind)) continue;
      r.remaining--;
      this.cutRules = this.cutRules.filter((x) => x.remaining > 0);
      return r.afterBytes;
    }
    return -1;
  }

  takeForceExpire() {
    if (this.forceExpire <= 0) return false;
    this.forceExpire--;
    return true;
  }

  logRequest(entry) {
    entry.seq = ++this.requestSeq;
    this.requests.push(entry);
    if (this.requests.length > this.requestMax) this.requests.splice(0, this.requests.length - this.requestMax);
    return entry;
  }

  state() {
    return {
      http: this.httpRules.map((r) => ({ method: r.method, path: r.path, status: r.status, remaining: r.remaining })),
      cut: this.cutRules,
      forceExpire: this.forceExpire,
    };
  }
}

// Wraps a streaming response: counts bytes, applies a cut budget (destroys
// the connection after exactly that many body bytes) and reports closure.
class StreamOut {
  constructor(res, cutAfterBytes) {
    this.res = res;
    this.budget = cutAfterBytes;
    this.bytes = 0;
    this.closed = false;
    this.cut = false;
    res.on('close', () => {
      this.closed = true;
    });
  }

  // Returns false when the caller should wait for 'drain' (or stop: closed).
  write(buf) {
    if (this.closed || this.cut) return false;
    if (this.budget >= 0 && this.bytes + buf.length >= this.budget) {
      const part = buf.subarray(0, this.budget - this.bytes);
      this.bytes += part.length;
      this.cut = true;
      const sock = this.res.socket;
      const stream = this.res.stream; // HTTP/2: reset this stream only
      const kill = () => {
        if (stream) stream.close(require('http2').constants.NGHTTP2_INTERNAL_ERROR);
        else if (sock) sock.destroy();
        else this.res.destroy();
      };
      if (part.length > 0) this.res.write(part, () => setTimeout(kill, 20));
      else setTimeout(kill, 20);
      return false;
    }
    this.bytes += buf.length;
    return this.res.write(buf);
  }

  done() {
    return this.closed || this.cut;
  }

  // Resolves when the socket drained or the stream ended.
  drain() {
    if (this.done()) return Promise.resolve();
    return new Promise((resolve) => {
      const fin = () => {
        this.res.off('drain', fin);
        this.res.off('close', fin);
        resolve();
      };
      this.res.on('drain', fin);
      this.res.on('close', fin);
    });
  }

  end() {
    if (!this.closed && !this.cut) this.res.end();
  }
}

module.exports = { Faults, StreamOut };
