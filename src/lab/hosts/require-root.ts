import { ExitCode, ExitError } from '../../errors.js'

/** The lab boots containers, network namespaces and mounts: only root on Linux can. */
export function requireRootOnLinux(): void {
  if (process.platform !== 'linux') throw new ExitError('meshvm lab needs Linux (it uses systemd-nspawn)', ExitCode.input)
  if (process.getuid?.() !== 0) throw new ExitError('meshvm lab needs root (run it with sudo)', ExitCode.input)
}
