// Exit 5 means nothing was contacted: every bad flag, inventory, playbook, template and package file is refused before
// any SSH connection is opened (the VM's sshd logs no connection) and before any request reaches the cluster (the
// API emulator's request log does not grow). The same VM and cluster do see a good run, so the checks can fail.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parseArgs } from '../../src/commands/args.js'
import { writeKubeconfig } from '../../src/lab/kube-api/kubeconfig-file.js'
import type { KubeApi } from '../../src/lab/kube-api/server.js'
import { startSshd, type Sshd } from '../support/sshd.js'
import { startLabClusterApi } from '../support/lab-api.js'
import { runCli } from '../support/run-cli.js'

describe('input is checked before anything is contacted', () => {
  let api: KubeApi
  let sshd: Sshd
  let dir: string
  let kubeconfig: string
  const inventory = () => join(dir, 'inventory.yaml')
  const logins = () => (sshd.log().match(/Connection from 127\.0\.0\.1/g) ?? []).length
  // file names are the test dir's: meshvm reads paths from its own working directory
  // and --check first (a case may override it): should a check not hold, the run still changes nothing on this machine
  const meshvm = (command: string, ...args: string[]) =>
    runCli(
      [
        command,
        '--check',
        '--kubeconfig',
        kubeconfig,
        '--output',
        'plain',
        ...args.map((a) => (/\.(yaml|deb)$/.test(a) ? join(dir, a) : a)),
      ],
      {},
      dir,
    )

  before(async () => {
    api = await startLabClusterApi('192.0.2.1')
    sshd = await startSshd()
    dir = mkdtempSync(join(tmpdir(), 'meshvm-checked-first-'))
    kubeconfig = await writeKubeconfig(api, join(dir, 'kubeconfig'))
    writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`)
    writeFileSync(join(dir, 'istio-sidecar.deb'), 'not really a package')
    writeFileSync(
      inventory(),
      [
        'defaults:',
        `  { user: root, identityFile: ${sshd.clientKey}, knownHostsFile: known_hosts, app: web, namespace: apps,`,
        '    package: { file: istio-sidecar.deb }, autoregister: no }',
        'vms:',
        `  vm-a: { address: 127.0.0.1, port: ${sshd.port} }`,
        '',
      ].join('\n'),
    )
  })
  after(async () => {
    await api.close()
    await sshd.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const refused: [string, string[], RegExp][] = [
    [
      '--serial 0',
      ['onboard', '-i', 'inventory.yaml', '--serial', '0'],
      /--serial: a batch is a whole number of VMs, at least 1, got "0"/,
    ],
    [
      '--serial ten',
      ['onboard', '-i', 'inventory.yaml', '--serial', 'ten'],
      /--serial: expected a count, a percentage like 25%, or a list of them like 1,5,25%/,
    ],
    [
      '--forks 0',
      ['onboard', '-i', 'inventory.yaml', '--forks', '0'],
      /--forks: expected a whole number of at least 1 \(VMs at a time\), got 0/,
    ],
    ['--forks 2.5', ['verify', '-i', 'inventory.yaml', '-f', '2.5'], /--forks: expected a whole number of at least 1/],
    [
      '--retries -1',
      ['onboard', '-i', 'inventory.yaml', '--retries', '-1'],
      /--retries: expected a whole number of at least 0 \(extra attempts\), got -1/,
    ],
    [
      '--max-fail 120%',
      ['offboard', '-i', 'inventory.yaml', '--yes', '--max-fail', '120%'],
      /--max-fail: expected a percentage 0-100, got "120%"/,
    ],
    [
      '--output fancy',
      ['onboard', '-i', 'inventory.yaml', '--output', 'fancy'],
      /--output must be one of tty, plain, json/,
    ],
    [
      'a mistyped flag',
      ['onboard', '-i', 'inventory.yaml', '--chek'],
      /unknown flag --chek \(did you mean --check\?\)/,
    ],
    [
      'a yes/no flag value that is neither',
      ['onboard', '-i', 'inventory.yaml', '--diff=maybe'],
      /--diff: expected yes\/no or true\/false, got "maybe"/,
    ],
    ['an unknown short flag in a bundle', ['onboard', '-i', 'inventory.yaml', '-Cx'], /unknown flag -x/],
  ]
  for (const [what, argv, message] of refused)
    test(`${what}: exit 5 with a clear message, no connection, no cluster request`, async () => {
      const [requests, sessions] = [api.requests.length, logins()]
      const r = await meshvm(argv[0]!, ...argv.slice(1))
      assert.equal(r.code, 5, r.stdout + r.stderr)
      assert.match(r.stderr, message)
      assert.equal(api.requests.length, requests, 'no cluster request')
      assert.equal(logins(), sessions, 'no SSH connection')
    })

  test('a bad playbook, a missing template variable, a missing package file: exit 5 before the cluster objects are made', async () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: bad\nsteps:\n  - name: Mkdir\n    directory: { path: /tmp/x, mdoe: "0755" }\n',
    )
    writeFileSync(
      join(dir, 'template.yaml'),
      "name: t\nsteps:\n  - name: Mkdir\n    directory: { path: '/srv/{{ vars.app }}' }\n",
    )
    writeFileSync(join(dir, 'gone.yaml'), readInventoryText().replace('istio-sidecar.deb', 'no-such.deb'))
    const cases: [string[], RegExp][] = [
      [
        ['onboard', '-i', 'inventory.yaml', '--playbook', 'bad.yaml'],
        /bad\.yaml:4:32: unknown key 'mdoe' for directory \(accepted: path, present, owner, group, mode\)/,
      ],
      [
        ['run', 'template.yaml', '-i', 'inventory.yaml'],
        /template\.yaml:4:\d+: directory\.path: missing variable 'vars\.app'/,
      ],
      [
        ['onboard', '-i', 'gone.yaml'],
        /onboard\.yaml:\d+:\d+: package\.source\.file: no such file .*no-such\.deb \(the package to push\)/,
      ],
    ]
    for (const [argv, message] of cases) {
      const [requests, sessions] = [api.requests.length, logins()]
      const r = await meshvm(argv[0]!, ...argv.slice(1))
      assert.equal(r.code, 5, `${argv.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, message)
      assert.doesNotMatch(r.stderr, /cluster: created/)
      assert.equal(api.requests.length, requests, `${argv.join(' ')}: no cluster request`)
      assert.equal(logins(), sessions, `${argv.join(' ')}: no SSH connection`)
    }
  })

  test('the same VM and cluster see a good run: --serial 10 (a count) and bundled short flags are accepted', async () => {
    const [requests, sessions] = [api.requests.length, logins()]
    const r = await meshvm('onboard', '-i', 'inventory.yaml', '--serial', '10', '-CD', '--forks=5', '--check=yes')
    assert.ok(api.requests.length > requests, 'the cluster was asked')
    assert.ok(logins() > sessions, 'the VM was logged in to')
    assert.match(r.stdout, /run onboard on 1 hosts \(check mode/, r.stdout + r.stderr)
  })

  function readInventoryText() {
    return readFileSync(inventory(), 'utf8')
  }
})

test('short flags bundle as getopt: -Cv, -vvv, -f20, -f 20; --x=yes|no for booleans', () => {
  const specs = {
    check: { type: 'boolean', short: 'C' },
    verbose: { type: 'boolean', short: 'v' },
    forks: { type: 'number', short: 'f' },
    inventory: { type: 'string', short: 'i' },
  } as const
  assert.deepEqual(parseArgs(['-Cv'], specs).flags, { check: true, verbose: true })
  assert.deepEqual(parseArgs(['-vvv'], specs).flags, { verbose: true })
  assert.deepEqual(parseArgs(['-Cf20', '-iinv.yaml'], specs).flags, { check: true, forks: 20, inventory: 'inv.yaml' })
  assert.deepEqual(parseArgs(['-vf', '20'], specs).flags, { verbose: true, forks: 20 })
  assert.deepEqual(parseArgs(['--check=yes', '--verbose=no'], specs).flags, { check: true, verbose: false })
  assert.deepEqual(parseArgs(['--check=off', '--verbose=On'], specs).flags, { check: false, verbose: true })
})

test('commands: "did you mean", and `meshvm help onboard` is onboard --help', async () => {
  const typo = await runCli(['onbaord'])
  assert.equal(typo.code, 5)
  assert.match(typo.stderr, /^meshvm: unknown command "onbaord" \(did you mean onboard\?\)/)
  const help = await runCli(['help', 'onboard'])
  assert.equal(help.code, 0)
  assert.equal(help.stdout, (await runCli(['onboard', '--help'])).stdout)
  assert.match(help.stdout, /^Usage: meshvm onboard/)
  assert.equal(
    (await runCli(['help', 'workload-group'])).stdout,
    (await runCli(['workload-group', 'create', '--help'])).stdout,
  )
})
