//! The AppArmor profiles on disk (/etc/apparmor.d), with the tunables their attachments expand, and which
//! of them the kernel attaches to a given executable.

use std::collections::BTreeMap;

use super::{Facts, FileKind, Read};
use crate::model::Evidence;
use crate::parse::apparmor::{
    self, Choice, Effect, PolicyError, Profile, Resolver, Source, Specificity, Variables,
};

/// Where the profiles live.
pub const PROFILE_DIR: &str = "/etc/apparmor.d";

/// The profiles apparmor.service would load, with the variables of tunables/.
///
/// Each file is read on its own here, without its includes: that is enough to know which profiles exist and
/// what they attach to. [`Facts::apparmor_attaching`] reads the files of the profiles that attach to a path
/// again, with their includes, as apparmor_parser does.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub loaded: Vec<LoadedProfile>,
    pub variables: Variables,
    /// Files that could not be read or parsed in full (the first error of each), or the directory's absence.
    pub notes: Vec<Evidence>,
}

/// A profile that attaches to the judged path, read with its includes.
#[derive(Debug, Clone)]
pub struct Attached {
    pub file: String,
    pub profile: Profile,
    /// Its file is linked in /etc/apparmor.d/disable.
    pub disabled: bool,
    /// Why apparmor_parser refuses its file (a missing `include` without `if exists`): then none of the
    /// file's profiles is loaded.
    pub refused: Option<PolicyError>,
    pub specificity: Specificity,
    /// The feature ABI its file pins (`abi <abi/4.0>,`), if any.
    pub abi: Option<(u32, u32)>,
}

impl Attached {
    /// Whether it lets its processes create user namespaces under the restriction: a `userns,` rule, or a file
    /// pinned to an ABI before 4.0, which has no userns mediation.
    pub fn allows_userns(&self) -> bool {
        self.profile.userns || self.abi.is_some_and(|v| v < (4, 0))
    }

    /// Whether it confines what it attaches to (enforce mode: neither `flags=(unconfined)` nor `complain`).
    pub fn confines(&self) -> bool {
        !self
            .profile
            .flags
            .iter()
            .any(|f| f == "unconfined" || f == "complain")
    }

    /// Whether apparmor.service loads it at boot.
    pub fn loaded(&self) -> bool {
        !self.disabled && self.refused.is_none()
    }

    /// `file:line` of the profile's header.
    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.profile.line)
    }
}

/// The profiles that attach to one path and the kernel's choice among the loaded ones.
#[derive(Debug, Clone)]
pub struct Attaching {
    pub profiles: Vec<Attached>,
    /// Indices into `profiles`.
    pub choice: Choice,
    /// Attachments too large to expand ([`apparmor::MAX_EXPANSION_BYTES`]): not judged.
    pub unexpanded: Vec<Evidence>,
    /// Includes not read in full (caps, unreadable files): what was read is judged.
    pub not_judged: Vec<Evidence>,
    /// [`Profiles::notes`].
    pub notes: Vec<Evidence>,
}

impl Attaching {
    /// The profile the kernel attaches, when exactly one does.
    pub fn chosen(&self) -> Option<&Attached> {
        match self.choice {
            Choice::One(i) => self.profiles.get(i),
            Choice::Nothing | Choice::Conflict(_) => None,
        }
    }

    /// Whether the profile the kernel attaches grants `userns`.
    pub fn grants_userns(&self) -> bool {
        self.chosen().is_some_and(Attached::allows_userns)
    }
}

impl Facts<'_> {
    /// The profiles in /etc/apparmor.d, read once; `Err` is the errno text of an unreadable directory.
    pub fn apparmor_profiles(&self) -> &Result<Profiles, String> {
        self.derived
            .apparmor_profiles
            .get_or_init(|| load_profiles(self))
    }

    /// The profiles that attach to the executable `real` (a resolved path), each read with its includes, and
    /// which one the kernel attaches to it. `Err` is the errno text of an unreadable /etc/apparmor.d.
    pub fn apparmor_attaching(&self, real: &str) -> Result<Attaching, String> {
        let all = self.apparmor_profiles().as_ref().map_err(Clone::clone)?;
        let vars = &all.variables;
        let mut files: Vec<(&str, bool)> = Vec::new();
        let mut unexpanded = Vec::new();
        let mut not_judged = Vec::new();
        for l in &all.loaded {
            match apparmor::specificity(&l.profile, vars, real) {
                Ok(Some(_)) => {
                    if !files.iter().any(|(f, _)| *f == l.file) {
                        files.push((&l.file, l.disabled));
                    }
                }
                Ok(None) => {}
                Err(e) => unexpanded.push(Evidence {
                    source: format!("{}:{}", l.file, l.profile.line),
                    detail: format!("profile {}: {e}; not judged", l.profile.name),
                }),
            }
        }
        let mut reader = Includes {
            f: self,
            cache: BTreeMap::new(),
        };
        let mut profiles = Vec::new();
        for (file, disabled) in files {
            let text = match self.read(file) {
                Read::Ok(t) => t,
                // Read once already; a file that changed meanwhile keeps the first reading's note.
                Read::Missing | Read::Failed(_) => continue,
            };
            let abi = apparmor::declared_abi(&text);
            let policy = apparmor::parse_policy(file, &text, &mut reader);
            let refused = policy.refused().cloned();
            for e in policy
                .errors
                .iter()
                .filter(|e| e.effect == Effect::NotJudged)
            {
                not_judged.push(Evidence {
                    source: format!("{}:{}", e.file, e.line),
                    detail: e.message.clone(),
                });
            }
            for profile in policy.profiles {
                if let Ok(Some(specificity)) = apparmor::specificity(&profile, vars, real) {
                    profiles.push(Attached {
                        file: file.to_string(),
                        profile,
                        disabled,
                        refused: refused.clone(),
                        specificity,
                        abi,
                    });
                }
            }
        }
        // A name defined in two files is one kernel profile (the later load replaces the earlier), so only
        // distinct names compete; the last definition in load order stands for its name.
        let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in profiles.iter().enumerate() {
            if a.loaded() {
                by_name.insert(&a.profile.name, i);
            }
        }
        let mut candidates: Vec<usize> = by_name.into_values().collect();
        candidates.sort_unstable();
        let specs: Vec<Specificity> = candidates
            .iter()
            .filter_map(|&i| profiles.get(i).map(|a| a.specificity))
            .collect();
        let pick = |k: usize| candidates.get(k).copied().unwrap_or_default();
        let choice = match apparmor::kernel_choice(&specs) {
            Choice::Nothing => Choice::Nothing,
            Choice::One(k) => Choice::One(pick(k)),
            Choice::Conflict(ks) => Choice::Conflict(ks.into_iter().map(pick).collect()),
        };
        Ok(Attaching {
            profiles,
            choice,
            unexpanded,
            not_judged,
            notes: all.notes.clone(),
        })
    }
}

/// Reads include targets through `Facts`, each once per judgement.
struct Includes<'a, 'h> {
    f: &'a Facts<'h>,
    cache: BTreeMap<String, Source>,
}

impl Resolver for Includes<'_, '_> {
    fn open(&mut self, path: &str) -> Source {
        if let Some(s) = self.cache.get(path) {
            return s.clone();
        }
        let source = match self.f.stat(path) {
            Read::Ok(m) if m.kind == FileKind::Dir => match self.f.read_dir(path) {
                Read::Ok(names) => Source::Dir(names),
                Read::Missing => Source::Missing,
                Read::Failed(e) => Source::Failed(e),
            },
            Read::Ok(m) if m.kind == FileKind::File => match self.f.read(path) {
                Read::Ok(text) => Source::File(text),
                Read::Missing => Source::Missing,
                Read::Failed(e) => Source::Failed(e),
            },
            Read::Ok(m) => Source::Failed(format!("a {:?}, not a regular file", m.kind)),
            Read::Missing => Source::Missing,
            Read::Failed(e) => Source::Failed(e),
        };
        self.cache.insert(path.to_string(), source.clone());
        source
    }
}

/// The profiles on disk, with the file each came from and whether it is disabled.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub file: String,
    /// As read from the file alone: `userns` counts the profile's own rules, not its includes'.
    pub profile: Profile,
    pub disabled: bool,
}

fn load_profiles(f: &Facts) -> Result<Profiles, String> {
    let names = match f.read_dir(PROFILE_DIR) {
        Read::Ok(n) => n,
        Read::Missing => {
            return Ok(Profiles {
                loaded: Vec::new(),
                variables: Variables::new(),
                notes: vec![Evidence {
                    source: PROFILE_DIR.into(),
                    detail: "missing".into(),
                }],
            });
        }
        Read::Failed(e) => return Err(e),
    };
    let mut vars = Variables::new();
    let mut notes = Vec::new();
    // Variables such as @{HOME} come from tunables/ (and tunables/home.d/), which profiles include.
    for dir in [
        "/etc/apparmor.d/tunables",
        "/etc/apparmor.d/tunables/home.d",
    ] {
        if let Read::Ok(files) = f.read_dir(dir) {
            for name in files {
                let path = format!("{dir}/{name}");
                if let Read::Ok(text) = f.read(&path) {
                    apparmor::parse_variables(&text, &mut vars);
                }
            }
        }
    }
    let disabled: Vec<String> = match f.read_dir("/etc/apparmor.d/disable") {
        Read::Ok(d) => d,
        _ => Vec::new(),
    };
    let mut loaded = Vec::new();
    for name in names {
        // Package-manager leftovers and editor backups are not loaded by apparmor.service.
        if apparmor::is_skipped_name(&name) {
            continue;
        }
        let path = format!("{PROFILE_DIR}/{name}");
        match f.stat(&path) {
            Read::Ok(m) if m.kind == FileKind::File => {}
            _ => continue,
        }
        match f.read(&path) {
            Read::Ok(text) => {
                let (profiles, errors) = apparmor::parse_profiles(&text);
                for e in errors.iter().take(1) {
                    notes.push(Evidence {
                        source: format!("{path}:{}", e.line),
                        detail: e.message.clone(),
                    });
                }
                for profile in profiles {
                    loaded.push(LoadedProfile {
                        file: path.clone(),
                        profile,
                        disabled: disabled.contains(&name),
                    });
                }
            }
            Read::Failed(e) => notes.push(Evidence {
                source: path,
                detail: format!("unreadable: {e}"),
            }),
            Read::Missing => {}
        }
    }
    Ok(Profiles {
        loaded,
        variables: vars,
        notes,
    })
}
