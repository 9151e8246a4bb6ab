// `--print-job`: the Indexed Job and its RBAC, as kubectl reads them, and an RBAC that covers every call meshvm makes.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parseAllDocuments } from 'yaml'
import { meshvmAccessRules } from '../../src/cluster/access-rules.js'
import { connectCluster, deleteWorkloadEntry, getWorkloadEntry, listWorkloadEntries } from '../../src/cluster/index.js'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import { startKubeApi, type RequestRecord } from '../../src/lab/kube-api/server.js'
import { startLabClusterApi } from '../support/lab-api.js'
import { runCli } from '../support/run-cli.js'

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0

// async: the emulator answering kubectl runs in this process
function kubectlApply(
  kubeconfig: string,
  input: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('kubectl', [
    '--kubeconfig',
    kubeconfig,
    'apply',
    '--dry-run=client',
    '--validate=false',
    '--request-timeout=20s',
    '-f',
    '-',
  ])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })))
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'meshvm-job-'))
  try {
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const INVENTORY =
  'defaults: { app: web, namespace: apps }\ngroups: { canary: {} }\nvms:\n  vm-1: { address: 198.18.0.1, groups: [canary] }\n  vm-2: { address: 198.18.0.2 }\n'

test('meshvm onboard --print-job --shards 10 prints an Indexed Job that runs onboard on shard $JOB_COMPLETION_INDEX', async () => {
  await withDir(async (dir) => {
    const inventory = join(dir, 'fleet.yaml')
    writeFileSync(inventory, INVENTORY)
    const r = await runCli(
      [
        'onboard',
        '-i',
        inventory,
        '--print-job',
        '--shards',
        '10',
        '--forks',
        '20',
        '--limit',
        'canary',
        '--kubeconfig',
        '/nowhere',
      ],
      {},
      dir,
    )
    assert.equal(r.code, 0, r.stderr)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS())
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolumeClaim', 'Job'],
    )
    const [sa, role, binding, , job] = docs
    assert.deepEqual(role.rules, meshvmAccessRules)
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ])
    assert.equal(binding.roleRef.name, role.metadata.name)
    assert.equal(job.spec.completionMode, 'Indexed')
    assert.equal(job.spec.completions, 10)
    const pod = job.spec.template.spec
    assert.equal(pod.serviceAccountName, sa.metadata.name)
    assert.equal(pod.restartPolicy, 'Never', 'podFailurePolicy requires Never')
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.ok(pod.securityContext.runAsUser > 0)
    const [c] = pod.containers
    assert.equal(c.securityContext.readOnlyRootFilesystem, true)
    assert.equal(c.securityContext.allowPrivilegeEscalation, false)
    // the same command and flags; --limit resolved here; in-cluster config (no --kubeconfig); shard from the Job
    assert.deepEqual(c.args.slice(0, 5), [
      'onboard',
      '--inventory=/etc/meshvm/fleet.yaml',
      '--limit=canary',
      '--forks=20',
      '--shards=10',
    ])
    assert.ok(!c.args.some((a: string) => a.startsWith('--kubeconfig')))
    assert.ok(c.args.includes('--report=-'), 'report on stdout')
    assert.ok(
      c.args.some((a: string) => /^--report=\/srv\/meshvm\/reports\/.*\$\(JOB_COMPLETION_INDEX\)\.json$/.test(a)),
      'and on the volume',
    )
    const volumes = new Map(pod.volumes.map((v: { name: string }) => [v.name, v]))
    for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `mount ${m.name} has a volume`)
    const ssh = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/home/meshvm/.ssh')
    assert.equal((volumes.get(ssh.name) as { secret: { secretName: string } }).secret.secretName, 'meshvm-ssh')
    assert.match(r.stdout, /kubectl -n meshvm create configmap meshvm-onboard-inputs --from-file=fleet\.yaml=/)
  })
  // as README.md shows it
  const readme = await runCli(['onboard', '-i', 'inventory/example.yaml', '--print-job', '--shards', '10'])
  assert.equal(readme.code, 0, readme.stderr)
  const readmeJob = parseAllDocuments(readme.stdout)
    .map((d) => d.toJS())
    .find((d) => d.kind === 'Job')
  assert.equal(readmeJob.spec.completions, 10)
  assert.equal(readmeJob.spec.template.spec.containers[0].args[1], '--inventory=/etc/meshvm/example.yaml')
})

test('--limit @file is resolved when printing: the pods get the names it lists', async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, 'fleet.yaml'), INVENTORY)
    writeFileSync(join(dir, 'retry.txt'), 'vm-2\nvm-1\n')
    const args = [
      '-i',
      join(dir, 'fleet.yaml'),
      '--print-job',
      '--shards',
      '2',
      '--limit',
      `@${join(dir, 'retry.txt')}`,
    ]
    const r = await runCli(['onboard', ...args], {}, dir)
    assert.equal(r.code, 0, r.stderr)
    const job = parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .find((d) => d.kind === 'Job')
    assert.ok(job.spec.template.spec.containers[0].args.includes('--limit=vm-2,vm-1'), r.stdout)
  })
})

test(
  'the printed manifest passes kubectl apply --dry-run=client --validate=false; an unknown kind does not',
  { skip: !kubectl && 'kubectl not installed' },
  async () => {
    const api = await startKubeApi()
    try {
      await withDir(async (dir) => {
        const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
        const inventory = join(dir, 'fleet.yaml')
        writeFileSync(inventory, INVENTORY)
        for (const command of ['onboard', 'verify', 'renew']) {
          const r = await runCli([command, '-i', inventory, '--print-job', '--shards', '3'], {}, dir)
          assert.equal(r.code, 0, r.stderr)
          const dry = await kubectlApply(kubeconfig, r.stdout)
          assert.equal(dry.status, 0, dry.stderr)
          assert.match(dry.stdout, new RegExp(`job\\.batch/meshvm-${command} created \\(dry run\\)`))
          assert.match(dry.stdout, /clusterrole\.rbac\.authorization\.k8s\.io\/meshvm created \(dry run\)/)
          // --validate=false checks kinds, not fields (the structure is checked above): a kind the API lacks fails
          const bad = await kubectlApply(kubeconfig, r.stdout.replace('kind: Job\n', 'kind: IndexedJob\n'))
          assert.notEqual(bad.status, 0)
          assert.match(bad.stderr, /no matches for kind "IndexedJob"/)
        }
        assert.equal(api.store.get('jobs', 'meshvm', 'meshvm-onboard'), undefined, 'dry run: nothing created')
      })
    } finally {
      await api.close()
    }
  },
)

test('--print-job refuses what cannot go into a pod, and needs --shards', async () => {
  await withDir(async (dir) => {
    const inventory = join(dir, 'fleet.yaml')
    writeFileSync(inventory, INVENTORY)
    const cases: [string[], RegExp][] = [
      [['--print-job'], /--print-job needs --shards N/],
      [['--print-job', '--shards', '3', '--ask-become-pass'], /--ask-become-pass cannot go into the Job/],
      [['--print-job', '--shards', '3', '--shard', '0/3'], /--shard cannot go into the Job/],
      [['--print-job', '--shards', '3', '--limit', 'nosuchvm'], /--limit: no VM or group is named "nosuchvm"/],
    ]
    for (const [flags, message] of cases) {
      const r = await runCli(['onboard', '-i', inventory, ...flags], {}, dir)
      assert.equal(r.code, 5, flags.join(' '))
      assert.match(r.stderr, message)
      assert.equal(r.stdout, '')
    }
  })
})

// The (verb, group, resource) of a request, as RBAC sees it; undefined for discovery and /version.
function access(req: RequestRecord): { verb: string; group: string; resource: string } | undefined {
  const parts = req.path.split('?')[0].split('/').filter(Boolean)
  const [root] = parts
  if (root !== 'api' && root !== 'apis') return undefined
  const group = root === 'apis' ? parts[1] : ''
  let rest = parts.slice(root === 'apis' ? 3 : 2)
  if (rest.length === 0) return undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2)
  const [resource, name, sub] = rest
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }
  const verb = req.method === 'GET' ? (name ? 'get' : 'list') : verbs[req.method]
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource }
}

test("the ClusterRole allows every request meshvm's cluster work makes (bundle, onboard, entries)", async () => {
  const api = await startLabClusterApi('198.18.0.250', 'apps')
  try {
    await withDir(async (dir) => {
      const kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
      const inventory = join(dir, 'fleet.yaml')
      writeFileSync(inventory, INVENTORY.replaceAll('198.18.0.', '127.0.0.'))
      const b = await runCli(['bundle', '-i', inventory, '--kubeconfig', kubeconfig, '-o', join(dir, 'out')], {}, dir)
      assert.equal(b.code, 0, b.stderr)
      const client = connectCluster({ kubeconfig })
      await listWorkloadEntries(client, 'apps')
      await listWorkloadEntries(client)
      await getWorkloadEntry(client, 'apps', 'web-127.0.0.1').catch(() => undefined)
      await deleteWorkloadEntry(client, 'apps', 'web-127.0.0.1').catch(() => undefined)
    })
    const allowed = (a: { verb: string; group: string; resource: string }) =>
      meshvmAccessRules.some(
        (r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb),
      )
    const calls = api.requests.flatMap((r) => access(r) ?? [])
    for (const want of [
      'create serviceaccounts/token',
      'create workloadgroups',
      'get configmaps',
      'list workloadentries',
      'delete workloadentries',
    ])
      assert.ok(
        calls.some((c) => `${c.verb} ${c.resource}` === want),
        `the test exercised ${want}`,
      )
    const refused = calls.filter((c) => !allowed(c)).map((c) => `${c.verb} ${c.group}/${c.resource}`)
    assert.deepEqual([...new Set(refused)], [])
  } finally {
    await api.close()
  }
})
