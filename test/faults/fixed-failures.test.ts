// Fault suite, part 1: the three failures of issue 12 (names escaping, a lost /etc/hosts update, success reported
// while the VM leaves the mesh) and hostile input (malformed, oversized and odd-named inventories), on lab hosts.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { labSkipReason } from '../support/lab-hosts.js'
import { FaultLab, stepOf } from './fault-lab.js'

const BAD = new URL('../../../test/fixtures/inventory/bad/', import.meta.url).pathname
const GATEWAY_MOVED_TO = '198.18.250.1'
const XDS_CUT = ['OUTPUT', '-p', 'tcp', '--dport', '15012', '-j', 'REJECT', '--reject-with', 'tcp-reset']
const startedAt = async (lab: FaultLab, vm: string) =>
  (await lab.root(lab.host(vm), 'systemctl show -p ActiveEnterTimestamp --value istio')).stdout.trim()
// the lab names its hosts by their place on the shared bridge (vm3, vm4, ... when other labs run)
const names = (lab: FaultLab) => lab.hosts.map((h) => h.name)

describe('faults: the fixed failures and hostile input', { skip: labSkipReason, timeout: 600_000 }, () => {
  const lab = new FaultLab()
  const t0 = Date.now()
  before(async () => {
    await lab.up(2)
    const r = await lab.meshvm(['onboard'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    await lab.collectTokens()
  })
  after(async () => {
    console.log(
      `# fault suite part 1 (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${lab.table().replace(/^/gm, '# ')}`,
    )
    await lab.down()
  })

  test('odd VM names are refused at input time with file:line:col; nothing is written outside -o DIR', async () => {
    const inventory = lab.inventoryWith('odd.yaml', (t) =>
      t.replace(/^vms:\n/m, 'vms:\n  ../../escaped-vm: { address: 198.18.0.2 }\n  web-*: { address: 198.18.0.3 }\n'),
    )
    const out = join(lab.cwd, 'deep', 'out')
    mkdirSync(join(lab.cwd, 'deep'))
    const r = await lab.meshvm(['bundle', '-o', out], { inventory })
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.stderr, /odd\.yaml:\d+:3: vms\.\.\.\/\.\.\/escaped-vm: not a valid VM name/)
    assert.match(r.stderr, /odd\.yaml:\d+:3: vms\.web-\*: not a valid VM name/)
    assert.equal(existsSync(join(out, '../../escaped-vm')), false)
    assert.deepEqual(readdirSync(join(lab.cwd, 'deep')), [], 'nothing written, not even DIR')
    lab.record('odd VM names (../../escaped-vm, web-*)', 'refused, file:line:col, nothing written', r.code)
  })

  test('the failed list is matched literally: a glob in it selects nothing else', async () => {
    mkdirSync(join(lab.cwd, '.meshvm'), { recursive: true })
    writeFileSync(join(lab.cwd, '.meshvm', 'failed'), 'vm*\n')
    const [a] = names(lab)
    const before = await startedAt(lab, a)
    const r = await lab.meshvm(['onboard', '--limit', '@failed'])
    assert.equal(r.code, 5, r.stdout + r.stderr)
    assert.match(r.stderr, /--limit: no VM or group is named "vm\*"/)
    assert.equal(await startedAt(lab, a), before)
    lab.record('@failed holding a glob', 'no VM selected, exit 5', r.code)
  })

  test('every malformed inventory: exit 5, every problem with file:line:col, nothing contacted', async () => {
    const cases = readdirSync(BAD).filter((f) => f.endsWith('.yaml'))
    for (const file of cases) {
      const r = await lab.meshvm(['onboard'], { inventory: join(BAD, file) })
      assert.equal(r.code, 5, `${file}: ${r.stderr}`)
      for (const line of r.stderr
        .replace(/^Error: /, '')
        .trim()
        .split('\n'))
        assert.match(line, new RegExp(`^${join(BAD, file)}:\\d+:\\d+: `), file)
      assert.equal(r.report, undefined, `${file}: no run, no report`)
    }
    const huge = join(lab.dir, 'huge.yaml')
    writeFileSync(huge, `vms:\n  vm1: { address: "${'9'.repeat(10 * 1024 * 1024)}" }\n`)
    const started = Date.now()
    const r = await lab.meshvm(['onboard'], { inventory: huge })
    assert.equal(r.code, 5)
    assert.ok(r.stderr.length < 300 && Date.now() - started < 3000, 'refused by its size, quickly, without echoing it')
    lab.record(`malformed inventories (${cases.length}) and a 10 MB one`, 'exit 5, file:line:col, nothing contacted', 5)
  })

  test('a line appended to /etc/hosts between the facts read and the write is kept (compare-and-swap)', async () => {
    // the command step's onlyIf guard runs inside the facts read, after the hosts-block step has read /etc/hosts:
    // a foreign edit lands exactly between meshvm's read and its write, every time
    const playbook = lab.playbook('cas', [
      '  - name: Managed block',
      '    hosts-block: { path: /etc/hosts, id: fault, content: "198.18.254.1 fault.example" }',
      '  - name: Someone else edits /etc/hosts',
      `    command: { cmd: 'true', onlyIf: 'grep -q foreign.example /etc/hosts || echo "198.18.254.2 foreign.example" >> /etc/hosts; false' }`,
    ])
    const [a] = names(lab)
    const r = await lab.meshvm(['run', playbook, '--limit', a])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.match(stepOf(r, a, 'Managed block')!.msg, /changed while planned: read again 1x/)
    const hosts = (await lab.root(lab.host(a), 'cat /etc/hosts')).stdout
    assert.equal(
      hosts.split('\n').filter((l) => l === '198.18.254.2 foreign.example').length,
      1,
      'the foreign line survived',
    )
    assert.match(hosts, /# BEGIN meshvm fault\n198\.18\.254\.1 fault\.example\n# END meshvm fault\n/)
    const again = await lab.meshvm(['run', playbook, '--limit', a])
    assert.equal(again.report!.hosts[a].changed, 0)
    await lab.assertUndamaged()
    lab.record('foreign line appended between read and write', 'kept; re-planned; re-run ok', r.code)
  })

  test('foreign edits of managed files are repaired, and istio restarted when an input changed', async () => {
    const b = names(lab)[1]
    const vm = lab.host(b)
    await lab.root(
      vm,
      "echo 'ISTIO_FOREIGN=1' >> /var/lib/istio/envoy/cluster.env; sed -i '/^# BEGIN meshvm istio/,/^# END meshvm istio/d' /etc/hosts",
    )
    const r = await lab.meshvm(['onboard', '--limit', b])
    assert.equal(r.code, 0, r.stdout)
    assert.equal(stepOf(r, b, 'Upload cluster.env')!.status, 'changed')
    assert.equal(stepOf(r, b, 'Add the mesh hosts to /etc/hosts')!.status, 'changed')
    assert.equal(stepOf(r, b, 'Run istio')!.status, 'changed')
    await lab.assertUndamaged()
    assert.equal((await lab.meshvm(['onboard', '--limit', b])).report!.hosts[b].changed, 0)
    lab.record('foreign edits of cluster.env and the hosts block', 'repaired, istio restarted', r.code)
  })

  test('a moved gateway rewrites the hosts block and restarts istio, which connects through it', async () => {
    const a = names(lab)[0]
    const vm = lab.host(a)
    const cluster = /server: https:\/\/([\d.]+):/.exec(
      (await import('node:fs')).readFileSync(lab.kubeconfig, 'utf8'),
    )![1]
    // the "new gateway" address leads to the same istiod, for this VM only
    const dnat = ['OUTPUT', '-d', GATEWAY_MOVED_TO, '-p', 'tcp', '-j', 'DNAT', '--to-destination', cluster]
    const added = await lab.netns(vm, ['iptables', '-t', 'nat', '-I', ...dnat])
    assert.equal(added.code, 0, added.stderr)
    const moved = lab.inventoryWith('moved.yaml', (t) =>
      t.replace(`  ${a}:\n`, `  ${a}:\n    ingressIP: ${GATEWAY_MOVED_TO}\n`),
    )
    const before = await startedAt(lab, a)
    const r = await lab.meshvm(['onboard', '--limit', a], { inventory: moved })
    assert.equal(r.code, 0, r.stdout)
    assert.equal(stepOf(r, a, 'Add the mesh hosts to /etc/hosts')!.status, 'changed')
    assert.match(
      stepOf(r, a, 'Run istio')!.msg,
      /restart istio \(\/var\/lib\/meshvm\/blocks\/etc_hosts\.istio changed after the last start\)/,
    )
    assert.notEqual(await startedAt(lab, a), before)
    assert.match(
      (await lab.root(vm, 'cat /etc/hosts')).stdout,
      new RegExp(`${GATEWAY_MOVED_TO.replaceAll('.', '\\.')} istiod\\.istio-system\\.svc`),
    )
    const v = await lab.meshvm(['verify', '--limit', a], { inventory: moved })
    assert.equal(v.code, 0, v.stdout)
    lab.record('gateway moved (cluster-side change)', 'hosts block rewritten, istio restarted, verify 0', r.code)

    // the XDS stream then drops (istiod unreachable): a connect line followed by a disconnect is not connected
    await lab.netns(vm, ['iptables', '-I', ...XDS_CUT])
    await lab.root(vm, 'for p in $(pgrep -u istio-proxy -x curl); do kill $p; done')
    for (
      let i = 0;
      i < 50 &&
      !(await lab.root(vm, 'tail -n 1 /var/log/istio/istio.log')).stdout.includes('terminated with unexpected error');
      i++
    ) {
      await new Promise((res) => setTimeout(res, 200))
    }
    const lost = await lab.meshvm(['verify', '--limit', a], { inventory: moved })
    assert.equal(lost.code, 2, lost.stdout)
    const msg = stepOf(lost, a, 'Connected to XDS now')!.msg
    assert.match(msg, /--- connection lost after it: .*terminated with unexpected error/)
    assert.match(msg, /--- unit istio: .*ActiveState=active SubState=running/)
    assert.match(msg, /fix: istiod is not reachable from the VM through the east-west gateway/)
    lab.record(
      'XDS stream lost after connecting',
      "verify fails with the agent's lines, unit state and a fix",
      lost.code,
    )

    await lab.netns(vm, ['iptables', '-D', ...XDS_CUT])
    const back = await lab.meshvm(['onboard', '--limit', a])
    assert.equal(back.code, 0, back.stdout)
    assert.equal(stepOf(back, a, 'Run istio')!.status, 'changed', 'the gateway moved back: restarted again')
    assert.equal((await lab.meshvm(['verify', '--limit', a])).code, 0)
    await lab.netns(vm, ['iptables', '-t', 'nat', '-D', ...dnat])
    await lab.assertUndamaged()
    lab.assertNoSecrets()
  })
})
