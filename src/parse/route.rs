//! The kernel's routing tables as /proc shows them: whether the host has a usable default route, the thing pasta
//! copies into the namespace (passt(1): "the interface with the default route").
//!
//! `/proc/net/route` (IPv4): a header line, then `Iface Destination Gateway Flags RefCnt Use Metric Mask …`, the
//! addresses in hex. `/proc/net/ipv6_route`: no header, `dest dest_len src src_len next_hop metric refcnt use flags
//! iface`. A default route has an all-zero destination and a zero prefix (mask); it counts when it is up (`RTF_UP`),
//! not a reject route (`RTF_REJECT`: `unreachable`, `prohibit`, `blackhole`) and not on the loopback device.

/// `RTF_UP` and `RTF_REJECT` from <linux/route.h>.
const RTF_UP: u32 = 0x0001;
const RTF_REJECT: u32 = 0x0200;

/// The interface of the first usable IPv4 default route in `/proc/net/route`, if any.
pub fn default_v4(text: &str) -> Option<String> {
    text.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_ascii_whitespace().collect();
        if f.len() < 8 {
            return None;
        }
        let flags = u32::from_str_radix(f[3], 16).ok()?;
        let usable = f[1] == "00000000"
            && f[7] == "00000000"
            && flags & RTF_UP != 0
            && flags & RTF_REJECT == 0
            && f[0] != "lo";
        usable.then(|| f[0].to_owned())
    })
}

/// The interface of the first usable IPv6 default route in `/proc/net/ipv6_route`, if any.
pub fn default_v6(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split_ascii_whitespace().collect();
        if f.len() < 10 {
            return None;
        }
        let flags = u32::from_str_radix(f[8], 16).ok()?;
        let zero = f[0].len() == 32 && f[0].bytes().all(|b| b == b'0');
        let usable =
            zero && f[1] == "00" && flags & RTF_UP != 0 && flags & RTF_REJECT == 0 && f[9] != "lo";
        usable.then(|| f[9].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const V4: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
";

    #[test]
    fn a_default_route_is_found_on_its_interface() {
        assert_eq!(default_v4(V4).as_deref(), Some("eth0"));
        // Only the subnet route: no default.
        let only_subnet: String = V4
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        assert_eq!(default_v4(&only_subnet), None);
        // A header alone, or nothing.
        assert_eq!(default_v4(V4.lines().next().unwrap()), None);
        assert_eq!(default_v4(""), None);
    }

    #[test]
    fn a_reject_or_down_default_route_does_not_count() {
        let unreachable = V4.replace("0003", "0201");
        assert_eq!(default_v4(&unreachable), None);
        let down = V4.replace("0003", "0002");
        assert_eq!(default_v4(&down), None);
    }

    #[test]
    fn ipv6_default_routes_skip_loopback_rejects() {
        // As a host without IPv6 connectivity shows it: only the loopback's unreachable default.
        let none = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        assert_eq!(default_v6(none), None);
        let some = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0\n";
        assert_eq!(
            default_v6(&format!("{none}{some}")).as_deref(),
            Some("eth0")
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,400}") {
            let _ = default_v4(&s);
            let _ = default_v6(&s);
        }

        #[test]
        fn a_rendered_default_route_is_found(iface in "[a-z][a-z0-9]{0,10}", gw in "[0-9A-F]{8}", metric in 0u32..1000) {
            prop_assume!(iface != "lo");
            let text = format!("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n{iface}\t00000000\t{gw}\t0003\t0\t0\t{metric}\t00000000\t0\t0\t0\n");
            prop_assert_eq!(default_v4(&text), Some(iface));
        }
    }
}
