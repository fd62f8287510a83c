//! Inbound `/guardian/*` streams: a minimal behaviour and handler that hand every negotiated
//! stream to an unbounded channel (the listen loop spawns one task per stream), so a burst of 100
//! streams is never dropped for want of a buffer slot.

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures::channel::mpsc;
use futures::future::{ready, Ready};
use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::core::transport::PortUse;
use libp2p::core::upgrade::{DeniedUpgrade, InboundUpgrade, UpgradeInfo};
use libp2p::core::Endpoint;
use libp2p::swarm::handler::{ConnectionEvent, FullyNegotiatedInbound};
use libp2p::swarm::{
    ConnectionDenied, ConnectionHandler, ConnectionHandlerEvent, ConnectionId, FromSwarm, NetworkBehaviour,
    SubstreamProtocol, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
};
use libp2p::{Multiaddr, PeerId, Stream, StreamProtocol};

use crate::util::{emit, Val};
use crate::{CLOSE_CONN, ECHO, PERF, RESET};

/// A negotiated inbound stream of one of the guardian protocols.
pub struct Inbound {
    peer: PeerId,
    connection: ConnectionId,
    protocol: StreamProtocol,
    stream: Stream,
    /// Benchmark mode: echo message by message, and serve perf (crate::bench).
    bench: bool,
}

pub struct Behaviour {
    inbound: mpsc::UnboundedSender<Inbound>,
    bench: bool,
}

impl Behaviour {
    pub fn new(inbound: mpsc::UnboundedSender<Inbound>) -> Self {
        Behaviour { inbound, bench: false }
    }

    /// The benchmark listener's: `/guardian/echo/1.0.0` message by message and `/perf/1.0.0`.
    pub fn bench(inbound: mpsc::UnboundedSender<Inbound>) -> Self {
        Behaviour { inbound, bench: true }
    }

    fn handler(&self, peer: PeerId, connection: ConnectionId) -> Handler {
        Handler { peer, connection, inbound: self.inbound.clone(), bench: self.bench }
    }
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = Handler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        connection: ConnectionId,
        peer: PeerId,
        _local: &Multiaddr,
        _remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(peer, connection))
    }

    fn handle_established_outbound_connection(
        &mut self,
        connection: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(self.handler(peer, connection))
    }

    fn on_swarm_event(&mut self, _event: FromSwarm) {}

    fn on_connection_handler_event(&mut self, _peer: PeerId, _connection: ConnectionId, event: THandlerOutEvent<Self>) {
        match event {}
    }

    fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

pub struct Handler {
    peer: PeerId,
    connection: ConnectionId,
    inbound: mpsc::UnboundedSender<Inbound>,
    bench: bool,
}

/// Offers the three guardian protocols (benchmark mode: echo and perf) on inbound streams and
/// yields the stream as negotiated.
pub struct Upgrade(bool);

impl UpgradeInfo for Upgrade {
    type Info = StreamProtocol;
    type InfoIter = Vec<StreamProtocol>;

    fn protocol_info(&self) -> Self::InfoIter {
        if self.0 { vec![ECHO, PERF] } else { vec![ECHO, RESET, CLOSE_CONN] }
    }
}

impl InboundUpgrade<Stream> for Upgrade {
    type Output = (Stream, StreamProtocol);
    type Error = Infallible;
    type Future = Ready<Result<Self::Output, Infallible>>;

    fn upgrade_inbound(self, stream: Stream, protocol: StreamProtocol) -> Self::Future {
        ready(Ok((stream, protocol)))
    }
}

impl ConnectionHandler for Handler {
    type FromBehaviour = Infallible;
    type ToBehaviour = Infallible;
    type InboundProtocol = Upgrade;
    type OutboundProtocol = DeniedUpgrade;
    type InboundOpenInfo = ();
    type OutboundOpenInfo = Infallible;

    fn listen_protocol(&self) -> SubstreamProtocol<Upgrade, ()> {
        SubstreamProtocol::new(Upgrade(self.bench), ())
    }

    fn poll(
        &mut self,
        _cx: &mut Context<'_>,
    ) -> Poll<ConnectionHandlerEvent<DeniedUpgrade, Infallible, Infallible>> {
        Poll::Pending
    }

    fn on_behaviour_event(&mut self, event: Infallible) {
        match event {}
    }

    fn on_connection_event(
        &mut self,
        event: ConnectionEvent<Upgrade, DeniedUpgrade, (), Infallible>,
    ) {
        if let ConnectionEvent::FullyNegotiatedInbound(FullyNegotiatedInbound { protocol: (stream, protocol), .. }) = event {
            // The receiver lives as long as the swarm; a send error means we are shutting down.
            let _ = self.inbound.unbounded_send(Inbound {
                peer: self.peer,
                connection: self.connection,
                protocol,
                stream,
                bench: self.bench,
            });
        }
    }
}

/// Serves one inbound stream. `close` asks the swarm loop to close a whole connection.
pub async fn handle(inbound: Inbound, close: mpsc::UnboundedSender<ConnectionId>) {
    let Inbound { peer, connection, protocol, mut stream, bench } = inbound;
    if bench {
        crate::bench_listen::serve(protocol, stream).await;
        return;
    }
    let peer = peer.to_string();
    if protocol == ECHO {
        let (mut reader, mut writer) = stream.split();
        let copied = futures::io::copy(&mut reader, &mut writer).await;
        let closed = writer.close().await;
        match (copied, closed) {
            (Ok(n), Ok(())) => emit(&[("event", Val::s("echo")), ("peer", Val::s(&peer)), ("bytes", Val::I(n))]),
            (Err(e), _) | (_, Err(e)) => emit(&[
                ("event", Val::s("echo-failed")),
                ("peer", Val::s(&peer)),
                ("error", Val::s(&e.to_string())),
            ]),
        }
        return;
    }
    let mut first = [0u8; 1];
    let read = stream.read(&mut first).await;
    if !matches!(read, Ok(1)) {
        return;
    }
    if protocol == RESET {
        // rust-yamux sends RST for a stream dropped while our write side is still open.
        drop(stream);
        emit(&[("event", Val::s("reset")), ("peer", Val::s(&peer))]);
    } else {
        let _ = close.unbounded_send(connection);
        emit(&[("event", Val::s("close-conn")), ("peer", Val::s(&peer))]);
    }
}
