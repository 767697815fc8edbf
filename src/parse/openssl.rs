//! What `openssl s_client -brief -verify_return_error` printed (OpenSSL 1.1.1 and 3.x): whether the TLS handshake
//! with a `tcp://` Docker endpoint succeeded, and if not, which side refused and why.
//!
//! The client's own verification failure is the `verify error:num=N:TEXT` line (`X509_V_ERR_*`, e.g. 19
//! "self-signed certificate in certificate chain", 62 "hostname mismatch", 64 "IP address mismatch", 10
//! "certificate has expired"). A refusal by the server arrives as an alert, which OpenSSL names in the reason
//! field of its error line (`…:ssl3_read_bytes:tlsv13 alert certificate required:…:SSL alert number 116`).
//! Whatever came back over the connection is on stdout.

/// How an `s_client` run ended, as far as its output tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    /// The handshake completed and the peer answered: the bytes it sent (an HTTP response from a daemon).
    Answered(Vec<u8>),
    /// The handshake completed, then the peer closed or the run ended without sending anything.
    Silent,
    /// The client refused the server's certificate: OpenSSL's verify code and its text.
    Unverified { code: u32, text: String },
    /// The server ended the handshake with an alert: its name as OpenSSL prints it (`certificate required`,
    /// `bad certificate`, `unknown ca`, `handshake failure`, …).
    Alert(String),
    /// The peer does not speak TLS (`wrong version number`, `packet length too long`, …).
    NotTls(String),
    /// The client's key is protected by a passphrase (the run gave an empty one): `bad decrypt`.
    EncryptedKey,
    /// The client's own files could not be used (a CA file, a certificate or a key that is missing, unreadable
    /// or not matching): the first line that says so.
    LocalFiles(String),
    /// Anything else: the first error line (or the first line of output).
    Other(String),
}

/// The most of any one line kept in a verdict.
const LINE_MAX: usize = 200;

fn clip(s: &str) -> String {
    s.trim().chars().take(LINE_MAX).collect()
}

/// The reason field of an OpenSSL 1.1/3.x error line: `<hex>:error:<code>:<lib>:<func>:<reason>:<file>:<line>:…`.
fn reason(line: &str) -> Option<&str> {
    let rest = line.split_once(":error:")?.1;
    rest.split(':').nth(3).map(str::trim)
}

/// Reads `s_client`'s stdout and stderr. `verified`: the run checked the server's certificate
/// (`-verify_return_error`); without it, `verify error` lines are OpenSSL's remarks, not its refusal. Never fails:
/// unknown output is [`Handshake::Other`].
pub fn s_client(stdout: &[u8], stderr: &str, verified: bool) -> Handshake {
    if !stdout.is_empty() {
        return Handshake::Answered(stdout.to_vec());
    }
    let lines: Vec<&str> = stderr.lines().collect();
    for line in lines.iter().filter(|_| verified) {
        if let Some(rest) = line.trim().strip_prefix("verify error:num=") {
            let (code, text) = rest.split_once(':').unwrap_or((rest, ""));
            if let Ok(code) = code.parse::<u32>() {
                return Handshake::Unverified {
                    code,
                    text: clip(text),
                };
            }
        }
    }
    let reasons: Vec<&str> = lines.iter().filter_map(|l| reason(l)).collect();
    for r in &reasons {
        if let Some((_, alert)) = r.split_once(" alert ") {
            return Handshake::Alert(clip(alert));
        }
    }
    const NOT_TLS: &[&str] = &[
        "wrong version number",
        "packet length too long",
        "record layer failure",
        "http request",
        "unknown protocol",
    ];
    if let Some(r) = reasons
        .iter()
        .find(|r| NOT_TLS.iter().any(|n| r.eq_ignore_ascii_case(n)))
    {
        return Handshake::NotTls(clip(r));
    }
    if lines
        .iter()
        .any(|l| l.contains("bad decrypt") || l.contains("empty password"))
    {
        return Handshake::EncryptedKey;
    }
    // The reason of an error line names the fault better than the line that announces it.
    const LOCAL_REASONS: &[&str] = &[
        "key values mismatch",
        "no certificate or crl found",
        "no start line",
        "No such file or directory",
        "Permission denied",
    ];
    let announces_files = lines.iter().any(|l| {
        l.starts_with("Could not")
            || l.starts_with("unable to load")
            || l.starts_with("Error opening")
    }) || lines.iter().any(|l| l.contains("X509_load_cert"))
        || reasons.contains(&"key values mismatch");
    if announces_files
        && let Some(r) = reasons
            .iter()
            .find(|r| LOCAL_REASONS.iter().any(|l| r.eq_ignore_ascii_case(l)))
    {
        let line = lines
            .iter()
            .find(|l| {
                l.starts_with("Could not")
                    || l.starts_with("unable to load")
                    || l.starts_with("Error opening")
            })
            .map_or(String::new(), |l| format!("{}: ", l.trim()));
        return Handshake::LocalFiles(clip(&format!("{line}{r}")));
    }
    const LOCAL: &[&str] = &[
        "Could not open file",
        "Could not read",
        "unable to load",
        "Unable to load",
        "error setting private key",
        "error setting certificate",
        "BIO_new_file",
        "key values mismatch",
        "Error opening",
    ];
    if let Some(line) = lines.iter().find(|l| LOCAL.iter().any(|n| l.contains(n))) {
        return Handshake::LocalFiles(clip(line));
    }
    if lines.iter().any(|l| l.trim() == "CONNECTION ESTABLISHED") {
        return Handshake::Silent;
    }
    let first = lines
        .iter()
        .find(|l| l.contains(":error:"))
        .or_else(|| {
            lines
                .iter()
                .find(|l| !l.trim().is_empty() && !l.contains("SSL_get_servername"))
        })
        .map_or_else(String::new, |l| clip(l));
    Handshake::Other(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Real output of OpenSSL 3.0.19 (Debian 12) against `s_server -Verify 1`.
    const ESTABLISHED: &str = "Can't use SSL_get_servername\nCONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\nPeer certificate: CN = srv\nHash used: SHA256\nSignature type: ECDSA\nVerification: OK\nServer Temp Key: X25519, 253 bits\n";

    #[test]
    fn a_daemon_that_answers() {
        assert_eq!(
            s_client(b"HTTP/1.1 200 OK\r\n\r\nOK", ESTABLISHED, true),
            Handshake::Answered(b"HTTP/1.1 200 OK\r\n\r\nOK".to_vec())
        );
        assert_eq!(s_client(b"", ESTABLISHED, true), Handshake::Silent);
    }

    #[test]
    fn the_client_refuses_the_certificate() {
        let err = "Can't use SSL_get_servername\ndepth=1 CN = ca\nverify error:num=19:self-signed certificate in certificate chain\n40D7D2CD397F0000:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n";
        assert_eq!(
            s_client(b"", err, true),
            Handshake::Unverified {
                code: 19,
                text: "self-signed certificate in certificate chain".into()
            }
        );
        // Without verification, OpenSSL's remarks on the chain are no refusal.
        let err = "depth=1 CN = ca\nverify error:num=19:self-signed certificate in certificate chain\nverify return:1\n";
        assert_eq!(
            s_client(b"HTTP/1.1 200 OK", err, false),
            Handshake::Answered(b"HTTP/1.1 200 OK".to_vec())
        );
        assert_eq!(
            s_client(b"", err, false),
            Handshake::Other("depth=1 CN = ca".into())
        );
        let err = "depth=0 CN = srv\nverify error:num=64:IP address mismatch\n4007:error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n";
        assert!(matches!(
            s_client(b"", err, true),
            Handshake::Unverified { code: 64, .. }
        ));
    }

    #[test]
    fn the_server_refuses_the_client() {
        let err = format!(
            "{ESTABLISHED}40D70A399C7F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n"
        );
        assert_eq!(
            s_client(b"", &err, true),
            Handshake::Alert("certificate required".into())
        );
        let err = "40D7:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../ssl/record/rec_layer_s3.c:1593:SSL alert number 42\n";
        assert_eq!(
            s_client(b"", err, true),
            Handshake::Alert("bad certificate".into())
        );
    }

    #[test]
    fn a_peer_without_tls_and_the_clients_own_files() {
        let err = "40F7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:354:\n";
        assert_eq!(
            s_client(b"", err, true),
            Handshake::NotTls("wrong version number".into())
        );
        let err = "Could not open file or uri for loading client certificate private key from nokey\n4047:error:16000069:STORE routines:ossl_store_get0_loader_int:unregistered scheme:../crypto/store/store_register.c:237:scheme=file\n";
        assert!(
            matches!(s_client(b"", err, true), Handshake::LocalFiles(l) if l.contains("private key from nokey"))
        );
        let err = "4057:error:80000002:system library:BIO_new_file:No such file or directory:../crypto/bio/bss_file.c:67:calling fopen(nope.pem, r)\n";
        assert!(matches!(s_client(b"", err, true), Handshake::LocalFiles(_)));
        let err = "4047:error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:114:calling connect()\nconnect:errno=111\n";
        assert!(
            matches!(s_client(b"", err, true), Handshake::Other(l) if l.contains("Connection refused"))
        );
        assert_eq!(s_client(b"", "", true), Handshake::Other(String::new()));
    }

    #[test]
    fn openssl_1_1_1_lines() {
        // OpenSSL 1.1.1 (Debian 11, Ubuntu 20.04): decimal thread ids, the same reason fields.
        let err = "140395853772608:error:14094412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../ssl/record/rec_layer_s3.c:1544:SSL alert number 42\n";
        assert_eq!(
            s_client(b"", err, true),
            Handshake::Alert("bad certificate".into())
        );
        let err = "depth=1 CN = ca\nverify error:num=19:self signed certificate in certificate chain\n140:error:1416F086:SSL routines:tls_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1915:\n";
        assert!(matches!(
            s_client(b"", err, true),
            Handshake::Unverified { code: 19, .. }
        ));
        let err = "140:error:1408F10B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:332:\n";
        assert_eq!(
            s_client(b"", err, true),
            Handshake::NotTls("wrong version number".into())
        );
        let err = "Error opening client certificate private key file /k.pem\n140:error:02001002:system library:fopen:No such file or directory:../crypto/bio/bss_file.c:69:fopen('/k.pem','r')\n";
        assert!(
            matches!(s_client(b"", err, true), Handshake::LocalFiles(l) if l.contains("No such file")),
            "{:?}",
            s_client(b"", err, true)
        );
    }

    #[test]
    fn the_clients_files_named_by_their_fault() {
        // A key that is not the certificate's: the reason, not the announcement alone.
        let err = "error setting private key\n40B7:error:05800074:x509 certificate routines:X509_check_private_key:key values mismatch:../crypto/x509/x509_cmp.c:403:\n";
        assert!(
            matches!(s_client(b"", err, true), Handshake::LocalFiles(l) if l.contains("key values mismatch"))
        );
        // A CA file that holds no certificate (OpenSSL 3.0.19).
        let err = "40F7:error:05880009:x509 certificate routines:X509_load_cert_crl_file_ex:no certificate or crl found:../crypto/x509/by_file.c:251:\n";
        assert!(
            matches!(s_client(b"", err, true), Handshake::LocalFiles(l) if l.contains("no certificate or crl found"))
        );
        // A key protected by a passphrase, given an empty one (`-pass pass:`; OpenSSL 3.0.19).
        let err = "Could not read client certificate private key from k.pem\n4097:error:1608010C:STORE routines:ossl_store_handle_load_result:unsupported:../crypto/store/store_result.c:149:\n4097:error:1C800064:Provider routines:ossl_cipher_unpadblock:bad decrypt:../providers/implementations/ciphers/ciphercommon_block.c:124:\n";
        assert_eq!(s_client(b"", err, true), Handshake::EncryptedKey);
    }

    proptest! {
        #[test]
        fn never_panics_and_keeps_lines_short(out in proptest::collection::vec(any::<u8>(), 0..64), err in "(?s).{0,600}") {
            match s_client(&out, &err, true) {
                Handshake::Answered(b) => prop_assert_eq!(b, out),
                Handshake::Unverified { text, .. } => prop_assert!(text.chars().count() <= LINE_MAX),
                Handshake::Alert(s) | Handshake::NotTls(s) | Handshake::LocalFiles(s) | Handshake::Other(s) => {
                    prop_assert!(s.chars().count() <= LINE_MAX);
                }
                Handshake::Silent | Handshake::EncryptedKey => prop_assert!(out.is_empty()),
            }
        }

        #[test]
        fn any_verify_line_is_read(code in 0u32..100_000, text in "[a-zA-Z ]{0,40}", noise in "[^\n]{0,80}") {
            let err = format!("{noise}\nverify error:num={code}:{text}\n");
            let is_unverified = matches!(s_client(b"", &err, true), Handshake::Unverified { code: c, .. } if c == code);
            prop_assert!(is_unverified || noise.trim_start().starts_with("verify error:num="));
        }
    }
}
