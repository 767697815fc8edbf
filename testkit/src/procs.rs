//! Reading /proc: which processes belong to a daemon we started.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// One process as /proc shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    /// The one-letter state from /proc/PID/stat (`Z` for a zombie).
    pub state: char,
    /// Start time in clock ticks since boot: with the pid, identifies a process across pid reuse.
    pub starttime: u64,
    pub ruid: u32,
    pub euid: u32,
    pub comm: String,
    /// The command line, arguments joined with spaces (empty for kernel threads and zombies).
    pub cmdline: String,
}

impl ProcessInfo {
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses the contents of /proc/PID/stat: `pid (comm) state ppid pgrp session … starttime(22nd) …`.
/// `comm` may contain spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(stat: &str) -> Option<(i32, String, char, i32, i32, i32, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let pid = stat[..open].trim().parse().ok()?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // fields[0] is field 3 (state); field N is fields[N - 3].
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let pgrp = fields.get(2)?.parse().ok()?;
    let session = fields.get(3)?.parse().ok()?;
    let starttime = fields.get(19)?.parse().ok()?;
    Some((pid, comm, state, ppid, pgrp, session, starttime))
}

fn parse_uids(status: &str) -> Option<(u32, u32)> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    let mut it = line["Uid:".len()..].split_whitespace();
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Reads one process; `None` if it vanished meanwhile.
pub fn read_process(pid: i32) -> Option<ProcessInfo> {
    let dir = Path::new("/proc").join(pid.to_string());
    let stat = fs::read_to_string(dir.join("stat")).ok()?;
    let (pid, comm, state, ppid, pgid, sid, starttime) = parse_stat(&stat)?;
    let (ruid, euid) = parse_uids(&fs::read_to_string(dir.join("status")).ok()?)?;
    let cmdline = fs::read(dir.join("cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Some(ProcessInfo {
        pid,
        ppid,
        pgid,
        sid,
        state,
        starttime,
        ruid,
        euid,
        comm,
        cmdline,
    })
}

/// Every process currently in /proc.
pub fn all_processes() -> Vec<ProcessInfo> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_process)
        .collect()
}

/// Every process whose real or effective uid is `uid`.
pub fn user_processes(uid: u32) -> Vec<ProcessInfo> {
    all_processes()
        .into_iter()
        .filter(|p| p.ruid == uid || p.euid == uid)
        .collect()
}

/// The uids a daemon of this user may run processes as: its own uid and its subordinate uid ranges from
/// /etc/subuid (container processes run as mapped ids). Never includes 0.
#[derive(Debug, Clone)]
pub struct UidSet {
    pub uid: u32,
    pub ranges: Vec<(u32, u32)>,
}

impl UidSet {
    pub fn for_user(name: &str, uid: u32) -> Self {
        let ranges = fs::read_to_string("/etc/subuid")
            .map(|s| parse_subid(&s, name, uid))
            .unwrap_or_default();
        Self { uid, ranges }
    }

    pub fn contains(&self, id: u32) -> bool {
        id != 0
            && (id == self.uid
                || self.ranges.iter().any(|&(start, count)| {
                    id >= start && u64::from(id) < u64::from(start) + u64::from(count)
                }))
    }

    /// Both the real and the effective uid must belong to the user: a setuid-root helper (newuidmap) is never ours
    /// to kill.
    pub fn owns(&self, p: &ProcessInfo) -> bool {
        self.contains(p.ruid) && self.contains(p.euid)
    }
}

/// This user's ranges (listed by name or by numeric uid) in /etc/subuid contents, read with the doctor's parser;
/// malformed lines are left out.
pub fn parse_subid(contents: &str, name: &str, uid: u32) -> Vec<(u32, u32)> {
    rootless_doctor::parse::subid::parse(contents)
        .0
        .into_iter()
        .filter(|entry| entry.matches(name, uid))
        .filter_map(|entry| Some((entry.start.try_into().ok()?, entry.count.try_into().ok()?)))
        .collect()
}

/// The processes that belong to a daemon, found from what we know of it.
///
/// Start from every live process in one of `sids` (sessions the daemon's processes lead) or whose pid+starttime
/// is in `known`; then, to a fixed point, add processes whose parent is a member, or whose session or process
/// group is led by a (possibly dead) member. Only processes `owner` owns are ever considered, so the walk never
/// crosses into root's or another user's processes. Zombies are left out: they hold nothing and only their
/// parent can reap them.
///
/// This is what finds `containerd` (it calls setsid, so it is in a session of its own, child of dockerd),
/// `containerd-shim-runc-v2` (re-parented to PID 1 once its starter exits, but still in containerd's session),
/// and container processes (own session, children of a shim).
pub fn daemon_closure(
    all: &[ProcessInfo],
    owner: &UidSet,
    sids: &BTreeSet<i32>,
    known: &BTreeMap<i32, u64>,
) -> Vec<ProcessInfo> {
    let candidates: Vec<&ProcessInfo> = all
        .iter()
        .filter(|p| owner.owns(p) && !p.is_zombie())
        .collect();
    let mut leaders: BTreeSet<i32> = sids.iter().copied().chain(known.keys().copied()).collect();
    let mut members: BTreeMap<i32, &ProcessInfo> = BTreeMap::new();
    for p in &candidates {
        if sids.contains(&p.sid) || known.get(&p.pid) == Some(&p.starttime) {
            members.insert(p.pid, p);
        }
    }
    loop {
        let before = members.len();
        leaders.extend(members.keys().copied());
        for p in &candidates {
            if !members.contains_key(&p.pid)
                && (members.contains_key(&p.ppid)
                    || leaders.contains(&p.sid)
                    || leaders.contains(&p.pgid))
            {
                members.insert(p.pid, p);
            }
        }
        if members.len() == before {
            break;
        }
    }
    members.into_values().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 18446744073709551615";
        let (pid, comm, state, ppid, pgrp, sid, start) = parse_stat(stat).unwrap();
        assert_eq!(
            (pid, comm.as_str(), state, ppid, pgrp, sid, start),
            (4242, "a) b (c)", 'S', 1, 4242, 4242, 987654)
        );
    }

    #[test]
    fn own_stat_parses() {
        let me = read_process(std::process::id() as i32).unwrap();
        assert_eq!(me.pid, std::process::id() as i32);
        assert!(me.starttime > 0);
    }

    #[test]
    fn subid_lines() {
        let s = "other:1:2\nrdtest-ok:100000:65536\n1001:200000:10\nbad line\n";
        assert_eq!(
            parse_subid(s, "rdtest-ok", 1001),
            vec![(100000, 65536), (200000, 10)]
        );
        let set = UidSet {
            uid: 1001,
            ranges: parse_subid(s, "rdtest-ok", 1001),
        };
        assert!(
            set.contains(1001)
                && set.contains(100000)
                && set.contains(165535)
                && set.contains(200009)
        );
        assert!(!set.contains(0) && !set.contains(165536) && !set.contains(1002));
        let root_range = UidSet {
            uid: 0,
            ranges: vec![(0, 10)],
        };
        assert!(!root_range.contains(0));
    }

    fn p(pid: i32, ppid: i32, pgid: i32, sid: i32, uid: u32) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid,
            pgid,
            sid,
            state: 'S',
            starttime: pid as u64 * 10,
            ruid: uid,
            euid: uid,
            comm: format!("p{pid}"),
            cmdline: String::new(),
        }
    }

    #[test]
    fn closure_follows_sessions_parents_and_stays_with_the_user() {
        let all = vec![
            p(1, 0, 1, 1, 0),
            p(100, 1, 100, 100, 1001),     // rootlesskit, session leader
            p(101, 100, 100, 100, 1001),   // dockerd
            p(102, 101, 102, 102, 1001),   // containerd, setsid
            p(103, 1, 103, 102, 1001),     // shim, reparented to 1, containerd's session
            p(104, 103, 104, 104, 100000), // container process as a subordinate uid, own session
            p(105, 103, 105, 105, 0),      // a root process under the shim: never ours
            p(106, 105, 106, 106, 1001),   // ... nor what hangs below it
            p(200, 1, 200, 200, 1001),     // same user, unrelated session
            p(300, 1, 300, 300, 1002),     // another user
            {
                let mut z = p(107, 1, 107, 102, 1001);
                z.state = 'Z';
                z
            },
        ];
        let owner = UidSet {
            uid: 1001,
            ranges: vec![(100000, 65536)],
        };
        let got: Vec<i32> = daemon_closure(&all, &owner, &BTreeSet::from([100]), &BTreeMap::new())
            .iter()
            .map(|p| p.pid)
            .collect();
        assert_eq!(got, vec![100, 101, 102, 103, 104]);

        // Once containerd is gone, its shim is still found through the remembered pid of containerd.
        let later: Vec<ProcessInfo> = all
            .iter()
            .filter(|p| ![100, 101, 102].contains(&p.pid))
            .cloned()
            .collect();
        let known = BTreeMap::from([(100, 1000), (101, 1010), (102, 1020)]);
        let got: Vec<i32> = daemon_closure(&later, &owner, &BTreeSet::from([100]), &known)
            .iter()
            .map(|p| p.pid)
            .collect();
        assert_eq!(got, vec![103, 104]);
    }
}
