//! HTTP/1.1 responses (RFC 9112), as the Docker Engine and RootlessKit APIs send them over a Unix socket.
//!
//! Only what a `GET` with `Connection: close` gets back: a status line, headers, and a body delimited by
//! `Content-Length`, `Transfer-Encoding: chunked`, or the end of the connection.

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The request line and headers of a `GET` that closes the connection after the response.
pub fn get_request(path: &str, host: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: rootless-doctor\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
}

/// The request line, headers and body of a JSON `POST` that closes the connection after the response.
pub fn post_json_request(path: &str, host: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: rootless-doctor\r\nAccept: application/json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Parses a whole response (everything read until the peer closed).
pub fn parse_response(bytes: &[u8]) -> Result<Response, String> {
    let head_end =
        find(bytes, b"\r\n\r\n").ok_or("no end of headers (\\r\\n\\r\\n) in the response")?;
    let head = std::str::from_utf8(&bytes[..head_end])
        .map_err(|_| "response headers are not UTF-8".to_owned())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("bad status code in {status_line:?}"));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| format!("bad status code in {status_line:?}"))?;
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("malformed header line {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let rest = &bytes[head_end + 4..];
    let response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let chunked = response.header("transfer-encoding").is_some_and(|v| {
        v.to_ascii_lowercase()
            .split(',')
            .any(|t| t.trim() == "chunked")
    });
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(len) = response.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("bad Content-Length {len:?}"))?;
        rest.get(..len)
            .ok_or_else(|| format!("body shorter than Content-Length ({} < {len})", rest.len()))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { body, ..response })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    super::scan::Finder::new(needle).find(hay)
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n").ok_or("chunk size line without \\r\\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end])
            .map_err(|_| "chunk size is not text".to_owned())?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("chunk shorter than its size")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size..).ok_or("chunk shorter than its size")?;
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("chunk not followed by \\r\\n")?;
    }
}

/// Encodes a body in chunks of `size` bytes (for tests and fixtures).
pub fn chunk(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(size.max(1)) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn docker_ping() {
        let raw = b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Tue, 24 Nov 2026 02:00:00 GMT\r\nContent-Length: 2\r\n\r\nOK";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"OK");
        assert_eq!(r.header("API-Version"), Some("1.41"));
    }

    #[test]
    fn chunked_json() {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        raw.extend(chunk(
            br#"{"ID":"x","SecurityOptions":["name=seccomp,profile=default","name=rootless"]}"#,
            7,
        ));
        let r = parse_response(&raw).unwrap();
        assert!(r.body_text().contains("name=rootless"));
    }

    #[test]
    fn errors_are_explained() {
        assert!(
            parse_response(b"garbage")
                .unwrap_err()
                .contains("no end of headers")
        );
        assert!(
            parse_response(b"SSH-2.0-OpenSSH\r\n\r\n")
                .unwrap_err()
                .contains("not an HTTP/1.x")
        );
        assert!(
            parse_response(b"HTTP/1.1 2x0 OK\r\n\r\n")
                .unwrap_err()
                .contains("bad status code")
        );
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nOK")
                .unwrap_err()
                .contains("shorter than Content-Length")
        );
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }

    // Cases the test harness's old parser covered, kept against this one.
    #[test]
    fn edge_cases() {
        let r = parse_response(b"HTTP/1.1 204\r\n\r\n").unwrap();
        assert_eq!((r.status, r.body.len()), (204, 0));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKjunk").unwrap();
        assert_eq!(r.body, b"OK");
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nhi\r\n0\r\nX-Trailer: t\r\n\r\n").unwrap();
        assert_eq!(r.body, b"hi");
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.body, b"hi", "chunked wins over Content-Length");
        let r =
            parse_response(b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\npage not found\n").unwrap();
        assert_eq!(
            (r.status, r.body_text().as_str()),
            (404, "page not found\n")
        );
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_response(&bytes);
        }

        #[test]
        fn bodies_round_trip(body in proptest::collection::vec(any::<u8>(), 0..400), size in 1usize..64, chunked in any::<bool>()) {
            let mut raw = b"HTTP/1.1 200 OK\r\nServer: t\r\n".to_vec();
            if chunked {
                raw.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                raw.extend(chunk(&body, size));
            } else {
                raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                raw.extend_from_slice(&body);
            }
            let r = parse_response(&raw).unwrap();
            prop_assert_eq!(r.status, 200);
            prop_assert_eq!(r.body, body);
        }
    }
}
