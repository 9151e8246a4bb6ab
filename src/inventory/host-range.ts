/** Ansible's host ranges: `web[01:03]` → web01 web02 web03, `db-[a:c]` → db-a db-b db-c, `[1:9:4]` with a step. */
export function expandHostRange(pattern: string): string[] {
  const m = /^(.*?)\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\](.*)$/.exec(pattern)
  if (!m) return [pattern]
  const [, head, from, to, stepText, tail] = m
  const step = Math.max(1, Number(stepText ?? 1))
  const numeric = /^[0-9]+$/.test(from) && /^[0-9]+$/.test(to)
  if (!numeric && (/[0-9]/.test(from) || /[0-9]/.test(to))) return [pattern]
  const [start, end] = numeric ? [Number(from), Number(to)] : [from.charCodeAt(0), to.charCodeAt(0)]
  const width = numeric && from.startsWith('0') ? from.length : 0
  const names: string[] = []
  for (let i = start; i <= end; i += step) {
    const middle = numeric ? String(i).padStart(width, '0') : String.fromCharCode(i)
    names.push(...expandHostRange(`${head}${middle}${tail}`))
  }
  return names
}
