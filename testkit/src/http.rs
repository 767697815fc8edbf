//! A minimal HTTP/1.1 client over a Unix socket, enough for the Docker Engine API and RootlessKit's API.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long [`http_get_unix`] waits for the server before giving up.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /_ping` on a Docker socket. Returns the body (`OK` from a healthy dockerd) on a 2xx answer, and an error
/// otherwise (connection refused, missing socket, timeout, non-2xx status).
pub fn ping_unix(socket: &Path, timeout: Duration) -> io::Result<String> {
    let (status, body) = get_with_timeout(socket, "/_ping", timeout)?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(io::Error::other(format!(
            "GET /_ping on {} answered {status}: {body}",
            socket.display()
        )))
    }
}

/// `GET <path>` on a Unix socket (`Host: docker`, `Connection: close`). Returns the status code and the body,
/// decoded from `Content-Length`, `Transfer-Encoding: chunked`, or read to EOF.
pub fn http_get_unix(socket: &Path, path: &str) -> io::Result<(u16, String)> {
    get_with_timeout(socket, path, DEFAULT_HTTP_TIMEOUT)
}

fn get_with_timeout(socket: &Path, path: &str, timeout: Duration) -> io::Result<(u16, String)> {
    if !path.starts_with('/')
        || path
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a request target: {path:?}"),
        ));
    }
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: rd-testkit\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let response = parse_response(&raw)?;
    Ok((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}

/// A parsed HTTP/1.x response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased, values trimmed, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses a complete HTTP/1.x response (everything the server sent before closing the connection).
///
/// Body framing: `Transfer-Encoding: chunked` wins over `Content-Length`; with neither, the body is the rest of the
/// bytes. A body shorter than its `Content-Length` or a truncated chunked body is an error.
pub fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let head_end =
        find(raw, b"\r\n\r\n").ok_or_else(|| invalid("HTTP response without end of headers"))?;
    let head =
        std::str::from_utf8(&raw[..head_end]).map_err(|_| invalid("HTTP headers are not UTF-8"))?;
    let rest = &raw[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!(
            "not an HTTP/1.x status line: {status_line:?}"
        )));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or_else(|| invalid(format!("bad status line: {status_line:?}")))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line: {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response.header("transfer-encoding").is_some_and(|te| {
        te.split(',')
            .any(|c| c.trim().eq_ignore_ascii_case("chunked"))
    });
    response.body = if chunked {
        decode_chunked(rest)?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length: {len:?}")))?;
        if rest.len() < len {
            return Err(invalid(format!(
                "body truncated: Content-Length {len}, got {} bytes",
                rest.len()
            )));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(response)
}

/// Decodes a chunked body (RFC 9112 §7.1): hex size lines with optional extensions, then data, until a 0 chunk;
/// trailers are ignored.
pub fn decode_chunked(mut input: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end =
            find(input, b"\r\n").ok_or_else(|| invalid("chunked body truncated in a size line"))?;
        let line = std::str::from_utf8(&input[..line_end])
            .map_err(|_| invalid("chunk size line is not UTF-8"))?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| invalid(format!("bad chunk size: {line:?}")))?;
        input = &input[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if input.len() < size + 2 {
            return Err(invalid("chunked body truncated in a chunk"));
        }
        out.extend_from_slice(&input[..size]);
        if &input[size..size + 2] != b"\r\n" {
            return Err(invalid("chunk data not followed by CRLF"));
        }
        input = &input[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_body() {
        let raw = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOK";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"OK");
        assert_eq!(r.header("API-VERSION"), Some("1.41"));
    }

    #[test]
    fn content_length_ignores_trailing_bytes() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKjunk").unwrap();
        assert_eq!(r.body, b"OK");
    }

    #[test]
    fn truncated_content_length_is_an_error() {
        let e = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn chunked_body_with_extension_and_trailer() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\nA\r\n:\"0123456\"\r\n1\r\n}\r\n0\r\nX-Trailer: y\r\n\r\n";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.body, b"{\"a\":\"0123456\"}");
    }

    #[test]
    fn chunked_wins_over_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().body, b"hi");
    }

    #[test]
    fn truncated_chunked_is_an_error() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort";
        assert!(parse_response(raw).is_err());
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n";
        assert!(parse_response(raw).is_err());
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(parse_response(raw).is_err());
    }

    #[test]
    fn no_length_reads_to_eof() {
        let r =
            parse_response(b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\npage not found\n").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.body, b"page not found\n");
    }

    #[test]
    fn empty_body_and_status_without_reason() {
        let r = parse_response(b"HTTP/1.1 204\r\n\r\n").unwrap();
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
        assert!(r.headers.is_empty());
    }

    #[test]
    fn garbage_is_rejected() {
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 abc OK\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").is_err());
    }

    #[test]
    fn ping_against_a_fake_server() {
        use std::os::unix::net::UnixListener;
        let dir = std::env::temp_dir().join(format!("rd-testkit-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("fake.sock");
        let _ = std::fs::remove_file(&sock);
        let listener = UnixListener::bind(&sock).unwrap();
        let server = std::thread::spawn(move || {
            for reply in [
                &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"[..],
                &b"HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nboom\r\n0\r\n\r\n"[..],
            ] {
                let (mut conn, _) = listener.accept().unwrap();
                let mut req = Vec::new();
                let mut buf = [0u8; 512];
                while find(&req, b"\r\n\r\n").is_none() {
                    let n = conn.read(&mut buf).unwrap();
                    assert!(n > 0);
                    req.extend_from_slice(&buf[..n]);
                }
                let req = String::from_utf8(req).unwrap();
                assert!(req.starts_with("GET /_ping HTTP/1.1\r\n"), "{req}");
                assert!(req.contains("\r\nHost: docker\r\n"), "{req}");
                assert!(req.contains("\r\nConnection: close\r\n"), "{req}");
                conn.write_all(reply).unwrap();
            }
        });
        assert_eq!(ping_unix(&sock, Duration::from_secs(5)).unwrap(), "OK");
        let err = ping_unix(&sock, Duration::from_secs(5)).unwrap_err();
        assert!(
            err.to_string().contains("500") && err.to_string().contains("boom"),
            "{err}"
        );
        server.join().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(ping_unix(&sock, Duration::from_secs(1)).is_err());
    }
}
