// Names derived from the control-plane revision (istioctl's IstiodHost / IstiodAddr).
import { revisioned } from './revision.js'

export { isRevisioned } from './revision.js'

/** `istiod[-REV].<istioNamespace>.svc` */
export function istiodHost(istioNamespace: string, revision: string): string {
  return `${revisioned('istiod', revision)}.${istioNamespace}.svc`
}

/** istiod's xDS/CA address; istioctl hard-codes port 15012. */
export function istiodAddress(istioNamespace: string, revision: string): string {
  return `${istiodHost(istioNamespace, revision)}:15012`
}
