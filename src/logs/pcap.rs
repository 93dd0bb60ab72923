//! Packet captures (pcap and pcapng) → network events.
//!
//! Streamed block by block with `pcap-parser`. Link layers: Ethernet (with VLAN tags),
//! raw IP, Linux cooked capture, BSD loopback. Network: IPv4 (first fragments only) and
//! IPv6 (extension headers skipped). Transport: TCP and UDP. Application, per packet (no
//! stream reassembly): DNS over UDP port 53 through `simple-dns` (a query and its
//! response become one `dns_query` event with the answers), HTTP requests through
//! `httparse`, TLS ClientHello server names through `tls-parser`, TCP connection
//! openings (SYN), and the first data of other TCP flows (`network_data`, with the
//! printable payload; JSON-RPC mining logins are labelled `stratum`). A truncated or
//! damaged capture gives a warning and the events read before the damage.

use super::{Action, Event, Field, LogFormat, Provenance, ReadReport};
use crate::error::WarningCode;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Largest block the reader grows its buffer for.
const MAX_BLOCK: usize = 16 << 20;
/// DNS queries waiting for their answer, at most (the oldest are reported unanswered).
const MAX_PENDING_DNS: usize = 10_000;
/// TCP flows remembered for "first data" events, at most.
const MAX_FLOWS: usize = 100_000;
/// Payload bytes kept in a `network_data` event.
const MAX_PAYLOAD_TEXT: usize = 1024;

/// An IP packet's transport payload with its endpoints.
struct Segment<'a> {
    src: IpAddr,
    dst: IpAddr,
    tcp: bool,
    sport: u16,
    dport: u16,
    syn_only: bool,
    payload: &'a [u8],
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The IP packet inside a link-layer frame.
fn ip_of(linktype: Linktype, frame: &[u8]) -> Option<&[u8]> {
    match linktype {
        Linktype::ETHERNET => {
            let mut ethertype = be16(frame, 12)?;
            let mut at = 14;
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                ethertype = be16(frame, at + 2)?;
                at += 4;
            }
            matches!(ethertype, 0x0800 | 0x86dd).then(|| frame.get(at..))?
        }
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => Some(frame),
        Linktype::LINUX_SLL => frame.get(16..),
        Linktype::NULL | Linktype::LOOP => frame.get(4..),
        _ => None,
    }
}

fn segment(ip: &[u8]) -> Option<Segment<'_>> {
    let version = ip.first()? >> 4;
    let (src, dst, proto, payload): (IpAddr, IpAddr, u8, &[u8]) = match version {
        4 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            let total = usize::from(be16(ip, 2)?);
            let frag = be16(ip, 6)?;
            if frag & 0x1fff != 0 || ihl < 20 {
                return None; // not the first fragment
            }
            // A header longer than the packet leaves an empty or missing payload (`get`
            // below), never a panic.
            let end = total.min(ip.len()).max(ihl);
            let src = Ipv4Addr::new(*ip.get(12)?, *ip.get(13)?, *ip.get(14)?, *ip.get(15)?);
            let dst = Ipv4Addr::new(*ip.get(16)?, *ip.get(17)?, *ip.get(18)?, *ip.get(19)?);
            (src.into(), dst.into(), *ip.get(9)?, ip.get(ihl..end)?)
        }
        6 => {
            let plen = usize::from(be16(ip, 4)?);
            let mut next = *ip.get(6)?;
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let end = (40 + plen).min(ip.len());
            let mut rest = ip.get(40..end)?;
            // hop-by-hop, routing, fragment, destination options
            for _ in 0..8 {
                match next {
                    0 | 43 | 60 => {
                        let len = (usize::from(*rest.get(1)?) + 1) * 8;
                        next = *rest.first()?;
                        rest = rest.get(len..)?;
                    }
                    44 => {
                        if be16(rest, 2)? & 0xfff8 != 0 {
                            return None;
                        }
                        next = *rest.first()?;
                        rest = rest.get(8..)?;
                    }
                    _ => break,
                }
            }
            (
                Ipv6Addr::from(src).into(),
                Ipv6Addr::from(dst).into(),
                next,
                rest,
            )
        }
        _ => return None,
    };
    match proto {
        6 => {
            let off = usize::from(payload.get(12)? >> 4) * 4;
            let flags = *payload.get(13)?;
            Some(Segment {
                src,
                dst,
                tcp: true,
                sport: be16(payload, 0)?,
                dport: be16(payload, 2)?,
                syn_only: flags & 0x12 == 0x02,
                payload: payload.get(off.max(20)..).unwrap_or(&[]),
            })
        }
        17 => Some(Segment {
            src,
            dst,
            tcp: false,
            sport: be16(payload, 0)?,
            dport: be16(payload, 2)?,
            syn_only: false,
            payload: payload.get(8..).unwrap_or(&[]),
        }),
        _ => None,
    }
}

/// `addr:port`, with brackets for IPv6.
fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

struct PendingQuery {
    record: u64,
    time: String,
    qname: String,
    qtype: String,
    server: String,
    client: String,
}

/// A DNS query's identity: client, transaction id, lower-case name.
type QueryKey = (u64, u16, String);

/// DNS queries waiting for their answer: found by key and retired oldest first, each in
/// constant time (a hash map, and the keys in arrival order; an entry answered or replaced
/// is skipped when it reaches the front of the order).
#[derive(Default)]
struct PendingQueries {
    by_key: HashMap<QueryKey, PendingQuery>,
    order: VecDeque<(u64, QueryKey)>,
}

impl PendingQueries {
    fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Adds a query; one with the same key waiting already is replaced.
    fn insert(&mut self, key: QueryKey, query: PendingQuery) {
        self.order.push_back((query.record, key.clone()));
        self.by_key.insert(key, query);
        // answered entries leave stale keys in the order: drop them when they pile up
        if self.order.len() > 2 * self.by_key.len() + 64 {
            let by_key = &self.by_key;
            self.order
                .retain(|(record, key)| by_key.get(key).is_some_and(|q| q.record == *record));
        }
    }

    /// Takes the query answered by a response with this key.
    fn remove(&mut self, key: &QueryKey) -> Option<PendingQuery> {
        self.by_key.remove(key)
    }

    /// Takes the query that has waited longest (the earliest record).
    fn pop_oldest(&mut self) -> Option<PendingQuery> {
        while let Some((record, key)) = self.order.pop_front() {
            if self.by_key.get(&key).is_some_and(|q| q.record == record) {
                return self.by_key.remove(&key);
            }
        }
        None
    }
}

/// The decoding state of one capture.
struct Decoder<'s> {
    source: Arc<str>,
    format: LogFormat,
    pending: PendingQueries,
    flows: HashSet<(IpAddr, u16, IpAddr, u16)>,
    /// The endpoints that opened TCP connections (SYN): data sent to one of them is a
    /// server's reply, and the server is the remote side.
    openers: HashSet<(IpAddr, u16)>,
    sink: &'s mut dyn FnMut(Event),
    produced: u64,
}

impl Decoder<'_> {
    fn provenance(&self, record: u64) -> Provenance {
        Provenance {
            source: self.source.clone(),
            format: self.format,
            record,
            line: None,
            record_id: None,
            field: None,
        }
    }

    fn emit(&mut self, e: Event) {
        self.produced += 1;
        (self.sink)(e);
    }

    fn packet(&mut self, record: u64, time: String, linktype: Linktype, frame: &[u8]) {
        let Some(seg) = ip_of(linktype, frame).and_then(segment) else {
            return;
        };
        if !seg.tcp && (seg.sport == 53 || seg.dport == 53) {
            self.dns(record, time, &seg);
            return;
        }
        if !seg.tcp {
            return;
        }
        let dst = endpoint(seg.dst, seg.dport);
        if seg.syn_only {
            if self.openers.len() < MAX_FLOWS {
                self.openers.insert((seg.src, seg.sport));
            }
            let mut e = Event::new(
                Action::NetworkConnect,
                seg.dst.to_string(),
                self.provenance(record),
            );
            e.time = Some(time);
            e.detail("dst_port", seg.dport.to_string());
            e.detail("src", endpoint(seg.src, seg.sport));
            e.detail("protocol", "tcp");
            self.emit(e);
            return;
        }
        let p = seg.payload;
        if p.is_empty() {
            return;
        }
        if let Some(e) = self.http(record, &time, p, &seg, &dst) {
            self.emit(e);
            return;
        }
        if p.len() > 5 && p[0] == 0x16 && p[1] == 0x03 {
            if let Some(sni) = client_hello_sni(p) {
                let mut e = Event::new(Action::TlsClientHello, sni, self.provenance(record));
                e.time = Some(time);
                e.detail("dst", dst);
                e.detail("src", endpoint(seg.src, seg.sport));
                self.emit(e);
            }
            return;
        }
        if p.starts_with(b"HTTP/") || p[0] == 0x17 || p[0] == 0x14 || p[0] == 0x15 || p[0] == 0x16 {
            return;
        }
        let flow = (seg.src, seg.sport, seg.dst, seg.dport);
        if self.flows.contains(&flow) || self.flows.len() >= MAX_FLOWS {
            return;
        }
        self.flows.insert(flow);
        let text = printable(p);
        if text.len() < 4 {
            return;
        }
        let protocol = if text.contains("\"method\"")
            && (text.contains("\"login\"") || text.contains("mining."))
        {
            "stratum"
        } else {
            "unknown"
        };
        // A reply to a connection the capture saw opened: the remote side is the sender.
        let reply = self.openers.contains(&(seg.dst, seg.dport));
        let (remote, remote_port) = if reply {
            (seg.src, seg.sport)
        } else {
            (seg.dst, seg.dport)
        };
        let mut e = Event::new(
            Action::NetworkData,
            remote.to_string(),
            self.provenance(record),
        );
        e.time = Some(time);
        e.detail("dst", endpoint(remote, remote_port));
        e.detail("dst_port", remote_port.to_string());
        if reply {
            e.detail("direction", "received");
        }
        e.detail("protocol", protocol);
        e.detail("payload", text);
        self.emit(e);
    }

    fn http(
        &self,
        record: u64,
        time: &str,
        p: &[u8],
        seg: &Segment<'_>,
        dst: &str,
    ) -> Option<Event> {
        const METHODS: [&[u8]; 9] = [
            b"GET ",
            b"POST ",
            b"PUT ",
            b"HEAD ",
            b"DELETE ",
            b"OPTIONS ",
            b"PATCH ",
            b"CONNECT ",
            b"TRACE ",
        ];
        if !METHODS.iter().any(|m| p.starts_with(m)) {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        // a request cut by the segment end still has its method, path and the headers
        // parsed so far
        let _ = req.parse(p);
        let method = req.method?.to_string();
        let uri = req.path?.to_string();
        let mut host = None;
        let mut user_agent = None;
        for h in req.headers.iter() {
            if h.name.eq_ignore_ascii_case("host") {
                host = Some(String::from_utf8_lossy(h.value).trim().to_string());
            } else if h.name.eq_ignore_ascii_case("user-agent") {
                user_agent = Some(String::from_utf8_lossy(h.value).trim().to_string());
            }
        }
        let host = host.unwrap_or_else(|| seg.dst.to_string());
        let url = if uri.contains("://") {
            uri.clone()
        } else {
            let port = if seg.dport == 80 {
                String::new()
            } else {
                format!(":{}", seg.dport)
            };
            let host_port = if host.contains(':') {
                host.clone()
            } else {
                format!("{host}{port}")
            };
            format!("http://{host_port}{uri}")
        };
        let mut e = Event::new(Action::HttpRequest, url, self.provenance(record));
        e.time = Some(time.to_string());
        e.detail("method", method);
        e.detail("host", host);
        e.detail("uri", uri);
        if let Some(ua) = user_agent {
            e.detail("user_agent", ua);
        }
        e.detail("dst", dst.to_string());
        e.detail("src", endpoint(seg.src, seg.sport));
        Some(e)
    }

    fn dns(&mut self, record: u64, time: String, seg: &Segment<'_>) {
        let Ok(packet) = simple_dns::Packet::parse(seg.payload) else {
            return;
        };
        let response = packet.has_flags(simple_dns::PacketFlag::RESPONSE);
        let id = packet.id();
        let Some(q) = packet.questions.first() else {
            return;
        };
        let qname = q
            .qname
            .to_string()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let qtype = match q.qtype {
            simple_dns::QTYPE::TYPE(t) => format!("{t:?}"),
            other => format!("{other:?}"),
        };
        let client = if response { seg.dst } else { seg.src };
        let key = (client_key(client), id, qname.clone());
        if !response {
            if self.pending.len() >= MAX_PENDING_DNS {
                if let Some(old) = self.pending.pop_oldest() {
                    self.unanswered(old);
                }
            }
            self.pending.insert(
                key,
                PendingQuery {
                    record,
                    time,
                    qname,
                    qtype,
                    server: seg.dst.to_string(),
                    client: seg.src.to_string(),
                },
            );
            return;
        }
        let answers: Vec<String> = packet
            .answers
            .iter()
            .filter_map(|rr| match &rr.rdata {
                simple_dns::rdata::RData::A(a) => Some(Ipv4Addr::from(a.address).to_string()),
                simple_dns::rdata::RData::AAAA(a) => Some(Ipv6Addr::from(a.address).to_string()),
                simple_dns::rdata::RData::CNAME(c) => {
                    Some(c.0.to_string().trim_end_matches('.').to_ascii_lowercase())
                }
                _ => None,
            })
            .collect();
        let (record, time, server, client_ip, qtype) = match self.pending.remove(&key) {
            Some(q) => (q.record, q.time, q.server, q.client, q.qtype),
            None => (
                record,
                time,
                seg.src.to_string(),
                seg.dst.to_string(),
                qtype,
            ),
        };
        let mut e = Event::new(Action::DnsQuery, qname, self.provenance(record));
        e.time = Some(time);
        e.detail("qtype", qtype);
        e.detail("answers", answers.join(" "));
        e.detail("server", server);
        e.detail("client", client_ip);
        self.emit(e);
    }

    fn unanswered(&mut self, q: PendingQuery) {
        let mut e = Event::new(Action::DnsQuery, q.qname, self.provenance(q.record));
        e.time = Some(q.time);
        e.detail("qtype", q.qtype);
        e.detail("server", q.server);
        e.detail("client", q.client);
        e.detail("result", "no answer seen");
        self.emit(e);
    }
}

fn client_key(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => (u128::from(a) as u64) ^ ((u128::from(a) >> 64) as u64),
    }
}

/// The server name of a TLS ClientHello record.
fn client_hello_sni(p: &[u8]) -> Option<String> {
    use tls_parser::{TlsExtension, TlsMessage, TlsMessageHandshake};
    let (_, record) = tls_parser::parse_tls_plaintext(p).ok()?;
    for msg in &record.msg {
        if let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(hello)) = msg {
            let (_, exts) = tls_parser::parse_tls_extensions(hello.ext?).ok()?;
            for ext in exts {
                if let TlsExtension::SNI(names) = ext {
                    if let Some((_, name)) = names.first() {
                        return Some(String::from_utf8_lossy(name).to_ascii_lowercase());
                    }
                }
            }
        }
    }
    None
}

/// The payload with non-printable bytes as spaces (runs collapsed), bounded.
fn printable(p: &[u8]) -> String {
    let mut out = String::new();
    let mut space = false;
    for &b in p.iter().take(MAX_PAYLOAD_TEXT) {
        if (0x21..0x7f).contains(&b) {
            out.push(b as char);
            space = false;
        } else if !space && !out.is_empty() {
            out.push(' ');
            space = true;
        }
    }
    out.trim_end().to_string()
}

/// Events of a pcap or pcapng capture.
pub fn events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    report: &mut ReadReport,
) {
    // the readers parse the file header from their first read: give it whole
    let mut head = Vec::new();
    if let Err(e) = (&mut *reader).take(65536).read_to_end(&mut head) {
        report.warn(WarningCode::of_io(&e), format!("read error: {e}"));
        return;
    }
    let magic: [u8; 4] = head
        .get(..4)
        .and_then(|m| m.try_into().ok())
        .unwrap_or_default();
    // An input shorter than the first read is all in `head`: no block can be longer.
    let whole_input = (head.len() < 65536).then_some(head.len());
    let stream = std::io::Cursor::new(head).chain(reader);
    let opened: Result<Box<dyn PcapReaderIterator + '_>, _> = if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        pcap_parser::PcapNGReader::new(65536, stream)
            .map(|r| Box::new(r) as Box<dyn PcapReaderIterator>)
    } else {
        pcap_parser::LegacyPcapReader::new(65536, stream)
            .map(|r| Box::new(r) as Box<dyn PcapReaderIterator>)
    };
    let mut reader = match opened {
        Ok(r) => r,
        Err(e) => {
            report.warn(
                WarningCode::FormatUnknown,
                format!("not a readable capture: {e:?}"),
            );
            return;
        }
    };
    let mut decoder = Decoder {
        source: source.clone(),
        format: LogFormat::Pcap,
        pending: PendingQueries::default(),
        flows: HashSet::new(),
        openers: HashSet::new(),
        sink,
        produced: 0,
    };
    let mut legacy_link = Linktype::ETHERNET;
    let mut nanoseconds = false;
    let mut interfaces: Vec<(Linktype, u64)> = Vec::new();
    let mut index = 0u64;
    let mut capacity = 65536usize;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_link = h.network;
                        nanoseconds = h.is_nanosecond_precision();
                        decoder.format = LogFormat::Pcap;
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let fraction = u64::from(b.ts_usec);
                        let micros = if nanoseconds {
                            fraction / 1000
                        } else {
                            fraction
                        };
                        let time =
                            crate::dates::iso_micros(u64::from(b.ts_sec), micros % 1_000_000);
                        let end = (b.caplen as usize).min(b.data.len());
                        decoder.packet(index, time, legacy_link, &b.data[..end]);
                        index += 1;
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        decoder.format = LogFormat::Pcapng;
                        interfaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let resolution = idb.ts_resolution().unwrap_or(1_000_000).max(1);
                        interfaces.push((idb.linktype, resolution));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (link, resolution) = interfaces
                            .get(epb.if_id as usize)
                            .copied()
                            .unwrap_or((Linktype::ETHERNET, 1_000_000));
                        let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let micros = (ts % resolution).saturating_mul(1_000_000) / resolution;
                        let time = crate::dates::iso_micros(ts / resolution, micros);
                        decoder.packet(index, time, link, epb.packet_data());
                        index += 1;
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        let link = interfaces.first().map_or(Linktype::ETHERNET, |i| i.0);
                        decoder.packet(index, String::new(), link, spb.packet_data());
                        index += 1;
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::UnexpectedEof) => {
                report.warn(
                    WarningCode::InputTruncated,
                    format!(
                        "the capture is truncated after {index} packets; the last one is cut short"
                    ),
                );
                break;
            }
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    report.warn(
                        WarningCode::InputTruncated,
                        format!(
                        "the capture is truncated after {index} packets; the last one is cut short"
                    ),
                    );
                    break;
                }
                if let Err(e) = reader.refill() {
                    report.warn(
                        WarningCode::InputUnreadable,
                        format!("read error after {index} packets: {e:?}"),
                    );
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if whole_input.is_some_and(|len| capacity >= len) {
                    // Growing the buffer (up to 16 MiB) could not help: the block
                    // declares more bytes than the whole capture holds.
                    report.warn(
                        WarningCode::InputTruncated,
                        format!(
                            "the capture is truncated after {index} packets: the next block \
                         declares more bytes than the file holds"
                        ),
                    );
                    break;
                }
                if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                    report.warn(WarningCode::SizeLimit, format!(
                        "a block after packet {index} is larger than {MAX_BLOCK} bytes; reading stopped"
                    ));
                    break;
                }
                capacity *= 2;
            }
            Err(e) => {
                report.warn(
                    WarningCode::ParseError,
                    format!("damaged capture after {index} packets: {e:?}; reading stopped"),
                );
                break;
            }
        }
    }
    while let Some(q) = decoder.pending.pop_oldest() {
        decoder.unanswered(q);
    }
    report.records += index;
    report.produced += decoder.produced;
}

/// The name of an event's target in field paths.
fn target_name(action: Action) -> &'static str {
    match action {
        Action::DnsQuery => "qname",
        Action::HttpRequest => "url",
        Action::TlsClientHello => "sni",
        _ => "dst_ip",
    }
}

/// The decoded values of each packet's event (`/packet/N/NAME`), for the IOC scanner.
pub fn fields(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Field),
    report: &mut ReadReport,
) {
    let mut tap = super::FieldTap::new(sink);
    events(
        source,
        reader,
        &mut |e: Event| event_fields(&e, &mut tap),
        report,
    );
    report.produced = tap.report.produced;
}

/// The decoded values of one packet's event, handed to `tap`.
pub(crate) fn event_fields(e: &Event, tap: &mut super::FieldTap<'_>) {
    let base = format!("/packet/{}", e.provenance.record + 1);
    tap.field(Field {
        path: format!("{base}/{}", target_name(e.action)),
        line: None,
        offset: None,
        text: e.target.clone(),
    });
    for (name, value) in &e.details {
        if matches!(
            name.as_str(),
            "dst_port" | "protocol" | "qtype" | "method" | "src" | "client"
        ) {
            continue;
        }
        tap.field(Field {
            path: format!("{base}/{name}"),
            line: None,
            offset: None,
            text: value.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(record: u64, name: &str) -> (QueryKey, PendingQuery) {
        (
            (1, record as u16, name.to_string()),
            PendingQuery {
                record,
                time: String::new(),
                qname: name.to_string(),
                qtype: "A".to_string(),
                server: "192.0.2.53".to_string(),
                client: "192.0.2.10".to_string(),
            },
        )
    }

    #[test]
    fn pending_queries_leave_oldest_first_and_answered_ones_are_skipped() {
        let mut p = PendingQueries::default();
        for r in 0..200u64 {
            let (k, q) = query(r, &format!("h{r}.example.com"));
            p.insert(k, q);
        }
        // answers for every even record
        for r in (0..200u64).step_by(2) {
            let (k, _) = query(r, &format!("h{r}.example.com"));
            assert_eq!(p.remove(&k).map(|q| q.record), Some(r));
        }
        assert_eq!(p.len(), 100);
        // the same key asked again replaces the waiting query and waits from its new place
        let (k, q) = query(1, "h1.example.com");
        p.insert(k, PendingQuery { record: 500, ..q });
        let order: Vec<u64> = std::iter::from_fn(|| p.pop_oldest().map(|q| q.record)).collect();
        let mut want: Vec<u64> = (3..200).step_by(2).collect();
        want.push(500);
        assert_eq!(order, want);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn stale_order_entries_do_not_pile_up() {
        let mut p = PendingQueries::default();
        for r in 0..100_000u64 {
            let (k, q) = query(r, "same.example.com");
            p.insert((k.0, 7, k.2), q);
            p.remove(&(1, 7, "same.example.com".to_string()));
        }
        assert_eq!(p.len(), 0);
        assert!(p.order.len() < 100, "{}", p.order.len());
    }
}
