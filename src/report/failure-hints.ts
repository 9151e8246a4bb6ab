/** What to try next when one VM failed: by the failing step's kind, else by the connection error's text. */
export function failureHint(kind: string | undefined, msg: string): string | undefined {
  const byKind: Record<string, string> = {
    'wait-for-log':
      'the sidecar started but did not reach istiod: look at /var/log/istio/istio.err.log and ' +
      '/var/log/istio/istio.log on the VM, and check that the ingress address answers on port 15012 from the VM',
    package: 'check the package source (file path, or URL and sha256) and that dpkg/rpm works on the VM',
    systemd: 'on the VM: systemctl status istio; journalctl -u istio',
    'workload-entry': 'auto-registration needs istiod with PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION=true',
  }
  if (kind && byKind[kind]) return byKind[kind]
  if (/HAS CHANGED/.test(msg)) return 'the host key changed: if the VM was reinstalled, run ssh-keygen -R'
  if (/host key .* not known/.test(msg)) return 'trust the key when asked, or run with --accept-new-host-keys'
  if (/authentication failed|identity file/.test(msg)) {
    return 'the VM refused the login: check the user and password, or load your key into ssh-agent (ssh-add)'
  }
  if (/sudo/.test(msg)) return 'the user must be root or have sudo: pass -K to give the sudo password'
  if (/refused|unreachable|timed out|resolve/.test(msg)) return 'check the address and port, and that sshd runs there'
  return undefined
}
