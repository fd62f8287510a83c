//! Benchmark mode, dialing side (issue 17): `bench-dial` measures rust-libp2p's own stack dialing
//! a listener and prints one JSON line; `bench_listen.rs` has `bench-listen`. The contract shared
//! with the go and js peers is in `../README.md`. No ping behaviour here, so a handshake is
//! connect + Noise + yamux + identify, as in the other peers' bench modes.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{SwarmEvent, Swarm};
use libp2p::{identify, Multiaddr, PeerId};

use crate::bench_listen::{bench_swarm, read_message, uvarint, BenchBehaviour, BenchBehaviourEvent, PERF_BLOCK};
use crate::util::{emit, Rng, Val};
use crate::{ECHO, PERF, STEP_TIMEOUT};

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
