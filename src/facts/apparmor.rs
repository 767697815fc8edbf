//! The AppArmor profiles on disk (/etc/apparmor.d), with the tunables their attachments expand.

use super::{Facts, FileKind, Read};
use crate::model::Evidence;
use crate::parse::apparmor::{self, Profile, Variables};

/// Where the profiles live.
pub const PROFILE_DIR: &str = "/etc/apparmor.d";

/// The profiles apparmor.service would load, with the variables of tunables/.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub loaded: Vec<LoadedProfile>,
    pub variables: Variables,
    /// Files that could not be read or parsed in full (the first error of each), or the directory's absence.
    pub notes: Vec<Evidence>,
}

impl Profiles {
    /// Whether an enabled profile attaching to `real` grants `userns`.
    pub fn grants_userns(&self, real: &str) -> bool {
        self.loaded.iter().any(|l| {
            !l.disabled
                && l.profile.userns
                && l.profile
                    .attach_pattern()
                    // An attachment too large to expand attaches to nothing here; `apparmor.rootlesskit` names it.
                    .is_some_and(|p| {
                        apparmor::attachment_matches(p, &self.variables, real).unwrap_or(false)
                    })
        })
    }
}

impl Facts<'_> {
    /// The profiles in /etc/apparmor.d, read once; `Err` is the errno text of an unreadable directory.
    pub fn apparmor_profiles(&self) -> &Result<Profiles, String> {
        self.derived
            .apparmor_profiles
            .get_or_init(|| load_profiles(self))
    }
}

/// The profiles on disk, with the file each came from and whether it is disabled.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub file: String,
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
        if name.starts_with('.')
            || name.ends_with('~')
            || name.contains(".dpkg-")
            || name.ends_with(".rpmnew")
            || name.ends_with(".rpmsave")
        {
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
