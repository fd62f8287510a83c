// Benchmark mode of the js reference peer (issue 17): `bench-listen` serves /guardian/echo/1.0.0
// message by message (uvarint(length) ‖ bytes, each echoed whole) and the libp2p perf protocol's
// sink/source; `bench-dial` measures js-libp2p's own stack dialing a listener and prints one JSON
// line. The contract shared with the go and rust peers is in ../README.md. peer.mjs passes in its
// helpers (node factory, paced writes, the end-of-input check), so the workarounds of the interop
// faults it documents apply here too. Nodes here run identify but no ping service, so a handshake
// is dial + Noise + yamux + identify, as in the other peers' bench modes.
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { multiaddr } from '@multiformats/multiaddr'

const ECHO = '/guardian/echo/1.0.0'
const PERF = '/perf/1.0.0'
const TIMEOUT_MS = 30_000
// Bound on one echoed message (the benchmarks send 64 B) and on a perf download request.
const MAX_ECHO_MESSAGE = 4 * 1024 * 1024
const MAX_PERF_DOWNLOAD = 2 ** 30
const PERF_BLOCK = 64 * 1024
const LIMITS = { maxInboundStreams: 256, maxOutboundStreams: 256 }

/** uvarint(n) as bytes. */
function uvarint (n) {
  const out = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

/**
 * Splits buffered input into whole frames: returns [frames, rest]; each frame keeps its prefix.
 * Throws on a length over MAX_ECHO_MESSAGE or a prefix over 10 bytes.
 */
function frames (buf) {
  const out = []
  let off = 0
  for (;;) {
    let n = 0
    let mul = 1
    let i = off
    let complete = false
    while (i < buf.length && i - off < 10) {
      const b = buf[i++]
      n += (b & 0x7f) * mul
      mul *= 0x80
      if ((b & 0x80) === 0) { complete = true; break }
    }
    if (!complete) {
      if (i - off >= 10) throw new Error('uvarint over 10 bytes')
      return [out, buf.subarray(off)]
    }
    if (n > MAX_ECHO_MESSAGE) throw new Error(`message of ${n} bytes is over ${MAX_ECHO_MESSAGE}`)
    if (buf.length - i < n) return [out, buf.subarray(off)]
    out.push(buf.subarray(off, i + n))
    off = i + n
  }
}

/** Echoes each whole message as it completes; half-closes when the remote has. */
function serveEchoMessages (h, stream) {
  let pending = Buffer.alloc(0)
  let finished = false
  const finish = err => {
    if (finished) return
    finished = true
    if (err != null) stream.abort(err instanceof Error ? err : new Error(String(err)))
    else stream.close({ signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(e => stream.abort(e))
  }
  const timer = setTimeout(() => finish(new Error('echo stream silent too long')), TIMEOUT_MS)
  timer.unref()
  stream.addEventListener('message', evt => {
    try {
      const [whole, rest] = frames(Buffer.concat([pending, evt.data.subarray()]))
      pending = Buffer.from(rest)
      for (const f of whole) stream.send(f)
      timer.refresh()
      if (h.inputDone(stream)) finish()
    } catch (err) {
      finish(err)
    }
  })
  stream.addEventListener('end', () => { if (h.inputDone(stream)) finish() })
  stream.addEventListener('close', evt => { clearTimeout(timer); finish(evt.error) })
}

/** perf: 8-byte big-endian download size, the upload until the remote half-closes, then the download. */
function servePerf (h, stream) {
  let head = Buffer.alloc(0)
  let down = null
  let done = false
  const finish = async () => {
    if (done) return
    done = true
    try {
      if (down == null) throw new Error('perf stream ended before its 8-byte header')
      const zeros = new Uint8Array(PERF_BLOCK)
      for (let left = down; left > 0; left -= PERF_BLOCK) {
        await h.writePaced(stream, zeros.subarray(0, Math.min(PERF_BLOCK, left)), AbortSignal.timeout(TIMEOUT_MS))
      }
      await stream.close({ signal: AbortSignal.timeout(TIMEOUT_MS) })
    } catch (err) {
      stream.abort(err)
    }
  }
  stream.addEventListener('message', evt => {
    if (down == null) {
      head = Buffer.concat([head, evt.data.subarray()])
      if (head.length >= 8) {
        const size = head.readBigUInt64BE(0)
        if (size > BigInt(MAX_PERF_DOWNLOAD)) {
          done = true
          stream.abort(new Error(`download of ${size} bytes`))
          return
        }
        down = Number(size)
      }
    }
    if (h.inputDone(stream)) finish()
  })
  stream.addEventListener('end', () => { if (h.inputDone(stream)) finish() })
}

export async function benchListen (h) {
  const node = await h.createNode(true, true)
  await node.handle(ECHO, stream => serveEchoMessages(h, stream), LIMITS)
  await node.handle(PERF, stream => servePerf(h, stream), LIMITS)
  const addrs = node.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/[^/]+$/, ''))
  h.emit({ peerId: node.peerId.toString(), addrs })
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('error', () => process.exit(0))
  process.stdin.resume()
}

function parseArgs (args) {
  const b = { target: null, what: null, n: 100, concurrency: 1, size: 64 }
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]
    if (['--what', '--n', '--concurrency', '--size'].includes(flag)) {
      if (i + 1 >= args.length) throw new Error(`${flag} needs a value`)
      const v = args[++i]
      if (flag === '--what') { b.what = v; continue }
      const x = Number(v)
      if (!Number.isInteger(x) || x < 1) throw new Error(`${flag} must be a positive integer, got ${v}`)
      b[flag.slice(2)] = x
    } else {
      b.target = multiaddr(flag)
      if (b.target.getComponents().at(-1)?.name !== 'p2p') throw new Error(`the multiaddr must end with /p2p/<peer id>: ${flag}`)
    }
  }
  if (b.target == null) throw new Error('bench-dial needs a multiaddr')
  if (!['handshake', 'rr', 'throughput'].includes(b.what)) throw new Error('--what must be handshake, rr or throughput')
  b.peer = b.target.getComponents().at(-1).value
  return b
}

/** Runs count operations over concurrency workers; each takes the next index. */
async function runWorkers (count, concurrency, op) {
  let next = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    while (next++ < count) await op(w)
  }))
  return (performance.now() - start) / 1000
}

function cpuMicros () {
  const u = process.cpuUsage()
  return u.user + u.system
}

const warmups = n => Math.max(1, Math.floor(n / 10))

/** One node per concurrent dialer; an operation is dial + Noise + yamux + identify, then close. */
async function handshake (h, b) {
  const workers = []
  for (let i = 0; i < b.concurrency; i++) {
    const node = await h.createNode(false, true)
    const w = { node, identified: null }
    node.addEventListener('peer:identify', evt => {
      if (evt.detail.peerId.toString() === b.peer && w.identified != null) w.identified()
    })
    workers.push(w)
  }
  const op = async i => {
    const w = workers[i]
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    const identified = new Promise((resolve, reject) => {
      w.identified = resolve
      signal.addEventListener('abort', () => reject(new Error('identify timed out')), { once: true })
    })
    const connection = await w.node.dial(b.target, { signal })
    await identified
    w.identified = null
    await connection.close({ signal })
  }
  await runWorkers(warmups(b.n), b.concurrency, op)
  const cpu = cpuMicros()
  const seconds = await runWorkers(b.n, b.concurrency, op)
  return { seconds, handshakesPerSec: b.n / seconds, cpuUsPerOp: (cpuMicros() - cpu) / b.n }
}

/** Reads one framed message from a fresh stream (the reply), bounded and with a deadline. */
function readMessage (h, stream, signal) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    stream.addEventListener('message', evt => {
      try {
        buf = Buffer.concat([buf, evt.data.subarray()])
        const [whole] = frames(buf)
        if (whole.length > 0) resolve(whole[0])
      } catch (err) {
        reject(err)
      }
    })
    stream.addEventListener('close', evt => reject(evt.error ?? new Error('stream closed before the reply')))
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}

/** A stream per request, as a pool's lease: open, one framed message, read the echo, close. */
async function rr (h, b) {
  const node = await h.createNode(false, true)
  const connection = await node.dial(b.target, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  const request = Buffer.concat([uvarint(b.size), randomBytes(b.size)])
  let latencies = null
  const op = async () => {
    const start = performance.now()
    const signal = AbortSignal.timeout(TIMEOUT_MS)
    const stream = await connection.newStream(ECHO, { signal, ...LIMITS })
    const reply = readMessage(h, stream, signal)
    stream.send(request)
    const back = await reply
    if (!request.equals(back)) throw new Error('the echo differs from the request')
    await stream.close({ signal })
    if (latencies != null) latencies.push((performance.now() - start) * 1000)
  }
  await runWorkers(warmups(b.n), b.concurrency, op)
  latencies = []
  const cpu = cpuMicros()
  const seconds = await runWorkers(b.n, b.concurrency, op)
  const cpuUsPerOp = (cpuMicros() - cpu) / b.n
  latencies.sort((x, y) => x - y)
  const mean = latencies.reduce((s, x) => s + x, 0) / latencies.length
  return {
    seconds,
    opsPerSec: b.n / seconds,
    p50Us: latencies[Math.floor(latencies.length / 2)],
    meanUs: mean,
    p99Us: latencies[Math.floor(latencies.length * 99 / 100)],
    cpuUsPerOp
  }
}

/** One connection; --concurrency perf streams at once, --n uploads of --size bytes in all. */
async function throughput (h, b) {
  const node = await h.createNode(false, true)
  const connection = await node.dial(b.target, { signal: AbortSignal.timeout(TIMEOUT_MS) })
  const block = randomBytes(PERF_BLOCK)
  const op = async () => {
    const signal = AbortSignal.timeout(10 * TIMEOUT_MS)
    setMaxListeners(Infinity, signal)
    const stream = await connection.newStream(PERF, { signal, ...LIMITS })
    const ended = h.readToEnd(stream, 0, signal)
    stream.send(new Uint8Array(8))
    for (let left = b.size; left > 0; left -= PERF_BLOCK) {
      await h.writePaced(stream, block.subarray(0, Math.min(PERF_BLOCK, left)), signal)
    }
    await stream.close({ signal })
    await ended
  }
  await runWorkers(b.concurrency, b.concurrency, op)
  const cpu = cpuMicros()
  const seconds = await runWorkers(b.n, b.concurrency, op)
  const bytes = b.n * b.size
  return { seconds, mbPerSec: bytes / seconds / 1e6, cpuUsPerMiB: (cpuMicros() - cpu) / (bytes / 2 ** 20) }
}

export async function benchDial (h, args) {
  const b = parseArgs(args)
  const run = { handshake, rr, throughput }[b.what]
  try {
    const fields = await run(h, b)
    h.emit({ impl: 'js', what: b.what, ok: true, n: b.n, concurrency: b.concurrency, size: b.size, ...fields })
    return 0
  } catch (err) {
    h.emit({ impl: 'js', what: b.what, ok: false, error: h.errorText(err) })
    return 1
  }
}
