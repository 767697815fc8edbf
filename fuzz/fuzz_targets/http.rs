//! HTTP/1.1 responses from the Docker and RootlessKit APIs: Content-Length, chunked, and read-to-close bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootless_doctor::parse::http;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = http::parse_response(data) {
        let _ = (
            response.header("content-type"),
            response.header("api-version"),
            response.body_text(),
        );
    }
    // Any body, chunked by `chunk`, comes back whole.
    let size = data.first().map_or(1, |&b| usize::from(b));
    let mut encoded = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    encoded.extend_from_slice(&http::chunk(data, size));
    let decoded =
        http::parse_response(&encoded).expect("a chunked body made by http::chunk parses");
    assert_eq!(decoded.body, data);
});
