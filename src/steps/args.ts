/** The type of one playbook argument. `mode` is a quoted octal string ('0644'); `source` a package source map. */
export type ArgType = 'string' | 'boolean' | 'number' | 'strings' | 'mode' | 'source' | 'bundle' | readonly string[]

export interface ArgRule {
  type: ArgType
  required?: boolean
  default?: unknown
}

/** The keys a step kind accepts; any other key is an error. */
export type ArgSpec = Record<string, ArgRule>

/** At most one of these keys may be given; `required` means exactly one. */
export interface OneOf {
  keys: string[]
  required: boolean
}
