// Fault suite, part 3: the Kubernetes API failing (401/403/429/5xx/hang/refused/non-JSON, TokenRequest refused),
// concurrent runs (another controller on the VM, two at once, two in one directory), the token in every output.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { ApiProxy, type ApiFault } from './api-proxy.js'
import { FaultLab, stepOf, type Host } from './fault-lab.js'

const REJECT = ['INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset']

describe('faults: the cluster API, concurrent runs, secrets', { skip: labSkipReason, timeout: 900_000 }, () => {
  const lab = new FaultLab()
  const t0 = Date.now()
  let a: Host, b: Host
  let proxy: ApiProxy
  const startedAt = async (h: Host) =>
    (await lab.root(h, 'systemctl show -p ActiveEnterTimestamp --value istio')).stdout.trim()

  before(async () => {
    await lab.up(2)
    ;[a, b] = lab.hosts
    const kc = readFileSync(lab.kubeconfig, 'utf8')
    proxy = new ApiProxy(lab.dir, /server: (\S+)/.exec(kc)![1], /token: (\S+)/.exec(kc)![1])
    await proxy.start()
    const r = await lab.meshvm(['onboard'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    await lab.collectTokens()
  })
  after(async () => {
    await proxy.stop()
    console.log(
      `# fault suite part 3 (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${lab.table().replace(/^/gm, '# ')}`,
    )
    await lab.down()
  })

  const viaProxy = async (fault: ApiFault | undefined, kubeconfig = proxy.kubeconfig) => {
    proxy.fault = fault
    const before = await startedAt(a)
    const r = await lab.meshvm(['onboard', '--limit', a.name, '--kubeconfig', kubeconfig])
    proxy.fault = undefined
    return { ...r, restarted: (await startedAt(a)) !== before }
  }

  const cases: Array<[string, ApiFault | 'refused', number, RegExp]> = [
    ['401 Unauthorized', { status: 401 }, 1, /rejected the credentials of context "meshvm-lab" \(401 Unauthorized\)/],
    ['403 Forbidden', { status: 403 }, 1, /not allowed to get namespaces .*\(403 Forbidden\): injected 403/],
    [
      '429 Too Many Requests, always',
      { status: 429 },
      1,
      /failed to get namespaces "lab-apps" after 4 attempts: injected 429 \(HTTP 429 TooManyRequests\)/,
    ],
    ['503, always', { status: 503 }, 1, /after 4 attempts: injected 503 \(HTTP 503 ServiceUnavailable\)/],
    ['503 twice, then fine', { status: 503, times: 2 }, 0, /RECAP/],
    ['a hung request (longer than the 15 s timeout), once', { hangMs: 16_000, times: 1 }, 0, /RECAP/],
    [
      'connection refused',
      'refused',
      1,
      /cannot reach the Kubernetes API server http:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/,
    ],
    [
      'an HTML page instead of JSON',
      { html: true },
      1,
      /answered get namespaces "lab-apps" with something that is not a Kubernetes API answer \(HTTP 200 text\/html: <html>/,
    ],
    [
      'TokenRequest refused',
      { status: 403, match: /^POST .*\/serviceaccounts\/[^/]+\/token/ },
      2,
      /could not create a token under service account lab-vm in namespace lab-apps/,
    ],
  ]
  for (const [what, fault, code, message] of cases) {
    test(`API: ${what} → exit ${code}, a clear message, the VM untouched`, async () => {
      let kubeconfig = proxy.kubeconfig
      if (fault === 'refused') {
        kubeconfig = join(lab.dir, 'kubeconfig.refused')
        writeFileSync(
          kubeconfig,
          readFileSync(proxy.kubeconfig, 'utf8').replace(/server: \S+/, 'server: http://127.0.0.1:1'),
        )
      }
      const r = await viaProxy(fault === 'refused' ? undefined : fault, kubeconfig)
      assert.equal(r.code, code, r.stdout + r.stderr)
      assert.match(r.stdout + r.stderr, message)
      assert.doesNotMatch(r.stderr, /\n {4}at |TypeError/, 'no stack trace')
      if (code === 2) assert.match(r.stdout, new RegExp(`${a.name}.*failed: `), 'the VM is named')
      assert.equal(r.restarted, false, 'istio was not touched')
      lab.record(`API ${what}`, code === 0 ? 'retried, then ok' : 'clear error, VM untouched', r.code)
    })
  }

  test('another controller holds the VM: the run says who, touches nothing; after it, the run goes through', async () => {
    const holder = 'meshvm onboard by ops@controller-2 (pid 4242), since 2026-12-01T09:00:00.000Z'
    // meshvm's lock protocol as another controller speaks it: flock held by a shell reading the session's stdin, the
    // holder file touched at each beat ('.') it receives; it lets go when the session ends
    const script = [
      'exec 9>>/run/lock/meshvm.lock; flock 9',
      `printf '%s\\n' '${holder}' > /run/lock/meshvm.holder; echo locked`,
      'while [ "$(timeout 20 head -c 1 9>&-)" = . ]; do touch /run/lock/meshvm.holder 9>&-; done',
    ].join('\n')
    const args = sshArgs({
      address: a.address,
      user: 'root',
      keyFile: join(lab.dir, 'id_ed25519'),
      knownHostsFile: join(lab.dir, 'known_hosts'),
    })
    const other = spawn('ssh', [...args, script], { stdio: ['pipe', 'pipe', 'inherit'] })
    const beats = setInterval(() => other.stdin.write('.'), 1000)
    try {
      await new Promise<void>((r) => other.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && r()))
      const before = await startedAt(a)
      const r = await lab.meshvm(['onboard', '--limit', a.name])
      assert.equal(r.code, 2, r.stdout)
      assert.match(
        r.stdout,
        new RegExp(
          `${a.name}.*failed: admin@${a.address}:22: another meshvm run is in progress on this VM, held by ${holder.replace(/[().]/g, '\\$&')}; run again when it has finished`,
        ),
      )
      assert.equal(await startedAt(a), before)
      lab.record('another controller holds the VM lock', 'failed at once, names the holder, nothing touched', r.code)
    } finally {
      clearInterval(beats)
      other.stdin.end()
    }
    await new Promise((r) => other.once('exit', r))
    assert.equal((await lab.meshvm(['onboard', '--limit', a.name])).code, 0)
  })

  test('back to back: a run right after another never finds its lock (as processes and in-process)', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await lab.spawnMeshvm([i % 2 ? 'verify' : 'onboard']).done
      assert.equal(r.code, 0, `process run ${i}: ${r.stdout}${r.stderr}`)
      const again = await lab.meshvm(['verify'])
      assert.equal(again.code, 0, `in-process run ${i}: ${again.stdout}`)
    }
    lab.record('8 runs back to back on the same VMs', "none finds the previous run's lock", 0)
  })

  test('two runs at once: the second is told which run is in progress; nothing corrupted; after it, a re-run', async () => {
    const playbook = lab.playbook('hold', [
      '  - name: Managed block',
      '    hosts-block: { path: /etc/hosts, id: hold, content: "198.18.254.3 hold.example" }',
      '  - name: Take a while',
      "    command: { cmd: 'sleep 6' }",
    ])
    // another directory: the same one would refuse the second run for its .meshvm/ lock before any VM is contacted
    const first = lab.spawnMeshvm(['run', playbook, '--limit', a.name, '-v'], {
      cwd: mkdtempSync(join(lab.cwd, 'hold-')),
    })
    await first.seen(/\[2\/2\] Take a while \.\.\./)
    const before = await startedAt(a)
    const second = await lab.meshvm(['onboard', '--limit', a.name])
    const done = await first.done
    assert.equal(done.code, 0, done.stdout + done.stderr)
    assert.equal(second.code, 2, second.stdout)
    assert.match(
      second.stdout,
      new RegExp(
        `${a.name}.*failed: admin@${a.address}:22: another meshvm run is in progress on this VM, held by meshvm hold by \\S+@\\S+ \\(pid ${first.child.pid}\\), since \\d{4}-`,
      ),
    )
    assert.equal(await startedAt(a), before, 'the second run touched nothing')
    const again = await lab.meshvm(['onboard', '--limit', a.name])
    assert.equal(again.code, 0, again.stdout)
    await lab.assertUndamaged()
    lab.record('a second run while one is in progress', 'failed: "another meshvm run is in progress … held by"', 2)
  })

  test('a run whose link was cut: its lock lets go within 20 s; a re-run right after waits for it and completes', async () => {
    const playbook = lab.playbook('long', ['  - name: Take long', "    command: { cmd: 'sleep 15' }"])
    const cut = lab.spawnMeshvm(['run', playbook, '--limit', b.name, '-v'])
    await cut.seen(/\[1\/1\] Take long \.\.\./)
    await lab.netns(b, ['iptables', '-I', ...REJECT])
    const r = await cut.done
    await lab.netns(b, ['iptables', '-D', ...REJECT])
    assert.equal(r.code, 4, r.stdout + r.stderr)
    const started = Date.now()
    const again = await lab.meshvm(['verify', '--limit', b.name])
    assert.equal(again.code, 0, again.stdout)
    const waited = (Date.now() - started) / 1000
    assert.ok(waited < 40, `waited ${waited.toFixed(1)} s`)
    lab.record(
      'a re-run right after a cut link',
      `waited ${Math.round(waited)} s for the old lock, then ok`,
      again.code,
    )
  })

  test('two controllers onboarding the same VMs at once: only lock messages, the end state right', async () => {
    for (const h of lab.hosts) await lab.root(h, "sed -i '/^# BEGIN meshvm istio/,/^# END meshvm istio/d' /etc/hosts")
    const dirs = [mkdtempSync(join(lab.cwd, 'ctl-')), mkdtempSync(join(lab.cwd, 'ctl-'))]
    const runs = await Promise.all(dirs.map((cwd) => lab.meshvm(['onboard'], { cwd })))
    for (const r of runs) {
      assert.ok(r.code === 0 || r.code === 2, r.stdout)
      for (const [vm, h] of Object.entries(r.report!.hosts)) {
        if (h.status === 'failed') assert.match(h.steps.at(-1)?.msg ?? r.stdout, /./, vm)
      }
      for (const line of r.stdout.split('\n').filter((l) => / failed: /.test(l)))
        assert.match(line, /another meshvm run is in progress on this VM, held by meshvm onboard by /)
    }
    assert.equal((await lab.meshvm(['verify'])).code, 0)
    await lab.assertUndamaged()
    lab.record(
      'two controllers at once on the same VMs',
      'one run per VM; the other told who holds it',
      runs.map((r) => r.code).join('+'),
    )
  })

  test('two runs in one directory: the second is refused naming the first; a lock of a dead run is taken over', async () => {
    const cwd = mkdtempSync(join(lab.cwd, 'shared-'))
    mkdirSync(join(cwd, '.meshvm'))
    const lock = join(cwd, '.meshvm', 'lock')
    writeFileSync(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: (await import('node:os')).hostname(),
        what: 'meshvm onboard',
        since: '2026-12-01T09:00:00.000Z',
      }),
    )
    const r = await lab.meshvm(['verify'], { cwd })
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.match(
      r.stderr,
      new RegExp(`another meshvm run uses ${cwd}/\\.meshvm: meshvm onboard \\(pid ${process.pid} on `),
    )
    const dead = spawn('true')
    await new Promise((res) => dead.once('exit', res))
    writeFileSync(
      lock,
      JSON.stringify({
        pid: dead.pid,
        host: (await import('node:os')).hostname(),
        what: 'meshvm onboard',
        since: '2026-12-01T09:00:00.000Z',
      }),
    )
    assert.equal((await lab.meshvm(['verify'], { cwd })).code, 0)
    lab.record(
      'two runs in one directory (.meshvm/ lock)',
      'second refused naming the first; stale lock taken over',
      r.code,
    )
  })

  test('the token shows in no output format, verbosity, diff, check or report', async () => {
    const modes = [
      ['--output', 'plain', '-v', '--diff'],
      ['--output', 'json', '-v', '--diff'],
      ['--output', 'tty', '-v', '--diff'],
      ['--check', '--diff'],
    ]
    for (const extra of modes) {
      await lab.root(b, 'rm -f /var/run/secrets/tokens/istio-token')
      const output = extra[0] === '--output' ? extra[1] : 'plain'
      const r = await lab.meshvm(
        ['onboard', '--limit', b.name, ...extra.filter((x, i) => !(x === '--output' || extra[i - 1] === '--output'))],
        { output },
      )
      assert.ok(r.code === 0, `${extra.join(' ')}: ${r.stdout}`)
      if (!extra.includes('--check'))
        assert.equal(stepOf(r, b.name, 'Upload istio-token')?.status ?? 'changed', 'changed')
      await lab.collectTokens()
    }
    const shown = await lab.meshvm(['inventory', 'show'])
    assert.equal(shown.code, 0)
    lab.assertNoSecrets()
    await lab.assertUndamaged()
    lab.record(
      `token secrecy (${lab.secrets.size} secrets, ${lab.outputs.length} outputs)`,
      'no 20-character window of any in any output',
      0,
    )
  })
})
