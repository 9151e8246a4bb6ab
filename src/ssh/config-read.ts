// Reading ssh_config files as readconf.c read_config_file_depth does: Host/Match blocks, Include (relative to
// ~/.ssh for user files, /etc/ssh for the system file), IgnoreUnknown, and the permission check on user files.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { type ConfigLine, lexLine, SshConfigError } from './config-lexer.js'
import { SSH_KEYWORDS } from './config-keywords.js'
import { matchHostLine, matchLine, type MatchState } from './config-match.js'
import { type ConfigSettings, HANDLERS } from './config-options.js'
import { globPaths } from './config-glob.js'
import { expandTilde, localIdentity } from './config-tokens.js'
import { matchPatternList } from './host-pattern.js'

// readconf.c READCONF_MAX_DEPTH
const MAX_DEPTH = 16

/** How one file is read (readconf.c SSHCONF_* flags). */
interface FileFlags {
  /** A user file: `~` allowed in Include, relative includes under ~/.ssh, identity files marked user-provided. */
  user: boolean
  /** Refuse the file when another user owns it or others can write it (SSHCONF_CHECKPERM). */
  checkPerm: boolean
  /** Included from a block that did not apply: no Host or Match in it applies either. */
  neverMatch: boolean
}

function checkPermissions(file: string): void {
  const st = statSync(file)
  const uid = process.getuid?.() ?? 0
  if ((st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) {
    throw new SshConfigError(undefined, `Bad owner or permissions on ${file}`)
  }
}

// Lexed files, by path, size and mtime: a fleet looks up every VM in the same few files.
const lexed = new Map<string, { stamp: string; lines: ConfigLine[] }>()

function linesOf(file: string): ConfigLine[] {
  const st = statSync(file)
  const stamp = `${st.size}:${st.mtimeMs}`
  const cached = lexed.get(file)
  if (cached?.stamp === stamp) return cached.lines
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((raw, i) => lexLine(raw, { file, line: i + 1 }) ?? [])
  lexed.set(file, { stamp, lines })
  return lines
}

/** Applies the lines of one pass over the config files to `settings`. */
export class ConfigReader {
  constructor(
    readonly settings: ConfigSettings,
    readonly state: MatchState,
  ) {}

  /** Reads `file`; a missing file counts as empty unless `required`. */
  readFile(file: string, flags: FileFlags, active = { value: true }, depth = 0, required = false): void {
    if (!existsSync(file)) {
      if (required) throw new SshConfigError(undefined, `Can't open user config file ${file}`)
      return
    }
    if (depth > MAX_DEPTH) throw new SshConfigError(undefined, `${file}: too many recursive configuration includes`)
    if (flags.checkPerm) checkPermissions(file)
    for (const line of linesOf(file)) this.#apply(line, flags, active, depth)
  }

  #apply(line: ConfigLine, flags: FileFlags, active: { value: boolean }, depth: number): void {
    const { keyword } = line
    if (keyword === 'host') {
      const hit = matchHostLine(line, this.state.host)
      active.value = !flags.neverMatch && hit
    } else if (keyword === 'match') {
      const hit = matchLine(line, this.settings, this.state)
      active.value = !flags.neverMatch && hit
    } else if (keyword === 'include') this.#include(line, flags, active, depth)
    else if (HANDLERS[keyword]) HANDLERS[keyword](this.settings, line, active.value, flags.user)
    else if (SSH_KEYWORDS.has(keyword)) return
    else if (!this.#ignored(keyword)) throw new SshConfigError(line, `Bad configuration option: ${keyword}`)
  }

  #ignored(keyword: string): boolean {
    const patterns = this.settings.ignoreUnknown
    return patterns !== undefined && matchPatternList(keyword, patterns, true) === 1
  }

  #include(line: ConfigLine, flags: FileFlags, active: { value: boolean }, depth: number): void {
    for (const arg of line.args) {
      if (arg === '') throw new SshConfigError(line, 'keyword include empty argument')
      if (arg.startsWith('~') && !flags.user) throw new SshConfigError(line, `bad include path ${arg}.`)
      const anchored = isAbsolute(arg) || arg.startsWith('~') ? arg : `${flags.user ? '~/.ssh' : '/etc/ssh'}/${arg}`
      const before = active.value
      for (const file of globPaths(expandTilde(anchored))) {
        const nested = { ...flags, checkPerm: true, neverMatch: flags.neverMatch || !before }
        this.readFile(file, nested, active, depth + 1)
        // A Host or Match inside the included file does not change the including file's block.
        active.value = before
      }
    }
  }
}

/** The files ssh reads: `-F file` alone, or ~/.ssh/config then /etc/ssh/ssh_config. */
export function readConfigFiles(reader: ConfigReader, configFile: string | undefined, systemFile: string): void {
  if (configFile !== undefined) {
    if (configFile.toLowerCase() !== 'none') {
      reader.readFile(configFile, { user: true, checkPerm: false, neverMatch: false }, undefined, 0, true)
    }
    return
  }
  const userFile = `${localIdentity().home}/.ssh/config`
  reader.readFile(userFile, { user: true, checkPerm: true, neverMatch: false })
  reader.readFile(systemFile, { user: false, checkPerm: false, neverMatch: false })
}
