// Every documented example is a test: each command line of README.md, playbooks/README.md and every `--help` is
// extracted and run here, as a user types it (`sh -c` in a project directory, `meshvm` on PATH), against a lab made by
// the documented `meshvm lab up --vms 3`, and what the document says it does is asserted. inventory/example.yaml is
// used as it is, moved onto the lab (its addresses, port and bastion replaced by the lab's; its ~/.ssh key is the lab's
// key in a test HOME). An example with no entry below fails the first test, saying how to add one; an entry no
// document shows any more fails it too. One lab serves every example, in the order of `specs`.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse, parseAllDocuments, stringify } from 'yaml'
import { usage } from '../../src/main.js'
import { shardOf } from '../../src/inventory/shard.js'
import { labLeftovers, labSkipReason, stopOrphanedTestLabs } from '../support/lab-hosts.js'
import { runCli } from '../support/run-cli.js'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { entryProblems, helpExamples, markdownExamples, type Example } from './examples.js'

const repo = new URL('../../../', import.meta.url).pathname
const meshvmBin = join(repo, 'bin', 'meshvm.js')
const THIS_FILE = 'test/docs/examples.test.ts'

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** How one documented line is run and what the documentation says it does. */
interface Spec {
  line: string
  /** Exit code the documentation promises (default 0). */
  code?: number
  /** Run from the repository (the Install section's lines). */
  inRepo?: boolean
  /**
   * What is run instead, when the line names something this machine must not reach or cannot hold as written: a lab
   * host by its usual name (other labs may hold vm1), a URL off the machine, a `<64 hex>` placeholder.
   */
  asRun?: () => string
  before?: () => unknown
  check?: (r: Run) => void | Promise<void>
}

/** Lines not run here, each with where it is covered instead; `covered` must hold. */
interface Elsewhere {
  line: string
  why: string
  covered: () => boolean
}

async function allExamples(): Promise<Example[]> {
  const docs = [...markdownExamples(join(repo, 'README.md')), ...markdownExamples(join(repo, 'playbooks', 'README.md'))]
  const help = helpExamples(usage(), 'meshvm --help')
  for (const command of [...usage().matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!)) {
    const sub = command === 'workload-entry' ? ['configure'] : command === 'workload-group' ? ['create'] : []
    const r = await runCli([command, ...sub, '--help'])
    assert.equal(r.code, 0, `meshvm ${command} --help: ${r.stderr}`)
    help.push(...helpExamples(r.stdout, `meshvm ${command} --help`))
  }
  return [...docs, ...help]
}

let cwd: string
let home: string
let lab: { hosts: { name: string; address: string }[]; gateway: string; mirror: string }
const file = (p: string) => readFileSync(join(cwd, p), 'utf8')
const exampleVms = ['nginx-vm-1', 'nginx-vm-2']

const sh = (line: string, dir = cwd, extraEnv: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const env = {
      PATH: `${join(cwd, '.bin')}:${process.env.PATH}`,
      HOME: home,
      // the sidecar package comes from the lab's release mirror: no internet here
      MESHVM_PACKAGE_MIRROR: lab?.mirror ?? '',
      XDG_CACHE_HOME: join(cwd, '.cache'),
      NO_COLOR: '1',
      ...extraEnv,
    }
    const child = spawn('sh', ['-c', line], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })

/** Runs a set-up command the examples rely on; it must succeed. */
async function setUp(line: string, why: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const r = await sh(line, cwd, extraEnv)
  assert.equal(r.code, 0, `${why}: ${line} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** A command on a lab host over plain ssh (as admin, with sudo where the command says so). */
const onVm = (address: string, cmd: string) =>
  sh(
    `ssh -i lab/id_ed25519 -o UserKnownHostsFile=lab/known_hosts -o BatchMode=yes -o ConnectTimeout=10 admin@${address} ${shQuote(cmd)}`,
  )
const vmAddress = (vm: string) => lab.hosts[exampleVms.indexOf(vm)]!.address
const sidecarVersion = async (vm: string) =>
  (await onVm(vmAddress(vm), "dpkg-query -W -f '${Version}' istio-sidecar")).stdout.trim()

/** inventory/example.yaml as it is, but its VMs and gateway are the lab's: vm1, vm2, and vm3 as the bastion. */
function relocateExampleInventory() {
  let text = readFileSync(join(repo, 'inventory', 'example.yaml'), 'utf8')
  const [vm1, vm2, vm3] = lab.hosts
  for (const [from, to] of [
    ['10.0.0.11', vm1!.address],
    ['10.0.0.12', vm2!.address],
    ['port: 2222', 'port: 22'],
    ['192.168.0.59', lab.gateway],
    ['ops@bastion.example.net', `admin@${vm3!.address}`],
  ]) {
    assert.ok(text.includes(from!), `inventory/example.yaml no longer has ${from}: update this test's relocation`)
    text = text.replaceAll(from!, to!)
  }
  mkdirSync(join(cwd, 'inventory'), { recursive: true })
  writeFileSync(join(cwd, 'inventory', 'example.yaml'), text)
  for (const f of ['ansible-example.yaml', 'ansible-generator.yml'])
    copyFileSync(join(repo, 'inventory', f), join(cwd, 'inventory', f))
}

/** The user's ~/.ssh and ~/.kube: the lab's key, host keys and kubeconfig (with a second context, `prod`). */
function userFiles() {
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 })
  copyFileSync(join(cwd, 'lab', 'id_ed25519'), join(home, '.ssh', 'id_ed25519'))
  chmodSync(join(home, '.ssh', 'id_ed25519'), 0o600)
  copyFileSync(join(cwd, 'lab', 'known_hosts'), join(home, '.ssh', 'known_hosts'))
  const kubeconfig = parse(file('lab/kubeconfig'))
  kubeconfig.contexts.push({ ...kubeconfig.contexts[0], name: 'prod' })
  mkdirSync(join(home, '.kube'), { recursive: true })
  writeFileSync(join(home, '.kube', 'config'), stringify(kubeconfig))
  copyFileSync(join(home, '.kube', 'config'), join(home, '.kube', 'kind-config'))
}

/** A stand-in `vagrant` for a project whose one machine is lab vm3, answering as `vagrant ssh-config` does. */
function fakeVagrant() {
  const vm3 = lab.hosts[2]!
  const sshConfig = [
    'Host default',
    `  HostName ${vm3.address}`,
    '  User admin',
    '  Port 22',
    '  UserKnownHostsFile /dev/null',
    '  StrictHostKeyChecking no',
    '  PasswordAuthentication no',
    `  IdentityFile ${join(home, '.ssh', 'id_ed25519')}`,
    '  IdentitiesOnly yes',
    '  LogLevel FATAL',
    '',
  ].join('\n')
  writeFileSync(join(cwd, '.vagrant-ssh-config'), sshConfig)
  writeFileSync(join(cwd, 'Vagrantfile'), readFileSync(join(repo, 'Vagrantfile')))
  const script = [
    '#!/bin/sh',
    `case "$1" in`,
    `  ssh-config) cat '${join(cwd, '.vagrant-ssh-config')}' ;;`,
    `  ssh) echo "10.0.2.15 ${vm3.address}" ;;`,
    `  up) echo "Bringing machine 'default' up... Machine already provisioned." ;;`,
    '  *) echo "vagrant stand-in: unexpected $*" >&2; exit 3 ;;',
    'esac',
    '',
  ].join('\n')
  writeFileSync(join(cwd, '.bin', 'vagrant'), script, { mode: 0o755 })
}

/** The lab's sidecar packages under the names the upgrade examples give them. */
function upgradePackages() {
  const packages = readdirSync(join(cwd, 'lab', 'packages'))
  const deb = (version: string) =>
    join(
      cwd,
      'lab',
      'packages',
      packages.find((p) => p.includes(`_${version}lab_`))!,
    )
  copyFileSync(deb('1.24.2'), join(cwd, 'istio-sidecar-1.24.2.deb'))
  copyFileSync(deb('1.24.2'), join(cwd, 'istio-sidecar.deb'))
  copyFileSync(deb('1.23.4'), join(cwd, 'istio-sidecar-1.23.4.deb'))
}

/** The release before, pushed: so that an upgrade example has something to upgrade. */
const downgrade = (limit = 'web') =>
  setUp(
    `meshvm upgrade -i inventory/example.yaml --to 1.23.4 --package ./istio-sidecar-1.23.4.deb --limit ${limit}`,
    'the release before on the VMs',
  )

/** Runs `meshvm <args> --shards 3` as the Job's three pods would, each pod's log (stdout and stderr) in shard-<i>.log. */
async function podLogs(args: string) {
  for (const i of [0, 1, 2]) {
    const r = await sh(`meshvm ${args} --shards 3 --output plain --report - > shard-${i}.log 2>&1`, cwd, {
      JOB_COMPLETION_INDEX: String(i),
    })
    assert.ok([0, 2].includes(r.code), `pod ${i} of meshvm ${args}: exit ${r.code}\n${file(`shard-${i}.log`)}`)
  }
}

/** Starts istio on a lab host and waits (bounded) until its agent logs an XDS connection again. */
async function startIstio(address: string) {
  const log = '/var/log/istio/istio.log'
  const lines = Number((await onVm(address, `sudo wc -l < ${log}`)).stdout.trim())
  assert.equal((await onVm(address, 'sudo systemctl start istio')).code, 0)
  for (let i = 0; i < 60; i++) {
    const r = await onVm(address, `sudo tail -n +${lines + 1} ${log} | grep -q 'connected to upstream XDS server'`)
    if (r.code === 0) return
    await new Promise((res) => setTimeout(res, 1000))
  }
  assert.fail(`${address}: istio did not reconnect in 60 s`)
}

const recapOf = (r: Run) => /^RECAP [\s\S]*$/m.exec(r.stdout)?.[0] ?? ''
const recapHosts = (r: Run) => [...recapOf(r).matchAll(/^(\S+) : ok=/gm)].map((m) => m[1])
const jsonLines = (r: Run) =>
  r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
/** The lab cluster's request log: requests meshvm made (as the kubeconfig's user; istiod polls as its own). */
const apiRequests = () =>
  file('lab/cluster/api-requests.log')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { method: string; path: string; user: string })
    .filter((r) => !r.user.startsWith('system:serviceaccount:istio-system:'))
const requestsSince = (n: number) => apiRequests().slice(n)
/** `.meshvm/failed`: a run that finished every VM leaves none. */
const failedList = () =>
  existsSync(join(cwd, '.meshvm/failed')) ? file('.meshvm/failed').split('\n').filter(Boolean) : []
let requestsBefore = 0

/** The golden of Istio's TestWorkloadGroupCreate case `name`. */
const golden = (name: string) =>
  readFileSync(join(repo, `test/fixtures/conformance/istioctl-workload-group-create/${name}/expected.yaml`), 'utf8')

/** Inside its own mount namespace, /var/lib is an empty tmpfs: the node_exporter directory a test may write. */
const withPrivateVarLib = (line: string) =>
  `unshare --mount --propagation private sh -c 'mount -t tmpfs meshvm-docs /var/lib && mkdir /var/lib/node_exporter && ${line} && cat /var/lib/node_exporter/meshvm.prom > prom.out'`

const specs: Spec[] = [
  {
    line: 'meshvm lab up --vms 3',
    check(r) {
      assert.match(r.stdout, /^inventory: {2}lab\/inventory\.yaml$/m, 'prints the inventory path')
      assert.match(r.stdout, /^kubeconfig: lab\/kubeconfig$/m, 'and the kubeconfig path')
      const hosts = [...r.stdout.matchAll(/^ {2}(vm\d+)\s+(\S+)/gm)].map((m) => ({ name: m[1]!, address: m[2]! }))
      const mirror = /packageMirror: (\S+)/.exec(file('lab/inventory.yaml'))![1]!
      lab = { hosts, mirror, gateway: new URL(mirror).hostname }
      assert.equal(hosts.length, 3)
      userFiles()
      relocateExampleInventory()
      fakeVagrant()
      upgradePackages()
    },
  },
  {
    line: 'meshvm lab status',
    check(r) {
      assert.match(r.stdout, /^cluster: running \(pid \d+\)$/m)
      for (const h of lab.hosts) assert.match(r.stdout, new RegExp(`^${h.name} +${h.address} +running {2}ssh ok$`, 'm'))
    },
  },
  {
    line: 'node bin/meshvm.js --help',
    inRepo: true,
    check: (r) => assert.match(r.stdout, /^Commands:\n {2}onboard /m),
  },
  {
    line: 'meshvm workload-group create --name foo --namespace bar',
    check: (r) => assert.equal(r.stdout, golden('minimal')),
  },
  {
    line: 'meshvm x workload group create --name foo -n bar -l app=foo,bar=baz -p grpc=3550,http=8080 -a annotation=foobar --serviceAccount test --weight 100',
    check: (r) => assert.equal(r.stdout, golden('full')),
  },
  {
    line: 'meshvm workload-group create --name vm-app -n vm-ns -p http=8080',
    check(r) {
      const group = parse(r.stdout)
      assert.deepEqual(group.metadata, { name: 'vm-app', namespace: 'vm-ns' })
      assert.deepEqual(group.spec.template, { ports: { http: 8080 }, serviceAccount: 'default' }, 'istioctl defaults')
    },
  },
  {
    line: 'meshvm workload-group create --name vm-app -n vm-ns -l app=vm-app -p http=8080 --serviceAccount vm',
    check(r) {
      assert.match(r.stdout, /^kind: WorkloadGroup\n[\s\S]*name: vm-app\n {2}namespace: vm-ns\n/m)
      // what it printed is the file the next examples read, and the group they find in the cluster
      writeFileSync(join(cwd, 'workloadgroup.yaml'), r.stdout)
      writeFileSync(
        join(cwd, '.setup.yaml'),
        'defaults: { app: vm-app, namespace: vm-ns, serviceAccount: vm, labels: { app: vm-app }, ports: { http: 8080 } }\nvms: { setup: { address: 127.0.0.1 } }\n',
      )
    },
  },
  {
    line: 'meshvm workload-entry configure -f workloadgroup.yaml -o out/ --clusterID Kubernetes',
    before: () => setUp('meshvm bundle -i .setup.yaml -o .setup-out', 'namespace, service account and group'),
    check(r) {
      assert.match(r.stdout, /^Configuration generation into directory out\/ was successful$/m)
      for (const f of ['cluster.env', 'mesh.yaml', 'root-cert.pem', 'istio-token', 'hosts'])
        assert.ok(existsSync(join(cwd, 'out', f)), f)
      assert.match(file('out/cluster.env'), /^ISTIO_META_CLUSTER_ID='Kubernetes'$/m)
    },
  },
  {
    line: 'meshvm workload-entry configure --name vm-app -n vm-ns -o out/ --autoregister --ingressIP 192.0.2.10',
    check(r) {
      assert.match(r.stdout, /was successful/)
      assert.equal(file('out/hosts'), '192.0.2.10 istiod.istio-system.svc\n')
      assert.match(file('out/cluster.env'), /^ISTIO_META_AUTO_REGISTER_GROUP='vm-app'$/m)
    },
  },
  {
    line: 'meshvm inventory show -i inventory/example.yaml --limit web',
    check(r) {
      const shown = parse(r.stdout)
      assert.deepEqual(
        shown.vms.map((v: { name: string }) => v.name),
        exampleVms,
      )
      assert.deepEqual(shown.vms[1].vars, { worker_processes: 4 })
    },
  },
  {
    line: 'meshvm inventory show -i inventory/example.yaml --ssh',
    check(r) {
      const [vm1, vm2] = parse(r.stdout).vms
      assert.deepEqual(
        vm1.hops.map((h: { connect: string }) => h.connect),
        [`admin@${lab.hosts[0]!.address}:22`],
      )
      // nginx-vm-2 is behind the bastion (proxyJump): two hops, the bastion first, each with its keys
      assert.deepEqual(
        vm2.hops.map((h: { connect: string }) => h.connect),
        [`admin@${lab.hosts[2]!.address}:22`, `admin@${lab.hosts[1]!.address}:22`],
      )
      assert.ok(vm2.hops.every((h: { offers: string[] }) => h.offers.some((o) => o.endsWith('.ssh/id_ed25519'))))
    },
  },
  {
    line: 'meshvm inventory show -i inventory/ansible-example.yaml',
    check: (r) => assert.ok(parse(r.stdout).vms.length > 0, r.stdout),
  },
  {
    line: 'meshvm inventory show -i ansible:inventory/ansible-generator.yml',
    check(r) {
      const names = parse(r.stdout).vms.map((v: { name: string }) => v.name)
      assert.deepEqual(names.sort(), ['ratings-stg-1', 'ratings-stg-2', 'reviews-stg-1', 'reviews-stg-2'])
    },
  },
  {
    line: 'meshvm bundle -i inventory/example.yaml -o out/ --dry-run',
    check(r) {
      assert.match(r.stdout, /^would-create +Namespace istio-demo/m, 'what would be created in the cluster')
      assert.ok(!existsSync(join(cwd, 'out', 'nginx-vm-1')), 'and no file written')
    },
  },
  {
    line: 'meshvm bundle -i inventory/example.yaml -o out/',
    check(r) {
      for (const vm of exampleVms)
        for (const f of ['cluster.env', 'mesh.yaml', 'root-cert.pem', 'istio-token', 'hosts'])
          assert.ok(existsSync(join(cwd, 'out', vm, f)), `out/${vm}/${f}`)
      assert.equal(statSync(join(cwd, 'out', 'nginx-vm-1', 'istio-token')).mode & 0o777, 0o600)
      assert.match(r.stdout, /^created +WorkloadGroup istio-demo\/nginx-vm/m)
    },
  },
  {
    line: 'meshvm bundle -i inventory/example.yaml --dir out/',
    check: (r) => assert.match(r.stdout, /^wrote out\/nginx-vm-1\//m),
  },
  {
    line: 'meshvm bundle -i inventory/example.yaml -o out/ --limit web --context prod',
    check: (r) => assert.match(r.stdout, /^wrote out\/nginx-vm-2\//m),
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml',
    async check(r) {
      assert.deepEqual(recapHosts(r), exampleVms)
      assert.match(recapOf(r), /2 hosts in .*changed=(?!0 )\d+ unreachable=0 failed=0/)
      // the default package: the cluster's release from the (lab's) mirror, for this VM's dpkg
      assert.equal(await sidecarVersion('nginx-vm-1'), '1.24.2lab')
    },
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml --limit web --forks 20 --serial 25% --max-fail 10%',
    check: (r) =>
      assert.match(
        recapOf(r),
        /2 hosts in .*changed=0 /,
        'every step checks before it changes: a second run changes nothing',
      ),
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml --limit web --forks 20',
    check: (r) => assert.match(recapOf(r), /2 hosts in .*changed=0 /),
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml --check --diff',
    before: () => void (requestsBefore = apiRequests().length),
    check(r) {
      assert.match(recapOf(r), /changed=0/)
      // not even a TokenRequest: check mode plans the token step from the claims a new token would carry
      const writes = requestsSince(requestsBefore).filter((q) => q.method !== 'GET')
      assert.deepEqual(writes, [], 'check mode changes nothing in the cluster')
    },
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml --limit @failed --retries 2',
    before: () => {
      mkdirSync(join(cwd, '.meshvm'), { recursive: true })
      writeFileSync(join(cwd, '.meshvm', 'failed'), 'nginx-vm-2\n') // as a run that did not finish nginx-vm-2 leaves it
    },
    check: (r) => assert.deepEqual(recapHosts(r), ['nginx-vm-2'], 'exactly the VMs the last run did not finish'),
  },
  {
    line: 'meshvm onboard',
    code: 5,
    check: (r) => assert.match(r.stderr, /not a terminal, so no questions can be asked/),
  },
  {
    line: 'meshvm onboard -i inventory/example.yaml --print-job --shards 10',
    before: () => void (requestsBefore = apiRequests().length),
    check(r) {
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS())
      assert.deepEqual(
        docs.map((d) => d.kind),
        ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolumeClaim', 'Job'],
      )
      const job = docs[4]
      assert.equal(job.spec.completionMode, 'Indexed')
      assert.equal(job.spec.completions, 10)
      assert.ok(job.spec.template.spec.containers[0].args.includes('--shards=10'))
      assert.deepEqual(requestsSince(requestsBefore), [], 'nothing contacted')
    },
  },
  { line: 'meshvm verify -i inventory/example.yaml', check: (r) => assert.deepEqual(recapHosts(r), exampleVms) },
  {
    line: 'meshvm status -i inventory/example.yaml',
    before: () => void (requestsBefore = apiRequests().length),
    check(r) {
      assert.match(r.stdout, /^nginx-vm-1 +ok +connected /m)
      assert.match(r.stdout, /^nginx-vm-2 +ok +connected /m)
      assert.match(r.stdout, /^2 VM\(s\): 2 ok, 0 attention, 0 broken, 0 unreachable$/m)
      const calls = requestsSince(requestsBefore)
      assert.ok(
        calls.length > 0 && calls.every((q) => q.method === 'GET'),
        `status only reads: ${JSON.stringify(calls)}`,
      )
    },
  },
  {
    line: 'meshvm status -i inventory/example.yaml --output prometheus',
    check(r) {
      for (const vm of exampleVms) assert.match(r.stdout, new RegExp(`^meshvm_status_vm_state\\{vm="${vm}"\\} 0$`, 'm'))
      assert.match(r.stdout, /^meshvm_status_vm_verdict\{vm="nginx-vm-1",verdict="ok",/m)
    },
  },
  {
    line: 'meshvm status -i inventory/example.yaml --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
    // the node_exporter directory is the machine's: the example writes into a private one (its own mount namespace)
    asRun: () =>
      withPrivateVarLib(
        'meshvm status -i inventory/example.yaml --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
      ),
    check() {
      assert.match(file('prom.out'), /^meshvm_status_vm_state\{vm="nginx-vm-2"\} 0$/m, 'the textfile written')
      assert.ok(
        !existsSync('/var/lib/node_exporter/meshvm.prom') ||
          statSync('/var/lib/node_exporter/meshvm.prom').mtimeMs < Date.now() - 60_000,
      )
    },
  },
  {
    line: 'meshvm status -i inventory/example.yaml --limit web --diff',
    check: (r) => assert.match(r.stdout, /^2 VM\(s\): 2 ok,/m),
  },
  {
    line: 'meshvm renew -i inventory/example.yaml',
    check: (r) => assert.match(r.stdout, /^renew: 2 VM\(s\) as they should be, nothing to do \([\d.]+m?s\)\n$/),
  },
  {
    line: 'meshvm renew -i inventory/example.yaml --check --diff',
    // nginx-vm-1's hosts entry for istiod drifted: check mode shows what renew would change, and how, and does nothing
    before: () => onVm(lab.hosts[0]!.address, `sudo sed -i 's/^${lab.gateway} /192.0.2.99 /' /etc/hosts`),
    async check(r) {
      assert.match(r.stdout, /^nginx-vm-1: Add the mesh hosts to \/etc\/hosts: changed: would update block/m)
      assert.match(r.stdout, /^ {4}-192\.0\.2\.99 istiod\.istio-system\.svc\n {4}\+\S+ istiod\.istio-system\.svc$/m)
      assert.match(r.stdout, /^renew: 2 VM\(s\): 1 would change \(1 step\(s\)\), 0 failed or unreachable/m)
      assert.match((await onVm(lab.hosts[0]!.address, 'cat /etc/hosts')).stdout, /^192\.0\.2\.99 /m, 'unchanged')
    },
  },
  {
    line: 'meshvm renew -i inventory/example.yaml --output json',
    async check(r) {
      const events = jsonLines(r)
      assert.equal(events[0]!.type, 'run-start')
      assert.ok(
        events.some(
          (e) =>
            e.type === 'step-end' && e.host === 'nginx-vm-1' && (e.result as { status: string }).status === 'changed',
        ),
        'renew put the hosts block back',
      )
      assert.doesNotMatch((await onVm(lab.hosts[0]!.address, 'cat /etc/hosts')).stdout, /192\.0\.2\.99/)
    },
  },
  {
    line: 'meshvm renew --print-cronjob --namespace meshvm --schedule "*/5 * * * *" > meshvm-renew.yaml',
    check() {
      const docs = parseAllDocuments(file('meshvm-renew.yaml')).map((d) => d.toJS())
      assert.deepEqual(
        docs.map((d) => d.kind),
        ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'CronJob'],
      )
      const cron = docs[3]
      assert.equal(cron.metadata.namespace, 'meshvm')
      assert.equal(cron.spec.schedule, '*/5 * * * *')
      assert.equal(cron.spec.concurrencyPolicy, 'Forbid')
    },
  },
  {
    line: 'meshvm renew --print-systemd --inventory /etc/meshvm/inventory.yaml',
    check(r) {
      assert.match(r.stdout, /^Type=oneshot$/m)
      assert.match(r.stdout, /^ExecStart=.*meshvm renew -i \/etc\/meshvm\/inventory\.yaml/m)
      assert.match(r.stdout, /^\[Timer\]$/m)
    },
  },
  {
    line: 'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package ./istio-sidecar-1.24.2.deb --serial 3 --max-fail 0',
    before: () => downgrade(),
    async check(r) {
      assert.match(r.stdout, /batch 1\/1: nginx-vm-1 nginx-vm-2/)
      assert.match(recapOf(r), /2 hosts in .*changed=(?!0 )\d+ unreachable=0 failed=0/)
      for (const vm of exampleVms) assert.equal(await sidecarVersion(vm), '1.24.2lab', vm)
    },
  },
  {
    line: 'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package ./istio-sidecar.deb --serial 3',
    check: (r) => assert.match(recapOf(r), /2 hosts in .*changed=0 .*failed=0/, 'already there: nothing to do'),
  },
  {
    line: 'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package https://storage.googleapis.com/istio-release/releases/1.24.2/deb/istio-sidecar.deb --sha256 <64 hex>',
    // Istio's release layout, from the lab's mirror of it (nothing leaves the machine), with its published sha256
    asRun() {
      const url = `${lab.mirror}/1.24.2/deb/istio-sidecar.deb`
      const sha = /^[0-9a-f]{64}/.exec(file('lab/packages/releases/1.24.2/deb/istio-sidecar.deb.sha256'))![0]
      return `meshvm upgrade -i inventory/example.yaml --to 1.24.2 --package ${url} --sha256 ${sha}`
    },
    before: () => downgrade('nginx-vm-2'),
    async check(r) {
      assert.match(r.stdout, /^nginx-vm-2 : ok=\d+ +changed=(?!0 )\d+ /m, 'nginx-vm-2 upgraded')
      assert.match(r.stdout, /^nginx-vm-1 : ok=\d+ +changed=0 /m, 'nginx-vm-1 already was')
      assert.equal(await sidecarVersion('nginx-vm-2'), '1.24.2lab')
    },
  },
  {
    line: 'meshvm upgrade -i inventory/example.yaml --to 1.24.2 --limit @failed',
    // no --package and none in the inventory: the default package of 1.24.2, from the (lab's) release mirror
    before: async () => {
      await downgrade('nginx-vm-2')
      writeFileSync(join(cwd, '.meshvm', 'failed'), 'nginx-vm-2\n')
    },
    async check(r) {
      assert.deepEqual(recapHosts(r), ['nginx-vm-2'])
      assert.match(r.stdout, /^nginx-vm-2 : ok=\d+ +changed=(?!0 )\d+ /m)
      assert.equal(await sidecarVersion('nginx-vm-2'), '1.24.2lab')
    },
  },
  {
    line: 'meshvm run playbooks/verify.yaml -i inventory/example.yaml',
    check: (r) => assert.match(recapOf(r), /^RECAP verify\n[\s\S]*2 hosts in .*failed=0/),
  },
  {
    line: 'meshvm run my-playbook.yaml -i inventory/example.yaml --limit web --check --diff',
    // my-playbook.yaml is the example playbook of README's "Playbooks" section
    before: () =>
      writeFileSync(
        join(cwd, 'my-playbook.yaml'),
        /## Playbooks[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readFileSync(join(repo, 'README.md'), 'utf8'))![1]!,
      ),
    check(r) {
      assert.match(
        r.stdout,
        /nginx-vm-1 \[\d+\/\d+\] Say hello once: would change .*would run echo hello > \/var\/lib\/hello/,
      )
      assert.match(recapOf(r), /RECAP example/)
    },
  },
  {
    line: 'meshvm report merge shard-*.log -i inventory/example.yaml',
    before: () => podLogs('verify -i inventory/example.yaml'),
    check(r) {
      assert.match(recapOf(r), /^RECAP verify\n[\s\S]*^2 hosts in .*failed=0/m)
      const merged = JSON.parse(file('.meshvm/last-run.json'))
      assert.deepEqual(merged.shards, { count: 3, reported: [0, 1, 2] })
      assert.deepEqual(Object.keys(merged.hosts).sort(), exampleVms)
      assert.deepEqual(failedList(), [])
    },
  },
  {
    line: 'meshvm report merge shard-0.json shard-1.json shard-2.json',
    before: async () => {
      for (const i of [0, 1, 2])
        await setUp(`meshvm verify -i inventory/example.yaml --shard ${i}/3 --report shard-${i}.json`, `shard ${i}`)
    },
    check(r) {
      assert.match(recapOf(r), /^2 hosts in .*failed=0/m)
      assert.deepEqual(JSON.parse(file('.meshvm/last-run.json')).shards, { count: 3, reported: [0, 1, 2] })
    },
  },
  {
    line: 'meshvm offboard -i inventory/example.yaml --check',
    check: async (r) => {
      assert.match(r.stdout, /nginx-vm-1 .*would /)
      assert.equal(await sidecarVersion('nginx-vm-1'), '1.24.2lab', 'check mode removed nothing')
    },
  },
  {
    line: 'meshvm offboard -i inventory/example.yaml --limit nginx-vm-2 --yes',
    async check(r) {
      assert.deepEqual(recapHosts(r), ['nginx-vm-2'])
      assert.equal(await sidecarVersion('nginx-vm-2'), '', 'the package is gone')
      assert.equal(await sidecarVersion('nginx-vm-1'), '1.24.2lab', 'the other VM kept')
    },
  },
  {
    line: 'meshvm inventory from-vagrant --dir . -o inventory/vagrant.yaml',
    check: () => assert.match(file('inventory/vagrant.yaml'), /default:[\s\S]*address: 198\.18\./),
  },
  {
    line: 'meshvm inventory from-vagrant --dir . -o inventory/vagrant.yaml --app web --namespace web-vms',
    check: () => assert.match(file('inventory/vagrant.yaml'), /app: web\n[\s\S]*namespace: web-vms/),
  },
  {
    line: 'meshvm inventory from-vagrant -o inventory/vagrant.yaml --app web --namespace web-vms',
    check: () => assert.match(file('inventory/vagrant.yaml'), /namespace: web-vms/),
  },
  { line: 'meshvm onboard --vagrant', check: (r) => assert.deepEqual(recapHosts(r), ['default']) },
  {
    line: 'meshvm onboard --vagrant --kubeconfig ~/.kube/kind-config',
    check: (r) => assert.deepEqual(recapHosts(r), ['default']),
  },
  {
    line: 'meshvm onboard --vagrant --kubeconfig ~/.kube/config --accept-new-host-keys',
    check: (r) => assert.deepEqual(recapHosts(r), ['default']),
  },
  { line: 'meshvm verify -i inventory/vagrant.yaml', check: (r) => assert.deepEqual(recapHosts(r), ['default']) },
  // fresh hosts for the demo: the fleet examples above left their own identities on them
  {
    line: 'meshvm lab reset',
    check: (r) => assert.match(r.stdout, /^lab reset in [\d.]+ s: 3 host\(s\) back to the fresh base$/m),
  },
  { line: 'meshvm demo', check: (r) => assert.match(r.stdout + r.stderr, /RECAP verify[\s\S]*3 hosts in .*failed=0/) },
  {
    line: 'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json',
    check(r) {
      const events = jsonLines(r)
      assert.equal(events.at(-1)!.type, 'run-end')
      assert.equal(events.filter((e) => e.type === 'host-end' && e.status === 'ok').length, 3)
    },
  },
  {
    line: 'meshvm report',
    check(r) {
      assert.match(
        r.stdout,
        /^meshvm verify -i lab\/inventory\.yaml --kubeconfig lab\/kubeconfig --output json {3}\(/,
        'the last run',
      )
      assert.match(r.stdout, /^RECAP verify$/m)
    },
  },
  {
    line: 'meshvm report --json',
    check(r) {
      const report = JSON.parse(r.stdout)
      assert.equal(report.schemaVersion, 1)
      assert.deepEqual(report.argv.slice(0, 2), ['meshvm', 'verify'])
      assert.equal(Object.keys(report.hosts).length, 3)
    },
  },
  {
    line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig',
    check: (r) => assert.match(r.stdout, /^3 VM\(s\): 3 ok, 0 attention, 0 broken, 0 unreachable$/m),
  },
  {
    line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json',
    check(r) {
      const vms = JSON.parse(r.stdout).vms as { vm: string; verdict: string }[]
      assert.deepEqual(
        vms.map((v) => v.verdict),
        ['ok', 'ok', 'ok'],
      )
    },
  },
  {
    line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
    asRun: () =>
      withPrivateVarLib(
        'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
      ),
    check: () => {
      for (const h of lab.hosts)
        assert.match(
          file('prom.out'),
          new RegExp(`^meshvm_status_vm_workload_entry_present\\{vm="${h.name}"\\} 1$`, 'm'),
        )
    },
  },
  {
    line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --limit vm1 --diff',
    asRun: () => `meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --limit ${lab.hosts[0]!.name} --diff`,
    check: (r) => assert.match(r.stdout, /^1 VM\(s\): 1 ok,/m),
  },
  {
    line: 'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --shard 1/3',
    check(r) {
      const expected = lab.hosts.filter((h) => shardOf(h.name, 3) === 1).map((h) => h.name)
      assert.deepEqual(recapHosts(r), expected, 'the VMs whose rendezvous hash is shard 1')
    },
  },
  {
    line: 'meshvm report merge shard-0.log shard-1.log shard-2.log -i lab/inventory.yaml',
    code: 2,
    // one VM down while the pods ran: the merge is one report, and a failed list with that VM
    before: async () => {
      assert.equal((await onVm(lab.hosts[2]!.address, 'sudo systemctl stop istio')).code, 0)
      await podLogs('verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig')
    },
    check(r) {
      assert.match(recapOf(r), /^3 hosts in .*failed=1/m)
      assert.deepEqual(failedList(), [lab.hosts[2]!.name])
    },
  },
  {
    line: 'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --limit @failed',
    // the VM fixed, resume what the merge lists
    before: () => startIstio(lab.hosts[2]!.address),
    check: (r) => assert.deepEqual(recapHosts(r), [lab.hosts[2]!.name]),
  },
  {
    line: 'meshvm lab down',
    check: (r) => assert.match(r.stdout, /^lab down: stopped 3 host\(s\) and the lab cluster/m),
  },
  {
    line: 'meshvm lab up --vms 2 --cert-ttl 90s --ca-mode token-only',
    async check(r) {
      assert.match(r.stdout, /^lab up in [\d.]+ s: 2 host\(s\)/m)
      lab.hosts = [...r.stdout.matchAll(/^ {2}(vm\d+)\s+(\S+)/gm)].map((m) => ({ name: m[1]!, address: m[2]! }))
      await setUp('meshvm onboard -i lab/inventory.yaml --kubeconfig lab/kubeconfig', 'a VM with a certificate')
      const chain = (await onVm(lab.hosts[0]!.address, 'sudo cat /etc/certs/cert-chain.pem')).stdout
      const cert = new X509Certificate(chain)
      // issued just now, with the second of backdating istiod gives notBefore
      const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000
      assert.ok(lifetime >= 90 && lifetime <= 91, `certificates that live 90 s: ${cert.validFrom} → ${cert.validTo}`)
      const status = JSON.parse(
        (await sh('meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json')).stdout,
      )
      const vms = status.vms as { facts: { certificate: { renewsItself: boolean } } }[]
      assert.equal(vms[0]!.facts.certificate.renewsItself, false, "istio-csr's default: renewal needs the token")
    },
  },
  {
    line: 'meshvm lab rotate-root overlap',
    check: (r) =>
      assert.match(
        r.stdout,
        /^lab root rotation overlap: istio-ca-root-cert holds \S+ \(signing\) \+ \S+$/m,
        'old signs',
      ),
  },
  {
    line: 'meshvm lab token --vm vm1 --ttl 20s',
    asRun: () => `meshvm lab token --vm ${lab.hosts[0]!.name} --ttl 20s`,
    check(r) {
      const until = Date.parse(/valid until (\S+) \(not printed\)$/m.exec(r.stdout)![1]!)
      assert.ok(Math.abs(until - Date.now() - 20_000) < 10_000, `expires in about 20 s: ${r.stdout}`)
    },
  },
  {
    line: 'meshvm lab down',
    check: (r) => assert.match(r.stdout, /^lab down: stopped 2 host\(s\) and the lab cluster/m),
  },
  {
    line: 'meshvm demo --vms 10',
    check: (r) => assert.match(r.stdout + r.stderr, /RECAP verify[\s\S]*10 hosts in .*failed=0/),
  },
]

const packageJson = () => JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
const elsewhere: Elsewhere[] = [
  {
    line: 'npm run demo',
    why: 'the npm script of `meshvm demo`, run above',
    covered: () => packageJson().scripts.demo.endsWith('node bin/meshvm.js demo'),
  },
  {
    line: 'npm test',
    why: 'this test suite itself',
    covered: () => packageJson().scripts.test.endsWith('node test/run.mjs'),
  },
  {
    line: 'npm ci && npm run build',
    why: '.ci/run installs with npm ci; npm test builds',
    covered: () => readFileSync(join(repo, '.ci/run'), 'utf8').includes('npm ci'),
  },
  { line: 'vagrant up', why: "Vagrant's own command: a stand-in vagrant answers here", covered: () => true },
  {
    line: 'meshvm onboard --kubeconfig lab/kubeconfig',
    why: 'the wizard on a terminal: test/prompts/wizard.test.ts types its answers in tmux',
    covered: () =>
      readFileSync(join(repo, 'test/prompts/wizard.test.ts'), 'utf8').includes(
        'cli(`onboard --kubeconfig ${kubeconfig}`)',
      ),
  },
]

test('an example with no entry fails, saying how to add one; an entry no document shows fails too', () => {
  const examples = [
    { line: 'meshvm frobnicate --all', where: 'README.md:7' },
    ...specs.slice(0, 1).map((s) => ({ line: s.line, where: 'x' })),
  ]
  const problems = entryProblems(examples, [specs[0]!.line, 'meshvm gone'], THIS_FILE)
  assert.equal(problems.length, 2)
  assert.match(
    problems[0]!,
    /^README\.md:7: "meshvm frobnicate --all" has no entry in test\/docs\/examples\.test\.ts\. Add one to `specs`/,
  )
  assert.match(problems[1]!, /^"meshvm gone" has an entry .* but no document shows it any more/)
})

test('every documented example has an entry here', async () => {
  const problems = entryProblems(
    await allExamples(),
    [...specs.map((s) => s.line), ...elsewhere.map((e) => e.line)],
    THIS_FILE,
  )
  assert.deepEqual(problems, [], problems.join('\n'))
  for (const e of elsewhere) assert.ok(e.covered(), `${e.line}: ${e.why} — no longer true`)
})

describe('every documented example', { skip: labSkipReason, timeout: 1_500_000 }, () => {
  before(async () => {
    await stopOrphanedTestLabs()
    // not under the test-lab prefix: the lab's owner is the short-lived `meshvm lab up`, so other test files'
    // clean-up of orphaned test labs would stop it mid-run
    cwd = mkdtempSync('/tmp/meshvm-docs-')
    home = join(cwd, '.home')
    mkdirSync(join(cwd, '.bin'), { recursive: true })
    mkdirSync(home)
    writeFileSync(join(cwd, '.bin', 'meshvm'), `#!/bin/sh\nexec '${process.execPath}' '${meshvmBin}' "$@"\n`, {
      mode: 0o755,
    })
    symlinkSync(join(repo, 'playbooks'), join(cwd, 'playbooks'))
  })
  after(async () => {
    if (!cwd) return
    await sh('meshvm lab down')
    const left = await labLeftovers(labIdOf(join(cwd, 'lab')), join(cwd, 'lab'))
    rmSync(cwd, { recursive: true, force: true })
    assert.deepEqual(left, [])
  })

  test('each example runs and does what its documentation says', async () => {
    const examples = await allExamples()
    const started = Date.now()
    for (const spec of specs) {
      const where = examples
        .filter((e) => e.line === spec.line)
        .map((e) => e.where)
        .join(', ')
      const t0 = Date.now()
      await spec.before?.()
      const r = await sh(spec.asRun?.() ?? spec.line, spec.inRepo ? repo : cwd)
      assert.equal(r.code, spec.code ?? 0, `${spec.line} (${where}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
      try {
        await spec.check?.(r)
      } catch (e) {
        throw new Error(
          `${spec.line} (${where}): ${(e as Error).message}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
        )
      }
      console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s  ${spec.line}`)
    }
    console.log(`# ${specs.length} examples in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  })
})
