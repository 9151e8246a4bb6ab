// Text formats of the Go standard library that istioctl's output depends on.

/** Orders strings as Go's `sort.Strings` does: by UTF-8 bytes, not UTF-16 code units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** `strconv.FormatFloat(n, 'g', -1, 64)`: shortest digits; exponent form below 1e-4 and from 1e6 (e.g. `1e+06`). */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf'
  if (n === 0) return Object.is(n, -0) ? '-0' : '0'
  const sign = n < 0 ? '-' : ''
  const [mantissa, expText] = Math.abs(n).toExponential().split('e')
  const exp = Number(expText)
  if (exp >= -4 && exp < 6) return sign + String(Math.abs(n))
  const expDigits = String(Math.abs(exp)).padStart(2, '0')
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${expDigits}`
}

/** A string as Go's `encoding/json` writes it: HTML-safe (`<`, `>`, `&` escaped) and U+2028/U+2029 escaped. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/** A `map[string]string` as Go's `json.Marshal` writes it: keys in byte order, compact. */
export function goJsonStringMap(map: Record<string, string>): string {
  const keys = Object.keys(map).sort(compareUtf8)
  return '{' + keys.map((k) => `${goJsonString(k)}:${goJsonString(map[k])}`).join(',') + '}'
}

/** A `map[string]string` as Go's `fmt` prints it with `%s` / `%v`: `map[k1:v1 k2:v2]`, keys sorted. */
export function goPrintStringMap(map: Record<string, string>): string {
  const keys = Object.keys(map).sort(compareUtf8)
  return 'map[' + keys.map((k) => `${k}:${map[k]}`).join(' ') + ']'
}
