// Which proxies istiod considers connected. A proxy is connected while it holds a stream (long poll) open, and for a
// grace period after its last stream closed, so the short gap between two polls is not a disconnect.
import type { ProxyNode } from './proxy-node.js'

/** One connected proxy, as `connections()` reports it. */
export interface IstiodConnection {
  id: string
  nodeId: string
  namespace: string
  serviceAccount: string
  ip: string
  workloadEntry?: string
  connectedAt: Date
  lastSeen: Date
  streaming: boolean
}

interface Tracked extends IstiodConnection {
  /** Hash of the credential the connection was opened with: its stream must present the same one. */
  credentialHash: string
  openStreams: number
}

export class ConnectionTable {
  readonly #byId = new Map<string, Tracked>()
  #counter = 0

  /** A new connection replaces an earlier one of the same node (the agent restarted). */
  add(node: ProxyNode, serviceAccount: string, credentialHash: string, workloadEntry: string | undefined, now: Date) {
    for (const [id, c] of this.#byId) if (c.nodeId === node.id) this.#byId.delete(id)
    const id = `${node.id.split('~')[2] ?? node.ip}-${++this.#counter}`
    const conn: Tracked = {
      id,
      nodeId: node.id,
      namespace: node.namespace,
      serviceAccount,
      ip: node.ip,
      workloadEntry,
      connectedAt: now,
      lastSeen: now,
      streaming: false,
      credentialHash,
      openStreams: 0,
    }
    this.#byId.set(id, conn)
    return conn
  }

  get(id: string): Tracked | undefined {
    return this.#byId.get(id)
  }

  streamOpened(conn: Tracked, now: Date): void {
    conn.openStreams++
    conn.streaming = true
    conn.lastSeen = now
  }

  streamClosed(conn: Tracked, now: Date): void {
    conn.openStreams = Math.max(0, conn.openStreams - 1)
    conn.streaming = conn.openStreams > 0
    conn.lastSeen = now
  }

  /** Removes and returns the connections silent for longer than `graceMs`. */
  expire(now: Date, graceMs: number): IstiodConnection[] {
    const gone = [...this.#byId.values()].filter((c) => !c.streaming && now.getTime() - c.lastSeen.getTime() > graceMs)
    for (const c of gone) this.#byId.delete(c.id)
    return gone.map(publicView)
  }

  list(): IstiodConnection[] {
    return [...this.#byId.values()].map(publicView)
  }
}

function publicView({ credentialHash: _t, openStreams: _o, ...conn }: Tracked): IstiodConnection {
  return { ...conn }
}
