// Booleans as Ansible users write them: Ansible's `boolean` conversion
// (lib/ansible/module_utils/parsing/convert_bool.py) takes these strings, in any case, besides YAML's true/false.
const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't'])
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f'])

/** `yes`/`no`, `on`/`off`, `true`/`false`, `y`/`n`, `1`/`0` or a boolean; undefined for anything else. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined
  if (typeof value !== 'string') return undefined
  const v = value.trim().toLowerCase()
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined
}
