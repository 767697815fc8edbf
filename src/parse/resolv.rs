//! resolv.conf(5): the `nameserver` lines, and which of them are loopback addresses.

use std::net::IpAddr;

use super::LineError;

/// One `nameserver` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nameserver {
    pub line: usize,
    pub addr: IpAddr,
}

impl Nameserver {
    /// 127.0.0.0/8 and ::1: a resolver on the host itself, which containers cannot reach.
    pub fn is_loopback(&self) -> bool {
        self.addr.is_loopback()
    }
}

/// Parses the nameservers; bad addresses are reported by line and skipped. A zone index (`fe80::1%eth0`) is dropped.
pub fn parse(text: &str) -> (Vec<Nameserver>, Vec<LineError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(['#', ';']).next().unwrap_or_default();
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        match words.next() {
            Some(word) => match word.split('%').next().unwrap_or_default().parse::<IpAddr>() {
                Ok(addr) => out.push(Nameserver { line: i + 1, addr }),
                Err(_) => errors.push(LineError {
                    line: i + 1,
                    message: format!("{word:?} is not an IP address"),
                }),
            },
            None => errors.push(LineError {
                line: i + 1,
                message: "nameserver without an address".into(),
            }),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_files() {
        let stub = "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
        let (ns, errs) = parse(stub);
        assert!(errs.is_empty());
        assert_eq!(ns.len(), 1);
        assert!(ns[0].is_loopback());
        let (ns, _) = parse(
            "nameserver 10.0.0.1 # office\nnameserver ::1\n;nameserver 1.1.1.1\nnameserver fe80::1%eth0\n",
        );
        assert_eq!(
            ns.iter().map(|n| n.is_loopback()).collect::<Vec<_>>(),
            [false, true, false]
        );
        let (_, errs) = parse("nameserver\nnameserver dns.example\n");
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 2]);
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn addresses_round_trip(addrs in proptest::collection::vec(any::<IpAddr>(), 0..5)) {
            let text: String = addrs.iter().map(|a| format!("nameserver {a}\n")).collect();
            let (ns, errs) = parse(&text);
            prop_assert!(errs.is_empty());
            prop_assert_eq!(ns.into_iter().map(|n| n.addr).collect::<Vec<_>>(), addrs);
        }
    }
}
