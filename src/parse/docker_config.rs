//! The Docker CLI's configuration: `config.json` (`currentContext`), context metadata
//! (`contexts/meta/<digest>/meta.json`), and endpoint URLs (`DOCKER_HOST`, `unix:///…`, `tcp://…`).

use serde_json::Value;

/// Where a client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///path` (the path, absolute).
    Unix(String),
    /// `tcp://host:port`.
    Tcp(String),
    /// `ssh://user@host`.
    Ssh(String),
    /// Anything else (`npipe://`, `fd://`, garbage), kept as written.
    Other(String),
}

impl Endpoint {
    pub fn url(&self) -> String {
        match self {
            Endpoint::Unix(p) => format!("unix://{p}"),
            Endpoint::Tcp(h) => format!("tcp://{h}"),
            Endpoint::Ssh(h) => format!("ssh://{h}"),
            Endpoint::Other(s) => s.clone(),
        }
    }
}

/// Parses a `DOCKER_HOST`-style URL the way the CLI reads it.
pub fn parse_endpoint(url: &str) -> Endpoint {
    let url = url.trim();
    if let Some(path) = url.strip_prefix("unix://") {
        if path.starts_with('/') {
            return Endpoint::Unix(path.to_owned());
        }
        return Endpoint::Other(url.to_owned());
    }
    if let Some(h) = url.strip_prefix("tcp://") {
        return Endpoint::Tcp(h.to_owned());
    }
    if let Some(h) = url.strip_prefix("ssh://") {
        return Endpoint::Ssh(h.to_owned());
    }
    Endpoint::Other(url.to_owned())
}

/// `serde_json`'s error as `line L column C: message`.
fn json_error(e: &serde_json::Error) -> String {
    format!("line {} column {}: {e}", e.line(), e.column())
}

/// `currentContext` of a `config.json`, if set (an empty string means unset, as in the CLI).
pub fn current_context(config_json: &str) -> Result<Option<String>, String> {
    let v: Value = serde_json::from_str(config_json).map_err(|e| json_error(&e))?;
    if !v.is_object() {
        return Err("line 1 column 1: config.json is not a JSON object".to_owned());
    }
    Ok(v.get("currentContext")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

/// A context's name and its Docker endpoint (`Endpoints.docker.Host`) from `meta.json`.
pub fn context_meta(meta_json: &str) -> Result<(String, Option<String>), String> {
    let v: Value = serde_json::from_str(meta_json).map_err(|e| json_error(&e))?;
    let name = v
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| "line 1 column 1: meta.json has no Name".to_owned())?;
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((name.to_owned(), host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("unix:///run/user/1000/docker.sock"),
            Endpoint::Unix("/run/user/1000/docker.sock".into())
        );
        assert_eq!(
            parse_endpoint("tcp://127.0.0.1:2375"),
            Endpoint::Tcp("127.0.0.1:2375".into())
        );
        assert_eq!(
            parse_endpoint("ssh://me@box"),
            Endpoint::Ssh("me@box".into())
        );
        assert_eq!(
            parse_endpoint("unix://relative.sock"),
            Endpoint::Other("unix://relative.sock".into())
        );
        assert_eq!(
            parse_endpoint("npipe:////./pipe/docker_engine").url(),
            "npipe:////./pipe/docker_engine"
        );
    }

    #[test]
    fn config_and_meta() {
        assert_eq!(
            current_context(r#"{"auths":{},"currentContext":"rootless"}"#)
                .unwrap()
                .as_deref(),
            Some("rootless")
        );
        assert_eq!(current_context(r#"{"currentContext":""}"#).unwrap(), None);
        assert_eq!(current_context("{}").unwrap(), None);
        let err = current_context("{\n  \"currentContext\": rootless\n}").unwrap_err();
        assert!(err.starts_with("line 2 column"), "{err}");
        assert!(
            current_context("[]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        let meta = r#"{"Name":"rootless","Metadata":{"Description":"Rootless mode"},"Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock","SkipTLSVerify":false}}}"#;
        assert_eq!(
            context_meta(meta).unwrap(),
            (
                "rootless".to_owned(),
                Some("unix:///run/user/1000/docker.sock".to_owned())
            )
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,200}") {
            let _ = parse_endpoint(&text);
            let _ = current_context(&text);
            let _ = context_meta(&text);
        }

        #[test]
        fn unix_urls_round_trip(path in "/[a-z0-9/._-]{0,40}") {
            let e = parse_endpoint(&format!("unix://{path}"));
            prop_assert_eq!(e.url(), format!("unix://{path}"));
        }
    }
}
