//! `/proc/net/unix` (proc(5)): the inode, listening flag and path of each Unix socket of a network namespace.
//!
//! The kernel prints each line as `"%pK: %08X %08X %08X %04X %02X %5lu"` (the socket's address, hidden as zeros
//! to most readers; reference count; protocol, always 0; flags, `__SO_ACCEPTCON` (0x00010000) on a listening
//! socket; type; state; inode), then, for a bound socket, one space and its path as it is: a path may hold
//! spaces, and an abstract name starts with `@`. A path may even hold a newline, so a user can forge what looks
//! like a line of its own; callers match sockets by inode, and [`parse`] refuses an inode that appears on two
//! lines rather than trust either.

use super::LineError;

/// `__SO_ACCEPTCON` in include/linux/net.h: the socket listens.
const SO_ACCEPTCON: u32 = 0x0001_0000;

/// One Unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    pub inode: u64,
    /// The `Flags` column has `__SO_ACCEPTCON`: `listen(2)` was called on it.
    pub listening: bool,
    /// The bound path (`@name` for an abstract socket); `None` for an unbound one.
    pub path: Option<String>,
}

/// Parses `/proc/net/unix`. The `Num RefCount …` header and blank lines are skipped; a malformed line, and every
/// line of an inode that appears more than once (a forged line, see the module), is reported by number and skipped.
pub fn parse(text: &str) -> (Vec<Socket>, Vec<LineError>) {
    let mut sockets: Vec<(usize, Socket)> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let first = raw.split_ascii_whitespace().next();
        if first.is_none() || first == Some("Num") {
            continue;
        }
        match parse_line(raw) {
            Ok(socket) => sockets.push((i + 1, socket)),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    // One pass to count each inode's lines (a quadratic scan would let a user with many sockets stall the run).
    let mut lines_of: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    for (line, s) in &sockets {
        lines_of.entry(s.inode).or_default().push(*line);
    }
    let mut kept = Vec::new();
    for (line, s) in sockets {
        let lines = &lines_of[&s.inode];
        if lines.len() == 1 {
            kept.push(s);
        } else {
            errors.push(LineError {
                line,
                message: format!(
                    "inode {} is also on line {}: neither is trusted (a socket path can hold a newline)",
                    s.inode,
                    lines
                        .iter()
                        .filter(|l| **l != line)
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    errors.sort_by_key(|e| e.line);
    (kept, errors)
}

fn parse_line(line: &str) -> Result<Socket, String> {
    let mut rest = line.trim_start();
    let mut fields = Vec::with_capacity(7);
    for _ in 0..7 {
        let end = rest.find([' ', '\t']).unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        fields.push(&rest[..end]);
        rest = &rest[end..];
        // Fields are padded, but the path follows the inode after exactly one space and may start with spaces.
        rest = if fields.len() < 7 {
            rest.trim_start_matches([' ', '\t'])
        } else {
            rest.strip_prefix(' ').unwrap_or(rest)
        };
    }
    let [num, refcount, protocol, flags, kind, state, inode] = fields.as_slice() else {
        return Err(format!(
            "expected at least 7 fields, found {} in {}",
            fields.len(),
            super::shown(line)
        ));
    };
    if !num
        .strip_suffix(':')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!(
            "expected a hex address like \"0000000000000000:\", got {}",
            super::shown(num)
        ));
    }
    for (name, value, digits) in [
        ("reference count", refcount, 8),
        ("protocol", protocol, 8),
        ("flags", flags, 8),
        ("type", kind, 4),
        ("state", state, 2),
    ] {
        if value.len() != digits || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "expected {digits} hex digits for the {name}, got {}",
                super::shown(value)
            ));
        }
    }
    let flags = u32::from_str_radix(flags, 16).map_err(|e| e.to_string())?;
    let inode = super::decimal(inode)
        .ok_or_else(|| format!("expected a numeric inode, got {}", super::shown(inode)))?;
    Ok(Socket {
        inode,
        listening: flags & SO_ACCEPTCON != 0,
        path: (!rest.is_empty()).then(|| rest.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REAL: &str = "\
Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 31337 /var/run/docker.sock
0000000000000000: 00000003 00000000 00000000 0001 03  1586
0000000000000000: 00000002 00000000 00010000 0001 01 20001 @/containerd-shim/abc.sock@
0000000000000000: 00000002 00000000 00000000 0002 01 20002 /run/with space/x.sock
";

    #[test]
    fn real_unix() {
        let (s, errors) = parse(REAL);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            s,
            vec![
                Socket {
                    inode: 31337,
                    listening: true,
                    path: Some("/var/run/docker.sock".into())
                },
                Socket {
                    inode: 1586,
                    listening: false,
                    path: None
                },
                Socket {
                    inode: 20001,
                    listening: true,
                    path: Some("@/containerd-shim/abc.sock@".into())
                },
                Socket {
                    inode: 20002,
                    listening: false,
                    path: Some("/run/with space/x.sock".into())
                },
            ]
        );
    }

    #[test]
    fn a_forged_line_in_a_socket_path_is_not_trusted() {
        // A user binds "/tmp/x\n0000000000000000: … 31337 /tmp/fake": the forged line claims dockerd's inode.
        let text = format!(
            "{REAL}0000000000000000: 00000002 00000000 00010000 0001 01 40000 /tmp/x\n0000000000000000: 00000002 00000000 00010000 0001 01 31337 /tmp/fake\n"
        );
        let (s, errors) = parse(&text);
        assert!(s.iter().all(|s| s.inode != 31337), "{s:?}");
        assert!(s.iter().any(|s| s.inode == 40000));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].message.contains("inode 31337 is also on line 7"),
            "{errors:?}"
        );
    }

    #[test]
    fn malformed_lines() {
        let (s, errors) = parse(
            "x: 1 2\nzz: 00000002 00000000 00010000 0001 01 5 /a\n0: 00000002 00000000 0001000 0001 01 5 /a\n0: 00000002 00000000 00010000 0001 01 five /a\n",
        );
        assert!(s.is_empty());
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        assert!(errors[2].message.contains("flags"), "{errors:?}");
    }

    #[test]
    fn regression_many_sockets_parse_without_a_quadratic_scan() {
        // The duplicate check compared every line with every other: a user holding ~100k bound sockets made each
        // run spend ~10^10 steps on one /proc/PID/net/unix. It counts inodes in one pass now.
        let text: String = (1..=200_000u64)
            .map(|i| {
                format!("0000000000000000: 00000002 00000000 00010000 0001 01 {i} /tmp/s{i}\n")
            })
            .collect();
        let (s, errors) = parse(&text);
        assert_eq!((s.len(), errors.len()), (200_000, 0));
    }

    proptest! {
        #[test]
        fn never_panics(text in "(.{0,120}\n){0,5}") {
            let _ = parse(&text);
        }

        #[test]
        fn round_trips(
            entries in proptest::collection::btree_map(1u64..u64::MAX, (any::<bool>(), proptest::option::of("[a-z ./@]{0,30}[a-z]")), 0..6)
        ) {
            let text: String = entries
                .iter()
                .map(|(inode, (listening, path))| {
                    let flags = if *listening { SO_ACCEPTCON } else { 0 };
                    let path = path.as_ref().map(|p| format!(" {p}")).unwrap_or_default();
                    format!("0000000000000000: 00000002 00000000 {flags:08X} 0001 01 {inode:5}{path}\n")
                })
                .collect();
            let (s, errors) = parse(&format!("Num       RefCount Protocol Flags    Type St Inode Path\n{text}"));
            prop_assert!(errors.is_empty(), "{:?}", errors);
            let back: Vec<(u64, (bool, Option<String>))> =
                s.into_iter().map(|s| (s.inode, (s.listening, s.path))).collect();
            let want: Vec<(u64, (bool, Option<String>))> = entries.into_iter().collect();
            prop_assert_eq!(back, want);
        }
    }
}
