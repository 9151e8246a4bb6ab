// The part of go-yaml v2's emitter (emitterc.go) that block-style output of JSON-like values reaches: the cursor
// state (column, whitespace, indention), style choice and the four scalar writers, including folding long scalars
// at spaces past column 80.
import { analyzeScalar, isBreak, isPrintable } from './yaml-v2-analyze.js'

const BEST_WIDTH = 80
const BEST_INDENT = 2

export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal'

/** Output text plus the emitter's cursor state, which decides where spaces and line breaks go. */
export class YamlEmitter {
  out = ''
  column = 0
  whitespace = true
  indention = true

  private put(c: string): void {
    this.out += c
    this.column++
  }

  private putBreak(): void {
    this.out += '\n'
    this.column = 0
  }

  // A newline in the text becomes a line break; other break characters (U+2028...) are copied as they are.
  private writeBreak(c: string): void {
    if (c === '\n') return this.putBreak()
    this.out += c
    this.column = 0
  }

  writeIndent(indent: number): void {
    const target = Math.max(indent, 0)
    if (!this.indention || this.column > target || (this.column === target && !this.whitespace)) this.putBreak()
    while (this.column < target) this.put(' ')
    this.whitespace = true
    this.indention = true
  }

  writeIndicator(text: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ')
    for (const c of text) this.put(c)
    this.whitespace = isWhitespace
    this.indention = this.indention && isIndention
  }

  /** Multi-line keys and keys over 128 bytes cannot be simple keys (they get the `? ` form). */
  static isSimpleKey(key: string): boolean {
    return Buffer.byteLength(key, 'utf8') <= 128 && !analyzeScalar(key).multiline
  }

  /** Writes a scalar; `requested` is what the encoder asked for, the analysis may demote it as yaml.v2 does. */
  writeScalar(value: string, requested: ScalarStyle, indent: number, simpleKey: boolean): void {
    const a = analyzeScalar(value)
    let style = requested
    if (simpleKey && a.multiline) style = 'double'
    if (style === 'plain' && !a.blockPlainAllowed) style = 'single'
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double'
    if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double'
    const allowBreaks = !simpleKey
    if (style === 'plain') this.writePlain(value, allowBreaks, indent)
    else if (style === 'single') this.writeSingleQuoted(value, allowBreaks, indent)
    else if (style === 'double') this.writeDoubleQuoted(value, allowBreaks, indent)
    else this.writeLiteral(value, indent)
  }

  private writePlain(value: string, allowBreaks: boolean, indent: number): void {
    if (!this.whitespace) this.put(' ')
    const cs = Array.from(value)
    let spaces = false
    cs.forEach((c, i) => {
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && cs[i + 1] !== ' ') this.writeIndent(indent)
        else this.put(c)
        spaces = true
      } else {
        this.put(c)
        this.indention = false
        spaces = false
      }
    })
    this.whitespace = false
    this.indention = false
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean, indent: number): void {
    this.writeIndicator("'", true, false, false)
    const cs = Array.from(value)
    let spaces = false
    let breaks = false
    cs.forEach((c, i) => {
      if (c === ' ') {
        const fold = allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cs.length - 1
        if (fold && cs[i + 1] !== ' ') this.writeIndent(indent)
        else this.put(c)
        spaces = true
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak()
        this.writeBreak(c)
        this.indention = true
        breaks = true
      } else {
        if (breaks) this.writeIndent(indent)
        if (c === "'") this.put("'")
        this.put(c)
        this.indention = false
        spaces = false
        breaks = false
      }
    })
    this.writeIndicator("'", false, false, false)
  }

  private writeDoubleQuoted(value: string, allowBreaks: boolean, indent: number): void {
    this.writeIndicator('"', true, false, false)
    const cs = Array.from(value)
    let spaces = false
    cs.forEach((c, i) => {
      if (!isPrintable(c) || isBreak(c) || c === '"' || c === '\\') {
        for (const e of escapeDoubleQuoted(c)) this.put(e)
        spaces = false
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cs.length - 1) {
          this.writeIndent(indent)
          if (cs[i + 1] === ' ') this.put('\\')
        } else this.put(c)
        spaces = true
      } else {
        this.put(c)
        spaces = false
      }
    })
    this.writeIndicator('"', false, false, false)
  }

  private writeLiteral(value: string, indent: number): void {
    this.writeIndicator('|', true, false, false)
    const cs = Array.from(value)
    if (cs[0] === ' ' || isBreak(cs[0])) this.writeIndicator(String(BEST_INDENT), false, false, false)
    const chomp = literalChomp(cs)
    if (chomp) this.writeIndicator(chomp, false, false, false)
    this.putBreak()
    this.indention = true
    this.whitespace = true
    let breaks = true
    for (const c of cs) {
      if (isBreak(c)) {
        this.writeBreak(c)
        this.indention = true
        breaks = true
      } else {
        if (breaks) this.writeIndent(indent)
        this.put(c)
        this.indention = false
        breaks = false
      }
    }
  }
}

// `-` strips a missing final newline, `+` keeps more than one, none keeps exactly one.
function literalChomp(cs: string[]): string {
  const n = cs.length
  if (n === 0 || !isBreak(cs[n - 1])) return '-'
  if (n === 1 || isBreak(cs[n - 2])) return '+'
  return ''
}

const NAMED_ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0x2028: 'L',
  0x2029: 'P',
}

function escapeDoubleQuoted(c: string): string {
  const p = c.codePointAt(0) ?? 0
  const named = NAMED_ESCAPES[p]
  if (named !== undefined) return '\\' + named
  const hex = p.toString(16).toUpperCase()
  if (p <= 0xff) return '\\x' + hex.padStart(2, '0')
  if (p <= 0xffff) return '\\u' + hex.padStart(4, '0')
  return '\\U' + hex.padStart(8, '0')
}
