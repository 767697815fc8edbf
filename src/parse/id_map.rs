//! Parser for `/proc/PID/uid_map` and `/proc/PID/gid_map`, as described in
//! user_namespaces(7).
//!
//! Each line holds three whitespace-separated numbers, `inside outside count`: ids
//! `inside..inside+count` in the process's user namespace correspond to
//! `outside..outside+count` in the parent namespace. The kernel prints them right-aligned in
//! ten-character columns. The initial user namespace shows the single identity line
//! `0 0 4294967295`.

use serde::Serialize;

use crate::parse::LineError;

/// One extent of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IdMapEntry {
    pub inside: u64,
    pub outside: u64,
    pub count: u64,
}

/// Ids are 32-bit, so an extent may end at most at 2^32 (exclusive), which is the bound the
/// kernel enforces when the map is written.
const ID_SPACE: u64 = 1 << 32;

/// The count of the identity mapping in the initial namespace: every id except `(uid_t)-1`.
const FULL_COUNT: u64 = 4_294_967_295;

/// Parses the text of a uid_map or gid_map file. Blank lines are ignored; malformed lines
/// are reported and skipped.
pub fn parse(text: &str) -> (Vec<IdMapEntry>, Vec<LineError>) {
    super::each_line(text, parse_line)
}

/// Returns true for the identity map of the initial user namespace, meaning the process is
/// not inside a user namespace at all.
pub fn is_initial_namespace(map: &[IdMapEntry]) -> bool {
    matches!(
        map,
        [IdMapEntry {
            inside: 0,
            outside: 0,
            count: FULL_COUNT
        }]
    )
}

/// Returns true when every id in `[start, start + count)` is mapped, possibly by several
/// adjacent or overlapping extents. An empty range is trivially covered.
pub fn covers_inside(map: &[IdMapEntry], start: u64, count: u64) -> bool {
    if count == 0 {
        return true;
    }
    // u128 keeps `start + count` exact for any u64 input.
    let end = u128::from(start) + u128::from(count);
    let mut extents: Vec<(u128, u128)> = map
        .iter()
        .filter(|e| e.count > 0)
        .map(|e| {
            (
                u128::from(e.inside),
                u128::from(e.inside) + u128::from(e.count),
            )
        })
        .collect();
    extents.sort_unstable();
    // Sweep the extents in order of their start, extending the covered prefix while they
    // touch it; the first gap means the range is not fully covered.
    let mut covered_to = u128::from(start);
    for (lo, hi) in extents {
        if lo > covered_to {
            break;
        }
        covered_to = covered_to.max(hi);
        if covered_to >= end {
            return true;
        }
    }
    false
}

/// Renders a map the way the kernel prints it (`%10u %10u %10u`).
pub fn render(map: &[IdMapEntry]) -> String {
    let mut out = String::new();
    for e in map {
        out.push_str(&format!(
            "{:>10} {:>10} {:>10}\n",
            e.inside, e.outside, e.count
        ));
    }
    out
}

fn parse_line(line: &str) -> Result<IdMapEntry, String> {
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    let [inside, outside, count] = fields.as_slice() else {
        return Err(format!(
            "expected 3 numbers (inside outside count), found {} fields",
            fields.len()
        ));
    };
    let inside = parse_number(inside, "inside id")?;
    let outside = parse_number(outside, "outside id")?;
    let count = parse_number(count, "count")?;
    if count == 0 {
        return Err("count must be at least 1".to_string());
    }
    for (base, what) in [(inside, "inside"), (outside, "outside")] {
        if base.checked_add(count).is_none_or(|end| end > ID_SPACE) {
            return Err(format!("{what} range {base}+{count} exceeds 32-bit ids"));
        }
    }
    Ok(IdMapEntry {
        inside,
        outside,
        count,
    })
}

fn parse_number(field: &str, what: &str) -> Result<u64, String> {
    if !field.bytes().all(|b| b.is_ascii_digit()) {
        let shown: String = field.chars().take(40).collect();
        return Err(format!("{what} {shown:?} is not a number"));
    }
    field
        .parse::<u64>()
        .map_err(|_| format!("{what} {field:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INITIAL: &str = "         0          0 4294967295\n";
    const ROOTLESS: &str = "         0       1000          1\n         1     100000      65536\n";

    #[test]
    fn initial_namespace() {
        let (map, errors) = parse(INITIAL);
        assert!(errors.is_empty());
        assert!(is_initial_namespace(&map));
        assert!(covers_inside(&map, 0, 65536));
        assert_eq!(render(&map), INITIAL);
    }

    #[test]
    fn rootless_docker_map() {
        let (map, errors) = parse(ROOTLESS);
        assert!(errors.is_empty());
        assert!(!is_initial_namespace(&map));
        assert_eq!(
            map[1],
            IdMapEntry {
                inside: 1,
                outside: 100000,
                count: 65536
            }
        );
        // Ids 0..65537 are covered by the two adjacent extents together.
        assert!(covers_inside(&map, 0, 65537));
        assert!(!covers_inside(&map, 0, 65538));
        assert!(covers_inside(&map, 65536, 1));
        assert!(!covers_inside(&map, 65537, 1));
        assert!(covers_inside(&map, 70000, 0));
        assert_eq!(render(&map), ROOTLESS);
    }

    #[test]
    fn gaps_and_unsorted_extents() {
        let map = [
            IdMapEntry {
                inside: 10,
                outside: 0,
                count: 5,
            },
            IdMapEntry {
                inside: 0,
                outside: 0,
                count: 5,
            },
        ];
        assert!(covers_inside(&map, 0, 5));
        assert!(covers_inside(&map, 10, 5));
        assert!(!covers_inside(&map, 0, 15));
        assert!(!covers_inside(&map, 4, 7));
        assert!(!covers_inside(&[], 0, 1));
    }

    #[test]
    fn bad_lines() {
        let text = "0 0\n0 x 1\n0 0 0\n4294967295 0 2\n\n1 2 3\n";
        let (map, errors) = parse(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
        assert_eq!(map.len(), 1);
    }

    fn entry_strategy() -> impl Strategy<Value = IdMapEntry> {
        (0u64..ID_SPACE, 0u64..ID_SPACE)
            .prop_flat_map(|(i, o)| (Just(i), Just(o), 1..=(ID_SPACE - i.max(o))))
            .prop_map(|(inside, outside, count)| IdMapEntry {
                inside,
                outside,
                count,
            })
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), start in any::<u64>(), count in any::<u64>()) {
            let (map, _) = parse(&text);
            let _ = is_initial_namespace(&map);
            let _ = covers_inside(&map, start, count);
        }

        #[test]
        fn round_trips(map in prop::collection::vec(entry_strategy(), 0..6)) {
            let (parsed, errors) = parse(&render(&map));
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(parsed, map);
        }

        #[test]
        fn each_extent_covers_itself(map in prop::collection::vec(entry_strategy(), 1..6)) {
            for e in &map {
                prop_assert!(covers_inside(&map, e.inside, e.count));
                prop_assert!(covers_inside(&[*e], e.inside, e.count));
                prop_assert!(!covers_inside(&[*e], e.inside, e.count + 1));
            }
        }

        #[test]
        fn coverage_is_monotonic(map in prop::collection::vec(entry_strategy(), 0..6), start in 0u64..ID_SPACE, count in 0u64..1000) {
            // If a range is covered, every sub-range is too.
            if covers_inside(&map, start, count) && count > 0 {
                prop_assert!(covers_inside(&map, start, count - 1));
                prop_assert!(covers_inside(&map, start + 1, count - 1));
            }
        }
    }
}
