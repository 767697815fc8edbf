//! fnmatch(3)-style patterns for interface names, as systemd-networkd's `Name=` and netplan's `match.name` use them.
//!
//! Supported: `*`, `?`, bracket expressions (`[abc]`, `[a-z]`, `[!x]`, `[^x]`, `[]x]`, and the POSIX classes
//! `[[:digit:]]` and friends, ASCII only), and `\` escaping the next character. As with `fnmatch(pattern, name, 0)`,
//! `*` and `?` also match `/` and a leading `.`.
//!
//! Malformed patterns never panic: an unclosed `[` is a literal `[`, and a trailing `\` is a literal `\`.
//! Matching works on Unicode scalar values and takes O(pattern × name) time: on a mismatch it backtracks only
//! to the most recent `*`, never recursively.

/// One compiled pattern element; every element but `Star` consumes exactly one character.
#[derive(Debug, Clone)]
enum Token {
    Literal(char),
    Any,
    Star,
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
}

/// A test for membership in a POSIX character class.
type CharTest = fn(&char) -> bool;

#[derive(Debug, Clone)]
enum ClassItem {
    /// An inclusive range; a single character is `Range(c, c)`, a reversed range matches nothing.
    Range(char, char),
    /// A POSIX character class such as `[:digit:]`.
    Named(CharTest),
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Literal(l) => *l == c,
            Token::Any => true,
            Token::Star => false,
            Token::Class { negated, items } => {
                let hit = items.iter().any(|item| match item {
                    ClassItem::Range(lo, hi) => *lo <= c && c <= *hi,
                    ClassItem::Named(test) => test(&c),
                });
                hit != *negated
            }
        }
    }
}

/// Whether `name` matches the fnmatch(3)-style `pattern` as a whole.
///
/// `*` matches any run of characters, `?` any one character, `[...]` one character of a set (`[!...]` or `[^...]`
/// negates it), and `\` makes the next character literal.
pub fn matches(pattern: &str, name: &str) -> bool {
    let tokens = compile(pattern);
    let name: Vec<char> = name.chars().collect();
    match_tokens(&tokens, &name)
}

/// Whether `name` matches a whitespace-separated list of patterns, as in networkd's `Name=docker0 br-* veth*`.
///
/// A `!` before the whole list inverts it (`Name=!eth0 eth1` matches every name but `eth0` and `eth1`).
/// As in networkd, an empty list (also a lone `!`) is no condition at all and matches every name.
/// Words are not unquoted: `"eth0"` is the pattern with the quotes.
pub fn list_matches(list: &str, name: &str) -> bool {
    let list = list.trim_start();
    let (invert, list) = match list.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, list),
    };
    let mut patterns = list.split_whitespace().peekable();
    if patterns.peek().is_none() {
        return true;
    }
    patterns.any(|pattern| matches(pattern, name)) != invert
}

fn compile(pattern: &str) -> Vec<Token> {
    let p: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::with_capacity(p.len());
    let mut i = 0;
    while let Some(&c) = p.get(i) {
        match c {
            '*' => {
                // `**` is the same as `*`; collapsing keeps the backtracking simple.
                if !matches!(tokens.last(), Some(Token::Star)) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            '?' => {
                tokens.push(Token::Any);
                i += 1;
            }
            '[' => match parse_class(&p, i + 1) {
                Some((token, next)) => {
                    tokens.push(token);
                    i = next;
                }
                None => {
                    tokens.push(Token::Literal('['));
                    i += 1;
                }
            },
            '\\' => match p.get(i + 1) {
                Some(&escaped) => {
                    tokens.push(Token::Literal(escaped));
                    i += 2;
                }
                None => {
                    tokens.push(Token::Literal('\\'));
                    i += 1;
                }
            },
            other => {
                tokens.push(Token::Literal(other));
                i += 1;
            }
        }
    }
    tokens
}

/// Parses a bracket expression whose `[` is just before `start`; returns the token and the index after its `]`,
/// or `None` when the expression is not closed.
fn parse_class(p: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *p.get(i)?;
        if c == ']' && !first {
            return Some((Token::Class { negated, items }, i + 1));
        }
        first = false;
        if c == '['
            && p.get(i + 1) == Some(&':')
            && let Some((test, next)) = named_class(p, i + 2)
        {
            items.push(ClassItem::Named(test));
            i = next;
            continue;
        }
        let (lo, next) = class_char(p, i)?;
        i = next;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&c| c != ']') {
            let (hi, next) = class_char(p, i + 1)?;
            items.push(ClassItem::Range(lo, hi));
            i = next;
        } else {
            items.push(ClassItem::Range(lo, lo));
        }
    }
}

/// One (possibly backslash-escaped) character inside a bracket expression.
fn class_char(p: &[char], i: usize) -> Option<(char, usize)> {
    match *p.get(i)? {
        '\\' => Some((*p.get(i + 1)?, i + 2)),
        c => Some((c, i + 1)),
    }
}

/// `[:name:]` with `start` just after `[:`; `None` for an unknown or unclosed class, which then reads literally.
fn named_class(p: &[char], start: usize) -> Option<(CharTest, usize)> {
    let len = p.get(start..)?.windows(2).position(|w| w == [':', ']'])?;
    let name: String = p.get(start..start + len)?.iter().collect();
    let test: CharTest = match name.as_str() {
        "alnum" => char::is_ascii_alphanumeric,
        "alpha" => char::is_ascii_alphabetic,
        "blank" => |c| matches!(c, ' ' | '\t'),
        "cntrl" => char::is_ascii_control,
        "digit" => char::is_ascii_digit,
        "graph" => char::is_ascii_graphic,
        "lower" => char::is_ascii_lowercase,
        "print" => |c| c.is_ascii_graphic() || *c == ' ',
        "punct" => char::is_ascii_punctuation,
        "space" => |c| c.is_ascii_whitespace() || *c == '\x0b',
        "upper" => char::is_ascii_uppercase,
        "xdigit" => char::is_ascii_hexdigit,
        _ => return None,
    };
    Some((test, start + len + 2))
}

/// Iterative matching with backtracking to the last `*` only: O(tokens × name).
///
/// This suffices because every other token consumes exactly one character: letting the latest `*` absorb one
/// more character covers every way an earlier `*` could have.
fn match_tokens(tokens: &[Token], name: &[char]) -> bool {
    let (mut t, mut n) = (0, 0);
    // Where to resume after the latest `*`: the token after it, and the name position it would absorb up to.
    let mut resume: Option<(usize, usize)> = None;
    loop {
        match tokens.get(t) {
            Some(Token::Star) => {
                resume = Some((t + 1, n));
                t += 1;
                continue;
            }
            Some(token) => {
                if let Some(&c) = name.get(n)
                    && token.matches(c)
                {
                    t += 1;
                    n += 1;
                    continue;
                }
            }
            None if n == name.len() => return true,
            None => {}
        }
        match resume {
            Some((after_star, absorbed)) if absorbed < name.len() => {
                resume = Some((after_star, absorbed + 1));
                t = after_star;
                n = absorbed + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn networkd_and_netplan_patterns() {
        assert!(matches("docker0", "docker0"));
        assert!(!matches("docker0", "docker01"));
        assert!(matches("br-*", "br-5f3c2a1b9e0d"));
        assert!(!matches("br-*", "bridge0"));
        assert!(matches("veth*", "veth"));
        assert!(matches("veth*", "veth3f2a9c1"));
        assert!(matches("en*", "enp0s31f6"));
        assert!(matches("eth?", "eth0"));
        assert!(!matches("eth?", "eth10"));
        assert!(matches("wl[a-z]*", "wlp2s0"));
        assert!(matches("eth[0-9]", "eth7"));
        assert!(!matches("eth[!0-9]", "eth7"));
        assert!(matches("eth[^0-9]", "ethx"));
        assert!(matches("eth[01]", "eth1"));
        assert!(!matches("eth[01]", "eth2"));
        assert!(matches("tap[]]", "tap]"));
        assert!(matches("tap[!]]", "tapx"));
        assert!(matches("x[a-]", "x-"));
        assert!(matches("eth[[:digit:]]", "eth3"));
        assert!(!matches("eth[[:digit:]]", "ethz"));
        assert!(matches("*", ""));
        assert!(matches("", ""));
        assert!(!matches("", "lo"));
        assert!(matches("*.100", "eth0.100"));
        assert!(matches("*/*", "a/b"));
    }

    #[test]
    fn escapes_and_malformed_patterns() {
        assert!(matches(r"a\*", "a*"));
        assert!(!matches(r"a\*", "ab"));
        assert!(matches(r"\?", "?"));
        assert!(!matches(r"\?", "x"));
        assert!(matches(r"[\]]", "]"));
        assert!(matches(r"a\", r"a\"));
        assert!(matches("eth[0", "eth[0"));
        assert!(!matches("eth[0", "eth0"));
        assert!(matches("[", "["));
        assert!(matches("[!", "[!"));
        assert!(matches("[]", "[]"));
        assert!(matches("[[:bogus:]]", "[]"));
        assert!(matches("[[:digit:", "[[:digit:"));
        assert!(!matches("[z-a]", "m"));
        assert!(matches(r"[\]-a]", "^"));
    }

    #[test]
    fn lists() {
        let list = "docker0 br-* veth*";
        assert!(list_matches(list, "docker0"));
        assert!(list_matches(list, "br-1a2b3c"));
        assert!(list_matches(list, "vethabc"));
        assert!(!list_matches(list, "eth0"));
        assert!(list_matches("!eth0", "wlan0"));
        assert!(!list_matches("!eth0", "eth0"));
        assert!(!list_matches("!eth0 eth1", "eth1"));
        assert!(list_matches("  !en* wl*  ", "docker0"));
        assert!(list_matches("", "anything"));
        assert!(list_matches("!", "anything"));
        assert!(list_matches("lo\teth0", "eth0"));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let name = "a".repeat(2000);
        let pattern = format!("{}b", "a*".repeat(200));
        assert!(!matches(&pattern, &name));
        let pattern = "*a".repeat(500);
        assert!(matches(&pattern, &name));
        let pattern = format!("{}*?", "*".repeat(1000));
        assert!(matches(&pattern, &name));
    }

    /// The obvious exponential definition, to check the iterative matcher against on small inputs.
    fn reference(tokens: &[Token], name: &[char]) -> bool {
        match tokens.split_first() {
            None => name.is_empty(),
            Some((Token::Star, rest)) => (0..=name.len()).any(|k| reference(rest, &name[k..])),
            Some((token, rest)) => name
                .split_first()
                .is_some_and(|(&c, tail)| token.matches(c) && reference(rest, tail)),
        }
    }

    proptest! {
        #[test]
        fn never_panics(pattern in ".{0,40}", name in ".{0,40}") {
            let _ = matches(&pattern, &name);
            let _ = list_matches(&pattern, &name);
        }

        #[test]
        fn literal_matches_itself(name in "[a-zA-Z0-9._@:-]{0,15}") {
            prop_assert!(matches(&name, &name));
            prop_assert!(list_matches(&name, &name));
            let inverted = format!("!{name}");
            prop_assert!(!list_matches(&inverted, &name) || name.is_empty());
        }

        #[test]
        fn star_matches_everything(name in ".{0,40}") {
            prop_assert!(matches("*", &name));
            prop_assert!(list_matches("*", &name));
        }

        #[test]
        fn question_marks_match(name in "[a-z0-9.-]{1,15}", mask in proptest::collection::vec(any::<bool>(), 15)) {
            let pattern: String = name
                .chars()
                .zip(mask)
                .map(|(c, hide)| if hide { '?' } else { c })
                .collect();
            prop_assert!(matches(&pattern, &name));
        }

        #[test]
        fn agrees_with_reference(pattern in "[ab*?\\[\\]!^\\\\-]{0,10}", name in "[ab\\[\\]!-]{0,10}") {
            let tokens = compile(&pattern);
            let chars: Vec<char> = name.chars().collect();
            prop_assert_eq!(match_tokens(&tokens, &chars), reference(&tokens, &chars));
        }

        #[test]
        fn escaping_makes_literal(name in ".{0,20}") {
            let escaped: String = name.chars().flat_map(|c| ['\\', c]).collect();
            prop_assert!(matches(&escaped, &name));
        }
    }
}
