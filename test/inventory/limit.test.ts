import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ExitCode, InputError } from '../../src/errors.js'
import { applyLimit, limitTerms, parseInventory, readInventory, writeFailedList } from '../../src/inventory/read.js'

const dir = mkdtempSync(join(tmpdir(), 'meshvm-limit-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const inventoryText = `defaults: { app: shop, namespace: n }
groups: { web: {}, db: {}, canary: {} }
vms:
  web-1: { groups: [web] }
  web-2: { groups: [web, canary] }
  db-1: { groups: [db] }
`
const { vms } = parseInventory(inventoryText, 'inv.yaml')
const select = async (limit: string) => applyLimit(vms, await limitTerms(limit)).map((vm) => vm.name)

test('--limit selects by name, group and glob, keeping inventory order', async () => {
  assert.deepEqual(await select('web-1'), ['web-1'])
  assert.deepEqual(await select('web'), ['web-1', 'web-2'])
  assert.deepEqual(await select('web-*'), ['web-1', 'web-2'])
  assert.deepEqual(await select('*-1'), ['web-1', 'db-1'])
  assert.deepEqual(await select('db-1,web-1'), ['web-1', 'db-1'])
  assert.deepEqual(await select('db-1:web-2'), ['web-2', 'db-1'])
  assert.deepEqual(await select('all'), ['web-1', 'web-2', 'db-1'])
})

test('--limit exclusions and intersections', async () => {
  assert.deepEqual(await select('web,!web-2'), ['web-1'])
  assert.deepEqual(await select('web:!canary'), ['web-1'])
  assert.deepEqual(await select('!db'), ['web-1', 'web-2'])
  assert.deepEqual(await select('web:&canary'), ['web-2'])
  assert.deepEqual(await select(' web-1 , db-1 '), ['web-1', 'db-1'])
})

test('--limit @file reads the failed list a previous run wrote', async () => {
  const failed = join(dir, 'failed.txt')
  await writeFailedList(failed, ['db-1', 'web-2'])
  assert.equal(readFileSync(failed, 'utf8'), 'db-1\nweb-2\n')
  assert.deepEqual(await select(`@${failed}`), ['web-2', 'db-1'])
  assert.deepEqual(await select(`@${failed},!db`), ['web-2'])
  writeFileSync(failed, '# hosts to retry\n\nweb-1\n  \n')
  assert.deepEqual(await select(`@${failed}`), ['web-1'])
  await writeFailedList(failed, [])
  assert.equal(readFileSync(failed, 'utf8'), '', 'an all-good run empties the list')
  await rejects(`@${failed}`, `--limit @${failed}: selects no VM (${failed} lists no VM)`)
  assert.deepEqual(await select(`@${failed},db-1`), ['db-1'], 'an empty list adds nothing to the other terms')
})

test('names in an @file are matched literally: a listed glob or exclusion selects nothing else', async () => {
  const failed = join(dir, 'failed-glob.txt')
  writeFileSync(failed, 'web-*\n')
  await rejects(`@${failed}`, '--limit: no VM or group is named "web-*" (did you mean web-1?)')
  writeFileSync(failed, '!db\nweb-2\n')
  await rejects(`@${failed}`, '--limit: no VM or group is named "!db" (did you mean db?)')
  writeFileSync(failed, 'canary\n')
  assert.deepEqual(await select(`@${failed}`), ['web-2'], 'a listed group name still selects its VMs')
})

async function rejects(limit: string, message: string) {
  await assert.rejects(select(limit), (err: unknown) => {
    assert.ok(err instanceof InputError)
    assert.equal(err.code, ExitCode.input)
    assert.equal(err.message, message)
    return true
  })
}

test('--limit mistakes are input errors, never a silently smaller run', async () => {
  await rejects('wbe-1', '--limit: no VM or group is named "wbe-1" (did you mean web-1?)')
  await rejects('web-1,!web-3', '--limit: no VM or group is named "web-3" (did you mean web-1?)')
  await rejects('nothing-*', '--limit nothing-*: selects no VM')
  await rejects('web-1,!web', '--limit web-1,!web: selects no VM')
  await rejects(`@${join(dir, 'missing.txt')}`, `--limit @${join(dir, 'missing.txt')}: no such file`)
})

test('readInventory reads, checks and limits a file', async () => {
  const file = join(dir, 'inv.yaml')
  writeFileSync(file, inventoryText)
  const inventory = await readInventory(file, { limit: 'canary' })
  assert.equal(inventory.file, file)
  assert.deepEqual(
    inventory.vms.map((vm) => vm.name),
    ['web-2'],
  )
  assert.equal((await readInventory(file)).vms.length, 3)
  await assert.rejects(readInventory(join(dir, 'nope.yaml')), {
    name: 'InputError',
    message: `${join(dir, 'nope.yaml')}: cannot read the inventory: no such file`,
  })
})
