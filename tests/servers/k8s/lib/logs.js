'use strict';
// Container log files as a kubelet keeps them: every line is stored as
// "<RFC3339Nano arrival time> <line>\n". Serving streams from the file in
// large blocks; without timestamps the prefix is cut with native Buffer
// operations (no string per line), so very large logs follow quickly.

const fs = require('fs');
const { nowNs, rfc3339Nano, parseTimeNs } = require('./util');

const MAX_PARTIAL = 1 << 20; // a line longer than this is split
const READ_BLOCK = 1 << 20;

class LogFile {
  constructor(path) {
    this.path = path;
    this.fd = fs.openSync(path, 'w');
    this.size = 0;
    this.secs = []; // unix seconds at which ...
    this.offs = []; // ... the first line of that second starts
    this.done = false;
    this.waiters = [];
    this.partial = new Map();
    this.lines = 0;
  }

  _wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  // Resolves at the next append or when the log is finished.
  wait() {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  _writeLines(body) {
    const ns = nowNs();
    const tsb = Buffer.from(rfc3339Nano(ns) + ' ');
    let n = 0;
    for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) n++;
    const out = Buffer.allocUnsafe(body.length + n * tsb.length);
    let o = 0;
    let s = 0;
    while (s < body.length) {
      const e = body.indexOf(10, s);
      o += tsb.copy(out, o);
      o += body.copy(out, o, s, e + 1);
      s = e + 1;
    }
    const sec = Number(ns / 1000000000n);
    if (this.secs.length === 0 || this.secs[this.secs.length - 1] !== sec) {
      this.secs.push(sec);
      this.offs.push(this.size);
    }
    let w = 0;
    while (w < out.length) w += fs.writeSync(this.fd, out, w, out.length - w);
    this.size += out.length;
    this.lines += n;
    this._wake();
  }

  // Appends output of one stream (stdout/stderr); only whole lines are
  // written, a trailing partial line waits for its newline.
  append(stream, chunk) {
    if (this.done) return;
    const pend = this.partial.get(stream);
    let data = pend ? Buffer.concat([pend, chunk]) : chunk;
    this.partial.delete(stream);
    const lastNl = data.lastIndexOf(10);
    if (lastNl < data.length - 1) {
      const rest = Buffer.from(data.subarray(lastNl + 1));
      if (rest.length > MAX_PARTIAL) {
        data = Buffer.concat([data, Buffer.from('\n')]);
      } else {
        this.partial.set(stream, rest);
        data = data.subarray(0, lastNl + 1);
      }
    }
    if (data.length > 0) this._writeLines(data);
  }

  // Writes pending partial lines (with a newline) and marks the log done.
  finish() {
    if (this.done) return;
    for (const [, rest] of this.partial) this._writeLines(Buffer.concat([rest, Buffer.from('\n')]));
    this.partial.clear();
    this.done = true;
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      /* already closed */
    }
    this._wake();
  }

  // Byte offset of the first line logged at or after the unix second.
  offsetForSecond(sec) {
    let lo = 0;
    let hi = this.secs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.secs[mid] < sec) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.offs.length ? this.offs[lo] : this.size;
  }
}

// Offset where the last `lines` lines of the file start.
function tailOffset(fd, size, lines) {
  if (lines <= 0) return size;
  const buf = Buffer.allocUnsafe(64 * 1024);
  let pos = size - 1; // skip the final newline
  let seen = 0;
  while (pos > 0) {
    const start = Math.max(0, pos - buf.length);
    const len = pos - start;
    fs.readSync(fd, buf, 0, len, start);
    for (let i = len - 1; i >= 0; i--) {
      if (buf[i] === 10 && ++seen === lines) return start + i + 1;
    }
    pos = start;
  }
  return 0;
}

function readAsync(fd, buf, pos) {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

// Converts a block of whole lines; returns the output buffer. state.minNs
// (sinceSeconds) skips leading lines older than it; state.timestamps keeps
// the prefix.
function convertBlock(block, state) {
  if (state.timestamps && state.minNs === null) return block;
  const out = Buffer.allocUnsafe(block.length);
  let o = 0;
  let s = 0;
  while (s < block.length) {
    const sp = block.indexOf(32, s);
    const e = block.indexOf(10, sp);
    if (state.minNs !== null) {
      const ns = parseTimeNs(block.toString('latin1', s, sp));
      if (ns !== null && ns < state.minNs) {
        s = e + 1;
        continue;
      }
      state.minNs = null;
    }
    o += block.copy(out, o, state.timestamps ? s : sp + 1, e + 1);
    s = e + 1;
  }
  return out.subarray(0, o);
}

// Streams a log file to `out` (a faults.StreamOut). opts: follow,
// timestamps, sinceNs (lines at/after; second resolution for sinceTime),
// minNs (exact lower bound, sinceSeconds), tailLines, limitBytes.
async function serveLog(file, out, opts) {
  const fd = fs.openSync(file.path, 'r');
  try {
    let off = 0;
    if (opts.tailLines !== null && opts.tailLines !== undefined) off = tailOffset(fd, file.size, opts.tailLines);
    if (opts.sinceNs !== null && opts.sinceNs !== undefined) {
      off = Math.max(off, file.offsetForSecond(Number(opts.sinceNs / 1000000000n)));
    }
    const state = { timestamps: !!opts.timestamps, minNs: opts.minNs === undefined ? null : opts.minNs };
    let budget = opts.limitBytes > 0 ? opts.limitBytes : Infinity;
    let blockSize = READ_BLOCK;
    const closed = new Promise((resolve) => out.res.on('close', resolve));
    for (;;) {
      if (out.done() || budget <= 0) break;
      if (off >= file.size) {
        if (!opts.follow || file.done) break;
        await Promise.race([file.wait(), closed]);
        continue;
      }
      const buf = Buffer.allocUnsafe(Math.min(blockSize, file.size - off));
      const n = await readAsync(fd, buf, off);
      if (n <= 0) break;
      const lastNl = buf.lastIndexOf(10, n - 1);
      if (lastNl < 0) {
        blockSize *= 2; // one line longer than the block: read more
        continue;
      }
      off += lastNl + 1;
      let chunk = convertBlock(buf.subarray(0, lastNl + 1), state);
      if (chunk.length > budget) chunk = chunk.subarray(0, budget);
      budget -= chunk.length;
      if (chunk.length > 0 && !out.write(chunk)) await out.drain();
    }
  } finally {
    fs.closeSync(fd);
  }
  out.end();
}

module.exports = { LogFile, serveLog, tailOffset };
