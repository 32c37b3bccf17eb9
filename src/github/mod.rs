//! All of GitHub, and the only reader of `GITHUB_*` variables: the Actions environment (the
//! PR's base branch, the release name, the job summary, annotations) here, and in `rest` the
//! REST side that finds the pull request and keeps one sticky comment on it, found again by the
//! markdown renderer's hidden marker and updated in place. The token is held here and never
//! formatted into any message.

use serde_json::Value;

use perfgate_format::{Acceptance, Comparison, Verdict};

use crate::error::{Error, Result};

mod rest;

use crate::report::markdown::Markdown;
use crate::report::Render;
pub(crate) use rest::post_sticky;

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Whether this runs in GitHub Actions (`GITHUB_ACTIONS=true`).
pub(crate) fn in_actions() -> bool {
    env("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// The runner's temp directory (`RUNNER_TEMP`), emptied by the runner for every job, in
/// GitHub Actions only.
pub(crate) fn runner_temp() -> Option<std::path::PathBuf> {
    if !in_actions() {
        return None;
    }
    env("RUNNER_TEMP").map(std::path::PathBuf::from)
}

/// The pull request's base branch in a `pull_request` run (`GITHUB_BASE_REF`).
pub(crate) fn pr_base_ref() -> Option<String> {
    env("GITHUB_BASE_REF").map(|b| b.trim().to_string())
}

/// The event this run is for (`GITHUB_EVENT_NAME`) and its payload (`GITHUB_EVENT_PATH`), both
/// written by the runner: nothing in the pull request's tree can change them.
fn event() -> Option<(String, std::result::Result<Value, String>)> {
    let name = env("GITHUB_EVENT_NAME")?;
    let payload = match env("GITHUB_EVENT_PATH") {
        Some(path) => read_event(&path).map_err(|e| e.to_string()),
        None => Err("GITHUB_EVENT_PATH is not set".to_string()),
    };
    Some((name, payload))
}

/// A maintainer's acceptance of this pull request's confirmed regressions: `label` added to
/// the pull request, as the event GitHub wrote records it. `Err` says why the event could not
/// be read, or why a label that is there is not applied (then nothing is accepted).
pub fn acceptance(label: &str) -> std::result::Result<Option<Acceptance>, String> {
    match event() {
        None => Ok(None),
        Some((name, payload)) => acceptance_in(&name, &payload?, label).transpose(),
    }
}

/// The acceptance an event carries. A label accepts the head commit it was added on: only the
/// `labeled` event for that label applies it (with who added it and that head); on any later
/// event of the pull request (a push is `synchronize`) the label still there accepts nothing,
/// and `Some(Err(…))` says how to accept the new head.
pub fn acceptance_in(
    event_name: &str,
    payload: &Value,
    label: &str,
) -> Option<std::result::Result<Acceptance, String>> {
    if !matches!(event_name, "pull_request" | "pull_request_target") {
        return None;
    }
    let labelled = payload
        .pointer("/pull_request/labels")?
        .as_array()?
        .iter()
        .any(|l| l.get("name").and_then(Value::as_str) == Some(label));
    if !labelled {
        return None;
    }
    let just_added = payload.get("action").and_then(Value::as_str) == Some("labeled")
        && payload.pointer("/label/name").and_then(Value::as_str) == Some(label);
    let head_sha = payload
        .pointer("/pull_request/head/sha")
        .and_then(Value::as_str)
        .map(str::to_string);
    if !just_added {
        return Some(Err(format!(
            "the label `{label}` was added for an earlier head of this pull request and accepts only that commit: remove it and add it again to accept {}",
            head_sha
                .as_deref()
                .map(|sha| format!("this head ({})", perfgate_format::short_commit(sha)))
                .unwrap_or_else(|| "this head".to_string())
        )));
    }
    Some(Ok(Acceptance {
        label: label.to_string(),
        by: payload
            .pointer("/sender/login")
            .and_then(Value::as_str)
            .map(str::to_string),
        pull_request: payload
            .pointer("/pull_request/number")
            .and_then(Value::as_u64),
        head_sha,
    }))
}

/// The default branch, when this run is for a push to it (`GITHUB_EVENT_NAME=push`,
/// `GITHUB_REF` naming the branch the payload's repository calls its default).
pub(crate) fn default_branch_push() -> Option<String> {
    let (name, payload) = event()?;
    let payload = payload.ok()?;
    default_branch_push_in(&name, env("GITHUB_REF").as_deref()?, &payload)
}

/// The branch of a push event to the repository's default branch.
pub fn default_branch_push_in(event_name: &str, git_ref: &str, payload: &Value) -> Option<String> {
    let branch = git_ref.strip_prefix("refs/heads/")?;
    let default = payload
        .pointer("/repository/default_branch")
        .and_then(Value::as_str)?;
    (event_name == "push" && branch == default).then(|| branch.to_string())
}

/// The tag or branch a release job runs for (`GITHUB_REF_NAME`).
pub(crate) fn release_name() -> Option<String> {
    env("GITHUB_REF_NAME")
}

/// A warning on stderr, and as an annotation in Actions.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
    if in_actions() {
        println!(
            "::warning title=perfgate::{}",
            workflow_command_text(message)
        );
    }
}

/// Text made inert inside a workflow command (`::error …::text`): `%`, CR and LF escaped as
/// the runner expects, so no text can end the command or start another.
fn workflow_command_text(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// In GitHub Actions: the job summary and `::error` annotations for the worst entries. With
/// `json_on_stdout` stdout carries only the JSON, so the annotations go to stderr.
pub(crate) fn actions_output(comparison: &Comparison, json_on_stdout: bool) {
    if let Some(path) = env("GITHUB_STEP_SUMMARY") {
        append(
            &path,
            &Markdown::summary().render(comparison),
            "the job summary",
        );
    }
    if !in_actions() {
        return;
    }
    // GitHub shows about ten annotations per step: the worst first, by verdict then change.
    let mut worst: Vec<_> = comparison
        .entries
        .iter()
        .filter(|e| e.verdict.fails_gate() || e.verdict == Verdict::Error)
        .collect();
    worst.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(b.change.unwrap_or(0.0).total_cmp(&a.change.unwrap_or(0.0)))
    });
    for e in worst.iter().take(10) {
        let message = format!(
            "{} {}: {}{}",
            e.id,
            e.verdict.as_str(),
            crate::report::format_change(e),
            e.note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
        let line = format!(
            "::error title=perfgate::{}",
            workflow_command_text(&message)
        );
        if json_on_stdout {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// In GitHub Actions: the verdict, the counts and where compare.json is, as step outputs
/// (`GITHUB_OUTPUT`), so a workflow (and `action.yml`) can read them without parsing JSON.
pub(crate) fn step_outputs(comparison: &Comparison, compare_json: &std::path::Path) {
    let Some(path) = env("GITHUB_OUTPUT") else {
        return;
    };
    let c = &comparison.counts;
    let lines = format!(
        "verdict={}\nbenchmarks={}\nregressed={}\nbudget-fail={}\nunconfirmed={}\ninconclusive={}\naccepted={}\nwarn={}\nimproved={}\nerror={}\ncompare-json={}\n",
        comparison.verdict.as_str(),
        c.total,
        c.regressed,
        c.budget_fail,
        c.unconfirmed,
        c.inconclusive,
        c.accepted,
        c.warn,
        c.improved,
        c.error,
        // A path with a newline would end the value early: GitHub reads one line per output.
        compare_json.display().to_string().replace(['\n', '\r'], " ")
    );
    append(&path, &lines, "the step outputs");
}

/// Appends to one of the runner's files (`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`); a failure
/// is a warning: the gate's verdict does not depend on it.
fn append(path: &str, text: &str, what: &str) {
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = appended {
        eprintln!("warning: cannot write {what} to {path}: {e}");
    }
}

/// Where to post, from flags first and the Actions environment second.
pub(crate) struct Destination {
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub pr: PullRequest,
    token: String,
}

/// How the pull request is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullRequest {
    Number(u64),
    /// Only the head commit is known (a `workflow_run` event from a fork).
    HeadSha(String),
}

/// What `post_sticky` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Posted {
    Created { comment_id: u64, pr: u64 },
    Updated { comment_id: u64, pr: u64 },
}

impl Destination {
    /// Reads `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_API_URL` and `GITHUB_EVENT_PATH`;
    /// `repo`, `pr` and `head_sha` override them.
    pub(crate) fn from_env(
        repo: Option<&str>,
        pr: Option<u64>,
        head_sha: Option<&str>,
    ) -> Result<Self> {
        let token = env("GITHUB_TOKEN").ok_or_else(|| {
            Error::Usage(
                "GITHUB_TOKEN is not set: the comment needs a token with pull-requests: write"
                    .to_string(),
            )
        })?;
        let full = repo
            .map(str::to_string)
            .or_else(|| env("GITHUB_REPOSITORY"))
            .ok_or_else(|| {
                Error::Usage(
                    "no repository: pass --repo owner/name or set GITHUB_REPOSITORY".to_string(),
                )
            })?;
        let source = if repo.is_some() {
            "--repo"
        } else {
            "GITHUB_REPOSITORY"
        };
        let (owner, name) = full
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| Error::Usage(format!("{source} `{full}`: expected owner/name")))?;
        let event = match env("GITHUB_EVENT_PATH") {
            Some(path) => Some(read_event(&path)?),
            None => None,
        };
        let pr = match (pr, head_sha) {
            (Some(n), _) => PullRequest::Number(n),
            (None, Some(sha)) => PullRequest::HeadSha(sha.to_string()),
            (None, None) => event
                .as_ref()
                .and_then(pull_request_of)
                .ok_or_else(|| Error::Usage(
                    "no pull request: pass --pr N, or run in a pull_request or workflow_run event (GITHUB_EVENT_PATH)".to_string(),
                ))?,
        };
        Ok(Destination {
            api_url: env("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".to_string()),
            owner: owner.to_string(),
            repo: name.to_string(),
            pr,
            token,
        })
    }
}

fn read_event(path: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!(
        "GITHUB_EVENT_PATH names {path}, which cannot be read ({e}); run in GitHub Actions, or pass --pr N"
    )))?;
    serde_json::from_str(&text).map_err(|e| Error::Parse {
        location: path.to_string(),
        what: "GitHub event payload (GITHUB_EVENT_PATH)",
        detail: e.to_string(),
    })
}

/// The pull request an event is about: `pull_request(_target)`, `issue_comment` on a PR, or a
/// `workflow_run` (its PR list, empty for forks, else its head commit).
pub fn pull_request_of(event: &Value) -> Option<PullRequest> {
    if let Some(n) = event
        .pointer("/pull_request/number")
        .and_then(Value::as_u64)
    {
        return Some(PullRequest::Number(n));
    }
    if event.pointer("/issue/pull_request").is_some() {
        if let Some(n) = event.pointer("/issue/number").and_then(Value::as_u64) {
            return Some(PullRequest::Number(n));
        }
    }
    let run = event.get("workflow_run")?;
    if let Some(n) = run
        .pointer("/pull_requests/0/number")
        .and_then(Value::as_u64)
    {
        return Some(PullRequest::Number(n));
    }
    run.get("head_sha")
        .and_then(Value::as_str)
        .map(|s| PullRequest::HeadSha(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workflow_command_text_cannot_end_the_command_or_start_another() {
        let text = workflow_command_text("50%\r\n::error::owned");
        assert_eq!(text, "50%25%0D%0A::error::owned");
        assert!(!text.contains('\n') && !text.contains('\r'));
    }

    #[test]
    fn only_a_push_to_the_default_branch_is_one() {
        let payload = json!({"repository": {"default_branch": "main"}});
        let on = |event: &str, git_ref: &str| default_branch_push_in(event, git_ref, &payload);
        assert_eq!(on("push", "refs/heads/main").as_deref(), Some("main"));
        assert_eq!(on("push", "refs/heads/feature"), None);
        assert_eq!(on("pull_request", "refs/heads/main"), None);
        assert_eq!(on("push", "refs/tags/main"), None);
        assert_eq!(
            default_branch_push_in("push", "refs/heads/main", &json!({})),
            None
        );
    }

    #[test]
    fn the_pull_request_of_each_event_kind() {
        let number = |event: serde_json::Value| match pull_request_of(&event) {
            Some(PullRequest::Number(n)) => Some(n),
            _ => None,
        };
        assert_eq!(number(json!({"pull_request": {"number": 7}})), Some(7));
        assert_eq!(
            number(json!({"issue": {"number": 8, "pull_request": {}}})),
            Some(8)
        );
        assert_eq!(number(json!({"issue": {"number": 9}})), None);
        assert_eq!(
            number(json!({"workflow_run": {"pull_requests": [{"number": 10}]}})),
            Some(10)
        );
        assert!(pull_request_of(&json!({"push": {}})).is_none());
    }
}
