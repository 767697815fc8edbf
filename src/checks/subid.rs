//! /etc/subuid and /etc/subgid: the subordinate ids RootlessKit maps into the user namespace.

use super::{Check, Judges, Scope, grouped, unreadable};
use crate::facts::launch::{Exit, Trial};
use crate::facts::subids::{Getsubids, SubidNss};
use crate::facts::{Facts, FileKind, Read, SubidFile};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::{
    id_map,
    subid::{self, SubidEntry},
};

/// Docker's documented minimum: "65,536 entries is enough for most images".
pub const MIN_RANGE: u64 = 65536;

const REF: &str = "https://docs.docker.com/engine/security/rootless/troubleshoot/; subuid(5)";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "subid.files",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: false,
        judges: Judges::Rootless,
        title: "/etc/subuid and /etc/subgid are regular root-owned files that parse cleanly",
        reference: "subuid(5); https://github.com/rootless-containers/rootlesskit/issues/259",
        explain: "\
What it checks: /etc/subuid and /etc/subgid exist, are regular files (not symlinks), are owned by root, are not writable by \
group or others, are readable by everyone (RootlessKit reads them as you), and every line parses as `owner:start:count` \
(owner is a login name or a numeric UID; `#` comments and blank lines are allowed). Bad lines are named by file and line number.

Why it matters: newuidmap refuses a symlinked file; a writable file lets any user give themselves any id range \
(root of the host included); a line that doesn't parse is ignored by some readers and fatal to others.

What you see when it's wrong: `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap … failed: : exit status 1` \
(symlink), `Cannot parse subuid/gid information: Format not correct for /etc/subuid file`, or Podman's \
`open /etc/subuid: permission denied`.

How to fix: make them plain files: `sudo cp --remove-destination \"$(readlink -f /etc/subuid)\" /etc/subuid`, \
`sudo chown root:root /etc/subuid /etc/subgid`, `sudo chmod 0644 /etc/subuid /etc/subgid`, and correct or delete the lines named.",
        packages: &[],
        removes: &[],
        run: files,
    },
    Check {
        id: "subid.entries",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "The user has subordinate id ranges in both /etc/subuid and /etc/subgid",
        reference: REF,
        explain: "\
What it checks: at least one line of /etc/subuid and one of /etc/subgid belongs to the user, by login name or by UID \
(both forms are valid in subuid(5)).

Why it matters: RootlessKit maps these ranges into the user namespace; without them only your own uid exists inside, \
and dockerd refuses to start.

What you see when it's wrong: `[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: \
No subuid ranges found for user 1001 (\"testuser\")` (or `No subgid ranges found`). dockerd-rootless-setuptool.sh suggests \
`echo \"testuser:100000:65536\" >> /etc/subuid`.

How to fix: `sudo usermod --add-subuids START-END --add-subgids START-END USER` with a free range of 65,536 ids; \
rootless-doctor computes one that overlaps no other user's range. `useradd` on current distributions allocates one for new users.",
        packages: &[],
        removes: &[],
        run: entries,
    },
    Check {
        id: "subid.range_size",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "The user's subordinate ranges hold at least 65,536 ids each",
        reference: REF,
        explain: "\
What it checks: the union of the user's ranges in /etc/subuid, and in /etc/subgid, holds at least 65,536 ids.

Why it matters: image layers own files as uids and gids up to 65,535 (nobody is 65534). An id outside the mapped range \
cannot be created inside the user namespace.

What you see when it's wrong: `docker: failed to register layer: Error processing tar file(exit status 1): lchown <FILE>: invalid argument` \
while pulling.

How to fix: give the user a larger range, e.g. `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER` \
(rootless-doctor computes a free one), then restart the daemon.",
        packages: &[],
        removes: &[],
        run: range_size,
    },
    Check {
        id: "subid.overlap",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "The user's ranges overlap neither each other nor another user's",
        reference: "subuid(5); https://github.com/rootless-containers/rootlesskit/issues/476; https://github.com/shadow-maint/shadow/issues/424",
        explain: "\
What it checks: no range of the user overlaps a range of another owner in the same file, and the user's own ranges don't \
overlap each other.

Why it matters: two users sharing subordinate ids share file ownership inside their containers: one user's container root \
can read and write the other's container files. Overlapping ranges of one user are rejected by the kernel when written to uid_map.

What you see when it's wrong: `newuidmap: write to uid_map failed: Invalid argument` for overlapping ranges of one user; \
nothing at all for an overlap with another user, until files leak between them.

How to fix: delete the overlapping lines and allocate fresh ranges: `sudo usermod --del-subuids START-END USER` then \
`sudo usermod --add-subuids START-END USER` with a free range.",
        packages: &[],
        removes: &[],
        run: overlap,
    },
    Check {
        id: "subid.own_id",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "No subordinate range contains the user's own uid (or gid)",
        reference: "https://github.com/rootless-containers/rootlesskit/issues/476; subuid(5)",
        explain: "\
What it checks: none of the user's /etc/subuid ranges contains the user's own UID, and none of the /etc/subgid ranges \
contains the user's primary GID.

Why it matters: RootlessKit maps your own id to root inside the namespace and the subordinate ranges after it; \
mapping the same outside id twice is invalid.

What you see when it's wrong: `newuidmap: write to uid_map failed: Invalid argument` (a line like `alice:1000:1` is the usual cause).

How to fix: delete the line or range that holds your own id (`sudo usermod --del-subuids 1000-1000 USER`).",
        packages: &[],
        removes: &[],
        run: own_id,
    },
    Check {
        id: "subid.passwd_overlap",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "The user's ranges contain no real uid from /etc/passwd (or gid from /etc/group)",
        reference: "subuid(5); useradd(8); login.defs(5)",
        explain: "\
What it checks: no range of the user in /etc/subuid contains the UID of another account in /etc/passwd, and no range in \
/etc/subgid contains the GID of a group in /etc/group.

Why it matters: container processes run as the mapped subordinate ids. If one of them is a real account's uid, root in \
your container owns that account's files on the host. useradd keeps ranges above SUB_UID_MIN (100000) for this reason.

What you see when it's wrong: nothing fails; files created in volumes show up owned by a real user (`ls -l` names them).

How to fix: move the range above every real id: delete it with `sudo usermod --del-subuids START-END USER` and add a free one \
starting at 100000 or above.",
        packages: &[],
        removes: &[],
        run: passwd_overlap,
    },
    Check {
        id: "subid.nested_userns",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: true,
        per_user: true,
        judges: Judges::Rootless,
        title: "Inside a user namespace (LXC, LXD, a container), the ranges lie inside the parent's map",
        reference: "user_namespaces(7); https://docs.docker.com/engine/security/rootless/",
        explain: "\
What it checks: whether this process already runs in a user namespace (/proc/self/uid_map is not `0 0 4294967295`), \
and if so, that every subordinate range of the user lies inside the ids that namespace has mapped (the inside column of \
/proc/self/uid_map and gid_map).

Why it matters: in an unprivileged LXC/LXD container or Proxmox CT, only the ids the host mapped exist. newuidmap cannot map \
an id the parent namespace doesn't have.

What you see when it's wrong: `newuidmap: write to uid_map failed: Operation not permitted`.

How to fix: give the container a larger id map on the host (LXD: `security.idmap.size`, raw.idmap; Proxmox: lxc.idmap), \
or shrink the user's ranges inside the container to ids the container has (e.g. start at 100000 with 65,536 ids when the \
container maps 0-165535 or more).",
        packages: &[],
        removes: &[],
        run: nested,
    },
    Check {
        id: "subid.nss",
        area: "subid",
        scope: Scope::Probe,
        needs_runtime: false,
        per_user: true,
        judges: Judges::Rootless,
        title: "A subid module named in /etc/nsswitch.conf gives the user ranges newuidmap accepts",
        reference: "subuid(5); getsubids(1); nsswitch.conf(5); https://github.com/shadow-maint/shadow/blob/4.13/lib/nss.c",
        explain: "\
What it checks: shadow (4.11 and later) reads subordinate ids from a module instead of the files when /etc/nsswitch.conf \
says so (`subid: sss` loads libsubid_sss.so; only the first `subid:` line with a value counts, and only its first word: \
`subid: sss files` is sss alone). Then newuidmap and newgidmap ask the module whether a range is yours, and never read \
/etc/subuid or /etc/subgid. The check runs `getsubids USER`, `getsubids UID`, `getsubids -g USER` and `getsubids -g UID` \
as you, as RootlessKit does, takes the ranges RootlessKit would map (those, or the files' when getsubids gives none for \
either kind or `--subid-source=static` is set), and asks whether the module grants them, as newuidmap will. A module \
named but not installed is reported too: shadow then says `Error opening libsubid_NAME.so` and reads the files. It runs \
programs, so `preflight` leaves it to `preflight --probe` and `check`.

Why it matters: on a host joined to FreeIPA or another directory, the files may still hold lines that every file-reading \
tool (dockerd-rootless-setuptool.sh's `grep`) accepts, while newuidmap refuses them because the module does not list them.

What you see when it's wrong: `[rootlesskit:parent] error: failed to setup UID/GID map: newuidmap PID [0 1000 1 1 100000 \
65536] failed: newuidmap: uid range [1-65537) -> [100000-165536) not allowed`, or `failed to compute uid/gid map: No subuid \
ranges found for user 1000 (\"alice\")`.

How to fix: ask the directory's administrator for ranges (FreeIPA: `ipa subid-generate --owner USER`), then check with \
`getsubids USER` and `getsubids -g USER`; or, to use the files, remove the `subid:` line from /etc/nsswitch.conf.",
        packages: &[],
        removes: &[],
        run: nss,
    },
];

/// The two files judged side by side.
struct Side<'a> {
    file: &'a Read<SubidFile>,
    path: &'static str,
    /// "uid" or "gid".
    id_kind: &'static str,
    /// The user's own uid (subuid) or primary gid (subgid).
    own: u32,
}

fn sides<'a>(f: &'a Facts) -> [Side<'a>; 2] {
    [
        Side {
            file: f.subuid(),
            path: "/etc/subuid",
            id_kind: "uid",
            own: f.user.uid,
        },
        Side {
            file: f.subgid(),
            path: "/etc/subgid",
            id_kind: "gid",
            own: f.user.gid,
        },
    ]
}

fn mine(f: &Facts, file: &SubidFile) -> Vec<SubidEntry> {
    file.mine(&f.user.name, f.user.uid)
}

fn cite(path: &str, e: &SubidEntry) -> Evidence {
    Evidence {
        source: format!("{path}:{}", e.line),
        detail: format!("{}:{}:{}", e.owner, e.start, e.count),
    }
}

/// The first free range of 65,536 ids at or above 100,000 (useradd's SUB_UID_MIN): outside every range of both
/// files and every real uid and gid, below (uid_t)-1, and, inside a user namespace, within what its maps cover.
fn free_range(f: &Facts) -> Option<(u64, u64)> {
    const LIMIT: u64 = 4_294_967_295;
    let mut taken: Vec<(u64, u64)> = Vec::new();
    for side in sides(f) {
        if let Read::Ok(file) = side.file {
            taken.extend(file.ranges());
        }
    }
    if let Read::Ok(p) = f.passwd() {
        taken.extend(p.iter().map(|e| (u64::from(e.uid), u64::from(e.uid) + 1)));
    }
    if let Read::Ok(g) = f.groups() {
        taken.extend(g.iter().map(|e| (u64::from(e.gid), u64::from(e.gid) + 1)));
    }
    let maps: Vec<&[id_map::IdMapEntry]> = [f.uid_map(), f.gid_map()]
        .into_iter()
        .filter_map(|m| m.ok().map(Vec::as_slice))
        .filter(|m| !id_map::is_initial_namespace(m))
        .collect();
    // Candidates: 100,000, the end of everything taken, and the start of every mapped window.
    let mut candidates: Vec<u64> = vec![100_000];
    candidates.extend(taken.iter().map(|(_, end)| *end));
    for m in &maps {
        candidates.extend(m.iter().map(|e| e.inside));
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
        .into_iter()
        .filter(|c| *c >= 100_000)
        .find_map(|start| {
            let end = start.checked_add(MIN_RANGE)?;
            let free = end <= LIMIT
                && !taken.iter().any(|(s, e)| *s < end && start < *e)
                && maps
                    .iter()
                    .all(|m| id_map::covers_inside(m, start, MIN_RANGE));
            free.then_some((start, end - 1))
        })
}

/// Adds a free range to the files that need one (`uids`, `gids`).
fn add_ranges(f: &Facts, uids: bool, gids: bool) -> Remediation {
    if !f.user.known {
        // The user's own line may be there but unreadable: name the lines that were skipped.
        let skipped: Vec<String> = match f.passwd() {
            Read::Ok(p) => p
                .skipped
                .iter()
                .map(|e| format!(" /etc/passwd:{}: {}.", e.line, e.message))
                .collect(),
            _ => Vec::new(),
        };
        return Remediation::text(format!(
            "uid {} has no entry in the user database, so usermod cannot name it: add the user to /etc/passwd (or your \
directory service) first, then give it 65,536 subordinate ids.{}",
            f.user.uid,
            skipped.concat()
        ));
    }
    let Some((start, end)) = free_range(f) else {
        return Remediation::text(format!(
            "No free range of {} ids is left (below 4294967295, outside every other range and real id, and inside this \
namespace's map when nested): free one, or map more ids into this container.",
            grouped(MIN_RANGE)
        ));
    };
    let range = format!("{start}-{end}");
    let files = match (uids, gids) {
        (true, false) => "/etc/subuid",
        (false, true) => "/etc/subgid",
        _ => "both files",
    };
    let mut argv = vec!["usermod".to_owned()];
    let mut undo = vec!["usermod".to_owned()];
    if uids {
        argv.extend(["--add-subuids".to_owned(), range.clone()]);
        undo.extend(["--del-subuids".to_owned(), range.clone()]);
    }
    if gids {
        argv.extend(["--add-subgids".to_owned(), range.clone()]);
        undo.extend(["--del-subgids".to_owned(), range.clone()]);
    }
    argv.push(f.user.name.clone());
    undo.push(f.user.name.clone());
    Remediation::text(format!(
        "Give {} a free range of {} ids in {files} ({range}: no other user's range, no real uid or gid), then restart \
the daemon:",
        f.user.name,
        grouped(MIN_RANGE)
    ))
    .step(Step::root(argv).undo(undo))
}

/// Deletes exactly `bad` (file kind "uid"/"gid", entry) and adds a free range in place of each file touched.
fn replace_ranges(f: &Facts, intro: &str, bad: &[(&'static str, SubidEntry)]) -> Remediation {
    let uids = bad.iter().any(|(k, _)| *k == "uid");
    let gids = bad.iter().any(|(k, _)| *k == "gid");
    let add = add_ranges(f, uids, gids);
    if !f.user.known {
        return add;
    }
    let mut steps = Vec::new();
    for (kind, e) in bad {
        let (flag, undo) = if *kind == "uid" {
            ("--del-subuids", "--add-subuids")
        } else {
            ("--del-subgids", "--add-subgids")
        };
        let range = format!("{}-{}", e.start, e.end() - 1);
        let step = Step::root(["usermod", flag, range.as_str(), f.user.name.as_str()]).undo([
            "usermod",
            undo,
            range.as_str(),
            f.user.name.as_str(),
        ]);
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    Remediation::text(format!("{intro} {}", add.text))
        .steps(steps)
        .steps(add.steps)
}

/// Gets both files or the verdict that explains why we can't.
fn require_both<'a>(f: &'a Facts) -> Result<[(&'a SubidFile, Side<'a>); 2], Verdict> {
    if let Some((name, library)) = nss_module(f) {
        return Err(Verdict::skip(format!(
            "the files do not decide: shadow takes subordinate ids from {library} (`subid: {name}` in \
/etc/nsswitch.conf), which subid.nss questions"
        )));
    }
    let [u, g] = sides(f);
    let get = |s: &Side<'a>| -> Result<&'a SubidFile, Verdict> {
        match s.file {
            Read::Ok(file) => Ok(file),
            Read::Failed(e) => Err(unreadable(s.path, e)),
            Read::Missing => Err(Verdict::skip(format!(
                "{} does not exist (see subid.files)",
                s.path
            ))),
        }
    };
    let uf = get(&u)?;
    let gf = get(&g)?;
    Ok([(uf, u), (gf, g)])
}

/// How RootlessKit's static parser reads a line shadow uses differently from shadow (empty when they agree).
fn static_disagreements(e: &SubidEntry, raw: &str, path: &str) -> Vec<String> {
    let static_reader = "RootlessKit's own parser";
    match subid::static_line(raw) {
        subid::StaticLine::Skipped => vec![format!("{static_reader} skips it as a comment")],
        subid::StaticLine::Malformed => vec![format!(
            "shadow ignores what follows the third field, but {static_reader} then fails for every user with \
\"Cannot parse subuid/gid information: Format not correct for {path} file\""
        )],
        subid::StaticLine::Fields {
            owner,
            start,
            count,
        } => {
            let mut out = Vec::new();
            if owner != e.owner {
                out.push(format!(
                    "owner {:?} for shadow, {owner:?} for {static_reader} (it trims the line)",
                    e.owner
                ));
            }
            for (what, field, value) in [("start", start, e.start), ("count", count, e.count)] {
                match subid::go_atoi(field) {
                    Ok(v) if u64::try_from(v) == Ok(value) => {}
                    Ok(v) => out.push(format!(
                        "{what} {field:?} is {value} for shadow (strtoul base 0: a leading 0 is octal, 0x hex) and {v} for {static_reader} (decimal)"
                    )),
                    Err(err) => out.push(format!(
                        "{what} {field:?} is {value} for shadow, and {static_reader} fails: {err}"
                    )),
                }
            }
            out
        }
    }
}

fn files(f: &Facts) -> Verdict {
    let mut problems: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut evidence = Vec::new();
    let mut steps = Vec::new();
    let mut worst_is_error = None;
    for side in sides(f) {
        let path = side.path;
        match f.lstat(path) {
            Read::Missing => {
                problems.push(format!("{path} does not exist"));
                evidence.push(Evidence {
                    source: path.into(),
                    detail: "missing".into(),
                });
                continue;
            }
            Read::Failed(e) => {
                worst_is_error = Some(unreadable(path, &e));
                continue;
            }
            Read::Ok(meta) => {
                let detail = format!(
                    "{}, mode {:04o}, owner {}:{}",
                    meta.kind.describe(),
                    meta.mode,
                    meta.uid,
                    meta.gid
                );
                evidence.push(Evidence {
                    source: path.into(),
                    detail,
                });
                if meta.kind == FileKind::Symlink {
                    let target = f.read_link(path).ok().cloned().unwrap_or_default();
                    let target_is_file =
                        matches!(f.stat(path), Read::Ok(m) if m.kind == FileKind::File);
                    match f.canonicalize(path) {
                        // Copying is right only for a regular file: `cp` of a device or a FIFO never ends.
                        Read::Ok(_) if !target_is_file => {
                            problems.push(format!(
                                "{path} is a symlink to {target}, which is not a regular file; newuidmap refuses it"
                            ));
                            steps.push(Step::remove(true, path));
                        }
                        // The link gives way to a root-owned copy of what it points at (`cp --remove-destination`).
                        Read::Ok(_) => {
                            problems.push(format!(
                                "{path} is a symlink to {target}; newuidmap refuses it"
                            ));
                            // (Unread, the copy would be lost with the link: no step then, the problem stays listed.)
                            if let Read::Ok(content) = f.read(path) {
                                steps.push(Step::remove(true, path));
                                steps.push(Step::write_file(true, path, content.as_str()));
                            }
                        }
                        // A dangling link (its NFS target not mounted) or a loop: there is nothing to copy.
                        _ => {
                            problems.push(format!(
                                "{path} is a symlink to {target}, which does not resolve (dangling, or a loop); newuidmap refuses it"
                            ));
                            steps.push(Step::remove(true, path));
                        }
                    }
                } else if meta.kind != FileKind::File {
                    problems.push(format!(
                        "{path} is a {}, not a regular file",
                        meta.kind.describe()
                    ));
                } else {
                    if meta.uid != 0 {
                        problems.push(format!("{path} is owned by uid {}, not root", meta.uid));
                        steps.push(Step::set_owner(path, "root:root"));
                    }
                    if meta.mode & 0o022 != 0 {
                        problems.push(format!(
                            "{path} is writable by {} (mode {:04o})",
                            if meta.world_writable() {
                                "everyone"
                            } else {
                                "its group"
                            },
                            meta.mode
                        ));
                        steps.push(Step::set_mode(true, path, 0o644));
                    } else if meta.mode & 0o004 == 0 {
                        problems.push(format!("{path} is not readable by other users (mode {:04o}); RootlessKit reads it as you", meta.mode));
                        steps.push(Step::set_mode(true, path, 0o644));
                    }
                }
            }
        }
        if let Read::Ok(file) = side.file {
            for err in file.errors() {
                problems.push(format!("{path}:{}: {}", err.line, err.message));
                evidence.push(Evidence {
                    source: format!("{path}:{}", err.line),
                    detail: err.message.clone(),
                });
            }
            // The usual line (`alice:100000:65536`) reads alike; only the others are read twice to compare.
            for (e, raw) in file.read_otherwise() {
                for d in static_disagreements(&e, raw, path) {
                    warnings.push(format!("{path}:{}: {d}", e.line));
                    evidence.push(Evidence {
                        source: format!("{path}:{}", e.line),
                        detail: d,
                    });
                }
            }
        }
    }
    if let Some(v) = worst_is_error {
        return v.with_evidence(evidence);
    }
    // `--subid-source=static` (row 2.12): RootlessKit never asks getsubids, so its own parser's reading is the one
    // that counts.
    if static_source(f) && !warnings.is_empty() {
        evidence.push(Evidence {
            source: "DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS".into(),
            detail: "--subid-source=static: RootlessKit reads /etc/subuid and /etc/subgid itself, never through getsubids".into(),
        });
        problems.push(format!(
            "RootlessKit is started with --subid-source=static (DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS), so its own parser \
reads the files: {}",
            warnings.join("; ")
        ));
        warnings.clear();
    }
    if problems.is_empty() && !warnings.is_empty() {
        return Verdict::warn(format!(
            "{}; these lines work through getsubids (shadow's reading) but not where RootlessKit reads the files itself \
(getsubids missing or finding no range; subid.entries says which one this host uses)",
            warnings.join("; ")
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Write each line as both read it: owner:start:count, decimal numbers without leading zeros, no blanks, \
nothing after the count.",
        ));
    }
    problems.extend(warnings);
    if problems.is_empty() {
        return Verdict::pass(
            "/etc/subuid and /etc/subgid are regular root-owned files (0644) that parse cleanly",
        )
        .with_evidence(evidence);
    }
    let summary = problems.join("; ");
    Verdict::fail(summary).with_evidence(evidence).fix(
        Remediation::text(
            "Make both files plain, root-owned, mode 0644, and correct or delete the lines named above \
(each line is owner:start:count).",
        )
        .steps(steps),
    )
}

/// Whether the start's RootlessKit is told `--subid-source=static` (in DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS): it then
/// reads the files with its own parser and never runs getsubids (RootlessKit v1.1.0+ `pkg/parent/parent.go`,
/// `getSubIDRanges`).
fn static_source(f: &Facts) -> bool {
    f.start_flags_value("subid-source").as_deref() == Some("static")
}

/// When /etc/nsswitch.conf names a module shadow cannot load: it says so and reads the files.
fn nss_unloadable_evidence(f: &Facts) -> Vec<Evidence> {
    match f.subid_nss() {
        SubidNss::Unloadable { name, why } => vec![Evidence {
            source: "/etc/nsswitch.conf".into(),
            detail: format!(
                "subid: {name}, a module shadow cannot load ({why}): it prints \"Error opening libsubid_{name}.so\" \
and \"Using files\", and reads the files"
            ),
        }],
        _ => Vec::new(),
    }
}

/// shadow's `subid:` module, when one loads: then newuidmap, newgidmap and getsubids ask it, never the files.
fn nss_module<'a>(f: &'a Facts) -> Option<(&'a str, &'a str)> {
    match f.subid_nss() {
        SubidNss::Module { name, library } => Some((name.as_str(), library.as_str())),
        _ => None,
    }
}

// --- what RootlessKit, newuidmap/newgidmap and the kernel do with the files ---------------------------------------
//
// docs/launch-sequence.md rows 2.11–2.20, from RootlessKit's `pkg/parent/parent.go` (`getSubIDRanges`,
// `newugidmapArgsFromSubIDRanges`), `pkg/parent/dynidtools` and `pkg/parent/idtools` (v1.1.0, v1.1.1, v2.x, v3.0.1),
// and shadow 4.13's `lib/subordinateio.c` (`list_owner_ranges`, `find_range`, `have_range`) and `src/newuidmap.c`.

/// RootlessKit from 1.1.1 on removes a range getsubids listed twice (`withoutDuplicates` in dynidtools); 1.1.0 maps
/// it twice. The static parser never removes one.
const RK_DEDUP: (u64, u64, u64) = (1, 1, 1);

/// A range RootlessKit passes to newuidmap or newgidmap, with the line it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Passed {
    line: usize,
    start: i64,
    count: i64,
}

/// Where RootlessKit took the ranges from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Getsubids,
    Static,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Getsubids => "getsubids",
            Source::Static => {
                "RootlessKit's own parser of the files (getsubids missing or finding no range, or --subid-source=static)"
            }
        }
    }
}

/// How the launch fails at the id maps.
#[derive(Debug, Clone, PartialEq, Eq)]
enum MapFailure {
    /// RootlessKit's own error computing the ranges (`failed to compute uid/gid map: …`).
    Compute(String),
    /// newuidmap/newgidmap refuse a range shadow does not grant (`… range [U-U+C) -> [L-L+C) not allowed`).
    NotAllowed { kind: &'static str, message: String },
    /// The kernel refuses the map: two extents overlap (`write to uid_map failed: Invalid argument`).
    Overlap {
        kind: &'static str,
        message: String,
        lines: Vec<usize>,
    },
}

impl MapFailure {
    fn message(&self) -> String {
        match self {
            MapFailure::Compute(m) => {
                format!(
                    "[rootlesskit:parent] error: failed to setup UID/GID map: failed to compute uid/gid map: {m}"
                )
            }
            MapFailure::NotAllowed { message, .. } | MapFailure::Overlap { message, .. } => {
                message.clone()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Launch {
    source: Source,
    uids: Vec<Passed>,
    gids: Vec<Passed>,
    failure: Option<MapFailure>,
}

/// The installed RootlessKit's version, from the package database.
fn rootlesskit_version(f: &Facts) -> Option<(String, (u64, u64, u64))> {
    let package = f.distro().package("rootlesskit");
    let v = f.package_version(package)?;
    let parsed = crate::parse::pkgdb::semver_prefix(crate::parse::pkgdb::upstream_version(&v))?;
    Some((format!("{package} {v}"), parsed))
}

/// RootlessKit's static parser over `path` for the judged user: its ranges, or its error word for word. A file that
/// cannot be read is empty to it.
fn static_ranges(f: &Facts, path: &str) -> Result<Vec<Passed>, String> {
    let file = if path == "/etc/subuid" {
        f.subuid()
    } else {
        f.subgid()
    };
    let ranges = match file {
        Read::Ok(file) => file.rootlesskit_static(&f.user)?,
        _ => subid::rootlesskit_static("", path, f.user.uid, &f.user.name)?,
    };
    Ok(ranges
        .into_iter()
        .map(|r| Passed {
            line: r.line,
            start: r.start,
            count: r.count,
        })
        .collect())
}

/// `getsubids [-g] OWNER` (shadow 4.13 `list_owner_ranges`): the lines owned by the string OWNER, plus the lines
/// owned by the id of the account (`-g`: the group) called OWNER. None for "Error fetching ranges" (exit 1).
fn getsubids(file: &SubidFile, owner: &str, id_of_owner: Option<u32>) -> Option<Vec<Passed>> {
    let id = id_of_owner.map(|i| i.to_string());
    // Every line whose owner is the string, then (again, for the same line) whose owner is the id: in file order.
    let mut lines: Vec<usize> = file.owned_by(owner);
    if let Some(id) = &id {
        lines.extend(file.owned_by(id));
        lines.sort();
    }
    let out: Vec<Passed> = lines
        .into_iter()
        .filter_map(|i| file.entry(i))
        .map(|e| Passed {
            line: e.line,
            start: i64::try_from(e.start).unwrap_or(i64::MAX),
            count: i64::try_from(e.count).unwrap_or(i64::MAX),
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// RootlessKit's dynamic source for one kind (`dynidtools.GetSubIDRanges`): the ranges of `getsubids OWNER` by name,
/// then by uid (`None` for a run that failed), with the duplicates removed from RootlessKit 1.1.1 on (`dedup`).
/// `None` when both runs failed or gave nothing: RootlessKit then reads the files itself.
fn dynamic_ranges(
    by_name: Option<Vec<Passed>>,
    by_uid: Option<Vec<Passed>>,
    dedup: bool,
) -> Option<Vec<Passed>> {
    let mut all: Vec<Passed> = by_name.into_iter().chain(by_uid).flatten().collect();
    if dedup {
        let mut seen: Vec<(i64, i64)> = Vec::new();
        all.retain(|p| {
            let fresh = !seen.contains(&(p.start, p.count));
            seen.push((p.start, p.count));
            fresh
        });
    }
    (!all.is_empty()).then_some(all)
}

/// shadow's `find_range` + `have_range`: the caller's name owns `[start, start+count)`, possibly across adjacent
/// lines, by its exact name, its numeric uid, or another name with the same uid.
fn shadow_grants(f: &Facts, file: &SubidFile, start: u64, count: u64) -> bool {
    let uid = f.user.uid.to_string();
    // (Through the file's indices: a fleet's host asks this for every account, of files with a line per account.)
    let find = |val: u64| -> Option<SubidEntry> {
        file.first_owned_containing(&f.user.name, val).or_else(|| {
            file.overlapping(val, 1).into_iter().find(|e| {
                e.owner == uid
                    || f.user_by_name(&e.owner)
                        .is_some_and(|u| u.uid == f.user.uid)
            })
        })
    };
    if count == 0 {
        return false;
    }
    let end = start.saturating_add(count - 1);
    let mut val = start;
    while let Some(range) = find(val) {
        let last = range.end() - 1;
        if last >= end {
            return true;
        }
        val = last + 1;
    }
    false
}

/// What RootlessKit, newuidmap/newgidmap and the kernel do with the files for the judged user, with `dedup` telling
/// whether RootlessKit removes ranges getsubids listed twice. None when another `subid:` source decides, or a file
/// cannot be read.
fn launch(f: &Facts, dedup: bool) -> Option<Launch> {
    if matches!(f.subid_nss(), SubidNss::Module { .. }) {
        return None;
    }
    let (Read::Ok(uf), Read::Ok(gf)) = (f.subuid(), f.subgid()) else {
        return None;
    };
    let name = f.user.name.as_str();
    let uid = f.user.uid.to_string();
    let known = f.user.known;
    let dynamic = f
        .which("getsubids")
        .filter(|_| !static_source(f))
        .and_then(|_| {
            let group_gid = f.group_by_name(name).map(|e| e.gid);
            let u_name = getsubids(uf, name, known.then_some(f.user.uid));
            // shadow also asks getpwnam("1001") for a user so named; only a numeric owner in the file can make that
            // answer matter, and asking NSS a name it lacks loads every module nsswitch.conf lists (start-up time).
            let numeric_owner = uf.has_numeric_owner();
            let named_uid = numeric_owner.then(|| f.user_by_name(&uid)).flatten();
            let u_uid = getsubids(uf, &uid, named_uid.map(|u| u.uid));
            let g_name = getsubids(gf, name, group_gid);
            let g_uid = getsubids(gf, &uid, None);
            dynamic_ranges(u_name, u_uid, dedup).zip(dynamic_ranges(g_name, g_uid, dedup))
        });
    let (source, uids, gids) = match dynamic {
        Some((u, g)) => (Source::Getsubids, u, g),
        None => {
            let read = |path: &str| static_ranges(f, path);
            let failed = |m: String| {
                Some(Launch {
                    source: Source::Static,
                    uids: Vec::new(),
                    gids: Vec::new(),
                    failure: Some(MapFailure::Compute(m)),
                })
            };
            let u = match read("/etc/subuid") {
                Ok(u) => u,
                Err(e) => return failed(e),
            };
            let g = match read("/etc/subgid") {
                Ok(g) => g,
                Err(e) => return failed(e),
            };
            for (ranges, kind) in [(&u, "uid"), (&g, "gid")] {
                if ranges.is_empty() {
                    return failed(format!(
                        "No sub{kind} ranges found for user {} ({name:?})",
                        f.user.uid
                    ));
                }
            }
            (Source::Static, u, g)
        }
    };
    let failure = [
        ("uid", &uids, f.user.uid, uf),
        ("gid", &gids, f.user.gid, gf),
    ]
    .into_iter()
    .find_map(|(kind, ranges, own, file)| {
        map_failure(kind, ranges, own, &|s, c| shadow_grants(f, file, s, c))
    });
    Some(Launch {
        source,
        uids,
        gids,
        failure,
    })
}

/// newuidmap's (or newgidmap's) `verify_range` over `0 OWN 1` and RootlessKit's ranges from 1 on, then the kernel's
/// refusal of overlapping extents.
fn map_failure(
    kind: &'static str,
    ranges: &[Passed],
    own: u32,
    grants: &dyn Fn(u64, u64) -> bool,
) -> Option<MapFailure> {
    let tool = if kind == "uid" {
        "newuidmap"
    } else {
        "newgidmap"
    };
    let mut upper: i64 = 1;
    for r in ranges {
        let granted = match (u64::try_from(r.start), u64::try_from(r.count)) {
            (Ok(s), Ok(c)) => grants(s, c) || (c == 1 && s == u64::from(own)),
            _ => false,
        };
        if !granted {
            return Some(MapFailure::NotAllowed {
                kind,
                message: format!(
                    "{tool}: {kind} range [{upper}-{}) -> [{}-{}) not allowed",
                    upper.saturating_add(r.count),
                    r.start,
                    r.start.saturating_add(r.count)
                ),
            });
        }
        upper = upper.saturating_add(r.count);
    }
    let mut extents: Vec<(usize, i64, i64)> = vec![(0, i64::from(own), 1)];
    extents.extend(ranges.iter().map(|r| (r.line, r.start, r.count)));
    let mut lines = Vec::new();
    for (i, a) in extents.iter().enumerate() {
        for b in &extents[i + 1..] {
            if a.1 < b.1.saturating_add(b.2) && b.1 < a.1.saturating_add(a.2) {
                lines.extend([a.0, b.0].into_iter().filter(|l| *l > 0));
            }
        }
    }
    if lines.is_empty() && extents.len() <= 340 {
        return None;
    }
    lines.sort_unstable();
    lines.dedup();
    Some(MapFailure::Overlap {
        kind,
        message: format!("{tool}: write to {kind}_map failed: Invalid argument"),
        lines,
    })
}

// --- subid.nss: a module decides ----------------------------------------------------------------------------------

fn nss(f: &Facts) -> Verdict {
    match f.subid_nss() {
        SubidNss::Files => Verdict::pass(
            "shadow reads /etc/subuid and /etc/subgid: /etc/nsswitch.conf names no subid module (subid.entries judges the files)",
        ),
        SubidNss::Unloadable { name, why } => Verdict::warn(format!(
            "/etc/nsswitch.conf takes subordinate ids from `{name}`, but shadow cannot load libsubid_{name}.so ({why}): \
getsubids, newuidmap and newgidmap print \"Error opening libsubid_{name}.so\" and \"Using files\", and read /etc/subuid \
and /etc/subgid (subid.entries judges them)"
        ))
        .evidence("/etc/nsswitch.conf", format!("subid: {name}"))
        .fix(Remediation::text(format!(
            "Install the module that provides libsubid_{name}.so if the directory's ranges are meant (SSSD's for \
`sss`), or remove the `subid:` line from /etc/nsswitch.conf if the files are."
        ))),
        SubidNss::Module { name, library } => nss_module_verdict(f, name, library),
    }
}

/// One getsubids run as evidence: its arguments, exit, and what it printed.
fn getsubids_evidence(gs: &Getsubids) -> Vec<Evidence> {
    gs.runs
        .iter()
        .map(|(args, trial)| {
            let detail = match trial {
                Trial::Ran(r) => {
                    let exit = match r.exit {
                        Exit::Code(c) => format!("exit {c}"),
                        Exit::Signal(sig) => format!("killed by signal {sig}"),
                        Exit::TimedOut => "killed at the deadline".to_owned(),
                        Exit::Ready => "ready".to_owned(),
                    };
                    let out: Vec<&str> = r
                        .stdout
                        .lines()
                        .chain(r.stderr.lines())
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .take(6)
                        .collect();
                    format!(
                        "{exit}: {}",
                        if out.is_empty() {
                            "(nothing)".to_owned()
                        } else {
                            out.join(" | ")
                        }
                    )
                }
                Trial::Unsupported(why) | Trial::CouldNotRun(why) => format!("not run: {why}"),
            };
            Evidence {
                source: format!("getsubids {}", args.join(" ")),
                detail,
            }
        })
        .collect()
}

/// What one run gave RootlessKit: its ranges when it exited 0 and its output parsed; `None` (a failed run, as
/// RootlessKit counts it) otherwise.
fn getsubids_ranges(gs: &Getsubids, args: &[&str]) -> Option<Vec<Passed>> {
    let run = gs.stdout(args)?;
    let ranges = subid::rootlesskit_getsubids(&run.stdout).ok()?;
    Some(
        ranges
            .into_iter()
            .map(|(start, count)| Passed {
                line: 0,
                start,
                count,
            })
            .collect(),
    )
}

fn nss_module_verdict(f: &Facts, name: &str, library: &str) -> Verdict {
    let module = format!("{library} (`subid: {name}` in /etc/nsswitch.conf)");
    let Some(gs) = f.getsubids() else {
        return Verdict::warn(format!(
            "shadow takes subordinate ids from {module}, and getsubids is not on the PATH: nothing here can ask the \
module, RootlessKit reads /etc/subuid and /etc/subgid instead, and newuidmap asks the module whether it grants those"
        ))
        .fix(Remediation::text(format!(
            "Install getsubids (package {}), then run `getsubids {}` and `getsubids -g {}`.",
            f.distro().package("newuidmap"),
            f.user.name,
            f.user.name
        )));
    };
    let user = f.user.name.as_str();
    let uid = f.user.uid.to_string();
    let evidence = getsubids_evidence(gs);
    if gs.runs.iter().all(|(_, t)| !matches!(t, Trial::Ran(_))) {
        return Verdict::warn(format!(
            "shadow takes subordinate ids from {module}, and getsubids could not be run here, so its ranges are unknown"
        ))
        .with_evidence(evidence);
    }
    let u_name = getsubids_ranges(gs, &[user]);
    let g_name = getsubids_ranges(gs, &["-g", user]);
    // What the module grants (newuidmap's `has_range(pw_name, …)`), as it lists them for the user's name.
    let granted_u = u_name.clone().unwrap_or_default();
    let granted_g = g_name.clone().unwrap_or_default();
    let dedup = rootlesskit_version(f).is_none_or(|(_, v)| v >= RK_DEDUP);
    // RootlessKit's `--subid-source=auto`: getsubids by name and by uid, then the static parser of the files when
    // either kind gives nothing (pkg/parent/parent.go `getSubIDRanges`).
    let from_getsubids = if static_source(f) {
        None
    } else {
        let u_uid = getsubids_ranges(gs, &[&uid]);
        let g_uid = getsubids_ranges(gs, &["-g", &uid]);
        dynamic_ranges(u_name, u_uid, dedup).zip(dynamic_ranges(g_name, g_uid, dedup))
    };
    let (source, uids, gids) = match from_getsubids {
        Some((u, g)) => ("getsubids".to_owned(), u, g),
        None => {
            let why = if static_source(f) {
                "/etc/subuid and /etc/subgid, which RootlessKit reads itself under --subid-source=static"
            } else {
                "/etc/subuid and /etc/subgid, which RootlessKit reads itself when getsubids gives no range of a kind"
            };
            let read = |path: &str| -> Result<Vec<Passed>, String> {
                let ranges = static_ranges(f, path)?;
                if ranges.is_empty() {
                    let kind = if path.ends_with("subuid") {
                        "uid"
                    } else {
                        "gid"
                    };
                    return Err(format!(
                        "No sub{kind} ranges found for user {} ({user:?})",
                        f.user.uid
                    ));
                }
                Ok(ranges)
            };
            match read("/etc/subuid").and_then(|u| Ok((u, read("/etc/subgid")?))) {
                Ok((u, g)) => (why.to_owned(), u, g),
                Err(m) => {
                    return Verdict::fail(format!(
                        "shadow takes subordinate ids from {module}; RootlessKit takes them from {why}, and fails with \"{}\"",
                        MapFailure::Compute(m).message()
                    ))
                    .with_evidence(evidence)
                    .fix(nss_fix(f, name));
                }
            }
        }
    };
    let contains = |granted: &[Passed], start: u64, count: u64| {
        let end = start.saturating_add(count);
        granted.iter().any(|g| {
            let (gs, gc) = (
                u64::try_from(g.start).unwrap_or(0),
                u64::try_from(g.count).unwrap_or(0),
            );
            start >= gs && end <= gs.saturating_add(gc)
        })
    };
    let failure = map_failure("uid", &uids, f.user.uid, &|s, c| contains(&granted_u, s, c))
        .or_else(|| map_failure("gid", &gids, f.user.gid, &|s, c| contains(&granted_g, s, c)));
    let show = |r: &[Passed]| {
        r.iter()
            .map(|p| format!("{} {}", p.start, p.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let passed = format!("subuid {}; subgid {}", show(&uids), show(&gids));
    let evidence = evidence.into_iter().chain([Evidence {
        source: "RootlessKit".into(),
        detail: format!("maps {passed}, from {source}"),
    }]);
    if let Some(failure) = failure {
        let granted = if granted_u.is_empty() && granted_g.is_empty() {
            format!("the module grants {user} nothing")
        } else {
            format!(
                "the module grants {user} subuid {} and subgid {}",
                show(&granted_u),
                show(&granted_g)
            )
        };
        return Verdict::fail(format!(
            "shadow takes subordinate ids from {module} and {granted}; RootlessKit maps {passed}, from {source}, and fails with \"{}\"",
            failure.message()
        ))
        .with_evidence(evidence)
        .fix(nss_fix(f, name));
    }
    let total =
        |r: &[Passed]| -> u64 { r.iter().map(|p| u64::try_from(p.count).unwrap_or(0)).sum() };
    if total(&uids) < MIN_RANGE || total(&gids) < MIN_RANGE {
        return Verdict::warn(format!(
            "shadow takes subordinate ids from {module}, which grants what RootlessKit maps ({passed}), but fewer than \
{} ids of a kind: pulling images whose files belong to higher ids fails with `lchown …: invalid argument`",
            grouped(MIN_RANGE)
        ))
        .with_evidence(evidence)
        .fix(nss_fix(f, name));
    }
    Verdict::pass(format!(
        "shadow takes subordinate ids from {module}, and it grants the ranges RootlessKit maps ({passed}, from {source})"
    ))
    .with_evidence(evidence)
}

fn nss_fix(f: &Facts, name: &str) -> Remediation {
    Remediation::text(format!(
        "Ask the directory's administrator for ranges of at least {} ids (FreeIPA: `ipa subid-generate --owner {}`), \
then check with `getsubids {}` and `getsubids -g {}`; or, to use /etc/subuid and /etc/subgid, remove `subid: {name}` \
from /etc/nsswitch.conf.",
        grouped(MIN_RANGE),
        f.user.name,
        f.user.name,
        f.user.name
    ))
}

/// The launch for the installed RootlessKit; when its version is unknown and 1.1.0 and later versions differ, both.
enum Judged {
    One(Launch),
    /// (RootlessKit 1.1.0, 1.1.1 and later)
    Differs(Launch, Launch),
}

fn judged_launch(f: &Facts) -> Option<(Judged, Option<String>)> {
    let version = rootlesskit_version(f);
    match &version {
        Some((_, v)) => launch(f, *v >= RK_DEDUP).map(|l| (Judged::One(l), version.map(|v| v.0))),
        None => {
            let old = launch(f, false)?;
            let new = launch(f, true)?;
            Some((
                if old == new {
                    Judged::One(new)
                } else {
                    Judged::Differs(old, new)
                },
                None,
            ))
        }
    }
}

fn launch_evidence(l: &Launch, version: Option<&str>) -> Vec<Evidence> {
    let show = |r: &[Passed]| {
        r.iter()
            .map(|p| format!("{} {} (line {})", p.start, p.count, p.line))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut ev = vec![Evidence {
        source: "RootlessKit".into(),
        detail: format!(
            "{}: ranges from {}",
            version.unwrap_or("version not recorded in the package database"),
            l.source.describe()
        ),
    }];
    if !l.uids.is_empty() || !l.gids.is_empty() {
        ev.push(Evidence {
            source: "RootlessKit".into(),
            detail: format!(
                "subuid ranges passed: {}; subgid ranges passed: {}",
                show(&l.uids),
                show(&l.gids)
            ),
        });
    }
    ev
}

fn entries(f: &Facts) -> Verdict {
    if let Some((name, library)) = nss_module(f) {
        return Verdict::skip(format!(
            "shadow takes subordinate ids from {library} (`subid: {name}` in /etc/nsswitch.conf), not from /etc/subuid \
and /etc/subgid: newuidmap, newgidmap and getsubids ask the module, which only getsubids can question; subid.nss does \
(`check`, `preflight --probe`)"
        ))
        .evidence("/etc/nsswitch.conf", format!("subid: {name}"));
    }
    let mut missing = Vec::new();
    let mut evidence = nss_unloadable_evidence(f);
    for side in sides(f) {
        match side.file {
            Read::Failed(e) => return unreadable(side.path, e),
            Read::Missing => missing.push(side),
            Read::Ok(file) => {
                let m = mine(f, file);
                if m.is_empty() {
                    evidence.push(Evidence {
                        source: side.path.into(),
                        detail: format!("no line for {:?} or uid {}", f.user.name, f.user.uid),
                    });
                    missing.push(side);
                } else {
                    evidence.extend(m.iter().map(|e| cite(side.path, e)));
                }
            }
        }
    }
    if let Some((judged, version)) = judged_launch(f) {
        let l = match judged {
            Judged::One(l) | Judged::Differs(l, _) => l,
        };
        // No line at all for a file: the message below, which names both files, says what RootlessKit says.
        let no_lines =
            matches!(&l.failure, Some(MapFailure::Compute(m)) if m.starts_with("No sub"));
        if no_lines {
        } else if let Some(failure @ (MapFailure::Compute(_) | MapFailure::NotAllowed { .. })) =
            &l.failure
        {
            let why = if missing.is_empty() {
                String::new()
            } else {
                let files: Vec<&str> = missing.iter().map(|s| s.path).collect();
                format!(
                    " ({} has no line shadow reads in {}; subid.files names the lines it ignores)",
                    f.user.name,
                    files.join(" and ")
                )
            };
            let fix = if missing.is_empty() {
                Remediation::text(
                    "Write your lines as shadow and RootlessKit both read them (owner:start:count, decimal, no blanks, \
nothing after the count; subid.files names the lines), or let usermod write them: delete the line and add the range \
again with `sudo usermod --add-subuids START-END --add-subgids START-END USER`.",
                )
            } else {
                add_ranges(
                    f,
                    missing.iter().any(|s| s.id_kind == "uid"),
                    missing.iter().any(|s| s.id_kind == "gid"),
                )
            };
            return Verdict::fail(format!(
                "RootlessKit fails with \"{}\"{why}",
                failure.message()
            ))
            .with_evidence(evidence)
            .with_evidence(launch_evidence(&l, version.as_deref()))
            .fix(fix);
        }
    }
    if missing.is_empty() {
        return Verdict::pass(format!(
            "{} has ranges in /etc/subuid and /etc/subgid",
            f.user.name
        ))
        .with_evidence(evidence);
    }
    let what: Vec<String> = missing
        .iter()
        .map(|s| {
            format!(
                "No sub{} ranges found for user {} ({:?})",
                s.id_kind, f.user.uid, f.user.name
            )
        })
        .collect();
    Verdict::fail(format!(
        "no subordinate ids: RootlessKit will fail with \"{}\"",
        what.join("\" and \"")
    ))
    .with_evidence(evidence)
    .fix(add_ranges(
        f,
        missing.iter().any(|s| s.id_kind == "uid"),
        missing.iter().any(|s| s.id_kind == "gid"),
    ))
}

/// Size of the union of ranges (a user's overlapping lines count once).
fn union_size(ranges: &[(u64, u64)]) -> u64 {
    let mut sorted: Vec<(u64, u64)> = ranges.to_vec();
    sorted.sort_unstable();
    let mut total = 0u64;
    let mut cur: Option<(u64, u64)> = None;
    for (s, e) in sorted {
        match cur {
            Some((cs, ce)) if s <= ce => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total
}

fn range_size(f: &Facts) -> Verdict {
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    let mut small = Vec::new();
    let mut small_kinds = Vec::new();
    let mut evidence = Vec::new();
    for (file, side) in &both {
        let m = mine(f, file);
        if m.is_empty() {
            return Verdict::skip(format!(
                "{} has no ranges in {} (see subid.entries)",
                f.user.name, side.path
            ));
        }
        let size = union_size(&m.iter().map(|e| (e.start, e.end())).collect::<Vec<_>>());
        evidence.push(Evidence {
            source: side.path.into(),
            detail: format!("{} ids in {} line(s)", grouped(size), m.len()),
        });
        if size < MIN_RANGE {
            small.push(format!("{} holds {} ids", side.path, grouped(size)));
            small_kinds.push(side.id_kind);
        }
    }
    if small.is_empty() {
        return Verdict::pass(format!(
            "{} has at least {} subordinate uids and gids",
            f.user.name,
            grouped(MIN_RANGE)
        ))
        .with_evidence(evidence);
    }
    Verdict::fail(format!(
        "{} (fewer than {}): pulls fail with \"lchown <FILE>: invalid argument\"",
        small.join(", "),
        grouped(MIN_RANGE)
    ))
    .with_evidence(evidence)
    .fix(add_ranges(
        f,
        small_kinds.contains(&"uid"),
        small_kinds.contains(&"gid"),
    ))
}

/// How many overlaps `subid.overlap` names; the rest it counts.
const NAMED_OVERLAPS: usize = 20;

fn overlap(f: &Facts) -> Verdict {
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    let mut bad: Vec<(&'static str, SubidEntry)> = Vec::new();
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let judged = judged_launch(f).filter(|(j, _)| match j {
        Judged::One(l) | Judged::Differs(l, _) => {
            matches!(l.failure, None | Some(MapFailure::Overlap { .. }))
        }
    });
    let mut unsure = Vec::new();
    let mut unnamed = 0usize;
    if let Some((j, version)) = &judged {
        let (l, newer) = match j {
            Judged::One(l) => (l, None),
            Judged::Differs(old, new) => (old, Some(new)),
        };
        evidence.extend(launch_evidence(l, version.as_deref()));
        for (file, side) in &both {
            let ranges = if side.id_kind == "uid" {
                &l.uids
            } else {
                &l.gids
            };
            let newer = newer.map(|n| {
                if side.id_kind == "uid" {
                    &n.uids
                } else {
                    &n.gids
                }
            });
            for (a, b) in overlapping(ranges) {
                let (Some(ea), Some(eb)) = (file.entry_at(a.line), file.entry_at(b.line)) else {
                    continue;
                };
                let tool = if side.id_kind == "uid" {
                    "newuidmap"
                } else {
                    "newgidmap"
                };
                let what = if a.line == b.line {
                    format!(
                        "{}:{} twice (getsubids lists it for the name and for the uid)",
                        side.path, a.line
                    )
                } else {
                    format!(
                        "{} lines {} and {}, which overlap",
                        side.path, a.line, b.line
                    )
                };
                let real = format!(
                    "{tool}: write to {}_map failed: Invalid argument",
                    side.id_kind
                );
                match newer {
                    Some(n) if !overlapping(n).contains(&(a, b)) => {
                        unsure.push(format!(
                            "RootlessKit 1.1.0 passes {what} and fails with \"{real}\"; 1.1.1 and later remove the duplicate (RootlessKit's version is not in the package database)"
                        ));
                    }
                    _ => {
                        problems.push(format!(
                            "RootlessKit{} passes {what} ({}): \"{real}\"",
                            version
                                .as_deref()
                                .map(|v| format!(" ({v})"))
                                .unwrap_or_default(),
                            l.source.describe()
                        ));
                        bad.push((side.id_kind, eb.clone()));
                    }
                }
                evidence.extend([cite(side.path, &ea), cite(side.path, &eb)]);
            }
        }
    }
    for (file, side) in &both {
        let m = mine(f, file);
        for (i, a) in m.iter().enumerate() {
            for b in &m[i + 1..] {
                if judged.is_none() && a.overlaps(b.start, b.count) {
                    bad.push((side.id_kind, (*b).clone()));
                    problems.push(format!(
                        "{} lines {} and {} overlap each other",
                        side.path, a.line, b.line
                    ));
                    evidence.extend([cite(side.path, a), cite(side.path, b)]);
                }
            }
            // Every overlap is counted; the first ones are named (a range that a thousand accounts share would
            // otherwise cost a thousand problems per account, which the finding's caps then cut).
            for other in file
                .overlapping(a.start, a.count)
                .into_iter()
                .filter(|e| !e.matches(&f.user.name, f.user.uid))
            {
                if problems.len() >= NAMED_OVERLAPS {
                    unnamed += 1;
                    // Still the user's range to move, once.
                    if !bad
                        .iter()
                        .any(|(k, e)| *k == side.id_kind && e.line == a.line)
                    {
                        bad.push((side.id_kind, (*a).clone()));
                    }
                    continue;
                }
                bad.push((side.id_kind, (*a).clone()));
                problems.push(format!(
                    "{}:{} overlaps {}'s range at line {}",
                    side.path, a.line, other.owner, other.line
                ));
                evidence.extend([cite(side.path, a), cite(side.path, &other)]);
            }
        }
    }
    if unnamed > 0 {
        problems.push(format!(
            "and {unnamed} more overlaps with other users' ranges"
        ));
    }
    if m_is_empty(f, &both) {
        return Verdict::skip(format!("{} has no ranges (see subid.entries)", f.user.name));
    }
    if problems.is_empty() && !unsure.is_empty() {
        return Verdict::warn(unsure.join("; "))
            .with_evidence(evidence)
            .fix(Remediation::text(
                "Keep each range on one line, under the name or the uid, not both (`sudo usermod --del-subuids START-END USER` \
removes the name's line; edit the uid's line out with `sudo vipw -s`-like care, or upgrade RootlessKit to 1.1.1 or later).",
            ));
    }
    if problems.is_empty() {
        return Verdict::pass(format!("{}'s ranges overlap no other range", f.user.name));
    }
    problems.extend(unsure);
    Verdict::fail(problems.join("; "))
        .with_evidence(evidence)
        .fix(replace_ranges(
            f,
            "Delete the overlapping ranges of yours.",
            &bad,
        ))
}

/// Pairs of ranges RootlessKit passes whose outside ids overlap (a range passed twice included).
fn overlapping(ranges: &[Passed]) -> Vec<(Passed, Passed)> {
    let mut out = Vec::new();
    for (i, a) in ranges.iter().enumerate() {
        for b in &ranges[i + 1..] {
            if a.start < b.start.saturating_add(b.count)
                && b.start < a.start.saturating_add(a.count)
            {
                out.push((*a, *b));
            }
        }
    }
    out
}

fn m_is_empty(f: &Facts, both: &[(&SubidFile, Side); 2]) -> bool {
    both.iter().all(|(file, _)| mine(f, file).is_empty())
}

fn own_id(f: &Facts) -> Verdict {
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    if m_is_empty(f, &both) {
        return Verdict::skip(format!("{} has no ranges (see subid.entries)", f.user.name));
    }
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let mut steps = Vec::new();
    for (file, side) in &both {
        for e in mine(f, file)
            .into_iter()
            .filter(|e| e.contains(u64::from(side.own)))
        {
            problems.push(format!(
                "{}:{} maps {}'s own {} {}",
                side.path, e.line, f.user.name, side.id_kind, side.own
            ));
            evidence.push(cite(side.path, &e));
            let flag = if side.id_kind == "uid" {
                "--del-subuids"
            } else {
                "--del-subgids"
            };
            let range = format!("{}-{}", e.start, e.end() - 1);
            let undo = if side.id_kind == "uid" {
                "--add-subuids"
            } else {
                "--add-subgids"
            };
            steps.push(
                Step::root(["usermod", flag, range.as_str(), f.user.name.as_str()]).undo([
                    "usermod",
                    undo,
                    range.as_str(),
                    f.user.name.as_str(),
                ]),
            );
        }
    }
    if problems.is_empty() {
        return Verdict::pass(format!(
            "no range contains {}'s own uid {} or gid {}",
            f.user.name, f.user.uid, f.user.gid
        ));
    }
    Verdict::fail(format!(
        "{}: newuidmap fails with \"write to uid_map failed: Invalid argument\"",
        problems.join("; ")
    ))
    .with_evidence(evidence)
    .fix(
        Remediation::text(
            "Delete the ranges that contain your own id (and add a free range if nothing is left):",
        )
        .steps(steps),
    )
}

fn passwd_overlap(f: &Facts) -> Verdict {
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    if m_is_empty(f, &both) {
        return Verdict::skip(format!("{} has no ranges (see subid.entries)", f.user.name));
    }
    let skipped = match f.passwd() {
        Read::Ok(p) => p.skipped.as_slice(),
        Read::Failed(e) => return unreadable("/etc/passwd", e),
        Read::Missing => return Verdict::skip("no /etc/passwd to compare the ranges with"),
    };
    if let Read::Failed(e) = f.groups() {
        return unreadable("/etc/group", e);
    }
    let mut bad: Vec<(&'static str, SubidEntry)> = Vec::new();
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for (file, side) in &both {
        let db_path = if side.id_kind == "uid" {
            "/etc/passwd"
        } else {
            "/etc/group"
        };
        for e in mine(f, file) {
            // The accounts (groups) inside the range, the user's own (own group) aside, in file order.
            let hits: Vec<(&str, u32)> = if side.id_kind == "uid" {
                f.accounts_with_uid_in(e.start, e.count)
                    .into_iter()
                    .filter(|a| a.name != f.user.name)
                    .map(|a| (a.name, a.uid))
                    .collect()
            } else {
                f.groups_with_gid_in(e.start, e.count)
                    .into_iter()
                    .filter(|g| g.gid != f.user.gid)
                    .map(|g| (g.name, g.gid))
                    .collect()
            };
            if let Some((name, id)) = hits.first() {
                bad.push((side.id_kind, e.clone()));
                let more = if hits.len() > 1 {
                    format!(" and {} more", hits.len() - 1)
                } else {
                    String::new()
                };
                problems.push(format!(
                    "{}:{} contains {} {id} ({name}{more})",
                    side.path, e.line, side.id_kind
                ));
                evidence.push(cite(side.path, &e));
                evidence.push(Evidence {
                    source: db_path.into(),
                    detail: format!("{name}: {} {id}", side.id_kind),
                });
            }
        }
    }
    // Lines of /etc/passwd that could not be read (a name or home that is not UTF-8, a malformed line): their
    // accounts were not compared, which the finding says with the file and line.
    let skipped_lines: Vec<String> = skipped
        .iter()
        .map(|e| format!("/etc/passwd:{}", e.line))
        .collect();
    evidence.extend(skipped.iter().map(|e| Evidence {
        source: format!("/etc/passwd:{}", e.line),
        detail: e.message.clone(),
    }));
    if problems.is_empty() {
        if skipped.is_empty() {
            return Verdict::pass(format!(
                "{}'s ranges contain no real account's uid or gid",
                f.user.name
            ));
        }
        return Verdict::warn(format!(
            "{}'s ranges contain no uid or gid of the accounts read, but {} could not be read and {} not compared",
            f.user.name,
            skipped_lines.join(", "),
            if skipped.len() == 1 { "its account was" } else { "their accounts were" }
        ))
        .with_evidence(evidence)
        .fix(Remediation::text(
            "Correct the lines named (`sudo vipw`): each needs seven colon-separated fields, and a name, home and shell in UTF-8 (`iconv -f latin1 -t utf-8` converts a Latin-1 line).",
        ));
    }
    Verdict::fail(format!(
        "{}: container root would own that account's files",
        problems.join("; ")
    ))
    .with_evidence(evidence)
    .fix(replace_ranges(f, "Move the range off real ids.", &bad))
}

fn nested(f: &Facts) -> Verdict {
    let maps = [
        (f.uid_map(), "/proc/self/uid_map"),
        (f.gid_map(), "/proc/self/gid_map"),
    ];
    let mut parsed = Vec::new();
    for (map, path) in maps {
        match map {
            Read::Ok(m) => parsed.push((m, path)),
            Read::Missing => {
                return Verdict::skip(format!("{path} is not available on this host view"));
            }
            Read::Failed(e) => return unreadable(path, e),
        }
    }
    if parsed.iter().all(|(m, _)| id_map::is_initial_namespace(m)) {
        return Verdict::pass("not inside a user namespace (uid_map is 0 0 4294967295)")
            .evidence("/proc/self/uid_map", "0 0 4294967295");
    }
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    let mut problems = Vec::new();
    let mut evidence: Vec<Evidence> = parsed
        .iter()
        .map(|(m, path)| Evidence {
            source: (*path).into(),
            detail: id_map::render(m).trim().replace('\n', "; "),
        })
        .collect();
    for ((file, side), (map, map_path)) in both.iter().zip(&parsed) {
        for e in mine(f, file) {
            if !id_map::covers_inside(map, e.start, e.count) {
                problems.push(format!(
                    "{}:{} ({}-{}) is outside {map_path}",
                    side.path,
                    e.line,
                    e.start,
                    e.end() - 1
                ));
                evidence.push(cite(side.path, &e));
            }
        }
    }
    if problems.is_empty() {
        return Verdict::pass(
            "inside a user namespace, and the user's ranges are all mapped by it",
        )
        .with_evidence(evidence);
    }
    Verdict::fail(format!(
        "inside a user namespace that doesn't map the ranges: {}; newuidmap fails with \"write to uid_map failed: Operation not permitted\"",
        problems.join("; ")
    ))
    .with_evidence(evidence)
    .fix(Remediation::text(
        "Either map more ids into this container from the host (LXD: security.idmap.size / raw.idmap; Proxmox and LXC: \
lxc.idmap), or move the user's ranges inside what this namespace maps (the inside column of /proc/self/uid_map).",
    ))
}

#[cfg(test)]
mod tests {
    use super::union_size;

    #[test]
    fn union_counts_overlaps_once() {
        assert_eq!(union_size(&[(0, 10), (5, 15)]), 15);
        assert_eq!(union_size(&[(0, 10), (20, 30)]), 20);
        assert_eq!(union_size(&[(100, 65636), (100, 65636)]), 65536);
        assert_eq!(union_size(&[]), 0);
    }

    /// The bench tier failed (preflight 5.4 ms over its 5 ms target) partly because modelling getsubids asked NSS
    /// for a user named by the caller's uid ("1000"): no file has that name, so glibc loaded every module
    /// nsswitch.conf lists (libnss_systemd and its libraries) on every run. The lookup only matters when a
    /// subordinate-id file has a numeric owner, and only then is it made.
    #[test]
    fn regression_preflight_asks_nss_for_a_numeric_name_only_when_a_file_has_one() {
        use crate::facts::Facts;
        let judge = |fixture: &str| {
            let host = crate::checks::test_support::host(fixture);
            let facts = Facts::gather(&host, None, None).unwrap();
            let check = crate::checks::find("subid.entries").unwrap();
            let v = crate::checks::verdict(check, &facts);
            let uid = facts.user.uid.to_string();
            (v, host.names_asked().contains(&uid))
        };
        // getsubids is installed and the files name the user only by name: no numeric lookup.
        let (v, asked) = judge("vm-debian-13-user-service");
        assert_eq!(v.status, crate::model::Status::Pass, "{}", v.summary);
        assert!(!asked);
        // A file with a line for the uid: getsubids by uid asks, so the model does too.
        let (_, asked) = judge("debian-12-subid-name-and-uid");
        assert!(asked);
    }

    /// bdd6154: a line of /etc/passwd that is not UTF-8 no longer stops the run; passwd_overlap names it.
    #[test]
    fn regression_passwd_line_not_utf8_is_named() {
        let v =
            crate::checks::test_support::check("debian-12-passwd-not-utf8", "subid.passwd_overlap");
        assert_eq!(v.status, crate::model::Status::Warn);
        assert!(
            v.summary.contains("/etc/passwd:6 could not be read"),
            "{}",
            v.summary
        );
    }
}

#[cfg(test)]
mod launch_tests {
    use crate::checks::test_support::{check, fix, steps};
    use crate::model::{Action, Status};

    /// `cp --remove-destination TARGET /etc/subuid` as typed steps: the link goes, and a file with what it pointed
    /// at takes its place; a dangling link is only removed (there is nothing to copy).
    #[test]
    fn a_symlinked_subid_file_becomes_a_copy_of_its_target() {
        let v = check("debian-12-symlinked-subuid", "subid.files");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        let s = &fix(&v).steps;
        assert_eq!(
            s[0].action,
            Action::Remove {
                path: "/etc/subuid".into()
            }
        );
        assert_eq!(
            s[1].action,
            Action::WriteFile {
                path: "/etc/subuid".into(),
                content: "alice:100000:65536\nbob:165536:65536\n".into(),
                mode: 0o644
            }
        );
        let v = check("debian-12-subuid-dangling-symlink", "subid.files");
        assert_eq!(steps(&v), ["sudo rm -- /etc/subuid"]);
    }

    /// `subid.entries` passed a user whose lines are in the files while /etc/nsswitch.conf took subordinate ids from
    /// an installed module that grants them nothing: newuidmap asks the module and refuses the files' range.
    #[test]
    fn regression_subid_entries_passed_files_that_a_subid_module_overrides() {
        let v = check("debian-12-subid-sss-grants-nothing", "subid.entries");
        assert_eq!(v.status, Status::Skip, "{}", v.summary);
        let v = check("debian-12-subid-sss-grants-nothing", "subid.nss");
        assert_eq!(v.status, Status::Fail, "{}", v.summary);
        assert!(
            v.summary
                .contains("\"newuidmap: uid range [1-65537) -> [100000-165536) not allowed\""),
            "{}",
            v.summary
        );
        assert!(
            v.summary.contains("the module grants alice nothing"),
            "{}",
            v.summary
        );
    }

    /// The module's ranges, not the files', are what RootlessKit maps.
    #[test]
    fn a_subid_module_that_lists_ranges_passes_with_them() {
        let v = check("debian-12-subid-sss-module", "subid.nss");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.summary
                .contains("subuid 300000 65536; subgid 300000 65536, from getsubids"),
            "{}",
            v.summary
        );
        for id in [
            "subid.entries",
            "subid.range_size",
            "subid.overlap",
            "subid.own_id",
            "subid.passwd_overlap",
        ] {
            assert_eq!(
                check("debian-12-subid-sss-module", id).status,
                Status::Skip,
                "{id}"
            );
        }
    }

    /// A module that is named but not installed: shadow reads the files, and so does the doctor.
    #[test]
    fn a_subid_module_that_is_not_installed_leaves_the_files_to_decide() {
        let v = check("debian-12-subid-sss-not-installed", "subid.nss");
        assert_eq!(v.status, Status::Warn, "{}", v.summary);
        let v = check("debian-12-subid-sss-not-installed", "subid.entries");
        assert_eq!(v.status, Status::Pass, "{}", v.summary);
        assert!(
            v.evidence
                .iter()
                .any(|e| e.detail.contains("a module shadow cannot load")),
            "{:?}",
            v.evidence
        );
    }

    /// Contradiction 1: a blank after the count; shadow ignores the line, RootlessKit's own parser trims it.
    #[test]
    fn regression_subid_line_with_a_trailing_blank_fails_in_newuidmap() {
        let v = check("debian-12-subuid-trailing-blank", "subid.entries");
        assert_eq!(v.status, Status::Fail);
        assert!(
            v.summary
                .contains("newuidmap: uid range [1-65537) -> [100000-165536) not allowed"),
            "{}",
            v.summary
        );
        assert_eq!(
            check("debian-12-subuid-trailing-blank", "subid.files").status,
            Status::Fail
        );
        assert_eq!(check("debian-12", "subid.entries").status, Status::Pass);
    }

    /// Contradiction 2: a name line and a uid line; RootlessKit 1.1.0 maps the uid line twice.
    #[test]
    fn regression_subid_name_and_uid_lines_fail_with_rootlesskit_1_1_0() {
        let v = check("debian-12-subid-name-and-uid", "subid.overlap");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("/etc/subuid:3 twice"), "{}", v.summary);
        assert!(
            v.summary
                .contains("newuidmap: write to uid_map failed: Invalid argument"),
            "{}",
            v.summary
        );
        assert_eq!(check("debian-12", "subid.overlap").status, Status::Pass);
    }

    /// Contradiction 3: 0100000 is octal for shadow, so alice's range really is 32768-98303, bob's.
    #[test]
    fn regression_subid_octal_start_overlaps_as_shadow_reads_it() {
        let v = check("debian-12-subuid-octal", "subid.overlap");
        assert_eq!(v.status, Status::Fail);
        assert!(v.summary.contains("overlaps bob's range"), "{}", v.summary);
        assert_eq!(
            check("debian-12-subuid-octal", "subid.files").status,
            Status::Warn
        );
    }

    /// Contradiction 4: a fourth field is ignored by shadow; through getsubids RootlessKit starts.
    #[test]
    fn regression_subid_fourth_field_is_ignored_by_shadow() {
        assert_eq!(
            check("debian-12-subuid-fourth-field", "subid.entries").status,
            Status::Pass
        );
        let v = check("debian-12-subuid-fourth-field", "subid.files");
        assert_eq!(v.status, Status::Warn);
        assert!(
            v.summary
                .contains("Format not correct for /etc/subuid file"),
            "{}",
            v.summary
        );
    }
}
