import { createHash } from 'node:crypto'
import { InputError } from '../errors.js'
import type { Vm } from './types.js'

/** One slice of a fleet: shard `index` (0-based, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX) of `count`. */
export interface Shard {
  index: number
  count: number
}

export const MAX_SHARDS = 10_000

const whole = (text: string) => (/^\d+$/.test(text) ? Number(text) : NaN)

function checked(index: number, count: number, what: string): Shard {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new InputError(`${what}: the shard count must be a whole number 1-${MAX_SHARDS}`)
  }
  if (!Number.isInteger(index) || index >= count) {
    throw new InputError(`${what}: the shard index must be a whole number 0-${count - 1} (shards count from 0)`)
  }
  return { index, count }
}

/** `--shard i/n`, e.g. `0/10` … `9/10`. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  if (!m) throw new InputError(`--shard: expected INDEX/COUNT such as 0/10, got "${text}"`)
  return checked(Number(m[1]), Number(m[2]), `--shard ${text}`)
}

/** `--shards n` inside an Indexed Job: the index is the pod's JOB_COMPLETION_INDEX. */
export function shardFromJobIndex(count: number, jobIndex: string | undefined): Shard {
  if (jobIndex === undefined || jobIndex === '') {
    throw new InputError(
      `--shards ${count}: JOB_COMPLETION_INDEX is not set (use --shard INDEX/${count} outside a Job)`,
    )
  }
  return checked(whole(jobIndex), count, `--shards ${count} with JOB_COMPLETION_INDEX=${jobIndex}`)
}

// murmur3's 32-bit finalizer: spreads the bits of (name hash, shard) so every shard's weight is independent.
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Rendezvous (highest-random-weight) hashing of the VM name: the shard whose weight for this name is highest. It
 * depends only on the name and the shard count, so adding or removing other VMs never moves a VM, and going from n
 * to n+1 shards moves only the ~1/(n+1) of VMs that the new shard wins (`hash(name) mod n` would move most of them).
 */
export function shardOf(name: string, count: number): number {
  const digest = createHash('sha256').update(name).digest()
  const a = digest.readUInt32BE(0)
  const b = digest.readUInt32BE(4)
  let best = 0
  let bestWeight = -1
  for (let shard = 0; shard < count; shard++) {
    const salt = Math.imul(shard + 1, 0x9e3779b9)
    // 53 bits of weight (two mixed words) make ties between shards practically impossible
    const weight = mix(a ^ salt) * 0x200000 + (mix(b ^ salt) >>> 11)
    if (weight > bestWeight) {
      best = shard
      bestWeight = weight
    }
  }
  return best
}

/** The VMs of `shard`, in inventory order. */
export function inShard(vms: Vm[], shard: Shard): Vm[] {
  return vms.filter((vm) => shardOf(vm.name, shard.count) === shard.index)
}
