import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { ExitCode } from '../../src/errors.js'
import { InventoryError, parseInventory } from '../../src/inventory/read.js'

// Each bad/<case>.yaml comes with bad/<case>.problems: the exact lines the user sees, in file order.
const dir = new URL('../../../test/fixtures/inventory/bad/', import.meta.url)
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml'))

test('every bad-input case has its expected problems', () => {
  assert.ok(cases.length >= 12, `found ${cases.length} cases`)
})

for (const file of cases) {
  test(`bad inventory ${file}`, () => {
    const expected = readFileSync(new URL(file.replace(/\.yaml$/, '.problems'), dir), 'utf8')
      .trimEnd()
      .split('\n')
    const text = readFileSync(new URL(file, dir), 'utf8')
    assert.throws(
      () => parseInventory(text, file),
      (err: unknown) => {
        assert.ok(err instanceof InventoryError)
        assert.equal(err.code, ExitCode.input)
        assert.deepEqual(err.problems, expected)
        assert.equal(err.message, expected.join('\n'))
        return true
      },
    )
  })
}

test('a password never appears in the problems', () => {
  const text = 'defaults: { app: a, namespace: n }\nvms:\n  v: { password: "s3cret-pass" }\n'
  assert.throws(
    () => parseInventory(text, 'inv.yaml'),
    (err: unknown) => err instanceof InventoryError && !err.message.includes('s3cret-pass'),
  )
})
