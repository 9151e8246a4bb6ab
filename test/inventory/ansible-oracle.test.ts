import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { plainVars } from '../../src/inventory/ansible-tree.js'
import { ansibleHosts, InventoryError, parseInventory } from '../../src/inventory/read.js'
import {
  ansibleInventoryLists,
  ansibleMissing,
  ansibleSshTargets,
  groupsOf,
  type AnsibleList,
  type AnsibleSshTarget,
} from '../support/ansible.js'

// The corpus of test/fixtures/ansible-inventory/, each file compared with what the real Ansible makes of it.
const dir = new URL('../../../test/fixtures/ansible-inventory/', import.meta.url).pathname
const files = readdirSync(dir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
const deliberate = readdirSync(join(dir, 'deliberate'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()

/** JSON with sorted keys (ansible-inventory sorts them). */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  )

/** meshvm's answer to what Ansible says about one file, as lines naming each difference (empty: they agree). */
function differences(file: string, list: AnsibleList, ssh?: Map<string, AnsibleSshTarget>): string[] {
  const text = readFileSync(join(dir, file), 'utf8')
  const diffs: string[] = []
  let hosts: ReturnType<typeof ansibleHosts>
  try {
    hosts = ansibleHosts(text, file)
  } catch (err) {
    return [`meshvm refuses it: ${(err as Error).message}`]
  }
  const groups = groupsOf(list)
  const names = (m: Iterable<string>) => [...m].sort().join(' ')
  if (names(hosts.map((h) => h.name)) !== names(groups.keys())) {
    diffs.push(`hosts: meshvm ${names(hosts.map((h) => h.name))} / ansible ${names(groups.keys())}`)
  }
  for (const host of hosts) {
    const mine = host.groups.filter((g) => g !== 'all').sort()
    if (groups.has(host.name) && names(mine) !== names(groups.get(host.name)!)) {
      diffs.push(`${host.name} groups: meshvm ${names(mine)} / ansible ${names(groups.get(host.name)!)}`)
    }
    const theirs = list._meta.hostvars[host.name] ?? {}
    const vars = plainVars(host)
    for (const key of new Set([...Object.keys(vars), ...Object.keys(theirs)])) {
      const [a, b] = [canonical(vars[key]), canonical(theirs[key])]
      if (a !== b) diffs.push(`${host.name} ${key}: meshvm ${a} / ansible ${b}`)
    }
  }
  if (!ssh) return diffs
  let inventory: ReturnType<typeof parseInventory>
  try {
    inventory = parseInventory(text, file, dir)
  } catch (err) {
    return [...diffs, `meshvm refuses it: ${(err as Error).message}`]
  }
  const vms = new Map(inventory.vms.map((vm) => [vm.name, vm]))
  // the same fleet read from Ansible's own answer, as `-i ansible:FILE` and dynamic inventories reach meshvm
  const fromJson = new Map(parseInventory(JSON.stringify(list), `${file}.json`, dir).vms.map((vm) => [vm.name, vm]))
  for (const [name, vm] of vms) {
    if (canonical(vm) !== canonical(fromJson.get(name)))
      diffs.push(`${name}: read from --list JSON, meshvm sees another VM`)
  }
  if (names(vms.keys()) !== names(ssh.keys()))
    diffs.push(`reached over ssh: meshvm ${names(vms.keys())} / ansible ${names(ssh.keys())}`)
  for (const [name, target] of ssh) {
    const vm = vms.get(name)
    if (!vm) continue
    const mine: AnsibleSshTarget = {
      host: vm.ssh.host,
      ...(vm.ssh.defaulted?.includes('port') ? {} : { port: vm.ssh.port }),
      ...(vm.ssh.defaulted?.includes('user') ? {} : { user: vm.ssh.user }),
      ...(vm.ssh.identityFile ? { identityFile: vm.ssh.identityFile } : {}),
      ...(vm.ssh.proxyJump ? { proxyJump: vm.ssh.proxyJump } : {}),
    }
    // Ansible always says the port, 22 included, once it is set anywhere
    if (target.port === 22 && mine.port === undefined) mine.port = 22
    if (JSON.stringify(mine) !== JSON.stringify(target)) {
      diffs.push(`${name} ssh: meshvm ${JSON.stringify(mine)} / ansible ${JSON.stringify(target)}`)
    }
  }
  return diffs
}

describe('Ansible inventories as the real Ansible reads them', { skip: ansibleMissing }, () => {
  it(`agrees with ansible-inventory --list and Ansible's ssh connection on every file of the corpus`, async () => {
    assert.ok(files.length >= 40, `corpus of ${files.length} files`)
    const started = Date.now()
    const paths = files.map((f) => join(dir, f))
    const lists = await ansibleInventoryLists(paths)
    const meshvm = files.filter((f) => readFileSync(join(dir, f), 'utf8').includes('meshvm_'))
    const targets = await ansibleSshTargets(
      meshvm.map((f) => ({ file: join(dir, f), hosts: [...groupsOf(lists[files.indexOf(f)]).keys()] })),
    )
    const answers = files.map((file, i) => ({ file, list: lists[i], ssh: targets[meshvm.indexOf(file)] }))
    const report = answers.flatMap(({ file, list, ssh }) => differences(file, list, ssh).map((d) => `${file}: ${d}`))
    const hosts = answers.reduce((n, a) => n + groupsOf(a.list).size, 0)
    console.log(
      `corpus: ${files.length} files, ${hosts} hosts, ${report.length} differences, ${Date.now() - started} ms`,
    )
    assert.deepEqual(report, [])
  })

  it('refuses, naming file, line and field, the valid inventories README lists as read differently on purpose', async () => {
    const lists = await ansibleInventoryLists(deliberate.map((f) => join(dir, 'deliberate', f)))
    for (const [i, file] of deliberate.entries()) {
      const path = join(dir, 'deliberate', file)
      assert.ok(
        Object.keys(lists[i]._meta.hostvars).length > 0 || Object.keys(lists[i]).length > 1,
        `Ansible reads ${file}`,
      )
      const expected = readFileSync(path.replace(/\.yaml$/, '.problems'), 'utf8')
        .trimEnd()
        .split('\n')
      assert.throws(
        () => parseInventory(readFileSync(path, 'utf8'), file),
        (err: unknown) => err instanceof InventoryError && assert.deepEqual(err.problems, expected) === undefined,
        file,
      )
    }
  })

  it('defaults an unset user to the local one, as ssh does', () => {
    const [vm] = parseInventory(
      'all:\n  vars: { meshvm_app: a, meshvm_namespace: n }\n  hosts: { h: }\n',
      'inv.yaml',
    ).vms
    assert.equal(vm.ssh.user, userInfo().username)
  })
})
