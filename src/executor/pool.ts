import { InputError } from '../errors.js'

/** Runs `run` over `items`, at most `limit` at a time, starting no new item once `stopped()` says so. */
export async function runPool<T>(items: T[], limit: number, run: (item: T) => Promise<void>, stopped: () => boolean) {
  let next = 0
  const worker = async () => {
    while (next < items.length && !stopped()) await run(items[next++])
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

/** Rolling batches as Ansible's `serial`: a count, or a percentage of all VMs (at least one per batch). */
export function batches<T>(items: T[], serial: number | string | undefined): T[][] {
  if (serial === undefined || items.length === 0) return [items]
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(String(serial))
  if (!m) throw new InputError(`--serial must be a number or a percentage like 25%, got ${serial}`)
  const size = Math.max(1, m[2] ? Math.floor((items.length * Number(m[1])) / 100) : Math.floor(Number(m[1])))
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
