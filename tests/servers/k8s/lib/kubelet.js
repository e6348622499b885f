'use strict';
// A simulated node: runs each pod's containers as local processes in a
// per-pod work directory, materialises configMap/secret/emptyDir volumes,
// resolves env from Secrets/ConfigMaps, captures logs with arrival times and
// reports status the way kubelet does. Images select behaviours (README).

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const R = require('./resources');
const { LogFile } = require('./logs');
const { rfc3339, clone } = require('./util');
const { PODS, CONFIGMAPS } = require('./cluster');

const SECRETS = R.find('', 'v1', 'secrets');
const NODE_NAME = 'aftomato-node';
const HOST_IP = '10.0.0.10';

function normalizeImage(img) {
  let name = img;
  const first = name.split('/')[0];
  if (!name.includes('/')) name = `docker.io/library/${name}`;
  else if (!/[.:]/.test(first) && first !== 'localhost') name = `docker.io/${name}`;
  if (!/@/.test(name) && !/:[^/]+$/.test(name)) name += ':latest';
  return name;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// $(VAR) expansion as kubelet does it: $$ escapes, unknown stays literal.
function expand(text, env) {
  return String(text).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => {
    if (m === '$$') return '$';
    return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : m;
  });
}

class ConfigError extends Error {}

class Kubelet {
  constructor(cluster, opts) {
    this.cluster = cluster;
    this.store = cluster.store;
    this.dir = path.join(opts.stateDir, 'pods');
    this.procDir = path.join(opts.stateDir, 'procs');
    fs.mkdirSync(this.dir, { recursive: true });
    fs.mkdirSync(this.procDir, { recursive: true });
    this.opts = opts; // startDelayMs, apiHost, apiPort
    this.runs = new Map(); // pod uid -> PodRun
    this.nextIp = 2;
    cluster.kubelet = this;
    this.store.onChange((ev) => {
      if (ev.res !== PODS) return;
      const uidv = ev.obj.metadata.uid;
      if (ev.type === 'ADDED' && !this.runs.has(uidv)) {
        const run = new PodRun(this, ev.obj);
        this.runs.set(uidv, run);
        run.start();
      } else if (ev.type === 'MODIFIED' && ev.obj.metadata.deletionTimestamp) {
        const run = this.runs.get(uidv);
        if (run) run.terminate(ev.obj.metadata.deletionGracePeriodSeconds);
      } else if (ev.type === 'DELETED') {
        const run = this.runs.get(uidv);
        if (run) run.cleanup();
        this.runs.delete(uidv);
      }
    });
  }

  killPod(uidv) {
    const run = this.runs.get(uidv);
    if (run) run.killAll('SIGKILL');
  }

  // The log of a container, or null when it has not started.
  logFor(pod, container) {
    const run = this.runs.get(pod.metadata.uid);
    const c = run && run.containers.get(container);
    return c ? c.log : null;
  }

  shutdown() {
    for (const run of this.runs.values()) run.killAll('SIGKILL');
  }
}

class PodRun {
  constructor(kubelet, pod) {
    this.k = kubelet;
    this.cluster = kubelet.cluster;
    this.ns = pod.metadata.namespace;
    this.name = pod.metadata.name;
    this.uid = pod.metadata.uid;
    this.dir = path.join(kubelet.dir, `${this.ns}_${this.name}_${this.uid.slice(0, 8)}`);
    this.timers = new Set();
    this.phase = 'Pending';
    this.reason = undefined;
    this.message = undefined;
    this.startTime = undefined;
    this.podIP = undefined;
    this.conditions = new Map();
    this.containers = new Map();
    this.volumeDirs = new Map();
    this.finished = false;
    this.terminating = false;
    for (const c of pod.spec.containers) {
      this.containers.set(c.name, {
        spec: c, state: 'waiting', reason: 'ContainerCreating', message: undefined, proc: null, log: null,
        exitCode: undefined, startedAt: undefined, finishedAt: undefined, containerID: undefined, oom: false,
      });
    }
  }

  pod() {
    const p = this.k.store.get(PODS, this.ns, this.name);
    return p && p.metadata.uid === this.uid ? p : null;
  }

  later(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  event(type, reason, message, component) {
    const p = this.pod();
    if (p) this.cluster.recordEvent(PODS, p, type, reason, message, component || 'kubelet');
  }

  setCondition(type, status, reason, message) {
    const old = this.conditions.get(type);
    if (old && old.status === status && old.reason === reason) return;
    const c = { type, status, lastProbeTime: null, lastTransitionTime: rfc3339() };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    this.conditions.set(type, c);
  }

  containerStatus(c) {
    const s = { name: c.spec.name, state: {}, lastState: {}, ready: false, restartCount: 0, image: normalizeImage(c.spec.image), imageID: '', started: false };
    if (c.state === 'waiting') {
      s.state.waiting = { reason: c.reason };
      if (c.message) s.state.waiting.message = c.message;
    } else if (c.state === 'running') {
      s.state.running = { startedAt: c.startedAt };
      s.ready = true;
      s.started = true;
    } else {
      s.state.terminated = { exitCode: c.exitCode, reason: c.reason, startedAt: c.startedAt, finishedAt: c.finishedAt, containerID: c.containerID };
      if (c.message) s.state.terminated.message = c.message;
    }
    if (c.containerID) {
      s.containerID = c.containerID;
      s.imageID = `${normalizeImage(c.spec.image).replace(/:[^/:@]+$/, '')}@sha256:${crypto.createHash('sha256').update(c.spec.image).digest('hex')}`;
    }
    return s;
  }

  // Writes the pod status computed from the internal state.
  sync() {
    const p = this.pod();
    if (!p) return;
    const all = [...this.containers.values()];
    const notReady = all.filter((c) => c.state !== 'running').map((c) => c.spec.name);
    const done = this.phase === 'Succeeded' || this.phase === 'Failed';
    if (this.startTime) {
      this.setCondition('PodReadyToStartContainers', done ? 'False' : 'True');
      this.setCondition('Initialized', 'True');
      if (done) {
        this.setCondition('Ready', 'False', 'PodCompleted');
        this.setCondition('ContainersReady', 'False', 'PodCompleted');
      } else if (notReady.length) {
        const msg = `containers with unready status: [${notReady.join(' ')}]`;
        this.setCondition('Ready', 'False', 'ContainersNotReady', msg);
        this.setCondition('ContainersReady', 'False', 'ContainersNotReady', msg);
      } else {
        this.setCondition('Ready', 'True');
        this.setCondition('ContainersReady', 'True');
      }
    }
    const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
    const next = clone(p);
    const st = { phase: this.phase, conditions: order.filter((t) => this.conditions.has(t)).map((t) => this.conditions.get(t)) };
    if (this.reason) st.reason = this.reason;
    if (this.message) st.message = this.message;
    if (this.startTime) {
      Object.assign(st, { hostIP: HOST_IP, hostIPs: [{ ip: HOST_IP }], podIP: this.podIP, podIPs: [{ ip: this.podIP }], startTime: this.startTime });
      st.containerStatuses = all.map((c) => this.containerStatus(c));
    }
    st.qosClass = (p.status && p.status.qosClass) || R.qosClass(p.spec);
    next.status = st;
    this.k.store.update(PODS, next);
  }

  start() {
    this.later(20, () => {
      const p = this.pod();
      if (!p || this.terminating) return;
      const next = clone(p);
      next.spec.nodeName = NODE_NAME;
      this.setCondition('PodScheduled', 'True');
      this.k.store.update(PODS, next);
      this.sync();
      this.event('Normal', 'Scheduled', `Successfully assigned ${this.ns}/${this.name} to ${NODE_NAME}`, 'default-scheduler');
      this.later(this.k.opts.startDelayMs, () => this.admit());
    });
  }

  admit() {
    if (this.terminating) return;
    this.startTime = rfc3339();
    this.podIP = `10.244.0.${this.k.nextIp++ % 250 + 2}`;
    this.sync();
    const p = this.pod();
    if (p && p.spec.activeDeadlineSeconds > 0) {
      this.later(p.spec.activeDeadlineSeconds * 1000, () => this.deadline());
    }
    this.mount();
  }

  deadline() {
    if (this.finished || this.terminating) return;
    this.event('Normal', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
    this.reason = 'DeadlineExceeded';
    this.message = 'Pod was active on the node longer than the specified deadline';
    this.stopContainers(2, () => this.finish('Failed'));
  }

  // ---- volumes -----------------------------------------------------------------

  mount() {
    if (this.terminating) return;
    const p = this.pod();
    if (!p) return;
    try {
      fs.mkdirSync(path.join(this.dir, 'work'), { recursive: true });
      fs.mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
      for (const v of p.spec.volumes || []) this.materialise(v);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.event('Warning', 'FailedMount', e.message);
      this.later(1000, () => this.mount());
      return;
    }
    for (const c of this.containers.values()) this.prepare(c);
  }

  materialise(v) {
    const dir = path.join(this.dir, 'volumes', v.name);
    if (v.hostPath) {
      this.volumeDirs.set(v.name, v.hostPath.path);
      return;
    }
    const src = v.configMap || v.secret;
    if (src) {
      const isSecret = !!v.secret;
      const objName = isSecret ? src.secretName : src.name;
      const obj = this.k.store.get(isSecret ? SECRETS : CONFIGMAPS, this.ns, objName);
      const what = isSecret ? 'secret' : 'configmap';
      const files = [];
      if (!obj) {
        if (!src.optional) throw new ConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${what} "${objName}" not found`);
      } else {
        const data = {};
        for (const [k, val] of Object.entries(obj.data || {})) data[k] = isSecret ? Buffer.from(val, 'base64') : Buffer.from(val);
        for (const [k, val] of Object.entries(obj.binaryData || {})) data[k] = Buffer.from(val, 'base64');
        const items = src.items || Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const it of items) {
          if (!data[it.key]) {
            if (src.optional) continue;
            throw new ConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${what} references non-existent ${isSecret ? 'secret' : 'config'} key: ${it.key}`);
          }
          files.push([it.path, data[it.key], it.mode !== undefined ? it.mode : src.defaultMode]);
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      for (const [rel, buf, mode] of files) {
        const f = path.join(dir, rel);
        if (!f.startsWith(dir + path.sep)) continue;
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, buf);
        fs.chmodSync(f, (mode === undefined ? 420 : mode) & 0o777);
      }
    } else {
      fs.mkdirSync(dir, { recursive: true });
    }
    this.volumeDirs.set(v.name, dir);
  }

  // [mountPath, local dir] for a container, longest mountPath first.
  mountsOf(spec) {
    const out = [];
    for (const m of spec.volumeMounts || []) {
      const base = this.volumeDirs.get(m.name);
      if (!base) continue;
      const mp = m.mountPath.length > 1 ? m.mountPath.replace(/\/+$/, '') : m.mountPath;
      out.push([mp, m.subPath ? path.join(base, m.subPath) : base]);
    }
    return out.sort((a, b) => b[0].length - a[0].length);
  }

  // The mountPath rule (README): a mountPath at the start of a value, or
  // after whitespace, a quote, '=', ':' or '(', and ending at '/', the end
  // or a separator, is replaced by the materialised directory.
  static rewrite(value, mounts) {
    if (!mounts.length) return value;
    const re = new RegExp(`(^|[\\s"'=:(])(${mounts.map((m) => escapeRe(m[0])).join('|')})(?=$|[/\\s"'):;,])`, 'g');
    const map = new Map(mounts);
    return String(value).replace(re, (all, pre, mp) => pre + map.get(mp));
  }

  // ---- containers ----------------------------------------------------------------

  resolveEnv(spec, p) {
    const env = {};
    const getObj = (kind, name) => this.k.store.get(kind === 'secret' ? SECRETS : CONFIGMAPS, this.ns, name);
    const decode = (kind, v) => (kind === 'secret' ? Buffer.from(v, 'base64').toString() : v);
    for (const src of spec.envFrom || []) {
      const ref = src.secretRef || src.configMapRef;
      const kind = src.secretRef ? 'secret' : 'configmap';
      const obj = getObj(kind, ref.name);
      if (!obj) {
        if (ref.optional) continue;
        throw new ConfigError(`${kind} "${ref.name}" not found`);
      }
      for (const [k, v] of Object.entries(obj.data || {})) {
        const key = (src.prefix || '') + k;
        if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) env[key] = decode(kind, v);
      }
    }
    for (const e of spec.env || []) {
      if (!e.valueFrom) {
        env[e.name] = expand(e.value === undefined ? '' : e.value, env);
        continue;
      }
      const vf = e.valueFrom;
      const ref = vf.secretKeyRef || vf.configMapKeyRef;
      if (ref) {
        const kind = vf.secretKeyRef ? 'secret' : 'configmap';
        const obj = getObj(kind, ref.name);
        if (!obj) {
          if (ref.optional) continue;
          throw new ConfigError(`${kind} "${ref.name}" not found`);
        }
        const data = obj.data || {};
        if (data[ref.key] === undefined) {
          if (ref.optional) continue;
          throw new ConfigError(`couldn't find key ${ref.key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${this.ns}/${ref.name}`);
        }
        env[e.name] = decode(kind, data[ref.key]);
      } else if (vf.fieldRef) {
        env[e.name] = this.fieldRef(vf.fieldRef.fieldPath, p);
      } else if (vf.resourceFieldRef) {
        const [kind, what] = vf.resourceFieldRef.resource.split('.');
        const r = (spec.resources || {})[kind] || {};
        env[e.name] = r[what] !== undefined ? String(r[what]) : '0';
      }
    }
    return env;
  }

  fieldRef(fp, p) {
    const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fp);
    if (m) return (p.metadata[m[1]] || {})[m[2]] || '';
    const map = {
      'metadata.name': p.metadata.name, 'metadata.namespace': p.metadata.namespace, 'metadata.uid': p.metadata.uid,
      'spec.nodeName': NODE_NAME, 'spec.serviceAccountName': p.spec.serviceAccountName, 'status.hostIP': HOST_IP,
      'status.hostIPs': HOST_IP, 'status.podIP': this.podIP, 'status.podIPs': this.podIP,
    };
    return map[fp] === undefined ? '' : map[fp];
  }

  setWaiting(c, reason, message) {
    if (c.state === 'waiting' && c.reason === reason && c.message === message) return;
    c.state = 'waiting';
    c.reason = reason;
    c.message = message;
    this.sync();
  }

  prepare(c) {
    if (this.terminating || this.finished) return;
    const image = c.spec.image || '';
    if (image.includes('pull-error')) {
      this.event('Normal', 'Pulling', `Pulling image "${image}"`);
      this.later(300, () => {
        const msg = `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${normalizeImage(image)}": failed to resolve reference "${normalizeImage(image)}": not found`;
        this.event('Warning', 'Failed', msg);
        this.setWaiting(c, 'ErrImagePull', msg);
        this.later(1000, () => {
          this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`);
          this.setWaiting(c, 'ImagePullBackOff', `Back-off pulling image "${image}"`);
        });
      });
      return;
    }
    const delay = image.includes('slow-create') ? 2000 : 0;
    this.event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
    this.later(delay, () => this.launch(c));
  }

  launch(c) {
    if (this.terminating || this.finished) return;
    const p = this.pod();
    if (!p) return;
    const mounts = this.mountsOf(c.spec);
    let env;
    try {
      env = this.resolveEnv(c.spec, p);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (c.reason !== 'CreateContainerConfigError') this.event('Warning', 'Failed', `Error: ${e.message}`);
      this.setWaiting(c, 'CreateContainerConfigError', e.message);
      this.later(1000, () => this.launch(c));
      return;
    }
    for (const k of Object.keys(env)) env[k] = PodRun.rewrite(env[k], mounts);
    const full = Object.assign({
      PATH: process.env.PATH || '/usr/local/bin:/usr/bin:/bin',
      HOSTNAME: this.name,
      HOME: path.join(this.dir, 'work'),
      KUBERNETES_SERVICE_HOST: this.k.opts.apiHost,
      KUBERNETES_SERVICE_PORT: String(this.k.opts.apiPort),
    }, env);
    let argv = (c.spec.command || []).concat(c.spec.args || []).map((a) => PodRun.rewrite(expand(a, full), mounts));
    if (argv.length === 0) argv = ['sleep', 'infinity']; // no entrypoint known: idle like a server
    let cwd = path.join(this.dir, 'work');
    if (c.spec.workingDir) {
      const w = PodRun.rewrite(c.spec.workingDir, mounts);
      if (w !== c.spec.workingDir) cwd = w;
    }
    c.log = new LogFile(path.join(this.dir, 'logs', `${c.spec.name}.log`));
    c.containerID = `containerd://${crypto.randomBytes(32).toString('hex')}`;
    this.event('Normal', 'Created', `Created container: ${c.spec.name}`);
    this.spawn(c, argv, cwd, full);
  }

  spawn(c, argv, cwd, env) {
    let child;
    let failed = null;
    try {
      child = spawn(argv[0], argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      failed = e;
    }
    const startErr = (e) => {
      if (c.state === 'terminated') return;
      const msg = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": ${e.code === 'ENOENT' ? 'executable file not found in $PATH' : e.message}: unknown`;
      c.startedAt = c.finishedAt = rfc3339();
      this.event('Warning', 'Failed', `Error: ${msg}`);
      this.terminated(c, 128, 'StartError', msg);
    };
    if (failed) return startErr(failed);
    c.proc = child;
    const pidFile = path.join(this.k.procDir, String(child.pid));
    if (child.pid) fs.writeFileSync(pidFile, `${this.ns}/${this.name}/${c.spec.name}\n`);
    child.stdout.on('data', (d) => c.log.append('stdout', d));
    child.stderr.on('data', (d) => c.log.append('stderr', d));
    child.on('error', (e) => {
      failed = e;
    });
    child.on('exit', () => {
      try {
        process.kill(-child.pid, 'SIGKILL'); // the container's other processes die with it
      } catch (e) {
        /* group gone */
      }
    });
    child.on('close', (code, signal) => {
      fs.rmSync(pidFile, { force: true });
      c.proc = null;
      c.log.finish();
      if (failed) return startErr(failed);
      const exitCode = code !== null ? code : 128 + (os.constants.signals[signal] || 9);
      c.finishedAt = rfc3339();
      if (c.oom) this.terminated(c, 137, 'OOMKilled');
      else this.terminated(c, exitCode, exitCode === 0 ? 'Completed' : 'Error');
    });
    if (!child.pid) return undefined;
    c.state = 'running';
    c.reason = c.message = undefined;
    if (this.phase === 'Pending') this.phase = 'Running';
    c.startedAt = rfc3339();
    this.event('Normal', 'Started', `Started container ${c.spec.name}`);
    this.sync();
    if ((c.spec.image || '').includes('oom')) {
      this.later(300, () => {
        if (c.proc) {
          c.oom = true;
          this.signal(c, 'SIGKILL');
        }
      });
    }
    if (this.terminating) this.signal(c, 'SIGTERM');
    return undefined;
  }

  signal(c, sig) {
    if (!c.proc || !c.proc.pid) return;
    try {
      process.kill(-c.proc.pid, sig);
    } catch (e) {
      /* already gone */
    }
  }

  terminated(c, exitCode, reason, message) {
    c.state = 'terminated';
    c.exitCode = exitCode;
    c.reason = reason;
    c.message = message;
    if (!c.startedAt) c.startedAt = c.finishedAt;
    if (!c.finishedAt) c.finishedAt = rfc3339();
    this.evaluate(); // when this ends the pod, one status update carries both
    if (!this.finished) this.sync();
  }

  // The pod ends when its `build` container (or all containers when there
  // is none) has terminated; the remaining (sidecar) containers are stopped.
  evaluate() {
    if (this.finished) return;
    const all = [...this.containers.values()];
    const main = this.containers.has('build') ? [this.containers.get('build')] : all;
    if (this.terminating) {
      if (all.every((c) => c.state !== 'running')) this.finish('Failed');
      return;
    }
    if (!main.every((c) => c.state === 'terminated')) return;
    const ok = main.every((c) => c.exitCode === 0);
    this.stopContainers(2, () => this.finish(ok ? 'Succeeded' : 'Failed'));
  }

  // SIGTERM every running container, SIGKILL after graceSeconds; containers
  // that never started are marked terminated. Calls done() when all ended.
  stopContainers(graceSeconds, done) {
    let waiting = 0;
    for (const c of this.containers.values()) {
      if (c.state === 'running' && c.proc) {
        waiting++;
        this.signal(c, 'SIGTERM');
      } else if (c.state === 'waiting') {
        c.state = 'terminated';
        c.exitCode = 137;
        c.reason = 'ContainerStatusUnknown';
        c.message = 'The container could not be located when the pod was terminated';
        c.finishedAt = rfc3339();
        c.startedAt = undefined;
      }
    }
    if (waiting === 0) return done();
    this.later(graceSeconds * 1000, () => this.killAll('SIGKILL'));
    const check = () => {
      if ([...this.containers.values()].some((c) => c.proc)) this.later(20, check);
      else done();
    };
    check();
    return undefined;
  }

  finish(phase) {
    if (this.finished) return;
    this.finished = true;
    this.phase = phase;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.sync();
    const p = this.pod();
    if (p && p.metadata.deletionTimestamp) this.k.store.remove(PODS, this.ns, this.name);
  }

  // Graceful deletion: stop containers within the grace period, then the
  // pod object is removed.
  terminate(graceSeconds) {
    if (this.terminating && graceSeconds > 0) return;
    this.terminating = true;
    if (this.finished) {
      this.k.store.remove(PODS, this.ns, this.name);
      return;
    }
    this.event('Normal', 'Killing', `Stopping container ${[...this.containers.keys()].join(', ')}`);
    this.stopContainers(Math.max(0, graceSeconds || 0), () => this.finish('Failed'));
  }

  killAll(sig) {
    for (const c of this.containers.values()) this.signal(c, sig);
  }

  cleanup() {
    this.terminating = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.killAll('SIGKILL');
    const rm = () => {
      if ([...this.containers.values()].some((c) => c.proc)) {
        setTimeout(rm, 50);
        return;
      }
      fs.rmSync(this.dir, { recursive: true, force: true });
    };
    setTimeout(rm, 50);
  }
}

module.exports = { Kubelet, PodRun, expand, normalizeImage };
