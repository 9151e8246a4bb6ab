// The fault suite's lab: a few real lab hosts and the lab cluster, the real CLI in-process, and the checks every
// scenario makes from outside over plain ssh (openssh client): nothing half-written, no duplicate line, no temp file,
// nothing written outside meshvm's paths, no secret in any output.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { runStatus, type RunResult } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labFleet, rebootVm, type LabFleet } from '../support/lab-fleet.js'
import { runCli } from '../support/run-cli.js'

export interface Host {
  name: string
  address: string
}

export interface Report {
  hosts: Record<
    string,
    { status: string; changed: number; failed: number; steps: { name: string; status: string; msg: string }[] }
  >
}

export interface Run {
  code: number
  stdout: string
  stderr: string
  report?: Report
}

// Paths meshvm, the package it installs, its postinst and the sidecar may write; anything else new is a finding.
const MANAGED = [
  '/etc/hosts',
  '/etc/certs/',
  '/var/run/secrets/',
  '/run/',
  '/var/lib/istio/',
  '/etc/istio',
  '/var/lib/meshvm/',
  '/var/log/',
  '/var/cache/',
  '/var/tmp/',
  '/tmp/',
  '/home/admin/.meshvm/',
  '/home/operator/.meshvm/',
  '/root/.meshvm/',
  '/var/lib/dpkg/',
  '/usr/local/bin/',
  '/usr/local/lib/istio-lab/',
  '/lib/systemd/system/istio.service',
  '/usr/lib/systemd/system/istio.service',
  '/etc/systemd/system/',
  '/var/lib/systemd/',
  '/etc/passwd',
  '/etc/group',
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/subuid',
  '/etc/subgid',
  '/etc/.pwd.lock',
  '/etc/ld.so.cache',
  '/var/lib/private/',
]
const MARKER = '/var/tmp/.meshvm-fault-suite-start'
const BIN = new URL('../../../bin/meshvm.js', import.meta.url).pathname

export interface MeshvmOptions {
  inventory?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  output?: string
}

export interface Spawned {
  child: ChildProcess
  seen: (stdout: RegExp) => Promise<void>
  done: Promise<Run>
}

export class FaultLab {
  readonly outputs: string[] = []
  readonly secrets = new Set<string>()
  readonly verdicts: Array<{ scenario: string; verdict: string; code: string }> = []
  hosts: Host[] = []
  dir = ''
  cwd = ''
  #runs = 0

  get inventory() {
    return join(this.dir, 'inventory.yaml')
  }
  get kubeconfig() {
    return join(this.dir, 'kubeconfig')
  }

  #fleet: LabFleet | undefined

  async up(vms: number): Promise<void> {
    this.#fleet = await labFleet(vms)
    this.dir = this.#fleet.dir
    this.hosts = this.#fleet.hosts
    this.cwd = mkdtempSync('/tmp/meshvm-faults-cwd-')
    const token = /token: (\S+)/.exec(readFileSync(this.kubeconfig, 'utf8'))?.[1]
    if (token) this.secrets.add(token)
    this.secrets.add('lab-sudo-pass')
    for (const h of this.hosts) await this.root(h, `touch ${MARKER}`)
  }

  /** Stops the lab and asserts it left nothing behind. */
  async down(): Promise<void> {
    rmSync(this.cwd, { recursive: true, force: true })
    await this.#fleet?.down()
  }

  host(name: string): Host {
    return this.hosts.find((h) => h.name === name)!
  }

  #argv(args: string[], o: MeshvmOptions, report: string): string[] {
    const fleet = ['onboard', 'verify', 'offboard', 'run'].includes(args[0]!)
    const outputs = fleet ? ['--output', o.output ?? 'plain', '--report', report] : []
    const cluster = args[0] === 'inventory' || args.includes('--kubeconfig') ? [] : ['--kubeconfig', this.kubeconfig]
    return [...args, '-i', o.inventory ?? this.inventory, ...cluster, ...outputs]
  }

  #finish(r: { code: number; stdout: string; stderr: string }, report: string): Run {
    this.outputs.push(r.stdout, r.stderr)
    let parsed: Report | undefined
    try {
      const text = readFileSync(report, 'utf8')
      this.outputs.push(text)
      parsed = JSON.parse(text) as Report
    } catch {
      parsed = undefined
    }
    return { ...r, report: parsed }
  }

  /** The real CLI in-process with the lab's inventory and kubeconfig (unless given), plain output, its own report. */
  async meshvm(args: string[], o: MeshvmOptions = {}): Promise<Run> {
    const report = join(this.cwd, `report-${this.#runs++}.json`)
    const r = await runCli(this.#argv(args, o, report), o.env ?? {}, o.cwd ?? this.cwd)
    return this.#finish(r, report)
  }

  /**
   * The real executable (bin/meshvm.js) as its own process, as `meshvm` above: `child` to signal it, `seen(re)` resolves
   * once its stdout matches, `done` when it exited (killed after 3 minutes at most).
   */
  spawnMeshvm(args: string[], o: MeshvmOptions = {}): Spawned {
    const report = join(this.cwd, `report-${this.#runs++}.json`)
    const child = spawn(process.execPath, [BIN, ...this.#argv(args, o, report)], {
      cwd: o.cwd ?? this.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env },
    })
    let stdout = ''
    let stderr = ''
    const waiters: Array<[RegExp, () => void]> = []
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      for (const [re, resolve] of waiters) if (re.test(stdout)) resolve()
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const guard = setTimeout(() => child.kill('SIGKILL'), 180_000)
    const done = new Promise<Run>((resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(guard)
        resolve(this.#finish({ code: code ?? (signal ? 128 : 1), stdout, stderr }, report))
      }),
    )
    const seen = (re: RegExp) =>
      new Promise<void>((resolve) => (re.test(stdout) ? resolve() : waiters.push([re, resolve])))
    return { child, seen, done }
  }

  /** A playbook `name` in the lab dir with these lines under `steps:`; returns its path. */
  playbook(name: string, steps: string[]): string {
    const file = join(this.dir, `${name}.yaml`)
    writeFileSync(file, [`name: ${name}`, 'steps:', ...steps, ''].join('\n'))
    return file
  }

  /** A copy of the lab inventory with `edit` applied to its text. */
  inventoryWith(name: string, edit: (text: string) => string): string {
    const file = join(this.dir, name)
    writeFileSync(file, edit(readFileSync(this.inventory, 'utf8')))
    return file
  }

  /** A plain `ssh` login as root (the admin login is `root()`). */
  sshRoot(h: Host, cmd: string): Promise<RunResult> {
    const args = sshArgs({
      address: h.address,
      user: 'root',
      keyFile: join(this.dir, 'id_ed25519'),
      knownHostsFile: join(this.dir, 'known_hosts'),
    })
    return runStatus('ssh', [...args, cmd], { timeoutMs: 60_000 })
  }

  /** `script` as root on the VM (sh from stdin, so no quoting games), through admin's sudo. */
  root(h: Host, script: string): Promise<RunResult> {
    return this.#fleet!.ssh(h.name, 'sudo sh -s', script)
  }

  /** Reboots the VM and waits until it runs again. */
  reboot(h: Host): Promise<void> {
    return rebootVm(this.#fleet!, h.name)
  }

  /** Until `probe` holds (polled every 20 ms), at most `ms`; false when it never did. */
  async until(probe: () => boolean, ms: number): Promise<boolean> {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20)))
      if (probe()) return true
    return false
  }

  /** The VM's root file system as the machine sees it (the lab host's overlay). */
  rootOf(h: Host): string {
    return join(this.dir, 'hosts', h.name, 'root')
  }

  /** A command in the VM's network namespace, from the machine (iptables rules the VM itself cannot undo). */
  netns(h: Host, args: string[]): Promise<RunResult> {
    return runStatus('ip', ['netns', 'exec', `mvlab-${labIdOf(this.dir)}-${h.name}`, ...args])
  }

  /** Tokens on the VMs now, so later checks look for them in every output. */
  async collectTokens(): Promise<void> {
    for (const h of this.hosts) {
      const t = (await this.root(h, 'cat /var/run/secrets/tokens/istio-token 2>/dev/null')).stdout.trim()
      if (t.split('.').length === 3) this.secrets.add(t)
    }
  }

  /** What is wrong on the VM, seen from outside: empty when nothing is corrupted, duplicated, left over or stray. */
  async damage(h: Host): Promise<string[]> {
    const script = [
      // every non-comment line of /etc/hosts once; the managed block once, closed
      `awk '!/^#/ && NF && seen[$0]++ { print "duplicate hosts line: " $0 }' /etc/hosts`,
      `b=$(grep -c '^# BEGIN meshvm istio$' /etc/hosts); e=$(grep -c '^# END meshvm istio$' /etc/hosts)`,
      `[ "$b" -le 1 ] && [ "$b" = "$e" ] || echo "hosts block markers: $b begin, $e end"`,
      // temp files beside targets and in the staging dir
      `find /etc /var/lib/istio /var/run/secrets /var/lib/meshvm -name '.*.meshvm-*' 2>/dev/null | sed 's/^/temp file left: /'`,
      `find /home/admin/.meshvm/stage /home/operator/.meshvm/stage -type f 2>/dev/null | sed 's/^/stage file left: /'`,
      // whole files: a token is a JWT, mode 0600; the cert and the env files end as they should
      `t=/var/run/secrets/tokens/istio-token; if [ -e $t ]; then [ "$(tr -cd . < $t | wc -c)" = 2 ] || echo "token is not a whole JWT"; [ "$(stat -c %a $t)" = 600 ] || echo "token mode $(stat -c %a $t)"; fi`,
      `c=/etc/certs/root-cert.pem; [ ! -e $c ] || tail -n 1 $c | grep -q 'END CERTIFICATE' || echo "root-cert.pem cut short"`,
      `f=/var/lib/istio/envoy/cluster.env; [ ! -e $f ] || { [ "$(tail -c 1 $f | od -An -c | tr -d ' ')" = '\\n' ] && grep -q '^ISTIO_' $f; } || echo "cluster.env cut short"`,
      `dpkg --audit 2>&1 | sed 's/^/dpkg: /'`,
      // nothing written outside the paths meshvm manages
      `find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o -newer ${MARKER} -print 2>/dev/null`,
    ].join('\n')
    const lines = (await this.root(h, script)).stdout.split('\n').filter(Boolean)
    return lines.filter(
      (l) =>
        !l.startsWith('/') ||
        !(MANAGED.some((m) => l === m.replace(/\/$/, '') || l.startsWith(m)) || l === '/' || isParentOfManaged(l)),
    )
  }

  async assertUndamaged(): Promise<void> {
    for (const h of this.hosts) assert.deepEqual(await this.damage(h), [], `${h.name} is damaged`)
  }

  /** No secret, nor any 20-character window of one, in any output or report so far. */
  assertNoSecrets(): void {
    const windows = [...this.secrets].flatMap((s) => {
      const parts = s.split('.')
      const text = parts.length === 3 ? parts.slice(1).join('.') : s // a JWT's header is the same for all tokens
      if (text.length <= 20) return [text]
      return Array.from({ length: Math.ceil(text.length / 10) }, (_, i) => text.slice(i * 10, i * 10 + 20)).filter(
        (w) => w.length === 20,
      )
    })
    for (const out of this.outputs)
      for (const w of windows) assert.ok(!out.includes(w), `a secret shows in an output: …${w}…`)
  }

  record(scenario: string, verdict: string, code: number | string): void {
    this.verdicts.push({ scenario, verdict, code: String(code) })
  }

  table(): string {
    const rows = this.verdicts.map((v) => `| ${v.scenario} | ${v.verdict} | ${v.code} |`)
    return ['| scenario | verdict | exit code |', '|---|---|---|', ...rows].join('\n')
  }
}

const isParentOfManaged = (dir: string) => MANAGED.some((m) => m.startsWith(dir + '/'))

/** The step of a VM in a report, by name. */
export const stepOf = (r: Run, vm: string, name: string) => r.report?.hosts[vm]?.steps.find((s) => s.name === name)
