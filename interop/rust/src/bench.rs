//! Benchmark mode (issue 17): `bench-listen` serves `/guardian/echo/1.0.0` message by message
//! (`uvarint(length) ‖ bytes`, each echoed whole) and the libp2p perf protocol's sink/source;
//! `bench-dial` measures rust-libp2p's own stack dialing a listener and prints one JSON line.
//! The contract shared with the go and js peers is in `../README.md`. No ping behaviour here, so
//! a handshake is connect + Noise + yamux + identify, as in the other peers' bench modes.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::{AsyncRead, AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, noise, tcp, yamux, Multiaddr, PeerId, Stream, StreamProtocol, Swarm};

use crate::util::{emit, Rng, Val};
use crate::{serve, ECHO, LIBP2P_VERSION, PERF, PROTOCOL_VERSION, STEP_TIMEOUT};

/// Bound on one echoed message: the benchmarks send 64 B; a broken dialer cannot make us allocate more.
const MAX_ECHO_MESSAGE: u64 = 4 << 20;
/// Bound on what a perf client may ask us to send back.
const MAX_PERF_DOWNLOAD: u64 = 1 << 30;
const PERF_BLOCK: usize = 64 << 10;

#[derive(NetworkBehaviour)]
struct BenchBehaviour {
    identify: identify::Behaviour,
    streams: libp2p_stream::Behaviour,
    serve: serve::Behaviour,
}

fn bench_swarm(inbound: mpsc::UnboundedSender<serve::Inbound>) -> Swarm<BenchBehaviour> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .expect("tcp transport")
        .with_behaviour(|key| BenchBehaviour {
            identify: identify::Behaviour::new(
                identify::Config::new(PROTOCOL_VERSION.to_string(), key.public())
                    .with_agent_version(format!("guardian-interop-rust/{LIBP2P_VERSION}")),
            ),
            streams: libp2p_stream::Behaviour::new(),
            serve: serve::Behaviour::bench(inbound),
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build()
}

// ------------------------------------------------------------------------------------ listening

pub async fn listen() -> i32 {
    crate::exit_on_stdin_eof();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    let (inbound_tx, mut inbound_rx) = mpsc::unbounded();
    let mut swarm = bench_swarm(inbound_tx);
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse().expect("listen addr")).expect("listen");
    let mut announced = false;
    loop {
        tokio::select! {
            _ = sigterm.recv() => return 0,
            Some(inbound) = inbound_rx.next() => {
                tokio::spawn(serve::handle(inbound, mpsc::unbounded().0));
            }
            event = swarm.select_next_some() => {
                if let SwarmEvent::NewListenAddr { address, .. } = event {
                    if !announced {
                        announced = true;
                        emit(&[
                            ("peerId", Val::s(&swarm.local_peer_id().to_string())),
                            ("addrs", Val::A(vec![Val::s(&address.to_string())])),
                        ]);
                    }
                }
            }
        }
    }
}

/// Serves one inbound benchmark stream; a broken or oversized one is dropped (reset).
pub async fn serve(protocol: StreamProtocol, stream: Stream) {
    let result = if protocol == ECHO { echo_messages(stream).await } else if protocol == PERF { perf(stream).await } else { Ok(()) };
    if let Err(e) = result {
        if std::env::var("GUARDIAN_INTEROP_LOG").is_ok() {
            eprintln!("bench stream {protocol} failed: {e}");
        }
    }
}

/// Reads `uvarint(length)`; `None` when the stream ended cleanly before the first byte.
async fn read_uvarint<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Option<u64>> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let mut b = [0u8; 1];
        if r.read(&mut b).await? == 0 {
            return if i == 0 { Ok(None) } else { Err(std::io::ErrorKind::UnexpectedEof.into()) };
        }
        value |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "uvarint over 10 bytes"))
}

fn uvarint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads one message and returns it framed again (prefix included), ready to write back whole.
async fn read_message<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let Some(n) = read_uvarint(r).await? else { return Ok(None) };
    if n > MAX_ECHO_MESSAGE {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("message of {n} bytes")));
    }
    let mut frame = Vec::with_capacity(n as usize + 10);
    uvarint(n, &mut frame);
    let start = frame.len();
    frame.resize(start + n as usize, 0);
    r.read_exact(&mut frame[start..]).await?;
    Ok(Some(frame))
}

async fn echo_messages(mut stream: Stream) -> std::io::Result<()> {
    loop {
        match tokio::time::timeout(STEP_TIMEOUT, read_message(&mut stream)).await {
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(None)) => return stream.close().await,
            Ok(Ok(Some(frame))) => {
                stream.write_all(&frame).await?;
                stream.flush().await?;
            }
        }
    }
}

/// perf: 8-byte big-endian size to send back, the upload until the remote half-closes, then the download.
async fn perf(mut stream: Stream) -> std::io::Result<()> {
    let mut head = [0u8; 8];
    stream.read_exact(&mut head).await?;
    let down = u64::from_be_bytes(head);
    if down > MAX_PERF_DOWNLOAD {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("download of {down} bytes")));
    }
    let mut buf = vec![0u8; PERF_BLOCK];
    while stream.read(&mut buf).await? > 0 {}
    let zeros = vec![0u8; PERF_BLOCK];
    let mut left = down as usize;
    while left > 0 {
        let k = left.min(PERF_BLOCK);
        stream.write_all(&zeros[..k]).await?;
        left -= k;
    }
    stream.close().await
}

// -------------------------------------------------------------------------------------- dialing

pub struct Args {
    addr: Multiaddr,
    target: PeerId,
    what: String,
    n: usize,
    concurrency: usize,
    size: usize,
}

pub fn parse_args(args: &[String]) -> Result<Args, String> {
    let (mut addr, mut what, mut n, mut concurrency, mut size) = (None, None, 100, 1, 64);
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        if matches!(flag, "--what" | "--n" | "--concurrency" | "--size") {
            let v = args.get(i + 1).ok_or(format!("{flag} needs a value"))?;
            i += 2;
            if flag == "--what" {
                what = Some(v.clone());
                continue;
            }
            let x: usize = v.parse().ok().filter(|x| *x > 0).ok_or(format!("{flag} must be a positive integer, got {v}"))?;
            match flag {
                "--n" => n = x,
                "--concurrency" => concurrency = x,
                _ => size = x,
            }
        } else {
            addr = Some(args[i].parse::<Multiaddr>().map_err(|e| format!("bad multiaddr {}: {e}", args[i]))?);
            i += 1;
        }
    }
    let addr = addr.ok_or("bench-dial needs a multiaddr")?;
    let target = match addr.iter().last() {
        Some(Protocol::P2p(peer)) => peer,
        _ => return Err(format!("the multiaddr must end with /p2p/<peer id>: {addr}")),
    };
    let what = what.filter(|w| matches!(w.as_str(), "handshake" | "rr" | "throughput"))
        .ok_or("--what must be handshake, rr or throughput")?;
    Ok(Args { addr, target, what, n, concurrency, size })
}

/// This process's user + system CPU time in microseconds (/proc, clock ticks of 10 ms).
fn cpu_micros() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // utime and stime are fields 14 and 15, i.e. indexes 11 and 12 after the state field.
    (ticks(11) + ticks(12)) * 10_000.0
}

fn warmups(n: usize) -> usize {
    (n / 10).max(1)
}

pub async fn dial(b: Args) -> i32 {
    let result = match b.what.as_str() {
        "handshake" => handshake(&b).await,
        "rr" => rr(&b).await,
        _ => throughput(&b).await,
    };
    let mut line = vec![("impl", Val::s("rust")), ("what", Val::s(&b.what))];
    match result {
        Ok(fields) => {
            line.push(("ok", Val::B(true)));
            line.extend([("n", Val::I(b.n as u64)), ("concurrency", Val::I(b.concurrency as u64)), ("size", Val::I(b.size as u64))]);
            line.extend(fields);
            emit(&line);
            0
        }
        Err(e) => {
            line.push(("ok", Val::B(false)));
            line.push(("error", Val::s(&e)));
            emit(&line);
            1
        }
    }
}

type Fields = Vec<(&'static str, Val)>;

/// Runs `count` operations over `b.concurrency` workers on this thread; each worker calls `op`
/// with its index until the shared count runs out.
async fn run_workers<F, Fut>(count: usize, concurrency: usize, op: F) -> Result<Duration, String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let next = RefCell::new(0usize);
    let take = || {
        let mut n = next.borrow_mut();
        *n += 1;
        *n - 1
    };
    let start = Instant::now();
    let workers = (0..concurrency).map(|w| {
        let op = &op;
        let take = &take;
        async move {
            loop {
                if take() >= count {
                    return Ok(());
                }
                op(w).await?;
            }
        }
    });
    let results: Vec<Result<(), String>> = futures::future::join_all(workers).await;
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(start.elapsed())
}

async fn timed<T>(fut: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(STEP_TIMEOUT, fut).await.unwrap_or_else(|_| Err(format!("timed out after {STEP_TIMEOUT:?}")))
}

/// One worker swarm per concurrent dialer (one connection per swarm and peer); an operation is
/// dial + Noise + yamux + identify of the new connection, then close and wait for the close.
async fn handshake(b: &Args) -> Result<Fields, String> {
    let swarms: Vec<RefCell<Swarm<BenchBehaviour>>> =
        (0..b.concurrency).map(|_| RefCell::new(bench_swarm(mpsc::unbounded().0))).collect();
    let op = |w: usize| {
        let swarm = &swarms[w];
        async move {
            let mut swarm = swarm.borrow_mut();
            swarm.dial(b.addr.clone()).map_err(|e| e.to_string())?;
            timed(async {
                loop {
                    match swarm.select_next_some().await {
                        SwarmEvent::OutgoingConnectionError { error, .. } => return Err(error.to_string()),
                        SwarmEvent::Behaviour(BenchBehaviourEvent::Identify(identify::Event::Received { peer_id, .. }))
                            if peer_id == b.target =>
                        {
                            let _ = swarm.disconnect_peer_id(b.target);
                        }
                        SwarmEvent::Behaviour(BenchBehaviourEvent::Identify(identify::Event::Error { error, .. })) => {
                            return Err(error.to_string())
                        }
                        SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } if peer_id == b.target => {
                            return Ok(())
                        }
                        _ => {}
                    }
                }
            })
            .await
        }
    };
    run_workers(warmups(b.n), b.concurrency, op).await?;
    let cpu = cpu_micros();
    let elapsed = run_workers(b.n, b.concurrency, op).await?;
    let cpu = cpu_micros() - cpu;
    Ok(vec![
        ("seconds", Val::F(elapsed.as_secs_f64())),
        ("handshakesPerSec", Val::F(b.n as f64 / elapsed.as_secs_f64())),
        ("cpuUsPerOp", Val::F(cpu / b.n as f64)),
    ])
}

/// One connection, its swarm driven by its own task; returns the stream control once connected.
async fn connect(b: &Args) -> Result<libp2p_stream::Control, String> {
    let mut swarm = bench_swarm(mpsc::unbounded().0);
    let control = swarm.behaviour().streams.new_control();
    swarm.dial(b.addr.clone()).map_err(|e| e.to_string())?;
    let (tx, mut rx) = mpsc::unbounded::<Result<(), String>>();
    let target = b.target;
    tokio::spawn(async move {
        loop {
            let report = match swarm.select_next_some().await {
                SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == target => Ok(()),
                SwarmEvent::OutgoingConnectionError { error, .. } => Err(error.to_string()),
                _ => continue,
            };
            let _ = tx.unbounded_send(report);
        }
    });
    timed(async { rx.next().await.unwrap_or_else(|| Err("swarm stopped".to_string())) }).await?;
    Ok(control)
}

/// A stream per request, as a pool's lease: open, one framed message, read the echo, close.
async fn rr(b: &Args) -> Result<Fields, String> {
    let control = connect(b).await?;
    let payload = Rng::seeded().bytes(b.size);
    let mut request = Vec::new();
    uvarint(b.size as u64, &mut request);
    request.extend_from_slice(&payload);
    let latencies = RefCell::new(Vec::with_capacity(b.n));
    let record = RefCell::new(false);
    let op = |_w: usize| {
        let mut control = control.clone();
        let request = &request;
        let latencies = &latencies;
        let record = &record;
        async move {
            let start = Instant::now();
            timed(async {
                let mut s = control.open_stream(b.target, ECHO).await.map_err(|e| e.to_string())?;
                s.write_all(request).await.map_err(|e| e.to_string())?;
                s.flush().await.map_err(|e| e.to_string())?;
                let reply = read_message(&mut s).await.map_err(|e| e.to_string())?;
                if reply.as_deref() != Some(&request[..]) {
                    return Err("the echo differs from the request".to_string());
                }
                let _ = s.close().await;
                Ok(())
            })
            .await?;
            if *record.borrow() {
                latencies.borrow_mut().push(start.elapsed());
            }
            Ok(())
        }
    };
    run_workers(warmups(b.n), b.concurrency, op).await?;
    *record.borrow_mut() = true;
    let cpu = cpu_micros();
    let elapsed = run_workers(b.n, b.concurrency, op).await?;
    let cpu = cpu_micros() - cpu;
    let mut l = latencies.into_inner();
    l.sort();
    let mean = l.iter().sum::<Duration>() / l.len() as u32;
    let us = |d: Duration| Val::F(d.as_nanos() as f64 / 1000.0);
    Ok(vec![
        ("seconds", Val::F(elapsed.as_secs_f64())),
        ("opsPerSec", Val::F(b.n as f64 / elapsed.as_secs_f64())),
        ("p50Us", us(l[l.len() / 2])),
        ("meanUs", us(mean)),
        ("p99Us", us(l[l.len() * 99 / 100])),
        ("cpuUsPerOp", Val::F(cpu / b.n as f64)),
    ])
}

/// One connection; `--concurrency` perf streams at once, `--n` uploads of `--size` bytes in all.
async fn throughput(b: &Args) -> Result<Fields, String> {
    let control = connect(b).await?;
    let block = Rng::seeded().bytes(PERF_BLOCK);
    let op = |_w: usize| {
        let mut control = control.clone();
        let block = &block;
        async move {
            tokio::time::timeout(10 * STEP_TIMEOUT, async {
                let mut s = control.open_stream(b.target, PERF).await.map_err(|e| e.to_string())?;
                s.write_all(&[0u8; 8]).await.map_err(|e| e.to_string())?;
                let mut left = b.size;
                while left > 0 {
                    let k = left.min(block.len());
                    s.write_all(&block[..k]).await.map_err(|e| e.to_string())?;
                    left -= k;
                }
                s.close().await.map_err(|e| e.to_string())?;
                let mut sink = Vec::new();
                (&mut s).take(1).read_to_end(&mut sink).await.map_err(|e| e.to_string())?;
                Ok(())
            })
            .await
            .unwrap_or_else(|_| Err("perf upload timed out".to_string()))
        }
    };
    run_workers(b.concurrency, b.concurrency, op).await?;
    let cpu = cpu_micros();
    let elapsed = run_workers(b.n, b.concurrency, op).await?;
    let cpu = cpu_micros() - cpu;
    let bytes = b.n as f64 * b.size as f64;
    Ok(vec![
        ("seconds", Val::F(elapsed.as_secs_f64())),
        ("mbPerSec", Val::F(bytes / elapsed.as_secs_f64() / 1e6)),
        ("cpuUsPerMiB", Val::F(cpu / (bytes / (1 << 20) as f64))),
    ])
}
