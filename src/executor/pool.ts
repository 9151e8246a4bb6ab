import { InputError } from '../errors.js'

/** Runs `run` over `items`, at most `limit` at a time, starting no new item once `stopped()` says so. */
export async function runPool<T>(items: T[], limit: number, run: (item: T) => Promise<void>, stopped: () => boolean) {
  let next = 0
  const worker = async () => {
    while (next < items.length && !stopped()) await run(items[next++])
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

/** One batch size of Ansible's `serial`: a count of VMs, or a percentage of all of them. */
export type BatchSize = { count: number } | { percent: number }

const SERIAL_FORM = "a count, a percentage like 25%, or a list of them like 1,5,25% (as Ansible's serial)"

/** `10`, `25%`, or Ansible's list form `1,5,25%`: the batch sizes in turn, the last one repeated. */
export function parseSerial(text: string): BatchSize[] {
  return text.split(',').map((item) => {
    const m = /^\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(item)
    if (!m) throw new InputError(`--serial: expected ${SERIAL_FORM}, got "${text}"`)
    const n = Number(m[1])
    if (m[2] && (n <= 0 || n > 100))
      throw new InputError(`--serial: a percentage must be above 0 and at most 100%, got "${item.trim()}"`)
    if (!m[2] && (n < 1 || !Number.isInteger(n)))
      throw new InputError(`--serial: a batch is a whole number of VMs, at least 1, got "${item.trim()}"`)
    return m[2] ? { percent: n } : { count: n }
  })
}

/** Rolling batches as Ansible's `serial`: each size in turn (a percentage of all VMs, at least one), the last repeated. */
export function batches<T>(items: T[], serial: BatchSize[] | undefined): T[][] {
  if (!serial?.length || items.length === 0) return [items]
  const out: T[][] = []
  for (let i = 0, k = 0; i < items.length; k++) {
    const s = serial[Math.min(k, serial.length - 1)]!
    const size = Math.max(1, 'count' in s ? s.count : Math.floor((items.length * s.percent) / 100))
    out.push(items.slice(i, i + size))
    i += size
  }
  return out
}
