//! Reference rust-libp2p peer for Guardian Pool's interop tests.
//!
//! `listen` and `dial <multiaddr/p2p/id> [--steps a,b]`: the command-line contract shared with the
//! go and js peers is described in `../README.md`. TCP + Noise + yamux, identify and ping, and the
//! three `/guardian/*` test protocols. Everything binds to 127.0.0.1 only.

mod bench;
mod bench_listen;
mod serve;
mod util;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::channel::mpsc;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{identify, identity, noise, ping, tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm};

use util::{emit, Rng, Val};

/// The rust-libp2p release this crate pins exactly in Cargo.toml; reported in the agent version so
/// tests can tell the peers apart.
const LIBP2P_VERSION: &str = "0.57.1";
/// Identify's protocolVersion, the same in all three reference peers.
const PROTOCOL_VERSION: &str = "ipfs/0.1.0";
const ECHO: StreamProtocol = StreamProtocol::new("/guardian/echo/1.0.0");
const RESET: StreamProtocol = StreamProtocol::new("/guardian/reset/1.0.0");
const CLOSE_CONN: StreamProtocol = StreamProtocol::new("/guardian/close-conn/1.0.0");
const NOPE: StreamProtocol = StreamProtocol::new("/guardian/nope/1.0.0");
/// The libp2p perf protocol (benchmark mode only).
const PERF: StreamProtocol = StreamProtocol::new("/perf/1.0.0");
const PING: StreamProtocol = StreamProtocol::new("/ipfs/ping/1.0.0");
/// Every dial step has this deadline, so a broken remote fails a step instead of hanging the run.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const ALL_STEPS: [&str; 5] = ["identify", "ping", "echo", "concurrent", "refused"];
/// Run only when --steps names them; close-conn ends the connection, so it goes last.
const EXTRA_STEPS: [&str; 2] = ["reset", "close-conn"];

#[derive(NetworkBehaviour)]
struct Behaviour {
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    /// Outbound streams of the dial steps.
    streams: libp2p_stream::Behaviour,
    /// Inbound `/guardian/*` streams. Not libp2p-stream's `accept`: its channel holds one stream
    /// and drops the rest, which loses streams when 100 arrive at once.
    serve: serve::Behaviour,
}

fn main() {
    util::init_log();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = match args.first().map(String::as_str) {
        Some("listen") => match parse_listen_args(&args[1..]) {
            Ok((idle, key)) => runtime.block_on(listen(idle, key)),
            Err(e) => {
                eprintln!("{e}");
                2
            }
        },
        Some("bench-listen") if args.len() == 1 => runtime.block_on(bench_listen::listen()),
        Some("bench-dial") => match bench::parse_args(&args[1..]) {
            Ok(b) => runtime.block_on(bench::dial(b)),
            Err(e) => {
                eprintln!("{e}");
                2
            }
        },
        Some("dial") => match parse_dial_args(&args[1..]) {
            Ok((addr, steps, key)) => runtime.block_on(dial(addr, steps, key)),
            Err(e) => {
                eprintln!("{e}");
                2
            }
        },
        _ => {
            eprintln!("usage: guardian-interop-rust listen [--idle-timeout-ms N] [--key-type ed25519|secp256k1] | dial <multiaddr with /p2p/id> [--steps a,b,c] [--key-type ed25519|secp256k1] | bench-listen | bench-dial <multiaddr with /p2p/id> --what handshake|rr|throughput [--n N] [--concurrency C] [--size S]");
            2
        }
    };
    std::process::exit(code);
}

/// The idle-connection timeout tests get unless `--idle-timeout-ms` says otherwise: rust-libp2p's
/// own default (10 s) would close connections the Java tests hold idle on purpose.
const HELD_IDLE_TIMEOUT: Duration = Duration::from_secs(3600);

/// A fresh identity of the type `--key-type` names: ed25519 (the default) or secp256k1 (the
/// `secp256k1` feature of libp2p-identity; its rsa and ecdsa features are not built here).
fn keypair(key_type: &str) -> Result<identity::Keypair, String> {
    match key_type {
        "ed25519" => Ok(identity::Keypair::generate_ed25519()),
        "secp256k1" => Ok(identity::Keypair::generate_secp256k1()),
        other => Err(format!("unknown --key-type {other} (ed25519 or secp256k1)")),
    }
}

/// `listen [--idle-timeout-ms N] [--key-type T]`: N is how long a connection with no open stream
/// and no handler keeping it alive lives before the swarm closes it
/// (`SwarmConfig::with_idle_connection_timeout`); T the identity's key type (see `keypair`).
fn parse_listen_args(args: &[String]) -> Result<(Duration, identity::Keypair), String> {
    let mut idle = HELD_IDLE_TIMEOUT;
    let mut key_type: &str = "ed25519";
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).ok_or(format!("{} needs a value", args[i]))?;
        match args[i].as_str() {
            "--idle-timeout-ms" => {
                let ms: u64 = value.parse().map_err(|e| format!("--idle-timeout-ms {value}: {e}"))?;
                idle = Duration::from_millis(ms);
            }
            "--key-type" => key_type = value.as_str(),
            other => return Err(format!("listen takes only --idle-timeout-ms N and --key-type T, got {other}")),
        }
        i += 2;
    }
    Ok((idle, keypair(key_type)?))
}

fn parse_dial_args(args: &[String]) -> Result<(Multiaddr, Vec<String>, identity::Keypair), String> {
    let mut addr = None;
    let mut steps: Vec<String> = ALL_STEPS.iter().map(|s| s.to_string()).collect();
    let mut key_type: &str = "ed25519";
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--key-type" {
            key_type = args.get(i + 1).ok_or("--key-type needs a value")?.as_str();
            i += 2;
        } else if args[i] == "--steps" {
            let list = args.get(i + 1).ok_or("--steps needs a value")?;
            steps = list.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
            if let Some(bad) = steps.iter().find(|s| !ALL_STEPS.contains(&s.as_str()) && !EXTRA_STEPS.contains(&s.as_str())) {
                return Err(format!("unknown step {bad}; steps are {},{}", ALL_STEPS.join(","), EXTRA_STEPS.join(",")));
            }
            i += 2;
        } else {
            addr = Some(args[i].parse::<Multiaddr>().map_err(|e| format!("bad multiaddr {}: {e}", args[i]))?);
            i += 1;
        }
    }
    let addr = addr.ok_or("dial needs a multiaddr")?;
    Ok((addr, steps, keypair(key_type)?))
}

fn build_swarm(key: identity::Keypair, inbound: mpsc::UnboundedSender<serve::Inbound>, idle_timeout: Duration) -> Swarm<Behaviour> {
    libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .expect("tcp transport")
        .with_behaviour(|key| Behaviour {
            identify: identify::Behaviour::new(
                identify::Config::new(PROTOCOL_VERSION.to_string(), key.public())
                    .with_agent_version(format!("guardian-interop-rust/{LIBP2P_VERSION}")),
            ),
            ping: ping::Behaviour::new(ping::Config::new()),
            streams: libp2p_stream::Behaviour::new(),
            serve: serve::Behaviour::new(inbound),
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(idle_timeout))
        .build()
}

fn identify_fields(info: &identify::Info) -> Vec<(&'static str, Val)> {
    vec![
        ("agentVersion", Val::s(&info.agent_version)),
        ("protocolVersion", Val::s(&info.protocol_version)),
        ("protocols", Val::A(info.protocols.iter().map(|p| Val::s(p.as_ref())).collect())),
        ("listenAddrs", Val::A(info.listen_addrs.iter().map(|a| Val::s(&a.to_string())).collect())),
    ]
}

// ---------------------------------------------------------------------------------------- listen

/// Exits the process when stdin reaches EOF: the parent closes our stdin to stop us, so no peer
/// outlives the test that started it.
fn exit_on_stdin_eof() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 256];
        loop {
            match std::io::Read::read(&mut std::io::stdin(), &mut sink) {
                Ok(0) | Err(_) => std::process::exit(0),
                Ok(_) => {}
            }
        }
    });
}

async fn listen(idle_timeout: Duration, key: identity::Keypair) -> i32 {
    exit_on_stdin_eof();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    let (inbound_tx, mut inbound_rx) = mpsc::unbounded();
    let (close_tx, mut close_rx) = mpsc::unbounded::<ConnectionId>();
    let mut swarm = build_swarm(key, inbound_tx, idle_timeout);
    swarm.listen_on("/ip4/127.0.0.1/tcp/0".parse().expect("listen addr")).expect("listen");
    let mut announced = false;
    let mut pinged: HashSet<ConnectionId> = HashSet::new();
    loop {
        tokio::select! {
            _ = sigterm.recv() => return 0,
            Some(id) = close_rx.next() => { swarm.close_connection(id); }
            Some(inbound) = inbound_rx.next() => {
                tokio::spawn(serve::handle(inbound, close_tx.clone()));
            }
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { address, .. } if !announced => {
                    announced = true;
                    emit(&[
                        ("peerId", Val::s(&swarm.local_peer_id().to_string())),
                        ("addrs", Val::A(vec![Val::s(&address.to_string())])),
                    ]);
                }
                SwarmEvent::ConnectionEstablished { peer_id, endpoint, .. } if endpoint.is_listener() => {
                    emit(&[("event", Val::s("connected")), ("peer", Val::s(&peer_id.to_string()))]);
                }
                SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) => {
                    let mut fields = vec![("event", Val::s("identified")), ("peer", Val::s(&peer_id.to_string()))];
                    fields.extend(identify_fields(&info));
                    emit(&fields);
                }
                // rust-libp2p pings at once on every new connection, then every 15 s: report the first.
                SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, connection, result })) => {
                    if pinged.insert(connection) {
                        match result {
                            Ok(rtt) => emit(&[
                                ("event", Val::s("ping")),
                                ("peer", Val::s(&peer.to_string())),
                                ("rttMs", Val::F(rtt.as_secs_f64() * 1000.0)),
                            ]),
                            Err(e) => emit(&[
                                ("event", Val::s("ping-failed")),
                                ("peer", Val::s(&peer.to_string())),
                                ("error", Val::s(&e.to_string())),
                            ]),
                        }
                    }
                }
                SwarmEvent::ConnectionClosed { connection_id, peer_id, cause, .. } => {
                    pinged.remove(&connection_id);
                    let mut fields = vec![("event", Val::s("disconnected")), ("peer", Val::s(&peer_id.to_string()))];
                    if let Some(cause) = cause {
                        fields.push(("error", Val::s(&format!("{cause:?}"))));
                    }
                    emit(&fields);
                }
                _ => {}
            }
        }
    }
}

// ------------------------------------------------------------------------------------------ dial

/// What the swarm task reports to the step runner.
enum Report {
    Connected(PeerId),
    DialFailed(String),
    Identified(PeerId, Box<identify::Info>),
    IdentifyFailed(PeerId, String),
    Disconnected(PeerId),
}

async fn dial(addr: Multiaddr, steps: Vec<String>, key: identity::Keypair) -> i32 {
    let target = match addr.iter().last() {
        Some(Protocol::P2p(peer)) => peer,
        _ => {
            eprintln!("the multiaddr must end with /p2p/<peer id>: {addr}");
            return 2;
        }
    };
    let (inbound_tx, mut inbound_rx) = mpsc::unbounded();
    let mut swarm = build_swarm(key, inbound_tx, HELD_IDLE_TIMEOUT);
    let control = swarm.behaviour().streams.new_control();
    if let Err(e) = swarm.dial(addr.clone()) {
        emit(&[("step", Val::s("connect")), ("ok", Val::B(false)), ("error", Val::s(&e.to_string()))]);
        emit(&[("step", Val::s("done")), ("ok", Val::B(false))]);
        return 1;
    }
    let (report_tx, mut reports) = mpsc::unbounded::<Report>();
    // The swarm runs in its own task for the whole dial, so streams progress while steps await.
    tokio::spawn(async move {
        let (close_tx, _close_rx) = mpsc::unbounded::<ConnectionId>();
        loop {
            tokio::select! {
                Some(inbound) = inbound_rx.next() => { tokio::spawn(serve::handle(inbound, close_tx.clone())); }
                event = swarm.select_next_some() => {
                    let report = match event {
                        SwarmEvent::ConnectionEstablished { peer_id, .. } => Report::Connected(peer_id),
                        SwarmEvent::OutgoingConnectionError { error, .. } => Report::DialFailed(error.to_string()),
                        SwarmEvent::ConnectionClosed { peer_id, num_established: 0, .. } => Report::Disconnected(peer_id),
                        SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) =>
                            Report::Identified(peer_id, Box::new(info)),
                        SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Error { peer_id, error, .. })) =>
                            Report::IdentifyFailed(peer_id, error.to_string()),
                        _ => continue,
                    };
                    if report_tx.unbounded_send(report).is_err() { return; }
                }
            }
        }
    });

    let mut all_ok = true;
    let connected = tokio::time::timeout(STEP_TIMEOUT, async {
        while let Some(r) = reports.next().await {
            match r {
                Report::Connected(p) if p == target => return Ok(()),
                Report::DialFailed(e) => return Err(e),
                _ => {}
            }
        }
        Err("swarm stopped".to_string())
    })
    .await
    .unwrap_or_else(|_| Err("timed out connecting".to_string()));
    if let Err(e) = connected {
        emit(&[("step", Val::s("connect")), ("ok", Val::B(false)), ("error", Val::s(&e))]);
        emit(&[("step", Val::s("done")), ("ok", Val::B(false))]);
        return 1;
    }
    let mut rng = Rng::seeded();
    for step in &steps {
        let ok = match step.as_str() {
            "identify" => step_identify(target, &mut reports).await,
            "ping" => step_ping(control.clone(), target, &mut rng).await,
            "echo" => step_echo(control.clone(), target, &mut rng).await,
            "concurrent" => step_concurrent(control.clone(), target, &mut rng).await,
            "refused" => step_refused(control.clone(), target).await,
            "reset" => step_reset(control.clone(), target).await,
            "close-conn" => step_close_conn(control.clone(), target, &mut reports).await,
            _ => unreachable!("steps are validated when parsed"),
        };
        all_ok &= ok;
    }
    emit(&[("step", Val::s("done")), ("ok", Val::B(all_ok))]);
    if all_ok { 0 } else { 1 }
}

/// Emits a step line and returns its `ok`.
fn report(step: &str, result: Result<Vec<(&'static str, Val)>, String>) -> bool {
    let mut fields = vec![("step", Val::s(step))];
    let ok = result.is_ok();
    fields.push(("ok", Val::B(ok)));
    match result {
        Ok(details) => fields.extend(details),
        Err(e) => fields.push(("error", Val::s(&e))),
    }
    emit(&fields);
    ok
}

async fn within<T>(fut: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(STEP_TIMEOUT, fut).await.unwrap_or_else(|_| Err(format!("timed out after {STEP_TIMEOUT:?}")))
}

async fn step_identify(target: PeerId, reports: &mut mpsc::UnboundedReceiver<Report>) -> bool {
    let result = within(async {
        while let Some(r) = reports.next().await {
            match r {
                Report::Identified(p, info) if p == target => return Ok(identify_fields(&info)),
                Report::IdentifyFailed(p, e) if p == target => return Err(e),
                _ => {}
            }
        }
        Err("swarm stopped".to_string())
    })
    .await;
    report("identify", result)
}

/// Three pings on one stream, as the ping spec allows: 32 random bytes out, the same 32 back.
async fn step_ping(mut control: libp2p_stream::Control, target: PeerId, rng: &mut Rng) -> bool {
    let mut stream = match within(async { control.open_stream(target, PING).await.map_err(|e| e.to_string()) }).await {
        Ok(s) => s,
        Err(e) => return report("ping", Err(e)),
    };
    let mut all = true;
    for _ in 0..3 {
        let payload = rng.bytes(32);
        let result = within(async {
            let start = Instant::now();
            stream.write_all(&payload).await.map_err(|e| e.to_string())?;
            stream.flush().await.map_err(|e| e.to_string())?;
            let mut back = [0u8; 32];
            stream.read_exact(&mut back).await.map_err(|e| e.to_string())?;
            if back[..] != payload[..] {
                return Err("ping payload came back different".to_string());
            }
            Ok(vec![("rttMs", Val::F(start.elapsed().as_secs_f64() * 1000.0))])
        })
        .await;
        all &= report("ping", result);
    }
    let _ = stream.close().await;
    all
}

/// One echo stream: writes `data`, half-closes, reads to EOF (bounded) and compares.
async fn echo_once(mut control: libp2p_stream::Control, target: PeerId, data: Vec<u8>) -> Result<(), String> {
    let stream = control.open_stream(target, ECHO).await.map_err(|e| e.to_string())?;
    let (mut reader, mut writer) = stream.split();
    // Write and read together: a 4 MiB echo would otherwise stall on yamux's 256 KiB window.
    let write = async {
        writer.write_all(&data).await?;
        writer.close().await
    };
    let read = async {
        let mut back = Vec::with_capacity(data.len());
        (&mut reader).take(data.len() as u64 + 1).read_to_end(&mut back).await.map(|_| back)
    };
    let (w, r) = futures::join!(write, read);
    w.map_err(|e| format!("write: {e}"))?;
    let back = r.map_err(|e| format!("read: {e}"))?;
    if back != data {
        return Err(format!("echo mismatch: sent {} bytes, got {} back", data.len(), back.len()));
    }
    Ok(())
}

async fn step_echo(control: libp2p_stream::Control, target: PeerId, rng: &mut Rng) -> bool {
    let mut all = true;
    for size in [1usize, 64 * 1024, 4 * 1024 * 1024] {
        let data = rng.bytes(size);
        let start = Instant::now();
        let result = within(echo_once(control.clone(), target, data)).await.map(|()| {
            vec![("bytes", Val::I(size as u64)), ("ms", Val::F(start.elapsed().as_secs_f64() * 1000.0))]
        });
        all &= report("echo", result.map_err(|e| format!("{size} bytes: {e}")));
    }
    all
}

async fn step_concurrent(control: libp2p_stream::Control, target: PeerId, rng: &mut Rng) -> bool {
    const STREAMS: usize = 100;
    let payloads: Vec<Vec<u8>> = (0..STREAMS).map(|_| rng.bytes(1024)).collect();
    let start = Instant::now();
    let result = within(async {
        let results = futures::future::join_all(payloads.into_iter().map(|p| echo_once(control.clone(), target, p))).await;
        let failed: Vec<String> = results.into_iter().filter_map(Result::err).collect();
        if failed.is_empty() {
            Ok(vec![("streams", Val::I(STREAMS as u64)), ("ms", Val::F(start.elapsed().as_secs_f64() * 1000.0))])
        } else {
            Err(format!("{} of {STREAMS} streams failed, first: {}", failed.len(), failed[0]))
        }
    })
    .await;
    report("concurrent", result)
}

async fn step_refused(mut control: libp2p_stream::Control, target: PeerId) -> bool {
    let result = within(async {
        match control.open_stream(target, NOPE).await {
            Ok(_) => Err(format!("{NOPE} was accepted")),
            Err(e @ libp2p_stream::OpenStreamError::UnsupportedProtocol(_)) => Ok(vec![("error", Val::s(&e.to_string()))]),
            // A broken connection also fails the open, but proves nothing about refusal.
            Err(e) => Err(format!("failed, but not as a refusal: {e}")),
        }
    })
    .await;
    report("refused", result)
}

/// One byte (no FIN) on /guardian/reset/1.0.0; ok when the stream turns out reset. rust-yamux
/// reads a reset stream as a clean EOF, so a write after the EOF tells RST (fails) from FIN.
async fn step_reset(mut control: libp2p_stream::Control, target: PeerId) -> bool {
    let result = within(async {
        let mut stream = control.open_stream(target, RESET).await.map_err(|e| e.to_string())?;
        stream.write_all(&[1]).await.map_err(|e| format!("write: {e}"))?;
        stream.flush().await.map_err(|e| format!("flush: {e}"))?;
        let mut sink = Vec::new();
        if let Err(e) = (&mut stream).take(1 << 20).read_to_end(&mut sink).await {
            return Ok(vec![("error", Val::s(&e.to_string()))]);
        }
        match stream.write_all(&[2]).await {
            Err(e) => Ok(vec![("error", Val::s(&e.to_string()))]),
            Ok(()) => Err("the stream ended cleanly instead of being reset".to_string()),
        }
    })
    .await;
    report("reset", result)
}

/// One byte on /guardian/close-conn/1.0.0; ok when the connection to the target closes.
async fn step_close_conn(
    mut control: libp2p_stream::Control,
    target: PeerId,
    reports: &mut mpsc::UnboundedReceiver<Report>,
) -> bool {
    let result = within(async {
        let mut stream = control.open_stream(target, CLOSE_CONN).await.map_err(|e| e.to_string())?;
        stream.write_all(&[1]).await.map_err(|e| format!("write: {e}"))?;
        stream.flush().await.map_err(|e| format!("flush: {e}"))?;
        let start = Instant::now();
        while let Some(r) = reports.next().await {
            if matches!(r, Report::Disconnected(p) if p == target) {
                return Ok(vec![("ms", Val::F(start.elapsed().as_secs_f64() * 1000.0))]);
            }
        }
        Err("swarm stopped".to_string())
    })
    .await;
    report("close-conn", result)
}
