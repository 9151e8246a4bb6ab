// The command lines the documentation shows: README.md and playbooks/README.md code blocks, and every `--help`
// example (the top-level usage's `e.g.` lines and each command's Examples).
import { readFileSync } from 'node:fs'

/** One documented command line and where it is shown. */
export interface Example {
  /** As a user would type it: no `sudo`, no `$ ` prompt, no trailing comment, single spaces. */
  line: string
  where: string
}

const normalize = (line: string) =>
  line
    .replace(/^\$ /, '')
    .replace(/^sudo /, '')
    .replace(/\s+#.*$/, '')
    .replace(/\s+/g, ' ')
    .trim()

/**
 * Command lines of a Markdown file: every line of a ```sh block, and `$ ` lines of other blocks (transcripts). Lines of
 * YAML or output blocks are not commands.
 */
export function markdownExamples(file: string, text = readFileSync(file, 'utf8')): Example[] {
  const out: Example[] = []
  let fence: string | undefined
  text.split('\n').forEach((raw, i) => {
    const open = /^```(\S*)/.exec(raw)
    if (open) {
      fence = fence === undefined ? open[1] : undefined
      return
    }
    if (fence === undefined) return
    const isCommand = fence === 'sh' ? raw.trim() !== '' && !raw.trim().startsWith('#') : raw.startsWith('$ ')
    if (isCommand) out.push({ line: normalize(raw), where: `${file.split('/').pop()}:${i + 1}` })
  })
  return out
}

/** `e.g. meshvm …` lines of the usage, and the lines under `Examples:` of a command's help. */
export function helpExamples(helpText: string, where: string): Example[] {
  const eg = [...helpText.matchAll(/e\.g\. (meshvm .*)$/gm)].map((m) => m[1]!)
  const section = /\nExamples:\n((?: {2}.*\n?)*)/.exec(helpText)?.[1] ?? ''
  const listed = section.split('\n').filter((l) => l.startsWith('  meshvm '))
  return [...eg, ...listed].map((l) => ({ line: normalize(l), where }))
}

/** What the test says about examples it has no entry for, or entries no document shows: empty when all is well. */
export function entryProblems(examples: Example[], known: string[], testFile: string): string[] {
  const shown = new Set(examples.map((e) => e.line))
  const have = new Set(known)
  const missing = [...shown]
    .filter((line) => !have.has(line))
    .map((line) => {
      const where = examples
        .filter((e) => e.line === line)
        .map((e) => e.where)
        .join(', ')
      return (
        `${where}: "${line}" has no entry in ${testFile}. Add one to \`specs\` where it can run against the ` +
        `shared lab (the line as documented, the exit code and a \`check\` asserting what the document says it ` +
        `does), or to \`elsewhere\` naming the test that runs it`
      )
    })
  const stale = [...have]
    .filter((line) => !shown.has(line))
    .map((line) => `"${line}" has an entry in ${testFile} but no document shows it any more: remove the entry`)
  return [...missing, ...stale]
}
