//! The one edit of a systemd drop-in the doctor makes: setting `Environment=` variables in its `[Service]` section
//! (`net --write` on `~/.config/systemd/user/docker.service.d/override.conf`), every other line kept as written.
//!
//! A logical line is one or more physical lines joined by a trailing backslash, as systemd reads them. An
//! `Environment=` line of `[Service]` that assigns a variable being set loses that assignment (the rest of the line
//! stays, written again in quotes; an empty line goes); the new assignments are written one per line, quoted
//! (`Environment="NAME=value"`, with `\`, `"` and systemd's specifier `%` escaped), after the last line of the last
//! `[Service]` section, or in a new one at the end. So an edit applied twice gives the same text as once.
//! An `Environment=` line that names a variable being set but does not parse is refused at its line, rather than
//! guessed at.

use super::LineError;
use super::unit::{self, is_env_name, split_environment};

/// `text` with `vars` set in `[Service]`; a value or name that a drop-in cannot hold is an error on line 0.
pub fn set_environment(text: &str, vars: &[(String, String)]) -> Result<String, LineError> {
    for (k, v) in vars {
        // `%` would need systemd's specifier escaping, which the reader here does not undo: not written.
        if !is_env_name(k) || v.chars().any(|c| c.is_control() || c == '%') {
            return Err(LineError {
                line: 0,
                message: format!("{k:?}={v:?} cannot be written as an Environment= assignment"),
            });
        }
    }
    // systemd ends a line at a lone '\r' too (read_line_full); the reader here does not: refused, not guessed.
    if let Some(at) = text
        .char_indices()
        .find(|&(i, c)| c == '\r' && text.as_bytes().get(i + 1) != Some(&b'\n'))
        .map(|(i, _)| i)
    {
        return Err(LineError {
            line: text[..at].matches('\n').count() + 1,
            message: "a carriage return that does not end the line: not edited".to_owned(),
        });
    }
    // A file systemd already reads only in part (a malformed header makes it drop the whole file) is not edited.
    let (_, errors_before) = unit::parse(text);
    if let Some(e) = errors_before.first() {
        return Err(LineError {
            line: e.line,
            message: format!(
                "systemd does not read this line ({}): not edited",
                e.message
            ),
        });
    }
    // Logical lines: (first physical line number, the physical lines). As systemd reads them: a line ending in an
    // odd number of backslashes continues, and comment lines inside a continuation are skipped.
    let mut logical: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut open = false;
    // Lines split at '\n' only: a '\r' stays where it was (`str::lines` would drop one before a '\n' but not one
    // at the very end, and the edit would not be idempotent).
    let body = text.strip_suffix('\n').unwrap_or(text);
    let physical: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        body.split('\n').collect()
    };
    for (i, l) in physical.into_iter().enumerate() {
        if open && let Some(last) = logical.last_mut() {
            last.1.push(l);
        } else {
            logical.push((i + 1, vec![l]));
        }
        let skipped = open && is_comment(l);
        open = if skipped {
            true
        } else {
            !is_comment(l)
                && l.trim_end_matches(['\r'])
                    .bytes()
                    .rev()
                    .take_while(|&b| b == b'\\')
                    .count()
                    % 2
                    == 1
        };
    }
    // A last line that continues (a trailing backslash) would swallow the first line written after it.
    if open && let Some((line, parts)) = logical.last() {
        return Err(LineError {
            line: line + parts.len() - 1,
            message: "the file ends in a line continued by a backslash: not edited".to_owned(),
        });
    }
    let mut out: Vec<String> = Vec::new();
    let mut section = String::new();
    // Index in `out` after the last line of the last [Service] section seen.
    let mut service_end: Option<usize> = None;
    for (line, parts) in &logical {
        let first = parts[0].trim_start();
        if first.starts_with('[') {
            section = first.trim_end().to_owned();
        }
        let joined: String = parts
            .iter()
            .enumerate()
            .filter(|(i, p)| *i == 0 || !is_comment(p))
            .map(|(_, p)| p.strip_suffix('\\').unwrap_or(p))
            .collect::<Vec<_>>()
            .join(" ");
        let assignment = joined
            .trim_start()
            .strip_prefix("Environment")
            .map(str::trim_start)
            .and_then(|r| r.strip_prefix('='));
        match assignment {
            Some(value) if section == "[Service]" && !is_comment(first) => {
                let named = vars.iter().any(|(k, _)| value.contains(k.as_str()));
                if !named {
                    out.extend(parts.iter().map(|p| (*p).to_owned()));
                } else {
                    let pairs = split_environment(value.trim()).map_err(|e| LineError {
                        line: *line,
                        message: format!("Environment= does not parse ({e}): not edited"),
                    })?;
                    let kept: Vec<&(String, String)> = pairs
                        .iter()
                        .filter(|(k, _)| !vars.iter().any(|(n, _)| n == k))
                        .collect();
                    // A kept value is written again quoted; what systemd would have resolved in it
                    // (specifiers) would then change meaning.
                    if kept.len() != pairs.len() && value.contains('%') {
                        return Err(LineError {
                            line: *line,
                            message: "Environment= uses % specifiers beside a variable being set: not edited".to_owned(),
                        });
                    }
                    if kept.iter().any(|(_, v)| v.chars().any(char::is_control)) {
                        return Err(LineError {
                            line: *line,
                            message: "Environment= holds a value with a control character beside a variable being set: not edited".to_owned(),
                        });
                    }
                    if kept.len() == pairs.len() {
                        out.extend(parts.iter().map(|p| (*p).to_owned()));
                    } else if !kept.is_empty() {
                        let words: Vec<String> = kept.iter().map(|(k, v)| quote(k, v)).collect();
                        out.push(format!("Environment={}", words.join(" ")));
                    }
                }
            }
            _ => out.extend(parts.iter().map(|p| (*p).to_owned())),
        }
        if section == "[Service]" {
            // The section ends after its last line that is neither blank nor a comment.
            if !first.is_empty() && !is_comment(first) || first.starts_with('[') {
                service_end = Some(out.len());
            }
        } else if first.starts_with('[') {
            // A new section: the [Service] end stays where it was.
        }
    }
    let new: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("Environment={}", quote(k, v)))
        .collect();
    match service_end {
        Some(at) => {
            out.splice(at..at, new);
        }
        None => {
            if out.iter().any(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push("[Service]".to_owned());
            out.extend(new);
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    verify(&s, vars)?;
    Ok(s)
}

/// What systemd will read from `out` (through `unit::parse`, which follows its rules): no new error, and in
/// `[Service]` the last assignment of each variable is the value set. Anything else is refused, not written.
fn verify(out: &str, vars: &[(String, String)]) -> Result<(), LineError> {
    let (entries, errors) = unit::parse(out);
    if let Some(e) = errors.first() {
        return Err(LineError {
            line: e.line,
            message: format!(
                "systemd would not read the edited file ({}): not edited",
                e.message
            ),
        });
    }
    for (k, v) in vars {
        let last = entries
            .iter()
            .filter(|e| e.section == "Service" && e.key == "Environment")
            .flat_map(|e| split_environment(&e.value).unwrap_or_default())
            .rfind(|(name, _)| name == k);
        if last.as_ref().map(|(_, value)| value) != Some(v) {
            return Err(LineError {
                line: 0,
                message: format!(
                    "systemd would not read {k}={v} from the edited file (its [Service] section or line continuations are unusual): not edited"
                ),
            });
        }
    }
    Ok(())
}

fn is_comment(l: &str) -> bool {
    let t = l.trim_start();
    t.starts_with('#') || t.starts_with(';')
}

/// `"NAME=value"` as systemd reads a double-quoted word: `\` and `"` escaped, `%` doubled (specifiers).
pub fn quote(k: &str, v: &str) -> String {
    let mut s = String::from("\"");
    for c in format!("{k}={v}").chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '%' => s.push_str("%%"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::unit;
    use proptest::prelude::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_empty_file_gets_a_service_section() {
        let out = set_environment("", &vars(&[("A", "1"), ("B", "x y")])).unwrap();
        assert_eq!(
            out,
            "[Service]\nEnvironment=\"A=1\"\nEnvironment=\"B=x y\"\n"
        );
    }

    #[test]
    fn other_lines_stay_and_the_old_assignments_go() {
        let text = "# mine\n[Unit]\nAfter=network-online.target\n\n[Service]\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET=pasta\" \"HTTP_PROXY=http://p:3128\"\nEnvironment=DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=implicit\nExecStart=\nExecStart=/usr/bin/dockerd-rootless.sh -H unix:///run/user/1000/docker.sock\n\n# trailing comment\n";
        let out = set_environment(
            text,
            &vars(&[
                ("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", "slirp4netns"),
                ("DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", "slirp4netns"),
            ]),
        )
        .unwrap();
        assert_eq!(
            out,
            "# mine\n[Unit]\nAfter=network-online.target\n\n[Service]\nEnvironment=\"HTTP_PROXY=http://p:3128\"\nExecStart=\nExecStart=/usr/bin/dockerd-rootless.sh -H unix:///run/user/1000/docker.sock\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns\"\nEnvironment=\"DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=slirp4netns\"\n\n# trailing comment\n"
        );
        // What systemd reads from it: the new values win, the proxy stays.
        let (entries, errors) = unit::parse(&out);
        assert!(errors.is_empty());
        let env: Vec<(String, String)> = entries
            .iter()
            .filter(|e| e.key == "Environment")
            .flat_map(|e| split_environment(&e.value).unwrap())
            .collect();
        assert!(env.contains(&("HTTP_PROXY".into(), "http://p:3128".into())));
        assert!(!env.iter().any(|(_, v)| v == "pasta" || v == "implicit"));
    }

    #[test]
    fn a_continued_line_is_one_line() {
        let text = "[Service]\nEnvironment=A=1 \\\n  B=2\n";
        let out = set_environment(text, &vars(&[("B", "3")])).unwrap();
        assert_eq!(out, "[Service]\nEnvironment=\"A=1\"\nEnvironment=\"B=3\"\n");
    }

    #[test]
    fn an_unparsable_line_that_names_a_variable_is_refused_at_its_line() {
        let e =
            set_environment("[Service]\nEnvironment=\"A=1\n", &vars(&[("A", "2")])).unwrap_err();
        assert_eq!(e.line, 2);
        // One that does not name it is kept as it is.
        let out = set_environment("[Service]\nEnvironment=\"X=1\n", &vars(&[("A", "2")])).unwrap();
        assert_eq!(out, "[Service]\nEnvironment=\"X=1\nEnvironment=\"A=2\"\n");
    }

    /// Found by the fuzz target: the file's last line continued by a backslash took the first line written after
    /// it into itself.
    #[test]
    fn regression_a_continuation_at_the_end_swallowed_the_first_new_line() {
        let set = vars(&[("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", "")]);
        let e = set_environment("[Service]\nEnvironment=A=1 \\\n", &set).unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    /// Found by the fuzz target: a value kept beside a variable being set held a newline (a `\n` escape), written
    /// back raw it split the line.
    #[test]
    fn regression_a_kept_value_with_an_escaped_newline_split_the_line() {
        let set = vars(&[("NET", "x")]);
        let e = set_environment("[Service]\nEnvironment=\"A=a\\nb\" NET=y\n", &set).unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    /// Audit: a comment inside a continuation ended the line here while systemd skips it, so the new assignment
    /// was read as part of the old line.
    #[test]
    fn regression_a_comment_inside_a_continuation_ended_the_line() {
        let set = vars(&[("NET", "slirp4netns")]);
        let out = set_environment(
            "[Service]\nEnvironment=HTTP_PROXY=http://p:3128 \\\n# the proxy\n  NO_PROXY=x\n",
            &set,
        )
        .unwrap();
        assert!(out.ends_with("Environment=\"NET=slirp4netns\"\n"), "{out}");
        // An even number of backslashes does not continue.
        let out = set_environment("[Service]\nEnvironment=A=1\\\\\n", &set).unwrap();
        assert!(out.ends_with("Environment=\"NET=slirp4netns\"\n"), "{out}");
    }

    /// Audit: systemd ends a line at a lone CR; the tool read one line where systemd reads two.
    #[test]
    fn regression_a_lone_carriage_return_hid_an_assignment() {
        let e = set_environment(
            "[Service]\n# note\rEnvironment=NET=pasta\n",
            &vars(&[("NET", "slirp4netns")]),
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
    }

    /// Audit: a kept value with a specifier was written again with `%` doubled, which changed what systemd reads.
    #[test]
    fn regression_kept_specifiers_were_doubled() {
        let e = set_environment(
            "[Service]\nEnvironment=PATH=%h/bin NET=pasta\n",
            &vars(&[("NET", "slirp4netns")]),
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
    }

    /// Audit: a section header systemd rejects made it drop the whole file while the edit reported success.
    #[test]
    fn regression_a_header_systemd_rejects_was_kept() {
        let e = set_environment(
            "[Service] # mine\nExecStart=/bin/true\n",
            &vars(&[("NET", "slirp4netns")]),
        );
        assert!(e.is_err(), "{e:?}");
    }

    /// Found by the fuzz target: a line ending in a bare '\r' at the end of the file lost it on the second edit.
    #[test]
    fn regression_a_carriage_return_at_the_end_made_the_edit_not_idempotent() {
        let set = vars(&[("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", "")]);
        // Now refused outright: systemd ends a line at a lone CR (regression_a_lone_carriage_return_hid_an_assignment).
        let e = set_environment("[Service]\nEnvironment=A=1 \\\n  B=1 C\r", &set).unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn specifiers_quotes_and_backslashes_are_escaped() {
        let out = set_environment("", &vars(&[("A", "5 \"q\" \\")])).unwrap();
        assert_eq!(out, "[Service]\nEnvironment=\"A=5 \\\"q\\\" \\\\\"\n");
        assert!(set_environment("", &vars(&[("A", "50%")])).is_err());
        assert!(set_environment("", &vars(&[("A", "x\ny")])).is_err());
        assert!(set_environment("", &vars(&[("1A", "x")])).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,300}", v in "[a-z0-9 ./=-]{0,20}") {
            let _ = set_environment(&text, &vars(&[("DOCKERD_ROOTLESS_ROOTLESSKIT_NET", &v)]));
        }

        #[test]
        fn idempotent_and_the_values_are_what_systemd_reads(
            lines in proptest::collection::vec(prop_oneof![
                Just("[Service]".to_owned()),
                Just("[Unit]".to_owned()),
                Just("".to_owned()),
                Just("# c".to_owned()),
                Just("ExecStart=/usr/bin/dockerd-rootless.sh".to_owned()),
                "[A-Z]{1,3}=[a-z0-9]{0,5}".prop_map(|s| format!("Environment={s}")),
                "[a-z0-9]{0,5}".prop_map(|s| format!("Environment=\"NET={s}\" \"KEEP=1\"")),
            ], 0..12),
            net in "[a-z0-9-]{1,12}",
            mtu in "[0-9]{1,5}",
        ) {
            // A file beginning with lines outside any section: prefixed with [Unit], as systemd would demand.
            let text = format!("[Unit]\n{}", lines.join("\n"));
            let set = vars(&[("NET", &net), ("MTU", &mtu)]);
            let once = set_environment(&text, &set).unwrap();
            let twice = set_environment(&once, &set).unwrap();
            prop_assert_eq!(&once, &twice);
            // Within the last [Service] section, the last assignment of each is ours.
            let (entries, _) = unit::parse(&once);
            let mut last = std::collections::HashMap::new();
            for e in entries.iter().filter(|e| e.section == "Service" && e.key == "Environment") {
                for (k, v) in split_environment(&e.value).unwrap_or_default() {
                    last.insert(k, v);
                }
            }
            prop_assert_eq!(last.get("NET"), Some(&net));
            prop_assert_eq!(last.get("MTU"), Some(&mtu));
        }
    }
}
