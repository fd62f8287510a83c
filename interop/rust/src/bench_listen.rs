//! Benchmark mode, listening side (issue 17): `bench-listen` serves `/guardian/echo/1.0.0`
//! message by message (`uvarint(length) ‖ bytes`, each echoed whole) and the libp2p perf
//! protocol's sink/source, on a swarm without ping. `bench.rs` has the dialing side; the contract
//! shared with the go and js peers is in `../README.md`.

use std::time::Duration;

use futures::channel::mpsc;
use futures::{AsyncRead, AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identify, noise, tcp, yamux, Stream, StreamProtocol, Swarm};

use crate::util::{emit, Val};
use crate::{serve, ECHO, LIBP2P_VERSION, PERF, PROTOCOL_VERSION, STEP_TIMEOUT};

const MAX_ECHO_MESSAGE: u64 = 4 << 20;
/// Bound on what a perf client may ask us to send back.
const MAX_PERF_DOWNLOAD: u64 = 1 << 30;
pub(crate) const PERF_BLOCK: usize = 64 << 10;

#[derive(NetworkBehaviour)]
pub(crate) struct BenchBehaviour {
    identify: identify::Behaviour,
    pub(crate) streams: libp2p_stream::Behaviour,
    serve: serve::Behaviour,
}

pub(crate) fn bench_swarm(inbound: mpsc::UnboundedSender<serve::Inbound>) -> Swarm<BenchBehaviour> {
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

pub(crate) fn uvarint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads one message and returns it framed again (prefix included), ready to write back whole.
pub(crate) async fn read_message<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<Option<Vec<u8>>> {
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
