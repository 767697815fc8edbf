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

/// The host part of a `tcp://` or `ssh://` endpoint: `[user@]host[:port][/path]`, the host a name, an IPv4 address
/// or a bracketed IPv6 address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub user: Option<String>,
    /// Without brackets; empty when the endpoint names none (`tcp://:2375`).
    pub host: String,
    pub port: Option<u16>,
}

/// Splits what follows `tcp://` or `ssh://` as the docker CLI does (a URL's authority; a path after it is ignored).
pub fn authority(rest: &str) -> Result<Authority, String> {
    let auth = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (user, hostport) = match auth.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_owned()), h),
        None => (None, auth),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{hostport:?}: an IPv6 address without its closing ]"))?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("{hostport:?}: expected :PORT after ]"))?,
                ),
            ),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => {
                if p.contains(':') {
                    return Err(format!(
                        "{hostport:?}: an IPv6 address must be in brackets ([::1]:2375)"
                    ));
                }
                (h, Some(p))
            }
            None => (hostport, None),
        }
    };
    let port =
        match port {
            None | Some("") => None,
            Some(p) => Some(p.parse::<u16>().ok().filter(|n| *n != 0).ok_or_else(|| {
                format!("{hostport:?}: port {p:?} is not a number from 1 to 65535")
            })?),
        };
    Ok(Authority {
        user,
        host: host.to_owned(),
        port,
    })
}

/// The shell start-up files in a home directory that may set DOCKER_HOST (besides /etc/environment, /etc/profile
/// and /etc/profile.d/*.sh).
pub const HOME_STARTUP_FILES: &[&str] =
    &[".bashrc", ".bash_profile", ".profile", ".zshrc", ".zshenv"];

/// Whether a line of a shell start-up file sets DOCKER_HOST (`DOCKER_HOST=…` or `export DOCKER_HOST=…`).
pub fn sets_docker_host(line: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix("export")
        .filter(|r| r.starts_with([' ', '\t']))
        .map_or(t, str::trim_start)
        .starts_with("DOCKER_HOST=")
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

/// What the CLI reads of a context's `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextMeta {
    pub name: String,
    /// `Endpoints.docker.Host`.
    pub host: Option<String>,
    /// `Endpoints.docker.SkipTLSVerify`: TLS without checking the server's certificate.
    pub skip_tls_verify: bool,
}

/// A context's name and its Docker endpoint from `meta.json`.
pub fn context_meta(meta_json: &str) -> Result<ContextMeta, String> {
    let v: Value = serde_json::from_str(meta_json).map_err(|e| json_error(&e))?;
    let name = v
        .get("Name")
        .and_then(Value::as_str)
        .ok_or_else(|| "line 1 column 1: meta.json has no Name".to_owned())?;
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let skip_tls_verify = v
        .pointer("/Endpoints/docker/SkipTLSVerify")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(ContextMeta {
        name: name.to_owned(),
        host,
        skip_tls_verify,
    })
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
            ContextMeta {
                name: "rootless".to_owned(),
                host: Some("unix:///run/user/1000/docker.sock".to_owned()),
                skip_tls_verify: false,
            }
        );
        let meta = r#"{"Name":"far","Endpoints":{"docker":{"Host":"tcp://10.0.0.9:2376","SkipTLSVerify":true}}}"#;
        assert!(context_meta(meta).unwrap().skip_tls_verify);
    }

    #[test]
    fn docker_host_lines() {
        assert!(sets_docker_host("DOCKER_HOST=unix:///x"));
        assert!(sets_docker_host("  export\tDOCKER_HOST=tcp://h:2375"));
        assert!(!sets_docker_host("exportDOCKER_HOST=x"));
        assert!(!sets_docker_host("# DOCKER_HOST=x"));
        assert!(!sets_docker_host("MY_DOCKER_HOST=x"));
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

    #[test]
    fn authorities_of_tcp_and_ssh_endpoints() {
        let a = authority("127.0.0.1:4200").unwrap();
        assert_eq!(
            (a.user, a.host.as_str(), a.port),
            (None, "127.0.0.1", Some(4200))
        );
        let a = authority("alice@build.example:2222/ignored").unwrap();
        assert_eq!(
            (a.user.as_deref(), a.host.as_str(), a.port),
            (Some("alice"), "build.example", Some(2222))
        );
        let a = authority("[::1]:2376").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("::1", Some(2376)));
        assert_eq!(authority(":2375").unwrap().host, "");
        assert_eq!(authority("host").unwrap().port, None);
        assert!(authority("::1:2375").unwrap_err().contains("brackets"));
        assert!(authority("host:0").unwrap_err().contains("1 to 65535"));
        assert!(authority("[::1").unwrap_err().contains("closing"));
    }

    proptest::proptest! {
        #[test]
        fn authority_never_panics_and_keeps_what_it_was_given(
            user in proptest::option::of("[a-z]{1,8}"),
            host in "[a-z0-9.-]{0,20}",
            port in proptest::option::of(1u16..),
        ) {
            let text = format!(
                "{}{host}{}",
                user.as_ref().map(|u| format!("{u}@")).unwrap_or_default(),
                port.map(|p| format!(":{p}")).unwrap_or_default()
            );
            let a = authority(&text).unwrap();
            proptest::prop_assert_eq!(a, Authority { user, host, port });
        }

        #[test]
        fn authority_of_anything_never_panics(text in ".{0,60}") {
            let _ = authority(&text);
        }
    }
}
