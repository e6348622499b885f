'use strict';
// The Job controller: creates pods from the template, counts succeeded and
// failed pods, honours backoffLimit, activeDeadlineSeconds, suspend,
// completions/parallelism and ttlSecondsAfterFinished, and writes the Job
// status and conditions the way batch/v1 reports them (Kubernetes 1.32).

const R = require('./resources');
const { rfc3339, clone } = require('./util');
const { PODS } = require('./cluster');

const JOBS = R.find('batch', 'v1', 'jobs');

function cond(obj, type) {
  return ((obj.status && obj.status.conditions) || []).find((c) => c.type === type && c.status === 'True');
}

function podFinished(p) {
  return p.status && (p.status.phase === 'Succeeded' || p.status.phase === 'Failed');
}

function controllerUid(p) {
  const ref = (p.metadata.ownerReferences || []).find((r) => r.controller && r.kind === 'Job');
  return ref ? ref.uid : null;
}

class JobController {
  constructor(cluster, opts) {
    this.cluster = cluster;
    this.store = cluster.store;
    this.backoffBaseMs = (opts && opts.backoffBaseMs) || 1000;
    this.counted = new Map(); // job uid -> Map(pod uid -> 'Succeeded'|'Failed')
    this.gone = new Map(); // job uid -> [{uid, phase}] pods removed before being counted
    this.timers = new Map(); // job uid -> Set of timers
    this.queued = new Set();
    this.backoff = new Set(); // jobs waiting for a replacement pod
    this.store.onChange((ev) => this.onChange(ev));
  }

  onChange(ev) {
    if (ev.res === JOBS) {
      if (ev.type === 'DELETED') this.forget(ev.obj.metadata.uid);
      else this.enqueue(ev.obj.metadata.namespace, ev.obj.metadata.name);
      return;
    }
    if (ev.res !== PODS) return;
    const juid = controllerUid(ev.obj);
    if (!juid) return;
    if (ev.type === 'DELETED') {
      if (!this.gone.has(juid)) this.gone.set(juid, []);
      this.gone.get(juid).push({ uid: ev.obj.metadata.uid, phase: (ev.obj.status || {}).phase });
    }
    const job = this.store.getByUid(juid);
    if (job) this.enqueue(job.metadata.namespace, job.metadata.name);
  }

  enqueue(ns, name) {
    const key = `${ns}/${name}`;
    if (this.queued.has(key)) return;
    this.queued.add(key);
    setImmediate(() => {
      this.queued.delete(key);
      this.reconcile(ns, name);
    });
  }

  after(juid, ms, fn) {
    if (!this.timers.has(juid)) this.timers.set(juid, new Set());
    const set = this.timers.get(juid);
    const t = setTimeout(() => {
      set.delete(t);
      fn();
    }, Math.max(0, ms));
    set.add(t);
  }

  forget(juid) {
    for (const t of this.timers.get(juid) || []) clearTimeout(t);
    this.timers.delete(juid);
    this.backoff.delete(juid);
    this.counted.delete(juid);
    this.gone.delete(juid);
  }

  event(job, type, reason, message) {
    this.cluster.recordEvent(JOBS, job, type, reason, message, 'job-controller');
  }

  deletePods(pods) {
    for (const p of pods) {
      try {
        this.cluster.deleteObject(PODS, p.metadata.namespace, p.metadata.name, {});
      } catch (e) {
        /* already gone */
      }
    }
  }

  // Counts finished (or removed) pods once each into st.succeeded/failed.
  count(job, pods, st) {
    const juid = job.metadata.uid;
    if (!this.counted.has(juid)) this.counted.set(juid, new Map());
    const seen = this.counted.get(juid);
    const add = (uidv, phase) => {
      if (seen.has(uidv)) return;
      seen.set(uidv, phase);
      if (phase === 'Succeeded') st.succeeded = (st.succeeded || 0) + 1;
      else st.failed = (st.failed || 0) + 1;
    };
    for (const p of pods) if (podFinished(p)) add(p.metadata.uid, p.status.phase);
    for (const g of this.gone.get(juid) || []) add(g.uid, g.phase === 'Succeeded' ? 'Succeeded' : 'Failed');
    this.gone.delete(juid);
  }

  condition(type, reason, message) {
    const now = rfc3339();
    return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
  }

  reconcile(ns, name) {
    const job = this.store.get(JOBS, ns, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = job.spec;
    const st = clone(job.status || {});
    st.conditions = st.conditions || [];
    const juid = job.metadata.uid;
    const pods = this.store.list(PODS, ns).filter((p) => controllerUid(p) === juid);
    this.count(job, pods, st);
    const active = pods.filter((p) => !podFinished(p) && !p.metadata.deletionTimestamp);
    const terminating = pods.filter((p) => !podFinished(p) && p.metadata.deletionTimestamp).length;
    const has = (t) => st.conditions.some((c) => c.type === t && c.status === 'True');
    const finished = has('Complete') || has('Failed');
    st.active = finished ? active.length : this.step(job, st, active, terminating, has);
    st.ready = active.filter((p) => cond(p, 'Ready')).length;
    st.terminating = terminating;
    st.uncountedTerminatedPods = {};
    for (const k of ['active', 'succeeded', 'failed']) if (!st[k]) delete st[k];
    if (st.conditions.length === 0) delete st.conditions;
    if (JSON.stringify(st) !== JSON.stringify(job.status || {})) {
      const next = clone(job);
      next.status = st;
      this.store.update(JOBS, next);
    }
    const nowFinished = (st.conditions || []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (nowFinished && !finished && spec.ttlSecondsAfterFinished !== undefined) {
      this.after(juid, spec.ttlSecondsAfterFinished * 1000, () => {
        const j = this.store.get(JOBS, ns, name);
        if (j && j.metadata.uid === juid) this.cluster.deleteObject(JOBS, ns, name, { propagationPolicy: 'Background' });
      });
    }
  }

  // One reconcile step for an unfinished job; returns the active count.
  step(job, st, active, terminating, has) {
    const spec = job.spec;
    const juid = job.metadata.uid;
    const completions = spec.completions === null || spec.completions === undefined ? 1 : spec.completions;
    const start = st.startTime ? Date.parse(st.startTime) : null;
    if (!has('FailureTarget') && !has('SuccessCriteriaMet')) {
      if (spec.activeDeadlineSeconds && start !== null && Date.now() >= start + spec.activeDeadlineSeconds * 1000) {
        st.conditions.push(this.condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline'));
        this.event(job, 'Warning', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      } else if ((st.failed || 0) > spec.backoffLimit) {
        st.conditions.push(this.condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'));
        this.event(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if ((st.succeeded || 0) >= completions) {
        st.conditions.push(this.condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'));
      }
    }
    const target = st.conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    if (target) {
      this.deletePods(active);
      if (active.length === 0 && terminating === 0) {
        st.conditions.push(this.condition('Failed', target.reason, target.message));
      }
      return active.length;
    }
    if (has('SuccessCriteriaMet')) {
      this.deletePods(active);
      if (active.length === 0 && terminating === 0) {
        st.conditions.push(this.condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'));
        st.completionTime = rfc3339();
        this.event(job, 'Normal', 'Completed', 'Job completed');
      }
      return active.length;
    }
    if (spec.suspend) {
      this.deletePods(active);
      if (!has('Suspended')) {
        st.conditions.push(this.condition('Suspended', 'JobSuspended', 'Job suspended'));
        this.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
      return active.length;
    }
    st.conditions = st.conditions.filter((c) => c.type !== 'Suspended');
    if (!st.startTime) {
      st.startTime = rfc3339();
      if (spec.activeDeadlineSeconds) this.after(juid, spec.activeDeadlineSeconds * 1000 + 5, () => this.enqueue(job.metadata.namespace, job.metadata.name));
    }
    const want = Math.min(spec.parallelism, completions - (st.succeeded || 0)) - active.length - terminating;
    if (want <= 0) return active.length;
    const failed = st.failed || 0;
    const delay = failed > 0 ? Math.min(this.backoffBaseMs * 2 ** (failed - 1), 60000) : 0;
    const create = () => {
      const j = this.store.get(JOBS, job.metadata.namespace, job.metadata.name);
      if (!j || j.metadata.uid !== juid || j.metadata.deletionTimestamp) return;
      for (let i = 0; i < want; i++) this.createPod(j);
    };
    if (delay === 0) {
      create();
      return active.length + want;
    }
    if (!this.backoff.has(juid)) {
      this.backoff.add(juid);
      this.after(juid, delay, () => {
        this.backoff.delete(juid);
        create();
      });
    }
    return active.length;
  }

  createPod(job) {
    const t = job.spec.template || {};
    const tm = t.metadata || {};
    const body = {
      metadata: {
        generateName: `${job.metadata.name}-`,
        labels: clone(tm.labels || {}),
        annotations: tm.annotations ? clone(tm.annotations) : undefined,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: clone(t.spec),
    };
    if (!body.metadata.annotations) delete body.metadata.annotations;
    try {
      const p = this.cluster.createObject(PODS, job.metadata.namespace, body);
      this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${p.metadata.name}`);
    } catch (e) {
      this.event(job, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
    }
  }
}

module.exports = { JobController, JOBS };
