//! A structured edit of a JSON object file (daemon.json): set some top-level keys, remove others, keep every other
//! key and the order of all of them (serde_json's `preserve_order`), and write the result pretty-printed (two
//! spaces, a trailing newline).
//!
//! `fix --apply` and the plan both call [`edit`]: the applier on the file it reads at apply time, the plan on the
//! text the facts read, so the script's here-document and the applied file are the same bytes for the same input.

use serde_json::{Map, Value};

/// Why a file cannot be edited: not JSON, or JSON whose top level is not an object. 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The top-level object of `text`: an empty or whitespace-only file is `{}` (dockerd reads it as no settings).
pub fn object(text: &[u8]) -> Result<Map<String, Value>, JsonError> {
    let start = text.iter().position(|b| !b" \t\r\n".contains(b));
    let Some(start) = start else {
        return Ok(Map::new());
    };
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => {
            let before = &text[..start];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = start
                - before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            Err(JsonError {
                line,
                column,
                message: format!("the top level is {}, not an object", kind(&other)),
            })
        }
        Err(e) => Err(JsonError {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `map` already is as the edit would leave it: every `set` key holds its value, no `remove` key is there
/// (a key named in both is set).
pub fn is_applied(map: &Map<String, Value>, set: &Map<String, Value>, remove: &[String]) -> bool {
    set.iter().all(|(k, v)| map.get(k) == Some(v))
        && remove
            .iter()
            .all(|k| set.contains_key(k) || !map.contains_key(k))
}

/// The file's new text, or `None` when the edit is already applied (nothing to change).
///
/// A key set that exists keeps its place; a new one goes at the end, in `set`'s order. `set` wins over `remove`
/// for a key named in both.
pub fn edit(
    text: &[u8],
    set: &Map<String, Value>,
    remove: &[String],
) -> Result<Option<String>, JsonError> {
    let mut map = object(text)?;
    if is_applied(&map, set, remove) {
        return Ok(None);
    }
    for k in remove {
        if !set.contains_key(k) {
            map.shift_remove(k);
        }
    }
    for (k, v) in set {
        map.insert(k.clone(), v.clone());
    }
    Ok(Some(render(&map)))
}

/// A JSON object as `edit` writes it: two-space indentation and a trailing newline.
pub fn render(map: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(map).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn set(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn other_keys_and_their_order_are_kept() {
        let text = br#"{"storage-driver": "overlay2", "rootless": false, "debug": true, "dns": ["1.1.1.1"]}"#;
        let out = edit(
            text,
            &set(&[("dns", json!(["10.0.0.2"])), ("mtu", json!(1400))]),
            &["rootless".to_owned()],
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            out,
            "{\n  \"storage-driver\": \"overlay2\",\n  \"debug\": true,\n  \"dns\": [\n    \"10.0.0.2\"\n  ],\n  \"mtu\": 1400\n}\n"
        );
        // Applying it again changes nothing.
        assert_eq!(
            edit(
                out.as_bytes(),
                &set(&[("dns", json!(["10.0.0.2"])), ("mtu", json!(1400))]),
                &["rootless".to_owned()]
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_missing_or_blank_file_is_an_empty_object() {
        assert_eq!(
            edit(b"", &set(&[("dns", json!(["10.0.0.2"]))]), &[]).unwrap(),
            Some("{\n  \"dns\": [\n    \"10.0.0.2\"\n  ]\n}\n".to_owned())
        );
        assert_eq!(
            edit(b" \n\t", &Map::new(), &["rootless".to_owned()]),
            Ok(None)
        );
        assert_eq!(
            edit(
                b"{\"rootless\": false}",
                &Map::new(),
                &["rootless".to_owned()]
            ),
            Ok(Some("{}\n".to_owned()))
        );
    }

    #[test]
    fn invalid_json_and_other_top_levels_are_refused_with_line_and_column() {
        let e = edit(
            b"{\n  \"a\": 1,\n  \"b\": }\n",
            &Map::new(),
            &["a".to_owned()],
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (3, 8), "{e}");
        assert!(e.to_string().starts_with("3:8: expected value"), "{e}");
        let e = edit(b"\n  [1, 2]\n", &Map::new(), &["a".to_owned()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:3: the top level is an array, not an object"
        );
        let e = edit(b"{} {}", &Map::new(), &[]).unwrap_err();
        assert_eq!((e.line, e.column), (1, 4), "{e}");
        let e = edit(b"{\"a\": \"\xff\"}", &Map::new(), &[]).unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    /// Fuzz finding (json_edit): a number that is not an exact f64 read one way from its digits and another from
    /// the shortest form written back, so the edit never came out "already applied". serde_json's
    /// `float_roundtrip` reads numbers exactly.
    #[test]
    fn regression_fuzz_json_edit_float_not_read_back_equal() {
        let set = object(b"{\"a\": 100000000000004000000000000000}").unwrap();
        let out = edit(b"{  \"a\": 1}", &set, &[]).unwrap().unwrap();
        assert_eq!(edit(out.as_bytes(), &set, &[]), Ok(None), "{out}");
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| json!(x)),
            "\\PC{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-z-]{1,6}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn an_edit_keeps_every_other_key_in_order_and_is_idempotent(
            before in proptest::collection::vec(("[a-z-]{1,6}", value()), 0..8),
            sets in proptest::collection::vec(("[a-z-]{1,6}", value()), 0..4),
            removes in proptest::collection::vec("[a-z-]{1,6}", 0..4),
        ) {
            let before: Map<String, Value> = before.into_iter().collect();
            let sets: Map<String, Value> = sets.into_iter().collect();
            let text = serde_json::to_string(&before).unwrap();
            let out = edit(text.as_bytes(), &sets, &removes).unwrap();
            let after = match &out {
                None => {
                    prop_assert!(is_applied(&before, &sets, &removes));
                    before.clone()
                }
                Some(out) => {
                    prop_assert!(out.ends_with("}\n"), "{:?}", out);
                    let after = object(out.as_bytes()).unwrap();
                    prop_assert_eq!(edit(out.as_bytes(), &sets, &removes).unwrap(), None);
                    after
                }
            };
            prop_assert!(is_applied(&after, &sets, &removes));
            // Every key not named keeps its value and its relative order.
            let kept = |m: &Map<String, Value>| -> Vec<(String, Value)> {
                m.iter()
                    .filter(|(k, _)| !sets.contains_key(*k) && !removes.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
            prop_assert_eq!(kept(&before), kept(&after));
            // A key set that was there keeps its place among the keys that stay.
            let order = |m: &Map<String, Value>| -> Vec<String> {
                m.keys().filter(|k| !removes.contains(k) || sets.contains_key(*k)).cloned().collect()
            };
            let before_order = order(&before);
            let after_order = order(&after);
            prop_assert_eq!(&after_order[..before_order.len()], &before_order[..]);
        }

        #[test]
        fn arbitrary_bytes_never_panic(text in proptest::collection::vec(any::<u8>(), 0..200)) {
            let r = edit(&text, &set(&[("dns", json!(["10.0.0.2"]))]), &["rootless".to_owned()]);
            if let Ok(Some(out)) = r {
                prop_assert_eq!(edit(out.as_bytes(), &set(&[("dns", json!(["10.0.0.2"]))]), &["rootless".to_owned()]), Ok(None));
            }
        }
    }
}
