//! The REST side of GitHub: one client whose every request has a wall-clock deadline, which
//! finds the pull request (by number or head commit), the token's own identity, and its sticky
//! comment (every page), then updates or creates it, retrying what GitHub says may be retried.

use std::time::Duration;

use octocrab::Octocrab;
use serde::Deserialize;

use super::{Destination, Posted, PullRequest};
use crate::error::{Error, Result};
use crate::report::markdown::MARKER;

/// The longest one request to the GitHub API may take, from sending it to its last byte (an
/// API that trickles its answer a byte at a time is cut off here, not after each byte).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest the whole comment step may take: finding the pull request, reading the token's
/// identity, listing comments and posting, with every retry and its backoff.
pub(crate) const COMMENT_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Debug, Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    login: String,
}

/// Who comments with the `GITHUB_TOKEN` of a GitHub Actions job (such a token cannot read
/// `GET /user`).
const ACTIONS_BOT: &str = "github-actions[bot]";

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    head: Head,
}

#[derive(Debug, Deserialize)]
struct Head {
    sha: String,
}

/// Posts `body` as the PR's sticky comment: updates the comment carrying the marker (searching
/// every page) or creates it. Retries 5xx and rate limits with backoff.
pub(crate) fn post_sticky(destination: &Destination, body: &str) -> Result<Posted> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("cannot start the HTTP runtime: {e}")))?;
    runtime.block_on(async {
        tokio::time::timeout(COMMENT_DEADLINE, post_async(destination, body))
            .await
            .unwrap_or_else(|_| {
                Err(Error::Other(format!(
                    "GitHub API: the comment step gave up after {} s (its bound)",
                    COMMENT_DEADLINE.as_secs()
                )))
            })
    })
}

/// `call`'s answer, or an error once `REQUEST_TIMEOUT` has passed since it was sent.
async fn within_deadline<T, Fut>(what: &str, call: Fut) -> Result<octocrab::Result<T>>
where
    Fut: std::future::Future<Output = octocrab::Result<T>>,
{
    tokio::time::timeout(REQUEST_TIMEOUT, call)
        .await
        .map_err(|_| {
            Error::Other(format!(
                "GitHub API, {what}: no complete answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            ))
        })
}

async fn post_async(d: &Destination, body: &str) -> Result<Posted> {
    let client = Octocrab::builder()
        .base_uri(d.api_url.as_str())
        .map_err(|e| Error::Usage(format!("GITHUB_API_URL {}: {}", d.api_url, describe(&e))))?
        .personal_token(d.token.clone())
        // An API that accepts the connection and never answers must not hang the job.
        .set_connect_timeout(Some(REQUEST_TIMEOUT))
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .set_write_timeout(Some(REQUEST_TIMEOUT))
        .add_header(
            http::header::ACCEPT,
            "application/vnd.github+json, application/json".to_string(),
        )
        .add_header(
            http::header::HeaderName::from_static("x-github-api-version"),
            "2022-11-28".to_string(),
        )
        .build()
        .map_err(|e| Error::Other(format!("GitHub client: {}", describe(&e))))?;
    let repo_path = format!("/repos/{}/{}", d.owner, d.repo);
    let pr = match &d.pr {
        PullRequest::Number(n) => *n,
        PullRequest::HeadSha(sha) => find_pr_by_head(&client, &repo_path, sha).await?,
    };
    let me = own_login(&client).await?;
    let mut page = 1u32;
    let existing = loop {
        let route = format!("{repo_path}/issues/{pr}/comments?per_page=100&page={page}");
        let comments: Vec<Comment> = with_retry("listing comments", || {
            client.get(route.as_str(), None::<&()>)
        })
        .await?;
        // Only our own comment is edited: anyone can paste the marker into theirs.
        if let Some(found) = comments.iter().find(|c| {
            c.body.as_deref().is_some_and(|b| b.contains(MARKER))
                && c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(&me))
        }) {
            break Some(found.id);
        }
        if comments.len() < 100 {
            break None;
        }
        page += 1;
    };
    let payload = serde_json::json!({ "body": body });
    match existing {
        Some(id) => {
            // GitHub only accepts PATCH for editing an issue comment.
            let route = format!("{repo_path}/issues/comments/{id}");
            let updated: Comment = with_retry("updating the comment", || {
                client.patch(route.as_str(), Some(&payload))
            })
            .await?;
            Ok(Posted::Updated {
                comment_id: updated.id,
                pr,
            })
        }
        None => {
            let route = format!("{repo_path}/issues/{pr}/comments");
            // Creating is not idempotent: retried only when GitHub answered before acting (429).
            let created: Comment = with_retry_if(
                "creating the comment",
                || client.post(route.as_str(), Some(&payload)),
                |status| status == 429,
            )
            .await?;
            Ok(Posted::Created {
                comment_id: created.id,
                pr,
            })
        }
    }
}

/// The login the token comments as: `GET /user`, or for a GitHub Actions token (which may not
/// read it: 401/403/404) the Actions bot.
async fn own_login(client: &Octocrab) -> Result<String> {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        let answer = within_deadline(
            "reading the token's identity",
            client.get::<User, _, ()>("/user", None),
        )
        .await?;
        match answer {
            Ok(user) => return Ok(user.login),
            Err(e) => match status_of(&e) {
                Some(401 | 403 | 404) => return Ok(ACTIONS_BOT.to_string()),
                Some(status) if (status >= 500 || status == 429) && attempt < ATTEMPTS => {
                    eprintln!("perfgate: GitHub API reading the token's identity: {} (attempt {attempt}/{ATTEMPTS}), retrying in {:.1}s", describe(&e), delay.as_secs_f64());
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                _ => {
                    return Err(Error::Other(format!(
                        "GitHub API, reading the token's identity: {}",
                        describe(&e)
                    )))
                }
            },
        }
    }
    unreachable!("the loop returns on its last attempt")
}

async fn find_pr_by_head(client: &Octocrab, repo_path: &str, sha: &str) -> Result<u64> {
    let mut page = 1u32;
    loop {
        let route = format!("{repo_path}/pulls?state=open&per_page=100&page={page}");
        let pulls: Vec<Pull> = with_retry("listing pull requests", || {
            client.get(route.as_str(), None::<&()>)
        })
        .await?;
        if let Some(pull) = pulls.iter().find(|p| p.head.sha == sha) {
            return Ok(pull.number);
        }
        if pulls.len() < 100 {
            return Err(Error::Other(format!(
                "no open pull request has head commit {sha}"
            )));
        }
        page += 1;
    }
}

const ATTEMPTS: u32 = 4;

async fn with_retry<T, F, Fut>(what: &str, call: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = octocrab::Result<T>>,
{
    with_retry_if(what, call, |status| {
        status >= 500 || status == 429 || status == 403
    })
    .await
}

async fn with_retry_if<T, F, Fut>(what: &str, call: F, retryable: impl Fn(u16) -> bool) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = octocrab::Result<T>>,
{
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match within_deadline(what, call()).await? {
            Ok(value) => return Ok(value),
            Err(e) => {
                let status = status_of(&e);
                let rate_limited =
                    status == Some(403) && describe(&e).to_lowercase().contains("rate limit");
                let again = status.is_some_and(|s| retryable(s) && (s != 403 || rate_limited));
                if !again || attempt == ATTEMPTS {
                    return Err(Error::Other(format!(
                        "GitHub API, {what}: {}",
                        describe(&e)
                    )));
                }
                eprintln!("perfgate: GitHub API {what}: {} (attempt {attempt}/{ATTEMPTS}), retrying in {:.1}s", describe(&e), delay.as_secs_f64());
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

fn status_of(error: &octocrab::Error) -> Option<u16> {
    match error {
        octocrab::Error::GitHub { source, .. } => Some(source.status_code.as_u16()),
        _ => None,
    }
}

/// An error's message without anything that could carry the token (octocrab's errors hold
/// status, message and documentation URL, never request headers).
fn describe(error: &octocrab::Error) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            format!("{} {}", source.status_code, source.message)
        }
        other => other.to_string(),
    }
}
