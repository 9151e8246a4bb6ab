// What a person sees: meshvm's output (live tree in a real 80x24 terminal, plain lines) next to Ansible's default
// output for the same onboarding of an N-VM lab fleet (bench/ansible/onboard.yml), fresh, no-op, and with one VM
// unreachable. Prints line counts and each output's last lines. Root, Linux, tmux, ansible-playbook.
//   node bench/output.mjs [--vms 30] [--dir DIR]
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { labDown, repo } from './measure.mjs'

const { values: o } = parseArgs({ options: { vms: { type: 'string', default: '30' }, dir: { type: 'string' } } })
const n = Number(o.vms)
const dir = o.dir ?? join(mkdtempSync('/tmp/meshvm-output-'), 'lab')
const out = `${dir}.bench`
mkdirSync(out, { recursive: true })
const log = (s) => console.error(`bench: ${new Date().toISOString().slice(11, 19)} ${s}`)
const meshvm = (...args) =>
  spawnSync(process.execPath, [join(repo, 'bin/meshvm.js'), ...args], { encoding: 'utf8', cwd: out })
const kube = ['--kubeconfig', join(dir, 'kubeconfig')]

/** Runs a command line in a private tmux server at 80x24 until it ends; returns everything the terminal showed. */
function inTmux(line) {
  const name = `meshvm-output-${process.pid}`
  const script = `cd '${out}' && ${line}; echo "[exit $?]"; sleep 600`
  execFileSync('tmux', ['-L', name, 'new-session', '-d', '-s', name, '-x', '80', '-y', '24', script])
  try {
    for (let i = 0; i < 1200; i++) {
      const text = execFileSync('tmux', ['-L', name, 'capture-pane', '-p', '-J', '-S', '-', '-t', name], {
        encoding: 'utf8',
      })
      if (/\[exit \d+\]/.test(text)) return text.replace(/\n*\[exit \d+\][\s\S]*$/, '\n')
      spawnSync('sleep', ['0.5'])
    }
    throw new Error(`${line}: did not end in 10 min`)
  } finally {
    spawnSync('tmux', ['-L', name, 'kill-server'])
  }
}

const lines = (text) => text.replace(/\n+$/, '').split('\n')
const results = []
function record(tool, what, text) {
  const all = lines(text)
  results.push({ tool, what, lines: all.length })
  writeFileSync(join(out, `${tool}-${what}.txt`.replaceAll(' ', '-')), text)
  console.log(`\n== ${tool}, ${what}: ${all.length} lines; the last 12:`)
  for (const l of all.slice(-12)) console.log(`   ${l}`)
}

try {
  log(`lab up --vms ${n}`)
  const up = meshvm('lab', 'up', '--vms', String(n), '--dir', dir)
  if (up.status !== 0) throw new Error(up.stderr)
  const inventory = join(dir, 'inventory.yaml')
  const cli = `${process.execPath} ${join(repo, 'bin/meshvm.js')} onboard -i ${inventory} ${kube.join(' ')}`

  log('meshvm onboard, fresh and no-op, on an 80x24 terminal')
  record('meshvm tty', 'fresh', inTmux(cli))
  record('meshvm tty', 'no-op', inTmux(cli))
  record('meshvm plain', 'no-op', meshvm('onboard', '-i', inventory, ...kube, '--output', 'plain').stdout)
  meshvm('lab', 'reset', '--dir', dir)
  record('meshvm plain', 'fresh', meshvm('onboard', '-i', inventory, ...kube, '--output', 'plain').stdout)

  // one VM more, where nothing answers: a fleet with one unreachable VM
  // beside the lab's inventory: its relative paths (package, known_hosts) stay right
  const broken = join(dir, 'inventory-unreachable.yaml')
  writeFileSync(broken, readFileSync(inventory, 'utf8') + '  vm-gone:\n    address: 198.18.255.254\n')
  record('meshvm tty', 'no-op + 1 unreachable', inTmux(cli.replace(inventory, broken)))

  log('ansible-playbook (default output), fresh and no-op')
  const bundles = join(out, 'bundles')
  const b = meshvm('bundle', '-i', inventory, '-o', bundles, ...kube)
  if (b.status !== 0) throw new Error(b.stderr)
  const deb = join(dir, /file: (\S+)/.exec(readFileSync(inventory, 'utf8'))[1])
  const hosts = [...readFileSync(inventory, 'utf8').matchAll(/^ {2}(vm\d+):\n {4}address: (\S+)/gm)]
  const ansibleHosts = (extra = {}) => ({
    all: {
      vars: { ansible_user: 'admin', ansible_ssh_private_key_file: join(dir, 'id_ed25519'), sidecar_deb: deb },
      hosts: {
        ...Object.fromEntries(hosts.map(([, name, a]) => [name, { ansible_host: a, bundle_dir: join(bundles, name) }])),
        ...extra,
      },
    },
  })
  writeFileSync(join(out, 'hosts.yml'), JSON.stringify(ansibleHosts()))
  writeFileSync(
    join(out, 'hosts-unreachable.yml'),
    JSON.stringify(ansibleHosts({ 'vm-gone': { ansible_host: '198.18.255.254', bundle_dir: bundles } })),
  )
  writeFileSync(
    join(out, 'ansible.cfg'),
    [
      '[defaults]',
      `forks = ${n}`,
      'gathering = explicit',
      'interpreter_python = /usr/bin/python3',
      'retry_files_enabled = False',
      // a loaded machine answers sudo late: Ansible's default 12 s fails VMs that are fine
      'timeout = 60',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = -F none -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '',
    ].join('\n'),
  )
  const playbook = join(repo, 'bench/ansible/onboard.yml')
  const ansible = (hostsFile) =>
    inTmux(`ANSIBLE_CONFIG=${join(out, 'ansible.cfg')} ansible-playbook -i ${hostsFile} ${playbook}`)
  meshvm('lab', 'reset', '--dir', dir)
  record('ansible', 'fresh', ansible(join(out, 'hosts.yml')))
  record('ansible', 'no-op', ansible(join(out, 'hosts.yml')))
  record('ansible', 'no-op + 1 unreachable', ansible(join(out, 'hosts-unreachable.yml')))

  console.log(`\n${n} VMs, lines printed (80x24 terminal; the outputs are in ${out}):`)
  console.log('| output | fresh | no-op | no-op + 1 unreachable |\n|---|---|---|---|')
  for (const tool of ['meshvm tty', 'meshvm plain', 'ansible']) {
    const of = (what) => results.find((r) => r.tool === tool && r.what === what)?.lines ?? '-'
    console.log(`| ${tool} | ${of('fresh')} | ${of('no-op')} | ${of('no-op + 1 unreachable')} |`)
  }
} finally {
  await labDown(dir, log)
}
