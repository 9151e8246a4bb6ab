import { ansibleBoolean } from '../ansible-boolean.js'
import type { ArgRule } from '../steps/args.js'

const BUNDLE_FILES = ['cluster.env', 'mesh.yaml', 'root-cert.pem', 'istio-token', 'hosts']
const SOURCE_KEYS = ['url', 'file', 'sha256', 'version']

export type Coerced = { value: unknown } | { error: string }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Checks one argument value against its rule and converts it (modes to numbers); errors say what was expected. */
export function coerce(value: unknown, rule: ArgRule): Coerced {
  const t = rule.type
  const bad = (expected: string): Coerced => ({ error: `expected ${expected}, got ${JSON.stringify(value)}` })
  if (Array.isArray(t)) return t.includes(value as string) ? { value } : bad(`one of ${t.join(', ')}`)
  switch (t) {
    case 'string':
      return typeof value === 'string' ? { value } : bad('a string')
    case 'boolean':
      return ansibleBoolean(value) !== undefined ? { value: ansibleBoolean(value) } : bad('true or false (or yes/no)')
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? { value } : bad('a number ≥ 0')
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? { value } : bad('a list of strings')
    case 'mode':
      if (typeof value === 'string' && /^0?[0-7]{3,4}$/.test(value)) return { value: parseInt(value, 8) }
      return bad(`a quoted octal mode like '0644' (unquoted YAML numbers are decimal)`)
    case 'bundle':
      return BUNDLE_FILES.includes(value as string) ? { value } : bad(`a bundle file: ${BUNDLE_FILES.join(', ')}`)
    case 'source': {
      if (!isObject(value)) return bad('a map with url, file, sha256, version')
      const unknown = Object.keys(value).filter((k) => !SOURCE_KEYS.includes(k))
      if (unknown.length)
        return { error: `unknown key ${unknown.join(', ')} in source (accepted: ${SOURCE_KEYS.join(', ')})` }
      const notText = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'string')
      if (notText.length) return { error: `source.${notText[0][0]} must be a string` }
      return { value }
    }
  }
  return bad('a value')
}
