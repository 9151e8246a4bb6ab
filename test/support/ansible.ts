import { execFile, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

// The real Ansible as the oracle of the inventory tests (Debian's ansible package, installed by .ci/run).

export const ansibleMissing: string | false =
  spawnSync('ansible-inventory', ['--version']).status === 0
    ? false
    : 'ansible-inventory is not installed (apt-get install ansible)'

/** Ansible with no user config, no ~/.ansible writes and no colour, so answers depend on the inventory alone. */
function ansibleEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    // ~ in a key path expands to the user's home, as it does for meshvm
    HOME: homedir(),
    LANG: 'C.UTF-8',
    ANSIBLE_CONFIG: join(home, 'no-ansible.cfg'),
    ANSIBLE_HOME: join(home, '.ansible'),
    ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_INVENTORY_ENABLED: 'yaml,script,ini,auto',
  }
}

export interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> }
  [group: string]: { hosts?: string[]; children?: string[]; vars?: Record<string, unknown> } | AnsibleList['_meta']
}

const batchScript = new URL('../../../test/support/ansible-batch.py', import.meta.url).pathname

/** The Python that runs Ansible (its scripts' #! line), so the batch imports the very Ansible the commands use. */
function ansiblePython(): string {
  const which = spawnSync('sh', ['-c', 'command -v ansible-inventory'], { encoding: 'utf8' }).stdout.trim()
  return /^#!\s*(\S+)/.exec(readFileSync(which, 'utf8').split('\n')[0])?.[1] ?? 'python3'
}

/**
 * Runs Ansible command lines (`ansible-inventory …`, `ansible …`) in one Python process that forks a child per job:
 * each job is the real command's own code, without paying Ansible's start-up (~0.5 s) every time. Returns stdouts.
 */
async function ansibleBatch(argvs: string[][], home: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const jobs = argvs.map((argv, i) => ({ argv, out: join(home, `out-${i}`) }))
  const child = execFile(ansiblePython(), [batchScript], { env: { ...ansibleEnv(home), ...env }, maxBuffer: 64 << 20 })
  child.stdin!.end(JSON.stringify(jobs))
  await new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`ansible batch exited ${code}`)))),
  )
  return jobs.map((job) => readFileSync(job.out, 'utf8'))
}

/** `ansible-inventory -i FILE --list` for each file, parsed. */
export async function ansibleInventoryLists(files: string[]): Promise<AnsibleList[]> {
  const home = mkdtempSync(join(tmpdir(), 'meshvm-ansible-'))
  try {
    const outs = await ansibleBatch(
      files.map((f) => ['ansible-inventory', '-i', f, '--list']),
      home,
    )
    return outs.map((out) => JSON.parse(out) as AnsibleList)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** Per host, its groups as Ansible's `group_names` (every group it is in, directly or through children; not `all`). */
export function groupsOf(list: AnsibleList): Map<string, string[]> {
  const parents = new Map<string, string[]>()
  const direct = new Map<string, string[]>()
  for (const [group, data] of Object.entries(list)) {
    if (group === '_meta') continue
    const g = data as { hosts?: string[]; children?: string[] }
    for (const child of g.children ?? []) parents.set(child, [...(parents.get(child) ?? []), group])
    for (const host of g.hosts ?? []) direct.set(host, [...(direct.get(host) ?? []), group])
  }
  const result = new Map<string, string[]>()
  for (const [host, groups] of direct) {
    const found = new Set<string>()
    const visit = (g: string) => {
      if (found.has(g)) return
      found.add(g)
      parents.get(g)?.forEach(visit)
    }
    groups.forEach(visit)
    found.delete('all')
    result.set(host, [...found].sort())
  }
  return result
}

/** What Ansible's ssh connection passes to ssh for one host; undefined fields are left to ssh (and ~/.ssh/config). */
export interface AnsibleSshTarget {
  host: string
  port?: number
  user?: string
  identityFile?: string
  proxyJump?: string
}

/**
 * Runs `ansible all -m ping` over each inventory with a stand-in ssh that records its arguments and fails, so each
 * host's connection settings (address, port, user, key, ProxyJump) come from Ansible's own ssh plugin. A second
 * inventory source points each host at its own copy of the stand-in (ansible_ssh_executable), naming the host; the
 * stand-in is also the default, so no real ssh (nor a DNS look-up) ever starts. Hosts absent from an answer were not
 * reached over ssh (ansible_connection local, docker, …).
 */
export async function ansibleSshTargets(
  inventories: Array<{ file: string; hosts: string[] }>,
): Promise<Array<Map<string, AnsibleSshTarget>>> {
  const home = mkdtempSync(join(tmpdir(), 'meshvm-ansible-ssh-'))
  try {
    const fake = join(home, 'fake-ssh')
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\0' "$@" > "${home}/log-$(basename "$0")"\nexit 255\n`)
    chmodSync(fake, 0o755)
    symlinkSync(fake, join(home, 'unnamed'))
    const argvs = inventories.map(({ file, hosts }, f) => {
      const overlay: Record<string, { ansible_ssh_executable: string }> = {}
      hosts.forEach((host, h) => {
        symlinkSync(fake, join(home, `f${f}h${h}`))
        overlay[host] = { ansible_ssh_executable: join(home, `f${f}h${h}`) }
      })
      writeFileSync(join(home, `overlay-${f}.json`), JSON.stringify({ all: { hosts: overlay } }))
      return ['ansible', 'all', '-i', file, '-i', join(home, `overlay-${f}.json`), '-m', 'ping', '-f', '20', '-T', '5']
    })
    await ansibleBatch(argvs, home, { ANSIBLE_SSH_RETRIES: '0', ANSIBLE_SSH_EXECUTABLE: join(home, 'unnamed') })
    const targets = inventories.map(() => new Map<string, AnsibleSshTarget>())
    for (const name of readdirSync(home)) {
      const m = /^log-f([0-9]+)h([0-9]+)$/.exec(name)
      if (!m) continue
      const argv = readFileSync(join(home, name), 'utf8').split('\0').slice(0, -1)
      targets[Number(m[1])].set(inventories[Number(m[1])].hosts[Number(m[2])], parseSshArgv(argv))
    }
    return targets
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

function parseSshArgv(argv: string[]): AnsibleSshTarget {
  const options: Array<[string, string]> = []
  let host = ''
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith('-o')) {
      const [k, ...v] = (a === '-o' ? argv[++i] : a.slice(2)).split('=')
      options.push([k.toLowerCase(), v.join('=').replace(/^"(.*)"$/, '$1')])
    } else if (a.startsWith('-J')) options.push(['proxyjump', a === '-J' ? argv[++i] : a.slice(2)])
    else if (a.startsWith('-')) continue
    else {
      host = a
      break
    }
  }
  const get = (k: string) => options.find(([key]) => key === k)?.[1]
  const port = get('port')
  return {
    host: host.replace(/^\[(.*)\]$/, '$1'),
    ...(port ? { port: Number(port) } : {}),
    ...(get('user') ? { user: get('user') } : {}),
    ...(get('identityfile') ? { identityFile: get('identityfile') } : {}),
    ...(get('proxyjump') ? { proxyJump: get('proxyjump') } : {}),
  }
}
