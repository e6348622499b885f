'use strict';
// One watch response: newline-delimited JSON events written with arbitrary
// chunk boundaries (events are split across writes or coalesced on purpose,
// driven by a seeded PRNG), periodic BOOKMARKs and a server-side timeout.

const { toTable } = require('./table');

class WatchStream {
  // out: faults.StreamOut; o: {res, table, includeObject, rng, splitProbability,
  // bookmarks, bookmarkIntervalMs, timeoutMs, store, onClose}
  constructor(out, o) {
    this.out = out;
    this.o = o;
    this.pending = [];
    this.writing = false;
    this.scheduled = false;
    this.ended = false;
    this.watcher = null;
    this.timers = [];
    if (o.bookmarks && o.bookmarkIntervalMs > 0) {
      this.timers.push(setInterval(() => this.bookmark(), o.bookmarkIntervalMs));
    }
    if (o.timeoutMs > 0) this.timers.push(setTimeout(() => this.close(), o.timeoutMs));
    out.res.on('close', () => this.close());
  }

  encode(obj) {
    const { res } = this.o;
    if (this.o.table) return toTable(res, [obj], { resourceVersion: obj.metadata.resourceVersion }, this.o.includeObject);
    return Object.assign({ kind: res.kind, apiVersion: res.apiVersion }, obj);
  }

  send(type, obj) {
    this.push({ type, object: this.encode(obj) });
  }

  // A BOOKMARK carries only the resourceVersion the watch has reached.
  bookmark(annotations) {
    if (this.ended) return;
    const { res, store } = this.o;
    const metadata = { resourceVersion: String(store.rv), creationTimestamp: null };
    if (annotations) metadata.annotations = annotations;
    const object = this.o.table
      ? { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: String(store.rv) }, columnDefinitions: null, rows: null }
      : { kind: res.kind, apiVersion: res.apiVersion, metadata };
    this.push({ type: 'BOOKMARK', object });
  }

  // Sends an in-band ERROR event with the Status and ends the watch.
  error(status) {
    this.push({ type: 'ERROR', object: status });
    this.endAfterFlush = true;
  }

  push(ev) {
    if (this.ended) return;
    this.pending.push(Buffer.from(JSON.stringify(ev) + '\n'));
    this.schedule();
  }

  schedule() {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush() {
    if (this.ended) return;
    if (this.pending.length === 0) {
      if (this.endAfterFlush) this.close();
      return;
    }
    const buf = Buffer.concat(this.pending);
    this.pending = [];
    const rng = this.o.rng;
    if (buf.length > 1 && rng() < this.o.splitProbability) {
      // split at a random byte, possibly inside an event or a UTF-8 sequence
      const cut = 1 + Math.floor(rng() * (buf.length - 1));
      this.out.write(buf.subarray(0, cut));
      this.writing = true;
      setTimeout(() => {
        this.writing = false;
        if (this.ended) return;
        this.out.write(buf.subarray(cut));
        if (this.out.done()) return this.close();
        return this.schedule();
      }, 1 + Math.floor(rng() * 5));
    } else {
      this.out.write(buf);
      if (this.endAfterFlush && this.pending.length === 0) this.close();
    }
    if (this.out.done()) this.close();
  }

  close() {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) {
      clearInterval(t);
      clearTimeout(t);
    }
    if (this.watcher) this.o.store.unwatch(this.watcher);
    this.out.end();
    if (this.o.onClose) this.o.onClose(this);
  }
}

module.exports = { WatchStream };
