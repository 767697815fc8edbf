//! Where shadow takes the judged user's subordinate ids from, and what `getsubids` says when that is a module.
//!
//! shadow (≥ 4.11) asks a module named in `/etc/nsswitch.conf` (`subid: sss` → `libsubid_sss.so`) instead of
//! /etc/subuid and /etc/subgid, in newuidmap and newgidmap too (`have_sub_uids` asks the module's `has_range`).
//! Which module, and whether dlopen(3) can find it, is read here without running anything
//! ([`Facts::subid_nss`]); what the module answers only `getsubids` can say ([`Facts::getsubids`], a spawn: only
//! the checks that `check` and `preflight --probe` run call it).

use std::time::Duration;

use super::launch::Exit;
use super::launch::{Trial, TrialRun};
use super::{Facts, FileKind, Read};
use crate::parse::subid::{NssSource, shadow_nss_source};

/// The directories dlopen(3) finds a bare library name in: glibc's system directories, and those listed in
/// /etc/ld.so.conf.d/*.conf (through ld.so.cache, which ldconfig builds from them when a package installs a library).
const SYSTEM_LIB_DIRS: &[&str] = &["/lib64", "/usr/lib64", "/lib", "/usr/lib"];

/// The `subid:` source of /etc/nsswitch.conf as shadow reads it, with the module's library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubidNss {
    /// The files (no `subid:` line, `files` first, or no /etc/nsswitch.conf).
    Files,
    /// A module shadow cannot load: it prints why and uses the files (`Error opening libsubid_sss.so: …` and
    /// `Using files`).
    Unloadable { name: String, why: String },
    /// A module that loads: the files are not read, by getsubids, newuidmap or newgidmap.
    Module { name: String, library: String },
}

/// How long one `getsubids` may take (sssd answers from its cache; a directory server that does not answer is
/// the module's problem, bounded here).
const GETSUBIDS_TIMEOUT: Duration = Duration::from_secs(5);

/// The four runs RootlessKit makes (`getsubids USER`, `getsubids UID`, `getsubids -g USER`, `getsubids -g UID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Getsubids {
    pub program: String,
    /// (arguments, what the run did), in RootlessKit's order.
    pub runs: Vec<(Vec<String>, Trial)>,
}

impl Getsubids {
    /// The output of the run with these arguments, when it exited 0 (RootlessKit counts only those).
    pub fn stdout(&self, args: &[&str]) -> Option<&TrialRun> {
        self.runs
            .iter()
            .find(|(a, _)| a.iter().map(String::as_str).eq(args.iter().copied()))
            .and_then(|(_, t)| match t {
                Trial::Ran(r) if r.exit == Exit::Code(0) => Some(r),
                _ => None,
            })
    }
}

impl Facts<'_> {
    /// shadow's `subid:` source, and whether its module can be loaded.
    pub fn subid_nss(&self) -> &SubidNss {
        self.derived.subid_nss.get_or_init(|| {
            let text = match self.read("/etc/nsswitch.conf") {
                Read::Ok(t) => t,
                _ => return SubidNss::Files,
            };
            match shadow_nss_source(&text) {
                NssSource::Files => SubidNss::Files,
                NssSource::TooLong(name) => SubidNss::Unloadable {
                    why: "Subid NSS module name too long (longer than 50 characters)".to_owned(),
                    name,
                },
                NssSource::Module(name) => {
                    let file = format!("libsubid_{name}.so");
                    let dirs = self.library_dirs();
                    match dirs
                        .iter()
                        .map(|d| format!("{d}/{file}"))
                        .find(|p| matches!(self.stat(p), Read::Ok(m) if m.kind == FileKind::File))
                    {
                        Some(library) => SubidNss::Module { name, library },
                        None => SubidNss::Unloadable {
                            why: format!("{file} is in none of {}", dirs.join(", ")),
                            name,
                        },
                    }
                }
            }
        })
    }

    /// The library directories: /etc/ld.so.conf.d/*.conf's lines, then glibc's system directories.
    fn library_dirs(&self) -> Vec<String> {
        let mut dirs: Vec<String> = Vec::new();
        if let Read::Ok(mut names) = self.read_dir("/etc/ld.so.conf.d") {
            names.sort();
            for name in names.iter().filter(|n| n.ends_with(".conf")) {
                if let Read::Ok(text) = self.read(&format!("/etc/ld.so.conf.d/{name}")) {
                    for line in text.lines() {
                        let line = line.split('#').next().unwrap_or_default().trim();
                        if line.starts_with('/') && !dirs.iter().any(|d| d == line) {
                            dirs.push(line.trim_end_matches('/').to_owned());
                        }
                    }
                }
            }
        }
        for d in SYSTEM_LIB_DIRS {
            if !dirs.iter().any(|x| x == d) {
                dirs.push((*d).to_owned());
            }
        }
        dirs
    }

    /// RootlessKit's four getsubids runs, as the judged user with the trial's environment; `None` when no module
    /// decides (then getsubids reads the files, which the checks read themselves) or getsubids is not on the PATH.
    /// It spawns: only for `check` and `preflight --probe`.
    pub fn getsubids(&self) -> Option<&Getsubids> {
        self.derived
            .getsubids
            .get_or_init(|| {
                if !matches!(self.subid_nss(), SubidNss::Module { .. }) {
                    return None;
                }
                let program = self.which("getsubids")?;
                let name = self.user.name.clone();
                let uid = self.user.uid.to_string();
                let env = vec![
                    ("HOME".to_owned(), self.user.home.clone()),
                    ("USER".to_owned(), name.clone()),
                    ("LOGNAME".to_owned(), name.clone()),
                    ("PATH".to_owned(), self.path_dirs().join(":")),
                ];
                let as_user =
                    (self.identity.euid == 0 && self.user.uid != 0).then_some(name.clone());
                let runs = [
                    vec![name.clone()],
                    vec![uid.clone()],
                    vec!["-g".to_owned(), name],
                    vec!["-g".to_owned(), uid],
                ]
                .into_iter()
                .map(|args| {
                    let argv: Vec<String> = std::iter::once(program.clone())
                        .chain(args.iter().cloned())
                        .collect();
                    let cmd = self.bounded(&argv, &env, as_user.as_ref(), GETSUBIDS_TIMEOUT);
                    (args, super::launch::run(self, &cmd))
                })
                .collect();
                Some(Getsubids { program, runs })
            })
            .as_ref()
    }
}
