// An onboarded lab fleet for day-2 tests: `meshvm lab up` with the given flags, `meshvm onboard`, plain-ssh access,
// and a teardown that leaves nothing behind.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { runStatus, type RunResult } from '../../src/lab/hosts/run.js'
import { sshArgs } from '../../src/lab/hosts/ssh-login.js'
import { labLeftovers, stopOrphanedTestLabs } from './lab-hosts.js'
import { runCli } from './run-cli.js'

export interface LabFleet {
  dir: string
  /** The inventory `meshvm()` uses (default the lab's own). */
  inventory: string
  hosts: { name: string; address: string }[]
  /** `meshvm ARGS` with the lab's inventory and kubeconfig appended. */
  meshvm(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  /** `meshvm lab ARGS --dir DIR`. */
  lab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  ssh(vm: string, cmd: string, input?: string): Promise<RunResult>
  /** Polls the VM's istio.log until it has `pattern` (after `after` occurrences), at most `seconds`. */
  waitForLog(vm: string, pattern: RegExp, seconds?: number): Promise<string>
  down(): Promise<void>
}

const NOT_LOGGED_IN =
  /connect to host .*: (Connection timed out|Connection refused|No route to host)|banner exchange|kex_exchange_identification/

export async function labFleet(vms: number, upFlags: string[] = []): Promise<LabFleet> {
  await stopOrphanedTestLabs()
  const dir = mkdtempSync('/tmp/meshvm-lab-test-')
  const up = await runCli(['lab', 'up', '--vms', String(vms), '--dir', dir, ...upFlags])
  if (up.code !== 0) {
    // a half-started lab is stopped here: the caller gets no fleet to stop
    await runCli(['lab', 'down', '--dir', dir])
    rmSync(dir, { recursive: true, force: true })
  }
  assert.equal(up.code, 0, up.stderr)
  const hosts = [...up.stdout.matchAll(/^ {2}(vm\d+)\s+(\S+)/gm)].map((m) => ({ name: m[1], address: m[2] }))
  const address = (vm: string) => hosts.find((h) => h.name === vm)?.address ?? vm
  const fleet: LabFleet = {
    dir,
    inventory: join(dir, 'inventory.yaml'),
    hosts,
    meshvm: (...args) => runCli([...args, '-i', fleet.inventory, '--kubeconfig', join(dir, 'kubeconfig')]),
    lab: (...args) => runCli(['lab', ...args, '--dir', dir]),
    async ssh(vm, cmd, input) {
      const args = sshArgs({
        address: address(vm),
        user: 'admin',
        keyFile: join(dir, 'id_ed25519'),
        knownHostsFile: join(dir, 'known_hosts'),
      })
      // On a loaded machine a login can time out before the command ran: only then is it tried again.
      let r = await runStatus('ssh', [...args, cmd], { input })
      for (let i = 0; i < 3 && r.code === 255 && NOT_LOGGED_IN.test(r.stderr); i++)
        r = await runStatus('ssh', [...args, cmd], { input })
      return r
    },
    async waitForLog(vm, pattern, seconds = 40) {
      let log = ''
      for (let i = 0; i < seconds * 2 && !pattern.test(log); i++) {
        if (i > 0) await sleep(500)
        log = (await fleet.ssh(vm, 'sudo cat /var/log/istio/istio.log')).stdout
      }
      assert.match(log, pattern, `istio.log of ${vm}`)
      return log
    },
    async down() {
      await runCli(['lab', 'down', '--dir', dir])
      const left = await labLeftovers(labIdOf(dir), dir)
      rmSync(dir, { recursive: true, force: true })
      assert.deepEqual(left, [])
    },
  }
  return fleet
}

/** Onboards the fleet (plain output) and asserts it worked. */
export async function onboardFleet(fleet: LabFleet, ...args: string[]): Promise<void> {
  const r = await fleet.meshvm('onboard', '--output', 'plain', ...args)
  assert.equal(r.code, 0, r.stdout + r.stderr)
}

/** Reboots a lab VM and waits until systemd says it is running again. */
export async function rebootVm(fleet: LabFleet, vm: string): Promise<void> {
  await fleet.ssh(vm, 'sudo touch /run/before-reboot && sudo systemctl reboot')
  for (let i = 0; i < 120; i++) {
    await sleep(500)
    const r = await fleet.ssh(vm, 'test ! -e /run/before-reboot && systemctl is-system-running --wait')
    if (r.code === 0 || r.stdout.trim() === 'degraded') return
  }
  assert.fail(`${vm} did not come back from its reboot`)
}
