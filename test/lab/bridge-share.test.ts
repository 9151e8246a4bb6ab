// Labs share their bridge: the first to start makes it, the last to stop removes it. Labs that start and stop at the
// same moment must neither remove the bridge under a running lab nor lose the record that a lab made it (then
// nobody would ever remove it). Several one-host labs on a bridge of this test's own start and stop at once, in
// rounds; after each round every running lab's host is still on the bridge and answers ssh, and after the last the
// bridge and its record are gone.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { test } from 'node:test'
import { ensureBase, labIdOf, startHosts, stopHosts, type LabHosts } from '../../src/lab/hosts/index.js'
import { bridgePorts } from '../../src/lab/hosts/network.js'
import { runStatus } from '../../src/lab/hosts/run.js'
import { labLeftovers, labSkipReason, sshRun, stopOrphanedTestLabs } from '../support/lab-hosts.js'

// Not mvlab0: other labs on this machine would keep that one; 198.19.0.0/16 is in the test range and on no route.
const BRIDGE = 'mvlabshare0'
const SUBNET = '198.19.0.0/16'
const MARKER = `/run/meshvm-lab/bridges/${BRIDGE}`

const bridgeExists = async () => (await runStatus('ip', ['link', 'show', 'dev', BRIDGE])).code === 0

test('labs starting and stopping at once: the bridge stays while any lab runs, and goes with the last', { skip: labSkipReason, timeout: 600_000 }, async () => {
  await stopOrphanedTestLabs()
  assert.ok(!(await bridgeExists()), `${BRIDGE} is left from an earlier run: remove it (ip link del ${BRIDGE})`)
  const baseDir = await ensureBase()
  const running = new Map<string, LabHosts>()
  const made: string[] = []
  const start = async () => {
    const dir = mkdtempSync('/tmp/meshvm-lab-test-')
    made.push(dir)
    running.set(dir, await startHosts({ dir, count: 1, baseDir, bridge: BRIDGE, subnet: SUBNET }))
  }
  const stop = async (dir: string) => {
    running.delete(dir)
    await stopHosts(dir)
  }
  const expectRunningOnBridge = async (round: string) => {
    assert.ok(await bridgeExists(), `${round}: the bridge is there while ${running.size} lab(s) run`)
    assert.ok(existsSync(MARKER), `${round}: and the record that a lab made it`)
    const ports = await bridgePorts(BRIDGE)
    for (const lab of running.values()) {
      const [host] = lab.hosts
      assert.ok(
        ports.some((p) => p.startsWith(`mv${labIdOf(lab.dir)}-`)),
        `${round}: ${host!.name} still on the bridge`,
      )
      const r = await sshRun({ ...host!, keyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile }, 'true')
      assert.equal(r.code, 0, `${round}: ${host!.name} (${host!.address}) answers ssh: ${r.stderr}`)
    }
  }
  try {
    await Promise.all([start(), start(), start()])
    assert.equal(new Set([...running.values()].map((l) => l.hosts[0]!.address)).size, 3, 'each lab its own address')
    await expectRunningOnBridge('three started at once')
    for (let round = 1; round <= 3; round++) {
      // the oldest lab stops while a new one starts, and the newest stops while another starts
      const [oldest, ...rest] = [...running.keys()]
      await Promise.all([stop(oldest!), start(), stop(rest.at(-1)!), start()])
      await expectRunningOnBridge(`round ${round}`)
    }
    // the last two stop while one more starts and stops: the bridge outlives none of them
    const last = [...running.keys()]
    await Promise.all([...last.map(stop), start().then(() => stop(made.at(-1)!))])
    assert.equal(running.size, 0)
    assert.ok(!(await bridgeExists()), 'the last lab to stop removed the bridge')
    assert.ok(!existsSync(MARKER), 'and its record')
    for (const dir of made) assert.deepEqual(await labLeftovers(labIdOf(dir), dir, BRIDGE), [], dir)
  } finally {
    for (const dir of made) {
      await stopHosts(dir)
      rmSync(dir, { recursive: true, force: true })
    }
    if (await bridgeExists()) await runStatus('ip', ['link', 'del', BRIDGE])
    rmSync(MARKER, { force: true })
  }
})
