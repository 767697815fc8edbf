//! The data every check produces and every output format renders.

use serde::Serialize;

/// How one check came out, best to worst for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    /// A rootless-mode finding while the daemon judged is the rootful one (`--target`): shown, never failing.
    Info,
    Skip,
    Warn,
    /// The check could not read what it needs (an unreadable file, with the path and errno as evidence).
    Error,
    Fail,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pass,
        Status::Info,
        Status::Warn,
        Status::Fail,
        Status::Skip,
        Status::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Fail => "fail",
        }
    }
}

/// What was read, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// A host path (`/etc/subuid:3`), `env:XDG_RUNTIME_DIR`, `statfs:/sys/fs/cgroup`, `identity`, …
    pub source: String,
    pub detail: String,
}

/// What one step of a remediation does, typed, so `fix --apply` carries out exactly what the report shows:
/// the rendered command (`Step::argv`, `Step::stdin`, `Step::render`) is computed from it when the step is made.
/// `Run` is for what no file edit can do (`usermod --add-subuids`, `systemctl daemon-reload`,
/// `apparmor_parser -r`); everything that changes a file is one of the other kinds, which `fix --apply`
/// performs itself (atomically, with a backup) and `fix --undo` reverses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Run a program (argv, never a shell string); `undo` is the argv that reverses it, when one exists.
    Run {
        argv: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        stdin: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        undo: Option<Vec<String>>,
    },
    /// Create or replace a whole file with this content (`tee PATH`); a new file gets `mode`.
    WriteFile {
        path: String,
        content: String,
        #[serde(serialize_with = "octal")]
        mode: u32,
    },
    /// Edit top-level keys of a JSON object file (daemon.json, whose directives are top-level): set these (a new
    /// key goes at the end), remove those, keep every other key and the order of all; the file is written again
    /// pretty-printed (two spaces, a trailing newline), and a missing file is `{}`. `--apply` edits the file it
    /// finds then; the script writes `content` only over the file the plan read (`base_sha256`, `None`: none was
    /// there).
    EditJson {
        path: String,
        set: serde_json::Map<String, serde_json::Value>,
        remove: Vec<String>,
        base_sha256: Option<String>,
        /// The file the edit makes of that base: the step's stdin.
        #[serde(skip)]
        content: String,
    },
    /// Append a line to a file unless the file already holds it (`tee -a PATH`).
    AppendLine { path: String, line: String },
    /// Create a directory and its missing parents (`mkdir -p`), with `mode` for the last one; `owner`
    /// (`user:group`, as `chown` takes it) is given the last one only when this step creates it, never a
    /// directory that was already there.
    MakeDir {
        path: String,
        #[serde(serialize_with = "octal")]
        mode: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    /// Set a file's permission bits (`chmod`).
    SetMode {
        path: String,
        #[serde(serialize_with = "octal")]
        mode: u32,
    },
    /// Set a file's owner and group (`chown`), by name as `chown` takes them.
    SetOwner { path: String, owner: String },
    /// Remove a file (`rm`); its content is kept as the backup.
    Remove { path: String },
    /// Remove a directory and everything below it (`rm -rf`): a stale, throw-away tree, which is not backed up.
    RemoveTree { path: String },
    /// Rename a path (`mv FROM TO`); `TO` must not exist.
    Rename { from: String, to: String },
    /// Set a kernel parameter now (`sysctl -w KEY=VALUE`, a write to /proc/sys); a sysctl.d file keeps it at boot.
    SetSysctl { key: String, value: String },
    /// Load a kernel module now (`modprobe NAME`); a modules-load.d file loads it at boot.
    LoadModule { name: String },
    /// Install packages with the distribution's package manager.
    Install { packages: Vec<String> },
    /// Keep the user's systemd instance running without a login (`loginctl enable-linger USER`).
    EnableLinger { user: String },
}

fn octal<S: serde::Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{mode:04o}"))
}

impl Action {
    /// The path this action changes, for the kinds that change one file or directory.
    pub fn path(&self) -> Option<&str> {
        match self {
            Action::WriteFile { path, .. }
            | Action::EditJson { path, .. }
            | Action::AppendLine { path, .. }
            | Action::MakeDir { path, .. }
            | Action::SetMode { path, .. }
            | Action::SetOwner { path, .. }
            | Action::Remove { path }
            | Action::RemoveTree { path } => Some(path),
            Action::Rename { from, .. } => Some(from),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Action::Run { .. } => "run",
            Action::WriteFile { .. } => "write_file",
            Action::EditJson { .. } => "edit_json",
            Action::AppendLine { .. } => "append_line",
            Action::MakeDir { .. } => "make_dir",
            Action::SetMode { .. } => "set_mode",
            Action::SetOwner { .. } => "set_owner",
            Action::Remove { .. } => "remove",
            Action::RemoveTree { .. } => "remove_tree",
            Action::Rename { .. } => "rename",
            Action::SetSysctl { .. } => "set_sysctl",
            Action::LoadModule { .. } => "load_module",
            Action::Install { .. } => "install",
            Action::EnableLinger { .. } => "enable_linger",
        }
    }
}

/// One command of a remediation: a typed [`Action`] and its rendered form, an argv (never a shell string
/// built from input) plus optional stdin (file contents for `tee`). In JSON it also carries `command`, the
/// rendered form, and `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Needs root (shown with `sudo`); otherwise it is done as the user.
    pub root: bool,
    pub argv: Vec<String>,
    pub stdin: Option<String>,
    pub action: Action,
}

impl Serialize for Step {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("Step", 5)?;
        st.serialize_field("root", &self.root)?;
        st.serialize_field("command", &self.render())?;
        st.serialize_field("argv", &self.argv)?;
        if let Some(stdin) = &self.stdin {
            st.serialize_field("stdin", stdin)?;
        }
        st.serialize_field("action", &self.action)?;
        st.end()
    }
}

fn words<I, S>(argv: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    argv.into_iter().map(Into::into).collect()
}

impl Step {
    /// A command run as root (`Action::Run`).
    pub fn root<I, S>(argv: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Step::new(true, argv)
    }

    /// A command, as root or as the user (`Action::Run`).
    pub fn new<I, S>(root: bool, argv: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv = words(argv);
        Step {
            root,
            action: Action::Run {
                argv: argv.clone(),
                stdin: None,
                undo: None,
            },
            argv,
            stdin: None,
        }
    }

    /// A command run as the user (`Action::Run`).
    pub fn user<I, S>(argv: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Step::new(false, argv)
    }

    /// The step that carries out `action`, rendered as the command a person would type.
    pub fn action(root: bool, action: Action) -> Step {
        let (argv, stdin): (Vec<String>, Option<String>) = match &action {
            Action::Run { argv, stdin, .. } => (argv.clone(), stdin.clone()),
            Action::WriteFile {
                path,
                content,
                mode,
            } => {
                if *mode == 0o644 {
                    (words(["tee", path.as_str()]), Some(content.clone()))
                } else {
                    let m = format!("{mode:04o}");
                    (
                        words(["install", "-m", m.as_str(), "/dev/stdin", path.as_str()]),
                        Some(content.clone()),
                    )
                }
            }
            Action::EditJson { path, content, .. } => {
                (words(["tee", path.as_str()]), Some(content.clone()))
            }
            Action::AppendLine { path, line } => {
                let mut l = line.clone();
                if !l.ends_with('\n') {
                    l.push('\n');
                }
                (words(["tee", "-a", path.as_str()]), Some(l))
            }
            Action::MakeDir {
                path,
                mode,
                owner: Some(owner),
            } => {
                // `install -d` sets the owner and mode of the directory it names; parents get the defaults.
                let m = format!("{mode:04o}");
                let (user, group) = owner.split_once(':').unwrap_or((owner.as_str(), ""));
                let mut argv = words(["install", "-d", "-m", m.as_str(), "-o", user]);
                if !group.is_empty() {
                    argv.extend(words(["-g", group]));
                }
                argv.push(path.clone());
                (argv, None)
            }
            Action::MakeDir { path, mode, .. } => {
                if *mode == 0o755 {
                    (words(["mkdir", "-p", path.as_str()]), None)
                } else {
                    let m = format!("{mode:04o}");
                    (
                        words(["mkdir", "-p", "-m", m.as_str(), path.as_str()]),
                        None,
                    )
                }
            }
            Action::SetMode { path, mode } => {
                let m = format!("{mode:04o}");
                (words(["chmod", m.as_str(), path.as_str()]), None)
            }
            Action::SetOwner { path, owner } => {
                (words(["chown", owner.as_str(), path.as_str()]), None)
            }
            Action::Remove { path } => (words(["rm", "--", path.as_str()]), None),
            Action::RemoveTree { path } => (words(["rm", "-rf", "--", path.as_str()]), None),
            Action::Rename { from, to } => {
                (words(["mv", "-n", "--", from.as_str(), to.as_str()]), None)
            }
            Action::SetSysctl { key, value } => (
                words(["sysctl", "-w", format!("{key}={value}").as_str()]),
                None,
            ),
            Action::LoadModule { name } => (words(["modprobe", name.as_str()]), None),
            Action::Install { .. } => (Vec::new(), None),
            Action::EnableLinger { user } => {
                (words(["loginctl", "enable-linger", user.as_str()]), None)
            }
        };
        Step {
            root,
            argv,
            stdin,
            action,
        }
    }

    /// `tee PATH`: a whole file, 0644 when new.
    pub fn write_file(root: bool, path: impl Into<String>, content: impl Into<String>) -> Step {
        Step::write_file_mode(root, path, content, 0o644)
    }

    pub fn write_file_mode(
        root: bool,
        path: impl Into<String>,
        content: impl Into<String>,
        mode: u32,
    ) -> Step {
        Step::action(
            root,
            Action::WriteFile {
                path: path.into(),
                content: content.into(),
                mode,
            },
        )
    }

    /// The edit of the JSON object file `path` whose content the plan read is `base` (`None`: missing): `None` when
    /// that content is not a JSON object (`daemon.config` reports it) or already is as the edit would leave it.
    pub fn edit_json(
        root: bool,
        path: impl Into<String>,
        base: Option<&str>,
        set: serde_json::Map<String, serde_json::Value>,
        remove: Vec<String>,
    ) -> Option<Step> {
        let content = crate::parse::json_edit::edit(base.unwrap_or("").as_bytes(), &set, &remove)
            .ok()
            .flatten()?;
        Some(Step::action(
            root,
            Action::EditJson {
                path: path.into(),
                set,
                remove,
                base_sha256: base.map(|b| sha256_hex(b.as_bytes())),
                content,
            },
        ))
    }

    /// One line for a person: `set "dns": ["10.0.0.2"], remove "rootless" in PATH` for a JSON edit, else the command.
    pub fn describe(&self) -> String {
        let Action::EditJson {
            path, set, remove, ..
        } = &self.action
        else {
            return self.render();
        };
        let mut parts: Vec<String> = set
            .iter()
            .map(|(k, v)| {
                format!(
                    "set {}: {}",
                    serde_json::Value::from(k.as_str()),
                    serde_json::to_string(v).unwrap_or_default()
                )
            })
            .collect();
        parts.extend(
            remove
                .iter()
                .filter(|k| !set.contains_key(*k))
                .map(|k| format!("remove {}", serde_json::Value::from(k.as_str()))),
        );
        escape_controls(&format!("{} in {path}", parts.join(", "))).into_owned()
    }

    /// `tee -a PATH`, done only when the file lacks the line.
    pub fn append_line(root: bool, path: impl Into<String>, line: impl Into<String>) -> Step {
        Step::action(
            root,
            Action::AppendLine {
                path: path.into(),
                line: line.into().trim_end_matches('\n').to_owned(),
            },
        )
    }

    /// `mkdir -p PATH` (0755).
    pub fn make_dir(root: bool, path: impl Into<String>) -> Step {
        Step::make_dir_mode(root, path, 0o755)
    }

    pub fn make_dir_mode(root: bool, path: impl Into<String>, mode: u32) -> Step {
        Step::action(
            root,
            Action::MakeDir {
                path: path.into(),
                mode,
                owner: None,
            },
        )
    }

    /// A directory root makes for someone (`install -d -m MODE -o USER -g GROUP PATH`): the owner goes to the
    /// directory only when the step makes it, so a directory that exists keeps its owner.
    pub fn make_dir_for(path: impl Into<String>, mode: u32, owner: impl Into<String>) -> Step {
        Step::action(
            true,
            Action::MakeDir {
                path: path.into(),
                mode,
                owner: Some(owner.into()),
            },
        )
    }

    pub fn set_mode(root: bool, path: impl Into<String>, mode: u32) -> Step {
        Step::action(
            root,
            Action::SetMode {
                path: path.into(),
                mode,
            },
        )
    }

    pub fn set_owner(path: impl Into<String>, owner: impl Into<String>) -> Step {
        Step::action(
            true,
            Action::SetOwner {
                path: path.into(),
                owner: owner.into(),
            },
        )
    }

    pub fn remove(root: bool, path: impl Into<String>) -> Step {
        Step::action(root, Action::Remove { path: path.into() })
    }

    pub fn remove_tree(root: bool, path: impl Into<String>) -> Step {
        Step::action(root, Action::RemoveTree { path: path.into() })
    }

    pub fn rename(root: bool, from: impl Into<String>, to: impl Into<String>) -> Step {
        Step::action(
            root,
            Action::Rename {
                from: from.into(),
                to: to.into(),
            },
        )
    }

    /// `sysctl -w KEY=VALUE`, as root.
    pub fn sysctl(key: impl Into<String>, value: impl Into<String>) -> Step {
        Step::action(
            true,
            Action::SetSysctl {
                key: key.into(),
                value: value.into(),
            },
        )
    }

    /// `modprobe NAME`, as root.
    pub fn load_module(name: impl Into<String>) -> Step {
        Step::action(true, Action::LoadModule { name: name.into() })
    }

    /// `loginctl enable-linger USER`, as root.
    pub fn linger(user: impl Into<String>) -> Step {
        Step::action(true, Action::EnableLinger { user: user.into() })
    }

    /// The package manager's command (`apt-get install -y …`, from distros/) for these packages.
    pub fn install(argv: Vec<String>, packages: Vec<String>) -> Step {
        Step {
            root: true,
            argv,
            stdin: None,
            action: Action::Install { packages },
        }
    }

    /// The argv that reverses a `Run` step (`usermod --del-subuids` for `--add-subuids`).
    pub fn undo<I, S>(mut self, argv: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Action::Run { undo, .. } = &mut self.action {
            *undo = Some(words(argv));
        }
        self
    }

    /// Input for a `Run` step's program (a file's content goes in a `WriteFile` step instead).
    pub fn with_stdin(mut self, stdin: impl Into<String>) -> Step {
        let stdin = stdin.into();
        if let Action::Run { stdin: s, .. } = &mut self.action {
            *s = Some(stdin.clone());
        }
        self.stdin = Some(stdin);
        self
    }

    /// The copy-pasteable form: `sudo tee /etc/x <<'EOF' … EOF`, arguments quoted for a POSIX shell.
    ///
    /// The result holds no terminal control character but the newlines of a here-document: a word or a
    /// file content with one (from a hostile path, say) is written in `$'…'` quoting instead, which bash,
    /// zsh and dash turn back into the same bytes.
    ///
    /// A JSON edit writes the whole new file, guarded: only over the content the plan read (its sha256, by
    /// coreutils' or busybox's `sha256sum`), or, when there was none, where there still is none; otherwise it
    /// says so and fails (`false`: a script under `set -e` stops, a pasted command only fails).
    pub fn render(&self) -> String {
        let command = self.render_command();
        let Action::EditJson {
            path, base_sha256, ..
        } = &self.action
        else {
            return command;
        };
        let p = shell_quote(path);
        let sudo = if self.root { "sudo " } else { "" };
        let (test, then, why) = match base_sha256 {
            Some(sum) => (
                if self.root {
                    format!("[ \"$(sudo cat -- {p} | sha256sum)\" = '{sum}  -' ]")
                } else {
                    format!("[ \"$(sha256sum <{p})\" = '{sum}  -' ]")
                },
                command,
                "changed since rootless-doctor read it",
            ),
            None => {
                let dir = parent_dir(path);
                (
                    format!("[ ! -e {p} ] && [ ! -L {p} ]"),
                    format!("{sudo}mkdir -p -- {} && {command}", shell_quote(dir)),
                    "appeared since rootless-doctor looked",
                )
            }
        };
        let message = shell_quote(&format!(
            "{path}: {why}: not edited (run rootless-doctor fix again)"
        ));
        format!("if {test}\nthen {then}\nelse echo {message} >&2; false\nfi")
    }

    /// `render` without a JSON edit's guard.
    fn render_command(&self) -> String {
        let tee = self.argv.first().is_some_and(|a| a == "tee");
        let mut line = String::new();
        if self.root {
            line.push_str("sudo ");
        }
        let words: Vec<String> = self.argv.iter().map(|a| shell_quote(a)).collect();
        line.push_str(&words.join(" "));
        if tee {
            // tee echoes what it writes; the user needs only the file.
            line.push_str(" >/dev/null");
        }
        let Some(stdin) = &self.stdin else {
            return line;
        };
        let single_line = !stdin.trim_end_matches('\n').contains('\n');
        if single_line && tee {
            let content = shell_quote(stdin.trim_end_matches('\n'));
            return format!("echo {content} | {line}");
        }
        if stdin.chars().any(|c| c != '\n' && is_terminal_control(c)) {
            // A here-document would carry the raw character to the terminal.
            return format!("printf %s {} | {line}", ansi_c_quote(stdin));
        }
        here_document(&line, stdin)
    }
}

/// `LINE <<'EOF'`, then `stdin` and the marker on lines of their own; the marker is one no line of `stdin` is.
pub(crate) fn here_document(line: &str, stdin: &str) -> String {
    let mut marker = "EOF".to_owned();
    while stdin.lines().any(|l| l == marker) {
        marker.push('_');
    }
    let mut out = format!("{line} <<'{marker}'\n{stdin}");
    if !stdin.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&marker);
    out
}

/// The directory that holds `path` (`/` for the root and what lies in it).
pub fn parent_dir(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((p, _)) => p,
    }
}

/// A sha256 digest in lowercase hex, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Quotes a word for a POSIX shell only when it needs it; a word holding a terminal control character
/// gets `$'…'` quoting with the character escaped, so the quoted form never carries it raw.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else if word.chars().any(is_terminal_control) {
        ansi_c_quote(word)
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `$'…'` quoting (bash, zsh, ksh; not dash, whose 0.5.12 prints it as it is): every terminal control character
/// escaped. For the human report, pasted into an interactive shell; `fix --format script` leaves such steps to
/// `fix --apply`.
fn ansi_c_quote(word: &str) -> String {
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            '\r' => out.push_str(r"\r"),
            '\x1b' => out.push_str(r"\e"),
            c if c < '\u{80}' && is_terminal_control(c) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if is_terminal_control(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Characters a terminal acts on instead of showing: C0 controls (newline and tab included), DEL, C1 controls,
/// and the Unicode bidirectional overrides and isolates, which reorder what is shown around them.
pub fn is_terminal_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every terminal control character written visibly: `\e`, `\r`, `\n`, `\t`, `\x07`, `\u{202e}`.
/// The human report passes every host-derived string through it, so a file cannot move the cursor,
/// recolour or hide a line, set the window title or write the clipboard (OSC 52) of whoever reads the report.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\x1b' => out.push_str(r"\e"),
            '\r' => out.push_str(r"\r"),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            c if c < '\u{80}' && is_terminal_control(c) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if is_terminal_control(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How to fix a finding: why, then exact commands for the detected distro.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remediation {
    pub text: String,
    pub steps: Vec<Step>,
    /// Why `fix --apply` shows these steps but leaves them to the person: they are alternatives to choose
    /// from, need a new login or a reboot, or start something interactive. `None`: the steps, in order, are
    /// the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_hand: Option<&'static str>,
}

impl Remediation {
    pub fn text(text: impl Into<String>) -> Remediation {
        Remediation {
            text: text.into(),
            steps: Vec::new(),
            by_hand: None,
        }
    }

    /// Marks the steps as the person's to run, with the reason `fix` gives.
    pub fn by_hand(mut self, why: &'static str) -> Remediation {
        self.by_hand = Some(why);
        self
    }

    pub fn step(mut self, step: Step) -> Remediation {
        self.steps.push(step);
        self
    }

    pub fn steps(mut self, steps: impl IntoIterator<Item = Step>) -> Remediation {
        self.steps.extend(steps);
        self
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub area: &'static str,
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    pub remediation: Option<Remediation>,
    pub reference: &'static str,
}

/// The most evidence lines a finding keeps; the rest become one `… N more lines` line.
pub const MAX_EVIDENCE: usize = 40;
/// The most characters of a summary (the longest real one, several problems joined, is about 400).
pub const MAX_SUMMARY_CHARS: usize = 1000;
/// The most characters of an evidence line's source and of its detail.
pub const MAX_EVIDENCE_CHARS: usize = 1000;
/// The most characters of a remediation's text.
pub const MAX_FIX_TEXT_CHARS: usize = 4000;
/// The most commands a remediation shows.
pub const MAX_STEPS: usize = 40;
/// The most bytes of one command (its argv and stdin together); a longer one is left out, never cut,
/// since a cut command would do something else.
pub const MAX_STEP_BYTES: usize = 64 * 1024;

impl Finding {
    /// The finding of check `id` from its verdict, with the caps above applied: checks read files that
    /// hostile users write (a million-line /etc/subuid), and the report stays small whatever they hold.
    pub fn new(
        id: &'static str,
        area: &'static str,
        reference: &'static str,
        v: Verdict,
    ) -> Finding {
        let mut evidence = v.evidence;
        let more = evidence.len().saturating_sub(MAX_EVIDENCE);
        evidence.truncate(MAX_EVIDENCE);
        for e in &mut evidence {
            cap_chars(&mut e.source, MAX_EVIDENCE_CHARS);
            cap_chars(&mut e.detail, MAX_EVIDENCE_CHARS);
        }
        if more > 0 {
            evidence.push(Evidence {
                source: "…".to_owned(),
                detail: format!("{more} more lines"),
            });
        }
        let mut summary = v.summary;
        cap_chars(&mut summary, MAX_SUMMARY_CHARS);
        Finding {
            id,
            area,
            status: v.status,
            summary,
            evidence,
            remediation: v.remediation.map(|r| r.capped()),
            reference,
        }
    }
}

impl Remediation {
    fn capped(mut self) -> Remediation {
        cap_chars(&mut self.text, MAX_FIX_TEXT_CHARS);
        let before = self.steps.len();
        self.steps.retain(|s| {
            s.argv.iter().map(String::len).sum::<usize>() + s.stdin.as_ref().map_or(0, String::len)
                <= MAX_STEP_BYTES
        });
        let long = before - self.steps.len();
        if long > 0 {
            self.text.push_str(&format!(
                " ({long} command(s) longer than {MAX_STEP_BYTES} bytes not shown.)"
            ));
        }
        let more = self.steps.len().saturating_sub(MAX_STEPS);
        if more > 0 {
            self.steps.truncate(MAX_STEPS);
            self.text
                .push_str(&format!(" (… {more} more commands not shown.)"));
        }
        self
    }
}

/// Cuts `text` to `max` characters (on a character boundary), saying how many were left out.
fn cap_chars(text: &mut String, max: usize) {
    // A text of at most `max` bytes has at most `max` characters: nothing to count (most texts, and every run's).
    if text.len() <= max {
        return;
    }
    if let Some((cut, _)) = text.char_indices().nth(max) {
        let more = text[cut..].chars().count();
        text.truncate(cut);
        text.push_str(&format!("… ({more} more characters)"));
    }
}

/// What a check function returns; the engine adds the check's ID, area and reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// Boxed, like `explained_by`: with `Remediation::by_hand` inline, a `Verdict` outgrew clippy's
    /// `result_large_err` bound for the helpers that return it as their error.
    pub remediation: Option<Box<Remediation>>,
    /// Checks whose findings explain this one (`launch.trial`'s error, through `parse::known_errors`):
    /// `checks::run` adds what each of them says in the same run, since a check never sees another's verdict.
    /// (Boxed: a `Verdict` is the error type of many helpers, and clippy keeps those small.)
    pub explained_by: Box<[&'static str]>,
}

impl Verdict {
    pub fn new(status: Status, summary: impl Into<String>) -> Verdict {
        Verdict {
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            remediation: None,
            explained_by: Box::default(),
        }
    }

    /// Names the checks that explain this verdict (see [`Verdict::explained_by`]).
    pub fn explained_by(mut self, checks: Vec<&'static str>) -> Verdict {
        self.explained_by = checks.into_boxed_slice();
        self
    }
    pub fn pass(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Pass, summary)
    }
    pub fn warn(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Warn, summary)
    }
    pub fn fail(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Fail, summary)
    }
    pub fn skip(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Skip, summary)
    }
    pub fn error(summary: impl Into<String>) -> Verdict {
        Verdict::new(Status::Error, summary)
    }

    pub fn evidence(mut self, source: impl Into<String>, detail: impl Into<String>) -> Verdict {
        self.evidence.push(Evidence {
            source: source.into(),
            detail: detail.into(),
        });
        self
    }

    pub fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Verdict {
        self.evidence.extend(evidence);
        self
    }

    pub fn fix(mut self, remediation: Remediation) -> Verdict {
        self.remediation = Some(Box::new(remediation));
        self
    }

    /// Attaches a fix only when the verdict is not a pass (a passing check needs none).
    pub fn fix_unless_pass(self, remediation: impl FnOnce() -> Remediation) -> Verdict {
        if self.status == Status::Pass || self.status == Status::Skip {
            self
        } else {
            self.fix(remediation())
        }
    }
}

/// A kernel option's value as the config file writes it: `y`, `m` or `n`.
pub fn tristate_letter(t: crate::parse::kernel::Tristate) -> &'static str {
    use crate::parse::kernel::Tristate;
    match t {
        Tristate::Yes => "y",
        Tristate::Module => "m",
        Tristate::No => "n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_render_as_copy_pasteable_commands() {
        assert_eq!(
            Step::root(["apt-get", "install", "-y", "uidmap"]).render(),
            "sudo apt-get install -y uidmap"
        );
        assert_eq!(
            Step::root(["tee", "-a", "/etc/subuid"])
                .with_stdin("alice:100000:65536\n")
                .render(),
            "echo alice:100000:65536 | sudo tee -a /etc/subuid >/dev/null"
        );
        assert_eq!(
            Step::root(["tee", "/etc/apparmor.d/x"])
                .with_stdin("a {\n  userns,\n}\n")
                .render(),
            "sudo tee /etc/apparmor.d/x >/dev/null <<'EOF'\na {\n  userns,\n}\nEOF"
        );
        assert_eq!(Step::user(["echo", "it's"]).render(), r"echo 'it'\''s'");
    }

    #[test]
    fn a_json_edit_renders_the_whole_file_guarded_by_the_content_read() {
        let set: serde_json::Map<String, serde_json::Value> =
            [("dns".to_owned(), serde_json::json!(["10.0.0.2"]))]
                .into_iter()
                .collect();
        let base = "{\"rootless\": false, \"debug\": true}\n";
        let s = Step::edit_json(
            false,
            "/home/a/.config/docker/daemon.json",
            Some(base),
            set.clone(),
            vec!["rootless".into()],
        )
        .unwrap();
        assert_eq!(s.action.kind(), "edit_json");
        assert_eq!(
            s.describe(),
            "set \"dns\": [\"10.0.0.2\"], remove \"rootless\" in /home/a/.config/docker/daemon.json"
        );
        let sum = sha256_hex(base.as_bytes());
        assert_eq!(
            s.render(),
            format!(
                "if [ \"$(sha256sum </home/a/.config/docker/daemon.json)\" = '{sum}  -' ]\n\
then tee /home/a/.config/docker/daemon.json >/dev/null <<'EOF'\n{{\n  \"debug\": true,\n  \"dns\": [\n    \"10.0.0.2\"\n  ]\n}}\nEOF\n\
else echo '/home/a/.config/docker/daemon.json: changed since rootless-doctor read it: not edited (run rootless-doctor fix again)' >&2; false\nfi"
            )
        );
        // As root, the copy-pasteable form reads the file through sudo; a missing file must still be missing.
        let r =
            Step::edit_json(true, "/etc/docker/daemon.json", None, set.clone(), vec![]).unwrap();
        assert_eq!(
            r.render(),
            "if [ ! -e /etc/docker/daemon.json ] && [ ! -L /etc/docker/daemon.json ]\n\
then sudo mkdir -p -- /etc/docker && sudo tee /etc/docker/daemon.json >/dev/null <<'EOF'\n{\n  \"dns\": [\n    \"10.0.0.2\"\n  ]\n}\nEOF\n\
else echo '/etc/docker/daemon.json: appeared since rootless-doctor looked: not edited (run rootless-doctor fix again)' >&2; false\nfi"
        );
        // Nothing to do, or not a JSON object: no step.
        assert!(
            Step::edit_json(
                false,
                "/x.json",
                Some("{}"),
                serde_json::Map::new(),
                vec!["a".into()]
            )
            .is_none()
        );
        assert!(Step::edit_json(false, "/x.json", Some("[1]"), set.clone(), vec![]).is_none());
        // A hostile path and key never reach the terminal raw.
        let h = Step::edit_json(
            false,
            "/home/a\x1b[2J/daemon.json",
            None,
            [("k\u{202e}".to_owned(), serde_json::json!("v\x07"))]
                .into_iter()
                .collect(),
            vec![],
        )
        .unwrap();
        for text in [h.render(), h.describe()] {
            assert!(
                !text.chars().any(|c| c != '\n' && is_terminal_control(c)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn regression_terminal_injection_step_render() {
        // A hostile path in a command: quoted so the shell gets the same bytes, and no raw ESC reaches the terminal.
        assert_eq!(
            Step::root(["chown", "alice:", "/home/a\x1b[2K\rb'c"]).render(),
            r"sudo chown alice: $'/home/a\e[2K\rb\'c'"
        );
        assert_eq!(
            Step::root(["tee", "/etc/x"])
                .with_stdin("ok\x1b]52;c;eA==\x07\n")
                .render(),
            r"echo $'ok\e]52;c;eA==\x07' | sudo tee /etc/x >/dev/null"
        );
        assert_eq!(
            Step::root(["tee", "/etc/x"])
                .with_stdin("a\n\u{202e}b\n")
                .render(),
            r"printf %s $'a\n\u202eb\n' | sudo tee /etc/x >/dev/null"
        );
        // A here-document line that looks like one keeps its marker out of the command.
        assert_eq!(
            Step::root(["tee", "/etc/x"])
                .with_stdin("a <<'b\n")
                .render(),
            r"echo 'a <<'\''b' | sudo tee /etc/x >/dev/null"
        );
    }

    proptest::proptest! {
        #[test]
        fn rendered_steps_carry_no_control_characters_but_newlines(
            argv in proptest::collection::vec("(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}]){0,12}", 1..4),
            stdin in proptest::option::of("(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{2069}]){0,40}"),
            root in proptest::bool::ANY,
        ) {
            let mut step = Step::new(root, argv);
            step.stdin = stdin;
            let text = step.render();
            proptest::prop_assert!(!text.chars().any(|c| c != '\n' && is_terminal_control(c)), "{:?}", text);
        }
    }

    #[test]
    fn regression_unbounded_output_finding_caps() {
        let mut v = Verdict::fail("x".repeat(5000)).fix(
            Remediation::text("y".repeat(10_000))
                .steps((0..100).map(|i| Step::user(["echo", &i.to_string()])))
                .step(Step::root(["tee", "/etc/big"]).with_stdin("z".repeat(100_000))),
        );
        for i in 0..1000 {
            v = v.evidence(format!("/etc/subuid:{i}"), "é".repeat(3000));
        }
        let f = Finding::new("subid.entries", "subid", "ref", v);
        assert_eq!(
            f.summary.chars().count(),
            MAX_SUMMARY_CHARS + "… (4000 more characters)".chars().count()
        );
        assert!(f.summary.ends_with("… (4000 more characters)"));
        assert_eq!(f.evidence.len(), MAX_EVIDENCE + 1);
        assert_eq!(f.evidence[MAX_EVIDENCE].detail, "960 more lines");
        assert!(f.evidence[0].detail.ends_with("é… (2000 more characters)"));
        let r = f.remediation.unwrap();
        assert_eq!(r.steps.len(), MAX_STEPS);
        assert!(
            r.steps.iter().all(|s| s.stdin.is_none()),
            "the long tee was dropped"
        );
        assert!(r.text.contains("(6000 more characters)"));
        assert!(r.text.contains("1 command(s) longer than"));
        assert!(r.text.ends_with("(… 60 more commands not shown.)"));
        // Findings under the caps are untouched.
        let small = Verdict::warn("short")
            .evidence("a", "b")
            .fix(Remediation::text("t").step(Step::user(["true"])));
        let f = Finding::new("subid.entries", "subid", "ref", small.clone());
        assert_eq!(
            (f.summary, f.evidence, f.remediation),
            (small.summary, small.evidence, small.remediation.map(|r| *r))
        );
    }

    #[test]
    fn status_order_puts_fail_last() {
        assert!(Status::Fail > Status::Error);
        assert!(Status::Error > Status::Warn);
        assert!(Status::Warn > Status::Skip);
        assert!(Status::Skip > Status::Info);
        assert!(Status::Info > Status::Pass);
    }
}
