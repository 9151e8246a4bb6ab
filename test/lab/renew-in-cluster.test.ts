// The CronJob's command line run as its pod would run it: in a mount namespace of its own with the service-account
// token and ca.crt at /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT pointing at the lab
// API, the inventory and the SSH key + known_hosts mounted under /etc/meshvm, as uid 65532, no kubeconfig anywhere.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { cronJobCommand } from '../../src/commands/renew-unattended.js'
import { readClusterConfig } from '../../src/lab/cluster/config.js'
import { labSkipReason } from '../support/lab-hosts.js'
import { labFleet, onboardFleet, type LabFleet } from '../support/lab-fleet.js'

const POD_UID = 65532
const MOUNTS = '/etc/meshvm'

describe('the renew CronJob command, run as its pod would', { skip: labSkipReason, timeout: 300_000 }, () => {
  let fleet: LabFleet
  let madeMounts = false
  before(async () => {
    fleet = await labFleet(1)
    await onboardFleet(fleet)
    if (!existsSync(MOUNTS)) {
      mkdirSync(MOUNTS)
      madeMounts = true
    }
  })
  after(async () => {
    if (madeMounts) rmdirSync(MOUNTS)
    await fleet?.down()
  })

  test('in-cluster config, key from the mounted Secret, JSON logs, exit 0, as uid 65532', async () => {
    const pod = join(fleet.dir, 'pod')
    const volumes = join(pod, 'etc-meshvm')
    for (const d of [pod, volumes, join(volumes, 'inventory'), join(volumes, 'ssh'), join(pod, 'sa'), join(pod, 'work')]) mkdirSync(d, { recursive: true })
    chmodSync(fleet.dir, 0o755)
    // the ConfigMap's inventory names the Secret's files
    const inventory = parse(readFileSync(join(fleet.dir, 'inventory.yaml'), 'utf8'))
    inventory.defaults.identityFile = `${MOUNTS}/ssh/id_ed25519`
    inventory.defaults.knownHostsFile = `${MOUNTS}/ssh/known_hosts`
    delete inventory.defaults.package
    writeFileSync(join(volumes, 'inventory', 'inventory.yaml'), stringify(inventory))
    copyFileSync(join(fleet.dir, 'id_ed25519'), join(volumes, 'ssh', 'id_ed25519'))
    copyFileSync(join(fleet.dir, 'known_hosts'), join(volumes, 'ssh', 'known_hosts'))
    const config = readClusterConfig(fleet.dir)
    writeFileSync(join(pod, 'sa', 'token'), config.token)
    copyFileSync(join(fleet.dir, 'pki', 'root-cert.pem'), join(pod, 'sa', 'ca.crt'))
    writeFileSync(join(pod, 'sa', 'namespace'), 'meshvm\n')
    for (const f of ['ssh/id_ed25519', 'ssh/known_hosts']) {
      chownSync(join(volumes, f), 0, POD_UID)
      chmodSync(join(volumes, f), 0o440)
    }
    chownSync(join(pod, 'work'), POD_UID, POD_UID)

    const [, ...args] = cronJobCommand
    const meshvm = [process.execPath, join(process.cwd(), 'bin/meshvm.js'), ...args].map((a) => `'${a}'`).join(' ')
    const script = [
      'set -e',
      'mount --make-rprivate /',
      'mount -t tmpfs pod-run /run',
      'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
      `cp ${pod}/sa/* /run/secrets/kubernetes.io/serviceaccount/`,
      `mount --bind ${volumes} ${MOUNTS}`,
      // the image's own passwd has the pod's user (distroless "nonroot" is 65532), as ssh needs one
      `cp /etc/passwd ${pod}/passwd && echo 'nonroot:x:${POD_UID}:${POD_UID}:nonroot:${pod}/work:/sbin/nologin' >> ${pod}/passwd`,
      `mount --bind ${pod}/passwd /etc/passwd`,
      `cd ${pod}/work`,
      `exec setpriv --reuid ${POD_UID} --regid ${POD_UID} --clear-groups env -i HOME=${pod}/work PATH=/usr/bin:/bin ` +
        `KUBERNETES_SERVICE_HOST=${config.host} KUBERNETES_SERVICE_PORT=${config.apiPort} ${meshvm}`,
    ].join('\n')
    const child = spawn('unshare', ['--mount', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    assert.equal(code, 0, stdout + stderr)
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(events[0].type, 'run-start')
    assert.equal(events[0].playbook, 'renew')
    const end = events.find((e) => e.type === 'host-end')
    assert.equal(end.status, 'ok', JSON.stringify(end))
    assert.ok(!stdout.includes(config.token), 'the service-account token is not printed')
    assert.ok(existsSync(join(pod, 'work', '.meshvm', 'last-run.json')), 'the report went to the working directory volume')
  })
})
