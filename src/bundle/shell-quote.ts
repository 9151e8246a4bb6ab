// istio's pkg/util/shellescape.Quote, bug included: its character class was meant as `[^\w@%+=:,./-]` but escapes
// the backslash, so the safe set is literally backslash, the letter `w` and `@%+=:,./-`. Every golden value is quoted
// because of this (`'latest'`, `'10.10.10.10'`), so reproducing it is what keeps cluster.env byte-identical.
const UNSAFE = /[^\\w@%+=:,./-]/

export function shellQuote(value: string): string {
  if (value === '') return "''"
  if (!UNSAFE.test(value)) return value
  return "'" + value.replaceAll("'", `'"'"'`) + "'"
}
