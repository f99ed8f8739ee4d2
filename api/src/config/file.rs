//! The settings file (`--config trellis.toml` or `TRELLIS_CONFIG`): every serve flag can
//! be a key of it, named as the flag (`max-depth = 12`). Precedence is flags, then
//! environment, then the file, then defaults: a key of the file is applied only where
//! neither a flag nor a variable set that setting, by handing it to clap as if it were
//! a flag, so that the file is checked by exactly the parsers the flags are.

use super::Cli;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use toml_edit::{Item, Value};

/// The flag that names the file.
const CONFIG: &str = "config";

/// The command line, the environment and the file, read into settings.
#[derive(Debug)]
pub struct Loaded {
    pub cli: Cli,
    /// The settings file read, if any.
    pub file: Option<PathBuf>,
    /// Every serve setting with its value and where it came from.
    pub settings: Vec<Setting>,
}

/// One effective setting, for `trellis config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The flag's name, which is also its key in the file.
    pub name: String,
    /// The values (several for a repeated flag), secrets masked; empty when unset.
    pub values: Vec<String>,
    pub source: Source,
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(String),
    File { path: PathBuf, line: usize },
    Default,
    Unset,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::File { path, line } => write!(f, "{}:{line}", path.display()),
            Source::Default => f.write_str("default"),
            Source::Unset => f.write_str("unset"),
        }
    }
}

/// Why the settings could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// A flag or variable is wrong (or `--help`/`--version`): clap prints it.
    Cli(clap::Error),
    /// The file is unreadable or wrong: one line naming the file, the line and the setting.
    File(String),
}

/// A key of the file, turned into the flag clap would have seen.
struct FileSetting {
    id: String,
    line: usize,
    flags: Vec<OsString>,
}

/// Reads flags (`args`, the program name first), the environment and the file.
pub fn load<I, T>(args: I) -> Result<Loaded, LoadError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let matches = Cli::command().try_get_matches_from(&args).map_err(LoadError::Cli)?;
    let Some(path) = serve_matches(&matches).and_then(config_path) else {
        return finish(&matches, &[], None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| LoadError::File(format!("cannot read the settings file {}: {e}", path.display())))?;
    let serve = serve_matches(&matches).unwrap_or(&matches);
    let from_file = settings_of(&path, &text, serve)?;
    let mut all = args.clone();
    for setting in &from_file {
        let mut one = args.clone();
        one.extend(setting.flags.iter().cloned());
        if let Err(error) = Cli::command().try_get_matches_from(&one) {
            return Err(file_error(&path, setting.line, &format!("setting `{}`: {}", setting.id, clap_reason(&error))));
        }
        all.extend(setting.flags.iter().cloned());
    }
    let matches = Cli::command().try_get_matches_from(&all).map_err(LoadError::Cli)?;
    finish(&matches, &from_file, Some(&path))
}

fn finish(matches: &ArgMatches, from_file: &[FileSetting], path: Option<&Path>) -> Result<Loaded, LoadError> {
    let cli = Cli::from_arg_matches(matches).map_err(LoadError::Cli)?;
    let settings = serve_matches(matches).map(|serve| describe(serve, from_file, path)).unwrap_or_default();
    Ok(Loaded { cli, file: path.map(Path::to_owned), settings })
}

/// The matches that hold the serve settings (the subcommand's, or the top level's when
/// there is none); `None` for the commands that do not serve, which read no file.
fn serve_matches(matches: &ArgMatches) -> Option<&ArgMatches> {
    match matches.subcommand() {
        Some(("serve" | "config", sub)) => Some(sub),
        None => Some(matches),
        Some(_) => None,
    }
}

fn config_path(matches: &ArgMatches) -> Option<PathBuf> {
    matches.try_get_one::<PathBuf>(CONFIG).ok().flatten().cloned()
}

/// The serve command's settings, by the flag name the file uses.
fn serve_args() -> Vec<clap::Arg> {
    let command = Cli::command();
    let serve = command.find_subcommand("serve").cloned().unwrap_or(command);
    serve.get_arguments().filter(|arg| arg.get_long().is_some_and(|long| long != CONFIG)).cloned().collect()
}

/// The file's keys that no flag or variable overrides, as flags.
fn settings_of(path: &Path, text: &str, matches: &ArgMatches) -> Result<Vec<FileSetting>, LoadError> {
    let document = toml_edit::Document::parse(text).map_err(|error| {
        let line = error.span().map_or(1, |span| line_of(text, span.start));
        file_error(path, line, error.message())
    })?;
    let args = serve_args();
    let mut settings = Vec::new();
    for (key, item) in document.iter() {
        let line = document.key(key).and_then(|k| k.span()).map_or(1, |span| line_of(text, span.start));
        let Item::Value(value) = item else {
            return Err(file_error(
                path,
                line,
                &format!("`{key}`: write `key = value` lines only (the file has no sections)"),
            ));
        };
        let Some(arg) = args.iter().find(|arg| arg.get_long() == Some(key)) else {
            let hint = args
                .iter()
                .filter_map(clap::Arg::get_long)
                .find(|long| long.replace('-', "_") == key.replace('-', "_"))
                .map(|long| format!(" (did you mean `{long}`?)"))
                .unwrap_or_default();
            return Err(file_error(path, line, &format!("unknown setting `{key}`{hint}")));
        };
        let id = arg.get_id().as_str();
        let overridden = matches!(matches.value_source(id), Some(ValueSource::CommandLine | ValueSource::EnvVariable));
        if overridden {
            continue;
        }
        let flags = flags_of(arg, key, value)
            .map_err(|reason| file_error(path, line, &format!("setting `{key}`: {reason}")))?;
        settings.push(FileSetting { id: key.to_owned(), line, flags });
    }
    Ok(settings)
}

/// `key = value` as the flags that say the same.
fn flags_of(arg: &clap::Arg, key: &str, value: &Value) -> Result<Vec<OsString>, String> {
    if !arg.get_action().takes_values() {
        return match value.as_bool() {
            Some(true) => Ok(vec![format!("--{key}").into()]),
            Some(false) => Ok(Vec::new()),
            None => Err("expected true or false".into()),
        };
    }
    let values = match value {
        Value::Array(array) => array.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
        other => vec![scalar(other)?],
    };
    Ok(values.into_iter().map(|v| format!("--{key}={v}").into()).collect())
}

fn scalar(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.value().clone()),
        Value::Integer(i) => Ok(i.value().to_string()),
        Value::Float(f) => Ok(f.value().to_string()),
        Value::Boolean(b) => Ok(b.value().to_string()),
        _ => Err("expected a string, a number, a boolean or a list of them".into()),
    }
}

/// Every serve setting, its value and its source.
fn describe(matches: &ArgMatches, from_file: &[FileSetting], path: Option<&Path>) -> Vec<Setting> {
    serve_args()
        .iter()
        .filter_map(|arg| {
            let name = arg.get_long()?.to_owned();
            let id = arg.get_id().as_str();
            let file = from_file.iter().find(|s| s.id == name);
            let source = match (matches.value_source(id), file, path) {
                (Some(ValueSource::CommandLine), Some(setting), Some(path)) => {
                    Source::File { path: path.to_owned(), line: setting.line }
                }
                (Some(ValueSource::CommandLine), ..) => Source::Flag,
                (Some(ValueSource::EnvVariable), ..) => {
                    Source::Env(arg.get_env().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default())
                }
                (Some(ValueSource::DefaultValue), ..) => Source::Default,
                _ => Source::Unset,
            };
            let raw = matches.get_raw(id).into_iter().flatten();
            let values = raw.map(|v| mask(&name, arg, v.to_string_lossy().into_owned())).collect();
            Some(Setting { name, values, source })
        })
        .collect()
}

/// Secrets print as `***`; a URL's password too.
fn mask(name: &str, arg: &clap::Arg, value: String) -> String {
    if arg.is_hide_env_values_set() {
        "***".into()
    } else if name.ends_with("url") || name.ends_with("endpoint") {
        service::db::redact(&value)
    } else {
        value
    }
}

/// The effective configuration as a settings file, each line saying where it came from.
pub fn render(file: Option<&Path>, settings: &[Setting]) -> String {
    let mut text = String::from("# The effective configuration: flags > environment > file > defaults.\n");
    if let Some(file) = file {
        text.push_str(&format!("# Settings file: {}\n", file.display()));
    }
    for setting in settings {
        let value = match setting.values.as_slice() {
            [] => format!("# {} (unset)", setting.name),
            [one] => format!("{} = {}", setting.name, quote(one)),
            many => format!("{} = [{}]", setting.name, many.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")),
        };
        text.push_str(&format!("{value:<60} # {}\n", setting.source));
    }
    text
}

fn quote(value: &str) -> String {
    let plain = value.parse::<i64>().is_ok() || value == "true" || value == "false";
    if plain { value.to_owned() } else { format!("{value:?}") }
}

fn file_error(path: &Path, line: usize, reason: &str) -> LoadError {
    LoadError::File(format!("{}:{line}: {reason}", path.display()))
}

/// A wrong value as one line (clap's reason without its prefix and usage lines); `None`
/// for what clap should print itself (help, version, an unknown flag with its usage).
pub fn wrong_value(error: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    matches!(error.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue).then(|| clap_reason(error))
}

/// clap's reason, without its "error:" prefix and usage lines.
fn clap_reason(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    first.trim_start_matches("error: ").to_owned()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}
