// A delaying TCP proxy for the benches: one listener per VM on 127.0.0.1 (the controller side), forwarding to the VM's
// sshd; every chunk read from either side is written to the other RTT/2 later, in order, so a request/response costs
// one RTT more than on the LAN. It also counts, per VM, the connections, the bytes and chunks each way, the
// turnarounds (the client sent again after the server had sent: every request/response, but also every SFTP write
// after an ack came back while others were in flight) and the waits (turnarounds after at least 0.9 RTT of silence
// from the client: it was blocked on an answer; the count of round trips that cost wall time, at RTT > 0).
//
// How faithful: delay per chunk as read (no bandwidth model, no loss, no jitter, no TCP slow start or congestion
// window: the controller's TCP talks to a proxy on loopback). What a WAN's delay does to the protocols above TCP
// (SSH's key exchange and channel windows, SFTP's request/ack window, Ansible's and meshvm's exec turnarounds) is
// reproduced; what it does to TCP itself (BDP-limited throughput, slow start after idle) is not. Nagle is off on both
// sockets of the proxy (noDelay) so the proxy adds no coalescing delay of its own; what the client and sshd do with
// Nagle on their own sockets is unchanged.
//
// Usage as a process: node bench/latency-proxy.mjs --rtt MS --map FILE --ready FILE [--trace FILE (a line per wait)]
//   FILE: JSON [{ "name", "host", "port" }] (the VM's sshd); the proxy writes --ready as JSON
//   [{ "name", "listen" }] once listening. SIGUSR1 zeroes the counters, SIGUSR2 writes them to FILE.counts.json.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'

const MAX_QUEUED = 16 * 2 ** 20 // bytes held per direction before reading from the sender pauses

function newCounts() {
  return { connections: 0, turnarounds: 0, waits: 0, bytesUp: 0, bytesDown: 0, chunksUp: 0, chunksDown: 0 }
}

/** Copies `from` → `to`, each chunk `delayMs` after it was read; `end` is delayed as well. */
function delayedPipe(from, to, delayMs, onChunk) {
  const queue = []
  let queued = 0
  let timer
  const deliver = () => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && queue[0].due <= now + 0.5) {
      const { chunk } = queue.shift()
      if (chunk === null) to.end()
      else {
        queued -= chunk.length
        to.write(chunk)
      }
    }
    if (queued < MAX_QUEUED && from.isPaused()) from.resume()
    if (queue.length > 0) timer = setTimeout(deliver, queue[0].due - performance.now())
  }
  const push = (chunk) => {
    queue.push({ due: performance.now() + delayMs, chunk })
    if (chunk) queued += chunk.length
    if (queued >= MAX_QUEUED) from.pause()
    timer ??= setTimeout(deliver, delayMs)
  }
  from.on('data', (chunk) => {
    onChunk(chunk)
    if (delayMs > 0) push(chunk)
    else if (!to.write(chunk)) {
      from.pause()
      to.once('drain', () => from.resume())
    }
  })
  from.on('end', () => (delayMs > 0 ? push(null) : to.end()))
}

/** Starts one listener per target; `counts[name]` grows as traffic flows. */
export async function startProxies(targets, rttMs, trace) {
  const half = rttMs / 2
  const counts = Object.fromEntries(targets.map((t) => [t.name, newCounts()]))
  const servers = []
  const listening = []
  for (const t of targets) {
    const server = createServer({ noDelay: true }, (client) => {
      const c = counts[t.name]
      c.connections++
      let last = 'down'
      let lastUp = performance.now()
      const upstream = connect({ host: t.host, port: t.port, noDelay: true })
      const close = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('error', close)
      upstream.on('error', close)
      client.on('close', close)
      upstream.on('close', close)
      delayedPipe(client, upstream, half, (chunk) => {
        const now = performance.now()
        if (last === 'down') c.turnarounds++
        // silent for a whole RTT, then speaking after an answer: it waited for that answer
        if (last === 'down' && rttMs > 0 && now - lastUp >= 0.9 * rttMs) {
          c.waits++
          trace?.(`${new Date().toISOString()} ${t.name} wait ${Math.round(now - lastUp)}ms ${chunk.length}B`)
        }
        last = 'up'
        lastUp = now
        c.bytesUp += chunk.length
        c.chunksUp++
      })
      delayedPipe(upstream, client, half, (chunk) => {
        last = 'down'
        c.bytesDown += chunk.length
        c.chunksDown++
      })
    })
    await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
    servers.push(server)
    listening.push({ name: t.name, listen: server.address().port })
  }
  return {
    listening,
    counts,
    reset: () => Object.values(counts).forEach((c) => Object.assign(c, newCounts())),
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = {
    rtt: { type: 'string' },
    map: { type: 'string' },
    ready: { type: 'string' },
    trace: { type: 'string' },
  }
  const { values: o } = parseArgs({ options })
  const trace = o.trace ? (line) => appendFileSync(o.trace, line + '\n') : undefined
  const proxies = await startProxies(JSON.parse(readFileSync(o.map, 'utf8')), Number(o.rtt), trace)
  process.on('SIGUSR1', () => proxies.reset())
  process.on('SIGUSR2', () => writeFileSync(`${o.map}.counts.json`, JSON.stringify(proxies.counts)))
  process.on('SIGTERM', () => proxies.close().then(() => process.exit(0)))
  writeFileSync(o.ready, JSON.stringify(proxies.listening))
}
