//! A stand-in for GitHub's REST API on 127.0.0.1 that keeps issue comments in memory and checks
//! every request against GitHub's published OpenAPI description (npm `@octokit/openapi`):
//! the path and method exist, query parameters are declared, required body fields are there
//! with the declared types, and the headers are those GitHub asks for.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// Where `.ci/run` installs the npm packages the GitHub tests read.
pub fn npm_file(package_path: &str) -> PathBuf {
    let path = super::repo_root()
        .join("target/npm/node_modules")
        .join(package_path);
    assert!(
        path.is_file(),
        "{} is missing: run `npm install --prefix target/npm @octokit/openapi @octokit/webhooks-examples` (as .ci/run does)",
        path.display()
    );
    path
}

/// A real example payload of a webhook event from `@octokit/webhooks-examples`.
pub fn event_example(event: &str, pick: impl Fn(&Value) -> bool) -> Value {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(npm_file(
            "@octokit/webhooks-examples/api.github.com/index.json",
        ))
        .unwrap(),
    )
    .unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == event)
        .and_then(|e| {
            e["examples"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| pick(x))
                .cloned()
        })
        .unwrap_or_else(|| panic!("no {event} example"))
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
    pub authorization: Option<String>,
}

#[derive(Default)]
pub struct State {
    /// Comments by issue number: (id, body, author's login).
    pub comments: BTreeMap<u64, Vec<(u64, String, String)>>,
    pub pulls: Vec<(u64, String)>,
    pub next_id: u64,
    pub requests: Vec<Recorded>,
    /// Spec violations found; a test asserts this stays empty.
    pub violations: Vec<String>,
    /// Answer the next N requests with this status before serving.
    pub fail_next: Vec<u16>,
}

pub struct StandIn {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl StandIn {
    pub fn start() -> StandIn {
        let spec: Arc<Value> = Arc::new(
            serde_json::from_str(
                &std::fs::read_to_string(npm_file(
                    "@octokit/openapi/generated/api.github.com.json",
                ))
                .unwrap(),
            )
            .unwrap(),
        );
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..State::default()
        }));
        let (s, st) = (server.clone(), state.clone());
        let thread = std::thread::spawn(move || {
            for mut request in s.incoming_requests() {
                let mut text = String::new();
                let _ = request.as_reader().read_to_string(&mut text);
                let (status, body) = handle(&spec, &st, &request, &text);
                let response = tiny_http::Response::from_string(body.to_string())
                    .with_status_code(status)
                    .with_header(
                        "Content-Type: application/json"
                            .parse::<tiny_http::Header>()
                            .unwrap(),
                    );
                let _ = request.respond(response);
            }
        });
        StandIn {
            url,
            state,
            server,
            thread: Some(thread),
        }
    }

    pub fn seed_comments(&self, issue: u64, count: usize) {
        let mut st = self.state.lock().unwrap();
        for i in 0..count {
            let id = st.next_id;
            st.next_id += 1;
            st.comments.entry(issue).or_default().push((
                id,
                format!("unrelated comment {i}"),
                "octocat".to_string(),
            ));
        }
    }

    /// A comment by someone else that carries the sticky comment's marker.
    pub fn seed_foreign_sticky(&self, issue: u64, author: &str) -> u64 {
        let mut st = self.state.lock().unwrap();
        let id = st.next_id;
        st.next_id += 1;
        st.comments.entry(issue).or_default().push((
            id,
            "<!-- cargo-perfgate:sticky-comment -->\nnot perfgate's".to_string(),
            author.to_string(),
        ));
        id
    }
}

fn header(request: &tiny_http::Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn handle(
    spec: &Value,
    state: &Mutex<State>,
    request: &tiny_http::Request,
    text: &str,
) -> (u16, Value) {
    let method = request.method().as_str().to_lowercase();
    let (path, query) = request
        .url()
        .split_once('?')
        .map_or((request.url(), ""), |(p, q)| (p, q));
    let body: Option<Value> =
        (!text.is_empty()).then(|| serde_json::from_str(text).unwrap_or(Value::Null));
    let mut st = state.lock().unwrap();
    st.requests.push(Recorded {
        method: method.clone(),
        path: request.url().to_string(),
        body: body.clone(),
        authorization: header(request, "authorization"),
    });
    let violations = check_against_spec(spec, &method, path, query, body.as_ref(), request);
    st.violations.extend(
        violations
            .iter()
            .map(|v| format!("{} {}: {v}", method.to_uppercase(), request.url())),
    );
    if !violations.is_empty() {
        eprintln!(
            "stand-in rejected {} {}: {violations:?}",
            method,
            request.url()
        );
        return (
            422,
            json!({"message": "Validation Failed", "errors": violations}),
        );
    }
    if !st.fail_next.is_empty() {
        let status = st.fail_next.remove(0);
        return (status, json!({"message": "Server Error"}));
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let page = query_param(query, "page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1);
    let per_page = query_param(query, "per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30);
    // Installation tokens (`ghs_`, as in GitHub Actions) may not read the user; they comment as
    // the Actions bot. Any other token is a user's.
    let installation = header(request, "authorization").is_some_and(|a| a.contains("ghs_"));
    let author = if installation {
        "github-actions[bot]"
    } else {
        "perfgate-tester"
    };
    match (method.as_str(), segments.as_slice()) {
        ("get", ["user"]) if installation => (
            403,
            json!({"message": "Resource not accessible by integration"}),
        ),
        ("get", ["user"]) => (200, json!({"login": author, "id": 1, "type": "User"})),
        ("get", ["repos", _, _, "issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap();
            let all = st.comments.get(&n).cloned().unwrap_or_default();
            let page: Vec<Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|(id, b, who)| comment_json(*id, b, who))
                .collect();
            (200, Value::Array(page))
        }
        ("post", ["repos", _, _, "issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap();
            let id = st.next_id;
            st.next_id += 1;
            let text = body.as_ref().unwrap()["body"].as_str().unwrap().to_string();
            st.comments
                .entry(n)
                .or_default()
                .push((id, text.clone(), author.to_string()));
            (201, comment_json(id, &text, author))
        }
        ("patch", ["repos", _, _, "issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap();
            let text = body.as_ref().unwrap()["body"].as_str().unwrap().to_string();
            for comments in st.comments.values_mut() {
                if let Some(c) = comments.iter_mut().find(|c| c.0 == id) {
                    if c.2 != author {
                        return (
                            403,
                            json!({"message": "Must have admin rights to Repository."}),
                        );
                    }
                    c.1 = text.clone();
                    return (200, comment_json(id, &text, author));
                }
            }
            (404, json!({"message": "Not Found"}))
        }
        ("get", ["repos", _, _, "pulls"]) => {
            let page: Vec<Value> = st
                .pulls
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|(n, sha)| json!({"number": n, "head": {"sha": sha}}))
                .collect();
            (200, Value::Array(page))
        }
        _ => (404, json!({"message": "Not Found"})),
    }
}

fn comment_json(id: u64, body: &str, author: &str) -> Value {
    json!({"id": id, "node_id": format!("C_{id}"), "url": format!("https://api.github.com/repos/o/r/issues/comments/{id}"),
           "html_url": format!("https://github.com/o/r/issues/1#issuecomment-{id}"), "body": body,
           "user": {"login": author, "id": 1, "type": if author.ends_with("[bot]") { "Bot" } else { "User" }},
           "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
           "issue_url": "https://api.github.com/repos/o/r/issues/1", "author_association": "NONE"})
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap_or(value),
        None => value,
    }
}

fn check_against_spec(
    spec: &Value,
    method: &str,
    path: &str,
    query: &str,
    body: Option<&Value>,
    request: &tiny_http::Request,
) -> Vec<String> {
    let mut problems = Vec::new();
    let accept = header(request, "accept").unwrap_or_default();
    if !accept.contains("application/vnd.github+json") && !accept.contains("application/json") {
        problems.push(format!(
            "Accept header `{accept}` is not application/vnd.github+json"
        ));
    }
    if header(request, "authorization").is_none() {
        problems.push("no Authorization header".to_string());
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let operation = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find_map(|(template, item)| {
            let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
            let same = parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| (t.starts_with('{') && t.ends_with('}')) || t == s);
            same.then(|| item.get(method)).flatten()
        });
    let Some(operation) = operation else {
        problems.push("no such operation in GitHub's REST description".to_string());
        return problems;
    };
    let declared: Vec<String> = operation["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| resolve(spec, p))
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    for (name, _) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        if !declared.iter().any(|d| d == name) {
            problems.push(format!("query parameter `{name}` is not declared"));
        }
    }
    if let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema") {
        let schema = resolve(spec, schema);
        let Some(body) = body else {
            problems.push("missing JSON body".to_string());
            return problems;
        };
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if body.get(name).is_none() {
                problems.push(format!("body lacks required `{name}`"));
            }
        }
        if let (Some(props), Some(fields)) = (schema["properties"].as_object(), body.as_object()) {
            for (name, value) in fields {
                match props.get(name) {
                    None => problems.push(format!("body field `{name}` is not in the schema")),
                    Some(p) if p["type"] == "string" && !value.is_string() => {
                        problems.push(format!("body field `{name}` must be a string"))
                    }
                    _ => {}
                }
            }
        }
    }
    problems
}
