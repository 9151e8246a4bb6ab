import { Scalar, type DocumentOptions, type ParseOptions, type SchemaOptions, type ScalarTag } from 'yaml'

/*
 * Plain scalars as Ansible reads them: its loader is PyYAML's SafeLoader, whose implicit resolvers are YAML 1.1's
 * (pyyaml lib/yaml/resolver.py, constructor.py). Not the `yaml` library's own 1.1 schema: that one also takes `y`/`n`
 * as booleans and `1e3` as a float, which PyYAML reads as strings.
 */

const scalar = (tag: string, test: RegExp, resolve: (text: string) => unknown): ScalarTag => ({
  tag: `tag:yaml.org,2002:${tag}`,
  default: true,
  test,
  resolve: (text: string) => new Scalar(resolve(text)),
})

const sign = (text: string): [number, string] =>
  text.startsWith('-') ? [-1, text.slice(1)] : [1, text.replace(/^\+/, '')]

/** `1:30:05` → 5405, as YAML 1.1's base-60 numbers. */
const sexagesimal = (digits: string): number => digits.split(':').reduce((total, part) => total * 60 + Number(part), 0)

function int(text: string): number {
  const [s, t] = sign(text.replace(/_/g, ''))
  if (t === '0') return 0
  if (t.startsWith('0b')) return s * parseInt(t.slice(2), 2)
  if (t.startsWith('0x')) return s * parseInt(t.slice(2), 16)
  if (t.startsWith('0')) return s * parseInt(t, 8)
  return s * (t.includes(':') ? sexagesimal(t) : Number(t))
}

function float(text: string): number {
  const [s, t] = sign(text.replace(/_/g, '').toLowerCase())
  if (t === '.inf') return s * Infinity
  if (t === '.nan') return NaN
  return s * (t.includes(':') ? sexagesimal(t.replace(/\..*/, '')) + Number(`0${t.slice(t.indexOf('.'))}`) : Number(t))
}

const TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/

const two = (n: string | undefined) => (n ?? '0').padStart(2, '0')

/** A timestamp as Ansible's JSON shows it: Python's `isoformat()` of what PyYAML built. */
function timestamp(text: string): string {
  const m =
    /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?[ \t]*(Z|[-+][0-9]{1,2}(?::[0-9]{2})?)?)?$/.exec(
      text,
    )!
  const [, y, mo, d, h, mi, sec, fraction, zone] = m
  const date = `${y}-${two(mo)}-${two(d)}`
  if (h === undefined) return date
  const micro = fraction && Number(fraction.slice(0, 6).padEnd(6, '0')) ? `.${fraction.slice(0, 6).padEnd(6, '0')}` : ''
  const tz =
    zone === undefined
      ? ''
      : zone === 'Z'
        ? '+00:00'
        : `${zone[0]}${two(zone.slice(1).split(':')[0])}:${two(zone.split(':')[1])}`
  return `${date}T${two(h)}:${mi}:${sec}${micro}${tz}`
}

/** Ansible's own tags, as `ansible-inventory --list` shows them: `!unsafe` text is never templated, `!vault` is ciphertext. */
const ansibleTags: ScalarTag[] = [
  { tag: '!unsafe', resolve: (text: string) => new Scalar({ __ansible_unsafe: text }) },
  { tag: '!vault', resolve: (text: string) => new Scalar({ __ansible_vault: text }) },
]

const TAGS: ScalarTag[] = [
  scalar('null', /^(?:~|null|Null|NULL)?$/, () => null),
  scalar('bool', /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, () => true),
  scalar('bool', /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, () => false),
  scalar(
    'int',
    /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
    int,
  ),
  scalar(
    'float',
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    float,
  ),
  scalar('timestamp', TIMESTAMP, timestamp),
  ...ansibleTags,
]

/** Parser options that read a document as Ansible's loader does (merge keys `<<` included). */
export const ANSIBLE_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  schema: 'failsafe',
  customTags: TAGS,
  merge: true,
}
