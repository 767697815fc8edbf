//! `/dev/kmsg` records (Documentation/ABI/testing/dev-kmsg) and the OOM-killer reports among them.
//!
//! A record is `PRI,SEQ,TIMESTAMP_US,FLAGS[,...];MESSAGE`, optionally followed by dictionary lines that start
//! with a space (` SUBSYSTEM=net`, ` DEVICE=n2`). The kernel escapes bytes below 0x20, 0x7f and above, and `\`
//! in MESSAGE as `\xNN`; messages are kept as printed, escapes included.
//!
//! One OOM kill prints several records. Which ones depends on the kernel:
//!
//! | kernel      | records, in order                                                                              |
//! |-------------|------------------------------------------------------------------------------------------------|
//! | ≤ 4.18      | `Task in CG killed as a result of limit of CG` (memcg only), `…: Kill process PID (NAME) score N or sacrifice child`, `Killed process PID (NAME) total-vm:…` |
//! | 4.19 – 5.0  | `oom-kill:constraint=…,task_memcg=CG,task=NAME,pid=PID,uid=UID`, `…: Kill process … or sacrifice child`, `Killed process PID (NAME) …` |
//! | ≥ 5.1       | `oom-kill:…`, then `Out of memory: Killed process PID (NAME) …` or `Memory cgroup out of memory: Killed process …` |
//!
//! The kernel holds `oom_lock` across one report, so the records of two kills do not interleave.

use std::collections::HashMap;

use super::LineError;

/// Kills of the same pid this close together (in µs) are the same kill seen twice.
const SAME_KILL_USEC: u64 = 1_000_000;

/// How long (in µs) the first records of a report may precede its `Killed process` line. Generous, because on
/// old kernels the task dump in between can be slow to print on a serial console.
const REPORT_USEC: u64 = 30_000_000;

/// One /dev/kmsg record: `PRI,SEQ,TIMESTAMP_US,FLAGS[,...];MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The syslog severity, `PRI & 7` (0 emerg … 3 err, 4 warning … 7 debug); the facility bits are dropped.
    pub priority: u8,
    /// The record's sequence number.
    pub seq: u64,
    /// Microseconds since boot (CLOCK_MONOTONIC) when the record was logged.
    pub usec: u64,
    /// The message text, with the kernel's `\xNN` escapes left in place.
    pub message: String,
}

/// Parses the concatenated text of records, one per line, as `cat /dev/kmsg` prints them.
///
/// Continuation (dictionary) lines that start with a space, and blank lines, are skipped silently; other
/// malformed lines are reported by number and skipped. The FLAGS field and anything after it in the header
/// are not checked, so a header of just `PRI,SEQ,TIMESTAMP` is accepted.
pub fn parse(text: &str) -> (Vec<Record>, Vec<LineError>) {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.starts_with(' ') || raw.trim_ascii().is_empty() {
            continue;
        }
        match parse_record(raw) {
            Ok(record) => records.push(record),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    (records, errors)
}

fn parse_record(line: &str) -> Result<Record, String> {
    let (header, message) = line.split_once(';').ok_or_else(|| {
        format!(
            "expected PRI,SEQ,TIMESTAMP,FLAGS;MESSAGE, got {}",
            super::shown(line)
        )
    })?;
    let mut fields = header.split(',');
    let mut number = |what: &str| {
        let field = fields.next().unwrap_or_default();
        super::decimal(field)
            .ok_or_else(|| format!("expected a numeric {what}, got {}", super::shown(field)))
    };
    let pri = number("priority")?;
    let seq = number("sequence number")?;
    let usec = number("timestamp")?;
    Ok(Record {
        priority: (pri & 7) as u8,
        seq,
        usec,
        message: message.to_string(),
    })
}

/// A kernel OOM kill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OomKill {
    /// When the kill was logged, in microseconds since boot.
    pub usec: u64,
    /// The killed process.
    pub pid: u32,
    /// The killed process's comm (at most 15 bytes), with the kernel's `\xNN` escapes left in place.
    pub name: String,
    /// The memory cgroup of the killed task (`task_memcg=` of the oom-kill line), when the kernel says it.
    pub cgroup: Option<String>,
    /// Whether a cgroup memory limit (not the whole machine) ran out: "Memory cgroup out of memory" or constraint=CONSTRAINT_MEMCG.
    pub memcg: bool,
}

/// Extracts the OOM kills from records, one per kill, in log order.
///
/// The records of one report (see the module docs) merge into one `OomKill`: the cgroup comes from the
/// `oom-kill:` line (or, before 4.19, the `Task in CG killed as a result of limit of …` line) when its pid is the
/// killed one. When an old kernel sacrificed a child instead of the chosen process, the kill is the child's and the
/// cgroup, which the kernel printed for the parent, is left out. A report whose `Killed process` line is missing
/// (a truncated log) still yields its chosen victim. Kills of the same pid within 1 s of each other are one kill.
pub fn oom_kills(records: &[Record]) -> Vec<OomKill> {
    let mut kills = Vec::new();
    let mut pending: Option<Pending> = None;
    for record in records {
        let Some(event) = Event::parse(&record.message) else {
            continue;
        };
        let usec = record.usec;
        if pending
            .as_ref()
            .is_some_and(|p| p.usec.abs_diff(usec) > REPORT_USEC)
        {
            flush(&mut pending, &mut kills);
        }
        match event {
            Event::TaskIn { cgroup } => {
                // Printed first in an old kernel's report: whatever came before belongs to another report.
                flush(&mut pending, &mut kills);
                pending = Some(Pending {
                    usec,
                    pid: None,
                    name: String::new(),
                    cgroup: Some(cgroup.to_string()),
                    memcg: true,
                    sacrifice: false,
                });
            }
            Event::Summary {
                pid,
                name,
                cgroup,
                memcg,
            } => {
                if pending.as_ref().is_some_and(|p| p.pid.is_some()) {
                    flush(&mut pending, &mut kills);
                }
                let p = pending.get_or_insert_with(|| Pending::new(usec));
                p.usec = usec;
                p.pid = Some(pid);
                p.name = name.to_string();
                if let Some(cgroup) = cgroup {
                    p.cgroup = Some(cgroup.to_string());
                }
                p.memcg |= memcg;
            }
            Event::Announce { pid, name, memcg } => {
                if pending
                    .as_ref()
                    .is_some_and(|p| p.pid.is_some_and(|q| q != pid))
                {
                    flush(&mut pending, &mut kills);
                }
                let p = pending.get_or_insert_with(|| Pending::new(usec));
                p.usec = usec;
                p.pid = Some(pid);
                p.name = name.to_string();
                p.memcg |= memcg;
                p.sacrifice = true;
            }
            Event::Killed { pid, name, memcg } => {
                let mut kill = OomKill {
                    usec,
                    pid,
                    name: name.to_string(),
                    cgroup: None,
                    memcg,
                };
                if let Some(p) = pending.take() {
                    match p.pid {
                        None => {
                            kill.cgroup = p.cgroup;
                            kill.memcg |= p.memcg;
                        }
                        Some(chosen) if chosen == pid => {
                            kill.cgroup = p.cgroup;
                            kill.memcg |= p.memcg;
                        }
                        // "or sacrifice child": same report, but the cgroup printed was the parent's.
                        Some(_) if p.sacrifice => kill.memcg |= p.memcg,
                        Some(_) => kills.extend(p.into_kill()),
                    }
                }
                kills.push(kill);
            }
        }
    }
    flush(&mut pending, &mut kills);
    dedup(kills)
}

/// The first records of a report, waiting for its `Killed process` line.
struct Pending {
    usec: u64,
    pid: Option<u32>,
    name: String,
    cgroup: Option<String>,
    memcg: bool,
    /// An old kernel's "Kill process … or sacrifice child" was seen: a child may die instead.
    sacrifice: bool,
}

impl Pending {
    fn new(usec: u64) -> Self {
        Pending {
            usec,
            pid: None,
            name: String::new(),
            cgroup: None,
            memcg: false,
            sacrifice: false,
        }
    }

    fn into_kill(self) -> Option<OomKill> {
        Some(OomKill {
            usec: self.usec,
            pid: self.pid?,
            name: self.name,
            cgroup: self.cgroup,
            memcg: self.memcg,
        })
    }
}

/// A report that never got its `Killed process` line still names its victim (when it got that far).
fn flush(pending: &mut Option<Pending>, kills: &mut Vec<OomKill>) {
    if let Some(p) = pending.take() {
        kills.extend(p.into_kill());
    }
}

fn dedup(kills: Vec<OomKill>) -> Vec<OomKill> {
    let mut out: Vec<OomKill> = Vec::with_capacity(kills.len());
    let mut by_pid: HashMap<u32, Vec<usize>> = HashMap::new();
    for kill in kills {
        let seen = by_pid.entry(kill.pid).or_default();
        let same = seen
            .iter()
            .rev()
            .copied()
            .find(|&i| out[i].usec.abs_diff(kill.usec) <= SAME_KILL_USEC);
        match same {
            Some(i) => {
                let existing = &mut out[i];
                if existing.cgroup.is_none() {
                    existing.cgroup = kill.cgroup;
                }
                if existing.name.is_empty() {
                    existing.name = kill.name;
                }
                existing.memcg |= kill.memcg;
            }
            None => {
                seen.push(out.len());
                out.push(kill);
            }
        }
    }
    out
}

/// An OOM-related kernel message.
#[derive(Debug, PartialEq, Eq)]
enum Event<'a> {
    /// ≤ 4.18, memcg OOM: `Task in /docker/ID killed as a result of limit of /docker/ID`.
    TaskIn { cgroup: &'a str },
    /// ≥ 4.19: `oom-kill:constraint=…,task_memcg=…,task=NAME,pid=PID,uid=UID`.
    Summary {
        pid: u32,
        name: &'a str,
        cgroup: Option<&'a str>,
        memcg: bool,
    },
    /// ≤ 5.0: `Out of memory: Kill process PID (NAME) score N or sacrifice child`.
    Announce {
        pid: u32,
        name: &'a str,
        memcg: bool,
    },
    /// `[Out of memory: |Memory cgroup out of memory: ]Killed process PID (NAME) total-vm:…`.
    Killed {
        pid: u32,
        name: &'a str,
        memcg: bool,
    },
}

impl<'a> Event<'a> {
    fn parse(message: &'a str) -> Option<Self> {
        if let Some(rest) = message.strip_prefix("oom-kill:") {
            return summary(rest);
        }
        if let Some(rest) = message.strip_prefix("Task in ") {
            let (cgroup, _) = rest.split_once(" killed as a result of limit of ")?;
            return Some(Event::TaskIn { cgroup });
        }
        if let Some(rest) = message.strip_prefix("Killed process ") {
            let (pid, name) = pid_and_name(rest)?;
            return Some(Event::Killed {
                pid,
                name,
                memcg: false,
            });
        }
        let (prefix, rest) = message.split_once(": ")?;
        let memcg = if prefix.starts_with("Memory cgroup out of memory") {
            true
        } else if prefix.starts_with("Out of memory") {
            // Also "Out of memory (oom_kill_allocating_task)".
            false
        } else {
            return None;
        };
        if let Some(rest) = rest.strip_prefix("Killed process ") {
            let (pid, name) = pid_and_name(rest)?;
            Some(Event::Killed { pid, name, memcg })
        } else if let Some(rest) = rest.strip_prefix("Kill process ") {
            let (pid, name) = pid_and_name(rest)?;
            Some(Event::Announce { pid, name, memcg })
        } else {
            None
        }
    }
}

/// The part after `oom-kill:`. Parsed from the right, since the task's comm and cgroup path may contain commas.
fn summary(text: &str) -> Option<Event<'_>> {
    let pid_at = text.rfind(",pid=")?;
    let pid_text = text[pid_at + 5..].split(',').next().unwrap_or_default();
    let pid = u32::try_from(super::decimal(pid_text)?).ok()?;
    let head = &text[..pid_at];
    let task_at = head.rfind(",task=")?;
    let name = &head[task_at + 6..];
    let head = &head[..task_at];
    let cgroup = head
        .find("task_memcg=")
        .filter(|&at| at == 0 || head[..at].ends_with(','))
        .map(|at| &head[at + 11..])
        .filter(|cgroup| !cgroup.is_empty());
    let constraint = head
        .strip_prefix("constraint=")
        .and_then(|rest| rest.split(',').next());
    let memcg = constraint == Some("CONSTRAINT_MEMCG") || head.contains(",oom_memcg=");
    Some(Event::Summary {
        pid,
        name,
        cgroup,
        memcg,
    })
}

/// `1234 (java) total-vm:…` or `1234 (java) score 900 or sacrifice child` → (1234, "java").
/// A comm may itself contain spaces and parentheses (`(sd-pam)`, `Web Content`).
fn pid_and_name(text: &str) -> Option<(u32, &str)> {
    let (pid, rest) = text.split_once(" (")?;
    let pid = u32::try_from(super::decimal(pid)?).ok()?;
    let end = rest
        .find(") total-vm:")
        .or_else(|| rest.find(") score "))
        .or_else(|| rest.rfind(')'))?;
    Some((pid, &rest[..end]))
}

/// The Docker container ID in a cgroup path: the 64 lowercase hex digits of a `docker-ID.scope` component
/// (systemd cgroup driver, rootful or rootless) or of an `ID` component right under a `docker` one (cgroupfs
/// driver, cgroup v1 `/docker/ID`, or under a rootless daemon's own cgroup).
///
/// With Docker in Docker the innermost container wins, since that is the one the task runs in.
pub fn container_id(cgroup: &str) -> Option<&str> {
    let mut found = None;
    let mut parent = "";
    for component in cgroup.split('/') {
        if let Some(id) = component
            .strip_prefix("docker-")
            .and_then(|rest| rest.strip_suffix(".scope"))
            .filter(|id| is_id(id))
        {
            found = Some(id);
        } else if parent == "docker" && is_id(component) {
            found = Some(component);
        }
        parent = component;
    }
    found
}

fn is_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "3f4e1a9c2b7d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

    fn records(text: &str) -> Vec<Record> {
        let (records, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        records
    }

    #[test]
    fn parses_records() {
        let text = "6,339,5140900,-;NET: Registered protocol family 10\n\
                    4,1270,2134567890,-,caller=T4321;node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
                    6,1602,13842712981,-;usb 1-1: new high-speed USB device number 3 using xhci_hcd\n \
                    SUBSYSTEM=usb\n \
                    DEVICE=c189:2\n\
                    14,1603,13842712999,-;systemd[1]: a;b\\x0a\n\
                    12,1604,13842713000;no flags\n";
        let records = records(text);
        assert_eq!(records.len(), 5);
        assert_eq!(
            records[0],
            Record {
                priority: 6,
                seq: 339,
                usec: 5_140_900,
                message: "NET: Registered protocol family 10".into()
            }
        );
        assert_eq!(records[1].priority, 4);
        assert!(records[1].message.starts_with("node invoked oom-killer"));
        assert_eq!(records[2].seq, 1602);
        assert_eq!(records[3].priority, 6);
        assert_eq!(records[3].message, "systemd[1]: a;b\\x0a");
        assert_eq!(records[4].priority, 4);
    }

    #[test]
    fn malformed_records() {
        let text = "[  123.456789] dmesg output\n6,x,1,-;bad seq\n6,1;too short\n,1,2,-;no pri\n\n6,2,3,-;fine\n";
        let (records, errors) = parse(text);
        assert_eq!(records.len(), 1);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn memcg_oom_on_cgroup_v2_merges() {
        let text = format!(
            "4,1270,2134567890,-;node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n\
             4,1271,2134567900,-;CPU: 2 PID: 4321 Comm: node Not tainted 5.15.0-91-generic #101-Ubuntu\n\
             6,1288,2134567990,-;memory: usage 524288kB, limit 524288kB, failcnt 77\n\
             6,1290,2134568001,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=docker-{ID}.scope,mems_allowed=0,oom_memcg=/system.slice/docker-{ID}.scope,task_memcg=/system.slice/docker-{ID}.scope,task=node,pid=4321,uid=0\n\
             3,1291,2134568010,-;Memory cgroup out of memory: Killed process 4321 (node) total-vm:1234567kB, anon-rss:520000kB, file-rss:30000kB, shmem-rss:0kB, UID:0 pgtables:1500kB oom_score_adj:0\n"
        );
        let kills = oom_kills(&records(&text));
        assert_eq!(
            kills,
            [OomKill {
                usec: 2_134_568_010,
                pid: 4321,
                name: "node".into(),
                cgroup: Some(format!("/system.slice/docker-{ID}.scope")),
                memcg: true,
            }]
        );
        assert_eq!(container_id(kills[0].cgroup.as_deref().unwrap()), Some(ID));
    }

    #[test]
    fn global_oom_with_rootless_cgroup() {
        let cg =
            format!("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-{ID}.scope");
        let text = format!(
            "6,2045,183273949915,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg={cg},task=stress-ng,pid=98123,uid=1000\n\
             3,2046,183273950012,-;Out of memory: Killed process 98123 (stress-ng) total-vm:8541980kB, anon-rss:7812340kB, file-rss:1234kB, shmem-rss:0kB, UID:1000 pgtables:15436kB oom_score_adj:1000\n\
             6,2047,183273990012,-;oom_reaper: reaped process 98123 (stress-ng), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
        );
        let kills = oom_kills(&records(&text));
        assert_eq!(kills.len(), 1);
        assert_eq!((kills[0].pid, kills[0].name.as_str()), (98123, "stress-ng"));
        assert!(!kills[0].memcg);
        assert_eq!(kills[0].cgroup.as_deref(), Some(cg.as_str()));
        assert_eq!(container_id(&cg), Some(ID));
    }

    #[test]
    fn old_kernel_cgroup_v1() {
        let text = format!(
            "4,812,90211334411,-;java invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null), order=0, oom_score_adj=0\n\
             6,813,90211334455,-;java cpuset={ID} mems_allowed=0\n\
             6,830,90211334900,-;Task in /docker/{ID} killed as a result of limit of /docker/{ID}\n\
             6,831,90211334902,-;memory: usage 524288kB, limit 524288kB, failcnt 1342\n\
             6,840,90211335000,-;[ pid ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name\n\
             3,850,90211335500,-;Memory cgroup out of memory: Kill process 2211 (java) score 1003 or sacrifice child\n\
             3,851,90211335560,-;Killed process 2211 (java) total-vm:4554316kB, anon-rss:519628kB, file-rss:16336kB, shmem-rss:0kB\n\
             6,852,90211340001,-;oom_reaper: reaped process 2211 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB\n"
        );
        let kills = oom_kills(&records(&text));
        assert_eq!(
            kills,
            [OomKill {
                usec: 90_211_335_560,
                pid: 2211,
                name: "java".into(),
                cgroup: Some(format!("/docker/{ID}")),
                memcg: true,
            }]
        );
    }

    #[test]
    fn kernel_4_19_global_and_sacrificed_child() {
        let text = "6,100,5000000,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/app.service,task=java,pid=1234,uid=0\n\
                    3,101,5000100,-;Out of memory: Kill process 1234 (java) score 900 or sacrifice child\n\
                    3,102,5000200,-;Killed process 1240 (Web Content) total-vm:123kB, anon-rss:100kB, file-rss:0kB, shmem-rss:0kB\n\
                    6,200,9000000,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=(sd-pam),pid=77,uid=1000\n\
                    3,201,9000100,-;Out of memory: Kill process 77 ((sd-pam)) score 900 or sacrifice child\n\
                    3,202,9000200,-;Killed process 77 ((sd-pam)) total-vm:123kB, anon-rss:100kB, file-rss:0kB, shmem-rss:0kB\n";
        let kills = oom_kills(&records(text));
        assert_eq!(
            kills,
            [
                OomKill {
                    usec: 5_000_200,
                    pid: 1240,
                    name: "Web Content".into(),
                    cgroup: None,
                    memcg: false,
                },
                OomKill {
                    usec: 9_000_200,
                    pid: 77,
                    name: "(sd-pam)".into(),
                    cgroup: Some("/user.slice".into()),
                    memcg: false,
                },
            ]
        );
    }

    #[test]
    fn duplicates_and_separate_kills() {
        let one = "6,10,1000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=x,pid=10,uid=0\n\
                   3,11,1000050,-;Memory cgroup out of memory: Killed process 10 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB\n";
        // The same log read twice (say, kmsg and a saved dmesg) is still one kill.
        let kills = oom_kills(&records(&format!("{one}{one}")));
        assert_eq!(kills.len(), 1);
        assert_eq!(kills[0].cgroup.as_deref(), Some("/a"));
        // A Killed line without its summary, close to a merged one, is the same kill.
        let text = format!(
            "{one}3,12,1900000,-;Memory cgroup out of memory: Killed process 10 (x) total-vm:1kB\n"
        );
        assert_eq!(oom_kills(&records(&text)).len(), 1);
        // Same pid two seconds later: a second kill (after pid reuse). Another pid at once: another kill.
        let text = format!(
            "{one}3,13,3100000,-;Out of memory: Killed process 10 (x) total-vm:1kB\n\
             3,14,3100001,-;Out of memory: Killed process 11 (y) total-vm:1kB\n"
        );
        let kills = oom_kills(&records(&text));
        assert_eq!(
            kills.iter().map(|k| (k.pid, k.memcg)).collect::<Vec<_>>(),
            [(10, true), (10, false), (11, false)]
        );
    }

    #[test]
    fn truncated_and_mismatched_reports() {
        // A summary whose Killed line is missing still counts; a Killed line for another pid is its own kill.
        let text = "6,1,1000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a,task=x,pid=10,uid=0\n\
                    3,2,1000050,-;Out of memory: Killed process 20 (y) total-vm:1kB\n\
                    6,3,2000000,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/b,task=z,pid=30,uid=0\n";
        let kills = oom_kills(&records(text));
        assert_eq!(
            kills
                .iter()
                .map(|k| (k.pid, k.cgroup.as_deref(), k.memcg))
                .collect::<Vec<_>>(),
            [
                (10, Some("/a"), true),
                (20, None, false),
                (30, Some("/b"), false)
            ]
        );
        // Unrelated lines that merely mention the words are not kills.
        let text = "6,1,1,-;Out of memory: Killed process\n6,2,2,-;Killed process x (y)\n6,3,3,-;oom-kill:garbage\n6,4,4,-;Task in /a\n";
        assert!(oom_kills(&records(text)).is_empty());
    }

    #[test]
    fn container_ids() {
        assert_eq!(
            container_id(&format!("/system.slice/docker-{ID}.scope")),
            Some(ID)
        );
        assert_eq!(container_id(&format!("/docker/{ID}")), Some(ID));
        assert_eq!(
            container_id(&format!(
                "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-{ID}.scope"
            )),
            Some(ID)
        );
        assert_eq!(
            container_id(&format!(
                "/user.slice/user-1000.slice/user@1000.service/docker.service/docker/{ID}"
            )),
            Some(ID)
        );
        assert_eq!(
            container_id(&format!("/system.slice/docker-{ID}.scope/init.scope")),
            Some(ID)
        );
        let inner = ID.chars().rev().collect::<String>();
        assert_eq!(
            container_id(&format!("/docker/{ID}/docker/{inner}")),
            Some(inner.as_str())
        );
        assert_eq!(container_id("/system.slice/docker.service"), None);
        assert_eq!(
            container_id("/user.slice/user-1000.slice/session-2.scope"),
            None
        );
        assert_eq!(container_id(&format!("/docker-{ID}.scopex")), None);
        assert_eq!(
            container_id(&format!("/docker/{}", ID.to_uppercase())),
            None
        );
        assert_eq!(container_id(&format!("/docker/{}", &ID[1..])), None);
        assert_eq!(container_id(&format!("/kubepods/{ID}")), None);
        assert_eq!(container_id(""), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "(.{0,80}\n){0,6}") {
            let (records, _) = parse(&text);
            let _ = oom_kills(&records);
        }

        #[test]
        fn oom_kills_never_panics(
            parts in proptest::collection::vec(
                (
                    any::<u64>(),
                    prop_oneof![
                        Just("oom-kill:"), Just("Killed process "), Just("Out of memory: Kill process "),
                        Just("Memory cgroup out of memory: Killed process "), Just("Task in "), Just(""),
                    ],
                    "[0-9a-z ,=()/:]{0,40}",
                ),
                0..8,
            )
        ) {
            let records: Vec<Record> = parts
                .into_iter()
                .enumerate()
                .map(|(seq, (usec, prefix, rest))| Record {
                    priority: 3,
                    seq: seq as u64,
                    usec,
                    message: format!("{prefix}{rest}"),
                })
                .collect();
            let _ = oom_kills(&records);
        }

        #[test]
        fn records_round_trip(
            recs in proptest::collection::vec((0u32..200, any::<u64>(), any::<u64>(), "[^\r\n]{0,60}"), 0..6)
        ) {
            let text: String = recs
                .iter()
                .map(|(pri, seq, usec, msg)| format!("{pri},{seq},{usec},-;{msg}\n SUBSYSTEM=x\n"))
                .collect();
            let (records, errors) = parse(&text);
            prop_assert!(errors.is_empty());
            let expected: Vec<Record> = recs
                .into_iter()
                .map(|(pri, seq, usec, message)| Record { priority: (pri % 8) as u8, seq, usec, message })
                .collect();
            prop_assert_eq!(records, expected);
        }

        #[test]
        fn kill_round_trips(pid in 1u32..4_194_304, usec in 0u64..1 << 50, name in "[a-zA-Z0-9_.-]{1,15}", id in "[0-9a-f]{64}") {
            let cg = format!("/system.slice/docker-{id}.scope");
            let text = format!(
                "6,1,{usec},-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg={cg},task_memcg={cg},task={name},pid={pid},uid=0\n\
                 3,2,{},-;Memory cgroup out of memory: Killed process {pid} ({name}) total-vm:1kB, anon-rss:1kB\n",
                usec + 10,
            );
            let (records, errors) = parse(&text);
            prop_assert!(errors.is_empty());
            let kills = oom_kills(&records);
            prop_assert_eq!(kills.len(), 1);
            prop_assert_eq!(kills[0].pid, pid);
            prop_assert_eq!(&kills[0].name, &name);
            prop_assert_eq!(container_id(kills[0].cgroup.as_deref().unwrap_or_default()), Some(id.as_str()));
        }

        #[test]
        fn container_id_finds_ids(id in "[0-9a-f]{64}", layout in 0usize..4) {
            let cg = match layout {
                0 => format!("/system.slice/docker-{id}.scope"),
                1 => format!("/docker/{id}"),
                2 => format!("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-{id}.scope"),
                _ => format!("/user.slice/user-1000.slice/user@1000.service/docker.service/docker/{id}"),
            };
            prop_assert_eq!(container_id(&cg), Some(id.as_str()));
        }

        #[test]
        fn container_id_is_always_an_id(cg in "(/(docker|docker-[0-9a-f]{0,3}|[0-9a-f]{64}|\\.scope|[a-z]{0,5}))*") {
            if let Some(id) = container_id(&cg) {
                prop_assert!(is_id(id));
                prop_assert!(cg.contains(id));
            }
        }
    }
}
