//! /etc/subuid and /etc/subgid, shadow's `subid:` line of nsswitch.conf, getsubids's output, /etc/passwd and
//! /etc/group.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::{passwd, subid};

fuzz_target!(|data: &[u8]| {
    // Facts reads the subid files lossily (a non-UTF-8 line is reported, the rest still counts).
    let text = String::from_utf8_lossy(data);
    let (entries, _) = subid::parse(&text);
    for e in &entries {
        let _ = (e.end(), e.matches("alice", 1000), e.contains(100_000));
        let _ = e.overlaps(e.start, e.count);
    }
    let _ = subid::parse(&subid::render(&entries));
    let _ = subid::shadow_nss_source(&text);
    let _ = subid::rootlesskit_getsubids(&text);
    // RootlessKit's static parser, indexed once for every account, answers each as the one-user parse does.
    let index = subid::StaticIndex::new(&text, "/etc/subuid");
    let spans = subid::parse_spans(&text);
    for (uid, name) in [(1000, "alice"), (1000, "1000"), (0, ""), (7, "bob")] {
        assert_eq!(
            index.ranges(uid, name),
            subid::rootlesskit_static(&text, "/etc/subuid", uid, name)
        );
        assert_eq!(
            subid::rootlesskit_static_with(
                &text,
                "/etc/subuid",
                uid,
                name,
                &spans.entries,
                spans.alike
            ),
            subid::rootlesskit_static(&text, "/etc/subuid", uid, name)
        );
    }
    // /etc/passwd as bytes, and the lookups a --root tree answers from it: the first account the whole parse has.
    let all = passwd::parse_passwd_bytes(data);
    let by_name = passwd::find_account(data, |n, _| n == b"alice");
    assert_eq!(by_name, all.iter().find(|e| e.name == "alice"));
    let by_uid = passwd::find_account(data, |_, u| u == Some(1000));
    assert_eq!(by_uid, all.iter().find(|e| e.uid == 1000));
    // The accounts of lines skipped for their encoding: each on such a line, in file order, none on a line read.
    let unread = all.unread_accounts();
    for u in &unread {
        assert!(all.skipped.iter().any(|e| e.line == u.line));
        assert!(all.iter().all(|e| e.line != u.line));
    }
    assert!(unread.windows(2).all(|w| w[0].line < w[1].line));
    if std::str::from_utf8(data).is_ok() {
        assert!(unread.is_empty());
    }
    for e in &entries {
        assert_eq!(subid::is_decimal_of(&e.owner, 1000), e.owner == "1000");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // The one-pass readings the product uses are the line-by-line reference readings.
        let (entries, errors) = passwd::parse_passwd(text);
        assert_eq!(all.iter().collect::<Vec<_>>(), entries);
        assert_eq!(all.skipped, errors);
        let (groups, errors) = passwd::parse_group(text);
        let indexed = passwd::Groups::parse(text.to_owned());
        assert_eq!(indexed.iter().collect::<Vec<_>>(), groups);
        assert_eq!(indexed.skipped, errors);
    }
});
