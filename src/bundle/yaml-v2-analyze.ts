// go-yaml v2's scalar analysis (yaml_emitter_analyze_scalar): which styles can write a given text faithfully.

/** What the emitter may use for a text in block context (flow context is never needed here). */
export interface ScalarAnalysis {
  multiline: boolean
  blockPlainAllowed: boolean
  singleQuotedAllowed: boolean
  blockAllowed: boolean
}

export const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029'

export function isPrintable(c: string): boolean {
  const p = c.codePointAt(0) ?? 0
  return (
    p === 0x0a || (p >= 0x20 && p <= 0x7e) || (p >= 0xa0 && p <= 0xd7ff) || (p >= 0xe000 && p <= 0xfffd && p !== 0xfeff)
  )
}

// Block context only: the flow-context results are never needed because flow style is used only for `{}` and `[]`.
export function analyzeScalar(value: string): ScalarAnalysis {
  const cs = Array.from(value)
  let blockIndicators = value.startsWith('---') || value.startsWith('...')
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false
  let special = false
  let lineBreaks = false
  let previousSpace = false
  let previousBreak = false
  let precededByWhitespace = true
  cs.forEach((c, i) => {
    const next = cs[i + 1]
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t'
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) blockIndicators = true
    } else if ((c === ':' && followedByWhitespace) || (c === '#' && precededByWhitespace)) {
      blockIndicators = true
    }
    if (!isPrintable(c)) special = true
    const last = i === cs.length - 1
    if (c === ' ') {
      if (i === 0) leadingSpace = true
      if (last) trailingSpace = true
      if (previousBreak) breakSpace = true
      previousSpace = true
      previousBreak = false
    } else if (isBreak(c)) {
      lineBreaks = true
      if (i === 0) leadingBreak = true
      if (last) trailingBreak = true
      if (previousSpace) spaceBreak = true
      previousSpace = false
      previousBreak = true
    } else {
      previousSpace = false
      previousBreak = false
    }
    precededByWhitespace = c === ' ' || c === '\t' || isBreak(c)
  })
  const noPlain = leadingSpace || leadingBreak || trailingSpace || trailingBreak || breakSpace || spaceBreak
  return {
    multiline: lineBreaks,
    blockPlainAllowed: !(noPlain || special || lineBreaks || blockIndicators),
    singleQuotedAllowed: !(breakSpace || spaceBreak || special),
    blockAllowed: !(trailingSpace || spaceBreak || special),
  }
}
