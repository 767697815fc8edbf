//! Live tier: `fix --apply`'s write path (`host::apply`) against temporary roots, as root, for every action kind:
//! content, modes, owners, backups, idempotence, undo byte for byte, refused symbolic links and foreign-owned
//! directories, a user's step taken with the user's credentials, and kills at random points that never leave a
//! torn file.
//!
//! Needs root (owners, credentials) and the live tier (`ROOTLESS_DOCTOR_LIVE=1` or `CI`): outside it each test
//! says why it skipped and passes, inside it a missing prerequisite fails the test.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::print_stderr,
    clippy::print_stdout
)]

#[path = "support/live.rs"]
#[allow(dead_code)]
mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rootless_doctor::host::apply::{self, Applier, StepResult, UserTarget, Who};
use rootless_doctor::model::Step;
use support::Need;

/// The tests that change this machine's own files (the ping sysctl and its drop-in, /etc/subuid, a package, the
/// runs in root's store) take turns: each one's "before" must be its own.
static HOST: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn host_turn() -> std::sync::MutexGuard<'static, ()> {
    HOST.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A temporary root owned by root, 0755, removed on drop.
struct Root(tempfile::TempDir);

impl Root {
    fn new() -> Root {
        let t = tempfile::Builder::new()
            .prefix("rd-apply-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Root(t)
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    /// The user's home in this root (/home/NAME, 0700, theirs), made here; its path.
    fn home_of(&self, u: &support::TestUser) -> String {
        let home = format!("/home/{}", u.name);
        fs::create_dir_all(self.at(&home)).unwrap();
        std::os::unix::fs::chown(self.at(&home), Some(u.uid), Some(u.gid)).unwrap();
        fs::set_permissions(self.at(&home), fs::Permissions::from_mode(0o700)).unwrap();
        home
    }
    fn at(&self, p: &str) -> PathBuf {
        self.0.path().join(p.trim_start_matches('/'))
    }
    fn write(&self, p: &str, content: &[u8], mode: u32) {
        let path = self.at(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    fn applier(&self, user: Option<UserTarget>, stamp: &str) -> Applier {
        let ids = user
            .as_ref()
            .map(|u| (format!("{}:", u.name), (u.uid, u.gid)));
        Applier::new(
            self.path(),
            user,
            "/var/lib/rootless-doctor",
            Who::Root,
            stamp,
            Box::new(move |o| match o {
                "root:root" => Some((0, 0)),
                "4242:4343" => Some((4242, 4343)),
                _ => ids.as_ref().filter(|(n, _)| n == o).map(|(_, i)| *i),
            }),
        )
        .expect("applier")
    }
    fn undo(&self, user: Option<UserTarget>) -> Vec<String> {
        let name = user
            .as_ref()
            .map_or("alice", |u| u.name.as_str())
            .to_owned();
        let run = apply::latest_run(self.path(), "/var/lib/rootless-doctor", &name)
            .unwrap()
            .expect("a run to undo");
        let undone = apply::undo(self.path(), &run, user, Who::Root).expect("undo");
        assert_eq!(undone.failed, 0, "{:?}", undone.lines);
        undone.lines
    }
    /// Every file below the root but the state directory, with content, mode and owner.
    fn snapshot(&self) -> Vec<(String, Vec<u8>, u32, u32, u32)> {
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>, u32, u32, u32)>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        // The doctor's own state (journal and backups) and the directories made for it.
        if rel == "var" || rel.starts_with("var/lib") {
            continue;
        }
        let m = fs::symlink_metadata(e.path()).unwrap();
        let content = if m.is_file() {
            fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        out.push((rel, content, m.mode(), m.uid(), m.gid()));
        if m.is_dir() {
            walk(root, &e.path(), out);
        }
    }
}

fn done(r: Result<StepResult, apply::ApplyError>) -> String {
    match r {
        Ok(StepResult::Done(t)) => t,
        other => panic!("expected done, got {other:?}"),
    }
}

fn already(r: Result<StepResult, apply::ApplyError>) {
    assert!(
        matches!(r, Ok(StepResult::Already(_))),
        "expected already, got {r:?}"
    );
}

fn refused(r: Result<StepResult, apply::ApplyError>, words: &str) {
    match r {
        Err(e) => assert!(e.0.contains(words), "{:?} lacks {words:?}", e.0),
        Ok(other) => panic!("expected a refusal with {words:?}, got {other:?}"),
    }
}

#[test]
fn every_file_kind_applies_twice_as_once_and_undoes_byte_for_byte() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/etc/sysctl.d/old.conf", b"kernel.x = 1\n", 0o640);
    root.write("/etc/lxc/lxc-usernet", b"bob veth lxcbr0 10", 0o644);
    root.write("/etc/subuid", b"alice:100000:65536\n", 0o600);
    root.write("/usr/bin/newuidmap", b"\x7fELF", 0o755);
    root.write("/home/alice/.local/share/docker/x", b"data", 0o644);
    root.write("/run/user/1000/docker.sock.stale", b"", 0o600);
    root.write("/tmp/stale/state/lock", b"", 0o600);
    let before = root.snapshot();

    let steps = [
        Step::write_file(
            true,
            "/etc/sysctl.d/52-rootless-ping.conf",
            "net.ipv4.ping_group_range = 0 2147483647\n",
        ),
        Step::write_file(true, "/etc/sysctl.d/old.conf", "kernel.x = 2\n"),
        Step::write_file_mode(true, "/etc/new/private.conf", "secret\n", 0o600),
        Step::append_line(true, "/etc/lxc/lxc-usernet", "alice veth lxcbr0 10"),
        Step::make_dir_mode(true, "/etc/systemd/system/user@.service.d", 0o755),
        Step::set_mode(true, "/etc/subuid", 0o644),
        Step::set_owner("/usr/bin/newuidmap", "4242:4343"),
        Step::remove(true, "/run/user/1000/docker.sock.stale"),
        Step::rename(
            true,
            "/home/alice/.local/share/docker",
            "/home/alice/.local/share/docker.root-owned",
        ),
        Step::remove_tree(true, "/tmp/stale"),
        Step::sysctl("net.ipv4.ping_group_range", "0 2147483647"),
        Step::root(["systemctl", "daemon-reload"]),
    ];
    let mut a = root.applier(None, "20261130T000000Z");
    let results: Vec<_> = steps.iter().map(|s| a.apply(s)).collect();
    for (s, r) in steps.iter().zip(&results) {
        assert!(r.is_ok(), "{}: {r:?}", s.render());
    }
    // Contents, modes and owners as asked.
    assert_eq!(
        fs::read(root.at("/etc/sysctl.d/52-rootless-ping.conf")).unwrap(),
        b"net.ipv4.ping_group_range = 0 2147483647\n"
    );
    let m = fs::metadata(root.at("/etc/sysctl.d/52-rootless-ping.conf")).unwrap();
    assert_eq!((m.mode() & 0o7777, m.uid(), m.gid()), (0o644, 0, 0));
    // A replaced file keeps its mode and owner.
    let m = fs::metadata(root.at("/etc/sysctl.d/old.conf")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o640);
    assert_eq!(
        fs::read(root.at("/etc/sysctl.d/old.conf")).unwrap(),
        b"kernel.x = 2\n"
    );
    assert_eq!(
        fs::metadata(root.at("/etc/new/private.conf"))
            .unwrap()
            .mode()
            & 0o7777,
        0o600
    );
    assert_eq!(
        fs::read(root.at("/etc/lxc/lxc-usernet")).unwrap(),
        b"bob veth lxcbr0 10\nalice veth lxcbr0 10\n"
    );
    assert!(
        fs::metadata(root.at("/etc/systemd/system/user@.service.d"))
            .unwrap()
            .is_dir()
    );
    assert_eq!(
        fs::metadata(root.at("/etc/subuid")).unwrap().mode() & 0o7777,
        0o644
    );
    let m = fs::metadata(root.at("/usr/bin/newuidmap")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (4242, 4343, 0o755));
    assert!(fs::symlink_metadata(root.at("/run/user/1000/docker.sock.stale")).is_err());
    assert!(fs::metadata(root.at("/home/alice/.local/share/docker.root-owned/x")).is_ok());
    assert!(fs::symlink_metadata(root.at("/tmp/stale")).is_err());
    // Below --root, the kernel and programs are not this tree's.
    assert!(matches!(&results[10], Ok(StepResult::NotHere(t)) if t.contains("no running kernel")));
    assert!(
        matches!(&results[11], Ok(StepResult::NotHere(t)) if t.contains("not the tree below --root"))
    );
    // The old contents are in the backup store, and the journal lists every change.
    let run = root.at(a.run_dir());
    let journal: serde_json::Value =
        serde_json::from_slice(&fs::read(run.join("journal.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"file") && kinds.contains(&"removed") && kinds.contains(&"renamed"),
        "{kinds:?}"
    );
    let backups: Vec<Vec<u8>> = fs::read_dir(run.join("files"))
        .unwrap()
        .map(|e| fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(backups.contains(&b"kernel.x = 1\n".to_vec()), "{backups:?}");
    assert!(backups.contains(&b"bob veth lxcbr0 10".to_vec()));
    assert_eq!(
        fs::metadata(&run).unwrap().mode() & 0o777,
        0o700,
        "backups hold other files' contents: root's only"
    );

    // The second apply changes nothing.
    let after = root.snapshot();
    let mut again = root.applier(None, "20261130T000001Z");
    for s in &steps[..10] {
        already(again.apply(s));
    }
    assert_eq!(root.snapshot(), after);
    // Its run changed nothing, so undo takes the run before it.
    let lines = root.undo(None);
    assert!(
        lines.iter().any(|l| l.contains("not backed up")),
        "{lines:?}"
    );
    // Everything but the removed tree (which undo says it cannot bring back) is as before, byte for byte.
    let mut expected = before.clone();
    expected.retain(|(p, ..)| !p.starts_with("tmp/stale"));
    let mut now = root.snapshot();
    now.retain(|(p, ..)| !p.starts_with("tmp/stale"));
    // /tmp itself was made by the test and stays.
    assert_eq!(now, expected);
}

#[test]
fn symlinks_and_foreign_directories_are_refused_by_name() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    // A secret outside the tree, which a link must never lead to.
    let secret = tempfile::NamedTempFile::new().unwrap();
    fs::write(secret.path(), b"root only").unwrap();
    root.write("/etc/placeholder", b"", 0o644);
    symlink(secret.path(), root.at("/etc/target.conf")).unwrap();
    fs::create_dir_all(root.at("/real")).unwrap();
    symlink(root.at("/real"), root.at("/etc/linked.d")).unwrap();
    fs::create_dir_all(root.at("/etc/theirs.d")).unwrap();
    std::os::unix::fs::chown(root.at("/etc/theirs.d"), Some(4242), Some(4242)).unwrap();
    fs::create_dir_all(root.at("/etc/open.d")).unwrap();
    fs::set_permissions(root.at("/etc/open.d"), fs::Permissions::from_mode(0o777)).unwrap();
    nix::unistd::mkfifo(
        &root.at("/etc/fifo.conf"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();

    let mut a = root.applier(None, "20261130T000000Z");
    refused(
        a.apply(&Step::write_file(true, "/etc/target.conf", "x")),
        "/etc/target.conf: refused: a symbolic link",
    );
    refused(
        a.apply(&Step::append_line(true, "/etc/target.conf", "x")),
        "refused: a symbolic link",
    );
    refused(
        a.apply(&Step::set_mode(true, "/etc/target.conf", 0o600)),
        "refused: a symbolic link",
    );
    refused(
        a.apply(&Step::write_file(true, "/etc/linked.d/x.conf", "x")),
        "/etc/linked.d: refused: a symbolic link",
    );
    refused(
        a.apply(&Step::write_file(true, "/etc/theirs.d/x.conf", "x")),
        "/etc/theirs.d: refused: the directory belongs to uid 4242, not root",
    );
    refused(
        a.apply(&Step::write_file(true, "/etc/open.d/x.conf", "x")),
        "/etc/open.d: refused: the directory is writable by group or others (0777)",
    );
    refused(
        a.apply(&Step::write_file(true, "/etc/fifo.conf", "x")),
        "/etc/fifo.conf: refused: a fifo",
    );
    refused(
        a.apply(&Step::write_file(true, "/etc/../x", "x")),
        "refused",
    );
    // Removing a link removes the link itself, never what it points to, and undo makes the link again.
    done(a.apply(&Step::remove(true, "/etc/target.conf")));
    assert!(fs::symlink_metadata(root.at("/etc/target.conf")).is_err());
    assert_eq!(fs::read(secret.path()).unwrap(), b"root only");
    let lines = root.undo(None);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("/etc/target.conf: the link to")),
        "{lines:?}"
    );
    assert_eq!(
        fs::read_link(root.at("/etc/target.conf")).unwrap(),
        secret.path()
    );
    assert_eq!(fs::read(secret.path()).unwrap(), b"root only");
    assert_eq!(fs::read_dir(root.at("/real")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(root.at("/etc/theirs.d")).unwrap().count(), 0);
    assert_eq!(fs::read_dir(root.at("/etc/open.d")).unwrap().count(), 0);
}

#[test]
fn a_users_step_is_taken_with_the_users_credentials() {
    let ok = testkit::live::ok_user();
    let Some(live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let u = live.ok_user();
    let root = Root::new();
    let home = root.home_of(&u);
    // A root-owned directory in the user's home, and a directory of someone else's there.
    root.write(&format!("{home}/rootdir/x.conf"), b"root's", 0o644);
    fs::create_dir_all(root.at(&format!("{home}/theirs"))).unwrap();
    std::os::unix::fs::chown(root.at(&format!("{home}/theirs")), Some(4242), Some(4242)).unwrap();
    let target = UserTarget {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        home: home.clone(),
    };
    let mut a = root.applier(Some(target.clone()), "20261130T000000Z");
    let unit = format!("{home}/.config/systemd/user/docker.service.d/override.conf");
    done(a.apply(&Step::write_file(
        false,
        unit.clone(),
        "[Service]\nEnvironment=X=1\n",
    )));
    // The file and the directories made for it are the user's.
    for p in [
        unit.as_str(),
        &format!("{home}/.config"),
        &format!("{home}/.config/systemd/user"),
    ] {
        let m = fs::metadata(root.at(p)).unwrap();
        assert_eq!((m.uid(), m.gid()), (u.uid, u.gid), "{p}");
    }
    // The kernel judges the user's write as the user's: root's directory in their home is not theirs to write.
    refused(
        a.apply(&Step::write_file(
            false,
            format!("{home}/rootdir/x.conf"),
            "mine",
        )),
        "permission denied",
    );
    assert_eq!(
        fs::read(root.at(&format!("{home}/rootdir/x.conf"))).unwrap(),
        b"root's"
    );
    refused(
        a.apply(&Step::write_file(false, format!("{home}/theirs/x"), "x")),
        "refused: the directory belongs to uid 4242",
    );
    // And a root step never writes below a directory the user owns.
    refused(
        a.apply(&Step::write_file(true, format!("{home}/.config/evil"), "x")),
        &format!(
            "{home}: refused: the directory belongs to uid {}, not root",
            u.uid
        ),
    );
    // Undo removes what the apply made, as the user.
    let lines = root.undo(Some(target));
    assert!(
        lines.iter().any(|l| l.contains("override.conf: removed")),
        "{lines:?}"
    );
    assert!(
        fs::symlink_metadata(root.at(&format!("{home}/.config"))).is_err(),
        "{lines:?}"
    );
}

#[test]
fn undo_leaves_a_file_changed_since_the_apply_alone() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/etc/a.conf", b"old\n", 0o644);
    let mut a = root.applier(None, "20261130T000000Z");
    done(a.apply(&Step::write_file(true, "/etc/a.conf", "new\n")));
    fs::write(root.at("/etc/a.conf"), b"the admin's edit\n").unwrap();
    let lines = root.undo(None);
    assert_eq!(
        lines,
        ["/etc/a.conf: changed since the apply: left as it is"]
    );
    assert_eq!(
        fs::read(root.at("/etc/a.conf")).unwrap(),
        b"the admin's edit\n"
    );
    // The run is undone: nothing is left to undo.
    assert_eq!(
        apply::latest_run(root.path(), "/var/lib/rootless-doctor", "alice").unwrap(),
        None
    );
}

const FILES: usize = 8;
const SIZE: usize = 256 * 1024;

fn kill_tree(root: &Path) {
    for i in 0..FILES {
        let p = root.join(format!("etc/k/{i}.conf"));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, vec![b'a'; SIZE]).unwrap();
    }
}

fn kill_steps() -> Vec<Step> {
    (0..FILES)
        .map(|i| Step::write_file(true, format!("/etc/k/{i}.conf"), "b".repeat(SIZE + i)))
        .collect()
}

/// The child of `a_kill_at_random_points_leaves_every_file_old_or_new`: applies the steps below the root it is given.
fn kill_child(root: &str) {
    let mut a = Applier::new(
        Path::new(root),
        None,
        "/var/lib/rootless-doctor",
        Who::Root,
        &apply::now_stamp(),
        Box::new(|_| None),
    )
    .unwrap();
    for s in kill_steps() {
        a.apply(&s).unwrap();
    }
}

#[test]
fn a_kill_at_random_points_leaves_every_file_old_or_new() {
    if let Ok(root) = std::env::var("RD_APPLY_KILL_CHILD") {
        kill_child(&root);
        return;
    }
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let exe = std::env::current_exe().unwrap();
    let child = |root: &Path| {
        Command::new(&exe)
            .args([
                "a_kill_at_random_points_leaves_every_file_old_or_new",
                "--exact",
                "--test-threads=1",
            ])
            .env("RD_APPLY_KILL_CHILD", root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole run takes here, so the kills spread over all of it.
    let full = {
        let root = Root::new();
        kill_tree(root.path());
        let t = Instant::now();
        let status = child(root.path()).wait().unwrap();
        assert!(status.success(), "the child's full run failed");
        t.elapsed()
    };
    let mut seed = u64::from(std::process::id()) ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let new: Vec<Vec<u8>> = (0..FILES).map(|i| vec![b'b'; SIZE + i]).collect();
    let (mut torn, mut mixed) = (0, 0);
    for round in 0..60 {
        let root = Root::new();
        kill_tree(root.path());
        let delay = Duration::from_nanos(next() % (full.as_nanos() as u64 * 6 / 5 + 1));
        let mut c = child(root.path());
        std::thread::sleep(delay);
        let _ = c.kill();
        let _ = c.wait();
        let mut states = Vec::new();
        for (i, n) in new.iter().enumerate() {
            let content = fs::read(root.at(&format!("/etc/k/{i}.conf"))).unwrap();
            if content == vec![b'a'; SIZE] {
                states.push('o');
            } else if content == *n {
                states.push('n');
            } else {
                torn += 1;
                eprintln!(
                    "round {round}: /etc/k/{i}.conf is torn ({} bytes)",
                    content.len()
                );
            }
        }
        if states.contains(&'o') && states.contains(&'n') {
            mixed += 1;
        }
        // A later apply finishes the job and leaves no temporary file behind.
        let mut a = root.applier(None, "20261130T000000Z");
        for s in kill_steps() {
            a.apply(&s).unwrap();
        }
        for (i, n) in new.iter().enumerate() {
            assert_eq!(fs::read(root.at(&format!("/etc/k/{i}.conf"))).unwrap(), *n);
        }
        let left: Vec<String> = fs::read_dir(root.at("/etc/k"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with("-tmp"))
            .collect();
        assert!(left.is_empty(), "round {round}: {left:?}");
    }
    assert_eq!(torn, 0);
    // The kills landed inside the run, not only before or after it.
    eprintln!("full run {full:?}; {mixed} of 60 kills fell between files");
    assert!(mixed > 0, "no kill fell inside the run ({full:?})");
}

/// Puts a sysctl and a file back however the test ends.
struct Restore {
    key_path: &'static str,
    value: String,
    file: &'static str,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = fs::write(self.key_path, &self.value);
        let _ = fs::remove_file(self.file);
    }
}

#[test]
fn fix_apply_writes_and_loads_a_sysctl_drop_in_and_undo_restores_it() {
    let ok = testkit::live::ok_user();
    let Some(_live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let _turn = host_turn();
    const KEY: &str = "/proc/sys/net/ipv4/ping_group_range";
    const FILE: &str = "/etc/sysctl.d/52-rootless-ping.conf";
    let before = fs::read_to_string(KEY).unwrap();
    assert!(
        fs::symlink_metadata(FILE).is_err(),
        "{FILE} exists before the test: not this test's to replace"
    );
    let _restore = Restore {
        key_path: KEY,
        value: before.clone(),
        file: FILE,
    };
    // A range that allows no group, as on this machine by default, so the check warns.
    fs::write(KEY, "1 0").unwrap();
    let fix = |args: &[&str]| {
        let out = Command::new(support::doctor_bin())
            .args(["fix", "--user", &ok])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, plan) = fix(&["network.ping_group_range"]);
    assert_eq!(code, Some(0), "{plan}");
    assert!(
        plan.contains("sudo sysctl -w 'net.ipv4.ping_group_range=0 2147483647'"),
        "{plan}"
    );
    let (code, out) = fix(&["--apply", "network.ping_group_range"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("done     {FILE} written")), "{out}");
    assert!(
        out.contains("done     net.ipv4.ping_group_range: 1 0 → 0 2147483647"),
        "{out}"
    );
    assert!(
        out.contains("network.ping_group_range  warn → pass"),
        "{out}"
    );
    // The kernel has the value now, and the drop-in keeps it at boot: `sysctl --load` reads it as sysctl.d does.
    assert_eq!(
        fs::read_to_string(KEY)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["0", "2147483647"]
    );
    fs::write(KEY, "1 0").unwrap();
    let load = Command::new("sysctl")
        .args(["--load", FILE])
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    assert_eq!(
        fs::read_to_string(KEY)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["0", "2147483647"]
    );
    // Applying again changes nothing.
    let (code, out) = fix(&["--apply", "network.ping_group_range"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("nothing to apply"), "{out}");
    // Undo puts the value and the directory back.
    let (code, out) = fix(&["--undo"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("net.ipv4.ping_group_range: 1 0 again"),
        "{out}"
    );
    assert!(
        out.contains(&format!("{FILE}: removed (the apply created it)")),
        "{out}"
    );
    assert!(fs::symlink_metadata(FILE).is_err());
    assert_eq!(
        fs::read_to_string(KEY)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["1", "0"]
    );
}

const SETUP_USER: &str = "rdtest-setup";

/// Removes the test's user, its daemon and its runtime directory, and puts the host files back, however the test ends.
struct SetupCleanup {
    uid: Option<u32>,
    pgid: Option<i32>,
    subuid: Vec<u8>,
    subgid: Vec<u8>,
    ping: String,
    /// The package the test removes, and its .deb, installed again if the test ends without it.
    package: Option<(&'static str, PathBuf)>,
}

/// Whether dpkg has `package` installed.
fn dpkg_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Status}", package])
        .output()
        .is_ok_and(|o| o.stdout == b"installed")
}

impl Drop for SetupCleanup {
    fn drop(&mut self) {
        if let Some(pgid) = self.pgid {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = Command::new("userdel")
            .args(["-r", "-f", SETUP_USER])
            .output();
        if let Some(uid) = self.uid {
            let _ = fs::remove_dir_all(format!("/run/user/{uid}"));
        }
        let _ = fs::write("/etc/subuid", &self.subuid);
        let _ = fs::write("/etc/subgid", &self.subgid);
        let _ = fs::write("/proc/sys/net/ipv4/ping_group_range", &self.ping);
        let _ = fs::remove_file("/etc/sysctl.d/52-rootless-ping.conf");
        if let Some((package, deb)) = &self.package
            && !dpkg_installed(package)
        {
            let _ = Command::new("dpkg").arg("-i").arg(deb).output();
        }
    }
}

/// As `SETUP_USER`, with a clean login-like environment.
fn as_setup_user(uid: u32, argv: &[&str]) -> std::process::Output {
    let runtime = format!("XDG_RUNTIME_DIR=/run/user/{uid}");
    let home = format!("HOME=/home/{SETUP_USER}");
    Command::new("runuser")
        .args([
            "-u",
            SETUP_USER,
            "--",
            "env",
            "-i",
            &home,
            "PATH=/usr/bin:/bin",
            &runtime,
        ])
        .args(argv)
        .current_dir("/")
        .output()
        .unwrap()
}

/// Issue 12: a fresh user with no subordinate ids and no runtime directory, on this machine without systemd and
/// without slirp4netns (removed for the test, so dockerd-rootless.sh of Debian 12 has no network driver): `setup
/// --user` fixes what the checks find (the package through apt-get, the ids, the ping range, the client's
/// context), makes the runtime directory, starts the real dockerd-rootless.sh, and `docker run` of a local busybox
/// image works; then `fix --undo` puts /etc/subuid and /etc/subgid back byte for byte, with the ping range and the
/// sysctl.d directory, and says the package stays.
#[test]
fn setup_takes_a_bare_user_to_a_running_daemon_and_undo_restores_the_files() {
    let Some(_live) = support::start(&[
        Need::Root,
        Need::Program("useradd"),
        Need::Program("setpriv"),
        Need::Program("setsid"),
        Need::Program("docker"),
        Need::File("/usr/share/docker.io/contrib/dockerd-rootless.sh".into()),
        Need::File("/bin/busybox".into()),
        Need::Program("dpkg"),
        Need::Program("apt-get"),
    ]) else {
        return;
    };
    let _turn = host_turn();
    let _ = Command::new("userdel")
        .args(["-r", "-f", SETUP_USER])
        .output();
    let mut cleanup = SetupCleanup {
        uid: None,
        pgid: None,
        subuid: fs::read("/etc/subuid").unwrap(),
        subgid: fs::read("/etc/subgid").unwrap(),
        ping: fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap(),
        package: None,
    };
    // The package goes, its .deb kept first (and put in apt's cache, so the install needs no mirror).
    const PACKAGE: &str = "slirp4netns";
    assert!(dpkg_installed(PACKAGE), "the live tier installs {PACKAGE}");
    let debs = tempfile::Builder::new()
        .prefix("rd-setup-deb-")
        .tempdir_in("/tmp")
        .unwrap();
    let got = Command::new("apt-get")
        .args(["download", PACKAGE])
        .current_dir(debs.path())
        .output()
        .unwrap();
    assert!(
        got.status.success(),
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    let deb = fs::read_dir(debs.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("apt-get download wrote a .deb");
    fs::copy(
        &deb,
        Path::new("/var/cache/apt/archives").join(deb.file_name().unwrap()),
    )
    .unwrap();
    cleanup.package = Some((PACKAGE, deb));
    let removed = Command::new("dpkg").args(["-r", PACKAGE]).output().unwrap();
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(!dpkg_installed(PACKAGE));
    assert!(fs::symlink_metadata("/usr/bin/slirp4netns").is_err());
    assert!(
        fs::symlink_metadata("/etc/sysctl.d/52-rootless-ping.conf").is_err(),
        "the ping drop-in exists before the test: not this test's to replace"
    );
    fs::write("/proc/sys/net/ipv4/ping_group_range", "1 0").unwrap();
    let made = Command::new("useradd")
        .args([
            "-m",
            "-s",
            "/bin/sh",
            "-K",
            "SUB_UID_COUNT=0",
            "-K",
            "SUB_GID_COUNT=0",
            SETUP_USER,
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let uid = testkit::account(SETUP_USER).unwrap().uid;
    cleanup.uid = Some(uid);
    let subuid = fs::read("/etc/subuid").unwrap();
    let subgid = fs::read("/etc/subgid").unwrap();
    assert!(!String::from_utf8_lossy(&subuid).contains(SETUP_USER));
    assert!(fs::symlink_metadata(format!("/run/user/{uid}")).is_err());

    // The daemon setup starts outlives setup: it comes to this test when setup exits, to be reaped here.
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let out = Command::new(support::doctor_bin())
        .args(["setup", "--user", SETUP_USER])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if let Some(pid) = text
        .split("(pid ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|p| p.parse::<i32>().ok())
    {
        cleanup.pgid = Some(pid);
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for words in [
        "done     ran `apt-get install -y slirp4netns`",
        "done     ran `usermod --add-subuids",
        "done     /etc/sysctl.d/52-rootless-ping.conf written",
        &format!("done     /run/user/{uid} created (0700, owner {uid}:"),
        &format!("ready    /run/user/{uid}/docker.sock answers /_ping"),
    ] {
        assert!(
            text.contains(words),
            "setup's output lacks {words:?}:\n{text}"
        );
    }
    let fixed = text
        .lines()
        .find(|l| l.trim_start().starts_with("fixed: "))
        .unwrap_or_else(|| panic!("no fixed: line\n{text}"));
    for id in [
        "network.driver",
        "subid.entries",
        "network.ping_group_range",
        "client.endpoint",
    ] {
        assert!(fixed.contains(id), "{fixed}\n{text}");
    }
    assert!(dpkg_installed(PACKAGE), "{text}");
    assert!(
        String::from_utf8_lossy(&fs::read("/etc/subuid").unwrap()).contains(SETUP_USER),
        "{text}"
    );

    // The user's own docker client (its context, set by the fix) reaches the daemon, which runs a container.
    let work = tempfile::Builder::new()
        .prefix("rd-setup-img-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(work.path().join("rootfs/bin")).unwrap();
    fs::copy("/bin/busybox", work.path().join("rootfs/bin/busybox")).unwrap();
    symlink("busybox", work.path().join("rootfs/bin/sh")).unwrap();
    let tar = work.path().join("busybox.tar");
    let packed = Command::new("tar")
        .args([
            "-C",
            &work.path().join("rootfs").display().to_string(),
            "-cf",
        ])
        .arg(&tar)
        .arg(".")
        .output()
        .unwrap();
    assert!(packed.status.success());
    fs::set_permissions(&tar, fs::Permissions::from_mode(0o644)).unwrap();
    let imported = as_setup_user(
        uid,
        &[
            "docker",
            "import",
            &tar.display().to_string(),
            "rd-setup-busybox",
        ],
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let ran = as_setup_user(
        uid,
        &[
            "docker",
            "run",
            "--rm",
            "rd-setup-busybox",
            "/bin/busybox",
            "echo",
            "hello from setup",
        ],
    );
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout).trim(),
        "hello from setup"
    );

    // Stop the daemon (its session), then undo.
    let pgid = cleanup.pgid.expect("setup printed the daemon's pid");
    let _ = nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pgid),
        nix::sys::signal::Signal::SIGTERM,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    // usermod refuses a user with processes: wait until the session is gone, reaping what comes to us (this test is
    // the daemon's subreaper: this container's PID 1 reaps nothing), and kill what is left after 10 s.
    let mut killed = false;
    while user_processes(uid) > 0 {
        while let Ok(status) = nix::sys::wait::waitpid(
            nix::unistd::Pid::from_raw(-1),
            Some(nix::sys::wait::WaitPidFlag::WNOHANG),
        ) {
            if status == nix::sys::wait::WaitStatus::StillAlive {
                break;
            }
        }
        if !killed && Instant::now() + Duration::from_secs(10) > deadline {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pgid),
                nix::sys::signal::Signal::SIGKILL,
            );
            killed = true;
        }
        assert!(
            Instant::now() < deadline,
            "{SETUP_USER}'s daemon did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = Command::new(support::doctor_bin())
        .args(["fix", "--undo", "--user", SETUP_USER])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("(undoes `usermod --add-subuids"), "{text}");
    assert!(text.contains("ran `docker context rm rootless`"), "{text}");
    assert!(
        text.contains("installed slirp4netns (packages stay installed: remove them with the package manager if you want): not undone"),
        "{text}"
    );
    assert!(dpkg_installed(PACKAGE), "{text}");
    assert_eq!(fs::read("/etc/subuid").unwrap(), subuid, "{text}");
    assert_eq!(fs::read("/etc/subgid").unwrap(), subgid, "{text}");
    assert!(
        fs::symlink_metadata("/etc/sysctl.d/52-rootless-ping.conf").is_err(),
        "{text}"
    );
    assert_eq!(
        fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["1", "0"]
    );
}

/// How many processes (zombies included) run with `uid` as their real uid.
fn user_processes(uid: u32) -> usize {
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|e| {
            fs::read_to_string(e.path().join("status")).is_ok_and(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .is_some_and(|u| u == uid.to_string())
            })
        })
        .count()
}

/// `fix --apply --sudo` as a user runs exactly the root part through sudo: `sudo -- <this binary> fix --apply --part
/// root --user NAME TARGETS` (a `sudo` on PATH that records its arguments stands in for the real one, which would ask
/// for a password), and `--part root`, run as root, applies that part only.
#[test]
fn fix_sudo_runs_exactly_the_root_part_through_sudo() {
    let ok = testkit::live::ok_user();
    let Some(live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let user = live.ok_user();
    let _turn = host_turn();
    const KEY: &str = "/proc/sys/net/ipv4/ping_group_range";
    const FILE: &str = "/etc/sysctl.d/52-rootless-ping.conf";
    assert!(
        fs::symlink_metadata(FILE).is_err(),
        "{FILE} exists before the test"
    );
    let _restore = Restore {
        key_path: KEY,
        value: fs::read_to_string(KEY).unwrap(),
        file: FILE,
    };
    fs::write(KEY, "1 0").unwrap();
    let bin = user.xdg_runtime_dir.join("bin");
    fs::create_dir(&bin).unwrap();
    let record = user.xdg_runtime_dir.join("sudo.argv");
    fs::write(
        bin.join("sudo"),
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", record.display()),
    )
    .unwrap();
    fs::set_permissions(bin.join("sudo"), fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&user.xdg_runtime_dir, Some(user.uid), Some(user.gid)).unwrap();
    std::os::unix::fs::chown(&bin, Some(user.uid), Some(user.gid)).unwrap();
    let path = format!("{}:{}", bin.display(), support::PATH);
    let state = format!("XDG_STATE_HOME={}/state", user.xdg_runtime_dir.display());
    let doctor = support::doctor_bin().display().to_string();
    let run = support::Run::of(user.command_with_path(
        &path,
        Path::new("/usr/bin/env"),
        &[
            &state,
            &doctor,
            "fix",
            "--apply",
            "--sudo",
            "network.ping_group_range",
        ],
    ));
    assert!(run.stdout.contains("The root part, through sudo"), "{run}");
    let argv = fs::read_to_string(&record).unwrap();
    assert_eq!(
        argv.lines().collect::<Vec<_>>(),
        [
            "--",
            doctor.as_str(),
            "fix",
            "--apply",
            "--part",
            "root",
            "--user",
            ok.as_str(),
            "network.ping_group_range"
        ],
        "{run}"
    );
    // The stand-in changed nothing; the same command as root does the root part.
    assert!(fs::symlink_metadata(FILE).is_err());
    let out = Command::new(&doctor)
        .args([
            "fix",
            "--apply",
            "--part",
            "root",
            "--user",
            &ok,
            "network.ping_group_range",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("done     {FILE} written")), "{text}");
    let (code, text) = {
        let o = Command::new(&doctor)
            .args(["fix", "--undo", "--user", &ok])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(code, Some(0), "{text}");
    assert!(fs::symlink_metadata(FILE).is_err(), "{text}");
}

/// Audit finding: root's store holds every user's runs, and `fix --undo --user B` took the newest run, A's.
#[test]
fn regression_undo_for_one_user_took_another_users_run() {
    let ok = testkit::live::ok_user();
    let Some(live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let u = live.ok_user();
    let root = Root::new();
    let target = UserTarget {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        home: format!("/home/{}", u.name),
    };
    let mut a = root.applier(Some(target), "20261130T000000Z");
    done(a.apply(&Step::write_file(true, "/etc/theirs.conf", "x\n")));
    assert_eq!(
        apply::latest_run(root.path(), "/var/lib/rootless-doctor", "someone-else").unwrap(),
        None
    );
    assert!(
        apply::latest_run(root.path(), "/var/lib/rootless-doctor", &u.name)
            .unwrap()
            .is_some()
    );
}

/// Audit of the write path: root never changes a file in place through a directory others may write to (sticky,
/// as /tmp, or not), never a file with a second name (a hard link to a file elsewhere), and never makes a file
/// it does not own set-user-ID; a chown leaves the set-id bits the kernel cleared cleared.
#[test]
fn regression_root_changed_files_in_place_where_others_could_plant_them() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    fs::create_dir_all(root.at("/scratch")).unwrap();
    fs::set_permissions(root.at("/scratch"), fs::Permissions::from_mode(0o1777)).unwrap();
    root.write("/scratch/x", b"planted", 0o644);
    root.write("/etc/one", b"1", 0o644);
    fs::hard_link(root.at("/etc/one"), root.at("/etc/two")).unwrap();
    root.write("/usr/bin/tool", b"#!/bin/sh\n", 0o755);
    std::os::unix::fs::chown(root.at("/usr/bin/tool"), Some(4242), Some(4343)).unwrap();
    root.write("/usr/bin/newuidmap", b"#!/bin/sh\n", 0o755);
    root.write("/usr/bin/suid", b"#!/bin/sh\n", 0o755);
    fs::set_permissions(root.at("/usr/bin/suid"), fs::Permissions::from_mode(0o4755)).unwrap();

    let mut a = root.applier(None, "20261201T000000Z");
    let sticky = "/scratch: refused: the directory is writable by group or others (1777)";
    refused(a.apply(&Step::set_mode(true, "/scratch/x", 0o600)), sticky);
    refused(a.apply(&Step::set_owner("/scratch/x", "root:root")), sticky);
    refused(a.apply(&Step::write_file(true, "/scratch/y", "x")), sticky);
    refused(
        a.apply(&Step::set_owner("/etc/two", "4242:4343")),
        "/etc/two: refused: the file has 2 hard links",
    );
    refused(
        a.apply(&Step::set_mode(true, "/etc/one", 0o600)),
        "/etc/one: refused: the file has 2 hard links",
    );
    refused(
        a.apply(&Step::set_mode(true, "/usr/bin/tool", 0o4755)),
        "/usr/bin/tool: refused: it belongs to uid 4242, and root sets the set-user-ID or set-group-ID bit only on root's own files",
    );
    // root's own file may become set-user-ID: the fix for a newuidmap that lost the bit.
    done(a.apply(&Step::set_mode(true, "/usr/bin/newuidmap", 0o4755)));
    assert_eq!(
        fs::metadata(root.at("/usr/bin/newuidmap")).unwrap().mode() & 0o7777,
        0o4755
    );
    // A set-user-ID file that changes hands stops being one.
    done(a.apply(&Step::set_owner("/usr/bin/suid", "4242:4343")));
    assert_eq!(
        fs::metadata(root.at("/usr/bin/suid")).unwrap().mode() & 0o7777,
        0o755
    );
    assert_eq!(fs::read(root.at("/scratch/x")).unwrap(), b"planted");
    assert_eq!(
        fs::metadata(root.at("/scratch/x")).unwrap().mode() & 0o7777,
        0o644
    );
    assert_eq!(fs::metadata(root.at("/etc/two")).unwrap().uid(), 0);
    assert!(fs::symlink_metadata(root.at("/scratch/y")).is_err());
    // Undo gives the file back to root, without the set-user-ID bit: the file was another's meanwhile.
    let lines = root.undo(None);
    assert!(
        lines.contains(&"/usr/bin/suid: owner 0:0 again".to_owned()),
        "{lines:?}"
    );
    let m = fs::metadata(root.at("/usr/bin/suid")).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o7777), (0, 0o755));
}

/// Audit: "make a directory, then chown it" gave away a directory that was already there.
#[test]
fn regression_make_dir_then_chown_gave_away_a_directory_that_existed() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/run/user/4242/root-made", b"x", 0o600);
    fs::set_permissions(root.at("/run/user/4242"), fs::Permissions::from_mode(0o700)).unwrap();
    let mut a = root.applier(None, "20261201T000000Z");
    already(a.apply(&Step::make_dir_for("/run/user/4242", 0o700, "4242:4343")));
    let m = fs::metadata(root.at("/run/user/4242")).unwrap();
    assert_eq!((m.uid(), m.gid()), (0, 0));
    let made = done(a.apply(&Step::make_dir_for("/run/user/4343", 0o700, "4242:4343")));
    assert_eq!(made, "/run/user/4343 created (0700, owner 4242:4343)");
    let m = fs::metadata(root.at("/run/user/4343")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (4242, 4343, 0o700));
    already(a.apply(&Step::make_dir_for("/run/user/4343", 0o700, "4242:4343")));
    let lines = root.undo(None);
    assert!(
        lines.contains(&"/run/user/4343: removed (the apply created it)".to_owned()),
        "{lines:?}"
    );
    assert!(fs::symlink_metadata(root.at("/run/user/4343")).is_err());
    assert!(root.at("/run/user/4242/root-made").exists());
}

/// Audit: root's chown and chmod below a user's home were always refused (the owner rule), so giving back what
/// `sudo docker` left there could never be applied. Now the way is walked as the user, root gives the user their
/// files back through the descriptor that walk opened, and changes nothing else there.
#[test]
fn root_gives_back_what_lies_in_the_users_home_and_nothing_else() {
    let ok = testkit::live::ok_user();
    let Some(live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let u = live.ok_user();
    let root = Root::new();
    let home = root.home_of(&u);
    let docker = format!("{home}/.docker");
    let config = format!("{docker}/config.json");
    root.write(&config, b"{}\n", 0o600);
    fs::set_permissions(root.at(&docker), fs::Permissions::from_mode(0o700)).unwrap();
    // What a hostile user plants beside it: a link to a root file, a hard link to one, a linked directory.
    root.write("/etc/secret", b"root only", 0o600);
    symlink(root.at("/etc/secret"), root.at(&format!("{home}/link"))).unwrap();
    fs::hard_link(root.at("/etc/secret"), root.at(&format!("{home}/hard"))).unwrap();
    symlink(root.at("/etc"), root.at(&format!("{home}/etc"))).unwrap();
    let target = UserTarget {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        home: home.clone(),
    };
    let mine = format!("{}:", u.name);
    let mut a = root.applier(Some(target.clone()), "20261201T000000Z");
    done(a.apply(&Step::set_owner(docker.as_str(), mine.as_str())));
    done(a.apply(&Step::set_owner(config.as_str(), mine.as_str())));
    done(a.apply(&Step::set_mode(true, config.as_str(), 0o640)));
    already(a.apply(&Step::set_owner(config.as_str(), mine.as_str())));
    for p in [docker.as_str(), config.as_str()] {
        let m = fs::metadata(root.at(p)).unwrap();
        assert_eq!((m.uid(), m.gid()), (u.uid, u.gid), "{p}");
    }
    refused(
        a.apply(&Step::set_owner(config.as_str(), "root:root")),
        &format!(
            "{config}: refused: below {}'s own directories root gives files only to",
            u.name
        ),
    );
    refused(
        a.apply(&Step::set_owner(format!("{home}/link"), mine.as_str())),
        "link: refused: a symbolic link, not a regular file or directory",
    );
    refused(
        a.apply(&Step::set_owner(format!("{home}/hard"), mine.as_str())),
        "hard: refused: the file has 2 hard links",
    );
    refused(
        a.apply(&Step::set_owner(
            format!("{home}/etc/secret"),
            mine.as_str(),
        )),
        &format!("{home}/etc: refused: a symbolic link"),
    );
    refused(
        a.apply(&Step::set_mode(true, format!("{home}/hard"), 0o644)),
        "hard: refused: it belongs to uid 0",
    );
    let m = fs::metadata(root.at("/etc/secret")).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o7777), (0, 0o600));
    // Undo puts the mode back (as the user, on their file) and gives root nothing in the user's home: they could
    // have replaced the file with anything of theirs since.
    let lines = root.undo(Some(target));
    assert!(
        lines.contains(&format!("{config}: mode 0600 again")),
        "{lines:?}"
    );
    assert!(
        lines.contains(&format!(
            "{config}: given back to {}:{}; undo gives root nothing below the user's own directories: left as it is",
            u.uid, u.gid
        )),
        "{lines:?}"
    );
    let m = fs::metadata(root.at(&config)).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o7777), (u.uid, 0o600));
}

/// Audit: undo stopped at the first entry it could not put back. The user's entries come first in reverse (the
/// root part is applied first), so a user who removed or replaced one of their files kept root's entries from
/// ever being undone.
#[test]
fn regression_one_entry_the_user_broke_stopped_the_whole_undo() {
    let ok = testkit::live::ok_user();
    let Some(live) = support::start(&[Need::Root, Need::User(ok.clone())]) else {
        return;
    };
    let u = live.ok_user();
    let root = Root::new();
    let home = root.home_of(&u);
    root.write("/etc/a.conf", b"old\n", 0o644);
    let target = UserTarget {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        home: home.clone(),
    };
    let mut a = root.applier(Some(target.clone()), "20261201T000000Z");
    done(a.apply(&Step::write_file(true, "/etc/a.conf", "new\n")));
    let mine = format!("{home}/.config/docker/daemon.json");
    done(a.apply(&Step::write_file(false, mine.as_str(), "{}\n")));
    drop(a);
    // The user replaces their directory with a link.
    fs::remove_dir_all(root.at(&format!("{home}/.config/docker"))).unwrap();
    symlink("/etc", root.at(&format!("{home}/.config/docker"))).unwrap();
    let run = apply::latest_run(root.path(), "/var/lib/rootless-doctor", &u.name)
        .unwrap()
        .unwrap();
    let undone = apply::undo(root.path(), &run, Some(target), Who::Root).unwrap();
    assert_eq!(undone.failed, 1, "{:?}", undone.lines);
    assert!(
        undone.lines[0].starts_with(apply::UNDO_FAILED)
            && undone.lines[0]
                .contains(&format!("{home}/.config/docker: refused: a symbolic link")),
        "{:?}",
        undone.lines
    );
    assert!(
        undone
            .lines
            .contains(&"/etc/a.conf: put back as it was".to_owned()),
        "{:?}",
        undone.lines
    );
    assert_eq!(fs::read(root.at("/etc/a.conf")).unwrap(), b"old\n");
}

/// Audit: undo brought back a file the person deleted after the apply.
#[test]
fn regression_undo_recreated_a_file_deleted_since_the_apply() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/etc/a.conf", b"old\n", 0o644);
    let mut a = root.applier(None, "20261201T000000Z");
    done(a.apply(&Step::write_file(true, "/etc/a.conf", "new\n")));
    fs::remove_file(root.at("/etc/a.conf")).unwrap();
    assert_eq!(
        root.undo(None),
        ["/etc/a.conf: deleted since the apply: left as it is"]
    );
    assert!(fs::symlink_metadata(root.at("/etc/a.conf")).is_err());
}

/// Audit: undo read the run's journal and backups through plain paths; a link planted in the store (a `--root`
/// tree whose /var/lib someone else can write) led it elsewhere.
#[test]
fn regression_undo_followed_a_link_in_the_run_store() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/etc/a.conf", b"old\n", 0o644);
    let mut a = root.applier(None, "20261201T000000Z");
    done(a.apply(&Step::write_file(true, "/etc/a.conf", "new\n")));
    let run = a.run_dir().to_owned();
    drop(a);
    // The backup becomes a link to a root-only file: undo must not copy that file over /etc/a.conf.
    root.write("/etc/secret", b"root only\n", 0o600);
    let backup = root.at(&format!("{run}/files/1"));
    fs::remove_file(&backup).unwrap();
    symlink(root.at("/etc/secret"), &backup).unwrap();
    let undone = apply::undo(root.path(), &run, None, Who::Root).unwrap();
    assert_eq!(undone.failed, 1);
    assert!(
        undone.lines[0].starts_with(apply::UNDO_FAILED)
            && undone.lines[0].contains(&format!("{run}/files/1: refused: a symbolic link")),
        "{:?}",
        undone.lines
    );
    assert_eq!(fs::read(root.at("/etc/a.conf")).unwrap(), b"new\n");
    // A journal that is a link is no journal: the run is not offered for undo, and undo of it is refused.
    let journal = root.at(&format!("{run}/journal.json"));
    let copy = root.at("/etc/journal.json");
    fs::copy(&journal, &copy).unwrap();
    fs::remove_file(&journal).unwrap();
    symlink(&copy, &journal).unwrap();
    assert_eq!(
        apply::latest_run(root.path(), "/var/lib/rootless-doctor", "alice").unwrap(),
        None
    );
    let e = apply::undo(root.path(), &run, None, Who::Root).unwrap_err();
    assert!(
        e.0.contains("journal.json: refused: a symbolic link"),
        "{e}"
    );
}

/// Audit: a file name near the 255-byte limit made the temporary name beside it too long to create.
#[test]
fn regression_a_long_file_name_overflowed_the_temporary_name() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    root.write("/etc/placeholder", b"", 0o644);
    let name = format!("/etc/{}.conf", "a".repeat(250));
    let mut a = root.applier(None, "20261201T000000Z");
    done(a.apply(&Step::write_file(true, name.as_str(), "x\n")));
    done(a.apply(&Step::write_file(true, name.as_str(), "y\n")));
    assert_eq!(fs::read(root.at(&name)).unwrap(), b"y\n");
    let names: Vec<String> = fs::read_dir(root.at("/etc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.contains("rootless-doctor-tmp")),
        "{names:?}"
    );
    drop(a);
    let lines = root.undo(None);
    assert!(
        lines[1].ends_with(".conf: removed (the apply created it)"),
        "{lines:?}"
    );
    assert!(fs::symlink_metadata(root.at(&name)).is_err());
}

/// Audit: a removed link's target was stored lossily, so undo could make a different link.
#[test]
fn regression_a_link_target_that_is_not_utf8_was_stored_lossily() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    use std::os::unix::ffi::OsStrExt;
    let root = Root::new();
    root.write("/etc/placeholder", b"", 0o644);
    let target = std::ffi::OsStr::from_bytes(b"/nowhere/\xff");
    symlink(target, root.at("/etc/odd")).unwrap();
    let mut a = root.applier(None, "20261201T000000Z");
    refused(
        a.apply(&Step::remove(true, "/etc/odd")),
        "/etc/odd: refused: a link whose target is not UTF-8",
    );
    assert_eq!(
        fs::read_link(root.at("/etc/odd")).unwrap().as_os_str(),
        target
    );
}

/// The script's form of a step: `render()` run by `sh -eu` (dash on Debian), as `fix --format script` does.
fn run_script(step: &Step) -> std::process::Output {
    Command::new("sh")
        .args(["-eu", "-c", &step.render()])
        .output()
        .expect("sh")
}

#[test]
fn edit_json_keeps_other_keys_applies_once_undoes_byte_for_byte_and_matches_its_script() {
    let Some(_live) = support::start(&[Need::Root]) else {
        return;
    };
    let root = Root::new();
    let original = "{\n    \"storage-driver\": \"overlay2\",\n    \"rootless\": false,\n    \"log-opts\": {\"max-size\": \"10m\"},\n    \"debug\": true\n}\n";
    root.write("/etc/docker/daemon.json", original.as_bytes(), 0o640);
    root.write("/etc/docker/bad.json", b"{\n  \"a\": 1,\n}\n", 0o644);
    root.write("/etc/docker/list.json", b"\n  [1]\n", 0o644);
    let secret = tempfile::NamedTempFile::new().unwrap();
    fs::write(secret.path(), b"{\"root\": \"only\"}").unwrap();
    symlink(secret.path(), root.at("/etc/docker/link.json")).unwrap();
    let before = root.snapshot();

    let set: serde_json::Map<String, serde_json::Value> =
        [("dns".to_owned(), serde_json::json!(["192.168.1.1"]))]
            .into_iter()
            .collect();
    let remove = vec!["rootless".to_owned()];
    let edit = |path: &str, base: Option<&str>| {
        Step::edit_json(true, path, base, set.clone(), remove.clone()).expect("an edit")
    };
    let step = edit("/etc/docker/daemon.json", Some(original));
    let expected = "{\n  \"storage-driver\": \"overlay2\",\n  \"log-opts\": {\n    \"max-size\": \"10m\"\n  },\n  \"debug\": true,\n  \"dns\": [\n    \"192.168.1.1\"\n  ]\n}\n";
    assert_eq!(step.stdin.as_deref(), Some(expected));
    assert_eq!(
        step.describe(),
        "set \"dns\": [\"192.168.1.1\"], remove \"rootless\" in /etc/docker/daemon.json"
    );
    // A missing file is `{}`, made 0644.
    let new = edit("/etc/docker/new.json", None);

    let mut a = root.applier(None, "20261130T000000Z");
    done(a.apply(&step));
    done(a.apply(&new));
    assert_eq!(
        fs::read_to_string(root.at("/etc/docker/daemon.json")).unwrap(),
        expected
    );
    let m = fs::metadata(root.at("/etc/docker/daemon.json")).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o640, "a replaced file keeps its mode");
    assert_eq!(
        fs::read_to_string(root.at("/etc/docker/new.json")).unwrap(),
        "{\n  \"dns\": [\n    \"192.168.1.1\"\n  ]\n}\n"
    );
    assert_eq!(
        fs::metadata(root.at("/etc/docker/new.json"))
            .unwrap()
            .mode()
            & 0o7777,
        0o644
    );
    // What is not a JSON object is refused at its line and column; a link is never followed.
    refused(
        a.apply(&edit("/etc/docker/bad.json", None)),
        "/etc/docker/bad.json:3:1: trailing comma",
    );
    refused(
        a.apply(&edit("/etc/docker/list.json", None)),
        "/etc/docker/list.json:2:3: the top level is an array, not an object: not edited",
    );
    refused(
        a.apply(&edit("/etc/docker/link.json", None)),
        "/etc/docker/link.json: refused: a symbolic link",
    );
    assert_eq!(fs::read(secret.path()).unwrap(), b"{\"root\": \"only\"}");

    // The second apply changes nothing.
    let after = root.snapshot();
    let mut again = root.applier(None, "20261130T000001Z");
    already(again.apply(&step));
    already(again.apply(&new));
    assert_eq!(root.snapshot(), after);
    // Undo restores every file byte for byte, and removes the one it made.
    root.undo(None);
    assert_eq!(root.snapshot(), before);

    // The script writes the same bytes as --apply, and only over the content the plan read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.json").display().to_string();
    fs::write(&path, original).unwrap();
    let script =
        Step::edit_json(false, &path, Some(original), set.clone(), remove.clone()).unwrap();
    let out = run_script(&script);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(fs::read_to_string(&path).unwrap(), expected);
    // Run again, it refuses: the file is not the one the plan read.
    let out = run_script(&script);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "{path}: changed since rootless-doctor read it: not edited"
        )),
        "{out:?}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), expected);
    // A missing file (and directory) is made by the script as by --apply; once there, the script stops.
    let missing = dir.path().join("sub/daemon.json").display().to_string();
    let create = Step::edit_json(false, &missing, None, set.clone(), remove.clone()).unwrap();
    let out = run_script(&create);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        fs::read_to_string(&missing).unwrap(),
        "{\n  \"dns\": [\n    \"192.168.1.1\"\n  ]\n}\n"
    );
    let out = run_script(&create);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("appeared since rootless-doctor looked"),
        "{out:?}"
    );
}
