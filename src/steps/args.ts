import type { BundleFileName } from '../bundle/types.js'
import type { PackageSource } from '../inventory/types.js'

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

/** The value an argument of type `T` has after loading (a mode is a number by then). */
type ValueOf<T> = T extends 'string'
  ? string
  : T extends 'boolean'
    ? boolean
    : T extends 'number' | 'mode'
      ? number
      : T extends 'strings'
        ? string[]
        : T extends 'source'
          ? PackageSource
          : T extends 'bundle'
            ? BundleFileName
            : T extends readonly (infer U)[]
              ? U
              : never

// Keys always present once rendered: required ones, and those with a default (the renderer fills it in).
type Present<S extends ArgSpec> = {
  [K in keyof S]: S[K] extends { required: true } ? K : S[K] extends { default: unknown } ? K : never
}[keyof S]

/** A step's argument type, derived from its handler's runtime spec (declare the spec `as const`). */
export type ArgsOf<S extends ArgSpec> = { -readonly [K in Present<S>]: ValueOf<S[K]['type']> } & {
  -readonly [K in Exclude<keyof S, Present<S>>]?: ValueOf<S[K]['type']>
}
