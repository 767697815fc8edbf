//! `/proc/net/tcp` and `/proc/net/tcp6` (proc(5)): the local end, state, owner and inode of each TCP socket.
//!
//! The kernel prints each line as
//! `"%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu ..."`: slot, local address:port,
//! remote address:port, state, tx:rx queue, timer, retransmits, uid, timeout, inode, then fields that vary by
//! socket state (a TIME_WAIT line stops after the inode). Addresses are the raw network-order bytes read as
//! 32-bit words in host order, so they look byte-swapped on little-endian machines; this parser assumes a
//! little-endian kernel (x86-64, aarch64, ppc64le, riscv64), which is every host Docker runs on in practice.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::LineError;

/// TCP state number of a listening socket (`TCP_LISTEN` in include/net/tcp_states.h).
const TCP_LISTEN: u8 = 0x0A;

/// The local end of one TCP socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    /// The local address; in `tcp6`, IPv4 peers stay IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`).
    pub local: IpAddr,
    /// The local port.
    pub port: u16,
    /// The `st` column: 0x01 ESTABLISHED … 0x0A LISTEN (include/net/tcp_states.h).
    pub state: u8,
    /// The socket owner's uid as the kernel maps it into the reader's user namespace.
    pub uid: u32,
    /// The socket inode, to match against `/proc/PID/fd/*` links `socket:[INODE]` (0 in TIME_WAIT).
    pub inode: u64,
}

impl Socket {
    /// Whether the socket is in the LISTEN state (`st` 0A).
    pub fn is_listening(&self) -> bool {
        self.state == TCP_LISTEN
    }
}

/// Parses `/proc/net/tcp` or `/proc/net/tcp6`; the family follows from each address's length (8 or 32 hex digits).
///
/// The `sl local_address ...` header line and blank lines are skipped; malformed lines are reported by
/// number and skipped.
pub fn parse(text: &str) -> (Vec<Socket>, Vec<LineError>) {
    let mut sockets = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let first = raw.split_ascii_whitespace().next();
        if first.is_none() || first == Some("sl") {
            continue;
        }
        match parse_line(raw) {
            Ok(socket) => sockets.push(socket),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    (sockets, errors)
}

fn parse_line(line: &str) -> Result<Socket, String> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    let [
        slot,
        local,
        remote,
        state,
        _queues,
        _timer,
        _retransmits,
        uid,
        _timeout,
        inode,
        ..,
    ] = fields.as_slice()
    else {
        return Err(format!(
            "expected at least 10 fields, found {} in {}",
            fields.len(),
            super::shown(line)
        ));
    };
    if !slot
        .strip_suffix(':')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "expected a slot number like \"0:\", got {}",
            super::shown(slot)
        ));
    }
    let (addr, port) = endpoint(local)?;
    let (remote_addr, _) = endpoint(remote)?;
    if addr.is_ipv4() != remote_addr.is_ipv4() {
        return Err(format!(
            "local {} and remote {} are of different address families",
            super::shown(local),
            super::shown(remote)
        ));
    }
    let state = hex_exact(state, 2)
        .and_then(|n| u8::try_from(n).ok())
        .ok_or_else(|| {
            format!(
                "expected a two-digit hex state, got {}",
                super::shown(state)
            )
        })?;
    let uid = super::decimal(uid)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("expected a numeric uid, got {}", super::shown(uid)))?;
    let inode = super::decimal(inode)
        .ok_or_else(|| format!("expected a numeric inode, got {}", super::shown(inode)))?;
    Ok(Socket {
        local: addr,
        port,
        state,
        uid,
        inode,
    })
}

/// `0100007F:0CEB` → (127.0.0.1, 3307); 32 hex digits before the colon make an IPv6 address.
fn endpoint(field: &str) -> Result<(IpAddr, u16), String> {
    let bad = || format!("expected ADDRESS:PORT in hex, got {}", super::shown(field));
    let (addr, port) = field.split_once(':').ok_or_else(bad)?;
    let port = hex_exact(port, 4)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(bad)?;
    let addr = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(addr).ok_or_else(bad)?)),
        32 => {
            let mut octets = [0u8; 16];
            for (chunk, out) in addr.as_bytes().chunks(8).zip(octets.chunks_mut(4)) {
                let chunk = std::str::from_utf8(chunk).map_err(|_| bad())?;
                out.copy_from_slice(&word(chunk).ok_or_else(bad)?);
            }
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return Err(bad()),
    };
    Ok((addr, port))
}

/// Eight hex digits printed from a network-order 32-bit word on a little-endian kernel → the four bytes in order.
fn word(hex: &str) -> Option<[u8; 4]> {
    let n = u32::try_from(hex_exact(hex, 8)?).ok()?;
    Some(n.to_le_bytes())
}

/// Exactly `digits` hex digits (no sign, no prefix).
fn hex_exact(text: &str, digits: usize) -> Option<u64> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20567 1 0000000000000000 100 0 0 10 0                     
   1: 0100007F:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 31337 1 0000000000000000 100 0 0 10 0                     
   2: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 18843 1 0000000000000000 100 0 0 10 5                     
   3: 0F02000A:0016 0102000A:D8C2 01 00000000:00000000 02:0009A4E6 00000000     0        0 52771 4 0000000000000000 20 4 30 10 -1                    
   4: 0F02000A:A3F4 2E1D3B8C:01BB 06 00000000:00000000 03:000016C5 00000000     0        0 0 3 0000000000000000                                      
";

    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20569 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 44211 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0CEA 0000000000000000FFFF00000100007F:B5A2 01 00000000:00000000 00:00000000 00000000  1000        0 44950 1 0000000000000000 20 4 31 10 -1
   3: 000080FE00000000FF1B1A02A7D34BFE:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 20570 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn real_tcp() {
        let (sockets, errors) = parse(TCP);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(sockets.len(), 5);
        assert_eq!(
            sockets[0],
            Socket {
                local: "0.0.0.0".parse().unwrap(),
                port: 22,
                state: 0x0A,
                uid: 0,
                inode: 20567
            }
        );
        assert!(sockets[0].is_listening());
        assert_eq!(sockets[1].local, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((sockets[1].port, sockets[1].uid), (3307, 999));
        assert_eq!(sockets[2].local, "127.0.0.53".parse::<IpAddr>().unwrap());
        assert_eq!(sockets[2].port, 53);
        assert_eq!(sockets[3].local, "10.0.2.15".parse::<IpAddr>().unwrap());
        assert!(!sockets[3].is_listening());
        // TIME_WAIT: fewer trailing fields, inode 0.
        assert_eq!((sockets[4].state, sockets[4].inode), (0x06, 0));
    }

    #[test]
    fn real_tcp6() {
        let (sockets, errors) = parse(TCP6);
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(IpAddr, u16, bool)> = sockets
            .iter()
            .map(|s| (s.local, s.port, s.is_listening()))
            .collect();
        assert_eq!(
            got,
            [
                ("::".parse().unwrap(), 22, true),
                ("::1".parse().unwrap(), 8080, true),
                ("::ffff:127.0.0.1".parse().unwrap(), 3306, false),
                ("fe80::21a:1bff:fe4b:d3a7".parse().unwrap(), 22, true),
            ]
        );
        assert_eq!(sockets[1].uid, 1000);
    }

    #[test]
    fn malformed_lines() {
        let text = "  sl  local_address rem_address   st\n\
                    0: 00000000:0016 00000000:0000 0A\n\
                    1: 0100007G:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n\
                    2: 0100007F:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 -1 0 1\n\
                    3: 0100007F:CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n\
                    4: 0100007F:0CEB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n\
                    5: 0100007F:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x\n\
                    x 0100007F:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n\
                    \n\
                    6: 0100007F:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n";
        let (sockets, errors) = parse(text);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(sockets.len(), 1);
        assert_eq!(sockets[0].port, 3307);
    }

    /// Formats an address the way a little-endian kernel prints it.
    fn kernel_hex(addr: IpAddr) -> String {
        let octets = match addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        octets
            .chunks(4)
            .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            .collect()
    }

    proptest! {
        #[test]
        fn never_panics(text in "(.{0,120}\n){0,5}") {
            let _ = parse(&text);
        }

        #[test]
        fn round_trips(
            entries in proptest::collection::vec(
                (any::<IpAddr>(), any::<u16>(), any::<u8>(), any::<u32>(), any::<u64>()),
                0..6,
            ),
            v6 in any::<bool>(),
        ) {
            let entries: Vec<_> = entries
                .into_iter()
                .map(|(addr, port, state, uid, inode)| {
                    let addr = match (v6, addr) {
                        (true, IpAddr::V4(a)) => IpAddr::V6(a.to_ipv6_mapped()),
                        (false, IpAddr::V6(a)) => IpAddr::V4(Ipv4Addr::from(u32::from_be_bytes([
                            a.octets()[0], a.octets()[1], a.octets()[2], a.octets()[3],
                        ]))),
                        (_, a) => a,
                    };
                    (addr, port, state, uid, inode)
                })
                .collect();
            let remote = if v6 { "0".repeat(32) } else { "0".repeat(8) };
            let mut text = String::from("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
            for (slot, (addr, port, state, uid, inode)) in entries.iter().enumerate() {
                text.push_str(&format!(
                    "{slot:4}: {}:{port:04X} {remote}:0000 {state:02X} 00000000:00000000 00:00000000 00000000 {uid:5} {:8} {inode} 1 0000000000000000 100 0 0 10 0\n",
                    kernel_hex(*addr),
                    0,
                ));
            }
            let (sockets, errors) = parse(&text);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            let got: Vec<_> = sockets.into_iter().map(|s| (s.local, s.port, s.state, s.uid, s.inode)).collect();
            prop_assert_eq!(got, entries);
        }
    }
}
