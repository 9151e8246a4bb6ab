import { InputError } from '../errors.js'

/** One flag of a command. Booleans accept `--x`, `--x=false`, `--no-x`; strings `--x v` or `--x=v`. */
export interface FlagSpec {
  type: 'string' | 'boolean' | 'number'
  short?: string
  multiple?: boolean
  help?: string
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>

export interface Parsed {
  flags: FlagValues
  /** Flags the user gave explicitly (istioctl distinguishes `--clusterID ""` from no flag). */
  given: Set<string>
  positionals: string[]
}

function toBool(name: string, raw: string): boolean {
  if (/^(true|1|yes)$/i.test(raw)) return true
  if (/^(false|0|no)$/i.test(raw)) return false
  throw new InputError(`--${name}: expected true or false, got "${raw}"`)
}

export function parseArgs(argv: string[], specs: Record<string, FlagSpec>): Parsed {
  const flags: FlagValues = {}
  const given = new Set<string>()
  const positionals: string[] = []
  const byShort = new Map(Object.entries(specs).flatMap(([n, s]) => (s.short ? [[s.short, n] as const] : [])))
  const byLower = new Map(Object.keys(specs).map((n) => [n.toLowerCase(), n]))
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    let key = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : arg.slice(1, eq === -1 ? undefined : eq)
    let inline = eq === -1 ? undefined : arg.slice(eq + 1)
    let negated = false
    let name = arg.startsWith('--') ? byLower.get(key.toLowerCase()) : byShort.get(key)
    if (!name && arg.startsWith('--no-') && specs[(key = key.slice(3))]?.type === 'boolean') {
      name = key
      negated = true
    }
    if (!name) throw new InputError(`unknown flag ${arg.split('=')[0]} (see --help)`)
    const spec = specs[name]
    given.add(name)
    if (spec.type === 'boolean') {
      flags[name] = negated ? false : inline === undefined ? true : toBool(name, inline)
      continue
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new InputError(`--${name} needs a value`)
      inline = argv[++i]
    }
    let value: string | number = inline
    if (spec.type === 'number') {
      value = Number(inline)
      if (!Number.isFinite(value)) throw new InputError(`--${name}: expected a number, got "${inline}"`)
    }
    if (spec.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)]
    else flags[name] = value
  }
  return { flags, given, positionals }
}
