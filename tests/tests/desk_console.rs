//! A support manager runs the desk from a real browser (Debian's Chromium,
//! through chromedriver) against the real signaling server, while two real
//! apps run a session through it:
//! - the admin signs in with a password, turns on two-factor sign-in with
//!   the QR page's key (the test computes the codes, from the RFC), signs
//!   out and in again: a wrong code is refused, the right one works;
//! - the session cookie is out of a script's reach;
//! - the admin adds an expert, and sets the desk's name and a required
//!   reason; the expert signs in from the real desktop app, gives the ID,
//!   notes and a ticket number; the client's consent dialog shows the desk
//!   and the reason;
//! - the session shows in the report with its notes, reason and
//!   permissions, and the CSV export holds exactly the table's rows;
//! - the expert, signed in to the console, sees their own sessions only,
//!   no admin menu, and a 403 at an admin page's URL; a change without the
//!   CSRF token is refused;
//! - every page is photographed at 1280×800 and at a phone's width.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use lifeline_e2e::browser::Browser;
use lifeline_e2e::e2e;
use lifeline_e2e::flows::{client_gets_id, expert_connects, loopback};
use lifeline_e2e::totp;

const ADMIN_PASSWORD: &str = "manager password";
const ANN_PASSWORD: &str = "ann's own password";

/// The browser on the console, with what a person would do there.
struct Console {
    browser: Browser,
    base: String,
    shots: std::path::PathBuf,
    pages: Vec<(String, String)>,
}

impl Console {
    async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.browser
            .client()
            .goto(&format!("{}{path}", self.base))
            .await?;
        Ok(())
    }

    async fn wait_for(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self.browser.client().find(Locator::Css(css)).await {
                Ok(element) => return Ok(element),
                Err(error) if Instant::now() > deadline => {
                    let url = self.browser.client().current_url().await?;
                    anyhow::bail!("{css} did not appear on {url}: {error}");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.wait_for(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.wait_for(css).await?.click().await?;
        Ok(())
    }

    async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Photographs the page now; every page taken is taken again at a
    /// phone's width at the end.
    async fn shoot(&mut self, label: &str) -> anyhow::Result<()> {
        let png = self.browser.client().screenshot().await?;
        std::fs::write(self.shots.join(format!("console-{label}.png")), png)?;
        let url = self.browser.client().current_url().await?;
        self.pages.push((label.to_owned(), url.path().to_owned()));
        Ok(())
    }

    /// Signs out, and waits for the sign-in page the desk answers with:
    /// a page asked for before the sign-out's answer came would cancel it.
    async fn sign_out(&self) -> anyhow::Result<()> {
        self.click("#sign-out").await?;
        self.wait_for("#sign-in").await?;
        Ok(())
    }

    async fn sign_in(&self, user: &str, password: &str) -> anyhow::Result<()> {
        self.goto("/console").await?;
        self.type_into("#user", user).await?;
        self.type_into("#password", password).await?;
        self.click("#sign-in-submit").await
    }

    /// The table `css` as rows of cell texts.
    async fn table(&self, css: &str) -> anyhow::Result<Vec<Vec<String>>> {
        let rows = self
            .browser
            .client()
            .execute(
                "return [...document.querySelectorAll(arguments[0] + ' tbody tr')]\
                 .map(r => [...r.cells].map(c => c.innerText.trim()));",
                vec![serde_json::json!(css)],
            )
            .await?;
        Ok(serde_json::from_value(rows)?)
    }

    async fn session_cookie(&self) -> anyhow::Result<String> {
        let cookie = self
            .browser
            .client()
            .get_named_cookie("lifeline_console")
            .await?;
        anyhow::ensure!(cookie.http_only() == Some(true), "the cookie is HttpOnly");
        Ok(cookie.value().to_owned())
    }
}

/// A request with the browser's session cookie, as a download or a forged
/// form would send it: (status, body).
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: lifeline_console={cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await?;
    let status = raw.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok((
        status,
        if chunked {
            dechunk(body)?
        } else {
            body.to_owned()
        },
    ))
}

/// A chunked body (the exports are streamed), joined.
fn dechunk(mut body: &str) -> anyhow::Result<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body
            .split_once("\r\n")
            .ok_or_else(|| anyhow::anyhow!("a chunk without its size"))?;
        let size = usize::from_str_radix(size.trim(), 16)?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| anyhow::anyhow!("a short chunk"))?;
        out.push_str(chunk);
        body = rest.get(size + 2..).unwrap_or_default();
    }
}

/// A CSV export's rows (quoted fields with commas, quotes or breaks).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// Turns on two-factor sign-in for whoever is signed in, with the key the
/// page shows; returns the key. The recovery codes are on screen after.
async fn enrol(web: &mut Console, photo: Option<&str>) -> anyhow::Result<String> {
    web.click("a[href='/console/two-factor']").await?;
    web.click("#begin-two-factor").await?;
    web.wait_for("#qr").await?;
    if let Some(label) = photo {
        web.shoot(label).await?;
    }
    let secret = web.text("#secret").await?;
    web.type_into("#confirm-code", &totp::code(&secret, totp::now())?)
        .await?;
    web.click("#confirm-submit").await?;
    web.wait_for("#recovery-codes").await?;
    Ok(secret)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_support_manager_runs_the_desk_from_a_browser() {
    e2e("desk_console", |h| async move {
        // Two people sign in and out a dozen times from one address in a
        // minute: more than the desk allows an address by default.
        let config = lifeline_e2e::artifacts::dir_for("desk_console")?.join("desk.toml");
        std::fs::write(&config, "[limits]\nlogins_per_minute = 100\n")?;
        let server = h
            .signaling_with(&["--config", &config.display().to_string()])
            .await?;
        server.add_admin("boss", "The Boss", ADMIN_PASSWORD).await?;
        let mut web = Console {
            browser: Browser::headless(1280, 800).await?,
            base: format!("http://{}", server.addr()),
            shots: lifeline_e2e::artifacts::dir_for("desk_console")?,
            pages: Vec::new(),
        };

        // Sign in with a password, then turn on two-factor sign-in.
        web.goto("/console").await?;
        web.wait_for("#sign-in").await?;
        web.shoot("sign-in").await?;
        web.sign_in("boss", ADMIN_PASSWORD).await?;
        web.wait_for("#sessions").await?;
        let no_script_sees = web.browser.client().execute("return document.cookie;", vec![]).await?;
        anyhow::ensure!(no_script_sees == "", "a script read {no_script_sees}");
        web.session_cookie().await?;
        let secret = enrol(&mut web, Some("two-factor-enrol")).await?;
        let codes = web.text("#recovery-codes").await?;
        anyhow::ensure!(codes.split_whitespace().count() == 10, "{codes}");
        web.shoot("recovery-codes").await?;

        // Out and in again: the password, then the code.
        web.goto("/console/sessions").await?;
        web.sign_out().await?;
        web.sign_in("boss", ADMIN_PASSWORD).await?;
        web.wait_for("#code-form").await?;
        web.shoot("sign-in-code").await?;
        web.type_into("#code", "000000").await?;
        web.click("#code-submit").await?;
        let refused = web.text(".flash.error").await?;
        anyhow::ensure!(refused.contains("wrong or was already used"), "{refused}");
        // The enrolment spent this step's code; the next step's is good.
        web.type_into("#code", &totp::code(&secret, totp::now() + 30)?).await?;
        web.click("#code-submit").await?;
        web.wait_for("#sessions").await?;

        // An expert account, and the desk's policy.
        web.goto("/console/experts").await?;
        web.type_into("#new-user", "ann").await?;
        web.type_into("#new-display", "Ann from the Help Desk").await?;
        web.type_into("#new-password", ANN_PASSWORD).await?;
        web.click("#add-submit").await?;
        web.wait_for("tr[data-user='ann']").await?;
        web.shoot("experts").await?;
        web.goto("/console/policy").await?;
        web.type_into("#desk-name", "Acme IT Desk").await?;
        web.click("#require-reason").await?;
        web.click("#policy-submit").await?;
        web.wait_for(".flash.done").await?;
        web.shoot("policy").await?;

        // The expert turns on two-factor sign-in too; the admin comes back
        // with a recovery code (the TOTP steps near now are spent).
        let mut boss_recovery = codes.split_whitespace().map(str::to_owned);
        web.sign_out().await?;
        web.sign_in("ann", ANN_PASSWORD).await?;
        web.wait_for("#sessions").await?;
        let ann_secret = enrol(&mut web, None).await?;
        let ann_codes = web.text("#recovery-codes").await?;
        web.goto("/console/sessions").await?;
        web.sign_out().await?;
        web.sign_in("boss", ADMIN_PASSWORD).await?;
        web.type_into("#code", &boss_recovery.next().unwrap_or_default()).await?;
        web.click("#code-submit").await?;
        web.wait_for("#sessions").await?;

        // A session between the two real apps, by the new expert, whose
        // app asks for the code.
        let client = h.launch_app_with("client", &server, loopback()).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        let id = client_gets_id(&client).await?;
        expert.click("#mode-expert").await?;
        expert.wait_for("#desk-status[data-state='connected']").await?;
        expert.type_into("#sign-in-user", "ann").await?;
        expert.type_into("#sign-in-password", ANN_PASSWORD).await?;
        expert.click("#sign-in-submit").await?;
        expert.wait_for("#sign-in-code").await?;
        h.screenshot(&expert, "sign-in-code").await?;
        let code = totp::code(&ann_secret, totp::now() + 30)?;
        expert.type_into("#sign-in-code", &code).await?;
        expert.click("#sign-in-submit").await?;
        expert.wait_for("#signed-in-as").await?;
        expert.wait_for("label[for='reason-input']").await?;
        expert.type_into("#notes", "printer on floor 3").await?;
        expert.type_into("#reason-input", "Ticket 4711").await?;
        expert_connects(&expert, &id, None, &[]).await?;
        let reason = client.text("#consent-reason").await?;
        anyhow::ensure!(reason.contains("Ticket 4711"), "{reason}");
        let desk = client.text("#consent-desk").await?;
        anyhow::ensure!(desk.contains("Acme IT Desk"), "{desk}");
        client.wait_for("#consent-desk-unverified").await?;
        h.screenshot(&client, "consent-with-desk-and-reason").await?;
        client.click("#grant-control").await?;
        client.click("#consent-accept").await?;
        expert.wait_for("#safety-code").await?;

        // The report: the row, and an export that matches the table.
        let query = "?q=4711";
        let mut row = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        while row.is_empty() {
            anyhow::ensure!(Instant::now() < deadline, "the session never reached the report");
            web.goto(&format!("/console/sessions{query}")).await?;
            row = web.table("#sessions").await?.into_iter().next().unwrap_or_default();
        }
        let headings: Vec<String> = serde_json::from_value(
            web.browser
                .client()
                .execute("return [...document.querySelectorAll('#sessions th')].map(h => h.innerText.trim());", vec![])
                .await?,
        )?;
        let cell = |name: &str| {
            headings
                .iter()
                .position(|h| h == name)
                .and_then(|i| row.get(i))
                .cloned()
                .unwrap_or_default()
        };
        anyhow::ensure!(cell("Expert") == "ann", "{row:?}");
        anyhow::ensure!(cell("Notes") == "printer on floor 3", "{row:?}");
        anyhow::ensure!(cell("Reason") == "Ticket 4711", "{row:?}");
        let granted = cell("Granted");
        anyhow::ensure!(granted.contains("view") && !granted.contains("control"), "{granted}");
        web.shoot("sessions").await?;
        let table = web.table("#sessions").await?;
        let export = web.wait_for("#export").await?.attr("href").await?.unwrap_or_default();
        let cookie = web.session_cookie().await?;
        let (status, csv) = http(server.addr(), "GET", &export, &cookie, "").await?;
        anyhow::ensure!(status == 200, "export: {status}");
        let mut csv = csv_rows(&csv);
        anyhow::ensure!(csv.remove(0) == headings, "the export's columns are the table's");
        anyhow::ensure!(csv == table, "export {csv:?}\ntable {table:?}");

        for page in ["/console/audit", "/console/live"] {
            web.goto(page).await?;
            web.wait_for("main table").await?;
            web.shoot(page.trim_start_matches("/console/")).await?;
        }
        web.goto("/console/password").await?;
        web.wait_for("#password-form").await?;
        web.shoot("password").await?;

        // The expert in the console: their own sessions, no admin page.
        web.goto("/console/sessions").await?;
        web.sign_out().await?;
        web.sign_in("ann", ANN_PASSWORD).await?;
        let ann_recovery = ann_codes.split_whitespace().next().unwrap_or_default().to_owned();
        web.type_into("#code", &ann_recovery).await?;
        web.click("#code-submit").await?;
        web.wait_for("#sessions").await?;
        let menu = web.text("#menu").await?;
        anyhow::ensure!(!menu.contains("Experts") && !menu.contains("Audit"), "{menu}");
        let own = web.table("#sessions").await?;
        anyhow::ensure!(own.len() == 1, "{own:?}");
        web.shoot("expert-sessions").await?;
        for page in ["/console/experts", "/console/policy", "/console/audit", "/console/live"] {
            web.goto(page).await?;
            web.wait_for("#problem[data-code='forbidden']").await?;
        }
        web.shoot("forbidden").await?;
        let cookie = web.session_cookie().await?;
        let (status, body) = http(server.addr(), "POST", "/console/password", &cookie, "current=x&new=y&confirm=y").await?;
        anyhow::ensure!(status == 403 && body.contains("bad_csrf"), "{status}: {body}");

        // Every page again at a phone's width.
        web.goto("/console/sessions").await?;
        web.sign_out().await?;
        web.browser.client().set_window_size(390, 844).await?;
        web.sign_in("boss", ADMIN_PASSWORD).await?;
        web.type_into("#code", &boss_recovery.next().unwrap_or_default()).await?;
        web.click("#code-submit").await?;
        web.wait_for("#sessions").await?;
        for page in ["sessions", "audit", "live", "experts", "policy", "two-factor", "password"] {
            web.goto(&format!("/console/{page}")).await?;
            web.wait_for("main").await?;
            let png = web.browser.client().screenshot().await?;
            std::fs::write(web.shots.join(format!("console-narrow-{page}.png")), png)?;
        }
        web.browser.close().await;
        Ok(())
    })
    .await;
}
