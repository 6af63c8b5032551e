//! The desk's web console over HTTP, as a browser (or an attacker's
//! script) would use it: the security headers on every response, sign-in
//! with a password and with TOTP (the code computed here), rate limits on
//! wrong codes, CSRF, bad form input, who may see what, desk policy
//! reaching connected apps, the live view, and accounts an admin disabled
//! or reset. The real-browser half is `tests/tests/desk_console.rs`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::console::{Console, Response, form};
use common::*;
use serde_json::Value;

const CSP: &str = "default-src 'none'";

fn totp(secret: &str, at: u64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn signed_in(server: &TestServer, user: &str) -> Console {
    let mut console = Console::new(server.addr);
    let reply = console.sign_in(user, PASSWORD).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("location"), Some("/console"));
    console
}

/// Turns on two-factor sign-in for the signed-in visitor; returns the
/// secret and the recovery codes.
async fn enroll(console: &mut Console) -> (String, Vec<String>) {
    let begun = console
        .submit("/console/two-factor", "/console/two-factor/begin", &[])
        .await;
    assert_eq!(begun.status, 303, "{}", begun.body);
    let page = console.get("/console/two-factor").await;
    let secret = page.text_of("secret").expect("the secret is shown");
    let secret = secret.trim().to_owned();
    assert!(
        page.body.contains("data:image/svg+xml;base64,"),
        "a QR code"
    );
    let code = totp(&secret, now_secs());
    let done = console
        .submit(
            "/console/two-factor",
            "/console/two-factor/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let codes: Vec<String> = done
        .text_of("recovery-codes")
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    (secret, codes)
}

#[tokio::test]
async fn every_response_has_the_policy_headers_and_the_cookie_is_for_no_script() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    let mut anonymous = Console::new(server.addr);
    let mut boss = signed_in(&server, "boss").await;
    let cookie = boss.cookies.get("lifeline_console").cloned().unwrap();
    let again = boss.sign_in("boss", PASSWORD).await;
    let set = again.header("set-cookie").unwrap();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(flag), "{set}");
    }
    assert_ne!(
        boss.cookies["lifeline_console"], cookie,
        "a new sign-in, a new token"
    );
    let pages = [
        "/console",
        "/console/sign-in",
        "/console/sessions",
        "/console/sessions.csv",
        "/console/audit",
        "/console/audit.csv",
        "/console/live",
        "/console/experts",
        "/console/policy",
        "/console/two-factor",
        "/console/password",
        "/console/console.css",
        "/console/no-such-page",
        "/console/sessions?from=junk",
    ];
    for visitor in [&mut anonymous, &mut boss] {
        for page in pages {
            let reply = visitor.get(page).await;
            let csp = reply.header("content-security-policy").unwrap_or_default();
            assert!(csp.starts_with(CSP), "{page}: {}", reply.status);
            assert!(!csp.contains("script-src"), "no script is allowed: {csp}");
            assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{page}");
            assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        }
    }
    // Signed out, every page but the sign-in leads to it.
    let reply = anonymous.get("/console/experts").await;
    assert_eq!(reply.header("location"), Some("/console/sign-in"));
    assert_eq!(boss.get("/console/no-such-page").await.status, 404);
}

#[tokio::test]
async fn two_factor_sign_in_takes_a_code_once_or_a_recovery_code() {
    // More sign-ins than a minute allows one address by default.
    let server = TestServer::start_with(|c| c.limits.logins_per_minute = 100).await;
    server.add_admin("boss", "The Boss").await;
    let mut boss = signed_in(&server, "boss").await;
    let (secret, recovery) = enroll(&mut boss).await;

    // The console: the password leads to the code, never straight in.
    let mut again = Console::new(server.addr);
    let step = again.sign_in("boss", PASSWORD).await;
    assert_eq!(step.header("location"), Some("/console/sign-in/code"));
    assert!(!again.cookies.contains_key("lifeline_console"));
    assert_eq!(again.get("/console/sessions").await.status, 303);
    let wrong = again.send_code("000000").await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong.body.contains("wrong or was already used"),
        "{}",
        wrong.body
    );
    // The confirming code's step is spent; the next step's is accepted.
    let next = totp(&secret, now_secs() + 30);
    let done = again.send_code(&next).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(again.get("/console/sessions").await.status, 200);

    // The app: no code, then the same code again (refused), then a
    // recovery code, which works once.
    let mut app = hello(&server.url, "expert").await;
    assert_eq!(
        login(&mut app, "boss", PASSWORD).await["code"],
        "code_required"
    );
    let with = |code: &str| {
        format!(r#"{{"type":"login","user":"boss","password":"{PASSWORD}","code":"{code}"}}"#)
    };
    assert_eq!(exchange(&mut app, &with(&next)).await["code"], "bad_code");
    let reply = exchange(&mut app, &with(&recovery[0])).await;
    assert_eq!(reply["type"], "signed_in", "{reply}");
    let mut app = hello(&server.url, "expert").await;
    assert_eq!(
        exchange(&mut app, &with(&recovery[0])).await["code"],
        "bad_code"
    );
}

#[tokio::test]
async fn wrong_codes_are_rate_limited_like_wrong_passwords() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    let mut boss = signed_in(&server, "boss").await;
    enroll(&mut boss).await;
    let mut guesser = Console::new(server.addr);
    let mut limited = None;
    for attempt in 0..40 {
        if guesser.get("/console/sign-in/code").await.status != 200 {
            let step = guesser.sign_in("boss", PASSWORD).await;
            if step.status == 429 {
                limited = Some(step);
                break;
            }
        }
        let reply = guesser
            .send_code(&format!("{:06}", attempt * 7919 % 1_000_000))
            .await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
        assert_eq!(reply.status, 401, "{}", reply.body);
    }
    let limited = limited.expect("wrong codes are limited");
    assert!(
        limited.body.contains("Too many attempts"),
        "{}",
        limited.body
    );
    let (_, audit) = audit_entries(&server, &mut boss).await;
    assert!(audit.contains("bad_code"), "{audit}");
    assert!(audit.contains("rate_limited"), "{audit}");
}

/// The audit log as CSV, read by an admin.
async fn audit_entries(server: &TestServer, admin: &mut Console) -> (u16, String) {
    // The audit writer is a task of its own: wait for it to catch up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = server;
    let reply = admin.get("/console/audit.csv").await;
    (reply.status, reply.body)
}

async fn experts_listed(console: &mut Console) -> String {
    console
        .get("/console/experts")
        .await
        .text_of("experts")
        .unwrap()
}

#[tokio::test]
async fn a_change_without_the_csrf_token_is_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    let mut boss = signed_in(&server, "boss").await;
    let add = [
        ("action", "add"),
        ("user", "eve"),
        ("display_name", "Eve"),
        ("password", "password1"),
        ("role", "admin"),
    ];
    let refused = boss.post("/console/experts", &add).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains(r#"data-code="bad_csrf""#),
        "{}",
        refused.body
    );
    let mut wrong = vec![("csrf", "0123456789abcdef0123456789abcdef")];
    wrong.extend_from_slice(&add);
    assert_eq!(boss.post("/console/experts", &wrong).await.status, 403);
    // The right token from another site's page: the browser says so.
    let csrf = boss.get("/console/experts").await.csrf();
    let mut right = vec![("csrf", csrf.as_str())];
    right.extend_from_slice(&add);
    let body = form(&right);
    let cross = boss
        .send(
            "POST",
            "/console/experts",
            Some(&body),
            "Sec-Fetch-Site: cross-site\r\n",
        )
        .await;
    assert_eq!(cross.status, 403);
    // Another visitor's token does not work either.
    let mut other = signed_in(&server, "boss").await;
    let theirs = other.get("/console/experts").await.csrf();
    assert_ne!(theirs, csrf);
    let mut foreign = vec![("csrf", theirs.as_str())];
    foreign.extend_from_slice(&add);
    assert_eq!(boss.post("/console/experts", &foreign).await.status, 403);
    // The sign-in form has its own token.
    let mut fresh = Console::new(server.addr);
    fresh.get("/console/sign-in").await;
    let forged = fresh
        .post(
            "/console/sign-in",
            &[("user", "boss"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(!experts_listed(&mut boss).await.contains("eve"));
    // With the token, the same form works.
    let done = boss.post("/console/experts", &right).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let shown = boss.get(done.header("location").unwrap()).await;
    assert!(shown.body.contains("Added eve."), "{}", shown.body);
    assert!(experts_listed(&mut boss).await.contains("eve"));
}

#[tokio::test]
async fn bad_form_input_gets_a_clear_error_and_changes_nothing() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    let mut boss = signed_in(&server, "boss").await;
    let long = "x".repeat(65);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![
                ("action", "add"),
                ("user", &long),
                ("display_name", "X"),
                ("password", "password1"),
                ("role", "expert"),
            ],
            "too long",
        ),
        (
            vec![
                ("action", "add"),
                ("user", "x"),
                ("display_name", "Bad\u{7}Name"),
                ("password", "password1"),
                ("role", "expert"),
            ],
            "control characters",
        ),
        (
            vec![
                ("action", "add"),
                ("user", "x"),
                ("display_name", "X"),
                ("password", "short"),
                ("role", "expert"),
            ],
            "at least 8",
        ),
        (
            vec![
                ("action", "add"),
                ("user", "x"),
                ("display_name", "X"),
                ("password", "password1"),
                ("role", "root"),
            ],
            "roles are admin or expert",
        ),
        (
            vec![
                ("action", "add"),
                ("user", "x"),
                ("user", "y"),
                ("display_name", "X"),
                ("password", "password1"),
                ("role", "expert"),
            ],
            "more than once",
        ),
        (
            vec![
                ("action", "add"),
                ("user", "../../etc"),
                ("display_name", "X"),
                ("password", "password1"),
                ("role", "expert"),
            ],
            "user names are",
        ),
        (
            vec![("action", "explode"), ("user", "boss")],
            "Unknown action",
        ),
    ];
    for (fields, says) in &cases {
        let reply = boss
            .submit("/console/experts", "/console/experts", fields)
            .await;
        assert_eq!(reply.status, 400, "{fields:?}: {}", reply.body);
        assert!(reply.body.contains(says), "{fields:?}: wanted {says:?}");
    }
    let listed = experts_listed(&mut boss).await;
    assert!(
        !listed.contains("xxxx") && !listed.contains(" x "),
        "{listed}"
    );

    let before = boss.get("/console/policy").await.body;
    let policy_cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("consent_timeout_secs", "abc")], "whole number"),
        (vec![("consent_timeout_secs", "5")], "not valid"),
        (
            vec![
                ("consent_timeout_secs", "300"),
                ("desk_name", "Acme\u{202e}IT"),
            ],
            "not valid",
        ),
        (
            vec![("consent_timeout_secs", "300"), ("scope", "root")],
            "unknown permission",
        ),
        (
            vec![
                ("consent_timeout_secs", "300"),
                ("require_pin", "on"),
                ("require_pin", "on"),
            ],
            "more than once",
        ),
    ];
    for (fields, says) in &policy_cases {
        let reply = boss
            .submit("/console/policy", "/console/policy", fields)
            .await;
        assert_eq!(reply.status, 400, "{fields:?}: {}", reply.body);
        assert!(
            reply.body.contains(says),
            "{fields:?}: wanted {says:?}: {}",
            reply.body
        );
    }
    assert_eq!(
        boss.get("/console/policy").await.body,
        before,
        "nothing stored"
    );

    // Filters: a bad date, a control character, an overlong search.
    for query in ["from=yesterday", "q=%07", &format!("q={}", "y".repeat(101))] {
        let reply = boss.get(&format!("/console/sessions?{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
    }
    // A form far over the limit is refused before it is read.
    let csrf = boss.get("/console/policy").await.csrf();
    let huge = form(&[("csrf", &csrf), ("desk_name", &"z".repeat(40_000))]);
    let reply = boss.send("POST", "/console/policy", Some(&huge), "").await;
    assert_eq!(reply.status, 413);
    // Not a form at all.
    let reply = boss
        .send("POST", "/console/policy", Some("%zz=%"), "")
        .await;
    assert!(
        reply.status == 400 || reply.status == 403,
        "{}",
        reply.status
    );
    assert_eq!(
        boss.get("/console/policy").await.body,
        before,
        "nothing stored"
    );
}

#[tokio::test]
async fn experts_see_their_own_sessions_and_no_admin_page() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("bob", "Bob").await;
    let mut ids = Vec::new();
    for user in ["ann", "bob"] {
        let (mut expert, _) = signed_in_expert(&server.url, user).await;
        let (mut client, id) = client_with_id(&server.url).await;
        ids.push(request(&mut expert, &mut client, &id, r#"["view"]"#).await);
    }
    let mut ann = signed_in(&server, "ann").await;
    let mut boss = signed_in(&server, "boss").await;
    wait_for_rows(&mut boss, &ids).await;
    for path in [
        "/console/sessions",
        "/console/sessions?who=bob",
        "/console/sessions.csv?who=bob",
    ] {
        let seen = ann.get(path).await.body;
        assert!(seen.contains(&ids[0]), "{path}");
        assert!(
            !seen.contains(&ids[1]),
            "{path}: bob's session shows to ann"
        );
    }
    let menu = ann.get("/console/sessions").await.text_of("menu").unwrap();
    for admin_only in ["Experts", "Audit log", "Policy", "Live"] {
        assert!(!menu.contains(admin_only), "{menu}");
    }
    for path in [
        "/console/experts",
        "/console/audit",
        "/console/audit.csv",
        "/console/policy",
        "/console/live",
        "/console/experts/remove?user=bob",
    ] {
        let reply = ann.get(path).await;
        assert_eq!(reply.status, 403, "{path}");
        assert!(reply.body.contains(r#"data-code="forbidden""#));
    }
    let reply = ann
        .submit(
            "/console/sessions",
            "/console/policy",
            &[("consent_timeout_secs", "60")],
        )
        .await;
    assert_eq!(reply.status, 403);
    let everyone = boss.get("/console/sessions").await.body;
    assert!(ids.iter().all(|id| everyone.contains(id)));
    let (_, audit) = audit_entries(&server, &mut boss).await;
    assert!(audit.contains("refused: not admin"), "{audit}");
}

async fn wait_for_rows(admin: &mut Console, ids: &[String]) {
    for _ in 0..50 {
        let body = admin.get("/console/sessions").await.body;
        if ids.iter().all(|id| body.contains(id)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the sessions never showed in the report");
}

#[tokio::test]
async fn policy_reaches_connected_apps_and_the_desk_enforces_it() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let mut boss = signed_in(&server, "boss").await;
    let saved = boss
        .submit(
            "/console/policy",
            "/console/policy",
            &[
                ("desk_name", "Acme IT Desk"),
                ("consent_timeout_secs", "120"),
                ("require_reason", "on"),
                ("require_pin", "on"),
                ("scope", "control"),
                ("scope", "files"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    for side in [&mut expert, &mut client] {
        let told = recv(side).await;
        assert_eq!(told["type"], "policy", "{told}");
        let policy = &told["policy"];
        assert_eq!(policy["desk_name"], "Acme IT Desk");
        assert_eq!(policy["consent_timeout_secs"], 120);
        assert_eq!(policy["require_reason"], true);
        assert_eq!(policy["require_pin"], true);
        assert_eq!(
            policy["allowed_scopes"],
            serde_json::json!(["view", "control", "files"])
        );
    }
    let ask = |scopes: &str, reason: Option<&str>| {
        let reason = reason
            .map(|r| format!(r#","reason":"{r}""#))
            .unwrap_or_default();
        format!(r#"{{"type":"connect","id":"{id}","notes":"n","scopes":{scopes}{reason}}}"#)
    };
    let reply = exchange(&mut expert, &ask(r#"["view"]"#, None)).await;
    assert_eq!(reply["code"], "reason_required", "{reply}");
    let reply = exchange(&mut expert, &ask(r#"["view"]"#, Some("   "))).await;
    assert_eq!(reply["code"], "reason_required", "{reply}");
    let reply = exchange(&mut expert, &ask(r#"["view"]"#, Some("bad\\nline"))).await;
    assert_eq!(reply["code"], "reason_invalid", "{reply}");
    let reply = exchange(&mut expert, &ask(r#"["view","shell"]"#, Some("T-1"))).await;
    assert_eq!(reply["code"], "scope_not_allowed", "{reply}");
    let reply = exchange(
        &mut expert,
        &ask(r#"["view","control"]"#, Some(" Ticket 4711 ")),
    )
    .await;
    assert_eq!(reply["type"], "located", "{reply}");
    assert_eq!(reply["expires_in_secs"], 120);
    let session = reply["session"].as_str().unwrap().to_owned();
    let asked = recv(&mut client).await;
    assert_eq!(asked["type"], "connect_request", "{asked}");
    assert_eq!(asked["reason"], "Ticket 4711");
    assert_eq!(asked["desk"], "Acme IT Desk");
    assert_eq!(asked["expires_in_secs"], 120);
    wait_for_rows(&mut boss, std::slice::from_ref(&session)).await;
    let row = boss.get("/console/sessions?q=4711").await;
    assert!(row.body.contains(&session) && row.body.contains("Ticket 4711"));
    // A new connection hears the policy after its welcome, and the audit
    // log names what changed.
    let mut late = hello(&server.url, "client").await;
    send(&mut late, r#"{"type":"ping"}"#).await;
    assert_eq!(recv(&mut late).await["type"], "pong");
    let (_, audit) = audit_entries(&server, &mut boss).await;
    assert!(audit.contains("require_reason=true"), "{audit}");
}

#[tokio::test]
async fn an_admin_sees_the_desk_live_and_ends_a_waiting_request() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    let (_waiting, waiting_id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let session = request(&mut expert, &mut client, &id, r#"["view"]"#).await;
    let mut boss = signed_in(&server, "boss").await;
    let live = boss.get("/console/live").await;
    assert_eq!(live.header("refresh"), Some("5"));
    let waiting = live.text_of("waiting").unwrap();
    assert!(waiting.contains(&waiting_id), "{waiting}");
    assert!(
        !waiting.contains(&id),
        "a client being asked is not waiting"
    );
    let sessions = live.text_of("live-sessions").unwrap();
    assert!(
        sessions.contains("ann") && sessions.contains(&id),
        "{sessions}"
    );
    let ended = boss
        .submit(
            "/console/live",
            "/console/live/end",
            &[("session", &session)],
        )
        .await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    for side in [&mut expert, &mut client] {
        let told: Value = recv(side).await;
        assert_eq!(told["type"], "request_cancelled", "{told}");
    }
    let again = boss
        .submit(
            "/console/live",
            "/console/live/end",
            &[("session", &session)],
        )
        .await;
    assert_eq!(again.status, 409);
    let report = boss.get("/console/sessions.csv").await.body;
    let line = report
        .lines()
        .find(|l| l.contains(&session))
        .unwrap_or_default()
        .to_owned();
    assert!(line.contains("cancelled"), "{line}");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_a_reset_one_must_change_its_password() {
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    let (mut working, _) = signed_in_expert(&server.url, "ann").await;
    let mut boss = signed_in(&server, "boss").await;
    let reply = boss
        .submit(
            "/console/experts",
            "/console/experts",
            &[("action", "disable"), ("user", "ann")],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    // Signed out at once, not at the next check of the token.
    let told = recv(&mut working).await;
    assert_eq!(told["type"], "signed_out", "{told}");
    assert_eq!(told["reason"], "revoked");
    let refused = exchange(
        &mut working,
        r#"{"type":"connect","id":"123456","scopes":["view"]}"#,
    )
    .await;
    assert_eq!(refused["code"], "not_signed_in", "{refused}");
    let mut app = hello(&server.url, "expert").await;
    assert_eq!(
        login(&mut app, "ann", PASSWORD).await["code"],
        "account_disabled"
    );
    assert_eq!(
        login(&mut app, "ann", "wrong password").await["code"],
        "bad_credentials"
    );
    let mut ann = Console::new(server.addr);
    let refused: Response = ann.sign_in("ann", PASSWORD).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("disabled"));
    boss.submit(
        "/console/experts",
        "/console/experts",
        &[("action", "enable"), ("user", "ann")],
    )
    .await;
    let reply = boss
        .submit(
            "/console/experts",
            "/console/experts",
            &[
                ("action", "reset_password"),
                ("user", "ann"),
                ("password", "temporary1"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        login(&mut app, "ann", "temporary1").await["code"],
        "password_change_required"
    );
    let step = ann.sign_in("ann", "temporary1").await;
    assert_eq!(step.status, 303);
    let forced = ann.get("/console/sessions").await;
    assert_eq!(forced.header("location"), Some("/console/password"));
    let mismatch = ann
        .submit(
            "/console/password",
            "/console/password",
            &[
                ("current", "temporary1"),
                ("new", "my own pass"),
                ("confirm", "my own pas"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 400);
    let changed = ann
        .submit(
            "/console/password",
            "/console/password",
            &[
                ("current", "temporary1"),
                ("new", "my own pass"),
                ("confirm", "my own pass"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(ann.get("/console/sessions").await.status, 200);
    assert_eq!(
        login(&mut app, "ann", "my own pass").await["type"],
        "signed_in"
    );
}

#[tokio::test]
async fn report_pages_neither_repeat_nor_skip_a_row() {
    use lifeline_signaling::report_pages::{self, Filter, PAGE_ROWS};
    let dir = tempfile::tempdir().unwrap();
    let pool = lifeline_signaling::db::open(&database::fresh_url(dir.path()).await)
        .await
        .unwrap();
    // 130 sessions, several in each millisecond; 130 audit entries, most in
    // one millisecond (a page boundary falls inside it).
    for n in 0..130_i64 {
        sqlx::query(
            "INSERT INTO sessions (session_id, client_id, description, computer_name, computer_os,
                 computer_user, expert, notes, scopes_requested, requested_at)
             VALUES ($1, '123456', 'printer', 'pc', 'os', 'user', $2, '', 'view', $3)",
        )
        .bind(format!("s{n:03}"))
        .bind(if n % 2 == 0 { "ann" } else { "bob" })
        .bind(1_000 + n / 4)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO audit (at, event, actor, ip, session_id, detail)
             VALUES ($1, 'connect', 'ann', '10.0.0.1', NULL, $2)",
        )
        .bind(if n < 100 { 5_000 } else { 5_000 + n })
        .bind(format!("entry {n:03}"))
        .execute(&pool)
        .await
        .unwrap();
    }
    let filter = Filter {
        from_ms: 0,
        to_ms: 10_000,
        who: None,
        text: None,
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let (rows, next) = report_pages::sessions(&pool, &filter, cursor.as_ref())
            .await
            .unwrap();
        assert!(rows.len() as i64 <= PAGE_ROWS);
        seen.extend(rows.into_iter().map(|r| r.session_id));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..130).rev().map(|n| format!("s{n:03}")).collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected, "newest first, each once");

    let mut details = Vec::new();
    let mut cursor = None;
    loop {
        let (rows, next) = report_pages::audit(&pool, &filter, cursor.as_ref())
            .await
            .unwrap();
        details.extend(rows.into_iter().map(|e| e.detail));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut sorted = details.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(details.len(), 130, "every entry once");
    assert_eq!(sorted.len(), 130, "no entry twice");

    let bob = Filter {
        who: Some("bob".into()),
        text: Some("S12".into()),
        ..filter
    };
    let (rows, next) = report_pages::sessions(&pool, &bob, None).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
    assert_eq!(ids, ["s129", "s127", "s125", "s123", "s121"]);
    assert!(next.is_none());
}

#[tokio::test]
async fn a_nul_in_what_a_client_or_an_expert_types_loses_no_row() {
    // PostgreSQL refuses NUL in text; the desk keeps the row, with U+FFFD.
    let server = TestServer::start().await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    let mut client = hello(&server.url, "client").await;
    let issued = exchange(
        &mut client,
        r#"{"type":"request_id","description":"printer\u0000jam","computer":{"name":"pc\u0000","os":"x","user":"u"}}"#,
    )
    .await;
    let id = issued["id"].as_str().unwrap().to_owned();
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let located = exchange(
        &mut expert,
        &format!(r#"{{"type":"connect","id":"{id}","notes":"a\u0000b","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(located["type"], "located", "{located}");
    let session = located["session"].as_str().unwrap().to_owned();
    let mut stranger = hello(&server.url, "expert").await;
    let refused = login(&mut stranger, "ev\\u0000e", "whatever1").await;
    assert_eq!(refused["code"], "bad_credentials", "{refused}");
    let mut boss = signed_in(&server, "boss").await;
    wait_for_rows(&mut boss, std::slice::from_ref(&session)).await;
    let report = boss.get("/console/sessions.csv").await.body;
    assert!(report.contains("printer\u{FFFD}jam"), "{report}");
    assert!(report.contains("a\u{FFFD}b"), "{report}");
    let (_, audit) = audit_entries(&server, &mut boss).await;
    // The audit log writes control characters out as escapes.
    assert!(
        audit.contains(r"ev\u{0}e,127.0.0.1,,bad_credentials"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_required_second_factor_can_be_set_up_and_no_token_gets_round_it() {
    let server = TestServer::start_with(|c| c.limits.logins_per_minute = 100).await;
    server.add_admin("boss", "The Boss").await;
    server.add_expert("ann", "Ann").await;
    let mut boss = signed_in(&server, "boss").await;
    let saved = boss
        .submit(
            "/console/policy",
            "/console/policy",
            &[
                ("consent_timeout_secs", "300"),
                ("require_two_factor", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    // The console lets ann in only to set it up; her cookie's token is
    // good for nothing else, in the app or the API.
    let mut ann = signed_in(&server, "ann").await;
    let token = ann.cookies["lifeline_console"].clone();
    let elsewhere = ann.get("/console/sessions").await;
    assert_eq!(elsewhere.header("location"), Some("/console/two-factor"));
    let mut app = hello(&server.url, "expert").await;
    let reply = exchange(
        &mut app,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await;
    assert_eq!(reply["code"], "two_factor_setup_required", "{reply}");
    assert_eq!(
        login(&mut app, "ann", PASSWORD).await["code"],
        "two_factor_setup_required"
    );
    assert_eq!(server.get("/api/sessions", Some(&token)).await.0, 401);
    let (secret, _) = enroll(&mut ann).await;
    assert_eq!(ann.get("/console/sessions").await.status, 200);
    let with_code = format!(
        r#"{{"type":"login","user":"ann","password":"{PASSWORD}","code":"{}"}}"#,
        totp(&secret, now_secs() + 30)
    );
    assert_eq!(exchange(&mut app, &with_code).await["type"], "signed_in");
    // Moving to another phone takes the password again.
    let moved = ann
        .submit("/console/two-factor", "/console/two-factor/begin", &[])
        .await;
    assert_eq!(moved.status, 401, "{}", moved.body);
    let moved = ann
        .submit(
            "/console/two-factor",
            "/console/two-factor/begin",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    // The admin who required it owes it too, and sets it up.
    assert_eq!(
        boss.get("/console/experts").await.header("location"),
        Some("/console/two-factor")
    );
    enroll(&mut boss).await;
    // A disabled account's tokens stop at once, wherever they are used.
    boss.submit(
        "/console/experts",
        "/console/experts",
        &[("action", "disable"), ("user", "ann")],
    )
    .await;
    assert_eq!(
        ann.get("/console/sessions").await.header("location"),
        Some("/console/sign-in")
    );
    assert!(
        !ann.cookies.contains_key("lifeline_console"),
        "the stale cookie is cleared"
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_the_second_factor_from_every_address() {
    // Someone with the password guesses codes from a new address each
    // time, under every address-keyed limit.
    let server = TestServer::start_with(|c| c.limits.logins_per_minute = 100).await;
    server.add_admin("boss", "The Boss").await;
    let mut boss = signed_in(&server, "boss").await;
    let (secret, _) = enroll(&mut boss).await;
    let login = |code: &str| {
        format!(r#"{{"type":"login","user":"boss","password":"{PASSWORD}","code":"{code}"}}"#)
    };
    for n in 0..5u8 {
        let mut guesser = hello_from(&server.url, [127, 0, 9, n + 1], "expert").await;
        let reply = exchange(
            &mut guesser,
            &login(&format!("{:06}", 111_111 * u32::from(n))),
        )
        .await;
        assert_eq!(reply["code"], "bad_code", "{reply}");
    }
    // Now even the right code is refused, from anywhere.
    let mut owner = hello_from(&server.url, [127, 0, 9, 99], "expert").await;
    let right = totp(&secret, now_secs() + 30);
    let reply = exchange(&mut owner, &login(&right)).await;
    assert_eq!(reply["code"], "rate_limited", "{reply}");
    assert!(reply["retry_after_secs"].as_u64().unwrap() > 800, "{reply}");
    let (_, audit) = audit_entries(&server, &mut boss).await;
    assert!(audit.contains("locked: too many wrong codes"), "{audit}");
    assert!(audit.contains("code_locked"), "{audit}");
}
