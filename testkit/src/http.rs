//! A minimal HTTP/1.1 client over a Unix socket, enough for the Docker Engine API and RootlessKit's API.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long [`http_get_unix`] waits for the server before giving up.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

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

/// `GET /_ping` over TCP (`127.0.0.1:PORT`): the body on a 2xx answer, an error otherwise.
pub fn ping_tcp(addr: &str, timeout: Duration) -> io::Result<String> {
    let sock: std::net::SocketAddr = addr
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: {e}")))?;
    let mut stream = std::net::TcpStream::connect_timeout(&sock, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(rootless_doctor::parse::http::get_request("/_ping", addr).as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let response = rootless_doctor::parse::http::parse_response(&raw).map_err(invalid)?;
    let body = String::from_utf8_lossy(&response.body).into_owned();
    if (200..300).contains(&response.status) {
        Ok(body)
    } else {
        Err(io::Error::other(format!(
            "GET /_ping on {addr} answered {}: {body}",
            response.status
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
    // The doctor's own request writer and response parser: one HTTP/1.1 client for the product and its tests.
    stream.write_all(rootless_doctor::parse::http::get_request(path, "docker").as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let response = rootless_doctor::parse::http::parse_response(&raw).map_err(invalid)?;
    Ok((
        response.status,
        String::from_utf8_lossy(&response.body).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
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
