//! /etc/login.defs as shadow reads it (shadow 4.13 lib/getdef.c, `def_load` and `getdef_bool`): each line has its
//! trailing whitespace trimmed; blanks and tabs before the name are skipped; a line that is then empty or starts
//! with `#` is a comment; the name runs to the first blank or tab, and a line without a second field is skipped; the
//! value starts after any blanks, tabs and double quotes and ends at the next double quote; the last line for a name
//! wins. Nothing is an error: shadow ignores what it cannot use.

/// Whitespace as C's `isspace` in the "C" locale: blank, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_space(c: char) -> bool {
    c == ' ' || ('\t'..='\r').contains(&c)
}

/// Every setting in file order: (1-based line, name, value).
pub fn parse(text: &str) -> Vec<(usize, &str, &str)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let name = line
            .trim_end_matches(is_space)
            .trim_start_matches([' ', '\t']);
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        let Some(end) = name.find([' ', '\t']) else {
            continue;
        };
        let (name, rest) = name.split_at(end);
        let value = rest.trim_start_matches([' ', '"', '\t']);
        out.push((n + 1, name, value.split('"').next().unwrap_or_default()));
    }
    out
}

/// The value shadow's `getdef_str` returns for `key`, with the line it came from.
pub fn get<'a>(text: &'a str, key: &str) -> Option<(usize, &'a str)> {
    parse(text)
        .into_iter()
        .rev()
        .find(|(_, name, _)| *name == key)
        .map(|(line, _, value)| (line, value))
}

/// shadow's `getdef_bool`: true only for `yes` in any case.
pub fn get_bool(text: &str, key: &str) -> bool {
    get(text, key).is_some_and(|(_, v)| v.eq_ignore_ascii_case("yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "GRANT_AUX_GROUP_SUBIDS";

    #[test]
    fn as_shadow_reads_it() {
        assert!(get_bool("GRANT_AUX_GROUP_SUBIDS yes\n", KEY));
        assert!(get_bool("  GRANT_AUX_GROUP_SUBIDS\tYES  \r\n", KEY));
        assert!(get_bool("GRANT_AUX_GROUP_SUBIDS \"yes\"\n", KEY));
        assert!(!get_bool("#GRANT_AUX_GROUP_SUBIDS yes\n", KEY));
        assert!(!get_bool("GRANT_AUX_GROUP_SUBIDS no\n", KEY));
        assert!(!get_bool("GRANT_AUX_GROUP_SUBIDS yes please\n", KEY));
        assert!(!get_bool("GRANT_AUX_GROUP_SUBIDS\n", KEY));
        // The last line for a name wins; a one-field line changes nothing.
        assert!(!get_bool(
            "GRANT_AUX_GROUP_SUBIDS yes\nGRANT_AUX_GROUP_SUBIDS no\n",
            KEY
        ));
        assert!(get_bool(
            "GRANT_AUX_GROUP_SUBIDS yes\nGRANT_AUX_GROUP_SUBIDS\n",
            KEY
        ));
        assert_eq!(
            get(
                "ENV_PATH\tPATH=/usr/local/bin:/usr/bin:/bin\n# x\nUMASK 022\n",
                "UMASK"
            ),
            Some((3, "022"))
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_names_are_first_fields(text in "(?s).{0,400}") {
            for (line, name, value) in parse(&text) {
                prop_assert!(line >= 1);
                prop_assert!(!name.is_empty() && !name.starts_with('#'));
                prop_assert!(!name.contains([' ', '\t']) && !value.contains('"'));
            }
        }

        #[test]
        fn a_setting_round_trips(name in "[A-Z_]{1,20}", value in "[a-zA-Z0-9/:=._-]{1,20}") {
            let text = format!("# comment\n{name}\t{value}\n");
            prop_assert_eq!(get(&text, &name), Some((2, value.as_str())));
        }
    }
}
