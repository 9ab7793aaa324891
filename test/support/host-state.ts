/**
 * What a real node changes on the machine, recorded before it changes it and put back afterwards — also by the next
 * run when this one was killed: the record lives in a state file outside the run's directory.
 *
 * Covered: kernel settings (sysctls), network interfaces the run creates, iptables chains of kube-proxy and the CNI
 * plugins, mounts (under the run's directory and the network namespaces the container runtime creates), Pod processes
 * and their cgroups (the container runtime's shims outlive it by design), and the host directories the kubelet and
 * the runtime write outside the directories they are given, and host files the run installs for its lifetime (the
 * NFS-like mount helper, realnode.ts), put back exactly as they were: the original bytes and mode, or no file.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export interface HostState {
  /** The test process that owns the node, and its start time (a reused pid is not the owner). */
  owner: { pid: number; start: string };
  /** The run's directory: everything under it is the run's own. */
  dir: string;
  /** sysctl path (under /proc/sys) → value before the run; absent keys did not exist. */
  sysctls: Record<string, string>;
  /** Interfaces the run creates (deleted on cleanup when they exist). */
  interfaces: string[];
  /** Host paths that did not exist before the run: removed on cleanup. */
  createdPaths: string[];
  /** Entries of /run/netns before the run (the runtime adds one per Pod sandbox). */
  netnsBefore: string[];
  /** The runtime's socket: its shims name it on their command line. */
  containerdSocket: string;
  /** Host files the run puts in place for its lifetime (the NFS-like mount helper), as they were before. */
  replacedFiles?: ReplacedFile[];
}

/** A host file the run installs, and what was there before: put back exactly so on cleanup. */
export interface ReplacedFile {
  path: string;
  /** Absent: there was no file (it is removed on cleanup). */
  before?: { copy: string; mode: number } | { symlink: string };
}

export const STATE_FILE = process.env.LIFEBOAT_REAL_NODE_STATE ?? '/run/lifeboat-real-node.json';

/** Settings the bridge plugin, the kubelet and kube-proxy change. */
export const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/bridge/bridge-nf-call-iptables',
  'net/netfilter/nf_conntrack_max',
];

/** Host paths the kubelet, the runtime and libcni write whatever directories they are given. */
export const HOST_PATHS = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/var/log/pods',
  '/var/lib/cni',
  '/run/containerd',
  '/run/netns',
  '/etc/cni',
  '/opt/containerd',
  '/var/lib/containerd',
];

const CGROUP_ROOT = '/sys/fs/cgroup';
/** The kubelet's Pod cgroups (cgroupfs driver, default cgroup root), in every hierarchy. */
const POD_CGROUP = 'kubepods';

function processStart(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function ownerAlive(state: HostState): boolean {
  return processStart(state.owner.pid) === state.owner.start;
}

export function readState(): HostState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as HostState;
  } catch {
    return undefined;
  }
}

/**
 * Records what is at `path` before the run puts its own file there: a copy of the file (under `saveDir`, which must
 * outlive a killed run until the next cleanup) with its mode, the target of a symbolic link, or nothing.
 */
export function recordReplacedFile(path: string, saveDir: string): ReplacedFile {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat) return { path };
  if (stat.isSymbolicLink()) return { path, before: { symlink: readlinkSync(path) } };
  mkdirSync(saveDir, { recursive: true });
  const copy = join(saveDir, path.replaceAll('/', '_'));
  copyFileSync(path, copy);
  return { path, before: { copy, mode: stat.mode & 0o7777 } };
}

/** Puts back what `recordReplacedFile` found at the path: the file with its bytes and mode, the link, or nothing. */
export function restoreReplacedFile(file: ReplacedFile): void {
  const before = file.before;
  if (!before) {
    rmSync(file.path, { force: true });
  } else if ('symlink' in before) {
    rmSync(file.path, { force: true });
    symlinkSync(before.symlink, file.path);
  } else if (existsSync(before.copy)) {
    rmSync(file.path, { force: true });
    copyFileSync(before.copy, file.path);
    chmodSync(file.path, before.mode);
  }
}

/** Records the machine as it is, before anything is changed. */
export function recordState(
  dir: string,
  interfaces: string[],
  containerdSocket: string,
  replacedFiles: string[] = [],
): HostState {
  const sysctls: Record<string, string> = {};
  for (const key of SYSCTLS) {
    try {
      sysctls[key] = readFileSync(join('/proc/sys', key), 'utf8').trim();
    } catch {
      // not in this kernel
    }
  }
  const state: HostState = {
    owner: { pid: process.pid, start: processStart(process.pid) ?? '' },
    dir,
    sysctls,
    interfaces,
    createdPaths: HOST_PATHS.filter((p) => !existsSync(p)),
    netnsBefore: existsSync('/run/netns') ? readdirSync('/run/netns') : [],
    containerdSocket,
    replacedFiles: replacedFiles.map((path) => recordReplacedFile(path, join(dir, 'replaced-files'))),
  };
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  return state;
}

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], input });
}

function tryRun(cmd: string, args: string[], input?: string): string | undefined {
  try {
    return run(cmd, args, input);
  } catch {
    return undefined;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    try {
      for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.push(Number(line));
    } catch {
      // no procs file
    }
    for (const e of entries) if (statSync(join(d, e), { throwIfNoEntry: false })?.isDirectory()) walk(join(d, e));
  };
  walk(dir);
  return pids;
}

function removeCgroupTree(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries)
    if (statSync(join(dir, e), { throwIfNoEntry: false })?.isDirectory()) removeCgroupTree(join(dir, e));
  try {
    rmdirSync(dir);
  } catch {
    // busy a moment longer: the next cleanup retries
  }
}

/** Every Pod process the kubelet started (in its cgroups), then the runtime's shims of this run (by their socket). */
export function killPodProcesses(state: HostState): number[] {
  const hierarchies = existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : [];
  const pods = new Set(hierarchies.flatMap((h) => pidsIn(join(CGROUP_ROOT, h, POD_CGROUP))));
  for (const pid of pods) kill(pid);
  const shims: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('containerd-shim') && cmdline.split('\0').includes(state.containerdSocket)) {
      shims.push(Number(entry));
      kill(Number(entry));
    }
  }
  return [...pods, ...shims];
}

function mountPoints(): string[] {
  // Field 5 of mountinfo, with octal escapes (\040 for a space) decoded.
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) =>
      (line.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))),
    );
}

/** The run's mounts and network namespaces, deepest first. */
function unmountAll(state: HostState): void {
  const netns = new Set(state.netnsBefore.map((n) => join('/run/netns', n)));
  const ours = (m: string) =>
    m.startsWith(`${state.dir}/`) || (m.startsWith('/run/netns/') && !netns.has(m)) || m.startsWith('/run/containerd/');
  for (let round = 0; round < 5; round++) {
    const targets = mountPoints()
      .filter(ours)
      .sort((a, b) => b.length - a.length);
    if (targets.length === 0) return;
    for (const m of targets) tryRun('umount', [m]) ?? tryRun('umount', ['-l', m]);
  }
}

/**
 * An `iptables-restore --noflush` script that removes the rules jumping to chains kube-proxy and the CNI plugins made
 * (KUBE-*, CNI-*), then those chains, from an `iptables-save` dump; nothing else is touched.
 */
export function chainRemovalScript(dump: string): string {
  const ours = /^(KUBE-|CNI-)/;
  const script: string[] = [];
  let table = '';
  let chains: string[] = [];
  let rules: string[] = [];
  const end = () => {
    if (table && (chains.length || rules.length)) {
      script.push(`*${table}`, ...rules, ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
    }
  };
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) {
      end();
      table = line.slice(1).trim();
      chains = [];
      rules = [];
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0] ?? '';
      if (ours.test(name)) chains.push(name);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      const target = / -[jg] (\S+)/.exec(line)?.[1] ?? '';
      if (!ours.test(chain) && ours.test(target)) rules.push(`-D ${line.slice(3)}`);
    }
  }
  end();
  return script.length ? `${script.join('\n')}\n` : '';
}

function removeChains(tool: 'iptables' | 'ip6tables'): void {
  const script = chainRemovalScript(tryRun(`${tool}-save`, []) ?? '');
  if (script) tryRun(`${tool}-restore`, ['--noflush'], script);
}

/** Puts the machine back as `state` recorded it. Safe to run twice, and with the node half started. */
export function restoreState(state: HostState): void {
  killPodProcesses(state);
  unmountAll(state);
  for (const h of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : [])
    removeCgroupTree(join(CGROUP_ROOT, h, POD_CGROUP));
  for (const name of state.interfaces) tryRun('ip', ['link', 'delete', name]);
  removeChains('iptables');
  removeChains('ip6tables');
  for (const [key, value] of Object.entries(state.sysctls)) {
    try {
      if (readFileSync(join('/proc/sys', key), 'utf8').trim() !== value) writeFileSync(join('/proc/sys', key), value);
    } catch {
      // gone with a module, or read-only here
    }
  }
  for (const file of state.replacedFiles ?? []) restoreReplacedFile(file);
  for (const p of state.createdPaths) rmSync(p, { recursive: true, force: true });
  rmSync(state.dir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}

/** What the machine still shows of a node after cleanup: empty when it is as found. */
export function leftovers(state: HostState): string[] {
  const found: string[] = [];
  for (const p of state.createdPaths) if (existsSync(p)) found.push(`path ${p}`);
  for (const file of state.replacedFiles ?? []) {
    const now = lstatSync(file.path, { throwIfNoEntry: false });
    if (!file.before && now) found.push(`file ${file.path} (there was none)`);
    if (file.before && !now) found.push(`file ${file.path} missing`);
  }
  for (const name of state.interfaces) if (existsSync(`/sys/class/net/${name}`)) found.push(`interface ${name}`);
  for (const [key, value] of Object.entries(state.sysctls)) {
    const now = tryRun('cat', [join('/proc/sys', key)])?.trim();
    if (now !== undefined && now !== value) found.push(`sysctl ${key}=${now} (was ${value})`);
  }
  for (const m of mountPoints()) if (m.startsWith(`${state.dir}/`)) found.push(`mount ${m}`);
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    const chains = (tryRun(tool, []) ?? '').split('\n').filter((l) => /^:(KUBE-|CNI-)/.test(l));
    if (chains.length) found.push(`${tool}: ${chains.length} chains ${chains[0]} ...`);
  }
  return found;
}

/** `a.b.c.d/n` → the first and last address as numbers. */
function cidrBounds(cidr: string): [number, number] {
  const [ip = '', bits = '32'] = cidr.split('/');
  const parts = ip.split('.').map(Number);
  const base = parts.reduce((acc, octet) => acc * 256 + (octet ?? 0), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return [first, first + size - 1];
}

/**
 * The machine's routes (as `ip -4 route show table all` prints them, one per line) whose destination overlaps one of
 * `ranges`. The default route does not count: it is every address's last resort, not a claim on a range. A node
 * address inside a range the machine already routes (its own uplink, a VPN) would shadow that network while the node
 * runs, so the start refuses instead.
 */
export function overlappingRoutes(routeLines: string[], ranges: readonly string[]): string[] {
  const found: string[] = [];
  for (const line of routeLines) {
    const words = line.trim().split(/\s+/);
    const dst = ['local', 'broadcast', 'unicast'].includes(words[0] ?? '') ? words[1] : words[0];
    if (!dst || dst === 'default' || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst)) continue;
    const [a0, a1] = cidrBounds(dst.includes('/') ? dst : `${dst}/32`);
    if (
      ranges.some((range) => {
        const [b0, b1] = cidrBounds(range);
        return a0 <= b1 && b0 <= a1;
      })
    ) {
      found.push(line.trim());
    }
  }
  return found;
}
