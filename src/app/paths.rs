//! Where things go on the agent or the laptop: the report folder, the
//! tool cache, where relative paths start.

use std::path::PathBuf;

use super::Context;
use crate::azure::agent::AgentEnv;
use crate::inputs::Field;
use crate::plan::{InputError, InputErrorKind};

pub(super) fn create_report_dir(
    ctx: &Context,
    requested: Option<&str>,
) -> Result<PathBuf, InputError> {
    let base = requested.map_or_else(|| ctx.default_reports_dir.clone(), |r| ctx.base_dir.join(r));
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S-").to_string();
    std::fs::create_dir_all(&base)
        .and_then(|_| {
            tempfile::Builder::new()
                .prefix(&stamp)
                .rand_bytes(3)
                .tempdir_in(&base)
        })
        .map(|d| d.keep())
        .map_err(|e| {
            InputError::new(
                Field::ReportDirectory,
                InputErrorKind::Unreadable {
                    path: base.display().to_string(),
                    detail: format!("cannot create a folder there: {e}"),
                },
            )
        })
}

/// Where relative paths start in a pipeline.
pub(crate) fn pipeline_base_dir(env: &AgentEnv) -> PathBuf {
    env.variable("system.defaultWorkingDirectory")
        .or(env.variable("build.sourcesDirectory"))
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
}

/// The tool cache: the agent's when there is one (also for `run` inside a
/// pipeline script), else a per-user cache folder.
pub(crate) fn tools_dir(env: &AgentEnv) -> PathBuf {
    if let Some(dir) = env.variable("agent.toolsDirectory") {
        return PathBuf::from(dir);
    }
    user_cache_dir(env).join("tools")
}

fn user_cache_dir(env: &AgentEnv) -> PathBuf {
    let home = || {
        env.get("HOME")
            .or(env.get("USERPROFILE"))
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env.get("LOCALAPPDATA").map(PathBuf::from).or_else(home)
    } else if cfg!(target_os = "macos") {
        home().map(|h| h.join("Library").join("Caches"))
    } else {
        env.get("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| home().map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir)
        .join("postman-cli-task")
}
