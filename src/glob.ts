/** A `*` / `?` glob as an anchored RegExp; everything else matches itself. Case-insensitive with `ignoreCase`. */
export function globRegExp(glob: string, o: { ignoreCase?: boolean } = {}): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${body}$`, o.ignoreCase ? 'i' : '')
}
