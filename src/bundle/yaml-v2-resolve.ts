// go-yaml v2's resolver (resolve.go): what a plain (unquoted) scalar means. The encoder asks it before writing a
// string plainly ("would this read back as something else?"); the decoder uses it to type plain scalars.

const RESOLVE_MAP = new Map<string, boolean | null | number>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((k) => [k, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((k) => [k, false] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((k) => [k, null] as const),
  ...['.nan', '.NaN', '.NAN'].map((k) => [k, NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((k) => [k, Infinity] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((k) => [k, -Infinity] as const),
])

// The resolver only looks further at texts whose first character hints at a non-string.
const HINTED_FIRST = /^[-+0-9yYnNtTfFoO~.]/
const NUMBER_HINT = /^[-+0-9]/
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/
const GO_INT_SYNTAX = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[-+]\d{2}:\d{2})?)?$/

/** The value of a plain scalar. Timestamps stay strings, as yaml.v2 keeps them when decoding into `interface{}`. */
export function resolvePlain(s: string): string | boolean | null | number {
  if (s === '') return null
  if (!HINTED_FIRST.test(s)) return s
  const mapped = RESOLVE_MAP.get(s)
  if (mapped !== undefined) return mapped
  if (s.startsWith('.')) return DOT_FLOAT.test(s) ? Number(s) : s
  if (!NUMBER_HINT.test(s)) return s
  const plain = s.replaceAll('_', '')
  const int = goInt(plain)
  if (int !== undefined) return Number(int)
  const float = Number(plain)
  return YAML_STYLE_FLOAT.test(plain) && Number.isFinite(float) ? float : s
}

export function resolvesAsNonString(s: string): boolean {
  return typeof resolvePlain(s) !== 'string' || (NUMBER_HINT.test(s) && isTimestamp(s))
}

/** yaml.v2 also quotes YAML 1.1 sexagesimal numbers such as `1:20`, which its own resolver no longer reads. */
export function isBase60Float(s: string): boolean {
  return BASE60_FLOAT.test(s)
}

// strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64) (which takes no sign).
function goInt(s: string): bigint | undefined {
  const m = GO_INT_SYNTAX.exec(s)
  if (!m) return undefined
  const [, sign, body] = m
  const octal = /^0[0-7]+$/.test(body) ? '0o' + body.slice(1) : body
  const magnitude = BigInt(octal)
  const value = sign === '-' ? -magnitude : magnitude
  if (value >= -(2n ** 63n) && value < 2n ** 63n) return value
  return sign === '' && value < 2n ** 64n ? value : undefined
}

// The Go time layouts yaml.v2 tries: "2006-1-2T15:4:5.999999999Z07:00" (also with 't'),
// "2006-1-2 15:4:5.999999999" and "2006-1-2".
function isTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s)
  if (!m) return false
  const [, year, month, day, tee, space, hour, minute, second, zone] = m
  if (tee !== undefined && zone === undefined) return false
  if (space !== undefined && zone !== undefined) return false
  const mon = Number(month)
  if (mon < 1 || mon > 12 || Number(day) < 1) return false
  if (Number(day) > new Date(Date.UTC(Number(year), mon, 0)).getUTCDate()) return false
  return hour === undefined || (Number(hour) < 24 && Number(minute) < 60 && Number(second) < 60)
}
