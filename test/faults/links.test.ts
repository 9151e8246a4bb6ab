// Fault suite, part 2: links and hosts failing under a run — SSH cut mid-upload, sshd down or blackholed, reboots
// mid-run and after, host keys, sudo, full disks, a partly failing fleet, a deleted unit file, short-lived tokens.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildSidecarDeb } from '../../src/lab/sidecar/build-deb.js'
import { runStatus } from '../../src/lab/hosts/run.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { TmuxScreen } from '../prompts/tmux-screen.js'
import { FaultLab, stepOf, type Host } from './fault-lab.js'

const BIN = new URL('../../../bin/meshvm.js', import.meta.url).pathname
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const REJECT = ['INPUT', '-p', 'tcp', '--dport', '22', '-j', 'REJECT', '--reject-with', 'tcp-reset']
const DROP = ['INPUT', '-p', 'tcp', '--dport', '22', '-j', 'DROP']

describe('faults: links, reboots, keys, sudo, disks, fleets', { skip: labSkipReason, timeout: 900_000 }, () => {
  const lab = new FaultLab()
  const t0 = Date.now()
  let a: Host, b: Host, c: Host
  let big: string
  let deb: string
  const stageOf = (h: Host) => join(lab.rootOf(h), 'home/admin/.meshvm/stage')
  const staged = (h: Host) => {
    try {
      return readdirSync(stageOf(h)).map((f) => statSync(join(stageOf(h), f)).size)
    } catch {
      return []
    }
  }

  before(async () => {
    await lab.up(3)
    ;[a, b, c] = lab.hosts
    deb = await buildSidecarDeb({ outDir: join(lab.dir, 'big'), version: '1.24.2-lab', payloadMiB: 24 })
    big = lab.inventoryWith('big.yaml', (t) => t.replace(/file: packages\/\S+/, `file: ${deb}`))
    const r = await lab.meshvm(['onboard'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    await lab.collectTokens()
  })
  after(async () => {
    console.log(
      `# fault suite part 2 (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${lab.table().replace(/^/gm, '# ')}`,
    )
    await lab.down()
  })

  test('SSH cut mid-upload: unreachable, named; the re-run removes the partial upload and restarts it', async () => {
    const run = lab.meshvm(['onboard', '--limit', c.name], { inventory: big })
    assert.ok(await lab.until(() => staged(c).some((n) => n > 1 << 20), 60_000), 'the upload started')
    await lab.netns(c, ['iptables', '-I', ...REJECT])
    const r = await run
    await lab.netns(c, ['iptables', '-D', ...REJECT])
    assert.equal(r.code, 4, r.stdout)
    assert.match(r.report!.hosts[c.name].steps.at(-1)?.msg ?? r.stdout, /./)
    assert.match(
      r.stdout,
      new RegExp(
        `${c.name}.*unreachable: .*admin@${c.address}:22: (upload of /var/lib/meshvm/cache/\\S+ failed|connection)`,
      ),
    )
    assert.ok(staged(c).length > 0, 'the cut left a partial upload in the stage dir')
    const again = await lab.meshvm(['onboard', '--limit', c.name], { inventory: big })
    assert.equal(again.code, 0, again.stdout)
    assert.equal(stepOf(again, c.name, 'Install the istio-sidecar package')!.status, 'changed')
    assert.deepEqual(staged(c), [], 'no stage file left')
    await lab.assertUndamaged()
    lab.record('SSH cut mid-upload (24 MiB package)', 'unreachable, named; re-run cleans stage, re-uploads', r.code)
  })

  test('sshd down (refused) and blackholed (timeout): unreachable with the cause; a re-run after is all ok', async () => {
    const sshConfig = join(lab.dir, 'ssh_config')
    writeFileSync(sshConfig, 'Host *\n  ConnectTimeout 3\n')
    for (const [rule, cause] of [
      [REJECT, /connection refused|connection reset/],
      [DROP, /timed out/],
    ] as const) {
      await lab.netns(b, ['iptables', '-I', ...rule])
      const r = await lab.meshvm(['onboard', '--limit', b.name, '--ssh-config', sshConfig])
      await lab.netns(b, ['iptables', '-D', ...rule])
      assert.equal(r.code, 4, r.stdout)
      assert.match(r.stdout, new RegExp(`${b.name}.*unreachable: admin@${b.address}:22: ${cause.source}`))
      lab.record(`sshd ${rule === REJECT ? 'down (refused)' : 'blackholed'}`, `unreachable: ${cause.source}`, r.code)
    }
    const again = await lab.meshvm(['onboard', '--limit', b.name])
    assert.equal(again.code, 0, again.stdout)
    assert.equal(again.report!.hosts[b.name].changed, 0)
  })

  test('after a reboot the token (tmpfs) is gone: verify says so and how to fix it; onboard repairs', async () => {
    await lab.reboot(b)
    assert.equal((await lab.root(b, 'test -e /var/run/secrets/tokens/istio-token')).code, 1, 'the token is gone')
    // the agent reconnects on the certificate it wrote out, while that stays valid: still in the mesh
    const onCert = await lab.meshvm(['verify', '--limit', b.name])
    assert.equal(onCert.code, 0, onCert.stdout)
    // once the certificate is gone too (it expired while the VM was down), the agent cannot get another
    await lab.root(b, 'rm -f /etc/certs/cert-chain.pem /etc/certs/key.pem && systemctl restart istio')
    const v = await lab.meshvm(['verify', '--limit', b.name])
    assert.equal(v.code, 2, v.stdout)
    const msg = v.report!.hosts[b.name].steps.find((s) => s.status === 'failed')!.msg
    assert.match(
      msg,
      /fix: the istio-token is gone \(\/var\/run\/secrets is often a tmpfs, emptied by a reboot\): `meshvm onboard` uploads a fresh one/,
    )
    assert.match(msg, /--- unit istio: .*ActiveState=/)
    assert.match(msg, /failed to read token file/)
    const r = await lab.meshvm(['onboard', '--limit', b.name])
    assert.equal(r.code, 0, r.stdout)
    assert.equal(stepOf(r, b.name, 'Upload istio-token')!.status, 'changed')
    assert.equal((await lab.meshvm(['verify', '--limit', b.name])).code, 0)
    await lab.collectTokens()
    lab.record(
      'reboot after onboarding (token on tmpfs gone), then the certificate',
      'verify 0 on the certificate; then 2 naming the cause and the fix; onboard repairs',
      v.code,
    )
  })

  test('a reboot mid-run: the VM is reported, nothing is half-written, a re-run completes it', async () => {
    const run = lab.meshvm(['onboard', '--limit', b.name], { inventory: big })
    assert.ok(await lab.until(() => staged(b).some((n) => n > 1 << 20), 60_000), 'the upload started')
    const rebooted = lab.reboot(b)
    const r = await run
    assert.ok(r.code === 4 || r.code === 2, `exit ${r.code}: ${r.stdout}`)
    assert.match(r.stdout, new RegExp(`${b.name}.*(unreachable|failed): `))
    await rebooted
    const again = await lab.meshvm(['onboard', '--limit', b.name], { inventory: big })
    assert.equal(again.code, 0, again.stdout)
    assert.equal((await lab.meshvm(['verify', '--limit', b.name], { inventory: big })).code, 0)
    await lab.collectTokens()
    await lab.assertUndamaged()
    lab.record('reboot mid-run (during the package upload)', 'reported; re-run completes, nothing half-written', r.code)
  })

  test('a changed host key and an unknown one: refused with the fix (ssh-keygen -R -f FILE); after it, accepted', async () => {
    const known = join(lab.dir, 'known_hosts')
    const spoofed = join(lab.dir, 'known_hosts.spoofed')
    const lines = readFileSync(known, 'utf8').split('\n')
    const other = lines
      .find((l) => l.startsWith(`${b.address} `))!
      .split(' ')
      .slice(1)
      .join(' ')
    writeFileSync(spoofed, lines.map((l) => (l.startsWith(`${a.address} `) ? `${a.address} ${other}` : l)).join('\n'))
    const inventory = lab.inventoryWith('spoofed.yaml', (t) =>
      t.replace('knownHostsFile: known_hosts', `knownHostsFile: ${spoofed}`),
    )
    const r = await lab.meshvm(['onboard', '--limit', a.name, '--accept-new-host-keys'], { inventory })
    assert.equal(r.code, 4, r.stdout)
    assert.match(r.stdout, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
    const hint = new RegExp(`run: (ssh-keygen -R '${a.address.replaceAll('.', '\\.')}' -f '${spoofed}')`).exec(
      r.stdout,
    )?.[1]
    assert.ok(hint, r.stdout)
    assert.equal((await runStatus('sh', ['-c', `${hint} 2>&1`])).code, 0)
    const unknown = await lab.meshvm(['onboard', '--limit', a.name], { inventory })
    assert.equal(unknown.code, 4)
    assert.match(
      unknown.stdout,
      new RegExp(`host key for ${a.address.replaceAll('.', '\\.')} is not known .*--accept-new-host-keys`),
    )
    const accepted = await lab.meshvm(['onboard', '--limit', a.name, '--accept-new-host-keys'], { inventory })
    assert.equal(accepted.code, 0, accepted.stdout)
    lab.record('host key changed, then unknown', 'refused (exit 4) with the fix; accepted after it', r.code)
  })

  test('wrong sudo password, and no sudo at all: a clear failure naming the VM; nothing changed', async () => {
    const operator = lab.inventoryWith('operator.yaml', (t) => t.replace('user: admin', 'user: operator'))
    lab.secrets.add('wrong-pass-8d1f2a')
    const r = await lab.meshvm(['onboard', '--limit', a.name], {
      inventory: operator,
      env: { MESHVM_BECOME_PASSWORD: 'wrong-pass-8d1f2a' },
    })
    assert.equal(r.code, 2, r.stdout)
    assert.match(r.stdout, new RegExp(`${a.name}.*failed: operator@${a.address}:22: sudo: incorrect password`))
    lab.record('wrong sudo password', 'failed, named, password never shown', r.code)
    // sudo moved away and back, /usr/bin's mtime kept (the suite checks nothing else was written)
    await lab.sshRoot(a, 'touch -r /usr/bin /var/tmp/usr-bin.mtime && mv /usr/bin/sudo /usr/bin/sudo.off')
    const none = await lab.meshvm(['onboard', '--limit', a.name])
    await lab.sshRoot(a, 'mv /usr/bin/sudo.off /usr/bin/sudo && touch -r /var/tmp/usr-bin.mtime /usr/bin')
    assert.equal(none.code, 2, none.stdout)
    assert.match(
      none.stdout,
      new RegExp(
        `${a.name}.*failed: admin@${a.address}:22: sudo is not installed on the VM: log in as root \\(user: root\\) or install sudo`,
      ),
    )
    assert.equal((await lab.meshvm(['onboard', '--limit', a.name])).code, 0)
    lab.record('no sudo on the VM', 'failed: "sudo is not installed", named', none.code)
  })

  test('full disks (the stage dir, the package cache): a failed write names the path; nothing half-written; re-run repairs', async () => {
    for (const [dir, owner, inventory] of [
      ['/home/admin/.meshvm', 'admin', big],
      ['/var/lib/meshvm/cache', 'root', lab.inventory],
    ] as const) {
      // the directory as meshvm makes it, then a full disk mounted on it
      const own = `chown ${owner} ${dir} && chmod 700 ${dir}`
      await lab.root(a, `mkdir -p ${dir} && ${own} && mount -t tmpfs -o size=4k tmpfs ${dir} && ${own}`)
      const r = await lab.meshvm(['onboard', '--limit', a.name], { inventory })
      await lab.root(a, `umount -l ${dir}`) // lazily: the failed run's sftp-server may still be on its way out
      assert.equal(r.code, 2, r.stdout)
      assert.match(
        r.stdout,
        new RegExp(
          `${a.name}.*failed: .*(upload of|writing) /var/lib/meshvm/cache/\\S+ failed: .*(No space|Failure|failure)`,
          'i',
        ),
      )
      await lab.assertUndamaged()
      const again = await lab.meshvm(['onboard', '--limit', a.name], { inventory })
      assert.equal(again.code, 0, again.stdout)
      lab.record(`full disk: ${dir}`, 'failed, path named; re-run repairs', r.code)
    }
  })

  test('a partly failing fleet: --max-fail stops starting VMs, --limit @failed resumes exactly the rest', async () => {
    for (const h of [b, c]) await lab.netns(h, ['iptables', '-I', ...REJECT])
    const r = await lab.meshvm(['onboard', '--forks', '1', '--max-fail', '30'])
    for (const h of [b, c]) await lab.netns(h, ['iptables', '-D', ...REJECT])
    assert.equal(r.code, 4, r.stdout)
    assert.deepEqual(
      [a, b, c].map((h) => r.report!.hosts[h.name]?.status ?? 'not-run'),
      ['ok', 'unreachable', 'not-run'],
    )
    assert.deepEqual(
      readFileSync(join(lab.cwd, '.meshvm', 'failed'), 'utf8')
        .trim()
        .split('\n')
        .sort(),
      [b.name, c.name].sort(),
    )
    const resumed = await lab.meshvm(['onboard', '--limit', '@failed'])
    assert.equal(resumed.code, 0, resumed.stdout)
    assert.deepEqual(Object.keys(resumed.report!.hosts).sort(), [b.name, c.name].sort())
    lab.record(
      'partly failing fleet, --max-fail 30, then @failed',
      'stopped after 1 of 3; resumed exactly the other 2',
      r.code,
    )
  })

  test('a hand-deleted unit file is put back by reinstalling the package', async () => {
    await lab.root(c, 'systemctl stop istio; rm /lib/systemd/system/istio.service; systemctl daemon-reload')
    const r = await lab.meshvm(['onboard', '--limit', c.name])
    assert.equal(r.code, 0, r.stdout)
    assert.match(
      stepOf(r, c.name, 'Install the istio-sidecar package')!.msg,
      /reinstall istio-sidecar \(missing: \/lib\/systemd\/system\/istio\.service\)/,
    )
    assert.equal((await lab.meshvm(['verify', '--limit', c.name])).code, 0)
    lab.record('istio unit file deleted by hand', 'package reinstalled, istio started', r.code)
  })

  test('tokenDuration 600: the token is uploaded once, then kept while half its life remains', async () => {
    const short = lab.inventoryWith('short.yaml', (t) =>
      t.replace('autoregister: true', 'autoregister: true\n  tokenDuration: 600'),
    )
    await lab.root(c, 'rm /var/run/secrets/tokens/istio-token')
    const first = await lab.meshvm(['onboard', '--limit', c.name], { inventory: short })
    assert.equal(stepOf(first, c.name, 'Upload istio-token')!.status, 'changed', first.stdout)
    const second = await lab.meshvm(['onboard', '--limit', c.name], { inventory: short })
    assert.equal(second.code, 0)
    assert.match(stepOf(second, c.name, 'Upload istio-token')!.msg, /token on the VM still valid for [5-9] min/)
    assert.equal(second.report!.hosts[c.name].changed, 0)
    await lab.collectTokens()
    lab.record('tokenDuration 600, two runs', 'uploaded once, then kept', second.code)
    await lab.assertUndamaged()
    lab.assertNoSecrets()
  })

  const packageState = async (h: Host) =>
    (await lab.root(h, "dpkg-query -W -f='${Status}' istio-sidecar 2>/dev/null")).stdout.trim() || 'not installed'
  const dpkgIdle = async (h: Host) => {
    for (let i = 0; i < 120 && (await lab.root(h, 'pgrep -x dpkg')).code === 0; i++) await sleep(500)
  }

  test('Ctrl-C in a live-tree run (a real terminal): report and failed list written, terminal restored, exit 130; a re-run completes', async () => {
    await lab.root(
      c,
      'systemctl stop istio; dpkg -P istio-sidecar >/dev/null; rm -f /var/lib/meshvm/packages/istio-sidecar.sha256',
    )
    const meshvm = `node ${BIN} onboard -i ${big} --kubeconfig ${lab.kubeconfig} --limit ${c.name}`
    // after the run: the terminal's echo setting, as the next command at that prompt would find it
    const line = `sh -c 'trap true INT; ${meshvm}; rc=$?; stty -a | grep -o -- "-*echo " | head -n 1; exit $rc'`
    const screen = new TmuxScreen(line, { cwd: lab.cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME } })
    try {
      assert.ok(await lab.until(() => staged(c).some((n) => n > 1 << 20), 60_000), 'the package upload started')
      screen.keys('C-c')
      const code = await screen.exitCode(120_000)
      const text = screen.text()
      lab.outputs.push(text)
      assert.equal(code, 130, text)
      assert.match(text, /interrupted \(SIGINT\): no new VM or step starts; the steps running now finish/)
      assert.match(text, /^echo $/m, 'echo is on after the run')
      const cursor = execFileSync('tmux', ['-L', screen.name, 'display', '-p', '-t', screen.name, '#{cursor_flag}'])
      assert.equal(cursor.toString().trim(), '1', 'the cursor is shown again')
    } finally {
      screen.kill()
    }
    const report = JSON.parse(readFileSync(join(lab.cwd, '.meshvm', 'last-run.json'), 'utf8')) as {
      hosts: Record<string, { status: string; errorKind?: string }>
    }
    assert.equal(report.hosts[c.name].errorKind, 'interrupted')
    assert.deepEqual(
      readFileSync(join(lab.cwd, '.meshvm', 'failed'), 'utf8')
        .trim()
        .split('\n'),
      [c.name],
    )
    await lab.assertUndamaged()
    const again = await lab.meshvm(['onboard', '--limit', '@failed'], { inventory: big })
    assert.equal(again.code, 0, again.stdout)
    assert.equal((await lab.meshvm(['verify', '--limit', c.name])).code, 0)
    lab.record(
      'Ctrl-C mid-run (live tree in a terminal)',
      'report + failed list, cursor and echo restored; @failed completes',
      130,
    )
  })

  test('SIGTERM twice while the package installs: stops at once (143); the half-installed package is repaired by a re-run', async () => {
    await lab.root(
      c,
      'systemctl stop istio; dpkg -P istio-sidecar >/dev/null; rm -f /var/lib/meshvm/packages/istio-sidecar.sha256',
    )
    const run = lab.spawnMeshvm(['onboard', '--limit', c.name, '-v'], { inventory: big })
    await run.seen(/Install the istio-sidecar package \.\.\./)
    const dpkgDir = join(lab.rootOf(c), 'var/lib/dpkg')
    const unpacking = () => existsSync(join(dpkgDir, 'tmp.ci')) || readdirSync(join(dpkgDir, 'updates')).length > 0
    assert.ok(await lab.until(unpacking, 60_000), 'dpkg started')
    run.child.kill('SIGTERM')
    await sleep(200)
    run.child.kill('SIGTERM')
    const r = await run.done
    assert.equal(r.code, 143, r.stdout + r.stderr)
    assert.match(r.stderr, /^interrupted again \(SIGTERM\): stopping now, without the report$/m)
    await dpkgIdle(c)
    const left = await packageState(c)
    const halfInstalled = /unpacked|half-installed|half-configured/
    if (!halfInstalled.test(left)) {
      // dpkg finished, or had not yet registered the package, when the signal came: leave the package as an install
      // cut between unpack and configure would, so the repair below is always the one under test
      copyFileSync(deb, join(lab.rootOf(c), 'var/tmp/half.deb'))
      await lab.root(c, 'dpkg --unpack /var/tmp/half.deb >/dev/null 2>&1; rm -f /var/tmp/half.deb')
    }
    const half = await packageState(c)
    assert.match(half, halfInstalled)
    const again = await lab.meshvm(['onboard', '--limit', c.name], { inventory: big })
    assert.equal(again.code, 0, again.stdout)
    assert.equal(stepOf(again, c.name, 'Install the istio-sidecar package')!.status, 'changed')
    assert.equal(await packageState(c), 'install ok installed')
    assert.equal((await lab.meshvm(['verify', '--limit', c.name])).code, 0)
    await lab.assertUndamaged()
    lab.record(
      `SIGTERM twice during dpkg (left: ${left}; re-run saw: ${half})`,
      'stopped at once; re-run reinstalls, verify 0',
      r.code,
    )
    lab.assertNoSecrets()
  })
})
