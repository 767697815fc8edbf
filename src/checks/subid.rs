//! /etc/subuid and /etc/subgid: the subordinate ids RootlessKit maps into the user namespace.

use super::{Check, Scope, grouped, unreadable};
use crate::facts::{Facts, FileKind, Read, SubidFile};
use crate::model::{Evidence, Remediation, Step, Verdict};
use crate::parse::{id_map, subid::SubidEntry};

/// Docker's documented minimum: "65,536 entries is enough for most images".
pub const MIN_RANGE: u64 = 65536;

const REF: &str = "https://docs.docker.com/engine/security/rootless/troubleshoot/; subuid(5)";

pub(super) const CHECKS: &[Check] = &[
    Check {
        id: "subid.files",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: files,
    },
    Check {
        id: "subid.entries",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: entries,
    },
    Check {
        id: "subid.range_size",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: range_size,
    },
    Check {
        id: "subid.overlap",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: overlap,
    },
    Check {
        id: "subid.own_id",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: own_id,
    },
    Check {
        id: "subid.passwd_overlap",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: false,
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
        run: passwd_overlap,
    },
    Check {
        id: "subid.nested_userns",
        area: "subid",
        scope: Scope::Preflight,
        needs_runtime: true,
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
        run: nested,
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

fn mine<'a>(f: &Facts, file: &'a SubidFile) -> Vec<&'a SubidEntry> {
    file.entries
        .iter()
        .filter(|e| e.matches(&f.user.name, f.user.uid))
        .collect()
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
            taken.extend(file.entries.iter().map(|e| (e.start, e.end())));
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
    if uids {
        argv.extend(["--add-subuids".to_owned(), range.clone()]);
    }
    if gids {
        argv.extend(["--add-subgids".to_owned(), range.clone()]);
    }
    argv.push(f.user.name.clone());
    Remediation::text(format!(
        "Give {} a free range of {} ids in {files} ({range}: no other user's range, no real uid or gid), then restart \
the daemon:",
        f.user.name,
        grouped(MIN_RANGE)
    ))
    .step(Step::root(argv))
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
        let flag = if *kind == "uid" {
            "--del-subuids"
        } else {
            "--del-subgids"
        };
        let range = format!("{}-{}", e.start, e.end() - 1);
        let step = Step::root(["usermod", flag, range.as_str(), f.user.name.as_str()]);
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

fn files(f: &Facts) -> Verdict {
    let mut problems: Vec<String> = Vec::new();
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
                            steps.push(Step::root(["rm", "--", path]));
                        }
                        Read::Ok(real) => {
                            problems.push(format!(
                                "{path} is a symlink to {target}; newuidmap refuses it"
                            ));
                            steps.push(Step::root([
                                "cp",
                                "--remove-destination",
                                "--",
                                real.as_str(),
                                path,
                            ]));
                        }
                        // A dangling link (its NFS target not mounted) or a loop: there is nothing to copy.
                        _ => {
                            problems.push(format!(
                                "{path} is a symlink to {target}, which does not resolve (dangling, or a loop); newuidmap refuses it"
                            ));
                            steps.push(Step::root(["rm", "--", path]));
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
                        steps.push(Step::root(["chown", "root:root", path]));
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
                        steps.push(Step::root(["chmod", "0644", path]));
                    } else if meta.mode & 0o004 == 0 {
                        problems.push(format!("{path} is not readable by other users (mode {:04o}); RootlessKit reads it as you", meta.mode));
                        steps.push(Step::root(["chmod", "0644", path]));
                    }
                }
            }
        }
        if let Read::Ok(file) = side.file {
            for err in &file.errors {
                problems.push(format!("{path}:{}: {}", err.line, err.message));
                evidence.push(Evidence {
                    source: format!("{path}:{}", err.line),
                    detail: err.message.clone(),
                });
            }
        }
    }
    if let Some(v) = worst_is_error {
        return v.with_evidence(evidence);
    }
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

/// Where subordinate ids come from besides the files: `subid:` in /etc/nsswitch.conf (shadow ≥ 4.11,
/// e.g. `sss` for FreeIPA/SSSD), which RootlessKit uses through getsubids.
fn nss_subid(f: &Facts) -> Option<String> {
    let text = f.read("/etc/nsswitch.conf").ok().cloned()?;
    let sources = crate::parse::sysctl::nsswitch_sources(&text, "subid")?;
    let other: Vec<String> = sources.into_iter().filter(|s| s != "files").collect();
    (!other.is_empty()).then(|| other.join(" "))
}

fn entries(f: &Facts) -> Verdict {
    let mut missing = Vec::new();
    let mut evidence = Vec::new();
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
    if missing.is_empty() {
        return Verdict::pass(format!(
            "{} has ranges in /etc/subuid and /etc/subgid",
            f.user.name
        ))
        .with_evidence(evidence);
    }
    if let Some(source) = nss_subid(f) {
        return Verdict::warn(format!(
            "{} has no lines in the files, but /etc/nsswitch.conf takes subordinate ids from {source}: check with `getsubids {}` and `getsubids -g {}`",
            f.user.name, f.user.name, f.user.name
        ))
        .with_evidence(evidence)
        .evidence("/etc/nsswitch.conf", format!("subid: {source}"))
        .fix(Remediation::text(format!(
            "RootlessKit reads them through getsubids (package {}); if getsubids prints no range, ask the directory's administrator for one (FreeIPA: `ipa subid-generate`).",
            f.distro().package("newuidmap")
        )));
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

fn overlap(f: &Facts) -> Verdict {
    let both = match require_both(f) {
        Ok(b) => b,
        Err(v) => return v,
    };
    let mut bad: Vec<(&'static str, SubidEntry)> = Vec::new();
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for (file, side) in &both {
        let m = mine(f, file);
        for (i, a) in m.iter().enumerate() {
            for b in &m[i + 1..] {
                if a.overlaps(b.start, b.count) {
                    bad.push((side.id_kind, (*b).clone()));
                    problems.push(format!(
                        "{} lines {} and {} overlap each other",
                        side.path, a.line, b.line
                    ));
                    evidence.extend([cite(side.path, a), cite(side.path, b)]);
                }
            }
            for other in file
                .entries
                .iter()
                .filter(|e| !e.matches(&f.user.name, f.user.uid))
            {
                if a.overlaps(other.start, other.count) {
                    bad.push((side.id_kind, (*a).clone()));
                    problems.push(format!(
                        "{}:{} overlaps {}'s range at line {}",
                        side.path, a.line, other.owner, other.line
                    ));
                    evidence.extend([cite(side.path, a), cite(side.path, other)]);
                }
            }
        }
    }
    if m_is_empty(f, &both) {
        return Verdict::skip(format!("{} has no ranges (see subid.entries)", f.user.name));
    }
    if problems.is_empty() {
        return Verdict::pass(format!("{}'s ranges overlap no other range", f.user.name));
    }
    Verdict::fail(problems.join("; "))
        .with_evidence(evidence)
        .fix(replace_ranges(
            f,
            "Delete the overlapping ranges of yours.",
            &bad,
        ))
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
            evidence.push(cite(side.path, e));
            let flag = if side.id_kind == "uid" {
                "--del-subuids"
            } else {
                "--del-subgids"
            };
            let range = format!("{}-{}", e.start, e.end() - 1);
            steps.push(Step::root([
                "usermod",
                flag,
                range.as_str(),
                f.user.name.as_str(),
            ]));
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
    let (users, skipped): (Vec<(String, u32)>, _) = match f.passwd() {
        Read::Ok(p) => (
            p.iter()
                .filter(|e| e.name != f.user.name)
                .map(|e| (e.name.clone(), e.uid))
                .collect(),
            p.skipped.clone(),
        ),
        Read::Failed(e) => return unreadable("/etc/passwd", e),
        Read::Missing => return Verdict::skip("no /etc/passwd to compare the ranges with"),
    };
    let groups: Vec<(String, u32)> = match f.groups() {
        Read::Ok(g) => g
            .iter()
            .filter(|e| e.gid != f.user.gid)
            .map(|e| (e.name.clone(), e.gid))
            .collect(),
        Read::Failed(e) => return unreadable("/etc/group", e),
        Read::Missing => Vec::new(),
    };
    let mut bad: Vec<(&'static str, SubidEntry)> = Vec::new();
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for (file, side) in &both {
        let (db, db_path) = if side.id_kind == "uid" {
            (&users, "/etc/passwd")
        } else {
            (&groups, "/etc/group")
        };
        for e in mine(f, file) {
            let hits: Vec<&(String, u32)> = db
                .iter()
                .filter(|(_, id)| e.contains(u64::from(*id)))
                .collect();
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
                evidence.push(cite(side.path, e));
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
                evidence.push(cite(side.path, e));
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
