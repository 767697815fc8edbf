//! systemd units as systemd assembles them (unit file, drop-ins, masking), and whether one is enabled or active,
//! read from the files systemd leaves behind: no systemctl.

use super::{Facts, Read};
use crate::parse::{self, LineError};

/// A systemd unit as systemd assembles it: the unit file, then its drop-ins in file-name order.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    /// The unit file systemd uses (a link to /dev/null when masked).
    pub path: String,
    /// (path, assignments): the main file first.
    pub files: Vec<(String, Vec<parse::unit::Entry>)>,
    /// Lines systemd would ignore with a warning, by file.
    pub errors: Vec<(String, LineError)>,
    /// The unit file is a symlink to /dev/null (`systemctl mask`) or empty, which systemd treats alike.
    pub masked: bool,
}

impl Unit {
    /// The effective assignments of a list-type setting (ExecStart=, Environment=), resets applied.
    pub fn effective(&self, section: &str, key: &str) -> Vec<(&str, &parse::unit::Entry)> {
        parse::unit::effective(&self.files, section, key)
    }

    pub fn paths(&self) -> Vec<&str> {
        self.files.iter().map(|(p, _)| p.as_str()).collect()
    }
}

/// Where systemd looks for system units, highest priority first (systemd.unit(5)).
pub const SYSTEM_UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// The system-wide directories of the user unit search path, highest priority first (systemd.unit(5)); the
/// user's own come before the first, the third and the fourth of them ([`Facts::user_unit_dirs`]).
pub const SYSTEM_USER_UNIT_DIRS: &[&str] = &[
    "/etc/xdg/systemd/user",
    "/etc/systemd/user",
    "/run/systemd/user",
    "/usr/local/share/systemd/user",
    "/usr/share/systemd/user",
    "/usr/local/lib/systemd/user",
    "/usr/lib/systemd/user",
    "/lib/systemd/user",
];

/// The user unit search path from the user's own directories (configuration, runtime, data) and
/// [`SYSTEM_USER_UNIT_DIRS`], in systemd's order.
fn user_unit_dirs_with([config, runtime, data]: [String; 3]) -> Vec<String> {
    let system = |dirs: &[&str]| dirs.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>();
    let mut dirs = vec![config];
    dirs.extend(system(&SYSTEM_USER_UNIT_DIRS[..2]));
    dirs.push(runtime);
    dirs.extend(system(&SYSTEM_USER_UNIT_DIRS[2..3]));
    dirs.push(data);
    dirs.extend(system(&SYSTEM_USER_UNIT_DIRS[3..]));
    dirs
}

/// The most a unit's files (unit file and drop-ins together) may hold, and each environment file a unit names: 1
/// MiB, hundreds of times a real unit. systemd itself reads more, but a file that size is no unit anybody wrote; a
/// hostile user's 64 MiB drop-ins took gigabytes to parse (found by a hostile-user audit), so past it the unit is
/// not read, and said so.
pub const UNIT_BYTES: u64 = 1 << 20;
/// The most drop-ins a unit is read with: a real unit has a handful.
pub const DROPINS_MAX: usize = 1024;

impl Facts<'_> {
    /// The system's docker.service with its drop-ins, read once.
    pub fn docker_service(&self) -> &Read<Unit> {
        self.derived
            .docker_service
            .get_or_init(|| self.unit("docker.service", SYSTEM_UNIT_DIRS))
    }

    /// The user's docker.service (the rootless daemon's user unit) with its drop-ins, read once.
    pub fn user_docker_service(&self) -> &Read<Unit> {
        self.derived
            .user_docker_service
            .get_or_init(|| self.user_unit("docker.service"))
    }

    /// Where the user's systemd manager looks for units, highest priority first (systemd.unit(5), "User Unit Search
    /// Path", without generators and transient units): the user's own directories, then the system-wide ones.
    pub fn user_unit_dirs(&self) -> Vec<String> {
        user_unit_dirs_with(self.own_user_unit_dirs())
    }

    /// The user's own directories of [`Facts::user_unit_dirs`]: below the home (configuration, data) and the
    /// runtime directory.
    fn own_user_unit_dirs(&self) -> [String; 3] {
        let home = self.user.home.trim_end_matches('/');
        [
            format!("{home}/.config/systemd/user"),
            format!("{}/systemd/user", self.runtime_dir()),
            format!("{home}/.local/share/systemd/user"),
        ]
    }

    /// A user unit with its drop-ins, from [`Facts::user_unit_dirs`].
    pub fn user_unit(&self, name: &str) -> Read<Unit> {
        let own = self.own_user_unit_dirs();
        // Over every account of a tree, an account whose own directories are known missing (no home or runtime
        // directory) finds the unit in the system-wide directories alone, as every such account does: assembled
        // once for all of them.
        if let Some(kept) = self.kept_for_every_account(|s| &s.user_units)
            && own.iter().all(|d| self.known_absent(d))
        {
            if let Some(unit) = kept.borrow().get(name) {
                return unit.clone();
            }
            let unit = self.unit(name, SYSTEM_USER_UNIT_DIRS);
            kept.borrow_mut().insert(name.to_owned(), unit.clone());
            return unit;
        }
        let dirs = user_unit_dirs_with(own);
        let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
        self.unit(name, &dirs)
    }

    /// Whether a user unit is enabled: a link to it in some `*.wants`/`*.requires` directory of the user's
    /// configuration (`systemctl --user enable`) or of /etc/systemd/user (`systemctl --global enable`).
    pub fn user_unit_enabled(&self, name: &str) -> Option<String> {
        let home = self.user.home.trim_end_matches('/');
        for dir in [
            format!("{home}/.config/systemd/user"),
            "/etc/systemd/user".to_owned(),
        ] {
            let names = self.read_dir(&dir).ok().cloned().unwrap_or_default();
            if let Some(p) = names
                .iter()
                .filter(|n| n.ends_with(".wants") || n.ends_with(".requires"))
                .map(|n| format!("{dir}/{n}/{name}"))
                .find(|p| matches!(self.lstat(p), Read::Ok(_)))
            {
                return Some(p);
            }
        }
        None
    }

    /// A systemd unit with its drop-ins, from the directories given in priority order.
    /// `Missing` when no directory has the unit file.
    pub fn unit(&self, name: &str, dirs: &[&str]) -> Read<Unit> {
        let mut main = None;
        for dir in dirs {
            let path = format!("{dir}/{name}");
            match self.lstat(&path) {
                Read::Ok(_) => {
                    main = Some(path);
                    break;
                }
                Read::Missing => {}
                Read::Failed(e) => return Read::Failed(format!("{path}: {e}")),
            }
        }
        let Some(main) = main else {
            return Read::Missing;
        };
        let masked = matches!(self.read_link(&main), Read::Ok(t) if t == "/dev/null");
        // Drop-ins: `NAME.d/*.conf` from every directory; a file name in a higher-priority directory hides the same name below.
        let mut dropins: std::collections::BTreeMap<String, String> =
            std::collections::BTreeMap::new();
        for dir in dirs {
            let d = format!("{dir}/{name}.d");
            if let Read::Ok(names) = self.read_dir(&d) {
                for n in names.into_iter().filter(|n| n.ends_with(".conf")) {
                    dropins
                        .entry(n.clone())
                        .or_insert_with(|| format!("{d}/{n}"));
                }
            }
            // Empty files cost nothing against UNIT_BYTES, and each one read is an answer kept.
            if dropins.len() > DROPINS_MAX {
                return Read::Failed(format!(
                    "{d}: {name} has more than {DROPINS_MAX} drop-ins: not read"
                ));
            }
        }
        let mut unit = Unit {
            name: name.to_owned(),
            path: main.clone(),
            files: Vec::new(),
            errors: Vec::new(),
            masked,
        };
        let mut left = UNIT_BYTES;
        for (i, path) in std::iter::once(main)
            .chain(dropins.into_values())
            .enumerate()
        {
            // A masked unit file is a link to /dev/null, a character device, which the host does not read (it
            // could be any device): systemd treats it as empty, and so does this.
            if i == 0 && masked {
                unit.files.push((path, Vec::new()));
                continue;
            }
            let Some(read) = self.read_at_most(&path, left) else {
                return Read::Failed(format!(
                    "{path}: the unit's files hold more than {} MiB with this one: not read",
                    UNIT_BYTES >> 20
                ));
            };
            match read {
                Read::Ok(text) => {
                    left -= text.len() as u64;
                    // systemd treats an empty unit (or .network) file like a link to /dev/null: masked.
                    unit.masked |= i == 0 && text.is_empty();
                    let (entries, errors) = parse::unit::parse(&text);
                    unit.errors
                        .extend(errors.into_iter().map(|e| (path.clone(), e)));
                    unit.files.push((path, entries));
                }
                // A dangling drop-in is skipped, as systemd does.
                Read::Missing => {}
                Read::Failed(e) => return Read::Failed(format!("{path}: {e}")),
            }
        }
        Read::Ok(unit)
    }

    /// Whether a system unit is enabled: a link to it in some `*.wants`/`*.requires` directory of /etc/systemd/system.
    pub fn unit_enabled(&self, name: &str) -> Option<String> {
        let f = self;
        let dir = "/etc/systemd/system";
        let names = f.read_dir(dir).ok().cloned().unwrap_or_default();
        names
            .iter()
            .filter(|n| n.ends_with(".wants") || n.ends_with(".requires"))
            .map(|n| format!("{dir}/{n}/{name}"))
            .find(|p| matches!(f.lstat(p), Read::Ok(_)))
    }

    /// Whether a system unit is active, from what systemd leaves in /run and /sys (no systemctl).
    pub fn unit_active(&self, name: &str) -> Option<String> {
        let f = self;
        let invocation = format!("/run/systemd/units/invocation:{name}");
        if matches!(f.lstat(&invocation), Read::Ok(_)) {
            return Some(invocation);
        }
        for base in [
            "/sys/fs/cgroup",
            "/sys/fs/cgroup/systemd",
            "/sys/fs/cgroup/unified",
        ] {
            let procs = format!("{base}/system.slice/{name}/cgroup.procs");
            if let Read::Ok(text) = f.read(&procs)
                && !text.trim().is_empty()
            {
                return Some(procs);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    /// Regression (hostile-user review): a million empty drop-ins (nothing against the 1 MiB a unit's files may
    /// hold) made root's run take seconds and hold a gigabyte, and abort under a 1 GiB limit. A unit with more than
    /// [`super::DROPINS_MAX`] drop-ins is not read, and says why.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn regression_a_unit_with_a_flood_of_drop_ins_was_read_whole() {
        let dir = crate::facts::tests::tree_with_alice();
        let root = dir.path();
        let units = root.join("home/alice/.config/systemd/user");
        let dropins = units.join("docker.service.d");
        std::fs::create_dir_all(&dropins).unwrap();
        std::fs::write(
            units.join("docker.service"),
            "[Service]\nExecStart=/usr/bin/dockerd-rootless.sh\n",
        )
        .unwrap();
        let host = crate::host::RealHost::new(root).unwrap();
        let read = |n: usize| {
            for i in 0..n {
                std::fs::write(dropins.join(format!("{i:04}.conf")), "").unwrap();
            }
            let facts = crate::facts::Facts::gather(&host, Some("alice"), None).unwrap();
            facts.user_docker_service().clone()
        };
        match read(super::DROPINS_MAX) {
            crate::facts::Read::Ok(unit) => assert_eq!(unit.files.len(), super::DROPINS_MAX + 1),
            other => panic!("{other:?}"),
        }
        match read(super::DROPINS_MAX + 1) {
            crate::facts::Read::Failed(e) => assert_eq!(
                e,
                "/home/alice/.config/systemd/user/docker.service.d: docker.service has more than 1024 drop-ins: not read"
            ),
            other => panic!("{other:?}"),
        }
    }
}
