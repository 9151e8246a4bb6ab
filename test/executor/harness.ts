import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BundleFile } from '../../src/bundle/types.js'
import type { RunEvent } from '../../src/executor/events.js'
import { runPlaybook, type RunOptions } from '../../src/executor/run.js'
import type { Vm } from '../../src/inventory/types.js'
import { parsePlaybook } from '../../src/playbook/load.js'
import { Secret } from '../../src/secret.js'
import { testVm } from '../playbook/fixtures.js'
import { LocalConnection } from './local-connection.js'

export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQtb2YtdGhlLXRva2Vu.c2lnbmF0dXJlLXNlY3JldA'

/** An onboard-like playbook whose paths live under each VM's own temp root (`vars.root`). */
export const PLAYBOOK = `
name: local
steps:
  - name: Certs dir
    directory: { path: '{{ vars.root }}/etc/certs', mode: '0755' }
  - name: Token
    upload: { dest: '{{ vars.root }}/etc/certs/istio-token', bundle: istio-token, mode: '0600' }
  - name: Env
    upload: { dest: '{{ vars.root }}/etc/certs/cluster.env', bundle: cluster.env, mode: '0644', owner: nobody }
  - name: Hosts
    hosts-block: { path: '{{ vars.root }}/hosts', id: istio, bundle: hosts }
  - name: Chown
    chown: { user: nobody, paths: ['{{ vars.root }}/etc/certs'] }
  - name: Marker
    command: { cmd: 'touch {{ vars.root }}/done', creates: '{{ vars.root }}/done' }
`

export const bundle = (): BundleFile[] => [
  { name: 'istio-token', content: new Secret(TOKEN), mode: 0o600 },
  { name: 'cluster.env', content: 'ISTIO_SERVICE=app\n', mode: 0o644 },
  { name: 'hosts', content: '10.0.0.1 istiod.istio-system.svc\n', mode: 0o644 },
]

export interface Fleet {
  vms: Vm[]
  roots: Record<string, string>
  conns: LocalConnection[]
  events: RunEvent[]
  run: (over?: Partial<RunOptions>, playbookText?: string) => ReturnType<typeof runPlaybook>
  cleanup: () => Promise<void>
}

/** `n` VMs, each a temp directory with a `hosts` file; connections are LocalConnections, recorded in `conns`. */
export async function fleet(n: number): Promise<Fleet> {
  const base = await mkdtemp(join(tmpdir(), 'meshvm-exec-'))
  const vms: Vm[] = []
  const roots: Record<string, string> = {}
  for (let i = 1; i <= n; i++) {
    const name = `vm${i}`
    const root = join(base, name)
    await mkdir(root)
    await writeFile(join(root, 'hosts'), '127.0.0.1 localhost\n')
    roots[name] = root
    vms.push(testVm(name, { vars: { root } }))
  }
  const f: Fleet = {
    vms,
    roots,
    conns: [],
    events: [],
    run: (over = {}, text = PLAYBOOK) => {
      f.conns = []
      f.events = []
      return runPlaybook({
        vms,
        playbook: parsePlaybook(text, 'local.yaml'),
        connect: async (vm) => {
          const c = new LocalConnection(vm.name)
          f.conns.push(c)
          return c
        },
        prepare: async () => ({ bundle: bundle() }),
        listeners: [(e) => f.events.push(e)],
        retryDelayMs: 1,
        ...over,
      })
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
  return f
}
