// ssh_config lines split as OpenSSH's readconf.c (process_config_line_depth) and misc.c (argv_split) do.
import { InputError } from '../errors.js'

/** Where a line came from, for error messages (`file line N`, as ssh prints it). */
export interface LineRef {
  file: string
  line: number
}

/** One keyword line: the keyword lower-cased, its arguments (quotes and escapes removed), and the raw rest. */
export interface ConfigLine extends LineRef {
  keyword: string
  args: string[]
  /** The text after the keyword and its separator, as ProxyCommand and Match read it. */
  rest: string
}

/** A file ssh would refuse ("terminating, 1 bad configuration options"). */
export class SshConfigError extends InputError {
  constructor(at: LineRef | undefined, message: string) {
    super(at ? `${at.file} line ${at.line}: ${message}` : message)
    this.name = 'SshConfigError'
  }
}

const TRAILING_SPACE = /[ \t\r\n\f]+$/

/** argv_split(…, terminate_on_comment): whitespace-separated words, '' and "" quotes, \\ escapes; `#` at a word start ends the line. */
export function splitArgs(text: string, at: LineRef): string[] {
  const args: string[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === ' ' || c === '\t') {
      i++
      continue
    }
    if (c === '#') break
    let arg = ''
    let quote = ''
    for (; i < text.length; i++) {
      const ch = text[i]
      const next = text[i + 1]
      if (ch === '\\') {
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) arg += text[++i]
        else arg += ch
      } else if (quote === '' && (ch === ' ' || ch === '\t')) break
      else if (quote === '' && (ch === '"' || ch === "'")) quote = ch
      else if (quote !== '' && ch === quote) quote = ''
      else arg += ch
    }
    if (quote !== '') throw new SshConfigError(at, 'invalid quotes')
    args.push(arg)
  }
  return args
}

/** OpenSSH strdelim: the next word (split at whitespace or one '=', a double-quoted word kept whole) and the text after it. */
export function nextWord(text: string): [string, string] | undefined {
  const s = text.replace(/^[ \t\r\n]+/, '')
  if (s === '') return undefined
  if (s[0] === '"') {
    const end = s.indexOf('"', 1)
    if (end < 0) return undefined
    return [s.slice(1, end), s.slice(end + 1).replace(/^[ \t\r\n]+/, '')]
  }
  const m = /^([^ \t\r\n="]*)([ \t\r\n]*=?[ \t\r\n]*)/.exec(s)!
  return [m[1], s.slice(m[0].length)]
}

/** Splits one raw line; undefined for blank lines and comments. Throws where ssh refuses the line itself. */
export function lexLine(raw: string, at: LineRef): ConfigLine | undefined {
  const text = raw.replace(TRAILING_SPACE, '')
  const word = nextWord(text)
  if (!word || word[0] === '' || word[0].startsWith('#')) return undefined
  const keyword = word[0].toLowerCase()
  const rest = word[1]
  if (rest === '') throw new SshConfigError(at, `no argument after keyword "${keyword}"`)
  return { ...at, keyword, args: splitArgs(rest, at), rest }
}
