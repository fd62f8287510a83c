// Reference js-libp2p peer for Guardian Pool's interop tests.
//
// `listen` and `dial <multiaddr/p2p/id> [--steps a,b]`: the command-line contract shared with the
// go and rust peers is described in ../README.md. TCP + Noise + yamux, identify and ping, and the
// three /guardian/* test protocols. Everything binds to 127.0.0.1 only.
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createLibp2p } from 'libp2p'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import { benchDial, benchListen } from './bench.mjs'

const ECHO = '/guardian/echo/1.0.0'
const RESET = '/guardian/reset/1.0.0'
const CLOSE_CONN = '/guardian/close-conn/1.0.0'
const NOPE = '/guardian/nope/1.0.0'
// Every dial step has this deadline, so a broken remote fails a step instead of hanging the run.
const STEP_TIMEOUT_MS = 30_000
const ALL_STEPS = ['identify', 'ping', 'echo', 'concurrent', 'refused']
// Run only when --steps names them; close-conn ends the connection, so it goes last.
const EXTRA_STEPS = ['reset', 'close-conn']
// js-libp2p allows 32 inbound / 64 outbound streams per protocol and connection by default; the
// concurrent step runs 100 at once.
const STREAM_LIMITS = { maxInboundStreams: 256, maxOutboundStreams: 256 }
// --key-type values and the @libp2p/crypto key type each makes (RSA 2048 bits). No ecdsa: js-libp2p
// 3.3.11 makes ECDSA keys but its peerIdFromPublicKey throws UnsupportedKeyTypeError for them.
const KEY_TYPES = { ed25519: 'Ed25519', secp256k1: 'secp256k1', rsa: 'RSA' }
// Writes are cut into chunks of this size and paced (see flushed).
const CHUNK = 16 * 1024

const libp2pVersion = JSON.parse(readFileSync(new URL('./node_modules/libp2p/package.json', import.meta.url), 'utf8')).version

/** Prints one object as one JSON line; JSON.stringify already yields the flat form we need. */
function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function errorText (err) {
  return `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`
}

/**
 * A TCP + Noise + yamux node with identify and ping, its identity a fresh key of `keyType` (a
 * KEY_TYPES key). Bench mode (`bench` true) drops ping, so a handshake is dial + Noise + yamux +
 * identify as in the other peers, and lifts js-libp2p's inbound rate limit (5 connections per
 * second per host by default), which otherwise resets a handshake benchmark's dials.
 */
async function createNode (listen, bench = false, keyType = 'ed25519') {
  const services = bench ? { identify: identify() } : { identify: identify(), ping: ping() }
  const privateKey = await generateKeyPair(KEY_TYPES[keyType], 2048)
  return createLibp2p({
    privateKey,
    ...(bench ? { connectionManager: { inboundConnectionThreshold: Infinity, maxIncomingPendingConnections: 256 } } : {}),
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { userAgent: `guardian-interop-js/${libp2pVersion}` },
    services
  })
}

/**
 * True when the remote half-closed and every byte it sent was delivered. Not `readableEnded`
 * alone: js-libp2p 3.3.11 sets it (and fires 'end', once) when the remote's FIN arrives during
 * multistream-select, before the bytes multistream read ahead are handed back to the stream;
 * those then arrive as a 'message' after 'end'. go-libp2p's lazy negotiation (protocol, data and
 * FIN in one burst) triggers it, and so would any peer that does the same.
 */
function inputDone (stream) {
  return (stream.readableEnded || stream.remoteWriteStatus === 'closed') && stream.readBufferLength === 0
}

/**
 * Resolves once nothing waits in the stream's write queue. send() returns true while a previous
 * send is still in flight, so its queue can grow past what backpressure suggests, and
 * @chainsafe/libp2p-yamux 8.0.1 then sends the whole queue as ONE data frame, as large as the
 * peer's window. rust-yamux 0.14 grows windows past 1 MiB but rejects any frame over 1 MiB and
 * drops the connection (FrameTooLarge). Keeping at most one CHUNK queued keeps frames small.
 * Polling, because no event reliably marks an empty queue in js-libp2p 3.3.11.
 */
async function flushed (stream, signal) {
  while (stream.writeBufferLength > 0 || stream.writableNeedsDrain) {
    if (stream.status !== 'open') throw new Error(`stream ${stream.status} with ${stream.writeBufferLength} bytes unsent`)
    signal.throwIfAborted()
    await new Promise(resolve => setTimeout(resolve, 1))
  }
}

/** Writes data in CHUNK-sized pieces, each only once the previous one has left the queue. */
async function writePaced (stream, data, signal) {
  for (let off = 0; off < data.byteLength; off += CHUNK) {
    stream.send(data.subarray(off, Math.min(off + CHUNK, data.byteLength)))
    await flushed(stream, signal)
  }
}

/**
 * Copies bytes back until the remote half-closes, then half-closes too. Event-based, not the
 * async iterator, which has the same blind spot as 'end' (see inputDone) and then never ends.
 */
function serveEcho (stream, connection) {
  const peer = connection.remotePeer.toString()
  let bytes = 0
  let finished = false
  const finish = (err) => {
    if (finished) return
    finished = true
    if (err != null) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      emit({ event: 'echo-failed', peer, error: errorText(err) })
      return
    }
    stream.close({ signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })
      .then(() => emit({ event: 'echo', peer, bytes }))
      .catch(e => {
        stream.abort(e)
        emit({ event: 'echo-failed', peer, error: errorText(e) })
      })
  }
  // Our own flag, not readStatus: js-libp2p marks the readable end 'closed' (and fires 'end')
  // as soon as the last bytes are dispatched, while we are still writing them back.
  let writing = false
  const maybeFinish = () => {
    if (!writing && inputDone(stream)) finish()
  }
  // Backpressure: no more 'message' events until this one has been written back (see flushed).
  stream.addEventListener('message', evt => {
    bytes += evt.data.byteLength
    writing = true
    if (stream.readStatus === 'readable') stream.pause()
    writePaced(stream, evt.data.subarray(), AbortSignal.timeout(STEP_TIMEOUT_MS))
      .then(() => {
        writing = false
        if (stream.readStatus === 'paused') stream.resume()
        maybeFinish()
      }, err => finish(err))
  })
  stream.addEventListener('end', maybeFinish)
  stream.addEventListener('close', evt => finish(evt.error ?? (inputDone(stream) ? undefined : new Error('stream closed before its end'))))
  maybeFinish()
}

/**
 * Reads a stream to its end, failing past `limit` bytes, on a 'close' with an error, or when
 * `signal` aborts. Event-based for the reason given at serveEcho.
 */
function readToEnd (stream, limit, signal) {
  return new Promise((resolve, reject) => {
    const parts = []
    let length = 0
    let settled = false
    const settle = (err) => {
      if (settled) return
      settled = true
      if (err != null) reject(err)
      else resolve(Buffer.concat(parts, length))
    }
    // js-libp2p fires 'end' before the error-carrying 'close' of a remote reset: a reset must
    // not pass for a clean end.
    const maybeSettle = () => {
      if (!inputDone(stream)) return
      settle(stream.status === 'reset' || stream.status === 'aborted' ? new Error(`stream ${stream.status} by the remote`) : undefined)
    }
    stream.addEventListener('message', evt => {
      length += evt.data.byteLength
      if (length > limit) {
        settle(new Error(`the stream returned more than the ${limit} bytes expected`))
        return
      }
      parts.push(evt.data.subarray())
      maybeSettle()
    })
    stream.addEventListener('end', maybeSettle)
    stream.addEventListener('close', evt => settle(evt.error ?? (inputDone(stream) ? undefined : new Error('stream closed before its end'))))
    signal.addEventListener('abort', () => settle(signal.reason), { once: true })
    maybeSettle()
  })
}

/** Resolves true once the stream delivered at least one byte, false if it ended first. */
function readOne (stream) {
  return new Promise(resolve => {
    stream.addEventListener('message', evt => { if (evt.data.byteLength > 0) resolve(true) })
    stream.addEventListener('end', () => resolve(false))
    stream.addEventListener('close', () => resolve(false))
    setTimeout(() => resolve(false), STEP_TIMEOUT_MS).unref()
  })
}

async function serve (node) {
  await node.handle(ECHO, serveEcho, STREAM_LIMITS)
  await node.handle(RESET, async (stream, connection) => {
    if (await readOne(stream)) {
      // yamux sends RST for an aborted stream.
      stream.abort(new Error('reset by /guardian/reset/1.0.0'))
      emit({ event: 'reset', peer: connection.remotePeer.toString() })
    } else {
      stream.abort(new Error('no byte before end'))
    }
  }, STREAM_LIMITS)
  await node.handle(CLOSE_CONN, async (stream, connection) => {
    if (await readOne(stream)) {
      // A graceful close waits for open streams; give it a second, then drop the connection.
      await connection.close({ signal: AbortSignal.timeout(1000) })
        .catch(err => connection.abort(err))
      emit({ event: 'close-conn', peer: connection.remotePeer.toString() })
    } else {
      stream.abort(new Error('no byte before end'))
    }
  }, STREAM_LIMITS)
}

function identifyFields (result) {
  return {
    agentVersion: result.agentVersion ?? null,
    protocolVersion: result.protocolVersion ?? null,
    protocols: result.protocols,
    listenAddrs: result.listenAddrs.map(a => a.toString())
  }
}

// ------------------------------------------------------------------------------------- listen

/** Reads `--key-type T` out of `args` (the rest is returned); ed25519 when absent. */
function takeKeyType (args) {
  const at = args.indexOf('--key-type')
  if (at < 0) return { keyType: 'ed25519', rest: args }
  const keyType = args[at + 1]
  if (KEY_TYPES[keyType] == null) {
    throw new Error(`unknown --key-type ${keyType} (${Object.keys(KEY_TYPES).join(', ')})`)
  }
  return { keyType, rest: [...args.slice(0, at), ...args.slice(at + 2)] }
}

async function listen (keyType) {
  const node = await createNode(true, false, keyType)
  await serve(node)
  node.addEventListener('connection:open', evt => {
    const connection = evt.detail
    if (connection.direction !== 'inbound') return
    const peer = connection.remotePeer.toString()
    emit({ event: 'connected', peer })
    node.services.ping.ping(connection.remotePeer, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })
      .then(rtt => emit({ event: 'ping', peer, rttMs: rtt }))
      .catch(err => emit({ event: 'ping-failed', peer, error: errorText(err) }))
  })
  node.addEventListener('peer:identify', evt => {
    emit({ event: 'identified', peer: evt.detail.peerId.toString(), ...identifyFields(evt.detail) })
  })
  const addrs = node.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/[^/]+$/, ''))
  emit({ peerId: node.peerId.toString(), addrs })
  // The parent test closes our stdin to stop us, so no peer outlives the test that started it.
  process.stdin.on('end', () => process.exit(0))
  process.stdin.on('error', () => process.exit(0))
  process.stdin.resume()
}

// --------------------------------------------------------------------------------------- dial

function parseDialArgs (args) {
  let target = null
  let steps = ALL_STEPS
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--steps') {
      if (i + 1 >= args.length) throw new Error('--steps needs a value')
      steps = args[++i].split(',').filter(s => s !== '')
      const bad = steps.find(s => !ALL_STEPS.includes(s) && !EXTRA_STEPS.includes(s))
      if (bad != null) throw new Error(`unknown step ${bad}; steps are ${[...ALL_STEPS, ...EXTRA_STEPS].join(',')}`)
    } else {
      target = multiaddr(args[i])
      if (target.getComponents().at(-1)?.name !== 'p2p') {
        throw new Error(`the multiaddr must end with /p2p/<peer id>: ${args[i]}`)
      }
    }
  }
  if (target == null) throw new Error('dial needs a multiaddr')
  return { target, steps }
}

/** Emits a step line from an async step body returning details; returns its ok. */
async function step (name, body) {
  try {
    const signal = AbortSignal.timeout(STEP_TIMEOUT_MS)
    // The concurrent step hangs 100 streams' listeners on this one signal, by design.
    setMaxListeners(Infinity, signal)
    const details = await body(signal)
    emit({ step: name, ok: true, ...details })
    return true
  } catch (err) {
    emit({ step: name, ok: false, error: errorText(err) })
    return false
  }
}

/** One echo stream: writes data, half-closes, reads to EOF (bounded) and compares. */
async function echoOnce (connection, data, signal) {
  const stream = await connection.newStream(ECHO, { signal, ...STREAM_LIMITS })
  try {
    // Read while writing: a 4 MiB echo would otherwise stall on yamux's 256 KiB window.
    const reading = readToEnd(stream, data.length, signal)
    await writePaced(stream, data, signal)
    await stream.close({ signal })
    const back = await reading
    if (!data.equals(back)) throw new Error(`echo mismatch: sent ${data.length} bytes, got ${back.length} back`)
  } catch (err) {
    stream.abort(err)
    throw err
  }
}

async function dial (args) {
  const { keyType, rest } = takeKeyType(args)
  const { target, steps } = parseDialArgs(rest)
  const targetPeer = target.getComponents().at(-1).value
  const node = await createNode(false, false, keyType)
  await serve(node)
  // Listen before dialing, so the identify of the new connection cannot be missed.
  const identified = new Promise((resolve, reject) => {
    node.addEventListener('peer:identify', evt => {
      if (evt.detail.peerId.toString() === targetPeer) resolve(evt.detail)
    })
    setTimeout(() => reject(new Error(`no identify within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS).unref()
  })
  identified.catch(() => {})
  let connection
  try {
    connection = await node.dial(target, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) })
  } catch (err) {
    emit({ step: 'connect', ok: false, error: errorText(err) })
    emit({ step: 'done', ok: false })
    return 1
  }
  let allOk = true
  for (const name of steps) {
    let ok
    switch (name) {
      case 'identify':
        ok = await step('identify', async () => identifyFields(await identified))
        break
      case 'ping':
        ok = true
        for (let i = 0; i < 3; i++) {
          ok = await step('ping', async signal => ({ rttMs: await node.services.ping.ping(connection.remotePeer, { signal }) })) && ok
        }
        break
      case 'echo':
        ok = true
        for (const size of [1, 64 * 1024, 4 * 1024 * 1024]) {
          ok = await step('echo', async signal => {
            const start = performance.now()
            await echoOnce(connection, randomBytes(size), signal).catch(err => {
              throw new Error(`${size} bytes: ${errorText(err)}`)
            })
            return { bytes: size, ms: performance.now() - start }
          }) && ok
        }
        break
      case 'concurrent':
        ok = await step('concurrent', async signal => {
          const streams = 100
          const start = performance.now()
          const results = await Promise.allSettled(Array.from({ length: streams }, () => echoOnce(connection, randomBytes(1024), signal)))
          const failed = results.filter(r => r.status === 'rejected')
          if (failed.length > 0) {
            throw new Error(`${failed.length} of ${streams} streams failed, first: ${errorText(failed[0].reason)}`)
          }
          return { streams, ms: performance.now() - start }
        })
        break
      case 'refused':
        ok = await step('refused', async signal => {
          let stream
          try {
            stream = await connection.newStream(NOPE, { signal })
          } catch (err) {
            // A broken connection also fails the open, but proves nothing about refusal.
            if (err.name !== 'UnsupportedProtocolError') throw new Error(`failed, but not as a refusal: ${errorText(err)}`)
            return { error: errorText(err) }
          }
          stream.abort(new Error('unexpected'))
          throw new Error(`${NOPE} was accepted`)
        })
        break
      case 'reset':
        // One byte without FIN; ok when the remote's reset fails the read (a clean end does not).
        ok = await step('reset', async signal => {
          const stream = await connection.newStream(RESET, { signal })
          const reading = readToEnd(stream, 1 << 20, signal)
          stream.send(Uint8Array.of(1))
          try {
            await reading
          } catch (err) {
            if (signal.aborted) throw new Error(`no reset within ${STEP_TIMEOUT_MS} ms`)
            return { error: errorText(err) }
          }
          throw new Error('the stream ended cleanly instead of being reset')
        })
        break
      case 'close-conn':
        ok = await step('close-conn', async signal => {
          const closed = new Promise((resolve, reject) => {
            node.addEventListener('connection:close', evt => { if (evt.detail === connection) resolve() })
            signal.addEventListener('abort', () => reject(new Error(`the connection was still open after ${STEP_TIMEOUT_MS} ms`)), { once: true })
          })
          const stream = await connection.newStream(CLOSE_CONN, { signal })
          const start = performance.now()
          stream.send(Uint8Array.of(1))
          await closed
          return { ms: performance.now() - start }
        })
        break
    }
    allOk = allOk && ok
  }
  emit({ step: 'done', ok: allOk })
  return allOk ? 0 : 1
}

// ---------------------------------------------------------------------------------------- main

process.on('SIGTERM', () => process.exit(0))
const [mode, ...rest] = process.argv.slice(2)
// What the bench mode (bench.mjs) borrows from here.
const helpers = { createNode, writePaced, inputDone, readToEnd, emit, errorText }
if (mode === 'listen') {
  let keyType
  try {
    const taken = takeKeyType(rest)
    if (taken.rest.length > 0) throw new Error(`listen: unexpected argument ${taken.rest[0]}`)
    keyType = taken.keyType
  } catch (err) {
    process.stderr.write(`${errorText(err)}\n`)
    process.exit(2)
  }
  await listen(keyType)
} else if (mode === 'bench-listen' && rest.length === 0) {
  await benchListen(helpers)
} else if (mode === 'bench-dial') {
  let code
  try {
    code = await benchDial(helpers, rest)
  } catch (err) {
    process.stderr.write(`${errorText(err)}\n`)
    code = 2
  }
  process.exit(code)
} else if (mode === 'dial') {
  let code
  try {
    code = await dial(rest)
  } catch (err) {
    process.stderr.write(`${errorText(err)}\n`)
    code = 2
  }
  // Exit at once: a graceful node.stop() could outlast the caller's patience.
  process.exit(code)
} else {
  process.stderr.write('usage: guardian-interop-js listen [--key-type T] | dial <multiaddr with /p2p/id> [--steps a,b,c] [--key-type T] | bench-listen | bench-dial <multiaddr with /p2p/id> --what handshake|rr|throughput [--n N] [--concurrency C] [--size S]\n')
  process.exit(2)
}
