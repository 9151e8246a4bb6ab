/*
 * Host keys as Ansible's YAML inventory reads them (ansible/ansible lib/ansible/plugins/inventory/__init__.py
 * `_expand_hostpattern`, lib/ansible/parsing/utils/addresses.py `parse_address`, lib/ansible/inventory/...
 * `expand_hostname_range`): an optional `:port` suffix, then `[a:b(:step)]` ranges, expanded left to right.
 */

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`
const NUM_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`
const IPV4_PART = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUM_RANGE})`
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu')
const IPV4 = new RegExp(String.raw`^(?:${IPV4_PART}\.){3}${IPV4_PART}$`, 'i')
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i
const BRACKETED_PORT = /^\[(.+)\]:([0-9]+)$/
const HOST_PORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/

/** A host key that Ansible cannot expand, in Ansible's words. */
export class HostRangeError extends Error {}

/** `host.example.com:5309` → port 5309; `[::1]:2222`; a key that is no valid address keeps its text and no port. */
export function expandHostPattern(pattern: string): { names: string[]; port?: number } {
  let address = pattern
  let port: number | undefined
  for (const re of [BRACKETED_PORT, HOST_PORT]) {
    const m = re.exec(address)
    if (m) [address, port] = [m[1], Number(m[2])]
  }
  if (![IPV4, IPV6, HOSTNAME].some((re) => re.test(address))) [address, port] = [pattern, undefined]
  return { names: expandHostRange(address), port }
}

/** `web[01:03]` → web01 web02 web03, `db-[a:c]`, `[A:C]`, `box[:2]` (from 0), `[1:9:4]` with a step. */
export function expandHostRange(line: string): string[] {
  if (!line.includes('[')) return [line]
  const open = line.indexOf('[')
  const close = line.indexOf(']', open)
  if (close < 0) throw new HostRangeError('host range must be begin:end or begin:end:step')
  const [head, range, tail] = [line.slice(0, open), line.slice(open + 1, close), line.slice(close + 1)]
  const bounds = range.split(':')
  if (bounds.length !== 2 && bounds.length !== 3)
    throw new HostRangeError('host range must be begin:end or begin:end:step')
  const [begin = '0', end, stepText = '1'] = [bounds[0] || '0', bounds[1], bounds[2]]
  if (!end) throw new HostRangeError('host range must specify end value')
  const width = begin[0] === '0' && begin.length > 1 ? begin.length : 0
  if (width && width !== end.length)
    throw new HostRangeError('host range must specify equal-length begin and end formats')
  const step = toInt(stepText)
  if (step <= 0) throw new HostRangeError(`host range step must be a positive integer, got ${stepText}`)
  const fill = (x: string | number) => String(x).padStart(width, '0')
  const [from, to] = [LETTERS.indexOf(begin), LETTERS.indexOf(end)]
  const middles: string[] = []
  if (from >= 0 && to >= 0) {
    if (from > to) throw new HostRangeError('host range must have begin <= end')
    for (let i = from; i <= to; i += step) middles.push(fill(LETTERS[i]))
  } else {
    for (let i = toInt(begin); i <= toInt(end); i += step) middles.push(fill(i))
  }
  return middles.flatMap((middle) => expandHostRange(`${head}${middle}${tail}`))
}

function toInt(text: string): number {
  if (!/^\s*[-+]?[0-9]+\s*$/.test(text)) throw new HostRangeError(`invalid literal for int() with base 10: '${text}'`)
  return Number(text)
}
