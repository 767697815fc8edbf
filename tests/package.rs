//! Live tier: the packages `cargo xtask dist` builds, installed as users install them.
//!
//! The `.deb` goes in with dpkg; the installed binary runs, every manual page it ships renders with `man -l`
//! without a warning and is found by `man` by name, and bash-completion's own loader completes `rootless-doctor ex`
//! to `explain` from the installed script; dpkg then removes every file again. The `.rpm` is checked with rpm
//! itself: its digests, its file list and requirements, and an install into an empty root whose binary then runs.
//!
//! The live tier hands over the packages in ROOTLESS_DOCTOR_DEB and ROOTLESS_DOCTOR_RPM; by hand, after `cargo
//! xtask dist`, the tests find them in target/dist/.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[allow(dead_code)]
#[path = "support/live.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::Need;

/// The package file: `var` when set, else the one `ext` file in target/dist/.
fn package(var: &str, ext: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dist");
    let found: Vec<PathBuf> = std::fs::read_dir(&dist)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    match found.as_slice() {
        [one] => one.clone(),
        // A path that does not exist, which Need::File reports (skip outside the tier, failure inside it).
        _ => dist.join(format!(
            "no single .{ext} here: run `cargo xtask dist`, or set {var}"
        )),
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env("PATH", support::PATH)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

#[track_caller]
fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes the package on the way out, also when an assertion failed.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = run("dpkg", &["--purge", "rootless-doctor"]);
    }
}

const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

#[test]
fn the_deb_installs_and_its_binary_manual_pages_and_bash_completion_work() {
    let deb = package("ROOTLESS_DOCTOR_DEB", "deb");
    let Some(_live) = support::start(&[
        Need::Root,
        Need::User(testkit::live::ok_user()),
        Need::Program("dpkg"),
        Need::Program("man"),
        Need::File(PathBuf::from(BASH_COMPLETION)),
        Need::File(deb.clone()),
    ]) else {
        return;
    };
    let deb = deb.to_str().expect("a UTF-8 path");
    // A rootless-doctor installed on this host before the test is not the test's to replace or remove.
    let before = run(
        "dpkg-query",
        &["--show", "--showformat", "${Status}", "rootless-doctor"],
    );
    assert!(
        !String::from_utf8_lossy(&before.stdout).contains("installed"),
        "a rootless-doctor package is already installed here; the test would replace and then purge it"
    );
    // Before installing: a half-done install (unpacked, not configured) is purged too.
    let _installed = Installed;
    ok("dpkg", &["--install", deb]);

    // The installed binary, as root and for a test user.
    let version = ok("/usr/bin/rootless-doctor", &["--version"]);
    assert_eq!(
        version.trim(),
        format!("rootless-doctor {}", env!("CARGO_PKG_VERSION"))
    );
    let user = testkit::live::ok_user();
    let report = run(
        "/usr/bin/rootless-doctor",
        &["preflight", "--user", &user, "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&report.stdout)
        .unwrap_or_else(|e| panic!("the installed preflight's JSON: {e}\n{report:?}"));
    assert_eq!(doc["host"]["user"]["name"], user.as_str(), "{doc:#}");
    assert!(
        doc["findings"].as_array().is_some_and(|f| f.len() > 20),
        "{doc:#}"
    );

    // Every page the package ships: rendered with `man -l` without a warning, and found by name.
    let files = ok("dpkg", &["--listfiles", "rootless-doctor"]);
    let pages: Vec<&str> = files
        .lines()
        .filter(|l| l.starts_with("/usr/share/man/man1/") && l.ends_with(".1.gz"))
        .collect();
    let listed = ok("/usr/bin/rootless-doctor", &["man", "--list"]);
    assert_eq!(
        pages.len(),
        listed.lines().count(),
        "{pages:?} against\n{listed}"
    );
    for page in &pages {
        let shown = Command::new("man")
            .args(["--warnings", "-E", "UTF-8", "-l", page])
            .env("MANWIDTH", "80")
            .output()
            .expect("run man");
        let stderr = String::from_utf8_lossy(&shown.stderr);
        assert!(
            shown.status.success() && stderr.is_empty(),
            "{page}: {stderr}"
        );
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains("SYNOPSIS"),
            "{page}"
        );
    }
    let found = ok("man", &["-w", "rootless-doctor-preflight"]);
    assert_eq!(
        found.trim(),
        "/usr/share/man/man1/rootless-doctor-preflight.1.gz"
    );
    for doc in ["README.md", "LICENSE-MIT", "LICENSE-APACHE", "copyright"] {
        let path = format!("/usr/share/doc/rootless-doctor/{doc}");
        assert!(
            files.lines().any(|l| l == path),
            "{path} not in the package"
        );
    }

    // bash-completion's loader finds the installed script by the command's name, as an interactive shell does.
    let program = r#"source /usr/share/bash-completion/bash_completion
__load_completion rootless-doctor || exit 3
COMP_WORDS=(rootless-doctor ex); COMP_CWORD=1; COMP_LINE="rootless-doctor ex"; COMP_POINT=${#COMP_LINE}
fn=$(complete -p rootless-doctor | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
"$fn" rootless-doctor ex rootless-doctor
printf '%s\n' "${COMPREPLY[@]}""#;
    let offered = ok("bash", &["--norc", "--noprofile", "-c", program]);
    assert_eq!(offered.split_whitespace().collect::<Vec<_>>(), ["explain"]);

    // Removal takes every file with it.
    drop(_installed);
    for gone in [
        "/usr/bin/rootless-doctor",
        "/usr/share/bash-completion/completions/rootless-doctor",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} left after dpkg --purge");
    }
}

#[test]
fn the_rpm_holds_the_same_files_and_installs_into_an_empty_root() {
    let rpm = package("ROOTLESS_DOCTOR_RPM", "rpm");
    let Some(_live) = support::start(&[Need::Root, Need::Program("rpm"), Need::File(rpm.clone())])
    else {
        return;
    };
    let rpm = rpm.to_str().expect("a UTF-8 path");
    // Header and payload digests (the package is not signed).
    let checked = ok("rpm", &["--checksig", "--nosignature", rpm]);
    assert!(checked.contains("digests OK"), "{checked}");
    let info = ok(
        "rpm",
        &[
            "-qp",
            "--queryformat",
            "%{NAME} %{VERSION} %{LICENSE} %{ARCH}\n",
            rpm,
        ],
    );
    assert_eq!(
        info.trim(),
        format!(
            "rootless-doctor {} MIT OR Apache-2.0 {}",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::ARCH
        )
    );
    let files = ok("rpm", &["-qlp", rpm]);
    for want in [
        "/usr/bin/rootless-doctor",
        "/usr/share/man/man1/rootless-doctor.1.gz",
        "/usr/share/man/man1/rootless-doctor-preflight.1.gz",
        "/usr/share/bash-completion/completions/rootless-doctor",
        "/usr/share/zsh/site-functions/_rootless-doctor",
        "/usr/share/fish/vendor_completions.d/rootless-doctor.fish",
        "/usr/share/licenses/rootless-doctor/LICENSE-MIT",
        "/usr/share/licenses/rootless-doctor/LICENSE-APACHE",
        "/usr/share/doc/rootless-doctor/README.md",
    ] {
        assert!(files.lines().any(|l| l == want), "{want} not in:\n{files}");
    }
    let requires = ok("rpm", &["-qp", "--requires", rpm]);
    assert!(requires.contains("libc.so.6"), "{requires}");

    // Installed into an empty root with its own database (this Debian host's rpm knows no libc package, hence
    // --nodeps), the binary is where the package says and runs.
    let root = tempfile::tempdir().expect("a scratch root");
    let root_arg = root.path().to_str().unwrap();
    ok("rpm", &["--root", root_arg, "--initdb"]);
    ok(
        "rpm",
        &[
            "--root",
            root_arg,
            "--install",
            "--nodeps",
            "--nosignature",
            rpm,
        ],
    );
    let installed = ok("rpm", &["--root", root_arg, "-q", "rootless-doctor"]);
    assert!(installed.starts_with("rootless-doctor-"), "{installed}");
    let version = ok(
        root.path()
            .join("usr/bin/rootless-doctor")
            .to_str()
            .unwrap(),
        &["--version"],
    );
    assert_eq!(
        version.trim(),
        format!("rootless-doctor {}", env!("CARGO_PKG_VERSION"))
    );
}
