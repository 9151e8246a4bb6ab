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
