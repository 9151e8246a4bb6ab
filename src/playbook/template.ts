const WHOLE = /^\{\{\s*([\w.-]+)\s*\}\}$/
const INLINE = /\{\{\s*([\w.-]+)\s*\}\}/g

export const hasTemplate = (v: unknown): boolean =>
  typeof v === 'string' ? v.includes('{{') : Array.isArray(v) ? v.some(hasTemplate) : false

function lookup(path: string, vars: Record<string, unknown>): unknown {
  let at: unknown = vars
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string, unknown>)[part]
  }
  return at
}

/**
 * Substitutes `{{ a.b }}` in strings (deeply in lists and maps). A string that is only one template takes the
 * variable's own value (a map, number, boolean); names that resolve to nothing are collected in `missing`.
 */
export function renderTemplates(value: unknown, vars: Record<string, unknown>, missing: string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => renderTemplates(v, vars, missing))
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTemplates(v, vars, missing)]))
  if (typeof value !== 'string') return value
  const whole = WHOLE.exec(value)
  if (whole) {
    const v = lookup(whole[1], vars)
    if (v === undefined) missing.push(whole[1])
    return v
  }
  return value.replace(INLINE, (_m, path: string) => {
    const v = lookup(path, vars)
    if (v === undefined) missing.push(path)
    return v === undefined ? '' : String(v)
  })
}
