// The manifests `meshvm renew` prints for unattended runs: the CronJob (+ RBAC) as kubectl reads it against the API
// emulator, and the systemd service + timer as systemd-analyze reads them.
import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { startHarness } from '../cluster/emulator.js'
import { runCli } from '../support/run-cli.js'

// the emulator runs in this process: kubectl must run asynchronously
const run = promisify(execFile)
const kubectlIn = (args: string[], input: string) =>
  new Promise<{ code: number | null }>((resolve) => {
    const p = spawn('kubectl', args, { stdio: ['pipe', 'ignore', 'ignore'] })
    p.on('exit', (code) => resolve({ code }))
    p.stdin.end(input)
  })

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0

test('--print-cronjob: in-cluster, key and known_hosts from a Secret, non-root, read-only root, Forbid, exact RBAC', async () => {
  const r = await runCli(['renew', '--print-cronjob', '--namespace', 'platform', '--schedule', '*/3 * * * *'])
  assert.equal(r.code, 0, r.stderr)
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS())
  assert.deepEqual(
    docs.map((d) => d.kind),
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'CronJob'],
  )
  const [sa, role, binding, cron] = docs
  assert.equal(sa.metadata.namespace, 'platform')
  assert.deepEqual(role.rules, [
    { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get'] },
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get'] },
  ])
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'meshvm-renew', namespace: 'platform' }])
  assert.equal(cron.spec.schedule, '*/3 * * * *')
  assert.equal(cron.spec.concurrencyPolicy, 'Forbid')
  const pod = cron.spec.jobTemplate.spec.template.spec
  assert.equal(pod.serviceAccountName, 'meshvm-renew')
  assert.equal(pod.securityContext.runAsNonRoot, true)
  const [c] = pod.containers
  assert.equal(c.securityContext.readOnlyRootFilesystem, true)
  assert.equal(c.securityContext.allowPrivilegeEscalation, false)
  // in-cluster config: no kubeconfig on the command line; JSON logs
  assert.deepEqual(c.command, [
    'meshvm',
    'renew',
    '-i',
    '/etc/meshvm/inventory/inventory.yaml',
    '--output',
    'json',
    '--ssh-config',
    'none',
  ])
  assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === 'ssh').secret, {
    secretName: 'meshvm-ssh',
    defaultMode: 0o440,
  })
  assert.ok(
    c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === c.workingDir),
    'the working directory is a writable volume',
  )
})

test(
  'kubectl accepts the CronJob manifest (apply --dry-run=client against the API emulator)',
  { skip: has('kubectl') ? false : 'kubectl not installed' },
  async (t) => {
    const h = await startHarness()
    t.after(() => h.close())
    const manifest = join(h.dir, 'meshvm-renew.yaml')
    writeFileSync(manifest, (await runCli(['renew', '--print-cronjob'])).stdout)
    const kubectl = [
      '--kubeconfig',
      h.kubeconfig,
      '--request-timeout=20s',
      'apply',
      '--dry-run=client',
      '--validate=false',
      '-f',
    ]
    const { stdout: out } = await run('kubectl', [...kubectl, manifest])
    assert.deepEqual(out.trim().split('\n'), [
      'serviceaccount/meshvm-renew created (dry run)',
      'clusterrole.rbac.authorization.k8s.io/meshvm-renew created (dry run)',
      'clusterrolebinding.rbac.authorization.k8s.io/meshvm-renew created (dry run)',
      'cronjob.batch/meshvm-renew created (dry run)',
    ])
    const bad = await kubectlIn([...kubectl, '-'], 'kind: CronJob\nspec: {}\n')
    assert.notEqual(bad.code, 0, 'kubectl refuses a manifest without apiVersion: the check can fail')
  },
)

test(
  '--print-systemd: a oneshot service and its timer that systemd-analyze verifies',
  { skip: has('systemd-analyze') ? false : 'systemd-analyze not installed' },
  async (t) => {
    const r = await runCli([
      'renew',
      '--print-systemd',
      '-i',
      '/etc/meshvm/fleet inventory.yaml',
      '--kubeconfig',
      '/etc/meshvm/kubeconfig',
    ])
    assert.equal(r.code, 0, r.stderr)
    const [service, timer] = r.stdout.split(/^# \/etc\/systemd\/system\/meshvm-renew\.timer\n/m)
    assert.match(
      service,
      /^ExecStart=\/usr\/bin\/env meshvm renew -i "\/etc\/meshvm\/fleet inventory\.yaml" --output json --kubeconfig \/etc\/meshvm\/kubeconfig$/m,
    )
    assert.match(timer, /^OnCalendar=\*:0\/5$/m)
    const dir = mkdtempSync(join(tmpdir(), 'meshvm-units-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'meshvm-renew.service'), service)
    writeFileSync(join(dir, 'meshvm-renew.timer'), timer)
    const v = spawnSync(
      'systemd-analyze',
      ['verify', '--man=no', join(dir, 'meshvm-renew.service'), join(dir, 'meshvm-renew.timer')],
      { encoding: 'utf8' },
    )
    // a missing meshvm binary or user on this machine is expected; anything else is a unit file error
    const problems = v.stderr
      .split('\n')
      .filter((l) => l.trim() && !/meshvm: No such file|Command \/usr\/bin\/env|User=meshvm|is not executable/.test(l))
    assert.deepEqual(problems, [], v.stderr)
  },
)
