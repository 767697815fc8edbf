//! Fixture hosts run through the real binary: `tests/fixtures/<scenario>/{root/, host.toml, expect.toml}`.
//!
//! Most fixtures are overlays: `host.toml` names a `base` fixture and holds only what differs (the rules are in
//! `src/host/sidecar.rs`). Each scenario asserts its exit code and the statuses `expect.toml` names, which must
//! be every finding that is not `pass` (and only findings the run has), then snapshots the JSON and the human
//! report (tests/snapshots/). Adding a scenario means adding a directory and one line in `scenarios!`;
//! `every_fixture_directory_has_a_test` keeps the two in step.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use serde::Deserialize;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// `preflight` (the default) or `check` (scenarios with a running daemon).
    #[serde(default = "preflight")]
    command: String,
    /// Extra arguments after the command (`--path /…` for `volumes.path`).
    #[serde(default)]
    args: Vec<String>,
    exit: i32,
    #[serde(default)]
    status: BTreeMap<String, String>,
}

impl Expect {
    /// The command line the scenario runs: the command, then its extra arguments.
    fn argv(&self) -> Vec<&str> {
        std::iter::once(self.command.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect()
    }
}

fn preflight() -> String {
    "preflight".to_owned()
}

/// The user a scenario's run names with `--user` (its capture and fix plan judge the same one).
fn user_of(scenario: &str) -> Option<String> {
    let e = expect_of(scenario);
    let i = e.args.iter().position(|a| a == "--user")?;
    e.args.get(i + 1).cloned()
}

fn expect_of(scenario: &str) -> Expect {
    toml::from_str(&std::fs::read_to_string(format!("{FIXTURES}/{scenario}/expect.toml")).unwrap())
        .unwrap()
}

struct Run {
    code: i32,
    stdout: String,
}

fn run(scenario: &str, args: &[&str]) -> Run {
    let host_file = format!("tests/fixtures/{scenario}/host.toml");
    let out = Command::cargo_bin("rootless-doctor")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .args(["--host-file", &host_file])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{scenario}: stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
    }
}

fn statuses(json: &str) -> BTreeMap<String, String> {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(doc["schema_version"], 1);
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[track_caller]
fn check(scenario: &str) {
    let expect = expect_of(scenario);
    let argv = expect.argv();
    let json = run(scenario, &[argv.as_slice(), &["--format", "json"]].concat());
    assert_eq!(
        json.code, expect.exit,
        "{scenario}: exit code\n{}",
        json.stdout
    );
    let got = statuses(&json.stdout);
    for (id, want) in &expect.status {
        assert!(
            got.contains_key(id),
            "{scenario}: expect.toml lists {id}, which the run does not report\n{}",
            json.stdout
        );
        assert_eq!(got.get(id), Some(want), "{scenario}: {id}\n{}", json.stdout);
    }
    let unlisted: Vec<String> = got
        .iter()
        .filter(|(id, status)| *status != "pass" && !expect.status.contains_key(*id))
        .map(|(id, status)| format!("\"{id}\" = \"{status}\""))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{scenario}: findings that are not pass must be listed in expect.toml:\n{}",
        unlisted.join("\n")
    );
    // A failing finding always says how to fix it.
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    for f in doc["findings"].as_array().unwrap() {
        if f["status"] == "fail" || f["status"] == "warn" {
            assert!(
                f["remediation"]["text"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "{scenario}: {} has no fix",
                f["id"]
            );
        }
        assert!(!f["summary"].as_str().unwrap().is_empty());
    }
    capture_round_trip(scenario);
    let human = run(scenario, &argv);
    assert_eq!(human.code, expect.exit, "{scenario}: human exit code");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    // The plan `fix` makes of the same findings, in its three forms: what `--apply` would do.
    let plan = fix_plan(scenario, &doc);
    settings.bind(|| {
        insta::assert_snapshot!(format!("{scenario}.json"), json.stdout);
        insta::assert_snapshot!(format!("{scenario}.human"), human.stdout);
        insta::assert_snapshot!(format!("{scenario}.fix"), plan);
    });
}

/// `capture` of the fixture, replayed: `check` on the capture finds what `check` found on the fixture, finding for
/// finding (summary, evidence, fix), the tree's own path aside.
fn capture_round_trip(scenario: &str) {
    let dir = std::env::temp_dir().join(format!("rd-capture-{scenario}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let user = user_of(scenario);
    let with_user = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        if let Some(u) = &user {
            v.extend(["--user".to_owned(), u.clone()]);
        }
        v
    };
    let argv = with_user(&["capture", "--out", dir.to_str().unwrap()]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let captured = run(scenario, &argv);
    assert_eq!(captured.code, 0, "{scenario}: capture\n{}", captured.stdout);
    assert!(
        captured
            .stdout
            .contains("replay: rootless-doctor --host-file")
    );
    for file in ["host.toml", "MANIFEST.md", "findings.json"] {
        assert!(
            dir.join(file).is_file(),
            "{scenario}: capture wrote no {file}"
        );
    }
    // And an independent run of `check` on the fixture against a replay of the capture.
    let argv = with_user(&["check", "--format", "json"]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let live: serde_json::Value = serde_json::from_str(&run(scenario, &argv).stdout).unwrap();
    let replay = testkit::capture::replay(
        &assert_cmd::cargo::cargo_bin("rootless-doctor"),
        &dir,
        user.as_deref(),
    )
    .unwrap_or_else(|e| panic!("{scenario}: {e}"));
    let differing = testkit::capture::differences(&live, &replay);
    assert!(
        differing.is_empty(),
        "{scenario}: the replay of its capture differs:\n{}",
        differing.join("\n\n")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `fix` as a person, a script and JSON reads it; the script must pass `sh -n` and shellcheck, and the JSON plan
/// holds exactly the steps of the findings that are not a pass (and not left to the person).
fn fix_plan(scenario: &str, findings: &serde_json::Value) -> String {
    let user = user_of(scenario);
    let user: Vec<&str> = user.iter().flat_map(|u| ["--user", u.as_str()]).collect();
    let human = run(scenario, &[&["fix"][..], &user].concat());
    let script = run(
        scenario,
        &[&["fix", "--format", "script"][..], &user].concat(),
    );
    let json = run(
        scenario,
        &[&["fix", "--format", "json"][..], &user].concat(),
    );
    for r in [&human, &script, &json] {
        assert_eq!(r.code, 0, "{scenario}: fix is a dry run and exits 0");
    }
    lint_script(scenario, &script.stdout);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let planned: Vec<&serde_json::Value> = ["root", "user"]
        .iter()
        .flat_map(|part| plan[part].as_array().unwrap())
        .flat_map(|item| item["steps"].as_array().unwrap())
        .collect();
    for f in findings["findings"].as_array().unwrap() {
        let r = &f["remediation"];
        if matches!(f["status"].as_str(), Some("pass" | "skip" | "info"))
            || r.is_null()
            || !r["by_hand"].is_null()
        {
            continue;
        }
        for step in r["steps"].as_array().unwrap() {
            // `fix` skips the checks that run programs (the trial launch, getsubids): it spawns nothing to plan.
            if f["id"] == "launch.trial" || f["id"] == "subid.nss" {
                continue;
            }
            assert!(
                planned.contains(&step),
                "{scenario}: {}'s step {} is not in the plan",
                f["id"],
                step["command"]
            );
        }
    }
    format!(
        "--- fix ---\n{}\n--- fix --format script ---\n{}\n--- fix --format json ---\n{}",
        human.stdout, script.stdout, json.stdout
    )
}

/// `sh -n` and shellcheck over a `fix --format script`; a machine without shellcheck fails the test (`cargo xtask
/// setup` installs it).
fn lint_script(scenario: &str, script: &str) {
    use std::io::Write;
    for argv in [&["sh", "-n"][..], &["shellcheck", "--shell=sh", "-"][..]] {
        let mut child = std::process::Command::new(argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{scenario}: {}: {e} (`cargo xtask setup` installs shellcheck)",
                    argv[0]
                )
            });
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{scenario}: `{}` rejects the fix script:\n{}{}\n{script}",
            argv.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// One test per fixture directory, and `SCENARIOS`, the list of them all, from a single table.
macro_rules! scenarios {
    ($($name:ident => $dir:literal,)*) => {
        const SCENARIOS: &[&str] = &[$($dir),*];
        $(
            #[test]
            fn $name() {
                check($dir);
            }
        )*
    };
}

scenarios! {
    almalinux_10 => "almalinux-10",
    arch => "arch",
    arch_pasta_2026_05_07_rootlesskit_3_0_0 => "arch-pasta-2026-05-07-rootlesskit-3.0.0",
    arch_ping_and_ports => "arch-ping-and-ports",
    arch_subgid_parse_errors => "arch-subgid-parse-errors",
    debian_11 => "debian-11",
    debian_11_btrfs_home => "debian-11-btrfs-home",
    debian_11_userns_clone_0 => "debian-11-userns-clone-0",
    debian_12 => "debian-12",
    debian_12_accounts => "debian-12-accounts",
    debian_12_apparmor_confined_rootlesskit => "debian-12-apparmor-confined-rootlesskit",
    debian_12_apparmor_unconfined_rootlesskit => "debian-12-apparmor-unconfined-rootlesskit",
    debian_12_cgroup_v1 => "debian-12-cgroup-v1",
    debian_12_data_root_parent_root_owned => "debian-12-data-root-parent-root-owned",
    debian_12_data_root_root_entry => "debian-12-data-root-root-entry",
    debian_12_data_root_root_owned => "debian-12-data-root-root-owned",
    debian_12_data_root_yours => "debian-12-data-root-yours",
    debian_12_daemon => "debian-12-daemon",
    debian_12_daemon_cadvisor => "debian-12-daemon-cadvisor",
    debian_12_daemon_client_falls_back => "debian-12-daemon-client-falls-back",
    debian_12_daemon_context_elsewhere => "debian-12-daemon-context-elsewhere",
    debian_12_daemon_context_missing => "debian-12-daemon-context-missing",
    debian_12_daemon_dns_in_daemon_json => "debian-12-daemon-dns-in-daemon-json",
    debian_12_daemon_dnsmasq => "debian-12-daemon-dnsmasq",
    debian_12_daemon_docker_host_in_bashrc => "debian-12-daemon-docker-host-in-bashrc",
    debian_12_daemon_dnsmasq_upstream => "debian-12-daemon-dnsmasq-upstream",
    debian_12_daemon_json_not_an_object => "debian-12-daemon-json-not-an-object",
    debian_12_daemon_json_relative_data_root => "debian-12-daemon-json-relative-data-root",
    debian_12_daemon_json_rootless_false => "debian-12-daemon-json-rootless-false",
    debian_12_daemon_json_syntax_error => "debian-12-daemon-json-syntax-error",
    debian_12_daemon_kernel_3_2 => "debian-12-daemon-kernel-3.2",
    debian_12_daemon_kernel_gaps => "debian-12-daemon-kernel-gaps",
    debian_12_daemon_killed => "debian-12-daemon-killed",
    debian_12_daemon_killed_pid_reused => "debian-12-daemon-killed-pid-reused",
    debian_12_daemon_no_pidfile => "debian-12-daemon-no-pidfile",
    debian_12_daemon_not_rootless => "debian-12-daemon-not-rootless",
    debian_12_daemon_pasta_implicit => "debian-12-daemon-pasta-implicit",
    debian_12_daemon_pasta_fallback => "debian-12-daemon-pasta-fallback",
    debian_12_daemon_path_free => "debian-12-daemon-path-free",
    debian_12_daemon_resolv_outside_sandbox => "debian-12-daemon-resolv-outside-sandbox",
    debian_12_daemon_rootful_beside => "debian-12-daemon-rootful-beside",
    debian_12_daemon_rootful_too => "debian-12-daemon-rootful-too",
    debian_12_daemon_rootless_context => "debian-12-daemon-rootless-context",
    debian_12_daemon_override_not_restarted => "debian-12-daemon-override-not-restarted",
    debian_12_daemon_rootlesskit_api_gone => "debian-12-daemon-rootlesskit-api-gone",
    debian_12_daemon_someone_elses_socket => "debian-12-daemon-someone-elses-socket",
    debian_12_daemon_tcp_client => "debian-12-daemon-tcp-client",
    debian_12_daemon_tls_verify_left_over => "debian-12-daemon-tls-verify-left-over",
    debian_12_desktop_running => "debian-12-desktop-running",
    debian_12_desktop_stopped => "debian-12-desktop-stopped",
    debian_12_iptables_built_in => "debian-12-iptables-built-in",
    debian_12_iptables_legacy_not_loaded => "debian-12-iptables-legacy-not-loaded",
    debian_12_mounted_image => "debian-12-mounted-image",
    debian_12_nested_userns => "debian-12-nested-userns",
    debian_12_newuidmap_not_setuid => "debian-12-newuidmap-not-setuid",
    debian_12_nf_tables_not_loaded => "debian-12-nf-tables-not-loaded",
    debian_12_no_network_driver => "debian-12-no-network-driver",
    debian_12_no_tun => "debian-12-no-tun",
    debian_12_tun_wrong_device => "debian-12-tun-wrong-device",
    debian_12_no_network_driver_docker_28_5_2 => "debian-12-no-network-driver-docker-28.5.2",
    debian_12_no_network_driver_docker_29_1_0 => "debian-12-no-network-driver-docker-29.1.0",
    debian_12_no_new_privs => "debian-12-no-new-privs",
    debian_12_no_subid => "debian-12-no-subid",
    debian_12_no_subid_real_uid_in_the_way => "debian-12-no-subid-real-uid-in-the-way",
    debian_12_no_systemd => "debian-12-no-systemd",
    debian_12_no_systemd_long_tmpdir => "debian-12-no-systemd-long-tmpdir",
    debian_12_no_systemd_long_xdg => "debian-12-no-systemd-long-xdg",
    debian_12_no_systemd_lxc_user_nic_no_quota => "debian-12-no-systemd-lxc-user-nic-no-quota",
    debian_12_no_systemd_lxc_user_nic => "debian-12-no-systemd-lxc-user-nic",
    debian_12_no_systemd_resolv_in_run => "debian-12-no-systemd-resolv-in-run",
    debian_12_no_systemd_resolv_outside_sandbox => "debian-12-no-systemd-resolv-outside-sandbox",
    debian_12_no_systemd_newgrp => "debian-12-no-systemd-newgrp",
    debian_12_no_systemd_no_new_privs => "debian-12-no-systemd-no-new-privs",
    debian_12_no_systemd_state_dir_locked => "debian-12-no-systemd-state-dir-locked",
    debian_12_no_systemd_state_dir_held_by_daemon => "debian-12-no-systemd-state-dir-held-by-daemon",
    debian_12_no_systemd_tmpdir_tmpfs => "debian-12-no-systemd-tmpdir-tmpfs",
    debian_12_no_systemd_tmpdir_vfat => "debian-12-no-systemd-tmpdir-vfat",
    debian_12_tmp_read_only => "debian-12-tmp-read-only",
    debian_12_docker_sock_directory => "debian-12-docker-sock-directory",
    debian_12_etc_hosts_missing => "debian-12-etc-hosts-missing",
    debian_12_etc_hosts_unreadable => "debian-12-etc-hosts-unreadable",
    debian_12_no_sys_fs_cgroup => "debian-12-no-sys-fs-cgroup",
    debian_12_no_systemd_judged_by_root => "debian-12-no-systemd-judged-by-root",
    debian_12_root_not_shared => "debian-12-root-not-shared",
    debian_12_chroot_root_not_a_mount => "debian-12-chroot-root-not-a-mount",
    debian_12_no_systemd_no_runtime_dir => "debian-12-no-systemd-no-runtime-dir",
    debian_12_no_systemd_start_flags => "debian-12-no-systemd-start-flags",
    debian_12_no_systemd_start_home => "debian-12-no-systemd-start-home",
    debian_12_no_systemd_start_mtu => "debian-12-no-systemd-start-mtu",
    debian_12_no_systemd_start_vpnkit => "debian-12-no-systemd-start-vpnkit",
    debian_12_no_user_bus => "debian-12-no-user-bus",
    debian_12_only_old_pasta => "debian-12-only-old-pasta",
    debian_12_own_uid_range => "debian-12-own-uid-range",
    // Audit (issue 9): a Latin-1 byte in another account's line of /etc/passwd made every run under sudo exit 2.
    regression_passwd_non_utf8_other_account => "debian-12-passwd-not-utf8",
    debian_12_probe_no_subuid => "debian-12-probe-no-subuid",
    debian_12_probe_not_understood => "debian-12-probe-not-understood",
    debian_12_probe_ok => "debian-12-probe-ok",
    debian_12_probe_timeout => "debian-12-probe-timeout",
    debian_12_probe_unpredicted => "debian-12-probe-unpredicted",
    debian_12_rootful_exposed => "debian-12-rootful-exposed",
    debian_12_remote_context_judged_by_root => "debian-12-remote-context-judged-by-root",
    debian_12_remote_ssh => "debian-12-remote-ssh",
    debian_12_remote_tcp_answers => "debian-12-remote-tcp-answers",
    debian_12_remote_tcp_refused => "debian-12-remote-tcp-refused",
    debian_12_remote_tcp_silent => "debian-12-remote-tcp-silent",
    debian_12_remote_tls_ca_missing => "debian-12-remote-tls-ca-missing",
    debian_12_remote_tls_context_skip_verify => "debian-12-remote-tls-context-skip-verify",
    debian_12_remote_tls_no_client_cert => "debian-12-remote-tls-no-client-cert",
    debian_12_remote_tls_no_openssl => "debian-12-remote-tls-no-openssl",
    debian_12_remote_tls_required => "debian-12-remote-tls-required",
    debian_12_remote_tls_unknown_ca => "debian-12-remote-tls-unknown-ca",
    debian_12_remote_tls_verified => "debian-12-remote-tls-verified",
    debian_12_remote_unreachable => "debian-12-remote-unreachable",
    debian_12_rootful_docker_host_no_group => "debian-12-rootful-docker-host-no-group",
    debian_12_rootful_docker_opts_ignored => "debian-12-rootful-docker-opts-ignored",
    debian_12_rootful_healthy => "debian-12-rootful-healthy",
    debian_12_rootful_socket_removed => "debian-12-rootful-socket-removed",
    debian_12_rootful_socket_removed_activated => "debian-12-rootful-socket-removed-activated",
    debian_12_rootful_hosts_conflict => "debian-12-rootful-hosts-conflict",
    debian_12_rootful_netplan_catch_all => "debian-12-rootful-netplan-catch-all",
    debian_12_rootful_nfs_data_root => "debian-12-rootful-nfs-data-root",
    debian_12_rootful_nfs_data_root_flag => "debian-12-rootful-nfs-data-root-flag",
    debian_12_rootful_tcp_only => "debian-12-rootful-tcp-only",
    debian_12_rootful_user => "debian-12-rootful-user",
    debian_12_rootful_user_service_stopped => "debian-12-rootful-user-service-stopped",
    debian_12_rootful_user_stale_session => "debian-12-rootful-user-stale-session",
    debian_12_rootful_user_zombie_dockerd => "debian-12-rootful-user-zombie-dockerd",
    debian_12_small_range => "debian-12-small-range",
    debian_12_start_cdi_without_mount => "debian-12-start-cdi-without-mount",
    debian_12_start_containerd_running => "debian-12-start-containerd-running",
    debian_12_start_gvisor_fallback_rootlesskit_2 => "debian-12-start-gvisor-fallback-rootlesskit-2",
    debian_12_start_home_bin_rootlesskit_2 => "debian-12-start-home-bin-rootlesskit-2",
    debian_12_start_no_containerd_no_proxy => "debian-12-start-no-containerd-no-proxy",
    debian_12_start_no_ip_no_nsenter => "debian-12-start-no-ip-no-nsenter",
    debian_12_start_pasta_rootlesskit_1 => "debian-12-start-pasta-rootlesskit-1",
    debian_12_start_script_29_rootlesskit_1 => "debian-12-start-script-29-rootlesskit-1",
    debian_12_start_runtime_dir_full => "debian-12-start-runtime-dir-full",
    debian_12_start_unit_path_without_usr_bin => "debian-12-start-unit-path-without-usr-bin",
    debian_12_start_unit_script_gone => "debian-12-start-unit-script-gone",
    debian_12_start_unit_without_systemd => "debian-12-start-unit-without-systemd",
    debian_12_storage_driver_btrfs_forced_on_ext4 => "debian-12-storage-driver-btrfs-forced-on-ext4",
    debian_12_storage_driver_overlay2_forced => "debian-12-storage-driver-overlay2-forced",
    debian_12_subid_name_and_uid => "debian-12-subid-name-and-uid",
    debian_12_subid_sss_grants_nothing => "debian-12-subid-sss-grants-nothing",
    debian_12_subid_sss_module => "debian-12-subid-sss-module",
    debian_12_subid_sss_not_installed => "debian-12-subid-sss-not-installed",
    debian_12_subuid_fourth_field => "debian-12-subuid-fourth-field",
    debian_12_subuid_fourth_field_static => "debian-12-subuid-fourth-field-static",
    debian_12_subuid_octal => "debian-12-subuid-octal",
    debian_12_subuid_trailing_blank => "debian-12-subuid-trailing-blank",
    debian_12_snap_and_packaged => "debian-12-snap-and-packaged",
    debian_12_start_trial_not_understood => "debian-12-start-trial-not-understood",
    debian_12_start_trial_ok => "debian-12-start-trial-ok",
    debian_12_start_trial_proxy_missing => "debian-12-start-trial-proxy-missing",
    debian_12_su_without_dash => "debian-12-su-without-dash",
    debian_12_subuid_dangling_symlink => "debian-12-subuid-dangling-symlink",
    debian_12_subuid_not_utf8 => "debian-12-subuid-not-utf8",
    debian_12_symlinked_subuid => "debian-12-symlinked-subuid",
    debian_12_unit_path_without_sbin => "debian-12-unit-path-without-sbin",
    debian_12_unit_start_docker_29_7_2 => "debian-12-unit-start-docker-29.7.2",
    debian_12_unit_start_docker_29_7_2_no_ip6tables => "debian-12-unit-start-docker-29.7.2-no-ip6tables",
    debian_12_unit_start_net_host_docker_29_7_2 => "debian-12-unit-start-net-host-docker-29.7.2",
    debian_12_rootlesskit_cap_net_bind_service => "debian-12-rootlesskit-cap-net-bind-service",
    debian_12_unit_net_names_a_removed_driver => "debian-12-unit-net-names-a-removed-driver",
    debian_12_unit_start_pasta_docker_28_5_1 => "debian-12-unit-start-pasta-docker-28.5.1",
    debian_12_user_bus_stopped => "debian-12-user-bus-stopped",
    debian_12_user_not_in_passwd => "debian-12-user-not-in-passwd",
    debian_12_user_unit_enabled => "debian-12-user-unit-enabled",
    debian_12_user_unit_flag_in_daemon_json => "debian-12-user-unit-flag-in-daemon-json",
    debian_12_user_unit_masked => "debian-12-user-unit-masked",
    debian_12_user_unit_requires_dbus => "debian-12-user-unit-requires-dbus",
    debian_12_xdg_runtime_dir_0755 => "debian-12-xdg-runtime-dir-0755",
    debian_12_xdg_runtime_dir_0777 => "debian-12-xdg-runtime-dir-0777",
    debian_12_xdg_runtime_dir_wrong_owner => "debian-12-xdg-runtime-dir-wrong-owner",
    debian_13_unit_detach_netns => "debian-13-unit-detach-netns",
    debian_13_unit_detach_netns_without_unshare => "debian-13-unit-detach-netns-without-unshare",
    fedora => "fedora",
    fedora_before_install => "fedora-before-install",
    fedora_max_user_namespaces_low => "fedora-max-user-namespaces-low",
    fedora_newgidmap_no_caps => "fedora-newgidmap-no-caps",
    fedora_newuidmap_namespaced_caps => "fedora-newuidmap-namespaced-caps",
    fedora_no_linger => "fedora-no-linger",
    fedora_selinux_no_mls => "fedora-selinux-no-mls",
    fedora_selinux_no_selinuxenabled => "fedora-selinux-no-selinuxenabled",
    fedora_selinux_enforcing => "fedora-selinux-enforcing",
    fedora_subid_covers_real_user => "fedora-subid-covers-real-user",
    opensuse_leap_15 => "opensuse-leap-15",
    opensuse_leap_15_daemon => "opensuse-leap-15-daemon",
    opensuse_leap_15_iptables_modules_not_loaded => "opensuse-leap-15-iptables-modules-not-loaded",
    opensuse_leap_15_0_kernel_4_12 => "opensuse-leap-15.0-kernel-4.12",
    opensuse_leap_15_0_kernel_4_12_btrfs_user_subvol_rm_allowed => "opensuse-leap-15.0-kernel-4.12-btrfs-user-subvol-rm-allowed",
    opensuse_tumbleweed => "opensuse-tumbleweed",
    rhel_8 => "rhel-8",
    rhel_8_daemon => "rhel-8-daemon",
    rhel_8_daemon_vfs_no_cgroups => "rhel-8-daemon-vfs-no-cgroups",
    rhel_8_max_user_namespaces_0 => "rhel-8-max-user-namespaces-0",
    rhel_8_no_fuse_overlayfs => "rhel-8-no-fuse-overlayfs",
    rhel_8_no_iptables => "rhel-8-no-iptables",
    rhel_9 => "rhel-9",
    rhel_9_dnsmasq_standalone => "rhel-9-dnsmasq-standalone",
    rhel_9_nfs_home => "rhel-9-nfs-home",
    rhel_9_nfs_home_local_data_root => "rhel-9-nfs-home-local-data-root",
    rhel_9_subids_from_sssd => "rhel-9-subids-from-sssd",
    rhel_9_world_writable_subuid => "rhel-9-world-writable-subuid",
    ubuntu_20_04_kernel_5_4 => "ubuntu-20.04-kernel-5.4",
    ubuntu_22_04 => "ubuntu-22.04",
    ubuntu_22_04_cpu_not_delegated => "ubuntu-22.04-cpu-not-delegated",
    ubuntu_22_04_no_uidmap => "ubuntu-22.04-no-uidmap",
    ubuntu_24_04 => "ubuntu-24.04",
    ubuntu_24_04_daemon_upstream_rlk3 => "ubuntu-24.04-daemon-upstream-rlk3",
    ubuntu_24_04_disabled_profile => "ubuntu-24.04-disabled-profile",
    ubuntu_24_04_exact_beats_pattern => "ubuntu-24.04-exact-beats-pattern",
    ubuntu_24_04_no_userns_rule => "ubuntu-24.04-no-userns-rule",
    ubuntu_24_04_overlapping_ranges => "ubuntu-24.04-overlapping-ranges",
    ubuntu_24_04_pasta_abi_3_profile => "ubuntu-24.04-pasta-abi-3-profile",
    ubuntu_24_04_pasta_without_profile => "ubuntu-24.04-pasta-without-profile",
    ubuntu_24_04_pasta_without_profile_docker_28_5_2 => "ubuntu-24.04-pasta-without-profile-docker-28.5.2",
    ubuntu_24_04_docker_28_5_2_no_docker_proxy => "ubuntu-24.04-docker-28.5.2-no-docker-proxy",
    ubuntu_24_04_docker_28_5_2_userland_proxy_off => "ubuntu-24.04-docker-28.5.2-userland-proxy-off",
    ubuntu_24_04_rootlesskit_in_home_bin => "ubuntu-24.04-rootlesskit-in-home-bin",
    ubuntu_24_04_rootlesskit_in_home_bin_with_profile => "ubuntu-24.04-rootlesskit-in-home-bin-with-profile",
    ubuntu_24_04_su_shell => "ubuntu-24.04-su-shell",
    ubuntu_24_04_two_profiles_one_path => "ubuntu-24.04-two-profiles-one-path",
    ubuntu_24_04_userns_in_local_include => "ubuntu-24.04-userns-in-local-include",
    ubuntu_24_04_vpnkit_fallback_docker_28_5_2 => "ubuntu-24.04-vpnkit-fallback-docker-28.5.2",
    ubuntu_24_04_wsl2 => "ubuntu-24.04-wsl2",
    ubuntu_25_10 => "ubuntu-25.10",
    ubuntu_26_04 => "ubuntu-26.04",
    ubuntu_26_04_detach_netns_unshare_restricted => "ubuntu-26.04-detach-netns-unshare-restricted",
    ubuntu_26_04_detach_netns_unshare_two_profiles => "ubuntu-26.04-detach-netns-unshare-two-profiles",
    ubuntu_26_04_docker_29_7_2_detach_netns => "ubuntu-26.04-docker-29.7.2-detach-netns",
    unknown_distro => "unknown-distro",
    vm_debian_12_user_service => "vm-debian-12-user-service",
    vm_debian_13_user_service => "vm-debian-13-user-service",
}

#[test]
fn every_fixture_directory_has_a_test() {
    let dirs: BTreeSet<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = SCENARIOS.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(dirs, listed, "tests/fixtures and scenarios! disagree");
    for d in &dirs {
        for f in ["host.toml", "expect.toml", "README.md"] {
            assert!(
                Path::new(&format!("{FIXTURES}/{d}/{f}")).exists(),
                "{d} lacks {f}"
            );
        }
    }
}

/// The bar: every check has at least one passing and one failing (fail or warn) fixture.
#[test]
fn every_check_passes_somewhere_and_fails_somewhere() {
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in SCENARIOS {
        let e = expect_of(s);
        let mut argv = e.argv();
        argv.extend(["--format", "json"]);
        for (id, status) in statuses(&run(s, &argv).stdout) {
            seen.entry(id).or_default().insert(status);
        }
    }
    let list = run(SCENARIOS[0], &["list", "--format", "json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert!(all.len() >= 29);
    for c in all {
        let id = c["id"].as_str().unwrap();
        let s = seen.get(id).cloned().unwrap_or_default();
        assert!(s.contains("pass"), "{id} never passes in a fixture: {s:?}");
        assert!(
            s.contains("fail") || s.contains("warn"),
            "{id} never fails in a fixture: {s:?}"
        );
    }
}

/// A `base` that names no fixture is a usage error naming the sidecar and the line (exit 2, nothing on stdout).
#[test]
fn a_broken_base_is_a_usage_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("scenario/host.toml");
    std::fs::create_dir_all(host.parent().unwrap()).unwrap();
    std::fs::write(
        &host,
        "schema = 1\ndescription = \"a typo in the base\"\nbase = \"debian-21\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("rootless-doctor")
        .unwrap()
        .env_clear()
        .args(["--host-file", host.to_str().unwrap(), "preflight"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("scenario/host.toml: line 3: base \"debian-21\": ")
            && stderr.contains("debian-21/host.toml: no such file or directory"),
        "{stderr}"
    );
}
