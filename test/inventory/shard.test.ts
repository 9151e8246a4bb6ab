// --shard i/n: every VM in exactly one shard, a VM's shard fixed by its name (not by the rest of the fleet), and
// growing n moves only the VMs the new shard takes.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InputError } from '../../src/errors.js'
import { parseInventory } from '../../src/inventory/read.js'
import { inShard, parseShard, shardFromJobIndex, shardOf } from '../../src/inventory/shard.js'

const names = (n: number, prefix = 'vm') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)
const fleet = (list: string[]) =>
  parseInventory(`defaults: { app: a, namespace: n }\nvms:\n${list.map((n) => `  ${n}: {}`).join('\n')}\n`, 'inv.yaml')
    .vms

test('--shard parses INDEX/COUNT (0-based) and refuses anything else, naming the flag', () => {
  assert.deepEqual(parseShard('0/10'), { index: 0, count: 10 })
  assert.deepEqual(parseShard('9/10'), { index: 9, count: 10 })
  for (const bad of ['10/10', '1/0', '-1/3', '1', 'a/b', '1/2/3', '1.5/3', '']) {
    assert.throws(
      () => parseShard(bad),
      (e: Error) => e instanceof InputError && /--shard/.test(e.message),
      bad,
    )
  }
})

test('--shards n takes the index from JOB_COMPLETION_INDEX, and says so when it is missing or out of range', () => {
  assert.deepEqual(shardFromJobIndex(4, '3'), { index: 3, count: 4 })
  assert.throws(() => shardFromJobIndex(4, undefined), /JOB_COMPLETION_INDEX is not set/)
  assert.throws(() => shardFromJobIndex(4, '4'), /JOB_COMPLETION_INDEX=4: the shard index must be a whole number 0-3/)
  assert.throws(() => shardFromJobIndex(4, 'x'), /JOB_COMPLETION_INDEX=x/)
})

test('the shards of a fleet cover it exactly once, in inventory order, and are balanced', () => {
  const vms = fleet(names(2000))
  for (const count of [1, 3, 10]) {
    const slices = Array.from({ length: count }, (_, index) => inShard(vms, { index, count }).map((vm) => vm.name))
    const all = slices.flat()
    assert.equal(all.length, vms.length)
    assert.equal(new Set(all).size, vms.length)
    for (const slice of slices) {
      const members = new Set(slice)
      assert.deepEqual(
        slice,
        vms.map((vm) => vm.name).filter((n) => members.has(n)),
        'inventory order kept',
      )
      const expected = vms.length / count
      assert.ok(
        Math.abs(slice.length - expected) < 0.2 * expected,
        `shard of ${slice.length} VMs, expected ~${expected}`,
      )
    }
  }
})

test('adding (or removing) VMs never moves another VM between shards', () => {
  const before = names(500)
  const after = [...names(300, 'new'), ...before.filter((_, i) => i % 7 !== 0)]
  const shardsBefore = new Map(before.map((n) => [n, shardOf(n, 8)]))
  const vms = fleet(after)
  for (let index = 0; index < 8; index++)
    for (const vm of inShard(vms, { index, count: 8 }))
      if (shardsBefore.has(vm.name)) assert.equal(shardsBefore.get(vm.name), index, vm.name)
})

test('going from n to n+1 shards moves only the VMs the new shard takes, about 1/(n+1) of them', () => {
  const list = names(3000)
  for (const n of [4, 10]) {
    const moved = list.filter((name) => shardOf(name, n) !== shardOf(name, n + 1))
    assert.ok(
      moved.every((name) => shardOf(name, n + 1) === n),
      'a moved VM went to the new shard',
    )
    const share = moved.length / list.length
    assert.ok(Math.abs(share - 1 / (n + 1)) < 0.03, `moved ${share} of the VMs going ${n} → ${n + 1} shards`)
  }
})
