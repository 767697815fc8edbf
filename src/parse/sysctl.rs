//! Parsers for the values of files under `/proc/sys`, as described in sysctl(8) and proc(5).
//!
//! Reading such a file yields the value followed by a newline; integer vectors such as
//! `net.ipv4.ping_group_range` are separated by tabs. The helpers here accept any ASCII
//! whitespace as separator so that values typed by hand (`0 2147483647`) parse too.

/// Parses a single integer value such as the content of `/proc/sys/user/max_user_namespaces`.
pub fn parse_int(text: &str) -> Result<i64, String> {
    let trimmed = text.trim_ascii();
    if trimmed.is_empty() {
        return Err("empty value".to_string());
    }
    parse_one(trimmed)
}

/// Parses a two-integer value such as `net.ipv4.ping_group_range` (`"1\t0\n"`).
pub fn parse_int_pair(text: &str) -> Result<(i64, i64), String> {
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    match fields.as_slice() {
        [a, b] => Ok((parse_one(a)?, parse_one(b)?)),
        _ => Err(format!(
            "expected two integers, found {} fields",
            fields.len()
        )),
    }
}

/// Maps a dotted sysctl name to its file under `/proc/sys`, as sysctl(8) does:
/// `kernel.unprivileged_userns_clone` becomes `/proc/sys/kernel/unprivileged_userns_clone`.
pub fn path_for(name: &str) -> String {
    let name = name.trim_ascii().trim_start_matches('/');
    format!("/proc/sys/{}", name.replace('.', "/"))
}

fn parse_one(field: &str) -> Result<i64, String> {
    field.parse::<i64>().map_err(|_| {
        let shown: String = field.chars().take(40).collect();
        format!("expected an integer, got {shown:?}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn single_values() {
        assert_eq!(parse_int("1\n"), Ok(1));
        assert_eq!(parse_int("  63459 \n"), Ok(63459));
        assert_eq!(parse_int("-1\n"), Ok(-1));
        assert!(parse_int("").is_err());
        assert!(parse_int("yes\n").is_err());
        assert!(parse_int("1 2\n").is_err());
    }

    #[test]
    fn pairs() {
        assert_eq!(parse_int_pair("1\t0\n"), Ok((1, 0)));
        assert_eq!(parse_int_pair("0 2147483647"), Ok((0, 2147483647)));
        assert!(parse_int_pair("1\n").is_err());
        assert!(parse_int_pair("1 2 3\n").is_err());
        assert!(parse_int_pair("a b").is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(
            path_for("kernel.unprivileged_userns_clone"),
            "/proc/sys/kernel/unprivileged_userns_clone"
        );
        assert_eq!(
            path_for("net.ipv4.ping_group_range"),
            "/proc/sys/net/ipv4/ping_group_range"
        );
        assert_eq!(
            path_for("user/max_user_namespaces"),
            "/proc/sys/user/max_user_namespaces"
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>()) {
            let _ = parse_int(&text);
            let _ = parse_int_pair(&text);
            let _ = path_for(&text);
        }

        #[test]
        fn int_round_trips(n in any::<i64>()) {
            prop_assert_eq!(parse_int(&format!("{n}\n")), Ok(n));
        }

        #[test]
        fn pair_round_trips(a in any::<i64>(), b in any::<i64>()) {
            prop_assert_eq!(parse_int_pair(&format!("{a}\t{b}\n")), Ok((a, b)));
        }

        #[test]
        fn path_has_no_dots_from_the_name(name in "[a-z_]{1,10}(\\.[a-z0-9_]{1,10}){0,3}") {
            let path = path_for(&name);
            prop_assert!(path.starts_with("/proc/sys/"));
            prop_assert!(!path.contains('.'));
        }
    }
}
