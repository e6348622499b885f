'use strict';
// Writing responses, with the fault behaviours that cut a body short:
// truncate (close cleanly after B bytes) and reset (TCP RST after B bytes).

const util = require('./util');
const errors = require('./errors');

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'proxy-connection', 'upgrade']);

function cutAction(fault) {
  if (!fault) return null;
  const s = fault.spec;
  if (s.reset_after_bytes !== undefined) return { bytes: Number(s.reset_after_bytes), reset: true };
  if (s.truncate_after_bytes !== undefined) return { bytes: Number(s.truncate_after_bytes), reset: false };
  return null;
}

function cutConnection(res, cut) {
  const sock = res.socket;
  if (!sock) return;
  if (cut.reset) sock.resetAndDestroy();
  else sock.end();
}

// Writes `data` then cuts the connection once it has left the process.
function writeThenCut(res, data, cut) {
  if (data.length === 0) {
    res.flushHeaders();
    setTimeout(() => cutConnection(res, cut), 50);
    return;
  }
  res.write(data, () => setTimeout(() => cutConnection(res, cut), 20));
}

function headerArray(obj) {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v)) for (const x of v) out.push(k, String(x));
    else if (v !== undefined && v !== null) out.push(k, String(v));
  }
  return out;
}

function stripHopByHop(flat) {
  const out = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (!HOP_BY_HOP.has(flat[i].toLowerCase())) out.push(flat[i], flat[i + 1]);
  }
  return out;
}

function finishEntry(res, entry, log) {
  if (!entry) return;
  const done = () => {
    entry.status = entry.status || res.statusCode;
    log.finish(entry);
  };
  res.once('finish', done);
  res.once('close', done);
}

// Sends a generated response {status, headers, body}; `close` asks the
// client to drop the connection (used when the request body was not read).
function send(res, resp, { fault, entry, log, close, method } = {}) {
  const body = resp.body ? Buffer.from(resp.body) : Buffer.alloc(0);
  const headers = { ...resp.headers, date: util.httpDate(util.nowMs()) };
  if (close) headers.connection = 'close';
  const noBody = method === 'HEAD' || resp.status === 204 || resp.status === 304;
  if (!noBody && headers['content-length'] === undefined) headers['content-length'] = body.length;
  res.sendDate = false;
  if (entry) {
    entry.status = resp.status;
    entry.response_bytes = noBody ? 0 : body.length;
    finishEntry(res, entry, log);
  }
  res.writeHead(resp.status, headerArray(headers));
  const cut = cutAction(fault);
  if (cut && !noBody && cut.bytes < body.length) {
    if (entry) entry.response_bytes = cut.bytes;
    writeThenCut(res, body.subarray(0, cut.bytes), cut);
    return;
  }
  res.end(noBody ? undefined : body);
}

// Streams an upstream response to the client, applying a cut if asked.
function pipeUpstream(res, upRes, { fault, entry, log }) {
  const headers = stripHopByHop(upRes.rawHeaders);
  headers.push('date', util.httpDate(util.nowMs()));
  res.sendDate = false;
  if (entry) {
    entry.status = upRes.statusCode;
    finishEntry(res, entry, log);
  }
  res.writeHead(upRes.statusCode, headers);
  const cut = cutAction(fault);
  let sent = 0;
  let stopped = false;
  upRes.on('data', (chunk) => {
    if (stopped) return;
    if (cut && sent + chunk.length >= cut.bytes) {
      stopped = true;
      const part = chunk.subarray(0, cut.bytes - sent);
      sent += part.length;
      if (entry) entry.response_bytes = sent;
      upRes.destroy();
      writeThenCut(res, part, cut);
      return;
    }
    sent += chunk.length;
    if (entry) entry.response_bytes = sent;
    if (!res.write(chunk)) {
      upRes.pause();
      res.once('drain', () => upRes.resume());
    }
  });
  upRes.on('end', () => {
    if (stopped) return;
    if (cut && sent <= cut.bytes && cut.bytes === 0) {
      writeThenCut(res, Buffer.alloc(0), cut);
      return;
    }
    res.end();
  });
  upRes.on('error', () => res.destroy());
  res.on('close', () => {
    if (!upRes.complete) upRes.destroy();
  });
}

function hasBody(req) {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

// An early answer (before the body was read) must close the connection when
// the client waits for "100 Continue" and so never sends the body; otherwise
// node reads and discards the rest of the body and the connection is reused.
function closeNeeded(req) {
  return hasBody(req) && !req.complete && /100-continue/i.test(req.headers.expect || '');
}

// Applies a fault that replaces the answer (status/error/drop, after an
// optional delay); returns true when it answered. Cut-only faults return
// false and are applied by the caller to the real answer.
async function applyFault(backend, req, res, fault, entry, log) {
  if (!fault) return false;
  const s = fault.spec;
  entry.fault = fault.id;
  if (s.delay_ms) await new Promise((r) => setTimeout(r, Number(s.delay_ms)));
  if (s.drop) {
    entry.status = 0;
    entry.note = 'connection dropped by fault';
    log.finish(entry);
    req.socket.resetAndDestroy();
    return true;
  }
  let resp = null;
  if (s.error) {
    resp = errors.cannedError(backend, s.error);
    Object.assign(resp.headers, s.headers || {});
    entry.error_code = s.error.code;
  } else if (s.status !== undefined) {
    const body = s.body_base64 !== undefined ? Buffer.from(s.body_base64, 'base64') : Buffer.from(s.body || '');
    resp = { status: Number(s.status), headers: { ...(s.headers || {}) }, body };
  }
  if (!resp) return false;
  send(res, resp, { fault, entry, log, close: closeNeeded(req), method: req.method });
  return true;
}

module.exports = { send, pipeUpstream, headerArray, stripHopByHop, cutAction, applyFault, hasBody, closeNeeded };
