//! `rootless-doctor net` through the real binary over fixture hosts: the choice per distribution as packaged, the
//! known-bad pairs, what it says when nothing fits, and the usage errors. A fixture launches nothing, so every
//! trial reads "not tried" here; tests/net_live.rs runs the trials for real.
#![allow(clippy::disallowed_methods)]

use assert_cmd::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn net(fixture: &str, args: &[&str]) -> Out {
    let host_file = format!("tests/fixtures/{fixture}/host.toml");
    let o = Command::cargo_bin("rootless-doctor")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .args(["--host-file", &host_file, "net"])
        .args(args)
        .output()
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn json(fixture: &str, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = net(fixture, &a);
    assert!(o.stderr.is_empty(), "{fixture}: {}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap()
}

fn chosen(fixture: &str, args: &[&str]) -> String {
    json(fixture, args)["chosen"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn reasons(doc: &serde_json::Value, label: &str) -> Vec<String> {
    let c = doc["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            format!(
                "{} + {}",
                c["network"].as_str().unwrap(),
                c["port"].as_str().unwrap()
            ) == label
        })
        .unwrap_or_else(|| panic!("no candidate {label}"));
    c["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect()
}

/// The choice for `--source-ip` on each stock distribution, as its packages are.
#[test]
fn source_ip_per_distribution() {
    for (fixture, want) in [
        // RootlessKit 1.1.0: builtin hides the client, no pasta.
        ("debian-12", "slirp4netns + slirp4netns"),
        // RootlessKit 2.0.2 with passt 2025-05-03: pasta's implicit port driver keeps the client and is fastest.
        ("debian-13-unit-detach-netns", "pasta + implicit"),
        // Ubuntu's passt has no AppArmor profile while user namespaces are restricted (LP #2077158).
        ("ubuntu-24.04", "slirp4netns + slirp4netns"),
        ("ubuntu-22.04", "slirp4netns + slirp4netns"),
        ("arch", "pasta + implicit"),
        // The RPM distributions' versions are not read (no rpm database reader): slirp4netns's port driver keeps
        // the client whatever the version.
        ("fedora", "slirp4netns + slirp4netns"),
        ("rhel-8", "slirp4netns + slirp4netns"),
        ("rhel-9", "slirp4netns + slirp4netns"),
        ("opensuse-leap-15", "slirp4netns + slirp4netns"),
        ("opensuse-tumbleweed", "slirp4netns + slirp4netns"),
    ] {
        assert_eq!(chosen(fixture, &["--source-ip"]), want, "{fixture}");
    }
}

#[test]
fn debian_12_says_why_pasta_and_builtin_are_out_and_cites_the_sources() {
    let doc = json("debian-12", &["--source-ip"]);
    let pasta = reasons(&doc, "pasta + implicit");
    assert!(
        pasta
            .iter()
            .any(|r| r.starts_with("RootlessKit 1.1.0 has no --net=pasta (added in 2.0.0)")),
        "{pasta:?}"
    );
    assert!(
        pasta
            .iter()
            .any(|r| r == "pasta 2023_03_09 is older than 2023_12_04"),
        "{pasta:?}"
    );
    let builtin = reasons(&doc, "slirp4netns + builtin");
    assert_eq!(
        builtin,
        [
            "the builtin port driver shows containers 127.0.0.1 before RootlessKit 3.0.0 (this one is 1.1.0)"
        ]
    );
    assert_eq!(
        doc["settings"]["environment"],
        serde_json::json!([
            ["DOCKERD_ROOTLESS_ROOTLESSKIT_NET", "slirp4netns"],
            ["DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER", "slirp4netns"],
            ["DOCKERD_ROOTLESS_ROOTLESSKIT_MTU", "65520"]
        ])
    );
    // Every reason of every candidate names a public source.
    for c in doc["candidates"].as_array().unwrap() {
        for r in c["rejected"].as_array().unwrap() {
            if r["kind"] != "missing" || r["text"].as_str().unwrap().contains("is not installed") {
                assert!(r["source"].is_string() || r["kind"] == "missing", "{r}");
            }
        }
    }
}

#[test]
fn without_a_request_the_scripts_default_is_kept() {
    assert_eq!(chosen("debian-12", &[]), "slirp4netns + builtin");
    assert_eq!(
        chosen("debian-13-unit-detach-netns", &[]),
        "slirp4netns + builtin"
    );
}

#[test]
fn the_known_bad_pasta_release_falls_back_to_gvisor_tap_vsock() {
    let doc = json("arch-pasta-2026-05-07-rootlesskit-3.0.0", &[]);
    assert_eq!(doc["chosen"], "gvisor-tap-vsock + builtin");
    let pasta = reasons(&doc, "pasta + implicit");
    assert!(
        pasta[0].contains("Dual stack forward, but IPv6 not enabled"),
        "{pasta:?}"
    );
    let c = &doc["candidates"][0];
    assert!(
        c["caveats"].as_array().unwrap().iter().any(|r| r["source"] == "https://github.com/rootless-containers/rootlesskit/issues/592"),
        "{c}"
    );
}

#[test]
fn nothing_fits_exits_1_and_says_what_to_install() {
    let o = net("debian-12-only-old-pasta", &["--source-ip"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(
        o.stdout
            .contains("No combination meets the request on this host."),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("To make one possible: sudo apt-get install -y slirp4netns"),
        "{}",
        o.stdout
    );
}

#[test]
fn a_privileged_port_and_ipv6_show_what_they_need() {
    let doc = json("debian-12", &["--port", "80", "--ipv6"]);
    assert_eq!(doc["chosen"], "slirp4netns + builtin");
    let env = doc["settings"]["environment"].as_array().unwrap();
    assert!(
        env.contains(&serde_json::json!([
            "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS",
            "--ipv6"
        ])),
        "{env:?}"
    );
    let root: Vec<&str> = doc["settings"]["root_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert!(
        root.iter()
            .any(|c| c.contains("sysctl -w net.ipv4.ip_unprivileged_port_start=80")),
        "{root:?}"
    );
}

#[test]
fn usage_errors() {
    let o = net("debian-12", &["--write"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("net --write changes files: a fixture's sidecar is read-only"),
        "{}",
        o.stderr
    );
    let o = net("debian-12", &["--mtu", "70000"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("70000"), "{}", o.stderr);
    let o = net("debian-12", &["--format", "script"]);
    assert_eq!(o.code, 2);
}

#[test]
fn human_reports() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (fixture, args) in [
            ("debian-12", vec!["--source-ip"]),
            ("debian-13-unit-detach-netns", vec!["--source-ip"]),
            ("ubuntu-24.04", vec!["--source-ip"]),
            ("arch-pasta-2026-05-07-rootlesskit-3.0.0", vec![]),
        ] {
            let o = net(fixture, &args);
            insta::assert_snapshot!(format!("net-{fixture}.human"), o.stdout);
        }
    });
}

#[test]
fn bench_on_a_fixture_measures_nothing_and_says_why() {
    let o = net("debian-12", &["bench"]);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(
        o.stdout
            .contains("slirp4netns + builtin (MTU 65520)\n  not run: this host launches nothing"),
        "{}",
        o.stdout
    );
    // What cannot start is listed with the reasons `net` gives, without a launch.
    assert!(
        o.stdout
            .contains("pasta + implicit: RootlessKit 1.1.0 has no --net=pasta (added in 2.0.0)"),
        "{}",
        o.stdout
    );
    let doc = json("debian-12", &["bench"]);
    assert_eq!(doc["results"][0]["started"], false);
    assert_eq!(
        doc["results"][0]["error"],
        "not run: this host launches nothing"
    );
    assert!(doc["client_address"].is_null());
}

#[test]
fn bench_bounds_its_size_and_time() {
    for (args, word) in [
        (&["bench", "--mib", "0"][..], "--mib"),
        (&["bench", "--mib", "1025"][..], "--mib"),
        (&["bench", "--seconds", "4"][..], "--seconds"),
    ] {
        let o = net("debian-12", args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(word), "{args:?}: {}", o.stderr);
    }
}

#[test]
fn the_running_daemons_drivers_are_compared_with_the_choice() {
    let o = net("debian-12-daemon-override-not-restarted", &["--source-ip"]);
    assert!(
        o.stdout
            .contains("  running now  slirp4netns + builtin (RootlessKit 1.1.0, "),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("Chosen: slirp4netns + slirp4netns (port driver), MTU 65520\n  the running daemon uses slirp4netns + builtin: it switches once these settings are in place and it restarts"),
        "{}",
        o.stdout
    );
    // Without --source-ip the script's own preference is what runs.
    let o = net("debian-12-daemon-override-not-restarted", &[]);
    assert!(
        o.stdout.contains("  the running daemon already uses it"),
        "{}",
        o.stdout
    );
    let doc = json("debian-12-daemon-pasta-implicit", &[]);
    assert_eq!(doc["inventory"]["running"]["network"], "pasta");
    // RootlessKit's API names no port driver for pasta's own forwarding.
    assert_eq!(doc["inventory"]["running"]["port"], "implicit");
    assert_eq!(doc["inventory"]["running"]["rootlesskit_version"], "2.0.2");
    // No daemon, no line.
    let doc = json("debian-12", &[]);
    assert!(doc["inventory"]["running"].is_null(), "{doc}");
}
