// Every documented example is a test: each command line of README.md, playbooks/README.md and every `--help` is
// extracted and run here, as a user types it (`sh -c` in a project directory, `meshvm` on PATH), against a lab made by
// the documented `meshvm lab up --vms 3`; its documented outcome is asserted. inventory/example.yaml is used as it is,
// moved onto the lab (its addresses, port and bastion replaced by the lab's; its ~/.ssh key is the lab's key in a test
// HOME). A new example with no entry below still runs, and must exit 0; an entry no document shows any more fails.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse, stringify } from 'yaml'
import { usage } from '../../src/main.js'
import { labLeftovers, labSkipReason, stopOrphanedTestLabs } from '../support/lab-hosts.js'
import { runCli } from '../support/run-cli.js'
import { labIdOf } from '../../src/lab/hosts/index.js'
import { helpExamples, markdownExamples, type Example } from './examples.js'

const repo = new URL('../../../', import.meta.url).pathname
const meshvmBin = join(repo, 'bin', 'meshvm.js')

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
  /** What is run instead, when the line names a lab host by its usual name (other labs may hold vm1). */
  asRun?: () => string
  before?: () => void | Promise<void>
  check?: (r: Run) => void
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
    help.push(...helpExamples(r.stdout, `meshvm ${command} --help`))
  }
  return [...docs, ...help]
}

describe('every documented example', { skip: labSkipReason, timeout: 1_200_000 }, () => {
  let cwd: string
  let home: string
  let lab: { hosts: { name: string; address: string }[]; gateway: string; mirror: string }
  const file = (p: string) => readFileSync(join(cwd, p), 'utf8')
  let promDirMade = false

  const sh = (line: string, dir = cwd): Promise<Run> =>
    new Promise((resolve, reject) => {
      const env = {
        PATH: `${join(cwd, '.bin')}:${process.env.PATH}`,
        HOME: home,
        // the sidecar package comes from the lab's release mirror: no internet here
        MESHVM_PACKAGE_MIRROR: lab?.mirror ?? '',
        XDG_CACHE_HOME: join(cwd, '.cache'),
        NO_COLOR: '1',
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

  const recapOf = (r: Run) => /^RECAP [\s\S]*$/m.exec(r.stdout)?.[0] ?? ''
  const recapHosts = (r: Run) => [...recapOf(r).matchAll(/^(\S+) : ok=/gm)].map((m) => m[1])
  const everyLineJson = (r: Run) =>
    r.stdout
      .trim()
      .split('\n')
      .forEach((l) => JSON.parse(l))

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
      },
    },
    { line: 'meshvm lab status', check: (r) => assert.match(r.stdout, /^cluster: running/m) },
    {
      line: 'node bin/meshvm.js --help',
      inRepo: true,
      check: (r) => assert.match(r.stdout, /^Commands:\n {2}onboard /m),
    },
    {
      line: 'meshvm workload-group create --name foo --namespace bar',
      check: (r) =>
        assert.equal(
          r.stdout,
          readFileSync(
            join(repo, 'test/fixtures/conformance/istioctl-workload-group-create/minimal/expected.yaml'),
            'utf8',
          ),
        ),
    },
    {
      line: 'meshvm x workload group create --name foo -n bar -l app=foo,bar=baz -p grpc=3550,http=8080 -a annotation=foobar --serviceAccount test --weight 100',
      check: (r) =>
        assert.equal(
          r.stdout,
          readFileSync(
            join(repo, 'test/fixtures/conformance/istioctl-workload-group-create/full/expected.yaml'),
            'utf8',
          ),
        ),
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
      before: async () =>
        assert.equal(
          (await sh('meshvm bundle -i .setup.yaml -o .setup-out')).code,
          0,
          'namespace, service account and group for the workload-entry examples',
        ),
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
      check: (r) => assert.match(r.stdout, /nginx-vm-1[\s\S]*nginx-vm-2/),
    },
    {
      line: 'meshvm bundle -i inventory/example.yaml -o out/ --dry-run',
      check: (r) =>
        assert.match(r.stdout, /^would-create +Namespace istio-demo/m, 'what would be created in the cluster'),
    },
    {
      line: 'meshvm bundle -i inventory/example.yaml -o out/',
      check(r) {
        for (const vm of ['nginx-vm-1', 'nginx-vm-2'])
          for (const f of ['cluster.env', 'mesh.yaml', 'root-cert.pem', 'istio-token', 'hosts'])
            assert.ok(existsSync(join(cwd, 'out', vm, f)), `out/${vm}/${f}`)
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
      check(r) {
        assert.deepEqual(recapHosts(r), ['nginx-vm-1', 'nginx-vm-2'])
        assert.match(recapOf(r), /2 hosts in .*changed=(?!0 )\d+ unreachable=0 failed=0/)
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
      check: (r) => assert.match(recapOf(r), /changed=0/),
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
      line: 'meshvm verify -i inventory/example.yaml',
      check: (r) => assert.deepEqual(recapHosts(r), ['nginx-vm-1', 'nginx-vm-2']),
    },
    {
      line: 'meshvm run playbooks/verify.yaml -i inventory/example.yaml',
      check: (r) => assert.match(recapOf(r), /RECAP verify/),
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
      line: 'meshvm offboard -i inventory/example.yaml --check',
      check: (r) => assert.match(r.stdout, /nginx-vm-1 .*would /),
    },
    {
      line: 'meshvm offboard -i inventory/example.yaml --limit nginx-vm-2 --yes',
      check: (r) => assert.deepEqual(recapHosts(r), ['nginx-vm-2']),
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
    { line: 'meshvm demo', check: (r) => assert.match(r.stdout + r.stderr, /RECAP verify/) },
    { line: 'meshvm verify -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output json', check: everyLineJson },
    {
      line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --output prometheus --prometheus-file /var/lib/node_exporter/meshvm.prom',
      before: () => {
        // the node_exporter textfile directory the example names: made here if missing, removed after
        promDirMade = !existsSync('/var/lib/node_exporter')
        mkdirSync('/var/lib/node_exporter', { recursive: true })
      },
      check(r) {
        try {
          assert.match(readFileSync('/var/lib/node_exporter/meshvm.prom', 'utf8'), /^# HELP meshvm_/m)
          assert.match(r.stdout, /^# HELP meshvm_/m)
        } finally {
          rmSync('/var/lib/node_exporter/meshvm.prom', { force: true })
          if (promDirMade) rmSync('/var/lib/node_exporter', { recursive: true, force: true })
        }
      },
    },
    {
      line: 'meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --limit vm1 --diff',
      asRun: () =>
        `meshvm status -i lab/inventory.yaml --kubeconfig lab/kubeconfig --limit ${lab.hosts[0]!.name} --diff`,
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
    { line: 'meshvm report --json', check: (r) => assert.equal(JSON.parse(r.stdout).schemaVersion, 1) },
    {
      line: 'meshvm lab down',
      check: (r) => assert.match(r.stdout, /^lab down: stopped 3 host\(s\) and the lab cluster/m),
    },
    { line: 'meshvm demo --vms 10', check: (r) => assert.match(r.stdout + r.stderr, /RECAP verify[\s\S]*10 hosts in/) },
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
    const shown = new Set(examples.map((e) => e.line))
    const known = new Set([...specs.map((s) => s.line), ...elsewhere.map((e) => e.line)])
    for (const s of known) assert.ok(shown.has(s), `"${s}" is in this test but no document shows it any more`)
    for (const e of elsewhere) assert.ok(e.covered(), `${e.line}: ${e.why} — no longer true`)
    const unlisted = [...shown].filter((l) => !known.has(l)).map((line): Spec => ({ line }))
    // new examples run while the lab still holds what the ones before made, before it is torn down
    const teardown = specs.findIndex((s) => s.line === 'meshvm lab down')
    for (const spec of [...specs.slice(0, teardown), ...unlisted, ...specs.slice(teardown)]) {
      await spec.before?.()
      const r = await sh(spec.asRun?.() ?? spec.line, spec.inRepo ? repo : cwd)
      const where = examples
        .filter((e) => e.line === spec.line)
        .map((e) => e.where)
        .join(', ')
      assert.equal(r.code, spec.code ?? 0, `${spec.line} (${where}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
      try {
        spec.check?.(r)
      } catch (e) {
        throw new Error(
          `${spec.line} (${where}): ${(e as Error).message}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
        )
      }
    }
  })
})
