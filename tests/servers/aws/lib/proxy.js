'use strict';
// The verifying proxy in front of s3rver (S3) and dynalite (DynamoDB).
// Every request's SigV4 signature is recomputed (sigv4.js); S3 payload hashes
// are checked against the real body while it streams into a bounded spool;
// faults can replace or cut the answer.

const fs = require('fs');
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const { once } = require('events');
const sigv4 = require('./sigv4');
const errors = require('./errors');
const util = require('./util');
const { send, pipeUpstream, applyFault, closeNeeded } = require('./respond');

const DDB_MAX_BODY = 32 * 1024 * 1024;
const S3RVER_KEY = 'S3RVER';
// s3rver stores an object as files named "<last segment>._S3rver_object",
// "..._S3rver_metadata.json" inside directories named after the other key
// segments; a name over 255 bytes makes it crash (DESIGN.md §5), and "." or
// ".." segments would leave its data directory.
const FS_NAME_MAX = 255;
const S3RVER_SUFFIX_BYTES = '._S3rver_metadata.json'.length;

// Holds a request body in memory up to memLimit bytes, then in a file.
class Spool {
  constructor(dir, memLimit) {
    this.dir = dir;
    this.memLimit = memLimit;
    this.chunks = [];
    this.size = 0;
    this.file = null;
    this.ws = null;
  }

  async write(chunk) {
    this.size += chunk.length;
    if (!this.ws && this.size <= this.memLimit) {
      this.chunks.push(chunk);
      return;
    }
    if (!this.ws) {
      this.file = path.join(this.dir, `spool-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
      this.ws = fs.createWriteStream(this.file);
      for (const c of this.chunks) this.ws.write(c);
      this.chunks = [];
    }
    if (!this.ws.write(chunk)) await once(this.ws, 'drain');
  }

  async end() {
    if (this.ws) {
      this.ws.end();
      await once(this.ws, 'finish');
    }
  }

  pipeTo(dest) {
    if (!this.file) {
      dest.end(Buffer.concat(this.chunks));
      return;
    }
    const rs = fs.createReadStream(this.file);
    rs.on('error', (e) => dest.destroy(e));
    rs.pipe(dest);
  }

  cleanup() {
    if (this.file) fs.unlink(this.file, () => {});
    this.chunks = [];
  }
}

const AUTH_QUERY = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-expires', 'x-amz-signedheaders', 'x-amz-signature', 'x-amz-security-token']);

// s3rver does not check SigV4 but knows only its own account: forward with
// the caller's authentication replaced by s3rver's dummy key.
function s3UpstreamRequest(req) {
  const { rawPath, rawQuery } = util.splitUrl(req.url);
  const kept = rawQuery
    .split('&')
    .filter((p) => p !== '' && !AUTH_QUERY.has(decodeURIComponent(p.split('=')[0]).toLowerCase()));
  const url = rawPath + (kept.length ? '?' + kept.join('&') : '');
  const drop = new Set(['authorization', 'x-amz-security-token', 'x-amz-date', 'expect', 'connection', 'keep-alive']);
  const headers = [];
  let hasSha = false;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const n = req.rawHeaders[i].toLowerCase();
    if (drop.has(n)) continue;
    if (n === 'x-amz-content-sha256') hasSha = true;
    headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const now = Date.now();
  const d = util.amzDate(now);
  headers.push('x-amz-date', d);
  headers.push('authorization', `AWS4-HMAC-SHA256 Credential=${S3RVER_KEY}/${d.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`);
  if (!hasSha) headers.push('x-amz-content-sha256', sigv4.UNSIGNED_PAYLOAD);
  return { url, headers };
}

// Returns why s3rver cannot hold this key, or null.
function s3rverUnsupportedKey(rawPath) {
  let segs;
  try {
    segs = rawPath.split('/').slice(2).map(decodeURIComponent);
  } catch (e) {
    return null;
  }
  for (let i = 0; i < segs.length; i++) {
    const last = i === segs.length - 1;
    const limit = last ? FS_NAME_MAX - S3RVER_SUFFIX_BYTES : FS_NAME_MAX;
    if (Buffer.byteLength(segs[i]) > limit) {
      return `The test S3 server (s3rver) cannot store a key whose ${last ? 'last ' : ''}segment is longer than ${limit} bytes; real S3 can.`;
    }
    if (segs[i] === '.' || segs[i] === '..') return 'The test S3 server (s3rver) cannot store keys with "." or ".." segments; real S3 can.';
  }
  return null;
}

class Proxy {
  // state: {registry, faults, log, counters, region, spoolDir, spoolMemBytes,
  //         upstream: {s3: port, dynamodb: port}}
  constructor(state) {
    this.state = state;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  handler(backend) {
    return (req, res, expectContinue) => {
      const fn = backend === 's3' ? this.handleS3 : this.handleDynamodb;
      fn.call(this, req, res, !!expectContinue).catch((e) => {
        process.stderr.write(`proxy ${backend}: ${e.stack || e}\n`);
        if (!res.headersSent) {
          const resp = backend === 's3' ? errors.s3Error(500, 'InternalError', `test proxy failure: ${e.message}`) : errors.dynamodbError(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', `test proxy failure: ${e.message}`);
          send(res, resp, { close: true });
        } else {
          res.destroy();
        }
      });
    };
  }

  applyFault(backend, req, res, fault, entry) {
    return applyFault(backend, req, res, fault, entry, this.state.log);
  }

  reject(backend, req, res, result, entry) {
    const resp = errors.verdictResponse(backend, result);
    entry.error_code = backend === 's3' ? /<Code>([^<]*)/.exec(resp.body.toString())[1] : JSON.parse(resp.body).__type.split('#')[1];
    entry.note = result.message ? result.message.split('\n')[0].slice(0, 300) : null;
    send(res, resp, { entry, log: this.state.log, close: closeNeeded(req), method: req.method });
  }

  async handleS3(req, res, expectContinue) {
    const st = this.state;
    const entry = st.log.begin('s3', req);
    st.counters.bump('s3', req.method);
    const result = await sigv4.verify({ service: 's3', method: req.method, url: req.url, rawHeaders: req.rawHeaders, registry: st.registry, regions: [st.region] });
    entry.verdict = result.verdict;
    entry.access_key_id = result.accessKeyId || null;
    const { rawPath, rawQuery } = util.splitUrl(req.url);
    const fault = st.faults.take({ backend: 's3', method: req.method, rawPath, rawQuery, target: null, headers: req.headers });
    if (await this.applyFault('s3', req, res, fault, entry)) return;
    if (!result.ok) return this.reject('s3', req, res, result, entry);
    if (req.method === 'PUT' && req.headers['content-length'] === undefined) {
      // Real S3 refuses a chunked (Transfer-Encoding) upload without aws-chunked.
      entry.error_code = 'MissingContentLength';
      return send(res, errors.s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'), { entry, log: st.log, close: closeNeeded(req), method: req.method });
    }
    const unsupported = s3rverUnsupportedKey(rawPath);
    if (unsupported) {
      entry.error_code = 'NotImplemented';
      const resp = errors.s3Error(501, 'NotImplemented', unsupported);
      return send(res, resp, { entry, log: st.log, close: closeNeeded(req), method: req.method });
    }
    if (expectContinue) res.writeContinue();
    const up = s3UpstreamRequest(req);
    if (result.payloadHash === sigv4.UNSIGNED_PAYLOAD) {
      entry.note = 'unsigned payload';
      const upReq = this.upstream('s3', req, res, up, fault, entry);
      let n = 0;
      req.on('data', (c) => (n += c.length));
      req.on('end', () => (entry.request_bytes = n));
      req.on('close', () => {
        if (!req.complete) upReq.destroy();
      });
      req.pipe(upReq);
      return;
    }
    const spool = new Spool(st.spoolDir, st.spoolMemBytes);
    const hash = crypto.createHash('sha256');
    try {
      for await (const chunk of req) {
        hash.update(chunk);
        await spool.write(chunk);
      }
      await spool.end();
      entry.request_bytes = spool.size;
      const computed = hash.digest('hex');
      if (computed !== result.payloadHash) {
        spool.cleanup();
        entry.verdict = 'payload-mismatch';
        return this.reject('s3', req, res, { verdict: 'payload-mismatch', claimed: result.payloadHash, computed, message: 'x-amz-content-sha256 does not match the body' }, entry);
      }
      const upReq = this.upstream('s3', req, res, up, fault, entry, () => spool.cleanup());
      spool.pipeTo(upReq);
    } catch (e) {
      spool.cleanup();
      throw e;
    }
  }

  async handleDynamodb(req, res, expectContinue) {
    const st = this.state;
    const entry = st.log.begin('dynamodb', req);
    st.counters.bump('dynamodb', req.headers['x-amz-target'] || req.method);
    if (expectContinue) res.writeContinue();
    let body;
    try {
      body = await util.readBody(req, DDB_MAX_BODY);
    } catch (e) {
      if (!e.tooLarge) throw e;
      const resp = errors.dynamodbError(413, 'com.amazon.coral.service#RequestEntityTooLarge', 'Request must be smaller than 33554432 bytes for the operation');
      return send(res, resp, { entry, log: st.log, close: true });
    }
    entry.request_bytes = body.length;
    const result = await sigv4.verify({
      service: 'dynamodb',
      method: req.method,
      url: req.url,
      rawHeaders: req.rawHeaders,
      bodySha256: util.sha256Hex(body),
      registry: st.registry,
      regions: [st.region],
    });
    entry.verdict = result.verdict;
    entry.access_key_id = result.accessKeyId || null;
    const { rawPath, rawQuery } = util.splitUrl(req.url);
    const fault = st.faults.take({ backend: 'dynamodb', method: req.method, rawPath, rawQuery, target: req.headers['x-amz-target'], headers: req.headers });
    if (await this.applyFault('dynamodb', req, res, fault, entry)) return;
    if (!result.ok) return this.reject('dynamodb', req, res, result, entry);
    const headers = [];
    const drop = new Set(['expect', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!drop.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
    headers.push('content-length', String(body.length));
    const upReq = this.upstream('dynamodb', req, res, { url: req.url, headers }, fault, entry);
    upReq.end(body);
  }

  // Opens the upstream request; its answer is piped back to `res`.
  upstream(backend, req, res, up, fault, entry, onDone) {
    const st = this.state;
    const upReq = http.request({
      host: '127.0.0.1',
      port: st.upstream[backend],
      method: req.method,
      path: up.url,
      headers: up.headers,
      agent: this.agent,
    });
    upReq.on('response', (upRes) => {
      if (onDone) upRes.once('close', onDone);
      pipeUpstream(res, upRes, { fault, entry, log: st.log });
    });
    upReq.on('error', (e) => {
      if (onDone) onDone();
      entry.note = `upstream ${backend} failed: ${e.code || e.message}`;
      if (res.headersSent) return res.destroy();
      const resp =
        backend === 's3'
          ? errors.s3Error(500, 'InternalError', `We encountered an internal error. Please try again. (test upstream s3rver: ${e.code || e.message})`)
          : errors.dynamodbError(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', `Internal server error (test upstream dynalite: ${e.code || e.message})`);
      entry.error_code = 'InternalError';
      send(res, resp, { entry, log: st.log, close: true, method: req.method });
    });
    return upReq;
  }
}

module.exports = { Proxy, Spool };
