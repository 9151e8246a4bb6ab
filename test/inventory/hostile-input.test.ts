// Hostile inventories: oversized files are refused before parsing, huge values are shown by their start only.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ExitCode, InputError } from '../../src/errors.js'
import { InventoryError, parseInventory, readInventory } from '../../src/inventory/read.js'

const dir = mkdtempSync(join(tmpdir(), 'meshvm-hostile-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('a 10 MB inventory is refused by its size, without parsing it', async () => {
  const file = join(dir, 'huge.yaml')
  writeFileSync(file, `vms:\n  vm1: { address: "${'a'.repeat(10 * 1024 * 1024)}" }\n`)
  const started = Date.now()
  await assert.rejects(readInventory(file), (err: unknown) => {
    assert.ok(err instanceof InputError)
    assert.equal(err.code, ExitCode.input)
    assert.equal(
      err.message,
      `${file}: cannot read the inventory: the file is 10.0 MiB, more than the 4.0 MiB meshvm reads`,
    )
    return true
  })
  assert.ok(Date.now() - started < 2000, 'refused at once')
})

test('a huge value or key is cut in the error, with how much was left out', () => {
  const value = 'x'.repeat(1024 * 1024)
  const text = `defaults: { app: a, namespace: n }\nvms:\n  vm1: { port: "${value}" }\n  ? ${value}\n  : {}\n`
  assert.throws(
    () => parseInventory(text, 'inv.yaml'),
    (err: unknown) => {
      assert.ok(err instanceof InventoryError)
      assert.ok(err.message.length < 2000, `message is ${err.message.length} characters`)
      assert.match(
        err.problems[0],
        /^inv\.yaml:3:16: vms\.vm1\.port: expected an integer, got "x+… \(\d+ more characters\)$/,
      )
      assert.match(err.problems[1], /^inv\.yaml:4:5: vms\.x{196}… \(1048380 more characters\): not a valid VM name/)
      return true
    },
  )
})
