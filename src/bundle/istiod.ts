// Names derived from the control-plane revision (istioctl's isRevisioned / IstiodHost / IstiodAddr).

/** '' and 'default' mean the default (unrevisioned) control plane. */
export function isRevisioned(revision: string): boolean {
  return revision !== '' && revision !== 'default'
}

/** `istiod[-REV].<istioNamespace>.svc` */
export function istiodHost(istioNamespace: string, revision: string): string {
  return `${isRevisioned(revision) ? `istiod-${revision}` : 'istiod'}.${istioNamespace}.svc`
}

/** istiod's xDS/CA address; istioctl hard-codes port 15012. */
export function istiodAddress(istioNamespace: string, revision: string): string {
  return `${istiodHost(istioNamespace, revision)}:15012`
}
