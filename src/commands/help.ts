import type { FlagSpec } from './args.js'

/** `meshvm <command> --help`: usage line, flags with their help, and examples. */
export function commandHelp(usage: string, specs: Record<string, FlagSpec>, examples: string[]): string {
  const flagText = (name: string, s: FlagSpec) =>
    `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` <${s.type === 'number' ? 'n' : 'value'}>`}`
  const rows = Object.entries(specs).map(([n, s]) => [flagText(n, s), s.help ?? ''] as const)
  const width = Math.max(0, ...rows.map(([f]) => f.length))
  return [
    `Usage: ${usage}`,
    '',
    'Flags:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    '',
    'Examples:',
    ...examples.map((e) => `  ${e}`),
    '',
  ].join('\n')
}
