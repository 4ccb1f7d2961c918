//! UDP input: TAK mesh datagrams (`0xBF 0x01 0xBF <TakMessage>`) and plain CoT XML, unicast and
//! optionally a multicast group. Every valid event is routed to the streaming clients and handed to
//! the application like a streamed one; UDP is input only (the server does not send datagrams).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::net::UdpSocket;
use truce_cot::frame::{Datagram, decode_datagram};
use truce_cot::xml::XmlLimits;

use crate::hub::Hub;
use crate::{Received, Source, Transport};

/// Binds the socket (with `SO_REUSEADDR`, so several listeners can share the multicast port) and
/// joins `multicast` on every interface if asked.
pub(crate) fn bind(addr: SocketAddr, multicast: Option<Ipv4Addr>) -> std::io::Result<UdpSocket> {
    let domain = if addr.is_ipv4() { socket2::Domain::IPV4 } else { socket2::Domain::IPV6 };
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    let socket = UdpSocket::from_std(socket.into())?;
    if let Some(group) = multicast {
        socket.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)?;
    }
    Ok(socket)
}

/// Receives datagrams forever.
pub(crate) async fn serve(hub: Arc<Hub>, socket: UdpSocket) {
    let mut buf = vec![0u8; hub.limits.max_message + 16];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("tak udp: receive failed: {e}");
                continue;
            }
        };
        let decoded = decode_datagram(&buf[..n], hub.limits.max_message).and_then(|d| match d {
            Datagram::Xml(ev) => Ok(Some(ev)),
            Datagram::Tak(m) => {
                let limits = XmlLimits { max_bytes: hub.limits.max_message, ..XmlLimits::default() };
                truce_cot::tak::event_from_message(&m, &limits)
            }
        });
        let ev = match decoded {
            Ok(Some(ev)) => ev,
            Ok(None) => continue,
            Err(e) => {
                hub.reject(&e, &format!("udp {peer}"));
                continue;
            }
        };
        if ev.type_.starts_with("t-x-") {
            continue;
        }
        let ev = Arc::new(ev);
        hub.route(ev.clone(), None);
        let identity =
            ev.detail.contact.as_ref().and_then(|c| c.callsign.clone()).unwrap_or_else(|| format!("udp:{peer}"));
        let group = ev.detail.group.as_ref().and_then(|g| g.name.clone());
        let label = (hub.parties)(None).label;
        let source =
            Source { identity, group, peer: format!("udp:{peer}"), transport: Transport::Udp, label, user: None };
        let received = Received { event: ev, source, received_at: OffsetDateTime::now_utc() };
        if hub.received.send(received).await.is_err() {
            tracing::warn!("tak: nobody consumes received events any more");
        }
    }
}
